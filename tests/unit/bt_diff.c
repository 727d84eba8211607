/*
 * bt_diff.c - interpreter against translator on the same guest state (see
 * bt_diff.h).
 *
 * Loading the image is what a physmap writer does: copy the pages that
 * differ and report writes to watched frames (page tables the shadow
 * traces) with mmu_frame_written(). The code cache is flushed before each
 * run, so no translation, chain or indirect-branch entry survives from
 * the previous case, and the interpreter's TLB is flushed with it. A run
 * of the translator that does not come back within BD_TIMEOUT_SEC is
 * stopped with a kick from SIGALRM (as the I/O thread would) and
 * reported as a timeout.
 */
#include "bt_diff.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "bt/bt.h"
#include "bt/interp.h"
#include "bt/bt_priv.h"
#include "mmu/events.h"
#include "mmu/shadow.h"
#include "monitor/machine.h"
#include "monitor/monitor.h"

#define REF_BUDGET 300000u
#define BD_TIMEOUT_SEC 3

static struct machine *mach;
static uint8_t *img, *snap;
static volatile sig_atomic_t alarm_fired;

struct region {
	uint32_t addr, len;
};

/* What a case may touch: loaded and compared (unless whole_ram). */
static const struct region regions[] = {
	{0, BD_LOWCODE_END},	   {D_LOW, D_LOW_LEN},
	{D_TABLES, 0x1000},	   {BD_CODE, BD_CODE_END - BD_CODE},
	{BD_HANDLERS, 0x1000},	   {BD_GS_DATA, BD_FSGS_LEN},
	{D_DATA, D_DATA_LEN},	   {D_STACK, D_STACK_LEN},
	{BD_FS_DATA, BD_FSGS_LEN}, {BD_PD, 0x2000},
};
#define NR_REGIONS (sizeof(regions) / sizeof(regions[0]))

static const char *const reg_names[8] = {"eax", "ecx", "edx", "ebx",
					 "esp", "ebp", "esi", "edi"};

struct machine *bd_machine(void)
{
	return mach;
}

struct vcpu *bd_cpu(void)
{
	return &mach->cpu;
}

uint8_t *bd_img(uint32_t paddr)
{
	return img + paddr;
}

uint8_t *bd_guest(uint32_t paddr)
{
	return mach->mem.physmap + paddr;
}

void bd_img_put32(uint32_t paddr, uint32_t v)
{
	memcpy(img + paddr, &v, 4);
}

uint32_t bd_img_get32(uint32_t paddr)
{
	uint32_t v;

	memcpy(&v, img + paddr, 4);
	return v;
}

uint32_t *bd_pte(uint32_t lin)
{
	return (uint32_t *)(void *)(img + BD_PT + 4 * ((lin >> 12) & 1023));
}

struct x86_seg bd_seg(uint32_t base, uint32_t limit, uint16_t attr)
{
	struct x86_seg s = {base, limit, 0x10, attr};

	return s;
}

static const uint16_t code_attr = X86_DESC_P | X86_DESC_S | X86_DESC_CODE |
				  X86_DESC_RW | X86_DESC_A | X86_DESC_DB |
				  X86_DESC_G;
static const uint16_t data_attr = X86_DESC_P | X86_DESC_S | X86_DESC_RW |
				  X86_DESC_A | X86_DESC_DB | X86_DESC_G;

static void put_desc(uint32_t addr, uint32_t lo, uint32_t hi)
{
	bd_img_put32(addr, lo);
	bd_img_put32(addr + 4, hi);
}

void bd_img_reset(void)
{
	memset(img, 0xf4, BD_LOWCODE_END);
	memset(img + BD_CODE, 0xf4, BD_CODE_END - BD_CODE);
	memset(img + BD_HANDLERS, 0xf4, 0x1000);

	memset(img + D_TABLES, 0, 0x1000);
	put_desc(D_TABLES + 8, 0x0000ffff, 0x00cf9b00);
	put_desc(D_TABLES + 16, 0x0000ffff, 0x00cf9300);
	/* 32-bit interrupt gates, DPL 0, to the hlt of each vector. */
	for (uint32_t v = 0; v < BD_NR_VECTORS; v++) {
		uint32_t h = BD_HANDLERS + 8 * v;

		put_desc(D_TABLES + 0x100 + 8 * v, (0x08u << 16) | (h & 0xffff),
			 (h & 0xffff0000u) | 0x8e00);
	}

	memset(img + BD_PD, 0, 0x1000);
	bd_img_put32(BD_PD, BD_PT | X86_PTE_P | X86_PTE_W | X86_PTE_A);
	for (uint32_t i = 0; i < 1024; i++)
		bd_img_put32(BD_PT + 4 * i, (i << 12) | X86_PTE_P | X86_PTE_W |
						    X86_PTE_A | X86_PTE_D);
}

/* interp_gen.c's data randomizer (see bt_diff.h): the data regions of
 * the image, xorshift as interp_diff.c does for the host side. */
void diff_fill(uint64_t seed)
{
	static const struct region data[] = {
		{D_LOW, D_LOW_LEN},	   {BD_GS_DATA, BD_FSGS_LEN},
		{D_DATA, D_DATA_LEN},	   {D_STACK, D_STACK_LEN},
		{BD_FS_DATA, BD_FSGS_LEN},
	};
	uint64_t x = seed | 1;

	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		for (uint32_t o = 0; o < data[i].len; o += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(img + data[i].addr + o, &x, 8);
		}
}

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	struct vcpu *cpu = &mach->cpu;

	(void)sig;
	(void)si;
	alarm_fired = 1;
	cpu->stop_reason = VCPU_EXIT_EVENT;
	__atomic_store_n(&cpu->kick, 1, __ATOMIC_RELEASE);
	bt_kick_from_signal(cpu, uc);
}

enum kernel_tlb bd_kernel_tlb = KERNEL_TLB_OFF;

int bd_setup(char *err, size_t errlen)
{
	struct sigaction sa;

	if (mach)
		return 0;
	if (mem_reserve_views(err, errlen) < 0)
		return -1;
	mach = calloc(1, sizeof(*mach));
	img = calloc(1, BD_RAM);
	snap = calloc(1, BD_RAM);
	if (!mach || !img || !snap) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	mach->opt.engine = ENGINE_BT;
	mach->opt.mem_size = BD_RAM;
	mach->opt.kernel_tlb = bd_kernel_tlb;
	if (mem_init(&mach->mem, BD_RAM, err, errlen) < 0)
		return -1;
	bus_init(&mach->bus);
	mach->cpu.machine = mach;
	if (shadow_init(mach, !bt_gs_switch_cheap()) < 0) {
		snprintf(err, errlen, "shadow_init failed");
		return -1;
	}
	mach->shadow_on = true;
	if (bt_init(mach, 0, true) < 0) {
		snprintf(err, errlen, "bt_init failed");
		return -1;
	}
	if (mon_signals_init(mach) < 0) {
		snprintf(err, errlen, "mon_signals_init failed");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sa.sa_sigaction = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	/* As machine_boot(): the translator's part of the vcpu (tables that
	 * translated cli and sti read) is set again after the reset. */
	vcpu_reset(&mach->cpu);
	bt_reset(mach);
	bd_img_reset();
	return 0;
}

/* ---- loading -------------------------------------------------------- */

static void load_page(uint32_t pa)
{
	uint8_t *g = mach->mem.physmap + pa;

	if (!memcmp(g, img + pa, 4096))
		return;
	memcpy(g, img + pa, 4096);
	if (mmu_frame_flags[pa >> 12] & FRAME_WATCHED)
		mmu_frame_written(mach, pa, 4096);
}

static void load(const struct bd_input *in)
{
	bt_flush_cache(mach, "bt_diff");
	if (in->whole_ram) {
		for (uint32_t pa = 0; pa < BD_RAM; pa += 4096)
			load_page(pa);
		return;
	}
	for (size_t i = 0; i < NR_REGIONS; i++)
		for (uint32_t o = 0; o < regions[i].len; o += 4096)
			load_page(regions[i].addr + o);
}

static void set_flat(struct x86_seg *s, uint16_t sel, uint16_t attr)
{
	s->base = 0;
	s->limit = 0xffffffffu;
	s->sel = sel;
	s->attr = attr;
}

/* The multiboot loader's machine state (monitor/multiboot.c) with the
 * case's registers, plus the test's IDT and, optionally, paging. */
static void set_cpu(const struct bd_input *in)
{
	struct vcpu *c = &mach->cpu;

	set_flat(&c->seg[X86_CS], 0x08, code_attr);
	for (int i = 0; i < X86_NR_SREGS; i++)
		if (i != X86_CS)
			set_flat(&c->seg[i], 0x10, data_attr);
	for (int i = 0; i < X86_NR_SREGS; i++)
		if (i != X86_CS && in->seg_set[i])
			c->seg[i] = in->seg[i];
	c->gdtr.base = D_TABLES;
	c->gdtr.limit = 3 * 8 - 1;
	c->idtr.base = D_TABLES + 0x100;
	c->idtr.limit = BD_NR_VECTORS * 8 - 1;
	c->cr0 = X86_CR0_PE | X86_CR0_ET | (in->paging ? X86_CR0_PG : 0) |
		 (in->wp ? X86_CR0_WP : 0);
	c->cr2 = 0;
	c->cr3 = in->paging ? BD_PD : 0;
	c->cr4 = 0;
	c->cpl = 0;
	memcpy(c->regs, in->regs, sizeof(c->regs));
	c->eip = in->eip;
	c->eflags = (in->eflags & X86_FL_MASK) | X86_FL_FIXED1;
	c->halted = false;
	c->intr_shadow = false;
	c->nmi_pending = false;
	c->interp_stop_at_cpl0 = false;
	c->delivering = -1;
	c->kick = 0;
	c->stop_reason = VCPU_EXIT_NONE;
	c->error[0] = 0;
	c->bt.pending_exit = 0;
	if (c->tlb)
		bt_interp_flush_tlb(c);
	mmu_paging_changed(c);
	if (in->paging)
		mmu_cr3_written(c, c->cr3);
}

static void capture(struct bd_outcome *o, enum vcpu_exit r)
{
	const struct vcpu *c = &mach->cpu;
	uint32_t h = c->eip - 1 - BD_HANDLERS;

	memset(o, 0, sizeof(*o));
	o->exit = r;
	memcpy(o->regs, c->regs, sizeof(o->regs));
	o->eip = c->eip;
	o->eflags = c->eflags;
	o->cr0 = c->cr0;
	o->cr2 = c->cr2;
	memcpy(o->seg, c->seg, sizeof(o->seg));
	o->vector = -1;
	if (r == VCPU_EXIT_HLT && h < 8 * BD_NR_VECTORS && h % 8 == 0)
		o->vector = (int)(h / 8);
	if (r == VCPU_EXIT_ERROR)
		snprintf(o->error, sizeof(o->error), "%s", c->error);
}

/* ---- the two engines ------------------------------------------------ */

void bd_run_ref(const struct bd_input *in, struct bd_outcome *o)
{
	enum vcpu_exit r;

	load(in);
	set_cpu(in);
	r = bt_interp_run(&mach->cpu, REF_BUDGET);
	capture(o, r);
	o->timed_out = r == VCPU_EXIT_BUDGET;
}

static struct stats before;
static unsigned df_leaks;

unsigned bd_df_leaks(void)
{
	return df_leaks;
}

/*
 * The host's RFLAGS.DF, cleared. The C ABI wants DF clear whenever C
 * code runs; translated code keeps the guest's DF in the host flag, so a
 * way back to C that forgets `cld` makes memcpy/memset (rep movs/stos)
 * run backwards over the monitor's memory. Checked right after bt_run()
 * returns, before any C code of this file copies anything.
 */
static bool take_df(void)
{
	uint64_t fl;

	__asm__ volatile("pushfq; popq %0; cld" : "=r"(fl)::"memory", "cc");
	return fl & X86_FL_DF;
}

void bd_run_bt(const struct bd_input *in, struct bd_outcome *o,
	       struct bd_btstats *st, int op)
{
	struct itimerval it = {{0, 0}, {BD_TIMEOUT_SEC, 0}};
	struct itimerval off = {{0, 0}, {0, 0}};
	enum vcpu_exit r;
	bool leak;

	load(in);
	set_cpu(in);
	before = stats;
	alarm_fired = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	r = bt_run(&mach->cpu, 0);
	leak = take_df();
	setitimer(ITIMER_REAL, &off, NULL);
	capture(o, r);
	o->df_leak = leak;
	df_leaks += leak;
	o->timed_out = alarm_fired;
	mach->cpu.kick = 0;
	mach->cpu.stop_reason = VCPU_EXIT_NONE;
	if (!st)
		return;
#define D(f) (stats.f - before.f)
	st->translations = D(bt_translations);
	st->chains = D(bt_chains);
	st->ibl_misses = D(bt_ibl_misses);
	st->exits = D(bt_exits);
	st->callouts = D(bt_callouts);
	st->interp_fallbacks = D(bt_interp_fallbacks);
	st->kernel_steps = D(bt_kernel_interp_steps);
	st->faults = D(bt_faults);
	st->invalidations = D(bt_invalidations);
	st->adaptations = D(bt_adaptations);
	st->insns_bt = D(insns_bt);
	st->insns_interp = D(insns_interp);
	st->op_interp = st->op_callouts = st->op_fallbacks = 0;
	if (op >= 0 && op < X86_OP_COUNT) {
		st->op_interp = D(interp_by_op[op]);
		st->op_callouts = D(bt_callouts_by_op[op]);
		st->op_fallbacks = D(bt_interp_by_op[op]);
	}
#undef D
}

/* ---- comparing and reporting ---------------------------------------- */

static void snapshot(const struct bd_input *in)
{
	if (in->whole_ram) {
		memcpy(snap, mach->mem.physmap, BD_RAM);
		return;
	}
	for (size_t i = 0; i < NR_REGIONS; i++)
		memcpy(snap + regions[i].addr,
		       mach->mem.physmap + regions[i].addr, regions[i].len);
}

/* A difference the order of cmps's two reads explains (see
 * bd_input.tolerate_read_order): the Accessed bit of a PTE. */
static bool read_order_explained(uint32_t pa, uint8_t a, uint8_t b,
				 const struct bd_outcome *ref)
{
	(void)ref;
	return pa >= BD_PT && pa < BD_PT + 0x1000 && pa % 4 == 0 &&
	       (a ^ b) == X86_PTE_A;
}

/* First differing byte of guest memory against the snapshot, or -1. */
static int64_t memory_diff(const struct bd_input *in,
			   const struct bd_outcome *ref, bool *tolerated)
{
	const uint8_t *g = mach->mem.physmap;

	for (uint32_t pa = 0; pa < BD_RAM; pa += 4096) {
		bool in_region = in->whole_ram;

		for (size_t i = 0; i < NR_REGIONS && !in_region; i++)
			in_region = pa >= regions[i].addr &&
				    pa < regions[i].addr + regions[i].len;
		if (!in_region || !memcmp(g + pa, snap + pa, 4096))
			continue;
		for (uint32_t o = 0; o < 4096; o++) {
			if (g[pa + o] == snap[pa + o])
				continue;
			/* The shadow sets Accessed in the entries of a
			 * fill's neighbours, as a speculative walk may
			 * (docs/shadow-paging.md, "Clusters"): a present
			 * page-table entry whose A the interpreter left
			 * clear. */
			if ((o & 3) == 0 && (snap[pa + o] & X86_PTE_P) &&
			    g[pa + o] == (snap[pa + o] | X86_PTE_A) &&
			    mmu_frame_flags &&
			    (mmu_frame_flags[pa >> 12] & FRAME_PT)) {
				*tolerated = true;
				continue;
			}
			if (in->tolerate_read_order &&
			    read_order_explained(pa + o, g[pa + o],
						 snap[pa + o], ref)) {
				*tolerated = true;
				continue;
			}
			return pa + o;
		}
	}
	return -1;
}

static const char *exit_name(enum vcpu_exit r)
{
	static const char *const names[] = {
		"none",	    "budget", "event",	   "hlt",
		"shutdown", "reset",  "debugexit", "error",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

void bd_print_outcome(const char *who, const struct bd_outcome *o)
{
	fprintf(stderr, "  %-6s", who);
	for (int i = 0; i < 8; i++)
		fprintf(stderr, " %s=%08x", reg_names[i], o->regs[i]);
	fprintf(stderr, "\n         eip=%08x efl=%08x cr2=%08x exit=%s%s",
		o->eip, o->eflags, o->cr2, exit_name(o->exit),
		o->timed_out ? " (timed out)" : "");
	if (o->vector >= 0)
		fprintf(stderr, " exception %d", o->vector);
	if (o->error[0])
		fprintf(stderr, " error: %s", o->error);
	fprintf(stderr, "\n");
}

static const char *const seg_names[X86_NR_SREGS] = {"es", "cs", "ss",
						    "ds", "fs", "gs"};

static void print_seg(const char *n, const struct x86_seg *s)
{
	fprintf(stderr, " %s(base=%08x limit=%08x attr=%03x)", n, s->base,
		s->limit, s->attr);
}

static void report(const struct bd_input *in, const struct bd_outcome *ref,
		   const struct bd_outcome *bt, const struct bd_btstats *st,
		   const char *why, int64_t addr)
{
	fprintf(stderr, "MISMATCH %s (%s", in->name, why);
	if (addr >= 0)
		fprintf(stderr, " at %08x: interp %02x bt %02x", (uint32_t)addr,
			snap[addr], bd_guest((uint32_t)addr)[0]);
	fprintf(stderr, ")\n  code at %08x:", in->eip);
	for (unsigned i = 0; i < in->show_len && in->eip + i < BD_RAM; i++)
		fprintf(stderr, " %02x", img[in->eip + i]);
	fprintf(stderr, "\n  input ");
	for (int i = 0; i < 8; i++)
		fprintf(stderr, " %s=%08x", reg_names[i], in->regs[i]);
	fprintf(stderr, "\n         efl=%08x paging=%d wp=%d", in->eflags,
		in->paging, in->wp);
	for (int i = 0; i < X86_NR_SREGS; i++)
		if (in->seg_set[i])
			print_seg(seg_names[i], &in->seg[i]);
	fprintf(stderr, "\n");
	bd_print_outcome("interp", ref);
	bd_print_outcome("bt", bt);
	if (st)
		fprintf(stderr,
			"  bt: %llu translations, %llu callouts, %llu interp "
			"fallbacks, %llu kernel steps, %llu host faults\n",
			(unsigned long long)st->translations,
			(unsigned long long)st->callouts,
			(unsigned long long)st->interp_fallbacks,
			(unsigned long long)st->kernel_steps,
			(unsigned long long)st->faults);
}

static bool same_outcome(const struct bd_outcome *a, const struct bd_outcome *b,
			 const char **why)
{
	if (a->exit != b->exit || a->timed_out != b->timed_out) {
		*why = "exit";
		return false;
	}
	if (a->vector != b->vector) {
		*why = "exception";
		return false;
	}
	if (memcmp(a->regs, b->regs, sizeof(a->regs)) || a->eip != b->eip) {
		*why = "registers";
		return false;
	}
	if (a->eflags != b->eflags) {
		*why = "eflags";
		return false;
	}
	if (a->cr2 != b->cr2 || a->cr0 != b->cr0) {
		*why = "control registers";
		return false;
	}
	for (int i = 0; i < X86_NR_SREGS; i++)
		if (a->seg[i].base != b->seg[i].base ||
		    a->seg[i].limit != b->seg[i].limit ||
		    a->seg[i].sel != b->seg[i].sel ||
		    a->seg[i].attr != b->seg[i].attr) {
			*why = "segment registers";
			return false;
		}
	return true;
}

bool bd_run(const struct bd_input *in, int op, struct bd_outcome *ref,
	    struct bd_outcome *bt, struct bd_btstats *st)
{
	struct bd_outcome r, b;
	struct bd_btstats s;
	const char *why = NULL;
	int64_t addr = -1;
	bool ok, tolerated = false;

	bd_run_ref(in, &r);
	snapshot(in);
	bd_run_bt(in, &b, &s, op);
	ok = same_outcome(&r, &b, &why);
	if (ok) {
		addr = memory_diff(in, &r, &tolerated);
		if (addr >= 0) {
			ok = false;
			why = "memory";
		}
	}
	s.tolerated = ok && tolerated;
	if (!ok)
		report(in, &r, &b, &s, why, addr);
	if (ref)
		*ref = r;
	if (bt)
		*bt = b;
	if (st)
		*st = s;
	return ok;
}

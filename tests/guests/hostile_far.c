/*
 * hostile_far - far transfers and segment loads with every selector a host
 * might have in its GDT (issue 9).
 *
 * A hosted VMM runs guest code on a CPU whose GDT is the host's: selectors
 * 0x08..0x80 mean something there (Linux x86-64: kernel code and data,
 * 32-bit and 64-bit user code 0x23/0x33, user data 0x2b, TSS, TLS, the
 * per-CPU segment 0x7b), and direct execution adds LDT selectors
 * 0x107..0x12f. This guest gives those selectors meanings of its own (its
 * GDT below, limit 0x7f so that 0x80 lies beyond it) and checks that every
 * transfer and load does exactly what the guest's descriptors say:
 *
 *   1. far jmp, far call, retf and iret to each selector (RPL 0 and 3, and
 *      the LDT selectors with the guest's LDTR null), from ring 3 and from
 *      ring 0: #GP/#NP with the selector as error code where the
 *      descriptors refuse, otherwise the landing code runs with the CS and
 *      CPL the architecture gives, in 32-bit mode (a code segment with the
 *      L bit, like the host's 0x33, is 32-bit code on an IA-32 CPU);
 *   2. from ring 3, loads of each selector into DS, ES, FS, GS and SS,
 *      then a read and (writable data only) a write of a supervisor page
 *      through it: #GP/#NP/#SS on the load, else #PF with U = 1 on the
 *      access; never a successful access.
 *
 * The expected outcome of each case is computed by a small model of the
 * SDM's checks from the descriptors themselves; only a mismatch is printed
 * in detail, so the output is the same under every engine.
 */
#include "guest.h"

enum { SYS_LANDED = 1, SYS_FAULTED, SYS_SNAP, SYS_EXIT };

#define GDT_LIMIT 0x7f
#define FLAT32 (DESC_FLAG_G | DESC_FLAG_DB)
#define DESC_FLAG_L 0x2

/* What a case did. */
struct outcome {
	int landed;	 /* 1: the landing code ran */
	uint32_t vector; /* else the fault */
	uint32_t err;
	uint32_t cs;   /* landed: CS as the landing code read it */
	uint32_t mode; /* landed: 0xffffffff when it ran as 32-bit code */
};

/* ---- data shared with ring 3 ---- */
USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))
USER_DATA volatile uint32_t u_fptr[2]; /* offset, selector (m16:32) */
USER_DATA volatile uint32_t u_sel, u_off, u_write;

/* Supervisor data the user tries to reach. */
volatile uint32_t kernel_secret[1024] __attribute__((aligned(4096)));

/* ---- the ring 0 harness (k_run / k_resume), like enter_user ---- */
int k_run(void (*fn)(void));
void k_resume(int value) __attribute__((noreturn));
uint32_t k_saved_esp;
volatile uint32_t k_fptr[2];
__asm__(".text\n"
	"k_run:\n\t"
	"pushl %ebp\n\t"
	"pushl %ebx\n\t"
	"pushl %esi\n\t"
	"pushl %edi\n\t"
	"movl %esp, k_saved_esp\n\t"
	"movl 20(%esp), %eax\n\t"
	"jmp *%eax\n"
	"k_resume:\n\t"
	"ljmp $0x08, $1f\n"
	"1:\tmovl 4(%esp), %eax\n\t"
	"movl $0x10, %ecx\n\t"
	"movw %cx, %ss\n\t"
	"movl k_saved_esp, %esp\n\t"
	"movw %cx, %ds\n\t"
	"movw %cx, %es\n\t"
	"movw %cx, %fs\n\t"
	"movw %cx, %gs\n\t"
	"popl %edi\n\t"
	"popl %esi\n\t"
	"popl %ebx\n\t"
	"popl %ebp\n\t"
	"ret\n");

static int in_ring0_case;

/*
 * The landing: reads CS, and tells 32-bit from 64-bit mode (0x48 is
 * "dec %eax" in 32-bit code, a REX.W prefix in 64-bit code), then reports
 * with int $0x80 (a DPL 3 gate: reachable at any CPL). It lives on a user
 * page so that it can run at CPL 0 and CPL 3.
 */
void landing(void);
__asm__(".pushsection .user.text, \"ax\"\n"
	"landing:\n\t"
	"movl %cs, %ebx\n\t"
	"xorl %eax, %eax\n\t"
	".byte 0x48, 0x90\n\t"
	"movl %eax, %ecx\n\t"
	"movl $1, %eax\n\t" /* SYS_LANDED */
	"int $0x80\n\t"
	"ud2\n\t"
	".popsection");

/* ---- the far transfers, from ring 3 ---- */
#define USER_FAR_OP(name, pre, insn)                                  \
	void name(void);                                              \
	__asm__(".pushsection .user.text, \"ax\"\n" #name ":\n\t" pre \
		"1:\t" insn "\n"                                      \
		"2:\tmovl $2, %eax\n\t" /* SYS_FAULTED */             \
		"int $0x80\n\t"                                       \
		"ud2\n\t" EXTABLE("1b", "2b") ".popsection")

USER_FAR_OP(u_ljmp, "", "ljmp *u_fptr");
USER_FAR_OP(u_lcall, "", "lcall *u_fptr");
USER_FAR_OP(u_lret, "pushl u_fptr + 4\n\tpushl u_fptr\n", "lret");
USER_FAR_OP(u_iret, "pushl $0x202\n\tpushl u_fptr + 4\n\tpushl u_fptr\n",
	    "iret");

/* ---- the same from ring 0 (retf/iret to RPL 3 take SS:ESP too) ---- */
#define KERNEL_FAR_OP(name, pre, insn)                       \
	void name(void);                                     \
	__asm__(".text\n" #name ":\n\t" pre "1:\t" insn "\n" \
		"2:\tpushl $2\n\t"                           \
		"call k_resume\n\t" EXTABLE("1b", "2b"))

KERNEL_FAR_OP(k_ljmp, "", "ljmp *k_fptr");
KERNEL_FAR_OP(k_lcall, "", "lcall *k_fptr");
KERNEL_FAR_OP(k_lret,
	      "pushl $0x23\n\tpushl $ustack + 4096\n\t"
	      "pushl k_fptr + 4\n\tpushl k_fptr\n",
	      "lret");
KERNEL_FAR_OP(k_iret,
	      "pushl $0x23\n\tpushl $ustack + 4096\n\tpushl $0x202\n\t"
	      "pushl k_fptr + 4\n\tpushl k_fptr\n",
	      "iret");

/* ---- segment loads from ring 3: load, read, write, each reported ---- */
#define USER_LOAD(name, load, pfx, restore)                             \
	void name(void);                                                \
	__asm__(".pushsection .user.text, \"ax\"\n" #name ":\n\t"       \
		"movl u_sel, %ecx\n\t"                                  \
		"movl u_off, %edx\n\t"                                  \
		"movl u_write, %edi\n"                                  \
		"1:\t" load "\n"                                        \
		"2:\tmovl $3, %eax\n\t" /* SYS_SNAP: 1 if it faulted */ \
		"int $0x80\n\t"                                         \
		"testl %eax, %eax\n\t"                                  \
		"jnz 9f\n"                                              \
		"3:\tmovl " pfx "(%edx), %esi\n"                        \
		"4:\tmovl $3, %eax\n\t"                                 \
		"int $0x80\n\t"                                         \
		"testl %edi, %edi\n\t"                                  \
		"jz 9f\n"                                               \
		"5:\tmovl %esi, " pfx "(%edx)\n"                        \
		"6:\tmovl $3, %eax\n\t"                                 \
		"int $0x80\n"                                           \
		"9:\tmovl $0x23, %eax\n\t" restore "\n\t"               \
		"movl $4, %eax\n\t" /* SYS_EXIT */                      \
		"int $0x80\n\t"                                         \
		"ud2\n\t" EXTABLE("1b", "2b") EXTABLE("3b", "4b")       \
			EXTABLE("5b", "6b") ".popsection")

USER_LOAD(u_load_ds, "movw %cx, %ds", "", "movw %ax, %ds");
USER_LOAD(u_load_es, "movw %cx, %es", "%es:", "movw %ax, %es");
USER_LOAD(u_load_fs, "movw %cx, %fs", "%fs:", "movw %ax, %fs");
USER_LOAD(u_load_gs, "movw %cx, %gs", "%gs:", "movw %ax, %gs");
USER_LOAD(u_load_ss, "movw %cx, %ss", "%ss:", "movw %ax, %ss");

/* ---- the kernel side of int $0x80 ---- */
static struct outcome result;
static struct outcome snaps[3];
static int nsnaps;
static uint32_t snap_count;

static void sys_handler(struct trap_frame *f)
{
	switch (f->eax) {
	case SYS_LANDED:
		result.landed = 1;
		result.cs = f->ebx & 0xffff;
		result.mode = f->ecx;
		if ((f->cs & 0xffff) != result.cs)
			result.mode = 0xdead; /* the frame disagrees */
		break;
	case SYS_FAULTED:
		result.landed = 0;
		result.vector = last_trap.vector;
		result.err = last_trap.err;
		break;
	case SYS_SNAP: {
		struct outcome *s = &snaps[nsnaps < 3 ? nsnaps++ : 2];

		s->landed = last_trap.count == snap_count;
		s->vector = last_trap.vector;
		s->err = last_trap.err;
		s->cs = last_trap.cr2;
		snap_count = last_trap.count;
		f->eax = !s->landed;
		return;
	}
	case SYS_EXIT:
		break;
	default:
		panic("bad system call %u", f->eax);
	}
	if (in_ring0_case)
		k_resume(1);
	return_to_kernel(1);
}

/* ---- the guest's descriptors and the model of the SDM's checks ---- */
static uint8_t dummy_tss[104] __attribute__((aligned(8)));
static uint64_t dummy_ldt[2];

static void setup_gdt(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) g;

	/* 0x30: 32-bit DPL 3 code with the L bit (the host's 0x33 is its
	 * 64-bit code). IA-32 has no long mode: this is 32-bit code. */
	gdt_set(6, seg_desc(0, 0xfffff, 0xfa, FLAT32 | DESC_FLAG_L));
	/* 0x38: DPL 3 read-only data. */
	gdt_set(7, seg_desc(0, 0xfffff, 0xf0, FLAT32));
	/* 0x40: a busy 32-bit TSS, DPL 3. */
	gdt_set(8, seg_desc((uint32_t)dummy_tss, 103, 0xeb, 0));
	/* 0x48: an LDT, DPL 3. */
	gdt_set(9, seg_desc((uint32_t)dummy_ldt, 15, 0xe2, 0));
	/* 0x50: a DPL 3 call gate to the landing at 0x08 (ring 0). */
	gdt_set(10, gate_desc(SEL_KCODE, (uint32_t)landing, GATE_CALL32, 3, 0));
	/* 0x58: conforming readable DPL 0 code. */
	gdt_set(11, seg_desc(0, 0xfffff, 0x9e, FLAT32));
	/* 0x60: DPL 3 read/write data based at 0x1000 (offsets wrap). */
	gdt_set(12, seg_desc(0x1000, 0xfffff, 0xf2, FLAT32));
	/* 0x68: DPL 3 execute-only code based at 0x1000. */
	gdt_set(13, seg_desc(0x1000, 0xfffff, 0xf8, FLAT32));
	/* 0x70: DPL 0 code, not present. */
	gdt_set(14, seg_desc(0, 0xfffff, 0x1a, FLAT32));
	/* 0x78: DPL 3 data, not present (the host's 0x7b is per-CPU data). */
	gdt_set(15, seg_desc(0, 0xfffff, 0x72, FLAT32));
	/* 0x80 and up: beyond the limit. */
	__asm__ volatile("sgdt %0" : "=m"(g));
	g.limit = GDT_LIMIT;
	__asm__ volatile("lgdt %0" : : "m"(g) : "memory");
}

struct desc {
	int present, s, code, conforming, readable, writable, dpl, type;
	uint32_t base;
};

/* Returns 0 when the selector lies beyond its table (the LDTR is null). */
static int desc_of(uint32_t sel, struct desc *d)
{
	uint64_t raw;
	uint32_t hi;

	if ((sel & 4) || (sel | 7) > GDT_LIMIT)
		return 0;
	raw = gdt_get(sel >> 3);
	hi = (uint32_t)(raw >> 32);
	d->present = (hi >> 15) & 1;
	d->dpl = (hi >> 13) & 3;
	d->s = (hi >> 12) & 1;
	d->type = (hi >> 8) & 0xf;
	d->code = d->s && (d->type & 8);
	d->conforming = d->code && (d->type & 4);
	d->readable = d->code ? !!(d->type & 2) : d->s;
	d->writable = d->s && !d->code && (d->type & 2);
	d->base = ((uint32_t)raw >> 16) | ((hi & 0xff) << 16) |
		  (hi & 0xff000000u);
	return 1;
}

enum op { OP_JMP, OP_CALL, OP_RETF, OP_IRET };
static const char *const op_names[] = {"ljmp", "lcall", "lret", "iret"};

static struct outcome fault(uint32_t vector, uint32_t err)
{
	struct outcome o = {0, vector, err, 0, 0};
	return o;
}

static struct outcome land(uint32_t cs)
{
	struct outcome o = {1, 0, 0, cs, 0xffffffffu};
	return o;
}

static struct outcome model_far(enum op op, int cpl, uint32_t sel)
{
	uint32_t rpl = sel & 3, esel = sel & 0xfffc;
	struct desc d, t;

	if (!desc_of(sel, &d))
		return fault(13, esel);
	if (op == OP_JMP || op == OP_CALL) {
		if (!d.s) {
			if (d.type != GATE_CALL32)
				return fault(13, esel); /* TSS busy, LDT */
			if ((int)d.dpl < cpl || d.dpl < rpl)
				return fault(13, esel);
			if (!d.present)
				return fault(11, esel);
			desc_of(SEL_KCODE, &t); /* the gate's target */
			if (op == OP_JMP ? (int)t.dpl != cpl : (int)t.dpl > cpl)
				return fault(13, SEL_KCODE);
			return land(SEL_KCODE | t.dpl);
		}
		if (!d.code)
			return fault(13, esel);
		if (d.conforming ? (int)d.dpl > cpl
				 : ((int)rpl > cpl || (int)d.dpl != cpl))
			return fault(13, esel);
		if (!d.present)
			return fault(11, esel);
		return land(esel | cpl);
	}
	/* retf, iret: the popped CS. */
	if ((int)rpl < cpl || !d.code)
		return fault(13, esel);
	if (d.conforming ? d.dpl > rpl : d.dpl != rpl)
		return fault(13, esel);
	if (!d.present)
		return fault(11, esel);
	return land(sel);
}

/* The offset that makes a transfer through sel land on `landing`. */
static uint32_t landing_offset(uint32_t sel)
{
	struct desc d;

	if (desc_of(sel, &d) && d.s)
		return (uint32_t)landing - d.base;
	return (uint32_t)landing;
}

/* The selectors tried: 0x08..0x80 with RPL 0 and 3, and DE's LDT ones. */
static uint32_t selectors[64];
static int nselectors;

static void make_selectors(void)
{
	for (uint32_t s = 0x08; s <= 0x80; s += 8) {
		selectors[nselectors++] = s;
		selectors[nselectors++] = s | 3;
	}
	for (uint32_t s = 0x107; s <= 0x12f; s += 8)
		selectors[nselectors++] = s;
}

static void describe(char *buf, size_t n, const struct outcome *o)
{
	if (o->landed)
		snprintf(buf, n, "landed cs=0x%x mode=0x%x", o->cs, o->mode);
	else
		snprintf(buf, n, "vector %u err 0x%x", o->vector, o->err);
}

static int same(const struct outcome *a, const struct outcome *b)
{
	if (a->landed != b->landed)
		return 0;
	if (a->landed)
		return a->cs == b->cs && a->mode == b->mode;
	return a->vector == b->vector && a->err == b->err;
}

static int report_mismatch(const char *what, uint32_t sel,
			   const struct outcome *got,
			   const struct outcome *want)
{
	char g[64], w[64];

	if (same(got, want))
		return 0;
	describe(g, sizeof(g), got);
	describe(w, sizeof(w), want);
	printf("#   %s 0x%x: got %s, expected %s\n", what, sel, g, w);
	return 1;
}

static void run_far(enum op op, int cpl)
{
	static void (*const uops[])(void) = {u_ljmp, u_lcall, u_lret, u_iret};
	static void (*const kops[])(void) = {k_ljmp, k_lcall, k_lret, k_iret};
	char name[80];
	int bad = 0, landed = 0;

	for (int i = 0; i < nselectors; i++) {
		uint32_t sel = selectors[i];
		struct outcome want = model_far(op, cpl, sel);

		landed += want.landed;

		memset(&result, 0, sizeof(result));
		result.vector = 0xffff;
		trap_record_clear();
		if (cpl == 3) {
			u_fptr[0] = landing_offset(sel);
			u_fptr[1] = sel;
			in_ring0_case = 0;
			enter_user((uint32_t)uops[op], USTACK_TOP, 0x202);
		} else {
			k_fptr[0] = landing_offset(sel);
			k_fptr[1] = sel;
			in_ring0_case = 1;
			sti();
			if (k_run(kops[op]) == 2) {
				result.vector = last_trap.vector;
				result.err = last_trap.err;
			}
		}
		cli();
		snprintf(name, sizeof(name), "ring %d %s", cpl, op_names[op]);
		bad += report_mismatch(name, sel, &result, &want);
	}
	snprintf(
		name, sizeof(name),
		"ring %d %s to %d selectors (%d land): as the guest's GDT says",
		cpl, op_names[op], nselectors, landed);
	CHECK(bad == 0, name);
}

/* ---- segment loads ---- */
enum sreg { R_DS, R_ES, R_FS, R_GS, R_SS };
static const char *const sreg_names[] = {"ds", "es", "fs", "gs", "ss"};

static struct outcome model_load(enum sreg r, uint32_t sel, int *usable,
				 int *writable, uint32_t *base)
{
	uint32_t rpl = sel & 3, esel = sel & 0xfffc, cpl = 3;
	struct desc d;

	*usable = *writable = 0;
	if (!desc_of(sel, &d))
		return fault(13, esel);
	if (r == R_SS) {
		if (rpl != cpl || !d.writable || d.dpl != cpl)
			return fault(13, esel);
		if (!d.present)
			return fault(12, esel);
	} else {
		if (!d.s || !d.readable)
			return fault(13, esel);
		if (!d.conforming && (rpl > d.dpl || cpl > d.dpl))
			return fault(13, esel);
		if (!d.present)
			return fault(11, esel);
	}
	*usable = 1;
	*writable = d.writable;
	*base = d.base;
	return land(0);
}

static void run_loads(enum sreg r)
{
	static void (*const progs[])(void) = {u_load_ds, u_load_es, u_load_fs,
					      u_load_gs, u_load_ss};
	uint32_t target = (uint32_t)&kernel_secret[5];
	char name[80];
	int bad = 0, accesses = 0, loaded = 0;

	for (int i = 0; i < nselectors; i++) {
		uint32_t sel = selectors[i], base = 0;
		int usable, writable;
		struct outcome want =
			model_load(r, sel, &usable, &writable, &base);
		struct outcome got;

		u_sel = sel;
		u_off = target - base;
		u_write = writable;
		nsnaps = 0;
		snap_count = last_trap.count;
		trap_record_clear();
		in_ring0_case = 0;
		enter_user((uint32_t)progs[r], USTACK_TOP, 0x202);
		cli();
		snprintf(name, sizeof(name), "ring 3 mov to %s", sreg_names[r]);
		got = snaps[0];
		got.cs = 0;
		if (got.landed)
			got.mode = 0xffffffffu;
		if (nsnaps < 1) {
			printf("#   %s 0x%x: no report\n", name, sel);
			bad++;
			continue;
		}
		bad += report_mismatch(name, sel, &got, &want);
		loaded += usable;
		if (!usable || !got.landed)
			continue;
		/* The load was allowed: the read, and the write for writable
		 * data, must each be a user-mode #PF on the supervisor page. */
		for (int k = 1; k <= 1 + writable; k++) {
			struct outcome pf = fault(14, PF_P | PF_U);

			accesses++;
			pf.err |= k == 2 ? PF_W : 0;
			got = snaps[k < nsnaps ? k : 0];
			if (k >= nsnaps || got.landed || got.vector != 14 ||
			    got.err != pf.err || got.cs != target) {
				printf("#   %s 0x%x: %s: %s vector %u err 0x%x "
				       "cr2 0x%x\n",
				       name, sel, k == 2 ? "write" : "read",
				       got.landed ? "succeeded" : "fault",
				       got.vector, got.err, got.cs);
				bad++;
			}
		}
	}
	snprintf(name, sizeof(name),
		 "ring 3 mov to %s, %d selectors (%d load), %d accesses #PF",
		 sreg_names[r], nselectors, loaded, accesses);
	CHECK(bad == 0, name);
}

static void setup_address_space(void)
{
	uint32_t *pd = pd_kernel();

	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	paging_enable(pd);
	write_cr0(read_cr0() | CR0_WP);
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	(void)magic;
	(void)info;
	setup_address_space();
	setup_gdt();
	make_selectors();
	trap_set_handler(0x80, sys_handler);
	for (int i = 0; i < 1024; i++)
		kernel_secret[i] = 0x5ec7e700u + i;

	section("far transfers from ring 3");
	for (int op = OP_JMP; op <= OP_IRET; op++)
		run_far(op, 3);
	section("far transfers from ring 0");
	for (int op = OP_JMP; op <= OP_IRET; op++)
		run_far(op, 0);
	section("segment loads from ring 3, then supervisor accesses");
	for (int r = R_DS; r <= R_SS; r++)
		run_loads(r);
	CHECK_EQ(kernel_secret[5], 0x5ec7e705u,
		 "the supervisor page was never written");
}

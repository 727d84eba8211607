/*
 * interp_diff.c - one instruction, interpreter against host (see
 * interp_diff.h).
 *
 * The guest side is a struct machine with 4 MiB of RAM, a GDT with flat
 * 32-bit code and data descriptors and an IDT whose 32 exception gates
 * point at distinct addresses, so that after one step the interpreter's
 * EIP tells whether (and which) exception was delivered; the frame the
 * delivery pushed is then taken back off the stack so that registers and
 * memory compare with the host's, which reports faults as signals.
 */
#include "interp_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt/fpu.h"
#include "bt/interp.h"
#include "monitor/machine.h"
#include "native32.h"

#define GUEST_RAM (4u << 20)

static struct machine *mach;
/* The host side's XSAVE area; both sides' final states (FXSAVE layout). */
static uint8_t host_xsave[4096] __attribute__((aligned(64)));
static uint8_t fpu_out_interp[512], fpu_out_host[512];

struct region {
	uint32_t addr, len;
	bool compare;
};

static const struct region regions[] = {
	{D_CODE_LO, D_CODE_END - D_CODE_LO, false},
	{D_LOWCODE, 0x1000, false},
	{D_LOW, D_LOW_LEN, true},
	{D_DATA, D_DATA_LEN, true},
	{D_STACK, D_STACK_LEN, true},
};
#define NR_REGIONS (sizeof(regions) / sizeof(regions[0]))

static const char *const reg_names[8] = {"eax", "ecx", "edx", "ebx",
					 "esp", "ebp", "esi", "edi"};

struct vcpu *diff_cpu(void)
{
	return &mach->cpu;
}

uint8_t *diff_guest(uint32_t paddr)
{
	return mach->mem.physmap + paddr;
}

static void put_desc(uint32_t addr, uint32_t lo, uint32_t hi)
{
	memcpy(diff_guest(addr), &lo, 4);
	memcpy(diff_guest(addr + 4), &hi, 4);
}

static void flat_seg(struct x86_seg *s, uint16_t sel, uint16_t attr)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->attr = attr;
}

void diff_reset_cpu(void)
{
	struct vcpu *cpu = &mach->cpu;
	const uint16_t code = X86_DESC_P | X86_DESC_S | X86_DESC_CODE |
			      X86_DESC_RW | X86_DESC_A | X86_DESC_DB |
			      X86_DESC_G;
	const uint16_t data = X86_DESC_P | X86_DESC_S | X86_DESC_RW |
			      X86_DESC_A | X86_DESC_DB | X86_DESC_G;

	for (int s = 0; s < X86_NR_SREGS; s++)
		flat_seg(&cpu->seg[s], 0x10, data);
	flat_seg(&cpu->seg[X86_CS], 0x08, code);
	cpu->gdtr.base = D_TABLES;
	cpu->gdtr.limit = 3 * 8 - 1;
	cpu->idtr.base = D_TABLES + 0x100;
	cpu->idtr.limit = 32 * 8 - 1;
	cpu->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_MP | X86_CR0_NE;
	cpu->cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	cpu->cpl = 0;
	cpu->eflags = X86_FL_FIXED1;
	cpu->halted = false;
	cpu->intr_shadow = false;
	cpu->delivering = -1;
	cpu->kick = 0;
	cpu->stop_reason = VCPU_EXIT_NONE;
}

int diff_setup(char *err, size_t errlen)
{
	if (mach)
		return 0;
	/* The native side only where the host runs 32-bit code (the cases
	 * that run natively are not added otherwise; see n32_available). */
	if (n32_available(err, errlen) && n32_init(err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < NR_REGIONS; i++)
		if (!n32_map(regions[i].addr, regions[i].len)) {
			snprintf(err, errlen, "cannot map 0x%x",
				 regions[i].addr);
			return -1;
		}
	mach = calloc(1, sizeof(*mach));
	if (!mach || mem_init(&mach->mem, GUEST_RAM, err, errlen) < 0)
		return -1;
	/* The interpreter's host FPU runner reports unmasked SIMD
	 * exceptions through SIGFPE, which the harness handles. */
	if (bt_fpu_init(err, errlen) < 0)
		return -1;
	n32_set_foreign_hook(bt_fpu_host_fault);
	bus_init(&mach->bus);
	mach->cpu.machine = mach;

	/* GDT: null, flat code 0x08, flat data 0x10. */
	put_desc(D_TABLES, 0, 0);
	put_desc(D_TABLES + 8, 0x0000ffff, 0x00cf9b00);
	put_desc(D_TABLES + 16, 0x0000ffff, 0x00cf9300);
	/* IDT: 32-bit interrupt gates, DPL 0. */
	for (uint32_t v = 0; v < 32; v++) {
		uint32_t h = D_HANDLERS + 8 * v;
		put_desc(D_TABLES + 0x100 + 8 * v, (0x08u << 16) | (h & 0xffff),
			 (h & 0xffff0000u) | 0x8e00);
	}
	diff_reset_cpu();
	return 0;
}

void diff_fill(uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < NR_REGIONS; i++) {
		uint8_t *p = (uint8_t *)(uintptr_t)regions[i].addr;
		if (!regions[i].compare)
			continue;
		for (uint32_t o = 0; o < regions[i].len; o += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(p + o, &x, 8);
		}
	}
}

static bool exc_has_error(int v)
{
	return v == X86_EXC_DF || (v >= X86_EXC_TS && v <= X86_EXC_PF) ||
	       v == X86_EXC_AC;
}

struct outcome {
	uint32_t regs[8];
	uint32_t eip, eflags;
	int vector;		   /* -1: none */
	uint32_t frame, frame_len; /* interpreter: where the frame went */
	const char *error;	   /* interpreter stopped with an error */
};

/* An XSAVE area (standard format, x87 and SSE) from a FXSAVE image. */
static void put_fpu(uint8_t *area, const uint8_t *fx)
{
	memcpy(area, fx, 512);
	memset(area + 512, 0, 64);
	area[512] = 3; /* XSTATE_BV */
}

/* A FXSAVE image from an XSAVE area, initial-state components explicit. */
static void get_fpu(uint8_t *fx, const uint8_t *area)
{
	memcpy(fx, area, 512);
	if (!(area[512] & 1)) {
		memset(fx, 0, 24);
		fx[0] = 0x7f;
		fx[1] = 0x03;
		memset(fx + 32, 0, 128);
	}
	if (!(area[512] & 2))
		memset(fx + 160, 0, 256);
}

const uint8_t *diff_fpu_interp(void)
{
	return fpu_out_interp;
}

const uint8_t *diff_fpu_host(void)
{
	return fpu_out_host;
}

static void run_interp(const struct dcase *c, struct outcome *o)
{
	struct vcpu *cpu = &mach->cpu;
	enum vcpu_exit r;

	diff_reset_cpu();
	if (c->fpu)
		put_fpu(bt_fpu_area(), c->fpu);
	memcpy(cpu->regs, c->regs, sizeof(cpu->regs));
	cpu->eflags = (c->eflags & (X86_FL_ARITH | X86_FL_DF)) | X86_FL_FIXED1;
	cpu->eip = D_CODE;
	o->vector = -1;
	o->error = NULL;
	for (unsigned steps = 0;; steps++) {
		r = bt_interp_step(cpu);
		if (r != VCPU_EXIT_NONE) {
			o->error = cpu->error[0] ? cpu->error : "engine exit";
			break;
		}
		if (cpu->eip >= D_HANDLERS && cpu->eip < D_HANDLERS + 256) {
			uint32_t sp = cpu->regs[X86_ESP], w[4];
			int v = (int)(cpu->eip - D_HANDLERS) / 8;
			unsigned e = exc_has_error(v);

			memcpy(w, diff_guest(sp), sizeof(w));
			o->vector = v;
			o->frame = sp;
			o->frame_len = 12 + 4 * e;
			cpu->eip = w[e];
			cpu->eflags = w[e + 2];
			cpu->regs[X86_ESP] = sp + o->frame_len;
			break;
		}
		if (!c->repeat || cpu->eip != D_CODE || steps > 100000)
			break;
	}
	memcpy(o->regs, cpu->regs, sizeof(o->regs));
	o->eip = cpu->eip;
	o->eflags = cpu->eflags;
	if (c->fpu)
		get_fpu(fpu_out_interp, bt_fpu_area());
}

static void run_native(const struct dcase *c, struct outcome *o)
{
	struct n32_regs r;
	struct n32_fault f;

	memcpy(r.regs, c->regs, sizeof(r.regs));
	r.eip = D_CODE;
	r.eflags = c->eflags;
	if (c->fpu) {
		put_fpu(host_xsave, c->fpu);
		o->vector = n32_run_fpu(&r, &f, host_xsave) ? f.vector : -1;
		get_fpu(fpu_out_host, host_xsave);
	} else {
		o->vector = n32_run(&r, &f) ? f.vector : -1;
	}
	o->error = NULL;
	memcpy(o->regs, r.regs, sizeof(o->regs));
	o->eip = r.eip;
	o->eflags = r.eflags;
}

static void print_outcome(const char *who, const struct outcome *o)
{
	fprintf(stderr, "  %-7s", who);
	for (int i = 0; i < 8; i++)
		fprintf(stderr, " %s=%08x", reg_names[i], o->regs[i]);
	fprintf(stderr, "\n          eip=%08x fl=%03x", o->eip,
		o->eflags & (X86_FL_ARITH | X86_FL_DF));
	if (o->vector >= 0)
		fprintf(stderr, " exception %d", o->vector);
	if (o->error)
		fprintf(stderr, " error: %s", o->error);
	fprintf(stderr, "\n");
}

static void report(const struct dcase *c, const struct outcome *in,
		   const struct outcome *nat, const char *why, uint32_t addr)
{
	fprintf(stderr, "MISMATCH %s (%s", c->name, why);
	if (addr)
		fprintf(stderr, " at %08x: interp %02x host %02x", addr,
			*diff_guest(addr), *(uint8_t *)(uintptr_t)addr);
	fprintf(stderr, ")\n  bytes  ");
	for (unsigned i = 0; i < c->len; i++)
		fprintf(stderr, " %02x", c->code[i]);
	fprintf(stderr, "\n  input  ");
	for (int i = 0; i < 8; i++)
		fprintf(stderr, " %s=%08x", reg_names[i], c->regs[i]);
	fprintf(stderr, "\n          fl=%03x\n",
		c->eflags & (X86_FL_ARITH | X86_FL_DF));
	print_outcome("interp", in);
	print_outcome("host", nat);
}

/*
 * Flags left out of the comparison. Only the decimal adjusts qualify:
 * they do not exist in 64-bit mode, so the interpreter cannot run them
 * on the host and follows one documented behaviour (interp_bcd.c), which
 * every engine shares (the translator calls the interpreter for them).
 * The host running them in a 32-bit segment may differ exactly in the
 * flags the SDM leaves undefined: DAA/DAS OF; AAA/AAS OF SF ZF PF;
 * AAM/AAD OF AF CF.
 */
static uint32_t undefined_flags(const struct dcase *c)
{
	unsigned i = 0;

	while (i < c->len &&
	       (c->code[i] == 0x66 || c->code[i] == 0x67 ||
		c->code[i] == 0xf2 || c->code[i] == 0xf3 ||
		c->code[i] == 0xf0 || c->code[i] == 0x26 ||
		c->code[i] == 0x2e || c->code[i] == 0x36 ||
		c->code[i] == 0x3e || c->code[i] == 0x64 || c->code[i] == 0x65))
		i++;
	if (i == c->len)
		return 0;
	switch (c->code[i]) {
	case 0x27: /* daa */
	case 0x2f: /* das */
		return X86_FL_OF;
	case 0x37: /* aaa */
	case 0x3f: /* aas */
		return X86_FL_OF | X86_FL_SF | X86_FL_ZF | X86_FL_PF;
	case 0xd4: /* aam */
	case 0xd5: /* aad */
		return X86_FL_OF | X86_FL_AF | X86_FL_CF;
	}
	return 0;
}

static bool skipped(const struct dcase *c, uint32_t addr)
{
	for (unsigned i = 0; i < D_MAX_SKIPS; i++)
		if (addr - c->skip[i].addr < c->skip[i].len)
			return true;
	return false;
}

static void dump_fpu(const char *who, const uint8_t *fx)
{
	fprintf(stderr, "  %-7s", who);
	for (unsigned o = 0; o < 288; o++) {
		if (o == 32 || (o > 32 && o % 16 == 0))
			fprintf(stderr, "\n         ");
		fprintf(stderr, "%02x", fx[o]);
		if (o % 4 == 3)
			fputc(' ', stderr);
	}
	fputc('\n', stderr);
}

/* Everything architectural but the pointers and the opcode (bytes 6-23)
 * and MXCSR_MASK (the model's is 0xffff). */
static bool fpu_same(const struct dcase *c)
{
	const uint8_t *a = fpu_out_interp, *b = fpu_out_host;
	bool same = !memcmp(a, b, 5) && !memcmp(a + 24, b + 24, 4) &&
		    !memcmp(a + 160, b + 160, 128);

	for (unsigned i = 0; i < 8; i++)
		same = same && !memcmp(a + 32 + 16 * i, b + 32 + 16 * i, 10);
	if (!same) {
		dump_fpu("initial", c->fpu);
		dump_fpu("interp", a);
		dump_fpu("host", b);
	}
	return same;
}

bool diff_run(const struct dcase *c, int *vector)
{
	struct outcome in, nat;
	uint8_t *code = (uint8_t *)(uintptr_t)D_CODE;
	const uint32_t flmask =
		(X86_FL_ARITH | X86_FL_DF) & ~undefined_flags(c);

	memcpy(code, c->code, c->len);
	n32_emit_stop(code + c->len, D_CODE + c->len);
	for (unsigned i = 0; i < c->nstops; i++)
		n32_emit_stop((void *)(uintptr_t)c->stops[i], c->stops[i]);
	for (size_t i = 0; i < NR_REGIONS; i++)
		memcpy(diff_guest(regions[i].addr),
		       (void *)(uintptr_t)regions[i].addr, regions[i].len);

	run_interp(c, &in);
	run_native(c, &nat);
	*vector = nat.vector;

	/* The exception frame is the interpreter's doing only. */
	if (in.vector >= 0 && in.frame >= D_STACK &&
	    in.frame + in.frame_len <= D_STACK + D_STACK_LEN)
		memcpy(diff_guest(in.frame), (void *)(uintptr_t)in.frame,
		       in.frame_len);

	if (in.error) {
		report(c, &in, &nat, "interpreter error", 0);
		return false;
	}
	if (in.vector != nat.vector) {
		report(c, &in, &nat, "exception", 0);
		return false;
	}
	if (memcmp(in.regs, nat.regs, sizeof(in.regs)) || in.eip != nat.eip) {
		report(c, &in, &nat, "registers", 0);
		return false;
	}
	if ((in.eflags & flmask) != (nat.eflags & flmask)) {
		report(c, &in, &nat, "flags", 0);
		return false;
	}
	for (size_t i = 0; i < NR_REGIONS; i++) {
		const struct region *r = &regions[i];
		const uint8_t *h = (const uint8_t *)(uintptr_t)r->addr;
		const uint8_t *g = diff_guest(r->addr);

		if (!r->compare || !memcmp(h, g, r->len))
			continue;
		for (uint32_t o = 0; o < r->len; o++)
			if (h[o] != g[o] && !skipped(c, r->addr + o)) {
				report(c, &in, &nat, "memory", r->addr + o);
				return false;
			}
	}
	if (c->fpu && !fpu_same(c)) {
		report(c, &in, &nat, "FPU state", 0);
		return false;
	}
	return true;
}

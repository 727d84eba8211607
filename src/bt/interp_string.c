/*
 * interp_string.c - MOVS CMPS STOS LODS SCAS, with REP / REPE / REPNE.
 *
 * The address size selects (E)SI, (E)DI and (E)CX; the source is
 * seg:(E)SI where a segment override applies, the destination is always
 * ES:(E)DI; DF chooses the direction. With a REP prefix and (E)CX = 0
 * nothing happens. F2 on MOVS/STOS/LODS repeats like F3.
 *
 * Each iteration does its memory accesses before it updates registers,
 * and commits (E)SI/(E)DI/(E)CX as it ends, as the hardware does: a fault
 * in iteration k leaves the registers of iteration k-1 and EIP at the
 * instruction, so it resumes. For the same reason a long REP runs at most
 * REP_CHUNK iterations per execution and then leaves EIP at the
 * instruction, so that the loop can take interrupts between chunks and
 * simply executes it again.
 *
 * REP MOVS and REP STOS with 32-bit addresses go a page at a time where
 * they can (bulk()): when the elements up to the next page boundary of
 * each operand lie in plain RAM that the access may use, they are copied
 * or filled at once. Everything else, and the element that faults, goes
 * one element at a time.
 */
#include <string.h>

#include "bt/interp_flags.h"
#include "bt/interp_int.h"

#define REP_CHUNK 4096

struct str {
	unsigned size;	/* element size: 1, 2, 4 */
	unsigned asz;	/* address size: 2 or 4 */
	uint32_t delta; /* +size or -size per DF */
	int src;	/* source segment */
};

static void advance(struct vcpu *cpu, const struct str *s, unsigned reg)
{
	int_set_areg(cpu, reg, s->asz, int_areg(cpu, reg, s->asz) + s->delta);
}

static uint32_t src_read(struct vcpu *cpu, const struct str *s)
{
	return interp_read(cpu, s->src, int_areg(cpu, X86_ESI, s->asz),
			   s->size);
}

static uint32_t dst_read(struct vcpu *cpu, const struct str *s)
{
	return interp_read(cpu, X86_ES, int_areg(cpu, X86_EDI, s->asz),
			   s->size);
}

static void compare(struct vcpu *cpu, const struct str *s, uint32_t a,
		    uint32_t b)
{
	static const hf_bin_fn fn[3] = hf_tab3(cmp);
	uint32_t fl = cpu->eflags;

	fn[hf_idx(s->size)](a, b, &fl);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

/* One iteration of the string operation `op`. */
static void step(struct vcpu *cpu, unsigned op, const struct str *s)
{
	uint32_t a, b;

	switch (op) {
	case X86_OP_MOVS:
		a = src_read(cpu, s);
		interp_write(cpu, X86_ES, int_areg(cpu, X86_EDI, s->asz),
			     s->size, a);
		advance(cpu, s, X86_ESI);
		advance(cpu, s, X86_EDI);
		break;
	case X86_OP_CMPS:
		a = src_read(cpu, s);
		b = dst_read(cpu, s);
		compare(cpu, s, a, b);
		advance(cpu, s, X86_ESI);
		advance(cpu, s, X86_EDI);
		break;
	case X86_OP_STOS:
		interp_write(cpu, X86_ES, int_areg(cpu, X86_EDI, s->asz),
			     s->size, interp_reg_get(cpu, X86_EAX, s->size));
		advance(cpu, s, X86_EDI);
		break;
	case X86_OP_LODS:
		a = src_read(cpu, s);
		interp_reg_put(cpu, X86_EAX, s->size, a);
		advance(cpu, s, X86_ESI);
		break;
	default: /* SCAS */
		b = dst_read(cpu, s);
		compare(cpu, s, interp_reg_get(cpu, X86_EAX, s->size), b);
		advance(cpu, s, X86_EDI);
		break;
	}
}

/*
 * Elements of REP MOVS/STOS done at once, up to the next page boundary of
 * either operand (0: go element by element). MOVS whose operands overlap
 * is left to the element loop, whose order the guest may depend on.
 */
static uint32_t bulk(struct vcpu *cpu, unsigned op, const struct str *s,
		     uint32_t count)
{
	uint32_t edi = cpu->regs[X86_EDI], esi = cpu->regs[X86_ESI];
	uint32_t n = count, room;
	uint8_t *dst, *src = NULL;

	if (s->asz != 4 || (cpu->eflags & X86_FL_DF))
		return 0;
	room = (0x1000 - (edi & 0xfff)) / s->size;
	n = n < room ? n : room;
	if (op == X86_OP_MOVS) {
		room = (0x1000 - (esi & 0xfff)) / s->size;
		n = n < room ? n : room;
	}
	if (n < 2)
		return 0;
	if (op == X86_OP_MOVS) {
		src = interp_span(cpu, s->src, esi, n * s->size, false);
		if (!src)
			return 0;
	}
	dst = interp_span(cpu, X86_ES, edi, n * s->size, true);
	if (!dst)
		return 0;
	if (op == X86_OP_MOVS) {
		if (dst < src + n * s->size && src < dst + n * s->size)
			return 0;
		memcpy(dst, src, n * s->size);
		cpu->regs[X86_ESI] = esi + n * s->size;
	} else if (s->size == 1 ||
		   (cpu->regs[X86_EAX] & ((1ull << (8 * s->size)) - 1)) ==
			   (cpu->regs[X86_EAX] & 0xff) *
				   (s->size == 2 ? 0x0101u : 0x01010101u)) {
		/* One repeated byte (a page cleared with zeros). */
		memset(dst, (int)(cpu->regs[X86_EAX] & 0xff), n * s->size);
	} else if (s->size == 2) {
		uint16_t v = (uint16_t)cpu->regs[X86_EAX];

		for (uint32_t i = 0; i < n; i++)
			memcpy(dst + i * 2, &v, 2);
	} else {
		uint32_t v = cpu->regs[X86_EAX];

		for (uint32_t i = 0; i < n; i++)
			memcpy(dst + i * 4, &v, 4);
	}
	cpu->regs[X86_EDI] = edi + n * s->size;
	return n;
}

static void op_string(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned op = in->info->op;
	struct str s = {
		.size = (in->opcode & 1) ? in->opsize : 1,
		.asz = in->addrsize,
		.src = in->seg,
	};
	bool cond = op == X86_OP_CMPS || op == X86_OP_SCAS;
	bool repne =
		(in->prefixes & X86_P_REPNE) && !(in->prefixes & X86_P_REP);

	s.delta = (cpu->eflags & X86_FL_DF) ? -s.size : s.size;
	if (!(in->prefixes & (X86_P_REP | X86_P_REPNE))) {
		step(cpu, op, &s);
		return;
	}
	for (unsigned n = 0; n < REP_CHUNK;) {
		uint32_t count = int_areg(cpu, X86_ECX, s.asz), done;

		if (count == 0)
			return;
		if ((op == X86_OP_MOVS || op == X86_OP_STOS) &&
		    (done = bulk(cpu, op, &s, count)) != 0) {
			int_set_areg(cpu, X86_ECX, s.asz, count - done);
			n += done;
			continue;
		}
		step(cpu, op, &s);
		int_set_areg(cpu, X86_ECX, s.asz, count - 1);
		n++;
		if (cond && !(cpu->eflags & X86_FL_ZF) != repne)
			return;
	}
	if (int_areg(cpu, X86_ECX, s.asz) != 0)
		cpu->eip = cpu->insn_eip;
}

void interp_register_string(interp_fn *table)
{
	table[X86_OP_MOVS] = op_string;
	table[X86_OP_CMPS] = op_string;
	table[X86_OP_STOS] = op_string;
	table[X86_OP_LODS] = op_string;
	table[X86_OP_SCAS] = op_string;
}

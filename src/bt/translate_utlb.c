/*
 * translate_utlb.c - guest user code that reaches memory through a
 * software TLB instead of host mappings.
 *
 * Blocks of mode key BT_KEY_UTLB (CPL 3 code of an address space the
 * translator runs without a user view, docs/user-code-engine.md) check
 * every guest access against cpu->bt.utlb_*, a software TLB of CPL 3
 * accesses (utlb.c), and access guest RAM through physmap. A page fault, an MMIO page, a write to a watched frame
 * (page table, translated code), a clean page's first write and an access
 * across a page boundary all miss. A miss stub first tries to fill the
 * entry (a page walk, as the interpreter's TLB does, which never sets a
 * Dirty bit) and starts the instruction again; when that cannot make the
 * check hit, the interpreter runs the whole instruction and the block
 * exits. So the guest's
 * paging is enforced by the same code as under --engine=interp, and no
 * guest page fault and no guest PTE change costs a host signal or a host
 * mapping call.
 *
 * The check of an access of `size` bytes at the linear address in R (a
 * scratch register, zero-extended), without touching the guest's flags:
 *
 *	rorx r13d, R32, 12; movzx r13d, r13b	; index: linear bits 12-19
 *	mov r11, rcx				; jecxz needs rcx
 *	mov rcx, [r15 + r13*8 + utlb_read/write]	; -(page << 12)
 *	lea rcx, [rcx + R + size - 1]		; last byte - page start
 *	rorx rcx, rcx, 12			; ecx = its bits 12-43
 *	jecxz 1f
 *	jmp miss
 *   1:	mov rcx, r11
 *	mov r13, [r15 + r13*8 + utlb_addend]
 *	lea R, [R + r13]			; the host address
 *
 * ecx is zero iff the last byte lies in the entry's page: that difference
 * is in [0, 4096) on a hit; a later page gives bits 12-43 set, an earlier
 * one (a negative difference above -2^32) bits 32-43, an empty entry
 * (2^40) bit 40. The first byte is then in the same page: it is at most
 * size - 1 bytes lower, and the previous page has another index.
 *
 * Every check of an instruction comes before its first change of guest
 * state, so the miss path can hand the whole instruction to the
 * interpreter. A write check uses the write tags, which exist only for
 * pages the guest lets CPL 3 write, Dirty, RAM and not watched; an access
 * whose kind is unknown counts as a write (a read then only misses more).
 */
#include <string.h>

#include "bt/translate_priv.h"
#include "monitor/stats.h"

/* Operand index of the ModRM memory operand, or -1. */
static int mem_operand(const struct x86_insn *in)
{
	for (unsigned i = 0; i < in->info->nr_operands; i++)
		switch (in->info->operand[i].kind) {
		case OPK_E:
		case OPK_M:
		case OPK_Q:
		case OPK_W:
		case OPK_O:
			return (int)i;
		default:
			break;
		}
	return -1;
}

/* x87 memory forms (D8-DF, mod != 3): bytes accessed (an upper bound for
 * the 16-bit environment forms) and whether memory is written; size 0:
 * not a memory form. Index: (opcode - 0xd8) * 8 + ModRM.reg. */
/* clang-format off */
static const struct {
	uint8_t size, write;
} x87_access[64] = {
	/* D8: m32fp arithmetic */
	{4, 0}, {4, 0}, {4, 0}, {4, 0}, {4, 0}, {4, 0}, {4, 0}, {4, 0},
	/* D9: fld, -, fst, fstp, fldenv, fldcw, fnstenv, fnstcw */
	{4, 0}, {0, 0}, {4, 1}, {4, 1}, {28, 0}, {2, 0}, {28, 1}, {2, 1},
	/* DA: m32int arithmetic */
	{4, 0}, {4, 0}, {4, 0}, {4, 0}, {4, 0}, {4, 0}, {4, 0}, {4, 0},
	/* DB: fild, fisttp, fist, fistp, -, fld m80, -, fstp m80 */
	{4, 0}, {4, 1}, {4, 1}, {4, 1}, {0, 0}, {10, 0}, {0, 0}, {10, 1},
	/* DC: m64fp arithmetic */
	{8, 0}, {8, 0}, {8, 0}, {8, 0}, {8, 0}, {8, 0}, {8, 0}, {8, 0},
	/* DD: fld, fisttp, fst, fstp, frstor, -, fnsave, fnstsw */
	{8, 0}, {8, 1}, {8, 1}, {8, 1}, {108, 0}, {0, 0}, {108, 1}, {2, 1},
	/* DE: m16int arithmetic */
	{2, 0}, {2, 0}, {2, 0}, {2, 0}, {2, 0}, {2, 0}, {2, 0}, {2, 0},
	/* DF: fild, fisttp, fist, fistp, fbld, fild m64, fbstp, fistp m64 */
	{2, 0}, {2, 1}, {2, 1}, {2, 1}, {10, 0}, {8, 0}, {10, 1}, {8, 1},
};
/* clang-format on */

/* Instructions whose memory operand, though first, is only read. */
static bool reads_first_operand(const struct x86_insn *in)
{
	switch (in->info->op) {
	case X86_OP_CMP:
	case X86_OP_TEST:
	case X86_OP_MUL:
	case X86_OP_IMUL1:
	case X86_OP_DIV:
	case X86_OP_IDIV:
		return true;
	case X86_OP_BT:
		return true; /* immediate bit offset only (below) */
	default:
		return false;
	}
}

/*
 * The one access an IDENT instruction with a ModRM or moffs memory
 * operand makes: its size (an upper bound is fine) and whether it may
 * write. False when the access is elsewhere or unknown: string
 * instructions and xlat, bt* with a register bit offset (it reaches past
 * the operand), maskmov (it writes at EDI), clflush, encodings without
 * operand tables.
 */
static bool ident_access(const struct x86_insn *in, unsigned *size, bool *write)
{
	int m;

	if (in->enc != X86_ENC_LEGACY || in->addrsize != 4)
		return false;
	switch (in->info->op) {
	case X86_OP_X87:
		if (in->map != 0 || in->opcode < 0xd8 || in->mod == 3)
			return false;
		*size = x87_access[(in->opcode - 0xd8) * 8 + in->reg].size;
		*write = x87_access[(in->opcode - 0xd8) * 8 + in->reg].write;
		return *size != 0;
	case X86_OP_FXSAVE:
	case X86_OP_FXRSTOR:
		*size = 512;
		*write = in->info->op == X86_OP_FXSAVE;
		return true;
	case X86_OP_LDMXCSR:
	case X86_OP_STMXCSR:
		*size = 4;
		*write = in->info->op == X86_OP_STMXCSR;
		return true;
	case X86_OP_BT:
	case X86_OP_BTS:
	case X86_OP_BTR:
	case X86_OP_BTC:
		if (in->info->operand[1].kind != OPK_I &&
		    in->info->operand[1].kind != OPK_IS)
			return false;
		break;
	case X86_OP_CLFLUSH:
	case X86_OP_XLAT:
	case X86_OP_OTHER:
		return false;
	default:
		break;
	}
	if ((in->info->op == X86_OP_MMX || in->info->op == X86_OP_SSE) &&
	    in->map == 1 && in->opcode == 0xf7)
		return false; /* maskmovq / maskmovdqu */
	m = mem_operand(in);
	if (m < 0 || in->info->operand[m].size == SZ_X)
		return false;
	*size = x86_operand_bytes(in, (unsigned)m);
	*write = m == 0 && !reads_first_operand(in);
	return *size > 0 && *size <= 16;
}

/*
 * The check (file comment) of `size` bytes at the linear address in `reg`
 * (r9 or r14); on a hit `reg` holds the host address. The jump to the
 * miss path is recorded in x->utlb_miss for utlb_epilogue().
 */
static void utlb_check(struct xlate *x, unsigned reg, unsigned size, bool write)
{
	struct emit *e = &x->e;
	int32_t tags = write ? OFF(bt.utlb_write) : OFF(bt.utlb_read);

	if (x->n_utlb_miss >= sizeof(x->utlb_miss) / sizeof(x->utlb_miss[0])) {
		e->overflow = true;
		return;
	}
	/* rorx r13d, reg32, 12 */
	emit_bytes(e, (const uint8_t[]){0xc4, 0x43, 0x7b, 0xf0}, 4);
	emit_u8(e, (uint8_t)(0xc0 | ((HR_R13 & 7) << 3) | (reg & 7)));
	emit_u8(e, 12);
	/* movzx r13d, r13b */
	emit_bytes(e, (const uint8_t[]){0x45, 0x0f, 0xb6, 0xed}, 4);
	emit_mov_rr64(e, HR_R11, HR_RCX);
	/* mov rcx, [r15 + r13*8 + tags] */
	emit_bytes(e, (const uint8_t[]){0x4b, 0x8b, 0x8c, 0xef}, 4);
	emit_u32(e, (uint32_t)tags);
	/* lea rcx, [rcx + reg + size - 1] */
	emit_bytes(e, (const uint8_t[]){0x4a, 0x8d}, 2);
	if (size - 1 < 128) {
		emit_u8(e, 0x4c);
		emit_u8(e, (uint8_t)(((reg & 7) << 3) | 1));
		emit_u8(e, (uint8_t)(size - 1));
	} else {
		emit_u8(e, 0x8c);
		emit_u8(e, (uint8_t)(((reg & 7) << 3) | 1));
		emit_u32(e, size - 1);
	}
	/* rorx rcx, rcx, 12; jecxz 1f; jmp miss */
	emit_bytes(e, (const uint8_t[]){0xc4, 0xe3, 0xfb, 0xf0, 0xc9, 0x0c}, 6);
	emit_bytes(e, (const uint8_t[]){0x67, 0xe3, 0x05}, 3);
	x->utlb_miss[x->n_utlb_miss].reg = (uint8_t)reg;
	x->utlb_miss[x->n_utlb_miss].size = (uint16_t)size;
	x->utlb_miss[x->n_utlb_miss].write = write;
	x->utlb_miss[x->n_utlb_miss++].jump = emit_jmp(e, e->p);
	/* 1: mov rcx, r11; mov r13, [r15 + r13*8 + addend] */
	emit_mov_rr64(e, HR_RCX, HR_R11);
	emit_bytes(e, (const uint8_t[]){0x4f, 0x8b, 0xac, 0xef}, 4);
	emit_u32(e, (uint32_t)OFF(bt.utlb_addend));
	/* lea reg, [reg + r13] */
	emit_bytes(e, (const uint8_t[]){0x4f, 0x8d}, 2);
	emit_u8(e, (uint8_t)(((reg & 7) << 3) | 4));
	emit_u8(e, (uint8_t)(((HR_R13 & 7) << 3) | (reg & 7)));
}

/* r14d = the linear address of the memory operand (ModRM or moffs), plus
 * the FS/GS base when overridden (the caller checked it is inline-able). */
static bool emit_linear(struct xlate *x, const struct x86_insn *in,
			const uint8_t *bytes)
{
	struct emit *e = &x->e;

	if (in->info->flags & X86_F_MODRM) {
		if (!emit_with_guest_mem(x, in, bytes, 0x8d, HR_R14))
			return false;
	} else if (in->info->operand[0].kind == OPK_O ||
		   in->info->operand[1].kind == OPK_O) {
		emit_mov_imm32(e, HR_R14, (uint32_t)in->disp);
	} else {
		return false;
	}
	if ((in->prefixes & X86_P_SEG) &&
	    (in->seg == X86_FS || in->seg == X86_GS)) {
		emit_load32(e, HR_R13, HR_R15, OFF(seg[in->seg].base));
		/* lea r14d, [r14 + r13] (32-bit: wraps like the guest) */
		emit_bytes(e, (const uint8_t[]){0x67, 0x47, 0x8d, 0x34, 0x2e},
			   5);
	}
	return true;
}

bool utlb_emit_ident(struct xlate *x, unsigned i, uint32_t eip,
		     const uint8_t *bytes)
{
	const struct x86_insn *in = &x->insn[i];
	struct emit *e = &x->e;
	unsigned size;
	bool write;

	if (!ident_access(in, &size, &write) || !emit_linear(x, in, bytes))
		return false;
	utlb_check(x, HR_R14, size, write);
	if (in->info->flags & X86_F_MODRM) {
		if (!emit_ident(x, in, bytes, HR_R14 | MEM_HOST))
			return false;
	} else {
		/* mov AL/eAX <-> moffs (A0-A3): through [r14]. */
		static const uint8_t mov_op[4] = {0x8a, 0x8b, 0x88, 0x89};

		if (in->map != 0 || in->opcode < 0xa0 || in->opcode > 0xa3)
			return false;
		if ((in->opcode & 1) && in->opsize == 2)
			emit_u8(e, 0x66);
		emit_op_mem(e, false, &mov_op[in->opcode - 0xa0], 1, HR_RAX,
			    HR_R14, 0);
	}
	utlb_epilogue(x, i, eip);
	return true;
}

/* The stack window of an INLINE instruction relative to ESP. */
static bool stack_window(const struct x86_insn *in, int32_t *lo, unsigned *size,
			 bool *write)
{
	switch (in->info->op) {
	case X86_OP_CALL:
	case X86_OP_CALL_IND:
	case X86_OP_PUSH:
	case X86_OP_PUSHF:
	case X86_OP_PUSH_SREG:
		*lo = -4, *size = 4, *write = true;
		return true;
	case X86_OP_POP:
	case X86_OP_RET:
		*lo = 0, *size = 4, *write = false;
		return true;
	case X86_OP_PUSHA:
		*lo = -32, *size = 32, *write = true;
		return true;
	case X86_OP_POPA:
		*lo = 0, *size = 32, *write = false;
		return true;
	default:
		return false;
	}
}

bool utlb_inline_prologue(struct xlate *x, const struct x86_insn *in,
			  const uint8_t *bytes)
{
	struct emit *e = &x->e;
	int32_t lo;
	unsigned size;
	bool write;

	/* The memory operand first (push/pop/call/jmp r/m32), then leave's
	 * [EBP], then the stack window. */
	if (in->info->op == X86_OP_LEAVE) {
		emit_lea32(e, HR_R14, HR_RBP, 0);
		utlb_check(x, HR_R14, 4, false);
	} else if (in->has_mem && in->mod != 3 &&
		   (in->info->flags & X86_F_MODRM)) {
		if (!emit_with_guest_mem(x, in, bytes, 0x8d, HR_R14))
			return false;
		/* call/jmp through FS or GS (push and pop with an
		 * override are not INLINE): add the base. */
		if ((in->prefixes & X86_P_SEG) &&
		    (in->seg == X86_FS || in->seg == X86_GS)) {
			emit_load32(e, HR_R13, HR_R15, OFF(seg[in->seg].base));
			/* lea r14d, [r14 + r13] */
			emit_bytes(
				e,
				(const uint8_t[]){0x67, 0x47, 0x8d, 0x34, 0x2e},
				5);
		}
		utlb_check(x, HR_R14, 4, in->info->op == X86_OP_POP);
	}
	if (stack_window(in, &lo, &size, &write)) {
		emit_lea32(e, HR_R9, HR_R12, lo);
		utlb_check(x, HR_R9, size, write);
		e->stack_host = HR_R9;
		e->stack_lo = lo;
	}
	return true;
}

void utlb_epilogue(struct xlate *x, unsigned i, uint32_t eip)
{
	struct emit *e = &x->e;
	uint8_t *to_done;

	if (!x->n_utlb_miss || e->overflow)
		return;
	to_done = emit_jmp(e, e->p);
	for (unsigned k = 0; k < x->n_utlb_miss; k++) {
		struct bt_callout *co;

		patch_rel32(x->utlb_miss[k].jump, e->p);
		emit_mov_rr64(e, HR_RCX, HR_R11);
		emit_store32(e, x->utlb_miss[k].reg, HR_R15, OFF(bt.utlb_lin));
		co = emit_callout(x, i, eip, BT_CAT_UTLB_MISS);
		if (!co)
			break;
		co->utlb_size = x->utlb_miss[k].size;
		co->utlb_write = x->utlb_miss[k].write;
		/* Filled: the whole instruction again (nothing changed). */
		emit_jmp(e, x->insn_start);
	}
	x->n_utlb_miss = 0;
	if (e->overflow)
		return;
	patch_rel32(to_done, e->p);
}

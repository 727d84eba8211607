/*
 * translate_utlb.c - guest code that reaches memory through a software
 * TLB instead of host mappings.
 *
 * Blocks of mode key BT_KEY_TLB check every guest access against a
 * software TLB (utlb.c) and access guest RAM through physmap: CPL 3 code
 * of an address space the translator runs without a user view against
 * the user TLB (docs/user-code-engine.md), kernel code under --kernel-tlb
 * against the kernel TLB (docs/shadow-paging.md). A page fault, an MMIO
 * page, a write to a watched frame (page table, translated code) and an
 * access across a page boundary all miss. A miss stub first tries to
 * fill the entry (a page walk, as the interpreter's TLB does; a write's
 * sets Dirty, since the write follows at once) and starts the
 * instruction again; when that cannot make the check hit, the
 * interpreter runs the whole instruction and the block exits. So the
 * guest's paging is enforced by the same code as under --engine=interp,
 * and no guest page fault and no guest PTE change costs a host signal or
 * a host mapping call.
 *
 * The check of an access of `size` bytes at the linear address in R (a
 * scratch register, zero-extended), without touching the guest's flags:
 *
 *	rorx r13d, R32, 12; movzx r13d, r13b	; index: linear bits 12-19
 *					; (r13w, bits 12-27: kernel TLB)
 *	mov r11, rcx				; jecxz needs rcx
 *	mov rcx, [r15 + r13*8 + tlb.read/write]	; -(page << 12)
 *	lea rcx, [rcx + R + size - 1]		; last byte - page start
 *	rorx rcx, rcx, 12			; ecx = its bits 12-43
 *	jecxz 1f
 *	jmp miss
 *   1:	mov rcx, r11
 *	mov r13, [r15 + r13*8 + tlb.addend]
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
 * pages the table's privilege may write, Dirty, RAM and not watched; an
 * IDENT access counts as a write when its memory operand is the first
 * (reads_first_operand lists the exceptions), as its hardware access
 * does. The write check of an instruction is its last one (the miss
 * sets Dirty for the write that follows).
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
static void utlb_check_range(struct xlate *x, unsigned reg, unsigned size,
			     bool write, bool rep)
{
	struct emit *e = &x->e;
	unsigned k = BT_KEY_USER(x->key) ? BT_TLB_USER : BT_TLB_KERNEL;
	int32_t tags = write ? OFF(bt.tlb[k].write) : OFF(bt.tlb[k].read);

	if (x->n_utlb_miss >= sizeof(x->utlb_miss) / sizeof(x->utlb_miss[0])) {
		e->overflow = true;
		return;
	}
	/* rorx r13d, reg32, 12 */
	emit_bytes(e, (const uint8_t[]){0xc4, 0x43, 0x7b, 0xf0}, 4);
	emit_u8(e, (uint8_t)(0xc0 | ((HR_R13 & 7) << 3) | (reg & 7)));
	emit_u8(e, 12);
	/* movzx r13d, r13b (user TLB) or r13w (kernel TLB) */
	emit_bytes(e,
		   (const uint8_t[]){0x45, 0x0f, k == BT_TLB_USER ? 0xb6 : 0xb7,
				     0xed},
		   4);
	emit_mov_rr64(e, HR_R11, HR_RCX);
	/* mov rcx, [r15 + r13*8 + tags] */
	emit_bytes(e, (const uint8_t[]){0x4b, 0x8b, 0x8c, 0xef}, 4);
	emit_u32(e, (uint32_t)tags);
	/*
	 * lea rcx, [rcx + reg + size - 1]. A string run may be longer than
	 * a page, so that its first byte's index says nothing about where
	 * its last byte is: both ends are checked against the entry.
	 *
	 *	lea rcx, [rcx + reg]; rorx rcx, rcx, 12; jecxz 1f; jmp 2f
	 *   1:	mov rcx, [r15 + r13*8 + tags]
	 *	lea rcx, [rcx + reg]; lea rcx, [rcx + r10]	; r10: bytes - 1
	 *	(then as below: rorx, jecxz hit, 2: jmp miss)
	 */
	emit_bytes(e, (const uint8_t[]){0x4a, 0x8d}, 2);
	if (rep) {
		uint8_t *to_miss;

		emit_u8(e, 0x0c);
		emit_u8(e, (uint8_t)(((reg & 7) << 3) | 1));
		emit_bytes(e,
			   (const uint8_t[]){0xc4, 0xe3, 0xfb, 0xf0, 0xc9, 0x0c,
					     0x67, 0xe3, 0x02, 0xeb, 0x00},
			   11);
		to_miss = e->p - 1;
		emit_bytes(e, (const uint8_t[]){0x4b, 0x8b, 0x8c, 0xef}, 4);
		emit_u32(e, (uint32_t)tags);
		emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x0c}, 3);
		emit_u8(e, (uint8_t)(((reg & 7) << 3) | 1));
		emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x0c, 0x11}, 4);
		/* to the jmp miss below: rorx (6), jecxz (3) */
		*to_miss = (uint8_t)(e->p + 9 - (to_miss + 1));
	} else if (size - 1 < 128) {
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
	x->utlb_miss[x->n_utlb_miss].rep = rep;
	x->utlb_miss[x->n_utlb_miss++].jump = emit_jmp(e, e->p);
	/* 1: mov rcx, r11; mov r13, [r15 + r13*8 + addend] */
	emit_mov_rr64(e, HR_RCX, HR_R11);
	emit_bytes(e, (const uint8_t[]){0x4f, 0x8b, 0xac, 0xef}, 4);
	emit_u32(e, (uint32_t)OFF(bt.tlb[k].addend));
	/* lea reg, [reg + r13] */
	emit_bytes(e, (const uint8_t[]){0x4f, 0x8d}, 2);
	emit_u8(e, (uint8_t)(((reg & 7) << 3) | 4));
	emit_u8(e, (uint8_t)(((HR_R13 & 7) << 3) | (reg & 7)));
}

void utlb_check(struct xlate *x, unsigned reg, unsigned size, bool write)
{
	utlb_check_range(x, reg, size, write, false);
}

/*
 * Kernel code may use a null FS or GS (the mode key allows it): an access
 * through it is #GP(0). Such a segment has limit 0 (any other that runs
 * inline has 4 GiB), and then the access takes a miss stub whose fill
 * always declines, so the interpreter raises the #GP.
 *
 *	mov r11, rcx; mov ecx, [r15 + seg.limit]; jrcxz 1f
 *	mov rcx, r11; jmp 2f
 *   1:	jmp miss
 *   2:
 */
static void null_seg_miss(struct xlate *x, unsigned sreg)
{
	struct emit *e = &x->e;

	if (BT_KEY_USER(x->key))
		return;
	if (x->n_utlb_miss >= sizeof(x->utlb_miss) / sizeof(x->utlb_miss[0])) {
		e->overflow = true;
		return;
	}
	emit_mov_rr64(e, HR_R11, HR_RCX);
	emit_load32(e, HR_RCX, HR_R15, OFF(seg[sreg].limit));
	emit_bytes(e, (const uint8_t[]){0xe3, 0x05}, 2);
	emit_mov_rr64(e, HR_RCX, HR_R11);
	emit_bytes(e, (const uint8_t[]){0xeb, 0x05}, 2);
	x->utlb_miss[x->n_utlb_miss].reg = HR_R14;
	x->utlb_miss[x->n_utlb_miss].size = BT_UTLB_NEVER;
	x->utlb_miss[x->n_utlb_miss].write = false;
	x->utlb_miss[x->n_utlb_miss].rep = false;
	x->utlb_miss[x->n_utlb_miss++].jump = emit_jmp(e, e->p);
}

/* r14d = the linear address of the memory operand (ModRM or moffs), plus
 * the FS/GS base when overridden (the caller checked it is inline-able). */
bool utlb_linear(struct xlate *x, const struct x86_insn *in,
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
		null_seg_miss(x, in->seg);
	}
	return true;
}

/*
 * movs/stos/lods/scas/cmps, once or with REP, with flat segments and
 * 32-bit addresses. When each operand's whole run lies in one page that
 * the TLB lets it access, the host instruction runs on host addresses;
 * otherwise the miss path's fill declines and the interpreter runs it.
 * With REP the run is ECX elements, upwards from the first one or, with
 * DF set, downwards; repe/repne scas and cmps may stop before (strlen's
 * repne scasb with ECX = -1 always goes to the interpreter).
 *
 *	(rep) jecxz done
 *	(rep) lea r10, [rcx * size - 1]			; the run's bytes - 1
 *	(src) mov r14d, esi; (dst) mov r9d, edi
 *	(rep) pushfq; bt dword [rsp], 10; jnc 1f	; DF
 *	(rep)	not r10; lea r14, [r14 + r10 + size]; lea r9, [...]; not r10
 *	(rep) 1: popfq					; the run's lowest byte
 *	(src) <check r14>; mov r8, r13			; r13: the addend
 *	(dst) <check r9>
 *	(src) lea rsi, [rsi + r8]; (dst) lea rdi, [rdi + r13]
 *	<the instruction: 64-bit addresses and count>
 *	(src) not r8; lea rsi, [rsi + r8 + 1]; mov esi, esi
 *	(dst) not r13; lea rdi, [rdi + r13 + 1]; mov edi, edi
 * done:
 *
 * The guest's ECX has a zero upper half in RCX, and RSI - addend is the
 * new linear address (not and lea leave the flags alone; popfq gives
 * back the CF that bt took).
 */
static bool utlb_emit_string(struct xlate *x, unsigned i, uint32_t eip,
			     const uint8_t *bytes)
{
	const struct x86_insn *in = &x->insn[i];
	struct emit *e = &x->e;
	unsigned op = in->info->op;
	bool rep = in->prefixes & (X86_P_REP | X86_P_REPNE);
	bool src = op == X86_OP_MOVS || op == X86_OP_CMPS || op == X86_OP_LODS;
	bool dst = op != X86_OP_LODS;
	bool dst_write = op == X86_OP_MOVS || op == X86_OP_STOS;
	unsigned size = (in->opcode & 1) ? in->opsize : 1;
	uint8_t *to_zero = NULL, *to_up;

	if (!(x->key & BT_KEY_FLAT) || in->addrsize != 4 ||
	    in->enc != X86_ENC_LEGACY || in->map != 0 ||
	    ((in->prefixes & X86_P_SEG) && in->seg != X86_DS &&
	     in->seg != X86_ES && in->seg != X86_SS))
		return false;
	if (rep) {
		/* jecxz 1f; jmp 2f; 1: jmp done; 2: */
		emit_bytes(e, (const uint8_t[]){0x67, 0xe3, 0x02, 0xeb, 0x05},
			   5);
		to_zero = emit_jmp(e, e->p);
		/* lea r10, [rcx * size - 1] */
		emit_bytes(e, (const uint8_t[]){0x4c, 0x8d, 0x14}, 3);
		emit_u8(e, (uint8_t)(((size == 4   ? 2
				       : size == 2 ? 1
						   : 0)
				      << 6) |
				     (1 << 3) | 5));
		emit_u32(e, 0xffffffffu);
	}
	if (src)
		emit_mov_rr32(e, HR_R14, HR_RSI);
	if (dst)
		emit_mov_rr32(e, HR_R9, HR_RDI);
	if (rep) {
		/* pushfq; bt dword [rsp], 10; jnc 1f */
		emit_bytes(e,
			   (const uint8_t[]){0x9c, 0x0f, 0xba, 0x24, 0x24, 0x0a,
					     0x73, 0x00},
			   8);
		to_up = e->p - 1;
		emit_bytes(e, (const uint8_t[]){0x49, 0xf7, 0xd2}, 3);
		if (src) /* lea r14, [r14 + r10 + size] */
			emit_bytes(e,
				   (const uint8_t[]){0x4f, 0x8d, 0x74, 0x16,
						     (uint8_t)size},
				   5);
		if (dst) /* lea r9, [r9 + r10 + size] */
			emit_bytes(e,
				   (const uint8_t[]){0x4f, 0x8d, 0x4c, 0x11,
						     (uint8_t)size},
				   5);
		emit_bytes(e, (const uint8_t[]){0x49, 0xf7, 0xd2}, 3);
		*to_up = (uint8_t)(e->p - (to_up + 1));
		emit_u8(e, 0x9d); /* popfq */
	}
	if (src) {
		utlb_check_range(x, HR_R14, size, false, rep);
		emit_mov_rr64(e, HR_R8, HR_R13);
	}
	if (dst)
		utlb_check_range(x, HR_R9, size, dst_write, rep);
	if (src) /* lea rsi, [rsi + r8] */
		emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x34, 0x06}, 4);
	if (dst) /* lea rdi, [rdi + r13] */
		emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x3c, 0x2f}, 4);
	emit_guest_prefixes(e, in, bytes);
	emit_u8(e, bytes[in->prefix_len]);
	if (src) {
		/* not r8; lea rsi, [rsi + r8 + 1]; mov esi, esi */
		emit_bytes(e, (const uint8_t[]){0x49, 0xf7, 0xd0}, 3);
		emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x74, 0x06, 0x01},
			   5);
		emit_bytes(e, (const uint8_t[]){0x89, 0xf6}, 2);
	}
	if (dst) {
		/* not r13; lea rdi, [rdi + r13 + 1]; mov edi, edi */
		emit_bytes(e, (const uint8_t[]){0x49, 0xf7, 0xd5}, 3);
		emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x7c, 0x2f, 0x01},
			   5);
		emit_bytes(e, (const uint8_t[]){0x89, 0xff}, 2);
	}
	if (to_zero)
		patch_rel32(to_zero, e->p);
	utlb_epilogue(x, i, eip);
	return true;
}

/* xlat: AL = [EBX + AL] (flat DS or an override the key allows). */
static bool utlb_emit_xlat(struct xlate *x, unsigned i, uint32_t eip)
{
	const struct x86_insn *in = &x->insn[i];
	struct emit *e = &x->e;

	if (!(x->key & BT_KEY_FLAT) || in->addrsize != 4 ||
	    ((in->prefixes & X86_P_SEG) && in->seg != X86_DS &&
	     in->seg != X86_ES && in->seg != X86_SS))
		return false;
	/* movzx r14d, al; lea r14d, [r14 + rbx] */
	emit_bytes(e, (const uint8_t[]){0x44, 0x0f, 0xb6, 0xf0}, 4);
	emit_bytes(e, (const uint8_t[]){0x45, 0x8d, 0x34, 0x1e}, 4);
	utlb_check(x, HR_R14, 1, false);
	/* mov al, [r14] */
	emit_bytes(e, (const uint8_t[]){0x41, 0x8a, 0x06}, 3);
	utlb_epilogue(x, i, eip);
	return true;
}

/* sarx/shlx/shrx dst32, src32, cnt32 (BMI2: no flags); pp: 1 = shlx,
 * 2 = sarx, 3 = shrx. */
static void emit_shiftx(struct emit *e, unsigned pp, unsigned dst, unsigned src,
			unsigned cnt)
{
	emit_u8(e, 0xc4);
	emit_u8(e, (uint8_t)((dst < 8 ? 0x80 : 0) | 0x40 |
			     (src < 8 ? 0x20 : 0) | 0x02));
	emit_u8(e, (uint8_t)(((~cnt & 0xf) << 3) | pp));
	emit_u8(e, 0xf7);
	emit_u8(e, (uint8_t)(0xc0 | ((dst & 7) << 3) | (src & 7)));
}

/*
 * bt/bts/btr/btc m32, r32 (Linux's test_bit and friends on bitmaps):
 * the bit offset reaches dword (offset >> 5) of the operand, signed; with
 * 16-bit operands word (offset >> 4) of a sign-extended 16-bit offset.
 *
 *	<r14d = the operand's linear address>
 *	mov r13d, 5; sarx r13d, reg, r13d; lea r14d, [r14 + r13 * 4]
 *	<check r14, 4 bytes>
 *	mov r13d, 27; shlx r10d, reg, r13d; shrx r10d, r10d, r13d
 *	[lock] bt* dword [r14], r10d
 */
static bool utlb_emit_bitop_reg(struct xlate *x, unsigned i, uint32_t eip,
				const uint8_t *bytes)
{
	static const uint8_t opcode[] = {0xa3, 0xab, 0xb3, 0xbb};
	const struct x86_insn *in = &x->insn[i];
	struct emit *e = &x->e;
	unsigned reg = host_reg_of(in->reg), k;

	switch (in->info->op) {
	case X86_OP_BT:
		k = 0;
		break;
	case X86_OP_BTS:
		k = 1;
		break;
	case X86_OP_BTR:
		k = 2;
		break;
	default:
		k = 3;
		break;
	}
	if (in->mod == 3 || in->map != 1 ||
	    in->info->operand[1].kind != OPK_G || !utlb_linear(x, in, bytes))
		return false;
	if (in->opsize == 4) {
		emit_mov_imm32(e, HR_R13, 5);
		emit_shiftx(e, 2, HR_R13, reg, HR_R13);
		/* lea r14d, [r14 + r13 * 4] */
		emit_bytes(e, (const uint8_t[]){0x47, 0x8d, 0x34, 0xae}, 4);
	} else {
		/* movsx r13d, reg16; mov r11d, 4; sarx r13d, r13d, r11d;
		 * lea r14d, [r14 + r13 * 2] */
		emit_bytes(e,
			   (const uint8_t[]){(uint8_t)(0x44 | (reg >= 8)), 0x0f,
					     0xbf, (uint8_t)(0xe8 | (reg & 7))},
			   4);
		emit_mov_imm32(e, HR_R11, 4);
		emit_shiftx(e, 2, HR_R13, HR_R13, HR_R11);
		emit_bytes(e, (const uint8_t[]){0x47, 0x8d, 0x34, 0x6e}, 4);
	}
	utlb_check(x, HR_R14, in->opsize, k != 0);
	emit_mov_imm32(e, HR_R13, in->opsize == 4 ? 27 : 28);
	emit_shiftx(e, 1, HR_R10, reg, HR_R13);
	emit_shiftx(e, 3, HR_R10, HR_R10, HR_R13);
	if (in->prefixes & X86_P_LOCK)
		emit_u8(e, 0xf0);
	if (in->opsize == 2)
		emit_u8(e, 0x66);
	/* bt* [r14], r10 */
	emit_bytes(e, (const uint8_t[]){0x45, 0x0f, opcode[k], 0x16}, 4);
	utlb_epilogue(x, i, eip);
	return true;
}

/* rorx dst32, src32, imm (no flags) */
static void emit_rorx32(struct emit *e, unsigned dst, unsigned src, uint8_t imm)
{
	emit_u8(e, 0xc4);
	emit_u8(e, (uint8_t)((dst < 8 ? 0x80 : 0) | 0x40 |
			     (src < 8 ? 0x20 : 0) | 0x03));
	emit_bytes(e, (const uint8_t[]){0x7b, 0xf0}, 2);
	emit_u8(e, (uint8_t)(0xc0 | ((dst & 7) << 3) | (src & 7)));
	emit_u8(e, imm);
}

/* Is the ModRM.reg operand AH, CH, DH or BH? */
static bool reg_byte_hi(const struct x86_insn *in)
{
	for (unsigned k = 0; k < in->info->nr_operands; k++)
		if (in->info->operand[k].kind == OPK_G &&
		    x86_operand_bytes(in, k) == 1)
			return in->reg >= 4;
	return false;
}

/*
 * An IDENT instruction with AH, CH, DH or BH as its ModRM.reg operand and
 * its memory operand at the host address in r14 (the mov the kernel does
 * on every return to user mode, `mov 0x40(%esp), %ah`, is one): the host
 * cannot encode those registers beside r14, so r10b stands in.
 *
 *	rorx r10d, reg32, 8			; r10b = the high byte
 *	<op> [r14], r10b			; the guest's prefixes and opcode
 *	(written) rorx reg32, reg32, 8; mov reg8, r10b; rorx reg32, reg32, 24
 */
static bool emit_byte_hi(struct xlate *x, const struct x86_insn *in,
			 const uint8_t *bytes)
{
	struct emit *e = &x->e;
	unsigned oplen = in->map == 0 ? 1 : (in->map == 1 ? 2 : 3);
	unsigned modrm_pos = in->prefix_len + oplen;
	unsigned tail = modrm_pos + 1 + (in->rm == 4 ? 1 : 0) + in->disp_len;
	unsigned reg = host_reg_of(in->reg - 4u);
	bool written =
		(in->info->operand[0].kind == OPK_G &&
		 in->info->op != X86_OP_CMP && in->info->op != X86_OP_TEST) ||
		in->info->op == X86_OP_XCHG || in->info->op == X86_OP_XADD;

	if (in->enc != X86_ENC_LEGACY || in->addrsize != 4 || tail > in->len)
		return false;
	emit_rorx32(e, HR_R10, reg, 8);
	emit_guest_prefixes(e, in, bytes);
	emit_u8(e, 0x45); /* REX.R (r10) and REX.B (r14) */
	emit_bytes(e, bytes + in->prefix_len, oplen);
	emit_u8(e, 0x16); /* [r14], r10b */
	emit_bytes(e, bytes + tail, in->len - tail);
	if (written) {
		emit_rorx32(e, reg, reg, 8);
		/* mov reg8, r10b */
		emit_bytes(e, (const uint8_t[]){0x44, 0x88}, 2);
		emit_u8(e, (uint8_t)(0xc0 | ((HR_R10 & 7) << 3) | reg));
		emit_rorx32(e, reg, reg, 24);
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

	switch (in->info->op) {
	case X86_OP_MOVS:
	case X86_OP_STOS:
	case X86_OP_LODS:
	case X86_OP_SCAS:
	case X86_OP_CMPS:
		return utlb_emit_string(x, i, eip, bytes);
	case X86_OP_XLAT:
		return utlb_emit_xlat(x, i, eip);
	case X86_OP_BT:
	case X86_OP_BTS:
	case X86_OP_BTR:
	case X86_OP_BTC:
		if (in->info->operand[1].kind == OPK_G)
			return utlb_emit_bitop_reg(x, i, eip, bytes);
		break;
	default:
		break;
	}
	if (!ident_access(in, &size, &write) || !utlb_linear(x, in, bytes))
		return false;
	utlb_check(x, HR_R14, size, write);
	if (in->info->flags & X86_F_MODRM) {
		if (reg_byte_hi(in)
			    ? !emit_byte_hi(x, in, bytes)
			    : !emit_ident(x, in, bytes, HR_R14 | MEM_HOST))
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
	case X86_OP_POPF:
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

	/* In the interpreter's order, so that a fill's Accessed bits come
	 * only where the interpreter's walk would have set them before a
	 * fault: pop reads the stack first, push/call/jmp r/m32 read the
	 * memory operand first, leave reads [EBP]. */
	bool stack_first = in->info->op == X86_OP_POP;

	if (stack_first && stack_window(in, &lo, &size, &write)) {
		emit_lea32(e, HR_R9, HR_R12, lo);
		utlb_check(x, HR_R9, size, write);
	}
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
			null_seg_miss(x, in->seg);
		}
		utlb_check(x, HR_R14, 4, in->info->op == X86_OP_POP);
	}
	if (stack_window(in, &lo, &size, &write)) {
		if (!stack_first) {
			emit_lea32(e, HR_R9, HR_R12, lo);
			utlb_check(x, HR_R9, size, write);
		}
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
		emit_store32(e, x->utlb_miss[k].reg, HR_R15, OFF(bt.tlb_lin));
		co = emit_callout(x, i, eip, BT_CAT_UTLB_MISS);
		if (!co)
			break;
		co->utlb_size = x->utlb_miss[k].size;
		co->utlb_write = x->utlb_miss[k].write;
		co->utlb_rep = x->utlb_miss[k].rep;
		/* Filled: the whole instruction again (nothing changed). */
		emit_jmp(e, x->insn_start);
	}
	x->n_utlb_miss = 0;
	if (e->overflow)
		return;
	patch_rel32(to_done, e->p);
}

/*
 * emit.h - a small x86-64 assembler for the code cache.
 *
 * The translator and the trampolines write host code through these
 * helpers, one call per host instruction, so that every sequence reads as
 * the assembly it produces. Host registers use the hardware numbering
 * (HR_RAX = 0 ... HR_R15 = 15). Only what translation needs is here.
 *
 * Register conventions of translated code (DESIGN.md section 3.2):
 *   guest EAX..EDI (but ESP) live in rax, rcx, rdx, rbx, rbp, rsi, rdi;
 *   guest ESP lives in r12d; r15 points at struct vcpu; rsp is the
 *   monitor stack; r8-r11, r13, r14 are scratch.
 */
#ifndef BT386_BT_EMIT_H
#define BT386_BT_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum host_reg {
	HR_RAX,
	HR_RCX,
	HR_RDX,
	HR_RBX,
	HR_RSP,
	HR_RBP,
	HR_RSI,
	HR_RDI,
	HR_R8,
	HR_R9,
	HR_R10,
	HR_R11,
	HR_R12,
	HR_R13,
	HR_R14,
	HR_R15,
};

#define HR_GUEST_ESP HR_R12
#define HR_VCPU HR_R15

/* Host register holding guest register `r` (0..7). */
static inline unsigned host_reg_of(unsigned r)
{
	return r == 4 ? HR_R12 : r;
}

struct emit {
	uint8_t *p;   /* next byte */
	uint8_t *end; /* end of the space */
	bool overflow;
	/* Segment prefix that reaches the guest's shadow view (0x65, gs:,
	 * the current space's views) or 0 (the direct view, at host 0). */
	uint8_t guest_seg;
	/* User TLB blocks (translate_utlb.c): guest accesses go through the
	 * software TLB to host addresses; within an INLINE instruction, the
	 * host register with the address of its stack window (0: none) and
	 * the window's start relative to ESP. */
	bool utlb;
	uint8_t stack_host;
	int32_t stack_lo;
};

static inline void emit_u8(struct emit *e, uint8_t b)
{
	if (e->p < e->end)
		*e->p++ = b;
	else
		e->overflow = true;
}

/* Prefixes of a guest memory access: the view's segment, 32-bit address
 * size (the guest's effective address wraps at 4 GiB). */
static inline void emit_guest_mem_prefix(struct emit *e)
{
	if (e->guest_seg)
		emit_u8(e, e->guest_seg);
	emit_u8(e, 0x67);
}

static inline void emit_u16(struct emit *e, uint16_t v)
{
	emit_u8(e, (uint8_t)v);
	emit_u8(e, (uint8_t)(v >> 8));
}

static inline void emit_u32(struct emit *e, uint32_t v)
{
	emit_u16(e, (uint16_t)v);
	emit_u16(e, (uint16_t)(v >> 16));
}

static inline void emit_u64(struct emit *e, uint64_t v)
{
	emit_u32(e, (uint32_t)v);
	emit_u32(e, (uint32_t)(v >> 32));
}

static inline void emit_bytes(struct emit *e, const void *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		emit_u8(e, ((const uint8_t *)b)[i]);
}

/* REX with W/R/X/B from the high bits of the register numbers. */
static inline void emit_rex(struct emit *e, bool w, unsigned reg,
			    unsigned index, unsigned base, bool force)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) |
				((index & 8) ? 2 : 0) | ((base & 8) ? 1 : 0));

	if (rex != 0x40 || force)
		emit_u8(e, rex);
}

/*
 * ModRM + SIB + displacement for [base + disp] (64-bit or, with the 0x67
 * prefix emitted by the caller, 32-bit address computation).
 */
static inline void emit_mem(struct emit *e, unsigned reg, unsigned base,
			    int32_t disp)
{
	unsigned mod = disp == 0 && (base & 7) != 5
			       ? 0
			       : (disp >= -128 && disp <= 127 ? 1 : 2);

	emit_u8(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (base & 7)));
	if ((base & 7) == 4)
		emit_u8(e, 0x24); /* SIB: no index, base = rsp/r12 */
	if (mod == 1)
		emit_u8(e, (uint8_t)disp);
	else if (mod == 2)
		emit_u32(e, (uint32_t)disp);
}

/* op reg, [base + disp] with a one- or two-byte opcode. */
static inline void emit_op_mem(struct emit *e, bool w, const uint8_t *op,
			       unsigned oplen, unsigned reg, unsigned base,
			       int32_t disp)
{
	emit_rex(e, w, reg, 0, base, false);
	emit_bytes(e, op, oplen);
	emit_mem(e, reg, base, disp);
}

/* mov r32, [base + disp] / mov [base + disp], r32 (64-bit addressing) */
static inline void emit_load32(struct emit *e, unsigned reg, unsigned base,
			       int32_t disp)
{
	static const uint8_t op = 0x8b;

	emit_op_mem(e, false, &op, 1, reg, base, disp);
}

static inline void emit_store32(struct emit *e, unsigned reg, unsigned base,
				int32_t disp)
{
	static const uint8_t op = 0x89;

	emit_op_mem(e, false, &op, 1, reg, base, disp);
}

static inline void emit_load64(struct emit *e, unsigned reg, unsigned base,
			       int32_t disp)
{
	static const uint8_t op = 0x8b;

	emit_op_mem(e, true, &op, 1, reg, base, disp);
}

static inline void emit_store64(struct emit *e, unsigned reg, unsigned base,
				int32_t disp)
{
	static const uint8_t op = 0x89;

	emit_op_mem(e, true, &op, 1, reg, base, disp);
}

/* mov dword [base + disp], imm32 */
static inline void emit_store_imm32(struct emit *e, unsigned base, int32_t disp,
				    uint32_t imm)
{
	static const uint8_t op = 0xc7;

	emit_op_mem(e, false, &op, 1, 0, base, disp);
	emit_u32(e, imm);
}

/* mov r64, imm64 */
static inline void emit_mov_imm64(struct emit *e, unsigned reg, uint64_t imm)
{
	emit_rex(e, true, 0, 0, reg, false);
	emit_u8(e, (uint8_t)(0xb8 + (reg & 7)));
	emit_u64(e, imm);
}

/* mov r32, imm32 */
static inline void emit_mov_imm32(struct emit *e, unsigned reg, uint32_t imm)
{
	emit_rex(e, false, 0, 0, reg, false);
	emit_u8(e, (uint8_t)(0xb8 + (reg & 7)));
	emit_u32(e, imm);
}

/* mov dst, src (32-bit registers, zero-extends) */
static inline void emit_mov_rr32(struct emit *e, unsigned dst, unsigned src)
{
	emit_rex(e, false, src, 0, dst, false);
	emit_u8(e, 0x89);
	emit_u8(e, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
}

static inline void emit_mov_rr64(struct emit *e, unsigned dst, unsigned src)
{
	emit_rex(e, true, src, 0, dst, false);
	emit_u8(e, 0x89);
	emit_u8(e, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
}

/* lea r32, [base32 + disp] with 32-bit address size: never touches flags
 * and wraps at 4 GiB, as the guest's arithmetic does. */
static inline void emit_lea32(struct emit *e, unsigned reg, unsigned base,
			      int32_t disp)
{
	static const uint8_t op = 0x8d;

	emit_u8(e, 0x67);
	emit_op_mem(e, false, &op, 1, reg, base, disp);
}

/* jmp rel32 / call rel32 / jcc rel32 to an absolute host address. */
static inline void emit_rel32(struct emit *e, const void *target)
{
	int64_t rel = (const uint8_t *)target - (e->p + 4);

	emit_u32(e, (uint32_t)(int32_t)rel);
}

static inline uint8_t *emit_jmp(struct emit *e, const void *target)
{
	uint8_t *site;

	emit_u8(e, 0xe9);
	site = e->p;
	emit_rel32(e, target);
	return site;
}

static inline void emit_call(struct emit *e, const void *target)
{
	emit_u8(e, 0xe8);
	emit_rel32(e, target);
}

static inline uint8_t *emit_jcc(struct emit *e, unsigned cc, const void *target)
{
	uint8_t *site;

	emit_u8(e, 0x0f);
	emit_u8(e, (uint8_t)(0x80 | cc));
	site = e->p;
	emit_rel32(e, target);
	return site;
}

/* Point the rel32 at `site` (the 4 bytes after a jmp/jcc opcode) at
 * `target`. */
static inline void patch_rel32(uint8_t *site, const void *target)
{
	int32_t rel = (int32_t)((const uint8_t *)target - (site + 4));

	__atomic_store_n((int32_t *)(void *)site, rel, __ATOMIC_RELAXED);
}

/* jmp reg / call reg */
static inline void emit_jmp_reg(struct emit *e, unsigned reg)
{
	emit_rex(e, false, 0, 0, reg, false);
	emit_u8(e, 0xff);
	emit_u8(e, (uint8_t)(0xe0 | (reg & 7)));
}

static inline void emit_call_reg(struct emit *e, unsigned reg)
{
	emit_rex(e, false, 0, 0, reg, false);
	emit_u8(e, 0xff);
	emit_u8(e, (uint8_t)(0xd0 | (reg & 7)));
}

/* 64-bit counter [r15 + off] += n through `scratch`, without touching
 * host flags (translated code's --stats counters). */
static inline void emit_count(struct emit *e, int32_t off, int32_t n,
			      unsigned scratch)
{
	static const uint8_t lea = 0x8d;

	emit_load64(e, scratch, HR_R15, off);
	emit_op_mem(e, true, &lea, 1, scratch, scratch, n);
	emit_store64(e, scratch, HR_R15, off);
}

/* <alu> r32, imm32: ext 4 = and, 1 = or (changes host flags) */
static inline void emit_alu_imm32(struct emit *e, unsigned ext, unsigned reg,
				  uint32_t imm)
{
	emit_rex(e, false, 0, 0, reg, false);
	emit_u8(e, 0x81);
	emit_u8(e, (uint8_t)(0xc0 | (ext << 3) | (reg & 7)));
	emit_u32(e, imm);
}

static inline void emit_push(struct emit *e, unsigned reg)
{
	emit_rex(e, false, 0, 0, reg, false);
	emit_u8(e, (uint8_t)(0x50 + (reg & 7)));
}

static inline void emit_pop(struct emit *e, unsigned reg)
{
	emit_rex(e, false, 0, 0, reg, false);
	emit_u8(e, (uint8_t)(0x58 + (reg & 7)));
}

#endif

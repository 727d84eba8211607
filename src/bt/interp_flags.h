/*
 * interp_flags.h - arithmetic flags (and tricky results) computed by the
 * host CPU.
 *
 * Each helper runs the very instruction the guest asked for on host
 * registers, with the guest's six arithmetic flags loaded into the host
 * RFLAGS first, and hands back the host's flags afterwards. So the
 * interpreter agrees bit for bit with direct execution and with binary
 * translation on the same host, including every flag the SDM leaves
 * undefined and every flag an instruction leaves unchanged (rotates leave
 * SF/ZF, bit tests ZF, zero-source BSF its destination...). The caller
 * merges the result with interp_set_arith(cpu, flags, X86_FL_ARITH)
 * (without CF for INC/DEC, see HF_PRE_NF).
 *
 * Only the arithmetic flags reach the host: DF must stay clear (the host
 * ABI), TF and AC would trap. The asm steps over the red zone because the
 * compiler may keep locals below %rsp, and takes register operands only
 * (a memory operand could be %rsp-relative).
 *
 * Helpers are generated per operation and size (8, 16, 32 bits) and named
 * hf_<op><bits>; hf_tab3()/hf_tab2() build the per-size rows the handlers
 * index with hf_idx(size). Sizes the instruction does not have (8-bit
 * IMUL2, BT, BSF...) are absent.
 */
#ifndef BT386_BT_INTERP_FLAGS_H
#define BT386_BT_INTERP_FLAGS_H

#include <stdint.h>

#include "x86.h"

/* result = op(a, b): two-operand ALU, bit tests, bit scans. */
typedef uint32_t (*hf_bin_fn)(uint32_t a, uint32_t b, uint32_t *fl);
/* result = op(a): NEG, INC, DEC. */
typedef uint32_t (*hf_un_fn)(uint32_t a, uint32_t *fl);
/* (E)AX/(E)DX = op((E)AX, (E)DX, src): MUL, IMUL, DIV, IDIV. */
typedef void (*hf_acc_fn)(uint32_t *eax, uint32_t *edx, uint32_t src,
			  uint32_t *fl);

/* Operand size in bytes (1, 2, 4) to the index of a per-size table. */
static inline unsigned hf_idx(unsigned size)
{
	return size >> 1;
}

/* The host RFLAGS an instruction runs with: bit 1 + guest arith flags. */
static inline uint64_t hf_in(uint32_t guest)
{
	return (guest & X86_FL_ARITH) | X86_FL_FIXED1;
}

/*
 * HF_PRE loads the guest flags; HF_PRE_NF does not, for instructions that
 * neither read a flag nor leave one undefined (ADD SUB CMP NEG, and
 * INC DEC whose callers do not take CF from the host): popfq is the
 * slowest part of a helper.
 */
#define HF_PRE "lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t"
#define HF_PRE_NF "lea -128(%%rsp), %%rsp\n\t"
#define HF_POST "\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"

#define HF_T(bits) uint##bits##_t

/* d = d <insn> s */
#define HF_BINX(name, insn, bits, pre)                                 \
	static inline uint32_t hf_##name##bits(uint32_t a, uint32_t b, \
					       uint32_t *fl)           \
	{                                                              \
		HF_T(bits) d = (HF_T(bits))a, s = (HF_T(bits))b;       \
		uint64_t f = hf_in(*fl);                               \
		__asm__(pre insn " %[s], %[d]" HF_POST                 \
			: [d] "+r"(d), [f] "+r"(f)                     \
			: [s] "r"(s)                                   \
			: "cc");                                       \
		*fl = (uint32_t)f;                                     \
		return d;                                              \
	}
#define HF_BIN(name, insn, bits) HF_BINX(name, insn, bits, HF_PRE)
#define HF_BIN_NF(name, insn, bits) HF_BINX(name, insn, bits, HF_PRE_NF)

/* d = <insn> d */
#define HF_UNX(name, insn, bits, pre)                                    \
	static inline uint32_t hf_##name##bits(uint32_t a, uint32_t *fl) \
	{                                                                \
		HF_T(bits) d = (HF_T(bits))a;                            \
		uint64_t f = hf_in(*fl);                                 \
		__asm__(pre insn " %[d]" HF_POST                         \
			: [d] "+r"(d), [f] "+r"(f)                       \
			:                                                \
			: "cc");                                         \
		*fl = (uint32_t)f;                                       \
		return d;                                                \
	}
#define HF_UN(name, insn, bits) HF_UNX(name, insn, bits, HF_PRE)
#define HF_UN_NF(name, insn, bits) HF_UNX(name, insn, bits, HF_PRE_NF)

/*
 * Shifts and rotates run as one of host_shift.S's thunks, the guest's own
 * encoding (immediate, by-one or CL form; see there why it matters):
 * AL/AX/EAX = d, EDX = s (SHLD/SHRD), CL = c. The host masks the count
 * exactly as the guest does.
 */
static inline uint32_t hf_thunk(const void *fn, uint32_t d, uint32_t s,
				uint8_t c, uint32_t *fl)
{
	uint64_t f = hf_in(*fl);

	__asm__(HF_PRE "call *%[fn]" HF_POST
		: "+a"(d), [f] "+r"(f)
		: [fn] "r"(fn), "d"(s), "c"(c)
		: "cc");
	*fl = (uint32_t)f;
	return d;
}

/*
 * <insn> s with implicit (E)AX/(E)DX. The host writes only the parts the
 * operand size names (AX for 8 bits, AX and DX for 16), so the other
 * bits of the guest registers pass through unchanged. Division helpers
 * must only be called once the caller has ruled out #DE.
 */
#define HF_ACC(name, insn, bits)                                         \
	static inline void hf_##name##bits(uint32_t *eax, uint32_t *edx, \
					   uint32_t src, uint32_t *fl)   \
	{                                                                \
		HF_T(bits) s = (HF_T(bits))src;                          \
		uint32_t a = *eax, d = *edx;                             \
		uint64_t f = hf_in(*fl);                                 \
		__asm__(HF_PRE insn " %[s]" HF_POST                      \
			: "+a"(a), "+d"(d), [f] "+r"(f)                  \
			: [s] "r"(s)                                     \
			: "cc");                                         \
		*eax = a;                                                \
		*edx = d;                                                \
		*fl = (uint32_t)f;                                       \
	}

#define HF_ALL3(kind, name, insn) \
	kind(name, insn, 8) kind(name, insn, 16) kind(name, insn, 32)
#define HF_ALL2(kind, name, insn) kind(name, insn, 16) kind(name, insn, 32)

/* Rows indexed by hf_idx(): 8-bit-less operations keep slot 0 empty. */
#define hf_tab3(name)                                      \
	{                                                  \
		hf_##name##8, hf_##name##16, hf_##name##32 \
	}
#define hf_tab2(name)                              \
	{                                          \
		NULL, hf_##name##16, hf_##name##32 \
	}

HF_ALL3(HF_BIN_NF, add, "add")
HF_ALL3(HF_BIN, or, "or")
HF_ALL3(HF_BIN, adc, "adc")
HF_ALL3(HF_BIN, sbb, "sbb")
HF_ALL3(HF_BIN, and, "and")
HF_ALL3(HF_BIN_NF, sub, "sub")
HF_ALL3(HF_BIN, xor, "xor")
HF_ALL3(HF_BIN_NF, cmp, "cmp")
HF_ALL3(HF_BIN, test, "test")

HF_ALL3(HF_UN_NF, neg, "neg")
/* CF from these is the host's: callers mask it out. */
HF_ALL3(HF_UN_NF, inc, "inc")
HF_ALL3(HF_UN_NF, dec, "dec")

HF_ALL3(HF_ACC, mul, "mul")
HF_ALL3(HF_ACC, imul1, "imul")
HF_ALL3(HF_ACC, div, "div")
HF_ALL3(HF_ACC, idiv, "idiv")

HF_ALL2(HF_BIN, imul, "imul")
HF_ALL2(HF_BIN, bt, "bt")
HF_ALL2(HF_BIN, bts, "bts")
HF_ALL2(HF_BIN, btr, "btr")
HF_ALL2(HF_BIN, btc, "btc")
HF_ALL2(HF_BIN, bsf, "bsf")
HF_ALL2(HF_BIN, bsr, "bsr")
HF_ALL2(HF_BIN, popcnt, "popcnt")
HF_ALL2(HF_BIN, lzcnt, "lzcnt")
HF_ALL2(HF_BIN, tzcnt, "tzcnt")

#endif

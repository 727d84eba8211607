/*
 * ops.h - the operations of the x86 instruction set, as one X-macro list.
 *
 * An operation is what an interpreter handler implements: rows of the
 * opcode table that behave alike share one (all eight encodings of ADD,
 * all Jcc). Parallel tables indexed by op (the interpreter's handlers, the
 * translator's emitters) are sized by X86_OP_COUNT and checked with
 * _Static_assert.
 */
#ifndef BT386_BT_OPS_H
#define BT386_BT_OPS_H

/* clang-format off */
#define X86_OPS(X)                                                           \
	X(INVALID) /* #UD */                                                 \
	/* arithmetic and logic */                                           \
	X(ADD) X(OR) X(ADC) X(SBB) X(AND) X(SUB) X(XOR) X(CMP) X(TEST)       \
	X(INC) X(DEC) X(NEG) X(NOT)                                          \
	X(MUL) X(IMUL1) X(IMUL2) X(IMUL3) X(DIV) X(IDIV)                     \
	X(ROL) X(ROR) X(RCL) X(RCR) X(SHL) X(SHR) X(SAL) X(SAR)              \
	X(SHLD) X(SHRD)                                                      \
	X(BT) X(BTS) X(BTR) X(BTC) X(BSF) X(BSR)                             \
	X(DAA) X(DAS) X(AAA) X(AAS) X(AAM) X(AAD) X(SALC)                    \
	/* data movement */                                                  \
	X(MOV) X(MOVZX) X(MOVSX) X(XCHG) X(XADD) X(CMPXCHG) X(CMPXCHG8B)     \
	X(BSWAP) X(LEA) X(CBW) X(CWD) X(SETCC) X(CMOVCC) X(LAHF) X(SAHF)     \
	X(XLAT) X(NOP) X(PAUSE) X(MOVBE) X(POPCNT) X(LZCNT) X(TZCNT)         \
	/* stack */                                                          \
	X(PUSH) X(POP) X(PUSHA) X(POPA) X(PUSHF) X(POPF) X(ENTER) X(LEAVE)   \
	/* near control flow */                                              \
	X(JMP) X(JMP_IND) X(CALL) X(CALL_IND) X(RET) X(JCC) X(JCXZ)          \
	X(LOOP) X(LOOPE) X(LOOPNE)                                           \
	/* far control flow, interrupts */                                   \
	X(JMP_FAR) X(JMP_FAR_IND) X(CALL_FAR) X(CALL_FAR_IND) X(RETF)        \
	X(INT) X(INT3) X(INTO) X(INT1) X(IRET) X(BOUND)                      \
	/* strings */                                                        \
	X(MOVS) X(CMPS) X(STOS) X(LODS) X(SCAS) X(INS) X(OUTS)               \
	/* port I/O */                                                       \
	X(IN) X(OUT)                                                         \
	/* flags */                                                          \
	X(CLC) X(STC) X(CMC) X(CLD) X(STD) X(CLI) X(STI)                     \
	/* segments */                                                       \
	X(MOV_TO_SREG) X(MOV_FROM_SREG) X(PUSH_SREG) X(POP_SREG)             \
	X(LDS) X(LES) X(LFS) X(LGS) X(LSS)                                   \
	X(LAR) X(LSL) X(VERR) X(VERW) X(ARPL)                                \
	/* system */                                                         \
	X(HLT) X(LGDT) X(LIDT) X(SGDT) X(SIDT) X(LLDT) X(SLDT) X(LTR) X(STR) \
	X(LMSW) X(SMSW) X(INVLPG) X(CLTS)                                    \
	X(MOV_TO_CR) X(MOV_FROM_CR) X(MOV_TO_DR) X(MOV_FROM_DR)              \
	X(CPUID) X(RDTSC) X(RDTSCP) X(RDMSR) X(WRMSR) X(RDPMC)               \
	X(WBINVD) X(INVD) X(SYSENTER) X(SYSEXIT) X(UD2) X(WAIT)              \
	X(CLFLUSH) X(FENCE) X(PREFETCH) X(NOP_RM)                            \
	/* executed by the FPU, not the integer interpreter */               \
	X(X87) X(MMX) X(SSE) X(FXSAVE) X(FXRSTOR) X(LDMXCSR) X(STMXCSR)      \
	X(OTHER) /* known length, no semantics here (e.g. VMX, SMX) */
/* clang-format on */

enum x86_op {
#define X86_OP_ENUM(name) X86_OP_##name,
	X86_OPS(X86_OP_ENUM)
#undef X86_OP_ENUM
		X86_OP_COUNT
};

#endif

/*
 * interp_fpu.h - what the interpreter's FPU files share (fpu_host.c,
 * interp_fpu.c, interp_fpu_env.c).
 *
 * The guest's x87/MMX/SSE state lives in one XSAVE area (bt_fpu_area(),
 * include/bt/fpu.h), shared with the engines that run guest code
 * natively. The interpreter never works on it in place: each instruction
 * takes a normalized copy (struct fpu_img: the 512-byte legacy region and
 * the XSAVE header, every component explicit), changes the copy (on the
 * host FPU or in C) and commits it only once nothing can fault any more,
 * so a fault leaves the guest's FPU as it was (instructions restart).
 *
 * Layout of the legacy region as the interpreter keeps it: the 32-bit
 * FXSAVE format, i.e. FIP at 8, FCS at 12, FDP at 16, FDS at 20 (not the
 * 64-bit format the host's FXSAVE64 writes there); the interpreter puts
 * the guest's pointers back after every host run.
 */
#ifndef BT386_BT_INTERP_FPU_H
#define BT386_BT_INTERP_FPU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bt/fpu.h"
#include "bt/interp_priv.h"

/* Offsets in the legacy (FXSAVE) region. */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4 /* abridged: bit i set = physical register i not empty */
#define FX_FOP 6
#define FX_FIP 8
#define FX_FCS 12
#define FX_FDP 16
#define FX_FDS 20
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_ST(i) (32u + 16u * (i)) /* ST(i), in stack order */
#define FX_XMM(i) (160u + 16u * (i))
#define FX_LEGACY 512
#define XS_BV 512	 /* XSTATE_BV in the XSAVE header */
#define FPU_IMG_SIZE 576 /* legacy region + header: components 0 and 1 */

/* x87 status word. */
#define FSW_IE 0x0001
#define FSW_EXC 0x003f /* IE DE ZE OE UE PE */
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_TOP_SHIFT 11
#define FSW_B 0x8000
/* x87 control word: what FLDCW keeps; bit 6 always reads 1. */
#define FCW_KEEP 0x1f3f
#define FCW_ONE 0x0040

/* MXCSR bits the model has (DAZ included): MXCSR_MASK in FXSAVE. */
#define MXCSR_MASK_MODEL 0xffffu

struct fpu_img {
	uint8_t b[FPU_IMG_SIZE];
} __attribute__((aligned(64)));

/* Byte access to an image. */
static inline uint16_t fx_get16(const struct fpu_img *m, unsigned off)
{
	uint16_t v;

	memcpy(&v, m->b + off, 2);
	return v;
}

static inline uint32_t fx_get32(const struct fpu_img *m, unsigned off)
{
	uint32_t v;

	memcpy(&v, m->b + off, 4);
	return v;
}

static inline void fx_put16(struct fpu_img *m, unsigned off, uint16_t v)
{
	memcpy(m->b + off, &v, 2);
}

static inline void fx_put32(struct fpu_img *m, unsigned off, uint32_t v)
{
	memcpy(m->b + off, &v, 4);
}

/* ---- the state (fpu_host.c) ------------------------------------------ */

/* A normalized copy of the guest's state / commit a copy. */
void fpu_load_img(struct fpu_img *m);
void fpu_store_img(const struct fpu_img *m);

/*
 * Run `len` instruction bytes on the host with the state in *m (changed
 * in place), RAX = *rax and the arithmetic flags *rflags in and out,
 * RDI = mem. Returns 0, or the host trap number of an unmasked SIMD
 * floating-point exception (19) the instruction raised: *m is then the
 * state at the fault and *rax, *rflags are unchanged.
 */
int fpu_host_exec(struct fpu_img *m, const uint8_t *code, unsigned len,
		  uint64_t *rax, uint64_t *rflags, void *mem);

/* ---- x87 state helpers (interp_fpu_env.c) ----------------------------- */

/* The full 2-bit tag word (FSTENV format) from an image. */
uint16_t fpu_full_tags(const struct fpu_img *m);
/* ES and B from the exception flags and masks (FLDCW, FLDENV...). */
void fpu_update_es(struct fpu_img *m);
/* FNINIT on an image. */
void fpu_init_x87(struct fpu_img *m);

/* The control instructions done in C on the image (interp_fpu_env.c):
 * true if `in` was one (it has run or raised). */
bool fpu_x87_control(struct vcpu *cpu, const struct x86_insn *in,
		     struct fpu_img *m);
/* FXSAVE, FXRSTOR, LDMXCSR, STMXCSR after their #UD/#NM checks. */
void fpu_fxsave(struct vcpu *cpu, const struct x86_insn *in);
void fpu_fxrstor(struct vcpu *cpu, const struct x86_insn *in);
void fpu_ldmxcsr(struct vcpu *cpu, const struct x86_insn *in);
void fpu_stmxcsr(struct vcpu *cpu, const struct x86_insn *in);

/* ---- exceptions and FERR# (interp_fpu.c) ------------------------------ */

/*
 * A waiting x87 or MMX instruction found an unmasked exception pending
 * (FSW.ES): #MF with CR0.NE; without NE, FERR# (IRQ 13) unless IGNNE#
 * is asserted, in which case the instruction runs (returns false). Does
 * not return when the exception is taken.
 */
bool fpu_pending(struct vcpu *cpu, const struct fpu_img *m);
/* After a commit: FERR# and IGNNE# follow FSW.ES going back to 0. */
void fpu_sync_ferr(struct vcpu *cpu, const struct fpu_img *m);

#endif

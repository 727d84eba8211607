/*
 * interp_prot.h - protection helpers shared by the interpreter's system
 * files (interp_seg.c, interp_intr.c, interp_far.c, interp_task.c,
 * interp_sys.c, interp_io.c).
 *
 * Descriptors are handled as the two raw dwords (lo, hi) read from the
 * GDT/LDT/IDT; the macros below name their fields. Control transfers
 * that may switch stacks build their frames with struct prot_stack: the
 * pushes go to memory through explicit offsets and nothing architectural
 * (ESP, SS, CS, CPL) changes until every access that can fault is done,
 * so a fault anywhere in the middle leaves the guest as it was.
 *
 * Error codes for selectors follow the SDM: index and TI of the selector,
 * bit 0 EXT when the event is external to the program (an interrupt or an
 * exception being delivered, not INT n/INT3/INTO), bit 1 for IDT entries.
 */
#ifndef BT386_BT_INTERP_PROT_H
#define BT386_BT_INTERP_PROT_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/interp_priv.h"

/* ---- descriptor fields (hi = bits 32..63) ---------------------------- */

#define DESC_TYPE(hi) (((hi) >> 8) & 0xfu)
#define DESC_S(hi) (((hi) >> 12) & 1u)
#define DESC_DPL(hi) (((hi) >> 13) & 3u)
#define DESC_P(hi) (((hi) >> 15) & 1u)
#define DESC_DB(hi) (((hi) >> 22) & 1u)
#define DESC_ACCESSED 0x100u /* the A bit, in hi */
#define DESC_BUSY 0x200u     /* the TSS busy bit, in hi */

/* Code/data descriptor classes (S = 1). */
static inline bool desc_is_code(uint32_t hi)
{
	return DESC_S(hi) && (DESC_TYPE(hi) & 8);
}

static inline bool desc_is_conforming(uint32_t hi)
{
	return desc_is_code(hi) && (DESC_TYPE(hi) & 4);
}

static inline bool desc_is_writable_data(uint32_t hi)
{
	return DESC_S(hi) && (DESC_TYPE(hi) & 0xa) == 2;
}

/* Readable: any data segment, or a code segment with R set. */
static inline bool desc_is_readable(uint32_t hi)
{
	return DESC_S(hi) && (!(DESC_TYPE(hi) & 8) || (DESC_TYPE(hi) & 2));
}

/* System descriptor type (S = 0), or -1 for a code/data segment. */
static inline int desc_sys_type(uint32_t hi)
{
	return DESC_S(hi) ? -1 : (int)DESC_TYPE(hi);
}

static inline bool sys_type_is_tss(int t)
{
	return t == X86_SYS_TSS16_AVAIL || t == X86_SYS_TSS16_BUSY ||
	       t == X86_SYS_TSS32_AVAIL || t == X86_SYS_TSS32_BUSY;
}

/* Gates: target selector, offset (32-bit gates), parameter count. */
static inline uint16_t gate_sel(uint32_t lo)
{
	return (uint16_t)(lo >> 16);
}

static inline uint32_t gate_offset(uint32_t lo, uint32_t hi)
{
	if (DESC_TYPE(hi) & 8)
		return (lo & 0xffff) | (hi & 0xffff0000u);
	return lo & 0xffff;
}

/* Error code of a selector: index and TI, plus EXT. */
static inline uint32_t sel_err(uint16_t sel, bool ext)
{
	return (uint32_t)(sel & 0xfffc) | (ext ? 1u : 0u);
}

static inline bool sel_is_null(uint16_t sel)
{
	return (sel & 0xfffc) == 0;
}

_Noreturn void prot_fault(struct vcpu *cpu, int vector, uint16_t sel, bool ext);

/* Linear address of a selector's descriptor; false if beyond the table. */
bool prot_desc_addr(const struct vcpu *cpu, uint16_t sel, uint32_t *lin);
/* Set the Accessed bit of a code/data descriptor in memory (and in *hi). */
void prot_set_accessed(struct vcpu *cpu, uint16_t sel, uint32_t *hi);
/* Set or clear the busy bit of a TSS descriptor in the GDT. */
void prot_set_busy(struct vcpu *cpu, uint16_t sel, bool busy);

/* Limit check of [off, off+size) against a segment cache (expand-down). */
bool prot_seg_ok(const struct x86_seg *s, uint32_t off, unsigned size);

/*
 * Load CS from a code descriptor with RPL = `cpl`, set CPL, and make the
 * mode cache agree. The caller has checked everything.
 */
void prot_load_cs(struct vcpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi,
		  unsigned cpl);
/* Load SS (or a data register) from a checked descriptor. */
void prot_load_seg(struct vcpu *cpu, int sreg, uint16_t sel, uint32_t lo,
		   uint32_t hi);
/* Make a segment register null (unusable). */
void prot_null_seg(struct x86_seg *s, uint16_t sel);
/*
 * After a return to an outer privilege level: data registers whose
 * descriptor the new CPL may not use become null (SDM: RET, IRET).
 */
void prot_fix_outer_sregs(struct vcpu *cpu);

/*
 * The stack of privilege level `dpl` from the current TSS (32- or 16-bit),
 * #TS(TR + EXT) if the TSS is too short.
 */
void prot_tss_stack(struct vcpu *cpu, unsigned dpl, bool ext, uint16_t *ss,
		    uint32_t *esp);
/*
 * Check the SS selector of an inner stack (from the TSS) for privilege
 * level `dpl`: #TS(SS + EXT) for a bad selector, #SS(SS + EXT) if not
 * present. Returns its descriptor.
 */
void prot_check_inner_ss(struct vcpu *cpu, uint16_t ss, unsigned dpl, bool ext,
			 uint32_t *lo, uint32_t *hi);
/*
 * Check the SS selector popped by RETF/IRET for a return to privilege
 * `rpl`: #GP(0) if null, #GP(SS) if bad, #SS(SS) if not present.
 */
void prot_check_outer_ss(struct vcpu *cpu, uint16_t ss, unsigned rpl,
			 uint32_t *lo, uint32_t *hi);

/* ---- stack frames ---------------------------------------------------- */

struct prot_stack {
	struct x86_seg seg; /* the stack segment (maybe not loaded yet) */
	uint32_t sp;	    /* current offset (16 bits for a 16-bit stack) */
	uint32_t esp_hi;    /* ESP bits above SP that a 16-bit stack keeps */
	bool big;	    /* 32-bit stack pointer (SS.B) */
	bool sys;	    /* accesses at an inner privilege (supervisor) */
	int vector;	    /* fault on a limit violation: #SS ... */
	uint32_t err;	    /* ... with this error code */
};

/* The current SS:ESP; limit faults are #SS(err). */
void prot_stack_cur(struct vcpu *cpu, struct prot_stack *st, uint32_t err);
/* A new stack from a checked descriptor; limit faults #SS(SS + EXT). */
void prot_stack_new(struct prot_stack *st, uint16_t ss, uint32_t lo,
		    uint32_t hi, uint32_t esp, bool ext);
void prot_stack_push(struct vcpu *cpu, struct prot_stack *st, unsigned size,
		     uint32_t val);
uint32_t prot_stack_pop(struct vcpu *cpu, struct prot_stack *st, unsigned size);
/* Write the stack's SP back to ESP (SS itself is the caller's job). */
void prot_stack_commit(struct vcpu *cpu, const struct prot_stack *st);

/* ---- task switches (interp_task.c) ----------------------------------- */

enum task_reason {
	TASK_JMP,  /* jmp: old task not busy, new busy, no link */
	TASK_CALL, /* call: link and NT in the new task */
	TASK_INT,  /* interrupt/exception through a task gate: like call */
	TASK_IRET, /* iret with NT: old task not busy, new stays busy */
};

/*
 * Switch to the task of TSS descriptor (lo, hi) at `sel` (checked by the
 * caller for type, busy state and privilege). Faults after the commit
 * point are raised in the context of the new task.
 */
void interp_task_switch(struct vcpu *cpu, uint16_t sel, uint32_t lo,
			uint32_t hi, enum task_reason why, bool ext);
/* Task gate or TSS selector from JMP/CALL/an IDT task gate: check it and
 * switch. `gate_dpl_ok` checks are done by the caller. */
void interp_task_gate(struct vcpu *cpu, uint16_t tss_sel, enum task_reason why,
		      bool ext);

/* ---- far transfers (interp_far.c) ------------------------------------ */

void interp_register_far(interp_fn *table);

/* ---- I/O and the virtual CPU model (interp_io.c, interp_model.c) ----- */

void interp_register_io(interp_fn *table);
void interp_register_model(interp_fn *table);
void interp_register_cr(interp_fn *table);

/* Is the I/O to [port, port+size) allowed (IOPL, TSS bitmap)? */
bool interp_io_allowed(struct vcpu *cpu, uint16_t port, unsigned size);

/* Read a 16-bit r/m operand (selectors, LLDT/LTR/LMSW sources). */
uint16_t prot_rm16(struct vcpu *cpu, const struct x86_insn *in);
/* Store a selector-like value into r/m: 16 bits to memory, operand size
 * (zero-extended) to a register. */
void prot_put_rm_sel(struct vcpu *cpu, const struct x86_insn *in, uint32_t val);

#endif

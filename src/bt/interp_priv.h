/*
 * interp_priv.h - what the interpreter's files share.
 *
 * The interpreter is one loop (interp.c) that fetches, decodes and
 * dispatches each instruction through a handler table indexed by
 * enum x86_op, plus families of handlers (interp_alu.c, interp_string.c,
 * interp_stack.c, interp_branch.c, interp_seg.c, interp_intr.c,
 * interp_sys.c), each filling its rows of the table in its
 * interp_register_*() function.
 *
 * Faults: a handler that detects an exception calls interp_raise*(),
 * which never returns: it longjmps back to the loop, which restores EIP
 * (and ESP for stack faults) to the start of the instruction and delivers
 * the exception. So handlers do every access that can fault before they
 * change architectural state (read operands, check the write destination,
 * then commit), except where the architecture itself commits partial
 * progress (string instructions update ESI/EDI/ECX per iteration).
 */
#ifndef BT386_BT_INTERP_PRIV_H
#define BT386_BT_INTERP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/decode.h"
#include "bt/interp.h"
#include "monitor/machine.h"
#include "monitor/stats.h"
#include "vcpu.h"

/* ---- handler table ------------------------------------------------ */

typedef void (*interp_fn)(struct vcpu *cpu, const struct x86_insn *in);

void interp_register_alu(interp_fn *table);    /* interp_alu.c */
void interp_register_string(interp_fn *table); /* interp_string.c */
void interp_register_stack(interp_fn *table);  /* interp_stack.c */
void interp_register_branch(interp_fn *table); /* interp_branch.c */
void interp_register_seg(interp_fn *table);    /* interp_seg.c */
void interp_register_intr(interp_fn *table);   /* interp_intr.c */
void interp_register_sys(interp_fn *table);    /* interp_sys.c */
void interp_register_fpu(interp_fn *table);    /* interp_fpu.c */

/* ---- exceptions (interp.c) ---------------------------------------- */

/* Raise an exception without / with an error code. Never return. */
_Noreturn void interp_raise(struct vcpu *cpu, int vector);
_Noreturn void interp_raise_err(struct vcpu *cpu, int vector, uint32_t err);
/* #PF: sets CR2 = lin. */
_Noreturn void interp_raise_pf(struct vcpu *cpu, uint32_t lin, uint32_t err);
/* #GP(0), #UD: the common cases. */
_Noreturn void interp_gp0(struct vcpu *cpu);
_Noreturn void interp_ud(struct vcpu *cpu);
/* Stop with VCPU_EXIT_ERROR and a message (an unsupported feature). */
_Noreturn void interp_fatal(struct vcpu *cpu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Deliver an exception or interrupt through the IDT (or the real-mode
 * IVT), with privilege change through the TSS, as hardware does
 * (interp_intr.c). `soft` is true for int n/int3/into (they check the
 * gate DPL and push the EIP after the instruction); `has_err` says whether
 * `err` is pushed. The return EIP is cpu->eip. May itself raise (which
 * the caller turns into #DF / triple fault).
 */
void interp_deliver(struct vcpu *cpu, int vector, bool soft, bool has_err,
		    uint32_t err);

/* ---- memory (interp_mem.c) ---------------------------------------- */

/*
 * Data accesses through a segment register: limit and type checks
 * (#GP(0), or #SS(0) for SS), then paging with the current CPL (#PF),
 * then RAM through physmap or MMIO through the bus. Sizes 1, 2, 4.
 */
uint32_t interp_read(struct vcpu *cpu, int seg, uint32_t off, unsigned size);
void interp_write(struct vcpu *cpu, int seg, uint32_t off, unsigned size,
		  uint32_t val);
/* Check that a write would succeed (for read-modify-write ordering). */
void interp_check_write(struct vcpu *cpu, int seg, uint32_t off, unsigned size);
uint64_t interp_read64(struct vcpu *cpu, int seg, uint32_t off);
/*
 * Operands of any length up to a page (FPU state images): the segment
 * checks cover the whole operand first, then every page is translated;
 * a write checks every page before the first byte changes.
 */
void interp_read_buf(struct vcpu *cpu, int seg, uint32_t off, void *buf,
		     unsigned len);
void interp_check_write_buf(struct vcpu *cpu, int seg, uint32_t off,
			    unsigned len);
void interp_write_buf(struct vcpu *cpu, int seg, uint32_t off, const void *buf,
		      unsigned len);
void interp_write64(struct vcpu *cpu, int seg, uint32_t off, uint64_t val);
/*
 * The host address of [off, off + len) of a flat segment when one page
 * of plain RAM holds it and the access would succeed (for a write: no
 * watched frame), or NULL: the caller then goes element by element, which
 * raises what must be raised. Fills the TLB as an access would (A, and D
 * for a write). For string instructions' bulk path.
 */
uint8_t *interp_span(struct vcpu *cpu, int seg, uint32_t off, unsigned len,
		     bool write);

/*
 * Linear accesses without segmentation. `sys` marks implicit supervisor
 * accesses (descriptor tables, TSS, IDT): they are checked as CPL 0
 * whatever the CPL.
 */
uint32_t interp_read_lin(struct vcpu *cpu, uint32_t lin, unsigned size,
			 bool sys);
void interp_write_lin(struct vcpu *cpu, uint32_t lin, unsigned size,
		      uint32_t val, bool sys);

/* Stack: push/pop of 2 or 4 bytes on SS:(E)SP per SS's B bit. */
void interp_push(struct vcpu *cpu, unsigned size, uint32_t val);
uint32_t interp_pop(struct vcpu *cpu, unsigned size);
/* Read a stack slot `depth` bytes above (E)SP without popping. */
uint32_t interp_stack_peek(struct vcpu *cpu, uint32_t depth, unsigned size);
/* The stack pointer as the stack size sees it (SP or ESP). */
uint32_t interp_sp(const struct vcpu *cpu);
void interp_set_sp(struct vcpu *cpu, uint32_t sp);

/*
 * Instruction fetch: copy up to `len` bytes at CS:eip into buf; returns
 * how many could be fetched before a limit or page fault (at least one, or
 * raises the fault if even the first byte cannot be fetched).
 */
unsigned interp_fetch(struct vcpu *cpu, uint32_t eip, uint8_t *buf,
		      unsigned len);

/* TLB: called on CR3 writes, invlpg, CR0/CR4 paging changes. */
void interp_tlb_flush(struct vcpu *cpu, bool include_global);
void interp_tlb_flush_page(struct vcpu *cpu, uint32_t lin);

/* ---- operands (interp_operand.c) ---------------------------------- */

/* Effective address (offset within the segment) of the memory operand. */
uint32_t interp_ea(struct vcpu *cpu, const struct x86_insn *in);
/* Read / write operand `i` (0-based) at its decoded size. */
uint32_t interp_get(struct vcpu *cpu, const struct x86_insn *in, unsigned i);
void interp_put(struct vcpu *cpu, const struct x86_insn *in, unsigned i,
		uint32_t val);
/* Check operand `i` is writable before side effects (memory operands). */
void interp_check_put(struct vcpu *cpu, const struct x86_insn *in, unsigned i);

/* General registers by size: 8-bit numbers are AL CL DL BL AH CH DH BH. */
uint32_t interp_reg_get(const struct vcpu *cpu, unsigned reg, unsigned size);
void interp_reg_put(struct vcpu *cpu, unsigned reg, unsigned size,
		    uint32_t val);

/* Condition code cc (0..15) against the current EFLAGS. */
bool interp_cond(const struct vcpu *cpu, unsigned cc);

/* ---- segments (interp_seg.c) -------------------------------------- */

/*
 * Load segment register `sreg` with `sel` with all protection checks of
 * a mov/pop/lds (real and v8086 mode: base = sel << 4). Raises #GP, #SS,
 * #NP, #TS as the architecture says.
 */
void interp_load_sreg(struct vcpu *cpu, int sreg, uint16_t sel);
/* Read the 8-byte descriptor for a selector (GDT or LDT); false if the
 * selector is outside the table limit. */
bool interp_read_desc(struct vcpu *cpu, uint16_t sel, uint32_t *lo,
		      uint32_t *hi);
/* Fill a segment cache from a descriptor. */
void interp_seg_from_desc(struct x86_seg *s, uint16_t sel, uint32_t lo,
			  uint32_t hi);
/* Real-mode / v8086 segment: base = sel << 4, limit 0xffff. */
void interp_seg_real(struct vcpu *cpu, int sreg, uint16_t sel);
/* Far transfer of control to sel:off (jmp/call/ret/iret helpers). */

/* ---- flags, ports, CPU mode (interp_sys.c) ------------------------ */

/* Write EFLAGS from popf/iret with the privilege rules for IF/IOPL/VM. */
void interp_write_eflags(struct vcpu *cpu, uint32_t val, uint32_t mask);
/* Port I/O with the IOPL and TSS I/O bitmap checks. */
uint32_t interp_port_in(struct vcpu *cpu, uint16_t port, unsigned size);
void interp_port_out(struct vcpu *cpu, uint16_t port, unsigned size,
		     uint32_t val);
/* Recompute cpl and cached mode after CR0/EFLAGS.VM/CS changes. */
void interp_mode_changed(struct vcpu *cpu);
/* Write a control register with the architecture's side effects. */
void interp_write_cr(struct vcpu *cpu, unsigned cr, uint32_t val);

/* ---- x87 (interp_fpu.c) ----------------------------------------- */

/* WAIT/FWAIT after its #NM check: a pending x87 error. */
void interp_fpu_wait(struct vcpu *cpu);
/* Before each instruction: FERR# and IGNNE# go away once FSW.ES is clear,
 * also when code run natively (FNCLEX in the code cache) cleared it. */
void interp_fpu_sync_ferr(struct vcpu *cpu);

/* ---- flags computed by the host CPU (interp_flags.h) ---------------- */

/* Arithmetic flags of the host RFLAGS merged into the guest EFLAGS. */
static inline void interp_set_arith(struct vcpu *cpu, uint32_t host_flags,
				    uint32_t mask)
{
	cpu->eflags = (cpu->eflags & ~mask) | (host_flags & mask);
}

#endif

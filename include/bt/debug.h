/*
 * debug.h - breakpoints, watchpoints and single steps: the gdb stub's and
 * the guest's own (DR0-DR7), one mechanism in the interpreter.
 *
 * Whenever the debugger has a breakpoint or watchpoint, is stepping, or
 * the guest has enabled a breakpoint in DR7, the monitor loop runs the
 * vCPU under the interpreter only (bt_debug_wanted(), bt_debug_run()):
 * translated code and direct execution never see a breakpoint, so there
 * is nothing to patch or to invalidate, and every check is exact
 * (docs/debugging.md says why this trade was made). The interpreter then
 *   - before each instruction compares the linear address of CS:EIP with
 *     the debugger's breakpoints (stop: VCPU_EXIT_DEBUG, nothing
 *     executed) and the guest's instruction breakpoints (#DB fault, DR6.Bn,
 *     suppressed by EFLAGS.RF);
 *   - on every data access (interp_mem.c) records which watchpoints and
 *     guest data breakpoints the bytes touch;
 *   - after the instruction reports them: the guest's as a #DB trap with
 *     DR6.Bn (together with DR6.BS when TF was set), the debugger's as
 *     VCPU_EXIT_DEBUG with the instruction completed.
 *
 * One vCPU per process (as direct execution): the debugger's points are
 * process state, kept across guest reboots. Runs on the vCPU thread.
 */
#ifndef BT386_BT_DEBUG_H
#define BT386_BT_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu.h"

/* What the debugger can ask for (gdb's Z0..Z4). */
enum bt_debug_kind {
	BT_DEBUG_SW_BREAK,     /* Z0: gdb's "software" breakpoint */
	BT_DEBUG_HW_BREAK,     /* Z1: hardware breakpoint (the same here) */
	BT_DEBUG_WATCH_WRITE,  /* Z2 */
	BT_DEBUG_WATCH_READ,   /* Z3 */
	BT_DEBUG_WATCH_ACCESS, /* Z4 */
};

/* Limits: gdb asks for a new point until one is refused. */
#define BT_DEBUG_MAX_BREAKS 256
#define BT_DEBUG_MAX_WATCHES 32

/* Why the vCPU last stopped with VCPU_EXIT_DEBUG. */
enum bt_debug_why {
	BT_DEBUG_STOP_BREAK, /* at a breakpoint, before its instruction */
	BT_DEBUG_STOP_WATCH, /* after an instruction that hit a watchpoint */
	BT_DEBUG_STOP_STEP,  /* after one step */
};

struct bt_debug_stop {
	enum bt_debug_why why;
	enum bt_debug_kind kind; /* BREAK, WATCH: which kind of point */
	uint32_t addr;		 /* BREAK, WATCH: the point's address */
};

/* Add or remove a point; -1 when full (insert) or absent (remove).
 * Addresses are linear (CS base + EIP for breakpoints). */
int bt_debug_insert(enum bt_debug_kind kind, uint32_t addr, uint32_t len);
int bt_debug_remove(enum bt_debug_kind kind, uint32_t addr, uint32_t len);
/* Forget every point and any pending step (the debugger went away). */
void bt_debug_clear(void);

/*
 * Before the vCPU runs again for the debugger: `step` runs exactly one
 * instruction (external interrupts held off, as QEMU's gdb stub does,
 * except to wake a halted CPU) and stops. A breakpoint at the current
 * EIP does not stop the first instruction, so "continue" from a
 * breakpoint moves on.
 */
void bt_debug_resume(struct vcpu *cpu, bool step);
/* Why the last VCPU_EXIT_DEBUG happened. */
struct bt_debug_stop bt_debug_last_stop(void);

/* Must the vCPU run under bt_debug_run() rather than its engine? */
bool bt_debug_wanted(const struct vcpu *cpu);
/* Run like bt_interp_run(), with the debugger's step if one is asked. */
enum vcpu_exit bt_debug_run(struct vcpu *cpu, uint64_t budget);

/* ---- the interpreter's hooks ---------------------------------------- */

extern unsigned bt_debug_points; /* breakpoints + watchpoints of gdb */
extern unsigned bt_debug_watches;
extern bool bt_debug_noirq; /* the step holds off external interrupts */

/* The guest's DR7 enables any breakpoint (L0-3, G0-3). */
static inline bool bt_debug_guest_on(const struct vcpu *cpu)
{
	return cpu->dr[7] & 0xff;
}

/* Anything to check around instructions? */
static inline bool bt_debug_checking(const struct vcpu *cpu)
{
	return bt_debug_points || bt_debug_guest_on(cpu);
}

/* Anything to check on data accesses? */
static inline bool bt_debug_watching(const struct vcpu *cpu)
{
	return bt_debug_watches || bt_debug_guest_on(cpu);
}

/*
 * Before the instruction at cpu->insn_eip, inside the interpreter's fault
 * handling: true when the debugger stops here; raises #DB for a guest
 * instruction breakpoint.
 */
bool bt_debug_insn_start(struct vcpu *cpu);
/* A data access of `size` bytes at linear `lin` (reads and writes). */
void bt_debug_access(struct vcpu *cpu, uint32_t lin, unsigned size, bool write);
/* After the instruction completed: the DR6 B0-B3 bits of the guest's
 * data breakpoints it hit; true when a debugger watchpoint stops. */
bool bt_debug_insn_end(struct vcpu *cpu, uint32_t *dr6_bits);

#endif

/*
 * interp.c - the interpreter loop: fetch, decode, dispatch, and the
 * exception machinery around it.
 *
 * One instruction at a time:
 *   1. at the boundary, unless an interrupt shadow (sti, mov ss) is in
 *      force, take a latched NMI that no NMI handler blocks, else a
 *      pending external interrupt if EFLAGS.IF is set;
 *   2. fetch up to 15 bytes at CS:EIP, decode with the shared opcode table;
 *   3. advance EIP past the instruction and call the handler of its op.
 *
 * A handler that faults calls interp_raise*(), which longjmps back here;
 * EIP and ESP are restored to their values at the start of the
 * instruction (faults are restartable) and the exception is delivered.
 * A fault while delivering an exception becomes #DF per the SDM's
 * benign/contributory/page-fault classes; a fault while delivering #DF is
 * a triple fault (VCPU_EXIT_SHUTDOWN, which the monitor turns into a reset
 * or, with -no-reboot, the end of the run).
 *
 * Runs on the vCPU thread. cpu->kick is the only field other threads write.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bt/debug.h"
#include "bt/interp_priv.h"

static interp_fn handlers[X86_OP_COUNT];

static void init_handlers(void)
{
	static bool ready;

	if (ready)
		return;
	interp_register_alu(handlers);
	interp_register_string(handlers);
	interp_register_stack(handlers);
	interp_register_branch(handlers);
	interp_register_seg(handlers);
	interp_register_intr(handlers);
	interp_register_sys(handlers);
	interp_register_fpu(handlers);
	ready = true;
}

/* ---- raising ------------------------------------------------------- */

static _Noreturn void unwind(struct vcpu *cpu, int vector, bool has_err,
			     uint32_t err)
{
	cpu->exc_vector = vector;
	cpu->exc_has_err = has_err;
	cpu->exc_err = err;
	longjmp(*cpu->fault_jmp, 1);
}

_Noreturn void interp_raise(struct vcpu *cpu, int vector)
{
	unwind(cpu, vector, false, 0);
}

_Noreturn void interp_raise_err(struct vcpu *cpu, int vector, uint32_t err)
{
	unwind(cpu, vector, true, err);
}

_Noreturn void interp_raise_pf(struct vcpu *cpu, uint32_t lin, uint32_t err)
{
	cpu->cr2 = lin;
	unwind(cpu, X86_EXC_PF, true, err);
}

_Noreturn void interp_gp0(struct vcpu *cpu)
{
	unwind(cpu, X86_EXC_GP, true, 0);
}

_Noreturn void interp_ud(struct vcpu *cpu)
{
	unwind(cpu, X86_EXC_UD, false, 0);
}

_Noreturn void interp_fatal(struct vcpu *cpu, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cpu->error, sizeof(cpu->error), fmt, ap);
	va_end(ap);
	unwind(cpu, -1, false, 0);
}

/* ---- delivering ---------------------------------------------------- */

static bool contributory(int v)
{
	return v == X86_EXC_DE || (v >= X86_EXC_TS && v <= X86_EXC_GP);
}

/*
 * Deliver exception `vec`. cpu->eip is the address to return to (the
 * faulting instruction for faults, the next one for traps).
 */
static enum vcpu_exit deliver_exception(struct vcpu *cpu, int vector,
					bool error_code, uint32_t error)
{
	jmp_buf jb, *saved = cpu->fault_jmp;
	uint32_t eip = cpu->eip, esp = cpu->regs[X86_ESP];
	uint16_t tr = cpu->tr.sel;
	/* Live across setjmp: must not sit in registers. */
	volatile int vec = vector;
	volatile bool has_err = error_code;
	volatile uint32_t err = error;

	for (;;) {
		int prev = cpu->delivering;

		if (prev == X86_EXC_DF) {
			STAT_INC(triple_faults);
			cpu->delivering = -1;
			cpu->fault_jmp = saved;
			return VCPU_EXIT_SHUTDOWN;
		}
		if (prev >= 0 && ((contributory(prev) && contributory(vec)) ||
				  (prev == X86_EXC_PF &&
				   (vec == X86_EXC_PF || contributory(vec))))) {
			STAT_INC(double_faults);
			vec = X86_EXC_DF;
			has_err = true;
			err = 0;
		}
		cpu->delivering = vec;
		cpu->fault_jmp = &jb;
		if (setjmp(jb) == 0) {
			interp_deliver(cpu, vec, false, has_err, err);
			STAT_INC(exceptions);
			if (vec < 32)
				stats.exceptions_by_vector[vec]++;
			cpu->delivering = -1;
			cpu->fault_jmp = saved;
			return VCPU_EXIT_NONE;
		}
		/* The delivery itself faulted. */
		if (cpu->exc_vector < 0) {
			cpu->delivering = -1;
			cpu->fault_jmp = saved;
			return VCPU_EXIT_ERROR;
		}
		if (cpu->tr.sel != tr) {
			/* A task gate switched tasks before the fault: the
			 * switch moved insn_eip/insn_esp to the new task. */
			cpu->eip = cpu->insn_eip;
			cpu->regs[X86_ESP] = cpu->insn_esp;
		} else {
			cpu->eip = eip;
			cpu->regs[X86_ESP] = esp;
		}
		vec = cpu->exc_vector;
		has_err = cpu->exc_has_err;
		err = cpu->exc_err;
	}
}

/*
 * Deliver an external event at the instruction boundary: `vector` through
 * the IDT (IVT) with EXT set in the error codes of faults on the way,
 * counted in `*count` once it reached its handler. External events are
 * benign: a fault on the way is delivered next.
 */
static enum vcpu_exit take_event(struct vcpu *cpu, int vector, uint64_t *count)
{
	jmp_buf jb;

	cpu->halted = false;
	cpu->insn_eip = cpu->eip;
	cpu->insn_esp = cpu->regs[X86_ESP];
	cpu->fault_jmp = &jb;
	if (setjmp(jb) == 0) {
		interp_deliver(cpu, vector, false, false, 0);
		(*count)++;
		return VCPU_EXIT_NONE;
	}
	if (cpu->exc_vector < 0)
		return VCPU_EXIT_ERROR;
	cpu->eip = cpu->insn_eip;
	cpu->regs[X86_ESP] = cpu->insn_esp;
	return deliver_exception(cpu, cpu->exc_vector, cpu->exc_has_err,
				 cpu->exc_err);
}

/* Take the interrupt the controller is signalling. */
static enum vcpu_exit take_interrupt(struct vcpu *cpu)
{
	return take_event(cpu, bus_intr_ack(&cpu->machine->bus),
			  &stats.interrupts);
}

/*
 * Take the latched NMI (vector 2), whatever EFLAGS.IF says. NMIs are
 * blocked from here to the next IRET (op_iret), also when the delivery
 * faults: the handler of that fault returns with IRET too.
 */
static enum vcpu_exit take_nmi(struct vcpu *cpu)
{
	cpu->nmi_pending = false;
	cpu->nmi_blocked = true;
	return take_event(cpu, X86_EXC_NMI, &stats.nmis);
}

/* ---- executing ----------------------------------------------------- */

/* Run a decoded instruction at cpu->insn_eip (inside the setjmp). */
static enum vcpu_exit run_decoded(struct vcpu *cpu, const struct x86_insn *in)
{
	interp_fn fn;
	bool tf, stop = false;
	uint32_t dr6 = 0, dr6_hits = 0;
	enum vcpu_exit r = VCPU_EXIT_NONE;

	/* Decoded, but absent from the modelled CPU (Pentium M): syscall
	 * and sysret (Intel: #UD outside 64-bit mode), VMX, SVM, SMX,
	 * monitor/mwait, clac/stac, XSAVE and xgetbv, TSX, rdrand, rdpid,
	 * PadLock, rsm outside SMM. #UD comes before any privilege check. */
	if (in->info->op == X86_OP_OTHER)
		interp_ud(cpu);
	if (cpu->fpu_ferr)
		interp_fpu_sync_ferr(cpu);
	fn = handlers[in->info->op];
	if (!fn) {
		STAT_INC(interp_unsupported);
		interp_fatal(cpu,
			     "instruction %s at %04x:%08x is not implemented "
			     "in the interpreter",
			     in->info->name, cpu->seg[X86_CS].sel, cpu->eip);
	}

	cpu->eip += in->len;
	if (!vcpu_code32(cpu))
		cpu->eip &= 0xffff;
	tf = cpu->eflags & X86_FL_TF;
	/* RF lasts one instruction (IRET may set it again). */
	cpu->eflags &= ~X86_FL_RF;
	cpu->ss_shadow = false;
	fn(cpu, in);
	STAT_INC(insns_interp);
	stats.interp_by_op[in->info->op]++;

	/* Single-step trap after the instruction; INT n/INT3/INTO/INT1
	 * clear TF on their way to the handler and raise none. Data
	 * breakpoints trap here too, in the same #DB (include/bt/debug.h). */
	if (tf && !cpu->halted && in->info->op != X86_OP_INT &&
	    in->info->op != X86_OP_INT3 && in->info->op != X86_OP_INTO &&
	    in->info->op != X86_OP_INT1)
		dr6 = 1u << 14;
	if (bt_debug_checking(cpu))
		stop = bt_debug_insn_end(cpu, &dr6_hits);
	/* mov ss / pop ss: its traps wait one instruction (SDM 6.8.3). */
	if (cpu->ss_shadow) {
		cpu->pending_dr6 |= dr6 | dr6_hits;
		dr6 = dr6_hits = 0;
	} else if (cpu->pending_dr6) {
		dr6 |= cpu->pending_dr6;
		cpu->pending_dr6 = 0;
	}
	if (dr6 | dr6_hits) {
		cpu->dr[6] |= dr6 | dr6_hits;
		r = deliver_exception(cpu, X86_EXC_DB, false, 0);
	}
	return stop && r == VCPU_EXIT_NONE ? VCPU_EXIT_DEBUG : r;
}

static enum vcpu_exit execute_one(struct vcpu *cpu)
{
	uint8_t buf[X86_MAX_INSN_LEN];
	struct x86_insn in;
	unsigned n;
	int len;
	jmp_buf jb;

	cpu->insn_eip = cpu->eip;
	cpu->insn_esp = cpu->regs[X86_ESP];
	cpu->fault_jmp = &jb;
	if (setjmp(jb)) {
		if (cpu->exc_vector < 0)
			return VCPU_EXIT_ERROR;
		cpu->eip = cpu->insn_eip;
		cpu->regs[X86_ESP] = cpu->insn_esp;
		/* A fault discards the traps a mov ss left pending. */
		cpu->ss_shadow = false;
		cpu->pending_dr6 = 0;
		return deliver_exception(cpu, cpu->exc_vector, cpu->exc_has_err,
					 cpu->exc_err);
	}

	if (bt_debug_checking(cpu) && bt_debug_insn_start(cpu))
		return VCPU_EXIT_DEBUG;
	n = interp_fetch(cpu, cpu->eip, buf, sizeof(buf));
	len = x86_decode(&in, buf, n, vcpu_code32(cpu));
	while (len == X86_DEC_TRUNC && n < sizeof(buf)) {
		/* Raises the fault of the first byte it cannot fetch. An
		 * instruction may not run past the top of the offset space
		 * (EIP would wrap): that is beyond the limit, #GP. */
		unsigned more;

		if ((uint32_t)(cpu->eip + n) < cpu->eip ||
		    (!vcpu_code32(cpu) && cpu->eip + n > 0xffff))
			break;
		more = interp_fetch(cpu, cpu->eip + n, buf + n,
				    sizeof(buf) - n);
		if (!more)
			break;
		n += more;
		len = x86_decode(&in, buf, n, vcpu_code32(cpu));
	}
	if (len == X86_DEC_TOOLONG || len == X86_DEC_TRUNC)
		interp_gp0(cpu);
	if (len == X86_DEC_INVALID)
		interp_ud(cpu);
	return run_decoded(cpu, &in);
}

enum vcpu_exit bt_interp_exec(struct vcpu *cpu, const struct x86_insn *in,
			      uint32_t eip)
{
	jmp_buf jb;

	init_handlers();
	cpu->eip = eip;
	cpu->insn_eip = eip;
	cpu->insn_esp = cpu->regs[X86_ESP];
	cpu->fault_jmp = &jb;
	if (setjmp(jb)) {
		if (cpu->exc_vector < 0)
			return VCPU_EXIT_ERROR;
		cpu->eip = cpu->insn_eip;
		cpu->regs[X86_ESP] = cpu->insn_esp;
		return deliver_exception(cpu, cpu->exc_vector, cpu->exc_has_err,
					 cpu->exc_err);
	}
	return run_decoded(cpu, in);
}

enum vcpu_exit bt_interp_exception(struct vcpu *cpu, int vector, bool has_err,
				   uint32_t err)
{
	init_handlers();
	cpu->insn_eip = cpu->eip;
	cpu->insn_esp = cpu->regs[X86_ESP];
	return deliver_exception(cpu, vector, has_err, err);
}

/* One instruction boundary: an interrupt, or an instruction. */
static enum vcpu_exit boundary(struct vcpu *cpu)
{
	bool shadow = cpu->intr_shadow;

	cpu->intr_shadow = false;
	if (!shadow && !bt_debug_noirq && vcpu_nmi_ready(cpu))
		return take_nmi(cpu);
	if (!shadow && !bt_debug_noirq && cpu->machine->bus.intr &&
	    (cpu->eflags & X86_FL_IF))
		return take_interrupt(cpu);
	if (cpu->halted)
		return VCPU_EXIT_HLT;
	return execute_one(cpu);
}

static enum vcpu_exit check_kick(struct vcpu *cpu)
{
	enum vcpu_exit r;

	if (!__atomic_exchange_n(&cpu->kick, 0, __ATOMIC_ACQUIRE))
		return VCPU_EXIT_NONE;
	r = cpu->stop_reason;
	cpu->stop_reason = VCPU_EXIT_NONE;
	return r != VCPU_EXIT_NONE ? r : VCPU_EXIT_EVENT;
}

enum vcpu_exit bt_interp_step(struct vcpu *cpu)
{
	enum vcpu_exit r;

	init_handlers();
	r = boundary(cpu);
	if (r == VCPU_EXIT_NONE)
		r = check_kick(cpu);
	if (r == VCPU_EXIT_NONE && cpu->halted)
		r = VCPU_EXIT_HLT;
	return r;
}

enum vcpu_exit bt_interp_run(struct vcpu *cpu, uint64_t budget)
{
	enum vcpu_exit r;

	init_handlers();
	for (uint64_t i = 0; i < budget; i++) {
		r = check_kick(cpu);
		if (r != VCPU_EXIT_NONE)
			return r;
		r = boundary(cpu);
		if (r != VCPU_EXIT_NONE)
			return r;
		if (cpu->interp_stop_at_cpl0 && cpu->cpl == 0)
			return VCPU_EXIT_BUDGET;
	}
	r = check_kick(cpu);
	return r != VCPU_EXIT_NONE ? r : VCPU_EXIT_BUDGET;
}

/*
 * fpu.h - the guest's x87/MMX/SSE state, and the host FPU that runs the
 * interpreter's floating-point instructions (src/bt/fpu_host.c).
 *
 * The guest FPU state is one XSAVE area (standard format; its first 512
 * bytes are the FXSAVE layout). When direct execution is set up, it is
 * direct execution's area (de_guest_fpu()), which the translator and
 * direct execution load into the host FPU around guest code; otherwise
 * (the interpreter alone, unit tests) one of bt_fpu_init()'s own. Outside
 * those engines' runs the state is in the area, never in host registers.
 *
 * The interpreter executes each x87/MMX/SSE instruction on the host FPU
 * with the guest's state loaded (docs/virtual-cpu.md): bt_fpu_init()
 * maps the one executable page the re-encoded instructions run from and
 * must run before the sandbox is in force.
 */
#ifndef BT386_BT_FPU_H
#define BT386_BT_FPU_H

#include <stdbool.h>
#include <stddef.h>

struct vcpu;

/*
 * Once per process, before the seccomp sandbox (it maps executable
 * memory) and after direct execution's set-up if any (it adopts its
 * area). Installs a SIGFPE handler when nothing else handles SIGFPE.
 * Returns 0, or -1 with a message.
 */
int bt_fpu_init(char *err, size_t errlen);

/* The guest's XSAVE area (see above); bt_fpu_init() must have run. */
void *bt_fpu_area(void);

/* The FPU at power-on as firmware leaves it: FNINIT (FCW 0x037f, every
 * register empty and +0.0), MXCSR 0x1f80, XMM registers zero. */
void bt_fpu_reset(struct vcpu *cpu);

/*
 * Can the host run this x87/MMX/SSE instruction natively, as it is, for
 * the guest (CR0.EM and TS clear)? False when the modelled CPU lacks it
 * (SSE3 and later, FISTTP, a mandatory prefix the opcode has no form
 * for) or when CR4.OSFXSR is clear for an SSE instruction: the
 * interpreter raises #UD for those. For the translator's plan.
 */
struct x86_insn;
bool bt_fpu_native_ok(const struct vcpu *cpu, const struct x86_insn *in);

/*
 * A write to port 0xf0 (the chipset's x87 error latch): with CR0.NE
 * clear and FERR# asserted, lower IRQ 13 and assert IGNNE#, so that
 * waiting instructions run with the error pending until FSW.ES clears.
 */
void bt_fpu_ignne(struct vcpu *cpu);

/*
 * For the process's signal handlers: a SIGFPE raised by an instruction
 * the interpreter runs on the host (an unmasked SIMD floating-point
 * exception of the guest's) is resumed in the host FPU runner, which
 * reports it. Returns true when it was one (the context has been
 * changed); runs in signal context.
 */
bool bt_fpu_host_fault(int sig, void *ucontext);

#endif

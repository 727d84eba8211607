/*
 * loop.c - the monitor's run loop and exit dispatch.
 *
 * The vCPU thread alternates between running guest code in the selected
 * engine and handling what made it stop, always in normal (not signal)
 * context: host timers and console input are turned into device events,
 * hlt sleeps until an interrupt can arrive, resets reboot the machine and
 * the guest's debug-exit write ends the run. The gdb stub gets the vCPU
 * here too: at the top of each turn (a connection, Ctrl-C) and when the
 * interpreter stopped at a breakpoint, watchpoint or step.
 */
#include <stdio.h>

#include "bt/bt.h"
#include "bt/debug.h"
#include "bt/interp.h"
#include "devices/devices.h"
#include "monitor/console.h"
#include "monitor/gdbstub.h"
#include "monitor/monitor.h"
#include "monitor/stats.h"
#include "monitor/timer.h"

/* Instructions per engine call: bounds the latency of host events that
 * arrive without a kick (none today) and of the statistics. */
#define RUN_BUDGET 200000

/* More reboots than this within RESET_WINDOW_NS is a reset loop. */
#define MAX_QUICK_RESETS 5
#define RESET_WINDOW_NS (10ull * 1000000000ull)

static void process_events(struct machine *m)
{
	mon_timers_run(mon_now_ns());
	dev_uart_pump_input(m->com1);
	/* The NMI button is IOCHK# of the chipset's NMI logic. */
	if (console_take_nmi_request())
		bus_nmi_iochk(&m->bus);
}

static const char *mode_name(const struct vcpu *cpu)
{
	if (!vcpu_protected(cpu))
		return "real mode";
	if (vcpu_v86(cpu))
		return "virtual-8086 mode";
	return vcpu_paging(cpu) ? "protected mode, paging on"
				: "protected mode, paging off";
}

/* ", last POST code 0xNN" when the guest wrote one (firmware and CPU
 * testers such as test386 report where they stopped on port 0x80). */
static const char *post_code(const struct machine *m)
{
	static char buf[32];
	uint8_t code;

	if (!dev_port80_seen(m, &code))
		return "";
	snprintf(buf, sizeof(buf), ", last POST code 0x%02x", code);
	return buf;
}

/* Reboot after a triple fault or a reset request; -1 to stop the run. */
static int reboot(struct machine *m, const char *why)
{
	static uint64_t window_start;
	static int quick_resets;
	uint64_t now = mon_now_ns();
	char err[512];

	if (now - window_start > RESET_WINDOW_NS) {
		window_start = now;
		quick_resets = 0;
	}
	if (++quick_resets > MAX_QUICK_RESETS) {
		mon_error(
			"%s: the guest reset %d times in %llu s; stopping a "
			"reset loop",
			why, quick_resets - 1,
			(unsigned long long)(RESET_WINDOW_NS / 1000000000ull));
		return -1;
	}
	mon_warn("%s: rebooting (use -no-reboot to stop instead)", why);
	if (machine_boot(m, err, sizeof(err)) < 0) {
		mon_error("%s", err);
		return -1;
	}
	return 0;
}

static enum vcpu_exit run_engine(struct machine *m)
{
	/* Breakpoints, watchpoints and steps (the debugger's or the
	 * guest's DR7) are checked by the interpreter alone. */
	if (bt_debug_wanted(&m->cpu))
		return bt_debug_run(&m->cpu, RUN_BUDGET);
	if (m->opt.engine == ENGINE_BT)
		return bt_run(&m->cpu, RUN_BUDGET);
	return bt_interp_run(&m->cpu, RUN_BUDGET);
}

static int killed_by_gdb(void)
{
	console_flush();
	fprintf(stderr, "bt386: killed by gdb\n");
	return MON_EXIT_OK;
}

static int run(struct machine *m)
{
	struct vcpu *cpu = &m->cpu;

	for (;;) {
		enum vcpu_exit r;

		if (!mon_quit_requested() && gdbstub_poll(m) == GDBSTUB_KILL)
			return killed_by_gdb();
		if (mon_quit_requested()) {
			console_flush();
			fprintf(stderr, "bt386: stopped by request\n");
			return MON_EXIT_OK;
		}
		r = run_engine(m);
		switch (r) {
		case VCPU_EXIT_NONE:
		case VCPU_EXIT_BUDGET:
			STAT_INC(exits_budget);
			process_events(m);
			break;
		case VCPU_EXIT_EVENT:
			STAT_INC(exits_event);
			process_events(m);
			break;
		case VCPU_EXIT_DEBUG:
			/* The debugger holds the guest: what happened until
			 * now happened before the stop. */
			process_events(m);
			if (gdbstub_debug_stop(m) == GDBSTUB_KILL)
				return killed_by_gdb();
			break;
		case VCPU_EXIT_HLT:
			if (!(cpu->eflags & X86_FL_IF) &&
			    !vcpu_nmi_ready(cpu)) {
				console_flush();
				fprintf(stderr,
					"bt386: the guest halted with "
					"interrupts disabled at %04x:%08x "
					"(%s%s); nothing can wake it, so the "
					"run ends\n",
					cpu->seg[X86_CS].sel, cpu->eip,
					mode_name(cpu), post_code(m));
				return MON_EXIT_OK;
			}
			STAT_INC(hlt_waits);
			console_flush();
			process_events(m);
			if (!m->bus.intr && !vcpu_nmi_ready(cpu))
				mon_events_wait();
			process_events(m);
			break;
		case VCPU_EXIT_DEBUGEXIT:
			console_flush();
			return (cpu->debug_exit_value << 1) | 1;
		case VCPU_EXIT_SHUTDOWN:
			if (m->opt.no_reboot) {
				mon_error(
					"the guest triple-faulted at %04x:%08x "
					"(%s); -no-reboot: stopping",
					cpu->seg[X86_CS].sel, cpu->eip,
					mode_name(cpu));
				return MON_EXIT_CRASHED;
			}
			if (reboot(m, "the guest triple-faulted") < 0)
				return MON_EXIT_CRASHED;
			break;
		case VCPU_EXIT_RESET:
			if (m->opt.no_reboot) {
				console_flush();
				fprintf(stderr,
					"bt386: the guest reset the "
					"machine; -no-reboot: stopping\n");
				return MON_EXIT_OK;
			}
			if (reboot(m, "the guest reset the machine") < 0)
				return MON_EXIT_CRASHED;
			break;
		case VCPU_EXIT_ERROR:
			mon_error("guest stopped at %04x:%08x (%s): %s",
				  cpu->seg[X86_CS].sel, cpu->insn_eip,
				  mode_name(cpu), cpu->error);
			return MON_EXIT_CRASHED;
		}
	}
}

int mon_run(struct machine *m)
{
	int status = run(m);

	gdbstub_run_ended(status);
	return status;
}

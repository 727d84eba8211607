/*
 * trap.c - C side of every interrupt and exception.
 *
 * Order of resolution: a handler the guest registered for the vector, then
 * the exception table (a fault at an address listed with EXTABLE() is
 * recorded in last_trap and resumes at the fixup address), then a fatal
 * "unexpected trap" report. Faults from ring 3 use the same table, so user
 * code in .user.text can list its own expected faults.
 */
#include "guest.h"

struct extable_entry {
	uint32_t from, to;
};
extern const struct extable_entry __extable_start[], __extable_end[];

static trap_handler_fn handlers[256];
volatile struct trap_record last_trap;

void trap_dispatch(struct trap_frame *f);

void trap_set_handler(int vector, trap_handler_fn fn)
{
	handlers[vector] = fn;
}

void trap_record_clear(void)
{
	last_trap.vector = 0xffffffffu;
	last_trap.err = 0xffffffffu;
	last_trap.eip = 0;
	last_trap.cs = 0;
	last_trap.eflags = 0;
	last_trap.cr2 = 0;
	last_trap.frame_esp = 0;
	last_trap.user_esp = 0;
	last_trap.user_ss = 0;
}

static int extable_fixup(struct trap_frame *f)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end;
	     e++) {
		if (e->from != f->eip)
			continue;
		last_trap.vector = f->vector;
		last_trap.err = f->err;
		last_trap.eip = f->eip;
		last_trap.cs = f->cs & 0xffff;
		last_trap.eflags = f->eflags;
		last_trap.cr2 = f->vector == 14 ? read_cr2() : 0;
		last_trap.frame_esp = (uint32_t)f;
		last_trap.user_esp = (f->cs & 3) ? f->user_esp : 0;
		last_trap.user_ss = (f->cs & 3) ? f->user_ss & 0xffff : 0;
		last_trap.count++;
		f->eip = e->to;
		return 1;
	}
	return 0;
}

void trap_dispatch(struct trap_frame *f)
{
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (f->vector < 32 && extable_fixup(f))
		return;
	panic("unexpected trap %u (error 0x%x) at %04x:%08x, cr2 %08x",
	      f->vector, f->err, f->cs & 0xffff, f->eip, read_cr2());
}

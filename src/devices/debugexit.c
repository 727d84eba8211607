/*
 * debugexit.c - an isa-debug-exit compatible port at 0xf4 (4 ports).
 *
 * A write of value v (of any size, at any of the four ports) ends the run:
 * the monitor exits with status (v << 1) | 1, as QEMU does with
 * -device isa-debug-exit,iobase=0xf4,iosize=4, so test guests report their
 * result the same way under both. Reads return all ones (no register).
 * -device isa-debug-exit,iobase=P,iosize=N adds one more at P, as QEMU's
 * device (default 0x501, 2 ports).
 */
#include <stdio.h>

#include "devices/devices.h"
#include "monitor/machine.h"

#define DEBUGEXIT_BASE 0xf4
#define DEBUGEXIT_LEN 4

static void debugexit_write(void *opaque, uint32_t offset, unsigned size,
			    uint32_t value)
{
	machine_request_exit(opaque, VCPU_EXIT_DEBUGEXIT, (int)value);
}

int dev_debugexit_init(struct machine *m)
{
	bus_register_pio(&m->bus, "debug-exit", DEBUGEXIT_BASE, DEBUGEXIT_LEN,
			 NULL, debugexit_write, m);
	return 0;
}

int dev_debugexit_extra(struct machine *m, char *err, size_t errlen)
{
	uint16_t port = m->opt.debug_exit_port, len = m->opt.debug_exit_size;

	if (!port)
		return 0;
	for (unsigned p = port; p < (unsigned)port + len; p++) {
		if (m->bus.pio_map[p]) {
			snprintf(err, errlen,
				 "-device isa-debug-exit,iobase=0x%x: port "
				 "0x%x is taken by %s",
				 port, p,
				 m->bus.pio[m->bus.pio_map[p] - 1].name);
			return -1;
		}
	}
	bus_register_pio(&m->bus, "debug-exit", port, len, NULL,
			 debugexit_write, m);
	return 0;
}

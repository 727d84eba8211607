/*
 * port80.c - the POST code port (0x80).
 *
 * Firmware and kernels write progress codes here, and Linux uses writes to
 * it as a short I/O delay (outb_p). Writes are kept so a debugger or the
 * monitor can show the last code; reads return it, as on boards with a
 * POST card latch.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "devices/devices.h"
#include "monitor/machine.h"

#define POST_PORT 0x80

struct dev_port80 {
	uint8_t last;
	bool written;
};

static uint32_t port80_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct dev_port80 *p = opaque;
	return p->last;
}

static void port80_write(void *opaque, uint32_t offset, unsigned size,
			 uint32_t value)
{
	struct dev_port80 *p = opaque;
	p->last = (uint8_t)value;
	p->written = true;
}

/* The state hangs off the bus range: the machine has no field for it. */
static struct dev_port80 *find(const struct machine *m)
{
	unsigned idx = m->bus.pio_map[POST_PORT];

	if (!idx || m->bus.pio[idx - 1].read != port80_read)
		return NULL;
	return m->bus.pio[idx - 1].opaque;
}

bool dev_port80_seen(const struct machine *m, uint8_t *code)
{
	const struct dev_port80 *p = find(m);

	if (!p || !p->written)
		return false;
	*code = p->last;
	return true;
}

int dev_port80_init(struct machine *m)
{
	struct dev_port80 *p = calloc(1, sizeof(*p));

	if (!p) {
		fprintf(stderr, "bt386: port80: out of memory\n");
		return -1;
	}
	bus_register_pio8(&m->bus, "post", POST_PORT, 1, port80_read,
			  port80_write, p);
	return 0;
}

void dev_port80_destroy(struct machine *m)
{
	struct dev_port80 *p = find(m);
	unsigned idx = m->bus.pio_map[POST_PORT];

	if (!p)
		return;
	m->bus.pio[idx - 1].opaque = NULL;
	m->bus.pio[idx - 1].read = NULL;
	m->bus.pio[idx - 1].write = NULL;
	free(p);
}

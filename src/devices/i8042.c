/*
 * i8042.c - the PS/2 keyboard controller (0x60 data, 0x64 status/command),
 * the keyboard behind it, and system control port A (0x92).
 *
 * The machine has no keyboard input source (the console is the serial
 * port), but the controller and keyboard answer everything guests use to
 * find and set them up: controller self test and interface tests, the
 * command byte, the output port (reset and A20), the 0xd2/0xd3/0xd4 writes
 * Linux's i8042 driver uses to probe the ports, pulse-output commands, and
 * the keyboard's own commands (reset, identify, LEDs, typematic, scan set,
 * enable/disable, echo).
 *
 * There is no mouse: the controller has an AUX port (so its loopback 0xd3
 * works and IRQ12 can be tested) but a byte sent to the device with 0xd4
 * times out, as with an empty PS/2 mouse socket: 0xfe arrives as AUX data
 * with the status register's timeout bit set, and mouse drivers give up.
 *
 * Output model: bytes for the guest wait in a small queue; the head is the
 * output buffer (status OBF, and AUXB when it came from the AUX side). The
 * IRQ line of the head's side (IRQ1 or IRQ12) is high while it waits and
 * that side's interrupt is enabled in the command byte; reading 0x60 drops
 * the line and loads the next byte, which raises it again (a fresh edge).
 *
 * A20 is always enabled (guests that turn it off are not supported) and
 * reported as on. Reset requests end in machine_request_exit(RESET).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "monitor/machine.h"

#define KBD_IRQ 1
#define AUX_IRQ 12
#define QUEUE_SIZE 16

#define STAT_OBF 0x01
#define STAT_SYS 0x04
#define STAT_CMD 0x08 /* last write was to 0x64 */
#define STAT_UNLOCKED 0x10
#define STAT_AUXB 0x20
#define STAT_TIMEOUT 0x40

#define CCB_KBD_INT 0x01
#define CCB_AUX_INT 0x02
#define CCB_SYS 0x04
#define CCB_KBD_DISABLE 0x10
#define CCB_AUX_DISABLE 0x20
#define CCB_XLATE 0x40

#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe

struct out_byte {
	uint8_t data;
	bool aux;
	bool timeout;
};

struct dev_i8042 {
	struct machine *m;
	struct bus *bus;
	uint8_t ram[32];     /* ram[0] is the command byte */
	uint8_t status;	     /* SYS and CMD; the rest is derived */
	uint8_t pending_cmd; /* controller command waiting for its data byte */
	uint8_t kbd_pending; /* keyboard command waiting for its argument */
	uint8_t last_out;
	bool kbd_scanning;
	uint8_t scan_set;
	uint8_t port_a;
	struct out_byte queue[QUEUE_SIZE];
	unsigned q_head, q_count;
	bool irq1, irq12;
	struct dev_i8042_stats stats;
};

static void update_irqs(struct dev_i8042 *k)
{
	const struct out_byte *b = &k->queue[k->q_head];
	bool kbd = false, aux = false;

	if (k->q_count) {
		if (b->aux)
			aux = k->ram[0] & CCB_AUX_INT;
		else
			kbd = k->ram[0] & CCB_KBD_INT;
	}
	if (kbd != k->irq1) {
		k->irq1 = kbd;
		k->stats.irqs += kbd;
		bus_set_irq(k->bus, KBD_IRQ, kbd);
	}
	if (aux != k->irq12) {
		k->irq12 = aux;
		k->stats.irqs += aux;
		bus_set_irq(k->bus, AUX_IRQ, aux);
	}
}

static void queue_out(struct dev_i8042 *k, uint8_t data, bool aux, bool timeout)
{
	if (k->q_count == QUEUE_SIZE)
		return; /* the guest is not reading: drop, as a keyboard does */
	k->queue[(k->q_head + k->q_count) % QUEUE_SIZE] = (struct out_byte){
		.data = data,
		.aux = aux,
		.timeout = timeout,
	};
	k->q_count++;
	update_irqs(k);
}

static void kbd_out(struct dev_i8042 *k, uint8_t data)
{
	queue_out(k, data, false, false);
}

static void request_reset(struct dev_i8042 *k)
{
	k->stats.resets++;
	machine_request_exit(k->m, VCPU_EXIT_RESET, 0);
}

static uint8_t output_port(const struct dev_i8042 *k)
{
	uint8_t v = 0x01 | 0x02; /* not in reset, A20 on */

	if (k->irq1)
		v |= 0x10;
	if (k->irq12)
		v |= 0x20;
	return v;
}

/* Keyboard scan sets as reported through the controller's translation. */
static uint8_t scan_set_id(const struct dev_i8042 *k)
{
	static const uint8_t xlated[4] = {0, 0x43, 0x41, 0x3f};

	return (k->ram[0] & CCB_XLATE) ? xlated[k->scan_set] : k->scan_set;
}

static void kbd_reset_state(struct dev_i8042 *k)
{
	k->scan_set = 2;
	k->kbd_scanning = true;
	k->kbd_pending = 0;
}

/* A byte the guest sends to the keyboard (a write to 0x60). */
static void kbd_write(struct dev_i8042 *k, uint8_t v)
{
	k->stats.kbd_commands++;
	if (k->kbd_pending) {
		uint8_t cmd = k->kbd_pending;
		k->kbd_pending = 0;
		if (cmd == 0xf0 && v == 0) {
			kbd_out(k, KBD_ACK);
			kbd_out(k, scan_set_id(k));
			return;
		}
		if (cmd == 0xf0 && v <= 3)
			k->scan_set = v;
		kbd_out(k, KBD_ACK);
		return;
	}
	switch (v) {
	case 0xed: /* set LEDs */
	case 0xf3: /* set typematic rate */
	case 0xf0: /* scan code set */
		k->kbd_pending = v;
		kbd_out(k, KBD_ACK);
		break;
	case 0xee: /* echo */
		kbd_out(k, 0xee);
		break;
	case 0xf2: /* identify: an MF2 keyboard */
		kbd_out(k, KBD_ACK);
		kbd_out(k, 0xab);
		kbd_out(k, (k->ram[0] & CCB_XLATE) ? 0x41 : 0x83);
		break;
	case 0xf4: /* enable scanning */
		k->kbd_scanning = true;
		kbd_out(k, KBD_ACK);
		break;
	case 0xf5: /* disable scanning, set defaults */
		kbd_reset_state(k);
		k->kbd_scanning = false;
		kbd_out(k, KBD_ACK);
		break;
	case 0xf6: /* set defaults */
		kbd_reset_state(k);
		kbd_out(k, KBD_ACK);
		break;
	case 0xff: /* reset and self test */
		kbd_reset_state(k);
		kbd_out(k, KBD_ACK);
		kbd_out(k, 0xaa);
		break;
	default:
		if (v >= 0xf7) /* set-3 key modes, resend: accepted */
			kbd_out(k, KBD_ACK);
		else
			kbd_out(k, KBD_RESEND);
		break;
	}
}

/* The data byte that follows a controller command. */
static void command_data(struct dev_i8042 *k, uint8_t cmd, uint8_t v)
{
	switch (cmd) {
	case 0xd1: /* write output port */
		if (!(v & 0x01))
			request_reset(k);
		break;
	case 0xd2: /* write keyboard output buffer */
		queue_out(k, v, false, false);
		break;
	case 0xd3: /* write AUX output buffer (loopback) */
		queue_out(k, v, true, false);
		break;
	case 0xd4: /* write to the AUX device: nobody answers */
		k->stats.aux_timeouts++;
		queue_out(k, KBD_RESEND, true, true);
		break;
	default: /* 0x60-0x7f: write internal RAM */
		k->ram[cmd & 0x1f] = v;
		if (cmd == 0x60) {
			k->status = (k->status & ~STAT_SYS) | (v & CCB_SYS);
			update_irqs(k);
		}
		break;
	}
}

static void controller_command(struct dev_i8042 *k, uint8_t cmd)
{
	if (cmd >= 0x20 && cmd <= 0x3f) { /* read internal RAM */
		kbd_out(k, k->ram[cmd & 0x1f]);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
		k->pending_cmd = cmd;
		return;
	}
	if (cmd >= 0xf0) { /* pulse output port bits that are 0 in cmd */
		if (!(cmd & 0x01))
			request_reset(k);
		return;
	}
	switch (cmd) {
	case 0xa4: /* password installed? */
		kbd_out(k, 0xf1);
		break;
	case 0xa7:
		k->ram[0] |= CCB_AUX_DISABLE;
		break;
	case 0xa8:
		k->ram[0] &= ~CCB_AUX_DISABLE;
		break;
	case 0xa9: /* AUX interface test: lines fine */
	case 0xab: /* keyboard interface test */
		kbd_out(k, 0x00);
		break;
	case 0xaa: /* controller self test */
		k->status |= STAT_SYS;
		kbd_out(k, 0x55);
		break;
	case 0xad:
		k->ram[0] |= CCB_KBD_DISABLE;
		break;
	case 0xae:
		k->ram[0] &= ~CCB_KBD_DISABLE;
		break;
	case 0xc0: /* read input port: keyboard not inhibited */
		kbd_out(k, 0x80);
		break;
	case 0xd0: /* read output port */
		kbd_out(k, output_port(k));
		break;
	case 0xe0: /* read test inputs */
		kbd_out(k, 0x00);
		break;
	default:
		break; /* unknown commands are ignored */
	}
}

static uint8_t status_read(const struct dev_i8042 *k)
{
	uint8_t v = k->status | STAT_UNLOCKED;

	if (k->q_count) {
		const struct out_byte *b = &k->queue[k->q_head];
		v |= STAT_OBF;
		if (b->aux)
			v |= STAT_AUXB;
		if (b->timeout)
			v |= STAT_TIMEOUT;
	}
	return v;
}

static uint8_t data_read(struct dev_i8042 *k)
{
	if (k->q_count) {
		k->last_out = k->queue[k->q_head].data;
		k->q_head = (k->q_head + 1) % QUEUE_SIZE;
		k->q_count--;
		/* Drop the line so that the next byte makes a new edge. */
		if (k->irq1) {
			k->irq1 = false;
			bus_set_irq(k->bus, KBD_IRQ, 0);
		}
		if (k->irq12) {
			k->irq12 = false;
			bus_set_irq(k->bus, AUX_IRQ, 0);
		}
		update_irqs(k);
	}
	return k->last_out;
}

static uint32_t data_port_read(void *opaque, uint32_t offset, unsigned size)
{
	return data_read(opaque);
}

static void data_port_write(void *opaque, uint32_t offset, unsigned size,
			    uint32_t value)
{
	struct dev_i8042 *k = opaque;
	uint8_t cmd = k->pending_cmd;

	k->status &= ~STAT_CMD;
	if (cmd) {
		k->pending_cmd = 0;
		command_data(k, cmd, (uint8_t)value);
	} else {
		/* Writing to the keyboard enables its interface. */
		k->ram[0] &= ~CCB_KBD_DISABLE;
		kbd_write(k, (uint8_t)value);
	}
}

static uint32_t status_port_read(void *opaque, uint32_t offset, unsigned size)
{
	return status_read(opaque);
}

static void command_port_write(void *opaque, uint32_t offset, unsigned size,
			       uint32_t value)
{
	struct dev_i8042 *k = opaque;

	k->status |= STAT_CMD;
	k->pending_cmd = 0;
	controller_command(k, (uint8_t)value);
}

static uint32_t port_a_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_i8042 *k = opaque;

	return (k->port_a & ~0x01) | 0x02;
}

static void port_a_write(void *opaque, uint32_t offset, unsigned size,
			 uint32_t value)
{
	struct dev_i8042 *k = opaque;
	bool rising = (value & 0x01) && !(k->port_a & 0x01);

	k->port_a = (uint8_t)value;
	if (rising)
		request_reset(k);
}

void dev_i8042_reset(struct dev_i8042 *k)
{
	memset(k->ram, 0, sizeof(k->ram));
	/* As firmware leaves it: translated keyboard with IRQ1, POST done. */
	k->ram[0] = CCB_KBD_INT | CCB_SYS | CCB_XLATE | CCB_AUX_DISABLE;
	k->status = STAT_SYS;
	k->port_a = 0x02;
	k->pending_cmd = 0;
	k->last_out = 0;
	k->q_head = k->q_count = 0;
	kbd_reset_state(k);
	update_irqs(k);
}

int dev_i8042_init(struct machine *m)
{
	struct dev_i8042 *k = calloc(1, sizeof(*k));

	if (!k) {
		fprintf(stderr, "bt386: i8042: out of memory\n");
		return -1;
	}
	k->m = m;
	k->bus = &m->bus;
	dev_i8042_reset(k);
	m->i8042 = k;
	bus_register_pio8(&m->bus, "i8042-data", 0x60, 1, data_port_read,
			  data_port_write, k);
	bus_register_pio8(&m->bus, "i8042-cmd", 0x64, 1, status_port_read,
			  command_port_write, k);
	bus_register_pio8(&m->bus, "port-a", 0x92, 1, port_a_read, port_a_write,
			  k);
	return 0;
}

void dev_i8042_destroy(struct machine *m)
{
	free(m->i8042);
	m->i8042 = NULL;
}

const struct dev_i8042_stats *dev_i8042_stats(const struct dev_i8042 *k)
{
	return &k->stats;
}

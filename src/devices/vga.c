/*
 * vga.c - the registers of a CGA/VGA card in text mode, without a display.
 *
 * Guests that write to the text console (xv6's cgaputc, Linux's vgacon)
 * move the cursor through the CRT controller and read it back, and some
 * wait for vertical retrace. This file answers all of that; nothing is
 * drawn (bt386's console is the serial port). The text frame buffer at
 * 0xb8000 is not here: it stays ordinary guest RAM, so the guest's
 * stores into it cost nothing.
 *
 * Registers: the CRT controller (index/data at 0x3d4/0x3d5, or 0x3b4/0x3b5
 * when the miscellaneous output register selects monochrome addressing,
 * as on a real card), the miscellaneous output register (write 0x3c2,
 * read 0x3cc), input status 0 and 1 (0x3c2, 0x3da/0x3ba), the attribute
 * controller with its index/data flip-flop (0x3c0/0x3c1, reset by reading
 * input status 1), the sequencer (0x3c4/0x3c5), the graphics controller
 * (0x3ce/0x3cf) and the DAC (0x3c6-0x3c9). Every register reads back what
 * was written (CRTC 0-7 are write-protected by CRTC 0x11 bit 7, as on a
 * VGA). The power-on values are those a BIOS leaves for text mode 3
 * (80x25, colour addressing), since guests booted by QEMU find them so.
 *
 * Input status 1 reports retrace (bits 0 and 3) on every other read: a
 * guest that waits for the start and then the end of a retrace always
 * finishes, at any speed, without a timer.
 *
 * Runs on the vCPU thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "monitor/machine.h"

/* The port windows a VGA decodes (0x3bc-0x3be stay free for LPT1). */
static const struct {
	const char *name;
	uint16_t base, len;
} windows[] = {
	{"vga-crtc-mono", 0x3b4, 2}, {"vga-status-mono", 0x3ba, 1},
	{"vga", 0x3c0, 16},	     {"vga-crtc", 0x3d4, 2},
	{"vga-status", 0x3da, 1},
};
#define VGA_WINDOWS (sizeof(windows) / sizeof(windows[0]))

#define MISC_COLOR 0x01	 /* I/O address select: 0x3dx (colour) */
#define ST1_RETRACE 0x09 /* display disabled + vertical retrace */

#define CRTC_REGS 0x19
#define SEQ_REGS 5
#define GFX_REGS 9
#define ATTR_REGS 0x15

struct dev_vga;
/* The bus opaque of one window: callbacks get offsets from its base. */
struct vga_window {
	struct dev_vga *v;
	uint16_t base;
};

struct dev_vga {
	struct vga_window win[VGA_WINDOWS];
	uint8_t misc, feature;
	uint8_t crtc_index, crtc[CRTC_REGS];
	uint8_t seq_index, seq[SEQ_REGS];
	uint8_t gfx_index, gfx[GFX_REGS];
	uint8_t attr_index, attr[ATTR_REGS];
	bool attr_data; /* the 0x3c0 flip-flop: next write is data */
	uint8_t dac_mask, dac_state, dac_read, dac_write, dac_comp;
	uint8_t dac[256][3];
	unsigned retrace; /* toggles on every input status 1 read */
};

/* Mode 3 (80x25 text, 9x16 cell), as a BIOS programs it. */
static const uint8_t crtc_mode3[CRTC_REGS] = {
	0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00,
	0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e,
	0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff};
static const uint8_t seq_mode3[SEQ_REGS] = {0x03, 0x00, 0x03, 0x00, 0x02};
static const uint8_t gfx_mode3[GFX_REGS] = {0x00, 0x00, 0x00, 0x00, 0x00,
					    0x10, 0x0e, 0x00, 0xff};
static const uint8_t attr_mode3[ATTR_REGS] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
	0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00};

/* Is `port` a CRTC/status port of the addressing mode not selected? */
static bool other_mode(const struct dev_vga *v, uint16_t port)
{
	bool color = v->misc & MISC_COLOR;

	if (port >= 0x3b0 && port <= 0x3bf)
		return color;
	if (port >= 0x3d0 && port <= 0x3df)
		return !color;
	return false;
}

static uint8_t status1_read(struct dev_vga *v)
{
	v->attr_data = false;
	v->retrace ^= 1;
	return v->retrace ? ST1_RETRACE : 0;
}

static uint8_t dac_read_data(struct dev_vga *v)
{
	uint8_t c = v->dac[v->dac_read][v->dac_comp];

	if (++v->dac_comp == 3) {
		v->dac_comp = 0;
		v->dac_read++;
	}
	return c;
}

static void dac_write_data(struct dev_vga *v, uint8_t c)
{
	v->dac[v->dac_write][v->dac_comp] = c & 0x3f;
	if (++v->dac_comp == 3) {
		v->dac_comp = 0;
		v->dac_write++;
	}
}

static uint32_t vga_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct vga_window *w = opaque;
	struct dev_vga *v = w->v;
	uint16_t port = (uint16_t)(w->base + offset);

	if (other_mode(v, port))
		return 0xff; /* not decoded */
	switch (port) {
	case 0x3b4:
	case 0x3d4:
		return v->crtc_index;
	case 0x3b5:
	case 0x3d5:
		return v->crtc_index < CRTC_REGS ? v->crtc[v->crtc_index] : 0;
	case 0x3ba:
	case 0x3da:
		return status1_read(v);
	case 0x3c0:
		return v->attr_index;
	case 0x3c1:
		return (v->attr_index & 0x1f) < ATTR_REGS
			       ? v->attr[v->attr_index & 0x1f]
			       : 0;
	case 0x3c2:
		return 0; /* input status 0 */
	case 0x3c4:
		return v->seq_index;
	case 0x3c5:
		return v->seq_index < SEQ_REGS ? v->seq[v->seq_index] : 0;
	case 0x3c6:
		return v->dac_mask;
	case 0x3c7:
		return v->dac_state;
	case 0x3c8:
		return v->dac_write;
	case 0x3c9:
		return dac_read_data(v);
	case 0x3ca:
		return v->feature;
	case 0x3cc:
		return v->misc;
	case 0x3ce:
		return v->gfx_index;
	case 0x3cf:
		return v->gfx_index < GFX_REGS ? v->gfx[v->gfx_index] : 0;
	default:
		return 0xff;
	}
}

static void crtc_write(struct dev_vga *v, uint8_t val)
{
	uint8_t i = v->crtc_index;

	if (i >= CRTC_REGS)
		return;
	if (i <= 7 && (v->crtc[0x11] & 0x80)) {
		if (i == 7) /* only the line compare bit stays writable */
			v->crtc[7] = (v->crtc[7] & ~0x10) | (val & 0x10);
		return;
	}
	v->crtc[i] = val;
}

static void vga_write(void *opaque, uint32_t offset, unsigned size,
		      uint32_t value)
{
	const struct vga_window *w = opaque;
	struct dev_vga *v = w->v;
	uint16_t port = (uint16_t)(w->base + offset);
	uint8_t val = (uint8_t)value;

	if (other_mode(v, port))
		return;
	switch (port) {
	case 0x3b4:
	case 0x3d4:
		v->crtc_index = val;
		break;
	case 0x3b5:
	case 0x3d5:
		crtc_write(v, val);
		break;
	case 0x3ba:
	case 0x3da:
		v->feature = val;
		break;
	case 0x3c0:
		if (!v->attr_data)
			v->attr_index = val & 0x3f;
		else if ((v->attr_index & 0x1f) < ATTR_REGS)
			v->attr[v->attr_index & 0x1f] = val;
		v->attr_data = !v->attr_data;
		break;
	case 0x3c2:
		v->misc = val;
		break;
	case 0x3c4:
		v->seq_index = val;
		break;
	case 0x3c5:
		if (v->seq_index < SEQ_REGS)
			v->seq[v->seq_index] = val;
		break;
	case 0x3c6:
		v->dac_mask = val;
		break;
	case 0x3c7:
		v->dac_read = val;
		v->dac_comp = 0;
		v->dac_state = 0x03; /* read mode */
		break;
	case 0x3c8:
		v->dac_write = val;
		v->dac_comp = 0;
		v->dac_state = 0x00; /* write mode */
		break;
	case 0x3c9:
		dac_write_data(v, val);
		break;
	case 0x3ce:
		v->gfx_index = val;
		break;
	case 0x3cf:
		if (v->gfx_index < GFX_REGS)
			v->gfx[v->gfx_index] = val;
		break;
	default:
		break;
	}
}

void dev_vga_reset(struct dev_vga *v)
{
	memset((char *)v + sizeof(v->win), 0, sizeof(*v) - sizeof(v->win));
	v->misc = 0x67; /* colour addressing, 28 MHz clock, RAM enabled */
	memcpy(v->crtc, crtc_mode3, sizeof(v->crtc));
	memcpy(v->seq, seq_mode3, sizeof(v->seq));
	memcpy(v->gfx, gfx_mode3, sizeof(v->gfx));
	memcpy(v->attr, attr_mode3, sizeof(v->attr));
	v->attr_index = 0x20; /* palette address source: display on */
	v->dac_mask = 0xff;
}

int dev_vga_init(struct machine *m)
{
	struct dev_vga *v = malloc(sizeof(*v));

	if (!v) {
		fprintf(stderr, "bt386: vga: out of memory\n");
		return -1;
	}
	dev_vga_reset(v);
	m->vga = v;
	/* Byte-wide: "out dx, ax" to 0x3d4 is index then data, as on ISA. */
	for (size_t i = 0; i < VGA_WINDOWS; i++) {
		v->win[i] = (struct vga_window){v, windows[i].base};
		bus_register_pio8(&m->bus, windows[i].name, windows[i].base,
				  windows[i].len, vga_read, vga_write,
				  &v->win[i]);
	}
	return 0;
}

void dev_vga_destroy(struct machine *m)
{
	free(m->vga);
	m->vga = NULL;
}

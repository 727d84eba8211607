/*
 * bios_video.c - INT 10h, the video services, for the 80x25 colour text
 * mode (mode 3) the machine's CGA/VGA stays in.
 *
 * Text goes into the frame buffer at 0xb8000 (guest RAM, 8 pages of 4
 * KiB), the cursor of each page is kept in the BIOS data area, and the
 * active page's cursor and start address go to the CRT controller
 * (vga.c), whose index register is put back afterwards so a guest that
 * drives the CRTC itself is not disturbed.
 *
 * bt386 has no display, so what the "text stream" functions write
 * (teletype 0Eh and write string 13h) is also copied to the console
 * (stdout), as QEMU -nographic shows it through SeaBIOS's serial console:
 * a boot sector's messages are seen. Positioned writes (09h, 0Ah) and
 * scrolling are not copied.
 *
 * Functions: 00h set mode (any mode gives mode 3; AL bit 7 keeps the
 * screen), 01h cursor shape, 02h/03h cursor position, 05h active page,
 * 06h/07h scroll a window, 08h read, 09h/0Ah write at the cursor, 0Eh
 * teletype, 0Fh get mode, 12h/BL=10h and 1Ah (VGA present), 13h write
 * string; the others change nothing (palettes, fonts, VBE: a VBE caller
 * sees AX != 004Fh, "not supported").
 */
#include "devices/bios_priv.h"
#include "devices/bus.h"
#include "monitor/console.h"
#include "monitor/machine.h"

#define TEXT_BASE 0xb8000u
#define COLS 80
#define ROWS 25
#define PAGES 8
#define PAGE_BYTES 0x1000u
#define BLANK_ATTR 0x07

struct pos {
	unsigned row, col;
};

static uint32_t cell(unsigned page, unsigned row, unsigned col)
{
	return TEXT_BASE + page * PAGE_BYTES + (row * COLS + col) * 2;
}

static unsigned active_page(struct dev_bios *b)
{
	return bios_rd8(b, BDA_VIDEO_PAGE) % PAGES;
}

static void crtc_write(struct dev_bios *b, uint8_t reg, uint8_t v)
{
	struct bus *bus = &b->m->bus;
	uint16_t base = bios_rd16(b, BDA_CRTC_BASE) == 0x3b4 ? 0x3b4 : 0x3d4;
	uint32_t index = bus_pio_read(bus, base, 1);

	bus_pio_write(bus, base, 1, reg);
	bus_pio_write(bus, (uint16_t)(base + 1), 1, v);
	bus_pio_write(bus, base, 1, index);
}

static void crtc_word(struct dev_bios *b, uint8_t reg, uint16_t v)
{
	crtc_write(b, reg, (uint8_t)(v >> 8));
	crtc_write(b, (uint8_t)(reg + 1), (uint8_t)v);
}

static struct pos get_cursor(struct dev_bios *b, unsigned page)
{
	uint32_t a = BDA_CURSOR_POS + 2 * (page % PAGES);

	return (struct pos){bios_rd8(b, a + 1), bios_rd8(b, a)};
}

static void set_cursor(struct dev_bios *b, unsigned page, struct pos p)
{
	uint32_t a = BDA_CURSOR_POS + 2 * (page % PAGES);

	bios_wr8(b, a, (uint8_t)p.col);
	bios_wr8(b, a + 1, (uint8_t)p.row);
	if (page % PAGES == active_page(b) && p.row < ROWS && p.col < COLS)
		crtc_word(b, 0x0e,
			  (uint16_t)(page % PAGES * PAGE_BYTES / 2 +
				     p.row * COLS + p.col));
}

static void put_cell(struct dev_bios *b, unsigned page, struct pos p,
		     uint8_t ch, int attr)
{
	uint32_t a = cell(page, p.row, p.col);

	bios_wr8(b, a, ch);
	if (attr >= 0)
		bios_wr8(b, a + 1, (uint8_t)attr);
}

/* Scroll rows [top, bottom] x columns [left, right] of `page` by `lines`
 * (0: clear the window), up or down, filling with blanks of `attr`. */
static void scroll(struct dev_bios *b, unsigned page, struct pos tl,
		   struct pos br, unsigned lines, uint8_t attr, bool up)
{
	unsigned height;

	if (br.row >= ROWS)
		br.row = ROWS - 1;
	if (br.col >= COLS)
		br.col = COLS - 1;
	if (tl.row > br.row || tl.col > br.col)
		return;
	height = br.row - tl.row + 1;
	if (lines == 0 || lines > height)
		lines = height;
	for (unsigned i = 0; i < height; i++) {
		unsigned row = up ? tl.row + i : br.row - i;
		bool copy = i + lines < height;
		unsigned src = up ? row + lines : row - lines;

		for (unsigned col = tl.col; col <= br.col; col++) {
			uint16_t v = copy ? bios_rd16(b, cell(page, src, col))
					  : (uint16_t)(attr << 8 | ' ');
			bios_wr16(b, cell(page, row, col), v);
		}
	}
}

/* One character as a teletype writes it: BEL, BS, CR and LF move the
 * cursor; others are written (with `attr`, or keeping the cell's when
 * it is -1) and advance it; the page scrolls at the bottom. */
static void tty_char(struct dev_bios *b, unsigned page, uint8_t ch, int attr)
{
	struct pos p = get_cursor(b, page);

	if (p.row >= ROWS)
		p.row = ROWS - 1;
	if (p.col >= COLS)
		p.col = COLS - 1;
	switch (ch) {
	case 7:
		break;
	case 8:
		if (p.col > 0)
			p.col--;
		break;
	case '\r':
		p.col = 0;
		break;
	case '\n':
		p.row++;
		break;
	default:
		put_cell(b, page, p, ch, attr);
		if (++p.col == COLS) {
			p.col = 0;
			p.row++;
		}
	}
	if (p.row == ROWS) {
		scroll(b, page, (struct pos){0, 0},
		       (struct pos){ROWS - 1, COLS - 1}, 1, BLANK_ATTR, true);
		p.row = ROWS - 1;
	}
	set_cursor(b, page, p);
}

/* 09h/0Ah: `count` copies at the cursor, which does not move. */
static void write_at_cursor(struct dev_bios *b, unsigned page, uint8_t ch,
			    int attr, unsigned count)
{
	struct pos p = get_cursor(b, page);
	unsigned at = p.row * COLS + p.col;

	if (at >= ROWS * COLS)
		return;
	if (count > ROWS * COLS - at)
		count = ROWS * COLS - at;
	for (unsigned i = 0; i < count; i++, at++)
		put_cell(b, page, (struct pos){at / COLS, at % COLS}, ch, attr);
}

/* 13h: CX characters from ES:BP (AL bit 1: char, attribute pairs) at
 * DH, DL on page BH; AL bit 0 leaves the cursor after the string. */
static void write_string(struct dev_bios *b, struct bios_regs *r)
{
	unsigned page = (r->ebx >> 8 & 0xff) % PAGES;
	bool pairs = bios_al(r) & 2;
	uint16_t n = (uint16_t)r->ecx;
	uint32_t src = bios_lin(r->es, (uint16_t)r->ebp);
	uint8_t *s = bios_mem(b, src, n * (pairs ? 2u : 1u));
	struct pos saved = get_cursor(b, page);

	if (!s)
		return;
	set_cursor(b, page, (struct pos){r->edx >> 8 & 0xff, r->edx & 0xff});
	for (unsigned i = 0; i < n; i++) {
		uint8_t ch = pairs ? s[2 * i] : s[i];
		int attr = pairs ? s[2 * i + 1] : (int)(r->ebx & 0xff);

		tty_char(b, page, ch, attr);
		console_putc(ch);
	}
	if (!(bios_al(r) & 1))
		set_cursor(b, page, saved);
}

static void set_page(struct dev_bios *b, unsigned page)
{
	page %= PAGES;
	bios_wr8(b, BDA_VIDEO_PAGE, (uint8_t)page);
	bios_wr16(b, BDA_VIDEO_PAGE_START, (uint16_t)(page * PAGE_BYTES));
	crtc_word(b, 0x0c, (uint16_t)(page * PAGE_BYTES / 2));
	set_cursor(b, page, get_cursor(b, page));
}

static void set_shape(struct dev_bios *b, uint16_t shape)
{
	bios_wr16(b, BDA_CURSOR_SHAPE, shape);
	crtc_write(b, 0x0a, (uint8_t)(shape >> 8));
	crtc_write(b, 0x0b, (uint8_t)shape);
}

static void set_mode(struct dev_bios *b, bool clear)
{
	bios_wr8(b, BDA_VIDEO_MODE, 3);
	bios_wr16(b, BDA_VIDEO_COLS, COLS);
	bios_wr16(b, BDA_VIDEO_PAGE_SIZE, PAGE_BYTES);
	bios_wr16(b, BDA_CRTC_BASE, 0x3d4);
	bios_wr8(b, BDA_VIDEO_MSR, 0x29);
	bios_wr8(b, BDA_VIDEO_ROWS, ROWS - 1);
	bios_wr8(b, BDA_CHAR_HEIGHT, 16);
	if (clear)
		for (unsigned page = 0; page < PAGES; page++)
			scroll(b, page, (struct pos){0, 0},
			       (struct pos){ROWS - 1, COLS - 1}, 0, BLANK_ATTR,
			       true);
	for (unsigned page = 0; page < PAGES; page++)
		bios_wr16(b, BDA_CURSOR_POS + 2 * page, 0);
	set_shape(b, 0x0607);
	set_page(b, 0);
}

void bios_video_reset(struct dev_bios *b)
{
	set_mode(b, true);
}

int bios_int10(struct dev_bios *b, struct bios_regs *r)
{
	unsigned page = (r->ebx >> 8 & 0xff) % PAGES;
	struct pos p;
	uint16_t v;

	switch (bios_ah(r)) {
	case 0x00:
		set_mode(b, !(bios_al(r) & 0x80));
		bios_set_al(r, 0x30); /* "text mode set" */
		break;
	case 0x01:
		set_shape(b, (uint16_t)r->ecx);
		break;
	case 0x02:
		set_cursor(b, page,
			   (struct pos){r->edx >> 8 & 0xff, r->edx & 0xff});
		break;
	case 0x03:
		p = get_cursor(b, page);
		bios_set16(&r->edx, (uint16_t)(p.row << 8 | p.col));
		bios_set16(&r->ecx, bios_rd16(b, BDA_CURSOR_SHAPE));
		break;
	case 0x05:
		set_page(b, bios_al(r));
		break;
	case 0x06:
	case 0x07:
		scroll(b, active_page(b),
		       (struct pos){r->ecx >> 8 & 0xff, r->ecx & 0xff},
		       (struct pos){r->edx >> 8 & 0xff, r->edx & 0xff},
		       bios_al(r), (uint8_t)(r->ebx >> 8), bios_ah(r) == 6);
		break;
	case 0x08:
		p = get_cursor(b, page);
		v = p.row < ROWS && p.col < COLS
			    ? bios_rd16(b, cell(page, p.row, p.col))
			    : 0;
		bios_set16(&r->eax, v);
		break;
	case 0x09:
	case 0x0a:
		write_at_cursor(b, page, bios_al(r),
				bios_ah(r) == 9 ? (int)(r->ebx & 0xff) : -1,
				(uint16_t)r->ecx);
		break;
	case 0x0e:
		/* The active page, whatever BH says (as SeaBIOS). */
		tty_char(b, active_page(b), bios_al(r), -1);
		console_putc(bios_al(r));
		break;
	case 0x0f:
		bios_set16(&r->eax,
			   (uint16_t)(COLS << 8 | bios_rd8(b, BDA_VIDEO_MODE)));
		bios_set16(&r->ebx,
			   (uint16_t)(active_page(b) << 8 | (r->ebx & 0xff)));
		break;
	case 0x12:
		if ((r->ebx & 0xff) == 0x10) {	     /* EGA/VGA information */
			bios_set16(&r->ebx, 0x0003); /* colour, 256 KiB */
			bios_set16(&r->ecx, 0x0009);
		}
		break;
	case 0x13:
		write_string(b, r);
		break;
	case 0x1a:
		if (bios_al(r) == 0) { /* display combination: VGA colour */
			bios_set_al(r, 0x1a);
			bios_set16(&r->ebx, 0x0008);
		}
		break;
	default:
		break;
	}
	return BIOS_DONE;
}

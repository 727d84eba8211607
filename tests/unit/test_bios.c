/*
 * test_bios.c - the BIOS (src/devices/bios*.c): what a disk boot leaves
 * in memory and in the vCPU, the firmware call port's gate, and the
 * services called as the ROM calls them (the caller's AX and the INT
 * frame on the guest stack, the vector written to the port from the
 * ROM's `out`), with their results read back where the guest finds them.
 *
 * The machine has the devices the BIOS drives (8259s, PIT, COM1, CMOS,
 * VGA, IDE disks) on a calloc'd 16 MiB RAM; disks are sparse image files
 * whose sectors carry a tag (their LBA) where the tests read them.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/bios_priv.h"
#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/console.h"
#include "monitor/machine.h"
#include "monitor/memmap.h"
#include "monitor/timer.h"

#define RAM (16u << 20)
#define T0 1000000000000ull
#define STACK 0x7000u /* the caller's SP before the INT */
#define CALLER_IP 0x1234
#define BUF 0x20000u /* a buffer for the services (2000:0000) */
#define BUF_SEG 0x2000

static struct machine *m;
static char dir[64], hda[96], hdb[96], hdc[96];
static char err[256];
static int out_pipe[2];

/* ---- images ---- */

/* Byte i of sector `lba` of a test image. */
static uint8_t tag(uint64_t lba, unsigned i)
{
	if (i < 8)
		return (uint8_t)(lba >> (8 * i));
	return (uint8_t)(lba * 7 + i * 3 + 1);
}

static void put_sector(int fd, uint64_t lba, const uint8_t *data)
{
	ck_assert_int_eq(pwrite(fd, data, 512, (off_t)(lba * 512)), 512);
}

/* A sparse image of `sectors` sectors, tagged at each of lbas[] (ended
 * by ~0), with a boot sector (0x55aa) if `bootable`. */
static void make_image(const char *path, uint64_t sectors, bool bootable,
		       const uint64_t *lbas)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	uint8_t s[512];

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(sectors * 512)), 0);
	for (; lbas && *lbas != ~0ull; lbas++) {
		for (unsigned i = 0; i < 512; i++)
			s[i] = tag(*lbas, i);
		put_sector(fd, *lbas, s);
	}
	memset(s, 0, sizeof(s));
	s[0] = 0xeb; /* jmp $ */
	s[1] = 0xfe;
	if (bootable) {
		s[510] = 0x55;
		s[511] = 0xaa;
	}
	put_sector(fd, 0, s);
	close(fd);
}

static void read_file(const char *path, uint64_t lba, uint8_t *buf)
{
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, 512, (off_t)(lba * 512)), 512);
	close(fd);
}

/* ---- guest memory and the machine ---- */

static uint8_t *ram(uint32_t a)
{
	return m->mem.physmap + a;
}
static uint16_t rd16(uint32_t a)
{
	return (uint16_t)(ram(a)[0] | ram(a)[1] << 8);
}
static uint32_t rd32(uint32_t a)
{
	return rd16(a) | (uint32_t)rd16(a + 2) << 16;
}
static void wr16(uint32_t a, uint16_t v)
{
	ram(a)[0] = (uint8_t)v;
	ram(a)[1] = (uint8_t)(v >> 8);
}
static void wr32(uint32_t a, uint32_t v)
{
	wr16(a, (uint16_t)v);
	wr16(a + 2, (uint16_t)(v >> 16));
}

/* Build the machine with disks d0..d2 (NULL: none), readonly for d2. */
static void machine_with(const char *d0, const char *d1, const char *d2)
{
	m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	m->mem.size = RAM;
	m->mem.physmap = calloc(1, RAM);
	ck_assert_ptr_nonnull(m->mem.physmap);
	m->cpu.machine = m;
	m->opt.drive[0].file = d0;
	m->opt.drive[1].file = d1;
	m->opt.drive[2].file = d2;
	m->opt.drive[2].readonly = true;
	bus_init(&m->bus);
	ck_assert_int_eq(dev_pic_init(m), 0);
	ck_assert_int_eq(dev_pit_init(m), 0);
	ck_assert_int_eq(dev_uart_init(m), 0);
	ck_assert_int_eq(dev_cmos_init(m), 0);
	ck_assert_int_eq(dev_ata_init(m), 0);
	ck_assert_int_eq(dev_vga_init(m), 0);
	ck_assert_int_eq(dev_bios_init(m), 0);
}

/* Boot: what machine_boot() does after the vCPU's reset. */
static int boot(void)
{
	err[0] = 0;
	for (int i = 0; i < X86_NR_SREGS; i++)
		m->cpu.seg[i] = (struct x86_seg){.limit = 0xffff, .attr = 0x93};
	m->cpu.cr0 = 0x60000010; /* real mode */
	dev_mptable_write(m);
	return dev_bios_boot(m, err, sizeof(err));
}

static void setup(void)
{
	static const uint64_t tags_a[] = {1,	2,    63,     64,     1007,
					  1008, 1009, 282571, 302399, ~0ull};
	static const uint64_t tags_b[] = {3, 5, 63, ~0ull};

	mon_clock_set_fake(T0);
	strcpy(dir, "/tmp/test_bios.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(hda, sizeof(hda), "%s/hda.img", dir);
	snprintf(hdb, sizeof(hdb), "%s/hdb.img", dir);
	snprintf(hdc, sizeof(hdc), "%s/hdc.img", dir);
	/* 300 cylinders of 16 x 63: the BIOS geometry is the ATA one. */
	make_image(hda, 302400, true, tags_a);
	make_image(hdb, 64, false, tags_b);
	make_image(hdc, 64, true, tags_b);
	ck_assert_int_eq(pipe(out_pipe), 0);
	fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
	console_set_output_fd(out_pipe[1]);
	console_set_escapes(false);
	m = NULL;
}

static void teardown(void)
{
	if (m) {
		devices_destroy(m);
		free(m->mem.physmap);
		free(m);
	}
	mon_timers_reset();
	mon_clock_use_real();
	console_set_output_fd(1);
	close(out_pipe[0]);
	close(out_pipe[1]);
	unlink(hda);
	unlink(hdb);
	unlink(hdc);
	rmdir(dir);
}

/* ---- calling the BIOS as the ROM does ---- */

struct regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp;
	uint16_t ds, es, flags;
	uint8_t verdict; /* AL after the port write */
};

static uint32_t call_site(void)
{
	return BIOS_ROM_OFF + (uint32_t)(bt386_bios_rom_call - bt386_bios_rom);
}

/* INT `vec` with the registers in *r; *r gets the results. */
static void bios_int(uint8_t vec, struct regs *r)
{
	struct vcpu *cpu = &m->cpu;
	uint32_t sp = STACK - 8;

	wr16(sp, (uint16_t)r->eax);
	wr16(sp + 2, CALLER_IP);
	wr16(sp + 4, 0);
	wr16(sp + 6, r->flags | 0x0002);
	cpu->regs[X86_EAX] = (r->eax & 0xffff0000u) | vec << 8 | vec;
	cpu->regs[X86_EBX] = r->ebx;
	cpu->regs[X86_ECX] = r->ecx;
	cpu->regs[X86_EDX] = r->edx;
	cpu->regs[X86_ESI] = r->esi;
	cpu->regs[X86_EDI] = r->edi;
	cpu->regs[X86_EBP] = r->ebp;
	cpu->regs[X86_ESP] = sp;
	cpu->seg[X86_DS].sel = r->ds;
	cpu->seg[X86_DS].base = (uint32_t)r->ds << 4;
	cpu->seg[X86_ES].sel = r->es;
	cpu->seg[X86_ES].base = (uint32_t)r->es << 4;
	cpu->seg[X86_CS].sel = BIOS_ROM_SEG;
	cpu->seg[X86_CS].base = BIOS_ROM_SEG << 4;
	cpu->insn_eip = call_site();
	bus_pio_write(&m->bus, BIOS_PORT, 1, vec);
	r->verdict = (uint8_t)cpu->regs[X86_EAX];
	ck_assert_uint_eq(cpu->regs[X86_EAX] >> 8 & 0xff, vec);
	r->eax = (cpu->regs[X86_EAX] & 0xffff0000u) | rd16(sp);
	r->ebx = cpu->regs[X86_EBX];
	r->ecx = cpu->regs[X86_ECX];
	r->edx = cpu->regs[X86_EDX];
	r->esi = cpu->regs[X86_ESI];
	r->edi = cpu->regs[X86_EDI];
	r->ebp = cpu->regs[X86_EBP];
	r->flags = rd16(sp + 6);
}

static bool cf(const struct regs *r)
{
	return r->flags & X86_FL_CF;
}

static uint8_t ah(const struct regs *r)
{
	return (uint8_t)(r->eax >> 8);
}

static void check_tag(uint32_t addr, uint64_t lba)
{
	for (unsigned i = 0; i < 512; i++)
		ck_assert_msg(ram(addr)[i] == tag(lba, i),
			      "sector %llu byte %u: 0x%02x, want 0x%02x",
			      (unsigned long long)lba, i, ram(addr)[i],
			      tag(lba, i));
}

/* INT 13h 02h/03h with a CHS address. */
static struct regs chs(uint8_t fn, uint8_t drive, unsigned cyl, unsigned head,
		       unsigned sec, unsigned count)
{
	struct regs r = {
		.eax = (uint32_t)fn << 8 | count,
		.ebx = 0,
		.ecx = (cyl & 0xff) << 8 | (cyl >> 2 & 0xc0) | sec,
		.edx = head << 8 | drive,
		.es = BUF_SEG,
	};

	bios_int(0x13, &r);
	return r;
}

/* INT 13h 42h/43h with a disk address packet at 0000:0600. */
static struct regs ext(uint8_t fn, uint8_t drive, uint64_t lba, uint16_t count,
		       uint16_t seg, uint16_t off)
{
	struct regs r = {.eax = (uint32_t)fn << 8, .edx = drive, .esi = 0x600};

	memset(ram(0x600), 0, 16);
	ram(0x600)[0] = 16;
	wr16(0x602, count);
	wr16(0x604, off);
	wr16(0x606, seg);
	wr32(0x608, (uint32_t)lba);
	wr32(0x60c, (uint32_t)(lba >> 32));
	bios_int(0x13, &r);
	return r;
}

/* ---- boot ---- */

START_TEST(test_boot_state)
{
	const uint8_t *v;
	uint32_t ent;

	machine_with(hda, hdb, NULL);
	ck_assert_int_eq(boot(), 0);
	/* The ROM, the reset vector's far jump, the model byte. */
	ck_assert_int_eq(
		memcmp(ram(BIOS_ROM_BASE), bt386_bios_rom, BIOS_ROM_SIZE), 0);
	ck_assert_uint_eq(ram(0xffff0)[0], 0xea);
	ck_assert_uint_eq(rd16(0xffff3), BIOS_ROM_SEG);
	ck_assert_uint_eq(ram(0xffffe)[0], 0xfc);
	/* Every vector of the ROM's table points into it, at a push ax
	 * (services and IRQs) ... */
	for (v = bt386_bios_rom_vectors; (v[2] | v[3] << 8) != 0xffff; v += 4) {
		ent = rd32(v[0] * 4u);
		ck_assert_uint_eq(ent >> 16, BIOS_ROM_SEG);
		ck_assert_uint_eq(ram(BIOS_ROM_SEG * 16u + (ent & 0xffff))[0],
				  0x50);
	}
	/* ... others at an iret, data vectors and 60h-67h are null. */
	ent = rd32(0x20 * 4);
	ck_assert_uint_eq(ram(BIOS_ROM_SEG * 16u + (ent & 0xffff))[0], 0xcf);
	ck_assert_uint_eq(rd32(0x1e * 4), 0);
	ck_assert_uint_eq(rd32(0x60 * 4), 0);
	ck_assert_uint_eq(rd32(0x13 * 4),
			  (uint32_t)BIOS_ROM_SEG << 16 |
				  rd16(0x13 * 4)); /* F000:xxxx */
	/* The boot sector at 0x7c00 and the vCPU pointing at it. */
	ck_assert_uint_eq(rd16(0x7c00), 0xfeeb);
	ck_assert_uint_eq(rd16(0x7dfe), 0xaa55);
	ck_assert_uint_eq(m->cpu.seg[X86_CS].sel, 0);
	ck_assert_uint_eq(m->cpu.seg[X86_CS].base, 0);
	ck_assert_uint_eq(m->cpu.eip, 0x7c00);
	ck_assert_uint_eq(m->cpu.regs[X86_EDX], 0x80);
	ck_assert_uint_eq(m->cpu.regs[X86_ESP], 0x7c00);
	ck_assert(m->cpu.eflags & X86_FL_IF);
	/* BDA: two disks, mode 3, COM1, 639 KiB, equipment, ticks. */
	ck_assert_uint_eq(ram(BDA_NR_DISKS)[0], 2);
	ck_assert_uint_eq(ram(BDA_VIDEO_MODE)[0], 3);
	ck_assert_uint_eq(rd16(0x400), 0x3f8);
	ck_assert_uint_eq(rd16(BDA_BASE_KIB), MON_EBDA_START >> 10);
	ck_assert_uint_eq(rd16(BDA_EQUIPMENT), 0x0222);
	ck_assert_uint_lt(rd32(BDA_TICKS), BIOS_TICKS_PER_DAY);
	/* A cleared screen. */
	ck_assert_uint_eq(rd16(0xb8000), 0x0720);
	ck_assert_uint_eq(rd16(0xb8000 + 3998), 0x0720);
	/* The 8259s as a BIOS leaves them: IRQ 0 and 2 unmasked. */
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x21, 1), 0xfa);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xa1, 1), 0xff);
}
END_TEST

START_TEST(test_not_bootable)
{
	machine_with(hdb, NULL, NULL);
	ck_assert_int_eq(boot(), -1);
	ck_assert_msg(strstr(err, "hda (") &&
			      strstr(err, "not a bootable disk (no 0x55aa "
					  "boot signature)"),
		      "%s", err);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(test_boot_from_hdb_only)
{
	/* SeaBIOS numbers the disks present: the lone slave is 80h. */
	machine_with(NULL, hdc, NULL);
	ck_assert_int_eq(boot(), 0);
	ck_assert_uint_eq(ram(BDA_NR_DISKS)[0], 1);
}
END_TEST

START_TEST(test_wanted)
{
	machine_with(NULL, NULL, NULL);
	ck_assert(!dev_bios_wanted(m));
	m->opt.drive[1].file = hdb;
	ck_assert(dev_bios_wanted(m));
	m->opt.kernel = "kernel";
	ck_assert(!dev_bios_wanted(m)); /* -kernel wins, as in QEMU */
}
END_TEST

/* ---- the port's gate ---- */

START_TEST(test_port_gate)
{
	struct regs r = {.eax = 0x0800, .edx = 0x80};
	uint64_t ignored;

	machine_with(hda, NULL, NULL);
	/* Before a disk boot: inert. */
	m->cpu.seg[X86_CS].base = BIOS_ROM_SEG << 4;
	m->cpu.insn_eip = call_site();
	bus_pio_write(&m->bus, BIOS_PORT, 1, 0x13);
	dev_bios_calls(m->bios, &ignored);
	ck_assert_uint_eq(ignored, 1);
	ck_assert_int_eq(boot(), 0);
	/* From the ROM, in real mode: answered. */
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(dev_bios_calls(m->bios, NULL)[0x13], 1);
	/* From anywhere else, or in protected mode: ignored, nothing
	 * touched. */
	m->cpu.regs[X86_EAX] = 0x1313;
	m->cpu.regs[X86_ECX] = 0xdead;
	m->cpu.insn_eip = call_site() + 2;
	bus_pio_write(&m->bus, BIOS_PORT, 1, 0x13);
	m->cpu.insn_eip = call_site();
	m->cpu.seg[X86_CS].base = 0;
	bus_pio_write(&m->bus, BIOS_PORT, 1, 0x13);
	m->cpu.seg[X86_CS].base = BIOS_ROM_SEG << 4;
	m->cpu.cr0 |= X86_CR0_PE;
	bus_pio_write(&m->bus, BIOS_PORT, 1, 0x13);
	m->cpu.cr0 &= ~X86_CR0_PE;
	ck_assert_uint_eq(m->cpu.regs[X86_EAX], 0x1313);
	ck_assert_uint_eq(m->cpu.regs[X86_ECX], 0xdead);
	dev_bios_calls(m->bios, &ignored);
	ck_assert_uint_eq(ignored, 4);
	ck_assert_uint_eq(dev_bios_calls(m->bios, NULL)[0x13], 1);
}
END_TEST

/* ---- INT 13h ---- */

START_TEST(test_int13_geometry)
{
	struct regs r = {.eax = 0x0800, .edx = 0x80};
	unsigned maxcyl;

	machine_with(hda, hdb, NULL);
	ck_assert_int_eq(boot(), 0);
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(ah(&r), 0);
	maxcyl = (r.ecx >> 8 & 0xff) | (r.ecx & 0xc0) << 2;
	ck_assert_uint_eq(maxcyl, 299);
	ck_assert_uint_eq(r.ecx & 0x3f, 63);
	ck_assert_uint_eq(r.edx >> 8 & 0xff, 15);
	ck_assert_uint_eq(r.edx & 0xff, 2); /* two disks */
	/* hdb: 64 sectors, less than a cylinder: one cylinder. */
	r = (struct regs){.eax = 0x0800, .edx = 0x81};
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq((r.ecx >> 8 & 0xff) | (r.ecx & 0xc0) << 2, 0);
	/* 15h: a fixed disk with cyls * heads * spt sectors. */
	r = (struct regs){.eax = 0x1500, .edx = 0x80};
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(ah(&r), 3);
	ck_assert_uint_eq((r.ecx & 0xffff) << 16 | (r.edx & 0xffff), 302400);
	r = (struct regs){.eax = 0x1500, .edx = 0x82};
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(ah(&r), 0); /* no such drive */
}
END_TEST

START_TEST(test_int13_translation)
{
	/* LBA-assisted: heads double until the cylinders fit in 1024. */
	static const struct {
		uint64_t sectors;
		unsigned cyls, heads;
	} cases[] = {
		{1, 1, 16},
		{1008 * 1024, 1024, 16},
		{1008 * 1025, 512, 32},
		{(uint64_t)4 << 21, 1040, 255}, /* 4 GiB: 128 heads is 1040 */
		{(uint64_t)100 << 21, 1024, 255},
	};
	char path[128];

	snprintf(path, sizeof(path), "%s/big.img", dir);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct regs r = {.eax = 0x0800, .edx = 0x80};
		unsigned want_cyls = cases[i].cyls;

		make_image(path, cases[i].sectors, true, NULL);
		machine_with(path, NULL, NULL);
		ck_assert_int_eq(boot(), 0);
		bios_int(0x13, &r);
		ck_assert(!cf(&r));
		if (cases[i].heads == 255)
			want_cyls = (unsigned)(cases[i].sectors / (255 * 63));
		if (want_cyls > 1024)
			want_cyls = 1024;
		ck_assert_uint_eq((r.edx >> 8 & 0xff) + 1, cases[i].heads);
		ck_assert_uint_eq(((r.ecx >> 8 & 0xff) | (r.ecx & 0xc0) << 2) +
					  1,
				  want_cyls);
		devices_destroy(m);
		free(m->mem.physmap);
		free(m);
		m = NULL;
	}
	unlink(path);
}
END_TEST

START_TEST(test_int13_chs_read)
{
	struct regs r;

	machine_with(hda, hdb, NULL);
	ck_assert_int_eq(boot(), 0);
	/* C/H/S 0/0/2: LBA 1, two sectors. */
	r = chs(0x02, 0x80, 0, 0, 2, 2);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(r.eax & 0xffff, 0x0002);
	check_tag(BUF, 1);
	check_tag(BUF + 512, 2);
	/* Across a track and a head: 0/0/63 = LBA 62, then 63, 64. */
	r = chs(0x02, 0x80, 0, 1, 1, 2);
	ck_assert(!cf(&r));
	check_tag(BUF, 63);
	check_tag(BUF + 512, 64);
	/* A cylinder boundary: 0/15/63 = 1007, 1/0/1 = 1008. */
	r = chs(0x02, 0x80, 0, 15, 63, 3);
	ck_assert(!cf(&r));
	check_tag(BUF, 1007);
	check_tag(BUF + 512, 1008);
	check_tag(BUF + 1024, 1009);
	/* Cylinder 280 (bits 8-9 in CL): (280 * 16 + 5) * 63 + 16. */
	r = chs(0x02, 0x80, 280, 5, 17, 1);
	ck_assert(!cf(&r));
	check_tag(BUF, 282571);
	/* The second disk. */
	r = chs(0x02, 0x81, 0, 0, 4, 1);
	ck_assert(!cf(&r));
	check_tag(BUF, 3);
}
END_TEST

START_TEST(test_int13_bad_requests)
{
	struct regs r;
	uint8_t before[16];

	machine_with(hda, hdb, NULL);
	ck_assert_int_eq(boot(), 0);
	r = chs(0x02, 0x81, 0, 1, 1, 1); /* LBA 63 is hdb's last sector */
	ck_assert(!cf(&r));
	memcpy(before, ram(BUF), sizeof(before));
	/* Sector 0, a head or cylinder beyond the geometry, no sectors,
	 * too many: invalid (01h), nothing read. */
	r = chs(0x02, 0x80, 0, 0, 0, 1);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x01);
	ck_assert_uint_eq(r.eax & 0xff, 0);
	r = chs(0x02, 0x80, 0, 16, 1, 1);
	ck_assert(cf(&r));
	r = chs(0x02, 0x80, 300, 0, 1, 1);
	ck_assert(cf(&r));
	r = chs(0x02, 0x80, 0, 0, 64, 1);
	ck_assert(cf(&r));
	r = chs(0x02, 0x80, 0, 0, 1, 0);
	ck_assert(cf(&r));
	r = chs(0x02, 0x80, 0, 0, 1, 129);
	ck_assert(cf(&r));
	/* Past the end of a small disk: sector not found (04h). */
	r = chs(0x02, 0x81, 0, 1, 2, 1); /* LBA 64 does not exist */
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x04);
	r = chs(0x02, 0x81, 0, 1, 1, 2); /* nor a read running into it */
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x04);
	/* 01h reports the last status. */
	r = (struct regs){.eax = 0x0100, .edx = 0x80};
	bios_int(0x13, &r);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x04);
	ck_assert_uint_eq(ram(BDA_DISK_STATUS)[0], 0x04);
	/* Drives that do not exist: a floppy, a third disk. */
	r = chs(0x02, 0x00, 0, 0, 1, 1);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x01);
	r = chs(0x02, 0x82, 0, 0, 1, 1);
	ck_assert(cf(&r));
	r = (struct regs){.eax = 0x0800, .edx = 0x82};
	bios_int(0x13, &r);
	ck_assert(cf(&r));
	/* An unknown function. */
	r = (struct regs){.eax = 0x2500, .edx = 0x80};
	bios_int(0x13, &r);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x01);
	/* 00h succeeds, and 01h says so. */
	r = (struct regs){.eax = 0x0000, .edx = 0x80};
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	r = (struct regs){.eax = 0x0100, .edx = 0x80};
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(ah(&r), 0);
	ck_assert_int_eq(memcmp(before, ram(BUF), sizeof(before)), 0);
}
END_TEST

START_TEST(test_int13_extensions)
{
	struct regs r = {.eax = 0x4100, .ebx = 0x55aa, .edx = 0x80};

	machine_with(hda, hdb, NULL);
	ck_assert_int_eq(boot(), 0);
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(r.ebx & 0xffff, 0xaa55);
	ck_assert_uint_eq(r.ecx & 1, 1);
	ck_assert_uint_eq(ah(&r), 0x30);
	r = (struct regs){.eax = 0x4100, .ebx = 0x1234, .edx = 0x80};
	bios_int(0x13, &r);
	ck_assert(cf(&r));
	/* Reads: the last sector, beyond it, and a big-cylinder one. */
	r = ext(0x42, 0x80, 302399, 1, BUF_SEG, 0);
	ck_assert(!cf(&r));
	check_tag(BUF, 302399);
	ck_assert_uint_eq(rd16(0x602), 1);
	r = ext(0x42, 0x80, 302400, 1, BUF_SEG, 0);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x04);
	ck_assert_uint_eq(rd16(0x602), 0); /* nothing transferred */
	r = ext(0x42, 0x80, 302399, 2, BUF_SEG, 0);
	ck_assert(cf(&r));
	r = ext(0x42, 0x80, ~0ull, 1, BUF_SEG, 0);
	ck_assert(cf(&r));
	r = ext(0x42, 0x81, 5, 1, BUF_SEG, 0x200);
	ck_assert(!cf(&r));
	check_tag(BUF + 0x200, 5);
	/* Too many sectors at once; a packet too short. */
	r = ext(0x42, 0x80, 1, 128, BUF_SEG, 0);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x01);
	ram(0x600)[0] = 8;
	r = (struct regs){.eax = 0x4200, .edx = 0x80, .esi = 0x600};
	bios_int(0x13, &r);
	ck_assert(cf(&r));
	/* EDD 3.0's flat 64-bit buffer: inside RAM, and beyond it. */
	memset(ram(0x600), 0, 24);
	ram(0x600)[0] = 24;
	wr16(0x602, 1);
	wr32(0x604, 0xffffffff);
	wr32(0x608, 63);
	wr32(0x610, 0x300000);
	r = (struct regs){.eax = 0x4200, .edx = 0x80, .esi = 0x600};
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	check_tag(0x300000, 63);
	wr32(0x610, RAM - 256);
	r = (struct regs){.eax = 0x4200, .edx = 0x80, .esi = 0x600};
	bios_int(0x13, &r);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x09);
	wr32(0x610, 0);
	wr32(0x614, 1); /* above 4 GiB */
	r = (struct regs){.eax = 0x4200, .edx = 0x80, .esi = 0x600};
	bios_int(0x13, &r);
	ck_assert(cf(&r));
	/* Verify and seek check the range only. */
	r = ext(0x44, 0x80, 302399, 1, BUF_SEG, 0);
	ck_assert(!cf(&r));
	r = ext(0x47, 0x80, 302400, 0, 0, 0);
	ck_assert(cf(&r));
	/* 48h: the geometry and the size, 26 or 30 bytes. */
	wr16(BUF, 30);
	r = (struct regs){.eax = 0x4800, .edx = 0x80, .ds = BUF_SEG};
	bios_int(0x13, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(rd16(BUF), 30);
	ck_assert_uint_eq(rd32(BUF + 4), 300);
	ck_assert_uint_eq(rd32(BUF + 8), 16);
	ck_assert_uint_eq(rd32(BUF + 12), 63);
	ck_assert_uint_eq(rd32(BUF + 16), 302400);
	ck_assert_uint_eq(rd32(BUF + 20), 0);
	ck_assert_uint_eq(rd16(BUF + 24), 512);
	ck_assert_uint_eq(rd32(BUF + 26), 0xffffffff);
	wr16(BUF, 20);
	r = (struct regs){.eax = 0x4800, .edx = 0x80, .ds = BUF_SEG};
	bios_int(0x13, &r);
	ck_assert(cf(&r));
}
END_TEST

START_TEST(test_int13_writes)
{
	uint8_t got[512];
	struct regs r;

	machine_with(hda, hdb, hdc);
	ck_assert_int_eq(boot(), 0);
	for (unsigned i = 0; i < 1024; i++)
		ram(BUF)[i] = (uint8_t)(0x5a ^ i);
	/* CHS 0/1/5 = LBA 67; 43h at LBA 100-101 of hdb ... */
	r = chs(0x03, 0x80, 0, 1, 5, 1);
	ck_assert(!cf(&r));
	r = ext(0x43, 0x81, 62, 2, BUF_SEG, 0);
	ck_assert(!cf(&r));
	/* ... are in the files now. */
	read_file(hda, 67, got);
	ck_assert_int_eq(memcmp(got, ram(BUF), 512), 0);
	read_file(hdb, 62, got);
	ck_assert_int_eq(memcmp(got, ram(BUF), 512), 0);
	read_file(hdb, 63, got);
	ck_assert_int_eq(memcmp(got, ram(BUF + 512), 512), 0);
	read_file(hda, 68, got);
	ck_assert_uint_eq(got[0], 0);
	/* Beyond the end: refused, the file keeps its size. */
	r = ext(0x43, 0x81, 63, 2, BUF_SEG, 0);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x04);
	/* A read-only image (hdc, readonly=on): write protected. */
	r = ext(0x43, 0x82, 3, 1, BUF_SEG, 0);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x03);
	read_file(hdc, 3, got);
	for (unsigned i = 0; i < 512; i++)
		ck_assert_uint_eq(got[i], tag(3, i));
}
END_TEST

/* ---- INT 15h ---- */

START_TEST(test_int15_memory)
{
	struct mon_mem_range map[MON_MEMMAP_ENTRIES];
	unsigned n = mon_memory_map(RAM, map), i = 0;
	struct regs r;

	machine_with(hda, NULL, NULL);
	ck_assert_int_eq(boot(), 0);
	/* E820: the monitor's map, entry by entry, EBX = 0 after the
	 * last. */
	do {
		r = (struct regs){.eax = 0xe820,
				  .ebx = i,
				  .ecx = 24,
				  .edx = 0x534d4150,
				  .es = BUF_SEG,
				  .edi = 0x40};
		bios_int(0x15, &r);
		ck_assert(!cf(&r));
		ck_assert_uint_eq(r.eax, 0x534d4150);
		ck_assert_uint_eq(r.ecx, 20);
		ck_assert_uint_eq(rd32(BUF + 0x40), (uint32_t)map[i].base);
		ck_assert_uint_eq(rd32(BUF + 0x48), (uint32_t)map[i].len);
		ck_assert_uint_eq(rd32(BUF + 0x50), map[i].type);
		i++;
		ck_assert_uint_eq(r.ebx, i < n ? i : 0);
	} while (r.ebx);
	ck_assert_uint_eq(i, n);
	ck_assert_uint_eq(map[n - 1].base + map[n - 1].len, RAM);
	/* Bad signature, continuation beyond the map, short buffer. */
	r = (struct regs){
		.eax = 0xe820, .ecx = 20, .edx = 0x1234, .es = BUF_SEG};
	bios_int(0x15, &r);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x86);
	r = (struct regs){.eax = 0xe820,
			  .ebx = 9,
			  .ecx = 20,
			  .edx = 0x534d4150,
			  .es = BUF_SEG};
	bios_int(0x15, &r);
	ck_assert(cf(&r));
	r = (struct regs){
		.eax = 0xe820, .ecx = 12, .edx = 0x534d4150, .es = BUF_SEG};
	bios_int(0x15, &r);
	ck_assert(cf(&r));
	/* E801: 15 MiB between 1 and 16 MiB, nothing above (16 MiB RAM). */
	r = (struct regs){.eax = 0xe801};
	bios_int(0x15, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(r.eax & 0xffff, 15 * 1024);
	ck_assert_uint_eq(r.ecx & 0xffff, 15 * 1024);
	ck_assert_uint_eq(r.ebx & 0xffff, 0);
	/* 88h: KiB above 1 MiB. */
	r = (struct regs){.eax = 0x8800};
	bios_int(0x15, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(r.eax & 0xffff, 15 * 1024);
	/* 12h and 11h agree with the BDA. */
	r = (struct regs){0};
	bios_int(0x12, &r);
	ck_assert_uint_eq(r.eax & 0xffff, 639);
	r = (struct regs){0};
	bios_int(0x11, &r);
	ck_assert_uint_eq(r.eax & 0xffff, rd16(BDA_EQUIPMENT));
}
END_TEST

START_TEST(test_int15_misc)
{
	struct regs r;

	machine_with(hda, NULL, NULL);
	ck_assert_int_eq(boot(), 0);
	/* A20: on, can be "enabled", cannot be disabled. */
	r = (struct regs){.eax = 0x2402};
	bios_int(0x15, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(r.eax & 0xffff, 0x0001);
	r = (struct regs){.eax = 0x2401};
	bios_int(0x15, &r);
	ck_assert(!cf(&r));
	r = (struct regs){.eax = 0x2403};
	bios_int(0x15, &r);
	ck_assert(!cf(&r));
	ck_assert_uint_eq(r.ebx & 0xffff, 3);
	r = (struct regs){.eax = 0x2400};
	bios_int(0x15, &r);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x86);
	/* C0h and the unknown: CF, AH = 86h. */
	r = (struct regs){.eax = 0xc000};
	bios_int(0x15, &r);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x86);
	r = (struct regs){.eax = 0x5300};
	bios_int(0x15, &r);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x86);
	/* INT 14h, 17h: unsupported. */
	r = (struct regs){.eax = 0x0100};
	bios_int(0x14, &r);
	ck_assert(cf(&r));
	/* 87h: move 8 words from 0x20000 to 0x200000. */
	memset(ram(0x30000), 0, 0x30);
	wr16(0x30000 + 0x12, 0x0000);
	ram(0x30000 + 0x14)[0] = 0x02; /* source base 0x020000 */
	ram(0x30000 + 0x1c)[0] = 0x20; /* target base 0x200000 */
	memcpy(ram(BUF), "0123456789abcdef", 16);
	r = (struct regs){.eax = 0x8700, .ecx = 8, .es = 0x3000};
	bios_int(0x15, &r);
	ck_assert(!cf(&r));
	ck_assert_int_eq(memcmp(ram(0x200000), "0123456789abcdef", 16), 0);
	ram(0x30000 + 0x1f)[0] = 0x40; /* target at 1 GiB: not RAM */
	r = (struct regs){.eax = 0x8700, .ecx = 8, .es = 0x3000};
	bios_int(0x15, &r);
	ck_assert(cf(&r));
}
END_TEST

START_TEST(test_int15_wait)
{
	struct regs r = {.eax = 0x8600, .ecx = 0, .edx = 50000};

	machine_with(hda, NULL, NULL);
	ck_assert_int_eq(boot(), 0);
	/* 50 ms: less than a tick, so the ROM calls again at once. */
	bios_int(0x15, &r);
	ck_assert_uint_eq(r.verdict, BIOS_AGAIN);
	mon_clock_set_fake(T0 + 49000000);
	r = (struct regs){.eax = 0x8600, .ecx = 0, .edx = 50000};
	bios_int(0x15, &r);
	ck_assert_uint_eq(r.verdict, BIOS_AGAIN);
	mon_clock_set_fake(T0 + 50000000);
	r = (struct regs){.eax = 0x8600, .ecx = 0, .edx = 50000};
	bios_int(0x15, &r);
	ck_assert_uint_eq(r.verdict, BIOS_DONE);
	ck_assert(!cf(&r));
	/* 1 s: sleep through the timer ticks (IRQ 0 is unmasked). */
	r = (struct regs){.eax = 0x8600, .ecx = 0x000f, .edx = 0x4240};
	bios_int(0x15, &r);
	ck_assert_uint_eq(r.verdict, BIOS_WAIT_IRQ);
	/* With IRQ 0 masked, spin. */
	bus_pio_write(&m->bus, 0x21, 1, 0xff);
	bios_int(0x15, &r);
	ck_assert_uint_eq(r.verdict, BIOS_AGAIN);
}
END_TEST

/* ---- INT 16h ---- */

START_TEST(test_int16_keys)
{
	struct regs r;

	machine_with(hda, NULL, NULL);
	ck_assert_int_eq(boot(), 0);
	/* No input: 01h says so (ZF), 00h waits. */
	r = (struct regs){.eax = 0x0100};
	bios_int(0x16, &r);
	ck_assert(r.flags & X86_FL_ZF);
	r = (struct regs){.eax = 0x0000};
	bios_int(0x16, &r);
	ck_assert_uint_eq(r.verdict, BIOS_WAIT_IRQ);
	/* Bytes on the serial console are keys. */
	console_input_feed((const uint8_t *)"a\rZ", 3);
	dev_uart_pump_input(m->com1);
	r = (struct regs){.eax = 0x0100};
	bios_int(0x16, &r);
	ck_assert(!(r.flags & X86_FL_ZF));
	ck_assert_uint_eq(r.eax & 0xffff, 0x1e61);
	r = (struct regs){.eax = 0x1000};
	bios_int(0x16, &r);
	ck_assert_uint_eq(r.verdict, BIOS_DONE);
	ck_assert_uint_eq(r.eax & 0xffff, 0x1e61);
	r = (struct regs){.eax = 0x0000};
	bios_int(0x16, &r);
	ck_assert_uint_eq(r.eax & 0xffff, 0x1c0d);
	/* 05h pushes a key behind the queued ones. */
	r = (struct regs){.eax = 0x0500, .ecx = 0x3920};
	bios_int(0x16, &r);
	ck_assert_uint_eq(r.eax & 0xff, 0);
	r = (struct regs){.eax = 0x0000};
	bios_int(0x16, &r);
	ck_assert_uint_eq(r.eax & 0xffff, 0x2c5a);
	r = (struct regs){.eax = 0x0000};
	bios_int(0x16, &r);
	ck_assert_uint_eq(r.eax & 0xffff, 0x3920);
	/* Shift flags: none. */
	r = (struct regs){.eax = 0x0200};
	bios_int(0x16, &r);
	ck_assert_uint_eq(r.eax & 0xff, 0);
	ck_assert_uint_eq(bios_key_of(0x7f), 0x0e08);
	ck_assert_uint_eq(bios_key_of(0x1b), 0x011b);
	ck_assert_uint_eq(bios_key_of(0x03), 0x2e03); /* Ctrl-C */
	ck_assert_uint_eq(bios_key_of('~'), 0x297e);
}
END_TEST

/* ---- INT 1Ah ---- */

START_TEST(test_int1a_time)
{
	struct regs r;
	uint32_t t, now;

	ck_assert_uint_eq(bios_ticks_at(0), 0);
	/* 43200 s x 1193182 / 65536 Hz */
	ck_assert_uint_eq(bios_ticks_at(43200ull * 1000000000ull), 786521);
	ck_assert_uint_eq(bios_ticks_at(86399999999999ull),
			  BIOS_TICKS_PER_DAY - 1);
	ck_assert_uint_eq(bios_ticks_at(86400ull * 1000000000ull * 20000), 0);
	machine_with(hda, NULL, NULL);
	ck_assert_int_eq(boot(), 0);
	r = (struct regs){.eax = 0x0000};
	now = bios_ticks_now();
	bios_int(0x1a, &r);
	t = (r.ecx & 0xffff) << 16 | (r.edx & 0xffff);
	ck_assert_uint_le(t - now + 1, 3); /* within a tick of the host */
	ck_assert_uint_eq(rd32(BDA_TICKS), t);
	/* 01h sets the count; 00h goes on from there. */
	r = (struct regs){.eax = 0x0100, .ecx = 0x0001, .edx = 0x0000};
	bios_int(0x1a, &r);
	r = (struct regs){.eax = 0x0000};
	bios_int(0x1a, &r);
	t = (r.ecx & 0xffff) << 16 | (r.edx & 0xffff);
	ck_assert_uint_le(t - 0x10000, 2);
	/* IRQ 0 wrapped the BDA count at midnight: AL says so once. */
	ram(BDA_MIDNIGHT)[0] = 1;
	r = (struct regs){.eax = 0x0000};
	bios_int(0x1a, &r);
	ck_assert_uint_eq(r.eax & 0xff, 1);
	r = (struct regs){.eax = 0x0000};
	bios_int(0x1a, &r);
	ck_assert_uint_eq(r.eax & 0xff, 0);
}
END_TEST

static unsigned from_bcd(uint8_t v)
{
	ck_assert_uint_le(v & 0xf, 9);
	ck_assert_uint_le(v >> 4, 9);
	return (v >> 4) * 10u + (v & 0xf);
}

START_TEST(test_int1a_rtc)
{
	struct regs r;

	machine_with(hda, NULL, NULL);
	ck_assert_int_eq(boot(), 0);
	/* Set 2031-07-04 23:58:30 through the BIOS, read it back, also
	 * with the chip in binary 12-hour mode. */
	r = (struct regs){.eax = 0x0500, .ecx = 0x2031, .edx = 0x0704};
	bios_int(0x1a, &r);
	ck_assert(!cf(&r));
	r = (struct regs){.eax = 0x0300, .ecx = 0x2358, .edx = 0x3000};
	bios_int(0x1a, &r);
	ck_assert(!cf(&r));
	for (int binary = 0; binary < 2; binary++) {
		if (binary) {
			bus_pio_write(&m->bus, 0x70, 1, 0x0b);
			bus_pio_write(&m->bus, 0x71, 1, 0x04); /* 12 h */
		}
		r = (struct regs){.eax = 0x0400};
		bios_int(0x1a, &r);
		ck_assert(!cf(&r));
		ck_assert_uint_eq(r.ecx & 0xffff, 0x2031);
		ck_assert_uint_eq(r.edx & 0xffff, 0x0704);
		r = (struct regs){.eax = 0x0200};
		bios_int(0x1a, &r);
		ck_assert(!cf(&r));
		ck_assert_uint_eq(r.ecx & 0xffff, 0x2358);
		ck_assert_uint_eq(from_bcd((uint8_t)(r.edx >> 8)), 30);
	}
	r = (struct regs){.eax = 0x0900};
	bios_int(0x1a, &r);
	ck_assert(cf(&r));
	ck_assert_uint_eq(ah(&r), 0x86);
}
END_TEST

/* ---- INT 10h ---- */

static uint16_t screen(unsigned row, unsigned col)
{
	return rd16(0xb8000 + (row * 80 + col) * 2);
}

static struct regs cursor(void)
{
	struct regs r = {.eax = 0x0300};

	bios_int(0x10, &r);
	return r;
}

static void teletype(const char *s)
{
	for (; *s; s++) {
		struct regs r = {.eax = 0x0e00 | (uint8_t)*s};

		bios_int(0x10, &r);
	}
}

START_TEST(test_int10_text)
{
	char out[64] = {0};
	struct regs r;
	ssize_t n;

	machine_with(hda, NULL, NULL);
	ck_assert_int_eq(boot(), 0);
	r = (struct regs){.eax = 0x0f00};
	bios_int(0x10, &r);
	ck_assert_uint_eq(r.eax & 0xffff, 0x5003); /* 80 columns, mode 3 */
	/* Set and get the cursor; the CRTC follows. */
	r = (struct regs){.eax = 0x0200, .edx = 0x050a};
	bios_int(0x10, &r);
	ck_assert_uint_eq(cursor().edx & 0xffff, 0x050a);
	bus_pio_write(&m->bus, 0x3d4, 1, 0x0f);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x3d5, 1),
			  (5 * 80 + 10) & 0xff);
	/* Teletype: characters keep the attribute, CR LF move, the text
	 * goes to the console too. */
	teletype("AB\r\n");
	ck_assert_uint_eq(screen(5, 10), 0x0741);
	ck_assert_uint_eq(screen(5, 11), 0x0742);
	ck_assert_uint_eq(cursor().edx & 0xffff, 0x0600);
	console_flush();
	n = read(out_pipe[0], out, sizeof(out) - 1);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(out, "AB\r\n");
	/* BS moves back; the last column wraps. */
	r = (struct regs){.eax = 0x0200, .edx = 0x064f};
	bios_int(0x10, &r);
	teletype("x");
	ck_assert_uint_eq(cursor().edx & 0xffff, 0x0700);
	teletype("yz\b");
	ck_assert_uint_eq(cursor().edx & 0xffff, 0x0701);
	/* 09h: attribute and count, the cursor stays; 0Ah keeps the
	 * attribute; 08h reads the cell. */
	r = (struct regs){.eax = 0x0958, .ebx = 0x001e, .ecx = 3};
	bios_int(0x10, &r);
	ck_assert_uint_eq(screen(7, 1), 0x1e58);
	ck_assert_uint_eq(screen(7, 3), 0x1e58);
	ck_assert_uint_eq(screen(7, 4), 0x0720);
	ck_assert_uint_eq(cursor().edx & 0xffff, 0x0701);
	r = (struct regs){.eax = 0x0a51, .ecx = 1};
	bios_int(0x10, &r);
	ck_assert_uint_eq(screen(7, 1), 0x1e51);
	r = (struct regs){.eax = 0x0800};
	bios_int(0x10, &r);
	ck_assert_uint_eq(r.eax & 0xffff, 0x1e51);
	/* 13h: a string with attribute BL at DH, DL, cursor moved. */
	memcpy(ram(BUF), "hi\r\n", 4);
	r = (struct regs){.eax = 0x1301,
			  .ebx = 0x002f,
			  .ecx = 4,
			  .edx = 0x0a00,
			  .es = BUF_SEG,
			  .ebp = 0};
	bios_int(0x10, &r);
	ck_assert_uint_eq(screen(10, 0), 0x2f68);
	ck_assert_uint_eq(screen(10, 1), 0x2f69);
	ck_assert_uint_eq(cursor().edx & 0xffff, 0x0b00);
	/* Teletype on the last row scrolls the page up. */
	r = (struct regs){.eax = 0x0200, .edx = 0x1800};
	bios_int(0x10, &r);
	teletype("Z\r\n");
	ck_assert_uint_eq(screen(23, 0), 0x075a);
	ck_assert_uint_eq(screen(24, 0), 0x0720);
	ck_assert_uint_eq(screen(9, 0), 0x2f68); /* row 10 moved up */
	ck_assert_uint_eq(cursor().edx & 0xffff, 0x1800);
	/* 06h with AL = 0 clears a window. */
	r = (struct regs){
		.eax = 0x0600, .ebx = 0x1700, .ecx = 0x0000, .edx = 0x184f};
	bios_int(0x10, &r);
	ck_assert_uint_eq(screen(9, 0), 0x1720);
	/* 00h: mode 3 again, cleared, cursor home. */
	r = (struct regs){.eax = 0x0003};
	bios_int(0x10, &r);
	ck_assert_uint_eq(screen(9, 0), 0x0720);
	ck_assert_uint_eq(cursor().edx & 0xffff, 0);
}
END_TEST

/* ---- the rest ---- */

START_TEST(test_bootstrap_and_stops)
{
	struct regs r = {0};

	machine_with(hda, NULL, NULL);
	ck_assert_int_eq(boot(), 0);
	/* INT 19h: the boot sector again, the IRET goes to 0000:7C00. */
	memset(ram(0x7c00), 0, 512);
	bios_int(0x19, &r);
	ck_assert_uint_eq(rd16(0x7c00), 0xfeeb);
	ck_assert_uint_eq(rd16(STACK - 8 + 2), 0x7c00);
	ck_assert_uint_eq(rd16(STACK - 8 + 4), 0);
	ck_assert_uint_eq(r.edx & 0xff, 0x80);
	/* #DE and INT 18h end the run with a message naming the caller. */
	bios_int(0x00, &r);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_ERROR);
	ck_assert_ptr_nonnull(strstr(m->cpu.error, "divide error"));
	ck_assert_ptr_nonnull(strstr(m->cpu.error, "0000:1234"));
	m->cpu.stop_reason = VCPU_EXIT_NONE;
	bios_int(0x18, &r);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_ERROR);
	/* The reset vector reboots. */
	bios_int(BIOS_FN_RESET, &r);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_RESET);
}
END_TEST

static Suite *bios_suite(void)
{
	Suite *s = suite_create("bios");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_boot_state);
	tcase_add_test(tc, test_not_bootable);
	tcase_add_test(tc, test_boot_from_hdb_only);
	tcase_add_test(tc, test_wanted);
	tcase_add_test(tc, test_port_gate);
	tcase_add_test(tc, test_int13_geometry);
	tcase_add_test(tc, test_int13_translation);
	tcase_add_test(tc, test_int13_chs_read);
	tcase_add_test(tc, test_int13_bad_requests);
	tcase_add_test(tc, test_int13_extensions);
	tcase_add_test(tc, test_int13_writes);
	tcase_add_test(tc, test_int15_memory);
	tcase_add_test(tc, test_int15_misc);
	tcase_add_test(tc, test_int15_wait);
	tcase_add_test(tc, test_int16_keys);
	tcase_add_test(tc, test_int1a_time);
	tcase_add_test(tc, test_int1a_rtc);
	tcase_add_test(tc, test_int10_text);
	tcase_add_test(tc, test_bootstrap_and_stops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bios_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

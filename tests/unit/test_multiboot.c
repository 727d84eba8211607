/*
 * test_multiboot.c - the multiboot v1 loader (src/monitor/multiboot.c).
 *
 * Kernels are built in memory by the tests (a small ELF32 with one or two
 * PT_LOAD segments, or a flat a.out-kludge image), written to a temporary
 * file when the path API is tested. Guest RAM is a plain calloc'd buffer:
 * the loader only uses mem_is_ram()/mem_ptr(). The vCPU starts filled
 * with a sentinel pattern so the tests see exactly what the loader set,
 * and that a failed load leaves it alone. When the harness exports
 * top_builddir, the real test guest tests/guests/hello.elf is loaded too.
 */
#include <check.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "monitor/machine.h"
#include "monitor/multiboot.h"

#define RAM (16u << 20)
#define LOAD 0x100000u
#define HDR_OFF 0x100u /* file offset of the multiboot header */
#define SEG_OFF 0x80u  /* file offset of the first segment */

static struct machine *m;
static struct vcpu sentinel;
static char err[256];

static void setup(void)
{
	m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	m->mem.size = RAM;
	m->mem.physmap = malloc(RAM);
	ck_assert_ptr_nonnull(m->mem.physmap);
	memset(m->mem.physmap, 0xcc, RAM);
	memset(&m->cpu, 0xa5, sizeof(m->cpu));
	m->cpu.machine = m;
	sentinel = m->cpu;
	err[0] = 0;
}

static void teardown(void)
{
	free(m->mem.physmap);
	free(m);
}

static uint32_t rd32(uint32_t paddr)
{
	uint32_t v;

	memcpy(&v, m->mem.physmap + paddr, 4);
	return v;
}

static uint64_t rd64(uint32_t paddr)
{
	uint64_t v;

	memcpy(&v, m->mem.physmap + paddr, 8);
	return v;
}

/* ---- building kernels ---- */

struct kopt {
	int class64;	  /* emit an ELFCLASS64 identification */
	int no_header;	  /* leave the multiboot header out */
	int bad_checksum; /* break the checksum */
	uint32_t flags;	  /* header flags (default MB_HF_MEMINFO) */
	uint32_t paddr;	  /* segment physical address (default LOAD) */
	uint32_t vaddr;	  /* segment virtual address (default paddr) */
	uint32_t entry;	  /* e_entry (default vaddr + HDR_OFF - SEG_OFF + 12) */
	uint32_t filesz;  /* default 0x200 */
	uint32_t memsz;	  /* default 0x1000 */
	uint32_t hdr_off; /* default HDR_OFF */
	int two_segments; /* add a second PT_LOAD at paddr + 0x10000 */
};

static void put_header(uint8_t *p, uint32_t flags, int bad)
{
	uint32_t w[3] = {MB_HEADER_MAGIC, flags,
			 -(MB_HEADER_MAGIC + flags) + (bad ? 1 : 0)};

	memcpy(p, w, sizeof(w));
}

/* An ELF32 kernel: ehdr, phdrs, then segment data from SEG_OFF. */
static uint8_t *make_elf(const struct kopt *o_in, size_t *size)
{
	struct kopt o = *o_in;
	size_t total;
	uint8_t *img;
	Elf32_Ehdr *eh;
	Elf32_Phdr *ph;

	if (!o.flags)
		o.flags = MB_HF_MEMINFO;
	if (!o.paddr)
		o.paddr = LOAD;
	if (!o.vaddr)
		o.vaddr = o.paddr;
	if (!o.filesz)
		o.filesz = 0x200;
	if (!o.memsz)
		o.memsz = 0x1000;
	if (!o.hdr_off)
		o.hdr_off = HDR_OFF;
	if (!o.entry)
		o.entry = o.vaddr + (HDR_OFF - SEG_OFF) + 12;
	total = SEG_OFF + o.filesz + (o.two_segments ? 0x100 : 0);
	if (o.hdr_off + 12 > total)
		total = o.hdr_off + 12;
	img = calloc(1, total);
	ck_assert_ptr_nonnull(img);

	eh = (Elf32_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = o.class64 ? ELFCLASS64 : ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_version = EV_CURRENT;
	eh->e_entry = o.entry;
	eh->e_phoff = sizeof(Elf32_Ehdr);
	eh->e_ehsize = sizeof(Elf32_Ehdr);
	eh->e_phentsize = sizeof(Elf32_Phdr);
	eh->e_phnum = o.two_segments ? 2 : 1;

	ph = (Elf32_Phdr *)(img + sizeof(Elf32_Ehdr));
	ph[0].p_type = PT_LOAD;
	ph[0].p_offset = SEG_OFF;
	ph[0].p_vaddr = o.vaddr;
	ph[0].p_paddr = o.paddr;
	ph[0].p_filesz = o.filesz;
	ph[0].p_memsz = o.memsz;
	ph[0].p_flags = PF_R | PF_W | PF_X;
	if (o.two_segments) {
		ph[1] = ph[0];
		ph[1].p_offset = SEG_OFF + o.filesz;
		ph[1].p_vaddr = o.vaddr + 0x10000;
		ph[1].p_paddr = o.paddr + 0x10000;
		ph[1].p_filesz = 0x100;
		ph[1].p_memsz = 0x100;
		memset(img + ph[1].p_offset, 0x5e, 0x100);
	}
	/* Recognisable segment bytes, then the header inside them. */
	for (uint32_t i = 0; i < o.filesz && SEG_OFF + i < total; i++)
		img[SEG_OFF + i] = (uint8_t)(i * 7 + 1);
	if (!o.no_header)
		put_header(img + o.hdr_off, o.flags, o.bad_checksum);
	*size = total;
	return img;
}

static char *write_temp(const void *data, size_t size)
{
	char *path = strdup("/tmp/bt386-mb-XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
	close(fd);
	return path;
}

static int load_file(const void *img, size_t size, const char *cmdline)
{
	char *path = write_temp(img, size);
	int r = multiboot_load(m, path, cmdline, err, sizeof(err));

	unlink(path);
	free(path);
	return r;
}

/* Expect failure with `fragment` in a one-line message, vCPU untouched. */
static void expect_error(int r, const char *fragment)
{
	ck_assert_int_eq(r, -1);
	ck_assert_msg(strstr(err, fragment), "message '%s' lacks '%s'", err,
		      fragment);
	ck_assert_msg(!strchr(err, '\n'), "message has a newline: '%s'", err);
	ck_assert_msg(!memcmp(&m->cpu, &sentinel, sizeof(sentinel)),
		      "a failed load changed the vCPU");
}

/* The boot state with the boot area at `area`. */
static void check_boot_state_at(uint32_t entry, uint32_t area)
{
	const struct vcpu *c = &m->cpu;

	ck_assert_uint_eq(c->regs[X86_EAX], MB_BOOT_MAGIC);
	ck_assert_uint_eq(c->regs[X86_EBX], area + MB_INFO_OFF);
	ck_assert_uint_eq(c->regs[X86_ESP], area + MB_INFO_OFF);
	ck_assert_uint_eq(c->eip, entry);
	ck_assert_uint_eq(c->eflags, 0x2);
	ck_assert_uint_eq(c->cr0, X86_CR0_PE | X86_CR0_ET);
	ck_assert_int_eq(c->cpl, 0);
	ck_assert_uint_eq(c->seg[X86_CS].sel, 0x08);
	ck_assert_uint_eq(c->seg[X86_CS].base, 0);
	ck_assert_uint_eq(c->seg[X86_CS].limit, 0xffffffffu);
	ck_assert_uint_eq(c->seg[X86_CS].attr, 0x9b | X86_DESC_DB | X86_DESC_G);
	for (int s = 0; s < X86_NR_SREGS; s++) {
		if (s == X86_CS)
			continue;
		ck_assert_uint_eq(c->seg[s].sel, 0x10);
		ck_assert_uint_eq(c->seg[s].base, 0);
		ck_assert_uint_eq(c->seg[s].limit, 0xffffffffu);
		ck_assert_uint_eq(c->seg[s].attr,
				  0x93 | X86_DESC_DB | X86_DESC_G);
	}
	/* The GDT in memory matches the descriptor caches. */
	ck_assert_uint_eq(c->gdtr.base, area + MB_GDT_OFF);
	ck_assert_uint_eq(c->gdtr.limit, 23);
	ck_assert_uint_eq(rd64(area + MB_GDT_OFF), 0);
	ck_assert_uint_eq(rd64(area + MB_GDT_OFF + 8), 0x00cf9b000000ffffull);
	ck_assert_uint_eq(rd64(area + MB_GDT_OFF + 16), 0x00cf93000000ffffull);
	ck_assert(!c->halted);
}

static void check_boot_state(uint32_t entry)
{
	check_boot_state_at(entry, MB_AREA_START);
}

static void check_info_at(const char *want_cmdline, uint32_t area)
{
	const uint32_t info = area + MB_INFO_OFF;
	uint32_t mmap, len;

	ck_assert_uint_eq(rd32(info), MB_INFO_MEMORY | MB_INFO_CMDLINE |
					      MB_INFO_MEM_MAP |
					      MB_INFO_LOADER_NAME);
	ck_assert_uint_eq(rd32(info + 4), 639);
	ck_assert_uint_eq(rd32(info + 8), (RAM >> 10) - 1024);
	ck_assert_str_eq((char *)m->mem.physmap + rd32(info + 16),
			 want_cmdline);
	ck_assert_str_eq((char *)m->mem.physmap + rd32(info + 64),
			 PACKAGE_NAME " " PACKAGE_VERSION);

	len = rd32(info + 44);
	mmap = rd32(info + 48);
	ck_assert_uint_eq(len, 4 * 24);
	ck_assert_uint_eq(rd32(mmap), 20);
	ck_assert_uint_eq(rd64(mmap + 4), 0);
	ck_assert_uint_eq(rd64(mmap + 12), 0x9fc00);
	ck_assert_uint_eq(rd32(mmap + 20), 1);
	ck_assert_uint_eq(rd64(mmap + 24 + 4), 0x9fc00);
	ck_assert_uint_eq(rd64(mmap + 24 + 12), 0x400);
	ck_assert_uint_eq(rd32(mmap + 24 + 20), 2);
	ck_assert_uint_eq(rd64(mmap + 48 + 4), 0xf0000);
	ck_assert_uint_eq(rd64(mmap + 48 + 12), 0x10000);
	ck_assert_uint_eq(rd32(mmap + 48 + 20), 2);
	ck_assert_uint_eq(rd64(mmap + 72 + 4), 0x100000);
	ck_assert_uint_eq(rd64(mmap + 72 + 12), RAM - 0x100000);
	ck_assert_uint_eq(rd32(mmap + 72 + 20), 1);
}

static void check_info(const char *want_cmdline)
{
	check_info_at(want_cmdline, MB_AREA_START);
}

/* ---- valid kernels ---- */

START_TEST(test_elf_loads)
{
	struct kopt o = {.two_segments = 1};
	size_t size;
	uint8_t *img = make_elf(&o, &size);
	char *path = write_temp(img, size);
	char want[300];

	ck_assert_int_eq(multiboot_load(m, path, "console=ttyS0 quiet", err,
					sizeof(err)),
			 0);
	check_boot_state(LOAD + (HDR_OFF - SEG_OFF) + 12);
	snprintf(want, sizeof(want), "%s console=ttyS0 quiet", path);
	check_info(want);
	/* File bytes in place, BSS zeroed, the second segment too. */
	ck_assert_mem_eq(m->mem.physmap + LOAD, img + SEG_OFF, 0x200);
	for (uint32_t i = 0x200; i < 0x1000; i++)
		ck_assert_uint_eq(m->mem.physmap[LOAD + i], 0);
	ck_assert_uint_eq(m->mem.physmap[LOAD + 0x10000], 0x5e);
	ck_assert_uint_eq(m->mem.physmap[LOAD + 0x10100], 0xcc);
	unlink(path);
	free(path);
	free(img);
}
END_TEST

/* A kernel in the usual boot area (kvm-unit-tests' realmode test loads
 * at 0x8000) moves the area to the page after it, in conventional
 * memory when it fits there, else from 1 MiB on, as QEMU places its
 * information after the kernel. */
START_TEST(test_kernel_in_boot_area_moves_it)
{
	struct kopt o = {.paddr = 0x8000, .memsz = 0x2a4c};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	ck_assert_int_eq(multiboot_load_image(m, img, size, "k.elf", "x", err,
					      sizeof(err)),
			 0);
	check_boot_state_at(0x8000 + (HDR_OFF - SEG_OFF) + 12, 0xb000);
	check_info_at("k.elf x", 0xb000);
	ck_assert_mem_eq(m->mem.physmap + 0x8000, img + SEG_OFF, 0x200);
	free(img);

	o = (struct kopt){.paddr = 0x9000, .memsz = 0x90000};
	img = make_elf(&o, &size);
	ck_assert_int_eq(multiboot_load_image(m, img, size, "k.elf", "y", err,
					      sizeof(err)),
			 0);
	check_boot_state_at(0x9000 + (HDR_OFF - SEG_OFF) + 12, 0x100000);
	check_info_at("k.elf y", 0x100000);
	free(img);
}
END_TEST

START_TEST(test_empty_cmdline_like_qemu)
{
	struct kopt o = {0};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	ck_assert_int_eq(multiboot_load_image(m, img, size, "k.elf", NULL, err,
					      sizeof(err)),
			 0);
	/* QEMU passes "PATH " (with the space) when -append is empty. */
	ck_assert_str_eq((char *)m->mem.physmap + rd32(MB_INFO_ADDR + 16),
			 "k.elf ");
	free(img);
}
END_TEST

START_TEST(test_image_variant)
{
	struct kopt o = {0};
	size_t size;
	uint8_t *img = make_elf(&o, &size);
	uint8_t *orig = malloc(size);

	memcpy(orig, img, size);
	ck_assert_int_eq(multiboot_load_image(m, img, size, "built-in demo",
					      "x=1", err, sizeof(err)),
			 0);
	check_boot_state(LOAD + (HDR_OFF - SEG_OFF) + 12);
	check_info("built-in demo x=1");
	ck_assert_mem_eq(img, orig, size);
	free(orig);
	free(img);
}
END_TEST

START_TEST(test_higher_half_entry)
{
	struct kopt o = {.vaddr = 0xc0100000u, .paddr = LOAD};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	ck_assert_int_eq(load_file(img, size, ""), 0);
	/* The virtual entry point is translated through its segment. */
	ck_assert_uint_eq(m->cpu.eip, LOAD + (HDR_OFF - SEG_OFF) + 12);
	ck_assert_mem_eq(m->mem.physmap + LOAD, img + SEG_OFF, 0x200);
	free(img);
}
END_TEST

START_TEST(test_video_flag_ignored)
{
	struct kopt o = {.flags = MB_HF_PAGE_ALIGN | MB_HF_MEMINFO |
				  MB_HF_VIDEO | (1u << 20)};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	ck_assert_int_eq(load_file(img, size, ""), 0);
	free(img);
}
END_TEST

/* A flat binary with the a.out kludge: header at offset 0x40. */
static uint8_t *make_aout(size_t *size, uint32_t load_addr, uint32_t load_end,
			  uint32_t bss_end, uint32_t entry)
{
	const uint32_t flags = MB_HF_MEMINFO | MB_HF_AOUT_KLUDGE;
	uint32_t w[8] = {MB_HEADER_MAGIC, flags,     -(MB_HEADER_MAGIC + flags),
			 LOAD + 0x40,	  load_addr, load_end,
			 bss_end,	  entry};
	uint8_t *img = calloc(1, 0x400);

	for (int i = 0; i < 0x400; i++)
		img[i] = (uint8_t)(i ^ 0x5a);
	memcpy(img + 0x40, w, sizeof(w));
	*size = 0x400;
	return img;
}

START_TEST(test_aout_kludge)
{
	size_t size;
	uint8_t *img = make_aout(&size, LOAD, LOAD + 0x300, LOAD + 0x2000,
				 LOAD + 0x80);

	ck_assert_int_eq(load_file(img, size, "a"), 0);
	check_boot_state(LOAD + 0x80);
	ck_assert_mem_eq(m->mem.physmap + LOAD, img, 0x300);
	for (uint32_t i = 0x300; i < 0x2000; i++)
		ck_assert_uint_eq(m->mem.physmap[LOAD + i], 0);
	ck_assert_uint_eq(m->mem.physmap[LOAD + 0x2000], 0xcc);
	free(img);
}
END_TEST

START_TEST(test_aout_whole_file)
{
	size_t size;
	/* load_end_addr 0: the rest of the file; bss_end_addr 0: no BSS. */
	uint8_t *img = make_aout(&size, LOAD, 0, 0, LOAD + 0x80);

	ck_assert_int_eq(load_file(img, size, ""), 0);
	ck_assert_mem_eq(m->mem.physmap + LOAD, img, 0x400);
	ck_assert_uint_eq(m->mem.physmap[LOAD + 0x400], 0xcc);
	free(img);
}
END_TEST

START_TEST(test_aout_bad_addresses)
{
	size_t size;
	uint8_t *img = make_aout(&size, LOAD + 0x100, 0, 0, LOAD + 0x180);

	expect_error(load_file(img, size, ""), "load_addr 0x100100 lies above");
	free(img);
	img = make_aout(&size, LOAD - 0x1000, 0, 0, LOAD);
	expect_error(load_file(img, size, ""), "before the beginning");
	free(img);
	img = make_aout(&size, LOAD, LOAD + 0x800, 0, LOAD);
	expect_error(load_file(img, size, ""), "past the end of the file");
	free(img);
	img = make_aout(&size, LOAD, LOAD + 0x300, LOAD + 0x100, LOAD);
	expect_error(load_file(img, size, ""), "bss_end_addr");
	free(img);
}
END_TEST

START_TEST(test_hello_guest)
{
	const char *top = getenv("top_builddir");
	char path[4096];
	Elf32_Ehdr eh;
	FILE *f;

	if (!top) /* run by hand, outside the harness */
		return;
	snprintf(path, sizeof(path), "%s/tests/guests/hello.elf", top);
	f = fopen(path, "rb");
	ck_assert_msg(f, "%s: missing (make builds it)", path);
	ck_assert_int_eq(fread(&eh, sizeof(eh), 1, f), 1);
	fclose(f);
	ck_assert_int_eq(
		multiboot_load(m, path, "guest=hello", err, sizeof(err)), 0);
	check_boot_state(eh.e_entry);
	ck_assert_uint_eq(rd32(eh.e_entry - 12), MB_HEADER_MAGIC);
}
END_TEST

/* ---- bad kernels ---- */

START_TEST(test_not_elf)
{
	static const char text[] = "#!/bin/sh\necho this is no kernel\n";
	uint8_t big[9000] = {0};

	expect_error(load_file(text, sizeof(text) - 1, ""),
		     ": not an ELF file");
	expect_error(load_file("", 0, ""), "not an ELF file");
	expect_error(load_file(big, sizeof(big), ""), "not an ELF file");
	/* A flat file with a header but no load addresses. */
	put_header(big + 64, MB_HF_MEMINFO, 0);
	expect_error(load_file(big, sizeof(big), ""), "flag bit 16");
}
END_TEST

START_TEST(test_missing_file)
{
	expect_error(multiboot_load(m, "/nonexistent/kernel.elf", "", err,
				    sizeof(err)),
		     "/nonexistent/kernel.elf: No such file or directory");
	expect_error(multiboot_load(m, "/tmp", "", err, sizeof(err)),
		     "/tmp: not a regular file");
}
END_TEST

START_TEST(test_truncated)
{
	struct kopt o = {.two_segments = 1};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	expect_error(load_file(img, 40, ""),
		     "truncated: the ELF header needs 52 bytes");
	/* The second program header ends at 52 + 64 = 116. */
	expect_error(load_file(img, 100, ""),
		     "truncated: program header 1 extends past the end");
	expect_error(load_file(img, SEG_OFF + 0x100, ""),
		     "truncated: segment 0 (file bytes 0x80-0x27f)");
	free(img);
}
END_TEST

START_TEST(test_elf64)
{
	struct kopt o = {.class64 = 1};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	expect_error(load_file(img, size, ""),
		     "is a 64-bit ELF; multiboot v1 needs a 32-bit kernel");
	free(img);
}
END_TEST

START_TEST(test_no_header)
{
	struct kopt o = {.no_header = 1};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	expect_error(load_file(img, size, ""),
		     "no multiboot header in the first 8192 bytes");
	free(img);
	/* A header past the first 8 KiB does not count. */
	o = (struct kopt){.hdr_off = 8192, .filesz = 0x2100};
	img = make_elf(&o, &size);
	expect_error(load_file(img, size, ""), "no multiboot header");
	free(img);
}
END_TEST

START_TEST(test_bad_checksum)
{
	struct kopt o = {.bad_checksum = 1};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	expect_error(load_file(img, size, ""),
		     "bad multiboot header checksum at offset 0x100");
	free(img);
}
END_TEST

START_TEST(test_unsupported_flags)
{
	struct kopt o = {.flags = MB_HF_MEMINFO | (1u << 3) | (1u << 15)};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	expect_error(load_file(img, size, ""),
		     "unsupported required multiboot flags 0x8008");
	free(img);
}
END_TEST

START_TEST(test_segment_outside_ram)
{
	struct kopt o = {.paddr = RAM - 0x800};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	expect_error(load_file(img, size, ""),
		     "segment at 0xfff800 (4096 bytes) lies outside guest RAM "
		     "(16 MiB)");
	free(img);
	o = (struct kopt){.paddr = 0xfffff000u};
	img = make_elf(&o, &size);
	expect_error(load_file(img, size, ""), "lies outside guest RAM");
	free(img);
}
END_TEST

START_TEST(test_segment_too_close_to_ram_end)
{
	struct kopt o = {.paddr = 0x9000, .memsz = RAM - 0x9000 - 0x1000};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	expect_error(load_file(img, size, ""),
		     "no room for the boot information");
	free(img);
}
END_TEST

START_TEST(test_filesz_above_memsz)
{
	struct kopt o = {.filesz = 0x300, .memsz = 0x200};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	expect_error(
		load_file(img, size, ""),
		"segment 0: file size 0x300 exceeds its memory size 0x200");
	free(img);
}
END_TEST

START_TEST(test_not_i386)
{
	struct kopt o = {0};
	size_t size;
	uint8_t *img = make_elf(&o, &size);

	((Elf32_Ehdr *)img)->e_machine = EM_ARM;
	expect_error(load_file(img, size, ""), "is not an i386 ELF");
	((Elf32_Ehdr *)img)->e_machine = EM_386;
	((Elf32_Ehdr *)img)->e_type = ET_DYN;
	expect_error(load_file(img, size, ""), "is not an executable ELF");
	free(img);
}
END_TEST

static Suite *multiboot_suite(void)
{
	Suite *s = suite_create("multiboot");
	TCase *ok = tcase_create("valid kernels");
	TCase *bad = tcase_create("bad kernels");

	tcase_add_checked_fixture(ok, setup, teardown);
	tcase_add_test(ok, test_elf_loads);
	tcase_add_test(ok, test_kernel_in_boot_area_moves_it);
	tcase_add_test(ok, test_empty_cmdline_like_qemu);
	tcase_add_test(ok, test_image_variant);
	tcase_add_test(ok, test_higher_half_entry);
	tcase_add_test(ok, test_video_flag_ignored);
	tcase_add_test(ok, test_aout_kludge);
	tcase_add_test(ok, test_aout_whole_file);
	tcase_add_test(ok, test_hello_guest);
	suite_add_tcase(s, ok);

	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_add_test(bad, test_not_elf);
	tcase_add_test(bad, test_missing_file);
	tcase_add_test(bad, test_truncated);
	tcase_add_test(bad, test_elf64);
	tcase_add_test(bad, test_no_header);
	tcase_add_test(bad, test_bad_checksum);
	tcase_add_test(bad, test_unsupported_flags);
	tcase_add_test(bad, test_segment_outside_ram);
	tcase_add_test(bad, test_segment_too_close_to_ram_end);
	tcase_add_test(bad, test_filesz_above_memsz);
	tcase_add_test(bad, test_not_i386);
	tcase_add_test(bad, test_aout_bad_addresses);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(multiboot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

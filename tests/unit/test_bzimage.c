/*
 * test_bzimage.c - the Linux 32-bit boot protocol loader
 * (src/monitor/bzimage.c).
 *
 * Kernels are synthetic bzImages built by the tests: a real-mode part of
 * (setup_sects + 1) sectors holding a setup header shaped like Debian
 * 12's i386 kernel (protocol 2.15, relocatable, 16 MiB alignment), then a
 * protected-mode payload of recognisable bytes. Guest RAM is a plain
 * malloc'd buffer filled with 0xcc; the vCPU starts filled with a sentinel
 * pattern, so the tests see exactly what the loader wrote and that a
 * refused kernel leaves RAM and vCPU alone.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/bzimage.h"
#include "monitor/machine.h"

#define RAM (64u << 20)
#define PAYLOAD 0x3000u /* protected-mode bytes in the default kernel */

static struct machine *m;
static struct vcpu sentinel;
static char err[512];

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

static uint8_t g8(uint32_t paddr)
{
	return m->mem.physmap[paddr];
}

static uint16_t g16(uint32_t paddr)
{
	uint16_t v;

	memcpy(&v, m->mem.physmap + paddr, 2);
	return v;
}

static uint32_t g32(uint32_t paddr)
{
	uint32_t v;

	memcpy(&v, m->mem.physmap + paddr, 4);
	return v;
}

static uint64_t g64(uint32_t paddr)
{
	uint64_t v;

	memcpy(&v, m->mem.physmap + paddr, 8);
	return v;
}

static uint32_t bp(uint32_t off)
{
	return BZ_PARAMS_ADDR + off;
}

/* ---- building kernels ---- */

struct kopt {
	uint8_t setup_sects;	  /* default 3; 0 is taken literally */
	int setup_sects_given;	  /* use setup_sects even if 0 */
	uint16_t version;	  /* default 0x020f */
	uint8_t loadflags;	  /* default LOADED_HIGH */
	int loadflags_given;	  /* use loadflags even if 0 */
	uint32_t payload;	  /* protected-mode bytes, default PAYLOAD */
	uint32_t syssize;	  /* default payload / 16 */
	int syssize_given;	  /* use syssize even if 0 */
	uint32_t initrd_addr_max; /* default 0x7fffffff */
	uint32_t cmdline_size;	  /* default 2047 */
	uint32_t init_size;	  /* default 0x200000 */
	uint32_t pref_address;	  /* default 0x1000000 */
	uint8_t jump_len; /* byte 0x201, default 0x6a (header ends 0x26c) */
	int no_magic;	  /* break "HdrS" */
};

static void p16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void p32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static unsigned sects_of(const struct kopt *o)
{
	if (o->setup_sects_given)
		return o->setup_sects ? o->setup_sects : 4;
	return o->setup_sects ? o->setup_sects : 3;
}

/* The protected-mode byte i of a kernel, recognisable after loading. */
static uint8_t payload_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 1);
}

static uint8_t *make_kernel(const struct kopt *o, size_t *size)
{
	unsigned sects = sects_of(o);
	uint32_t payload = o->payload ? o->payload : PAYLOAD;
	size_t setup = (sects + 1) * 512u, total = setup + payload;
	uint8_t *k = calloc(1, total);

	ck_assert_ptr_nonnull(k);
	/* Real-mode filler that must never reach guest RAM. */
	memset(k, 0xee, setup);
	memset(k + BZ_SETUP_SECTS, 0, 0x290 - BZ_SETUP_SECTS);
	k[BZ_SETUP_SECTS] =
		o->setup_sects_given ? o->setup_sects : (uint8_t)(sects);
	p32(k + BZ_SYSSIZE, o->syssize_given ? o->syssize
			    : o->syssize     ? o->syssize
					     : payload / 16);
	p16(k + BZ_VID_MODE, 0xfffd); /* "ask": the loader must override */
	p16(k + 0x1fc, 0x0801);	      /* root_dev, copied as is */
	p16(k + BZ_BOOT_FLAG, BZ_BOOT_FLAG_MAGIC);
	k[BZ_JUMP] = 0xeb;
	k[BZ_JUMP + 1] = o->jump_len ? o->jump_len : 0x6a;
	p32(k + BZ_HEADER, o->no_magic ? 0x53726449u : BZ_HEADER_MAGIC);
	p16(k + BZ_VERSION, o->version ? o->version : 0x020f);
	k[BZ_LOADFLAGS] = o->loadflags_given ? o->loadflags : BZ_LOADED_HIGH;
	p32(k + BZ_CODE32_START, 0x100000);
	p32(k + BZ_INITRD_ADDR_MAX,
	    o->initrd_addr_max ? o->initrd_addr_max : 0x7fffffff);
	p32(k + BZ_KERNEL_ALIGNMENT, 0x1000000);
	k[BZ_RELOCATABLE] = 1;
	k[0x235] = 13; /* min_alignment */
	p32(k + BZ_CMDLINE_SIZE, o->cmdline_size ? o->cmdline_size : 2047);
	p32(k + BZ_PREF_ADDRESS, o->pref_address ? o->pref_address : 0x1000000);
	p32(k + BZ_INIT_SIZE, o->init_size ? o->init_size : 0x200000);
	for (uint32_t i = 0; i < payload; i++)
		k[setup + i] = payload_byte(i);
	*size = total;
	return k;
}

static int load(const struct kopt *o, const void *initrd, size_t isize,
		const char *cmdline)
{
	size_t size;
	uint8_t *k = make_kernel(o, &size);
	int ret = bzimage_load_image(m, k, size, "vmlinuz", initrd, isize,
				     "initrd.img", cmdline, err, sizeof(err));

	free(k);
	return ret;
}

/* A refused kernel: one line naming the kernel, RAM and vCPU untouched. */
static void expect_refused(const char *what)
{
	ck_assert_msg(strstr(err, "vmlinuz: ") == err, "message '%s'", err);
	ck_assert_msg(strstr(err, what), "message '%s' lacks '%s'", err, what);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert(!memcmp(&m->cpu, &sentinel, sizeof(sentinel)));
	ck_assert_uint_eq(g32(BZ_PARAMS_ADDR + 0x200), 0xcccccccc);
	ck_assert_uint_eq(g32(BZ_KERNEL_ADDR), 0xcccccccc);
	ck_assert_uint_eq(g32(RAM - 4), 0xcccccccc);
}

/* ---- valid kernels ---- */

START_TEST(test_detect)
{
	struct kopt o = {0}, bad = {.no_magic = 1};
	size_t size;
	uint8_t *k = make_kernel(&o, &size);

	ck_assert(bzimage_detect(k, size));
	ck_assert(!bzimage_detect(k, 0x205));
	k[BZ_BOOT_FLAG] = 0;
	ck_assert(!bzimage_detect(k, size));
	free(k);
	k = make_kernel(&bad, &size);
	ck_assert(!bzimage_detect(k, size));
	free(k);
}
END_TEST

START_TEST(test_zero_page)
{
	struct kopt o = {0};
	size_t size;
	uint8_t *k = make_kernel(&o, &size);
	static const char cmd[] = "console=ttyS0 quiet panic=-1";

	ck_assert_int_eq(load(&o, NULL, 0, cmd), 0);
	/* Zeroed first: the sentinel, screen_info, the rest of the page. */
	for (uint32_t off = 0; off < 0x1e0; off++)
		ck_assert_uint_eq(g8(bp(off)), 0);
	ck_assert_uint_eq(g8(bp(BZ_SENTINEL)), 0);
	for (uint32_t off = 0x26c; off < BZ_E820_TABLE; off++)
		ck_assert_uint_eq(g8(bp(off)), 0);
	for (uint32_t off = BZ_E820_TABLE + 4 * 20; off < 0x1000; off++)
		ck_assert_uint_eq(g8(bp(off)), 0);
	/* The file's header, copied up to 0x202 + byte[0x201]. */
	ck_assert_uint_eq(g8(bp(BZ_SETUP_SECTS)), 3);
	ck_assert_uint_eq(g32(bp(BZ_SYSSIZE)), PAYLOAD / 16);
	ck_assert_uint_eq(g16(bp(0x1fc)), 0x0801);
	ck_assert_uint_eq(g16(bp(BZ_BOOT_FLAG)), 0xaa55);
	ck_assert_uint_eq(g32(bp(BZ_HEADER)), BZ_HEADER_MAGIC);
	ck_assert_uint_eq(g16(bp(BZ_VERSION)), 0x020f);
	ck_assert_uint_eq(g32(bp(BZ_INITRD_ADDR_MAX)), 0x7fffffff);
	ck_assert_uint_eq(g32(bp(BZ_KERNEL_ALIGNMENT)), 0x1000000);
	ck_assert_uint_eq(g32(bp(BZ_CMDLINE_SIZE)), 2047);
	ck_assert_uint_eq(g32(bp(BZ_INIT_SIZE)), 0x200000);
	ck_assert_uint_eq(g8(bp(0x235)), 13);
	/* What the loader fills in. */
	ck_assert_uint_eq(g16(bp(BZ_VID_MODE)), 0xffff);
	ck_assert_uint_eq(g8(bp(BZ_TYPE_OF_LOADER)), 0xff);
	ck_assert_uint_eq(g8(bp(BZ_LOADFLAGS)), BZ_LOADED_HIGH);
	ck_assert_uint_eq(g32(bp(BZ_CODE32_START)), BZ_KERNEL_ADDR);
	ck_assert_uint_eq(g32(bp(BZ_CMD_LINE_PTR)), BZ_CMDLINE_ADDR);
	ck_assert_str_eq((const char *)m->mem.physmap + BZ_CMDLINE_ADDR, cmd);
	ck_assert_uint_eq(g32(bp(BZ_RAMDISK_IMAGE)), 0);
	ck_assert_uint_eq(g32(bp(BZ_RAMDISK_SIZE)), 0);
	ck_assert_uint_eq(g32(bp(BZ_ALT_MEM_K)), (RAM >> 10) - 1024);
	free(k);
}
END_TEST

START_TEST(test_e820)
{
	struct kopt o = {0};
	static const uint64_t want[4][3] = {
		{0, 0x9fc00, 1},
		{0x9fc00, 0x400, 2},
		{0xf0000, 0x10000, 2},
		{0x100000, RAM - 0x100000, 1},
	};

	ck_assert_int_eq(load(&o, NULL, 0, NULL), 0);
	ck_assert_uint_eq(g8(bp(BZ_E820_ENTRIES)), 4);
	for (unsigned i = 0; i < 4; i++) {
		uint32_t e = bp(BZ_E820_TABLE + i * 20);
		ck_assert_uint_eq(g64(e), want[i][0]);
		ck_assert_uint_eq(g64(e + 8), want[i][1]);
		ck_assert_uint_eq(g32(e + 16), want[i][2]);
	}
	/* A NULL command line is an empty one, still pointed at. */
	ck_assert_uint_eq(g32(bp(BZ_CMD_LINE_PTR)), BZ_CMDLINE_ADDR);
	ck_assert_uint_eq(g8(BZ_CMDLINE_ADDR), 0);
}
END_TEST

START_TEST(test_payload_loaded)
{
	struct kopt o = {0};

	ck_assert_int_eq(load(&o, NULL, 0, ""), 0);
	for (uint32_t i = 0; i < PAYLOAD; i++)
		ck_assert_uint_eq(g8(BZ_KERNEL_ADDR + i), payload_byte(i));
	/* Nothing past the payload, and no real-mode code anywhere low. */
	ck_assert_uint_eq(g8(BZ_KERNEL_ADDR + PAYLOAD), 0xcc);
	ck_assert_uint_eq(g8(0x90000), 0xcc);
	ck_assert_uint_eq(g8(BZ_KERNEL_ADDR - 1), 0xcc);
}
END_TEST

START_TEST(test_setup_sects_zero_means_four)
{
	struct kopt o = {.setup_sects = 0, .setup_sects_given = 1};

	ck_assert_int_eq(load(&o, NULL, 0, ""), 0);
	ck_assert_uint_eq(g8(BZ_KERNEL_ADDR), payload_byte(0));
	ck_assert_uint_eq(g8(BZ_KERNEL_ADDR + PAYLOAD - 1),
			  payload_byte(PAYLOAD - 1));
	ck_assert_uint_eq(g8(bp(BZ_SETUP_SECTS)), 0);
}
END_TEST

START_TEST(test_registers)
{
	struct kopt o = {0};
	const struct vcpu *c = &m->cpu;

	ck_assert_int_eq(load(&o, NULL, 0, ""), 0);
	ck_assert_uint_eq(c->eip, BZ_KERNEL_ADDR);
	ck_assert_uint_eq(c->regs[X86_ESI], BZ_PARAMS_ADDR);
	ck_assert_uint_eq(c->regs[X86_EBP], 0);
	ck_assert_uint_eq(c->regs[X86_EDI], 0);
	ck_assert_uint_eq(c->regs[X86_EBX], 0);
	ck_assert_uint_eq(c->cr0, X86_CR0_PE | X86_CR0_ET);
	ck_assert_uint_eq(c->cr3, 0);
	ck_assert_uint_eq(c->cr4, 0);
	ck_assert_uint_eq(c->eflags, X86_FL_FIXED1); /* IF = 0 */
	ck_assert_uint_eq(c->cpl, 0);
	ck_assert(!c->halted);
	ck_assert_uint_eq(c->seg[X86_CS].sel, BZ_BOOT_CS);
	ck_assert(c->seg[X86_CS].attr & X86_DESC_CODE);
	for (int i = 0; i < X86_NR_SREGS; i++) {
		ck_assert_uint_eq(c->seg[i].base, 0);
		ck_assert_uint_eq(c->seg[i].limit, 0xffffffffu);
		ck_assert(c->seg[i].attr & X86_DESC_DB);
		if (i != X86_CS) {
			ck_assert_uint_eq(c->seg[i].sel, BZ_BOOT_DS);
			ck_assert(!(c->seg[i].attr & X86_DESC_CODE));
			ck_assert(c->seg[i].attr & X86_DESC_RW);
		}
	}
	/* The GDT agrees with the descriptor caches. */
	ck_assert_uint_eq(c->gdtr.base, BZ_GDT_ADDR);
	ck_assert_uint_eq(c->gdtr.limit, 0x1f);
	ck_assert_uint_eq(g64(BZ_GDT_ADDR), 0);
	ck_assert_uint_eq(g64(BZ_GDT_ADDR + 8), 0);
	ck_assert_uint_eq(g64(BZ_GDT_ADDR + BZ_BOOT_CS), 0x00cf9b000000ffffull);
	ck_assert_uint_eq(g64(BZ_GDT_ADDR + BZ_BOOT_DS), 0x00cf93000000ffffull);
}
END_TEST

START_TEST(test_initrd_top_of_ram)
{
	struct kopt o = {0};
	size_t n = 10000;
	uint8_t *rd = malloc(n);
	uint32_t at = (RAM - 10000) & ~0xfffu;

	for (size_t i = 0; i < n; i++)
		rd[i] = (uint8_t)(i * 13 + 5);
	ck_assert_int_eq(load(&o, rd, n, ""), 0);
	ck_assert_uint_eq(g32(bp(BZ_RAMDISK_IMAGE)), at);
	ck_assert_uint_eq(g32(bp(BZ_RAMDISK_SIZE)), n);
	ck_assert(!memcmp(m->mem.physmap + at, rd, n));
	free(rd);
}
END_TEST

START_TEST(test_initrd_below_addr_max)
{
	struct kopt o = {.initrd_addr_max = 0x01ffffff};
	uint8_t rd[100] = {1, 2, 3};

	ck_assert_int_eq(load(&o, rd, sizeof(rd), ""), 0);
	ck_assert_uint_eq(g32(bp(BZ_RAMDISK_IMAGE)), 0x01fff000);
	ck_assert_uint_eq(g8(0x01fff002), 3);
	ck_assert_uint_eq(g32(RAM - 4), 0xcccccccc);
}
END_TEST

START_TEST(test_empty_initrd_is_none)
{
	struct kopt o = {0};
	uint8_t rd[1];

	ck_assert_int_eq(load(&o, rd, 0, ""), 0);
	ck_assert_uint_eq(g32(bp(BZ_RAMDISK_IMAGE)), 0);
	ck_assert_uint_eq(g32(bp(BZ_RAMDISK_SIZE)), 0);
}
END_TEST

START_TEST(test_cmdline_at_limit)
{
	struct kopt o = {.cmdline_size = 16};

	ck_assert_int_eq(load(&o, NULL, 0, "0123456789abcdef"), 0);
	ck_assert_str_eq((const char *)m->mem.physmap + BZ_CMDLINE_ADDR,
			 "0123456789abcdef");
}
END_TEST

static char *write_tmp(const void *data, size_t n)
{
	char *path = strdup("/tmp/test_bzimage.XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

START_TEST(test_files)
{
	struct kopt o = {0};
	size_t size;
	uint8_t *k = make_kernel(&o, &size);
	uint8_t rd[5000];
	char *kp = write_tmp(k, size), *rp;

	memset(rd, 0x5a, sizeof(rd));
	rp = write_tmp(rd, sizeof(rd));
	ck_assert_int_eq(bzimage_load(m, kp, rp, "x=1", err, sizeof(err)), 0);
	ck_assert_uint_eq(g32(bp(BZ_RAMDISK_SIZE)), sizeof(rd));
	ck_assert_uint_eq(g8(g32(bp(BZ_RAMDISK_IMAGE))), 0x5a);
	ck_assert_uint_eq(g8(BZ_KERNEL_ADDR + 1), payload_byte(1));

	/* Missing files are named in the message. */
	ck_assert_int_eq(bzimage_load(m, kp, "/nonexistent/initrd", NULL, err,
				      sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/initrd: "));
	ck_assert_int_eq(bzimage_load(m, "/nonexistent/vmlinuz", NULL, NULL,
				      err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/vmlinuz: "));
	ck_assert_int_eq(bzimage_load(m, "/tmp", NULL, NULL, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	unlink(kp);
	unlink(rp);
	free(kp);
	free(rp);
	free(k);
}
END_TEST

/* ---- bad kernels ---- */

START_TEST(test_not_bzimage)
{
	struct kopt o = {.no_magic = 1};

	ck_assert_int_eq(load(&o, NULL, 0, ""), -1);
	expect_refused("not a Linux bzImage");
}
END_TEST

START_TEST(test_old_protocol)
{
	struct kopt o = {.version = 0x0201};

	ck_assert_int_eq(load(&o, NULL, 0, ""), -1);
	expect_refused("boot protocol 2.01 is too old");
}
END_TEST

START_TEST(test_zimage)
{
	struct kopt o = {.loadflags_given = 1, .loadflags = 0};

	ck_assert_int_eq(load(&o, NULL, 0, ""), -1);
	expect_refused("LOADED_HIGH");
}
END_TEST

START_TEST(test_truncated_setup)
{
	struct kopt o = {0};
	size_t size;
	uint8_t *k = make_kernel(&o, &size);

	/* Cut inside the real-mode part (after the header). */
	ck_assert_int_eq(bzimage_load_image(m, k, 0x300, "vmlinuz", NULL, 0,
					    NULL, "", err, sizeof(err)),
			 -1);
	expect_refused("truncated");
	/* Cut inside the header itself. */
	ck_assert_int_eq(bzimage_load_image(m, k, 0x204, "vmlinuz", NULL, 0,
					    NULL, "", err, sizeof(err)),
			 -1);
	expect_refused("not a Linux bzImage");
	free(k);
}
END_TEST

START_TEST(test_truncated_payload)
{
	struct kopt o = {0};
	size_t size;
	uint8_t *k = make_kernel(&o, &size);

	ck_assert_int_eq(bzimage_load_image(m, k, size - 1, "vmlinuz", NULL, 0,
					    NULL, "", err, sizeof(err)),
			 -1);
	expect_refused("truncated");
	free(k);
}
END_TEST

START_TEST(test_corrupt_sizes)
{
	struct kopt zero = {.syssize_given = 1, .syssize = 0};
	struct kopt huge = {.syssize = 0xfffffff};
	struct kopt jump = {.jump_len = 0xf0};

	ck_assert_int_eq(load(&zero, NULL, 0, ""), -1);
	expect_refused("syssize");
	ck_assert_int_eq(load(&huge, NULL, 0, ""), -1);
	expect_refused("syssize");
	ck_assert_int_eq(load(&jump, NULL, 0, ""), -1);
	expect_refused("corrupt setup header");
}
END_TEST

START_TEST(test_setup_sects_past_file)
{
	struct kopt o = {0};
	size_t size;
	uint8_t *k = make_kernel(&o, &size);

	k[BZ_SETUP_SECTS] = 200; /* 100 KiB of setup in a 5 KiB file */
	ck_assert_int_eq(bzimage_load_image(m, k, size, "vmlinuz", NULL, 0,
					    NULL, "", err, sizeof(err)),
			 -1);
	expect_refused("truncated");
	free(k);
}
END_TEST

START_TEST(test_cmdline_too_long)
{
	struct kopt o = {.cmdline_size = 16};

	ck_assert_int_eq(load(&o, NULL, 0, "0123456789abcdefg"), -1);
	expect_refused("command line too long (17 bytes");
}
END_TEST

START_TEST(test_not_enough_ram)
{
	struct kopt o = {.init_size = RAM};

	ck_assert_int_eq(load(&o, NULL, 0, ""), -1);
	expect_refused("not enough guest RAM");
	ck_assert_ptr_nonnull(strstr(err, "init_size"));
}
END_TEST

START_TEST(test_initrd_too_big)
{
	struct kopt o = {0};
	/* The kernel's buffer ends at 16 + 2 MiB: 47 MiB cannot fit. */
	size_t n = 47u << 20;
	uint8_t *rd = calloc(1, n);

	ck_assert_int_eq(load(&o, rd, n, ""), -1);
	expect_refused("initrd initrd.img");
	ck_assert_ptr_nonnull(strstr(err, "does not fit"));
	/* Larger than RAM altogether (refused before a byte is read). */
	ck_assert_int_eq(load(&o, rd, (size_t)RAM + 1, ""), -1);
	expect_refused("does not fit");
	free(rd);
}
END_TEST

START_TEST(test_initrd_above_addr_max)
{
	/* initrd_addr_max inside the kernel's buffer: nowhere to go. */
	struct kopt o = {.initrd_addr_max = 0x01100000};
	uint8_t rd[100] = {0};

	ck_assert_int_eq(load(&o, rd, sizeof(rd), ""), -1);
	expect_refused("does not fit");
	ck_assert_ptr_nonnull(strstr(err, "initrd_addr_max 0x1100000"));
}
END_TEST

static Suite *bzimage_suite(void)
{
	Suite *s = suite_create("bzimage");
	TCase *ok = tcase_create("valid kernels");
	TCase *bad = tcase_create("bad kernels");

	tcase_add_checked_fixture(ok, setup, teardown);
	tcase_add_test(ok, test_detect);
	tcase_add_test(ok, test_zero_page);
	tcase_add_test(ok, test_e820);
	tcase_add_test(ok, test_payload_loaded);
	tcase_add_test(ok, test_setup_sects_zero_means_four);
	tcase_add_test(ok, test_registers);
	tcase_add_test(ok, test_initrd_top_of_ram);
	tcase_add_test(ok, test_initrd_below_addr_max);
	tcase_add_test(ok, test_empty_initrd_is_none);
	tcase_add_test(ok, test_cmdline_at_limit);
	tcase_add_test(ok, test_files);
	suite_add_tcase(s, ok);

	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_add_test(bad, test_not_bzimage);
	tcase_add_test(bad, test_old_protocol);
	tcase_add_test(bad, test_zimage);
	tcase_add_test(bad, test_truncated_setup);
	tcase_add_test(bad, test_truncated_payload);
	tcase_add_test(bad, test_corrupt_sizes);
	tcase_add_test(bad, test_setup_sects_past_file);
	tcase_add_test(bad, test_cmdline_too_long);
	tcase_add_test(bad, test_not_enough_ram);
	tcase_add_test(bad, test_initrd_too_big);
	tcase_add_test(bad, test_initrd_above_addr_max);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bzimage_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

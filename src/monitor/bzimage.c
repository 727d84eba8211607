/*
 * bzimage.c - boot a Linux bzImage through the 32-bit boot protocol.
 *
 * There is no BIOS, so the kernel's 16-bit setup code never runs: the
 * loader does its job (boot.rst, "32-bit Boot Protocol"). Steps: check the
 * setup header (0xAA55, "HdrS", protocol >= 2.02, LOADED_HIGH, the file
 * as long as setup_sects and syssize say); plan where everything goes
 * (kernel at 1 MiB, the decompressor's buffer at max(align_up(1 MiB,
 * kernel_alignment), pref_address) for init_size bytes, the initrd page
 * aligned at the top of RAM below initrd_addr_max and lowmem, above that
 * buffer); then write a zeroed boot_params with the file's setup header,
 * the loader's fields and the e820 map, the command line and a GDT into
 * low memory (layout in include/monitor/bzimage.h), and set the vCPU.
 *
 * Invariants: every check happens before guest memory or the vCPU is
 * written, so a refused kernel leaves both as they were; messages are one
 * line, prefixed with the file's name. The e820 map is the multiboot
 * loader's memory map (monitor/multiboot.c), so both kinds of guest see
 * the same machine. Called by machine_boot() (monitor/machine.c).
 */
#include "monitor/bzimage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/boot32.h"
#include "monitor/file.h"
#include "monitor/machine.h"
#include "monitor/memmap.h"

#define PAGE 0x1000u

/* What the header says and where things will go, checked before writing. */
struct bz_plan {
	const uint8_t *image;
	size_t size;
	uint16_t version;
	uint32_t setup_bytes; /* real-mode part: (setup_sects + 1) * 512 */
	uint32_t hdr_end;     /* setup header: [0x1f1, hdr_end) */
	uint32_t pm_size;     /* protected-mode part, loaded at 1 MiB */
	uint32_t cmdline_len; /* without the NUL */
	uint32_t initrd_addr;
	uint32_t initrd_size;
	uint64_t kernel_end; /* end of the decompressor's buffer */
};

struct bz_ctx {
	struct machine *m;
	const char *name;
	char *err;
	size_t errlen;
};

static int fail(struct bz_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct bz_ctx *x, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s: %s", x->name, msg);
	return -1;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)v);
	wr16(p + 2, (uint16_t)(v >> 16));
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

bool bzimage_detect(const void *image, size_t size)
{
	const uint8_t *p = image;

	return size >= BZ_HEADER + 4 &&
	       rd16(p + BZ_BOOT_FLAG) == BZ_BOOT_FLAG_MAGIC &&
	       rd32(p + BZ_HEADER) == BZ_HEADER_MAGIC;
}

/* The setup header: signatures, version, sizes. */
static int check_header(struct bz_ctx *x, struct bz_plan *p)
{
	const uint8_t *img = p->image;
	unsigned sects;
	uint64_t sys;

	if (!bzimage_detect(img, p->size))
		return fail(x, "not a Linux bzImage (no 0xAA55 at 0x1fe and "
			       "\"HdrS\" at 0x202)");
	p->version = rd16(img + BZ_VERSION);
	if (p->version < 0x0202)
		return fail(x,
			    "boot protocol %u.%02u is too old (the 32-bit "
			    "protocol needs 2.02 or later)",
			    p->version >> 8, p->version & 0xff);
	if (!(img[BZ_LOADFLAGS] & BZ_LOADED_HIGH))
		return fail(x, "is a zImage (LOADED_HIGH clear); only "
			       "bzImage kernels load at 1 MiB");
	p->hdr_end = BZ_HEADER + img[BZ_JUMP + 1];
	if (p->hdr_end > BZ_HEADER_LIMIT || p->hdr_end < BZ_CMDLINE_SIZE)
		return fail(x,
			    "corrupt setup header: the jump at 0x200 says "
			    "it ends at 0x%x",
			    p->hdr_end);
	sects = img[BZ_SETUP_SECTS] ? img[BZ_SETUP_SECTS] : 4;
	p->setup_bytes = (sects + 1) * 512u;
	if (p->setup_bytes < p->hdr_end || p->size < p->setup_bytes)
		return fail(x,
			    "truncated: the setup code needs %u bytes, the "
			    "file has %zu",
			    p->setup_bytes, p->size);
	sys = (uint64_t)rd32(img + BZ_SYSSIZE) * 16;
	if (sys == 0 || p->size - p->setup_bytes < sys)
		return fail(x,
			    "truncated or corrupt: syssize says %llu bytes of "
			    "protected-mode code, the file has %zu after the "
			    "setup code",
			    (unsigned long long)sys, p->size - p->setup_bytes);
	p->pm_size = (uint32_t)(p->size - p->setup_bytes);
	return 0;
}

/*
 * The decompressor works in [base, base + init_size): base is where a
 * relocatable kernel moves itself (1 MiB aligned up to kernel_alignment,
 * at least pref_address), or pref_address for one that is not.
 */
static int plan_kernel(struct bz_ctx *x, struct bz_plan *p)
{
	const uint8_t *img = p->image;
	uint64_t base = BZ_KERNEL_ADDR, need, ram = x->m->mem.size;

	p->kernel_end = BZ_KERNEL_ADDR + (uint64_t)p->pm_size;
	if (p->version >= 0x020a) {
		uint64_t pref = (uint64_t)rd32(img + BZ_PREF_ADDRESS) |
				(uint64_t)rd32(img + BZ_PREF_ADDRESS + 4) << 32;
		uint32_t align = rd32(img + BZ_KERNEL_ALIGNMENT);

		if (img[BZ_RELOCATABLE] && align && !(align & (align - 1)))
			base = (base + align - 1) & ~(uint64_t)(align - 1);
		if (pref > base)
			base = pref;
		need = base + rd32(img + BZ_INIT_SIZE);
		if (need > p->kernel_end)
			p->kernel_end = need;
	}
	if (p->kernel_end > ram)
		return fail(
			x,
			"not enough guest RAM: the kernel needs %llu MiB "
			"(init_size 0x%x from 0x%llx), -m is %llu MiB",
			(unsigned long long)((p->kernel_end + (1u << 20) - 1) >>
					     20),
			p->version >= 0x020a ? rd32(img + BZ_INIT_SIZE)
					     : p->pm_size,
			(unsigned long long)base,
			(unsigned long long)(ram >> 20));
	return 0;
}

static int plan_cmdline(struct bz_ctx *x, struct bz_plan *p,
			const char *cmdline)
{
	uint32_t max = 255; /* before 2.06 the limit was implicit */
	size_t len = strlen(cmdline);

	if (p->version >= 0x0206)
		max = rd32(p->image + BZ_CMDLINE_SIZE);
	if (max > BZ_AREA_END - BZ_CMDLINE_ADDR - 1)
		max = BZ_AREA_END - BZ_CMDLINE_ADDR - 1;
	if (len > max)
		return fail(x,
			    "command line too long (%zu bytes, the kernel "
			    "takes at most %u)",
			    len, max);
	p->cmdline_len = (uint32_t)len;
	return 0;
}

/* Highest page-aligned spot below initrd_addr_max, lowmem and RAM's top. */
static int plan_initrd(struct bz_ctx *x, struct bz_plan *p, size_t isize,
		       const char *iname)
{
	uint64_t top = x->m->mem.size, max = 0x37ffffffu, addr;

	if (p->version >= 0x0203)
		max = rd32(p->image + BZ_INITRD_ADDR_MAX);
	if (max + 1 < top)
		top = max + 1;
	if (top > BZ_LOWMEM_TOP)
		top = BZ_LOWMEM_TOP;
	if (isize > top)
		addr = 0;
	else
		addr = (top - isize) & ~(uint64_t)(PAGE - 1);
	if (isize > top || addr < p->kernel_end)
		return fail(x,
			    "initrd %s (%zu bytes) does not fit in guest RAM "
			    "between the kernel (ends at 0x%llx) and 0x%llx "
			    "(initrd_addr_max 0x%llx); give more -m",
			    iname, isize, (unsigned long long)p->kernel_end,
			    (unsigned long long)top, (unsigned long long)max);
	p->initrd_addr = (uint32_t)addr;
	p->initrd_size = (uint32_t)isize;
	return 0;
}

static uint8_t *put_e820(uint8_t *e, uint64_t addr, uint64_t len, uint32_t type)
{
	wr64(e, addr);
	wr64(e + 8, len);
	wr32(e + 16, type);
	return e + 20;
}

static void write_params(struct bz_ctx *x, const struct bz_plan *p,
			 const char *cmdline)
{
	const struct guest_mem *mem = &x->m->mem;
	uint8_t *bp = mem_ptr(mem, BZ_PARAMS_ADDR), *e;
	struct mon_mem_range map[MON_MEMMAP_ENTRIES];
	unsigned nr;

	memset(bp, 0, PAGE);
	memcpy(bp + BZ_SETUP_SECTS, p->image + BZ_SETUP_SECTS,
	       p->hdr_end - BZ_SETUP_SECTS);
	wr16(bp + BZ_VID_MODE, 0xffff); /* "normal": keep the text mode */
	bp[BZ_TYPE_OF_LOADER] = BZ_TYPE_UNDEFINED;
	/* Only LOADED_HIGH: no setup heap (the 16-bit code never runs). */
	bp[BZ_LOADFLAGS] = BZ_LOADED_HIGH;
	wr16(bp + BZ_HEAP_END_PTR, 0);
	wr32(bp + BZ_CODE32_START, BZ_KERNEL_ADDR);
	wr32(bp + BZ_CMD_LINE_PTR, BZ_CMDLINE_ADDR);
	wr32(bp + BZ_RAMDISK_IMAGE, p->initrd_addr);
	wr32(bp + BZ_RAMDISK_SIZE, p->initrd_size);
	wr32(bp + BZ_ALT_MEM_K, (uint32_t)((mem->size - MEM_HIGH_BASE) >> 10));

	e = bp + BZ_E820_TABLE;
	nr = mon_memory_map(mem->size, map);
	for (unsigned i = 0; i < nr; i++)
		e = put_e820(e, map[i].base, map[i].len, map[i].type);
	bp[BZ_E820_ENTRIES] = (uint8_t)((e - (bp + BZ_E820_TABLE)) / 20);

	memcpy(mem_ptr(mem, BZ_CMDLINE_ADDR), cmdline, p->cmdline_len);
	*(uint8_t *)mem_ptr(mem, BZ_CMDLINE_ADDR + p->cmdline_len) = 0;
}

/* The entry state of the 32-bit boot protocol. */
static void set_cpu(struct bz_ctx *x)
{
	struct vcpu *c = &x->m->cpu;

	mon_boot_flat32(x->m, BZ_GDT_ADDR, BZ_BOOT_CS, BZ_BOOT_DS,
			BZ_KERNEL_ADDR);
	c->regs[X86_ESI] = BZ_PARAMS_ADDR;
	c->regs[X86_ESP] = BZ_BOOT_STACK;
}

int bzimage_load_image(struct machine *m, const void *kernel, size_t ksize,
		       const char *name, const void *initrd, size_t isize,
		       const char *initrd_name, const char *cmdline, char *err,
		       size_t errlen)
{
	struct bz_ctx x = {.m = m, .name = name, .err = err, .errlen = errlen};
	struct bz_plan p = {.image = kernel, .size = ksize};

	if (!cmdline)
		cmdline = "";
	if (m->mem.size < MEM_HIGH_BASE)
		return fail(&x, "guest RAM below 1 MiB cannot hold a kernel");
	if (check_header(&x, &p) < 0 || plan_kernel(&x, &p) < 0 ||
	    plan_cmdline(&x, &p, cmdline) < 0)
		return -1;
	/* An empty initrd is no initrd (ramdisk_image and _size stay 0). */
	if (initrd && isize &&
	    plan_initrd(&x, &p, isize, initrd_name ? initrd_name : "") < 0)
		return -1;

	memcpy(mem_ptr(&m->mem, BZ_KERNEL_ADDR), p.image + p.setup_bytes,
	       p.pm_size);
	if (p.initrd_size)
		memcpy(mem_ptr(&m->mem, p.initrd_addr), initrd, isize);
	write_params(&x, &p, cmdline);
	set_cpu(&x);
	return 0;
}

int bzimage_load(struct machine *m, const char *path, const char *initrd_path,
		 const char *cmdline, char *err, size_t errlen)
{
	void *kernel = NULL, *initrd = NULL;
	size_t ksize = 0, isize = 0;
	int ret = -1;

	if (mon_read_file(path, m->mem.size, &kernel, &ksize, err, errlen) < 0)
		return -1;
	if (initrd_path && mon_read_file(initrd_path, m->mem.size, &initrd,
					 &isize, err, errlen) < 0)
		goto out;
	ret = bzimage_load_image(m, kernel, ksize, path, initrd, isize,
				 initrd_path, cmdline, err, errlen);
out:
	free(kernel);
	free(initrd);
	return ret;
}

/*
 * multiboot.c - boot a multiboot v1 kernel the way `qemu -kernel` does.
 *
 * Steps: find and validate the multiboot header in the first 8 KiB; place
 * the kernel in guest RAM, either from its ELF PT_LOAD segments (by
 * physical address, read with libelf) or, when the header sets the a.out
 * kludge flag (bit 16), from the header's load/bss/entry addresses; write
 * the multiboot information, the command line, a memory map and a boot GDT
 * into low memory (layout in include/monitor/multiboot.h); finally set the
 * vCPU to the state the specification describes.
 *
 * Every check of the image happens before the vCPU is touched, so a
 * failed load leaves it as it was. Messages are one line, prefixed with
 * the kernel's name. Called by machine_boot() (monitor/machine.c).
 */
#include "monitor/multiboot.h"
#include "monitor/boot32.h"
#include "monitor/file.h"

#include <errno.h>
#include <stdarg.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "monitor/machine.h"
#include "monitor/memmap.h"

struct mb_header {
	uint32_t magic, flags, checksum;
	/* valid with MB_HF_AOUT_KLUDGE */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
};

/* A module for the information structure (none yet: -initrd later). */
struct mb_module {
	uint32_t start, end; /* guest physical */
	const char *cmdline;
};

struct loader {
	struct machine *m;
	const char *name;
	const uint8_t *image;
	size_t size;
	char *err;
	size_t errlen;
	uint32_t hdr_off;
	struct mb_header hdr;
	uint32_t entry;
	uint32_t kernel_end; /* highest byte loaded + 1 (modules go above) */
	bool area_taken;     /* a segment lies in the usual boot area */
	uint32_t area;	     /* where the boot area goes (choose_area) */
};

static int fail(struct loader *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct loader *l, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s: %s", l->name, msg);
	return -1;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

static bool is_elf(const struct loader *l)
{
	return l->size >= SELFMAG && !memcmp(l->image, ELFMAG, SELFMAG);
}

/*
 * Find the header: 4-byte aligned, in the first 8 KiB, magic followed by
 * flags and a checksum that make the three sum to zero. Returns 1 found,
 * 0 absent, -1 with a message for a header that is there but broken.
 */
static int find_header(struct loader *l)
{
	size_t limit = l->size < MB_SEARCH_BYTES ? l->size : MB_SEARCH_BYTES;
	long bad_at = -1;
	uint32_t bad_sum = 0;

	for (size_t off = 0; off + 12 <= limit; off += 4) {
		const uint8_t *p = l->image + off;
		uint32_t sum;

		if (rd32(p) != MB_HEADER_MAGIC)
			continue;
		sum = rd32(p) + rd32(p + 4) + rd32(p + 8);
		if (sum != 0) {
			if (bad_at < 0) {
				bad_at = (long)off;
				bad_sum = sum;
			}
			continue;
		}
		l->hdr_off = (uint32_t)off;
		l->hdr.magic = rd32(p);
		l->hdr.flags = rd32(p + 4);
		l->hdr.checksum = rd32(p + 8);
		if (l->hdr.flags & MB_HF_AOUT_KLUDGE) {
			if (off + 32 > l->size)
				return fail(l,
					    "truncated: the multiboot header "
					    "at offset 0x%zx needs 32 bytes",
					    off);
			l->hdr.header_addr = rd32(p + 12);
			l->hdr.load_addr = rd32(p + 16);
			l->hdr.load_end_addr = rd32(p + 20);
			l->hdr.bss_end_addr = rd32(p + 24);
			l->hdr.entry_addr = rd32(p + 28);
		}
		return 1;
	}
	if (bad_at >= 0)
		return fail(l,
			    "bad multiboot header checksum at offset 0x%lx "
			    "(magic + flags + checksum = 0x%x, must be 0)",
			    bad_at, bad_sum);
	return 0;
}

static int check_flags(struct loader *l)
{
	uint32_t required = l->hdr.flags & 0xffffu;
	uint32_t unknown = required & ~MB_HF_SUPPORTED;

	if (unknown)
		return fail(l,
			    "unsupported required multiboot flags 0x%04x "
			    "(this loader handles bits 0, 1, 2 and 16)",
			    unknown);
	return 0;
}

/* Check that [paddr, paddr + len) is RAM the kernel may use. */
static int check_range(struct loader *l, uint32_t paddr, uint64_t len)
{
	const struct guest_mem *mem = &l->m->mem;

	if ((uint64_t)paddr + len > mem->size)
		return fail(l,
			    "segment at 0x%x (%llu bytes) lies outside guest "
			    "RAM (%u MiB)",
			    paddr, (unsigned long long)len, mem->size >> 20);
	if (len && paddr < MB_AREA_START + MB_AREA_SIZE &&
	    paddr + len > MB_AREA_START)
		l->area_taken = true;
	return 0;
}

/*
 * The boot area: at MB_AREA_START, or when the kernel uses that, on the
 * page after the kernel's last byte (in conventional memory if it fits
 * there, else from 1 MiB on).
 */
static int choose_area(struct loader *l)
{
	uint64_t at = ((uint64_t)l->kernel_end + 0xfff) & ~0xfffull;

	if (!l->area_taken) {
		l->area = MB_AREA_START;
		return 0;
	}
	if (at < MEM_HIGH_BASE && at + MB_AREA_SIZE > MON_EBDA_START)
		at = MEM_HIGH_BASE;
	if (at + MB_AREA_SIZE > l->m->mem.size)
		return fail(l,
			    "no room for the boot information: the kernel "
			    "uses 0x%x-0x%x, its usual place, and ends at "
			    "0x%x, too close to the end of RAM (%u MiB)",
			    MB_AREA_START, MB_AREA_START + MB_AREA_SIZE - 1,
			    l->kernel_end, l->m->mem.size >> 20);
	l->area = (uint32_t)at;
	return 0;
}

static void place(struct loader *l, uint32_t paddr, const uint8_t *src,
		  uint32_t filesz, uint32_t memsz)
{
	uint8_t *dst = mem_ptr(&l->m->mem, paddr);

	memcpy(dst, src, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	if (paddr + memsz > l->kernel_end)
		l->kernel_end = paddr + memsz;
}

/* The a.out kludge: the header says where the file goes. */
static int load_kludge(struct loader *l)
{
	const struct mb_header *h = &l->hdr;
	uint64_t file_start, load_size, mem_size;

	if (h->load_addr > h->header_addr)
		return fail(l,
			    "multiboot header: load_addr 0x%x lies above "
			    "header_addr 0x%x",
			    h->load_addr, h->header_addr);
	if (h->header_addr - h->load_addr > l->hdr_off)
		return fail(l,
			    "multiboot header: load_addr 0x%x would start "
			    "0x%x bytes before the beginning of the file",
			    h->load_addr,
			    h->header_addr - h->load_addr - l->hdr_off);
	file_start = l->hdr_off - (h->header_addr - h->load_addr);
	if (h->load_end_addr == 0) {
		load_size = l->size - file_start;
	} else {
		if (h->load_end_addr < h->load_addr)
			return fail(l,
				    "multiboot header: load_end_addr 0x%x lies "
				    "below load_addr 0x%x",
				    h->load_end_addr, h->load_addr);
		load_size = h->load_end_addr - h->load_addr;
		if (file_start + load_size > l->size)
			return fail(l,
				    "truncated: the a.out kludge loads 0x%llx "
				    "bytes from offset 0x%llx, past the end of "
				    "the file (%zu bytes)",
				    (unsigned long long)load_size,
				    (unsigned long long)file_start, l->size);
	}
	mem_size = load_size;
	if (h->bss_end_addr) {
		if ((uint64_t)h->bss_end_addr < h->load_addr + load_size)
			return fail(
				l,
				"multiboot header: bss_end_addr 0x%x lies "
				"below the end of the loaded image 0x%llx",
				h->bss_end_addr,
				(unsigned long long)(h->load_addr + load_size));
		mem_size = h->bss_end_addr - h->load_addr;
	}
	if (check_range(l, h->load_addr, mem_size) < 0)
		return -1;
	if (!mem_is_ram(&l->m->mem, h->entry_addr, 1))
		return fail(l, "entry point 0x%x lies outside guest RAM",
			    h->entry_addr);
	place(l, h->load_addr, l->image + file_start, (uint32_t)load_size,
	      (uint32_t)mem_size);
	l->entry = h->entry_addr;
	return 0;
}

/* Structural checks libelf does not phrase the way users need. */
static int check_elf_header(struct loader *l, const Elf32_Ehdr *eh)
{
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(l, "is a big-endian ELF; multiboot needs a "
			       "little-endian i386 kernel");
	if (eh->e_machine != EM_386)
		return fail(l, "is not an i386 ELF (e_machine %u)",
			    eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return fail(l, "is not an executable ELF (e_type %u)",
			    eh->e_type);
	if (eh->e_phnum == 0)
		return fail(l, "has no program headers");
	if (eh->e_phentsize != sizeof(Elf32_Phdr))
		return fail(l, "unexpected program header size %u (want %zu)",
			    eh->e_phentsize, sizeof(Elf32_Phdr));
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if ((uint64_t)eh->e_phoff +
			    (uint64_t)(i + 1) * eh->e_phentsize >
		    l->size)
			return fail(l,
				    "truncated: program header %u extends past "
				    "the end of the file (%zu bytes)",
				    i, l->size);
	return 0;
}

/* Entry points of higher-half kernels are virtual: translate through the
 * segment that contains them, as GRUB does. */
static uint32_t entry_paddr(const Elf32_Ehdr *eh, const Elf32_Phdr *ph)
{
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && eh->e_entry >= ph[i].p_vaddr &&
		    eh->e_entry - ph[i].p_vaddr < ph[i].p_memsz)
			return eh->e_entry - ph[i].p_vaddr + ph[i].p_paddr;
	return eh->e_entry;
}

static int load_elf(struct loader *l)
{
	Elf *e = NULL;
	Elf32_Ehdr *eh;
	Elf32_Phdr *ph;
	unsigned loaded = 0;
	int ret = -1;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(l, "libelf: %s", elf_errmsg(-1));
	/* elf_memory() wants a writable buffer; the loader owns a copy. */
	e = elf_memory((char *)l->image, l->size);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		fail(l, "libelf cannot read it: %s", elf_errmsg(-1));
		goto out;
	}
	eh = elf32_getehdr(e);
	ph = eh ? elf32_getphdr(e) : NULL;
	if (!ph) {
		fail(l, "libelf cannot read the program headers: %s",
		     elf_errmsg(-1));
		goto out;
	}

	/* Validate every segment before writing any. */
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz) {
			fail(l,
			     "segment %u: file size 0x%x exceeds its memory "
			     "size 0x%x",
			     i, ph[i].p_filesz, ph[i].p_memsz);
			goto out;
		}
		if ((uint64_t)ph[i].p_offset + ph[i].p_filesz > l->size) {
			fail(l,
			     "truncated: segment %u (file bytes 0x%x-0x%llx) "
			     "extends past the end of the file (%zu bytes)",
			     i, ph[i].p_offset,
			     (unsigned long long)ph[i].p_offset +
				     ph[i].p_filesz - 1,
			     l->size);
			goto out;
		}
		if (check_range(l, ph[i].p_paddr, ph[i].p_memsz) < 0)
			goto out;
		loaded++;
	}
	if (!loaded) {
		fail(l, "has no loadable segments");
		goto out;
	}
	l->entry = entry_paddr(eh, ph);
	if (!mem_is_ram(&l->m->mem, l->entry, 1)) {
		fail(l, "entry point 0x%x lies outside guest RAM", l->entry);
		goto out;
	}
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_memsz)
			place(l, ph[i].p_paddr, l->image + ph[i].p_offset,
			      ph[i].p_filesz, ph[i].p_memsz);
	ret = 0;
out:
	if (e)
		elf_end(e);
	return ret;
}

/* Copy a NUL-terminated string into guest low memory at *at. */
static int put_string(struct loader *l, uint32_t *at, const char *s,
		      uint32_t *addr)
{
	size_t n = strlen(s) + 1;

	if (*at + n > l->area + MB_AREA_SIZE)
		return fail(l, "command line too long (%zu bytes, at most %u)",
			    n, MB_AREA_SIZE - MB_STRINGS_OFF - 1);
	memcpy(mem_ptr(&l->m->mem, *at), s, n);
	*addr = *at;
	*at += (uint32_t)((n + 3) & ~(size_t)3);
	return 0;
}

static uint8_t *put_mmap_entry(uint8_t *p, uint64_t addr, uint64_t len,
			       uint32_t type)
{
	wr32(p, 20); /* size of the rest of the entry */
	wr64(p + 4, addr);
	wr64(p + 12, len);
	wr32(p + 20, type);
	return p + 24;
}

/*
 * Write the information structure. The command line is "NAME CMDLINE",
 * like QEMU's (GRUB also passes the kernel's path first).
 */
static int build_info(struct loader *l, const char *cmdline,
		      const struct mb_module *mods, unsigned nmods)
{
	const struct guest_mem *mem = &l->m->mem;
	uint8_t *info = mem_ptr(mem, l->area + MB_INFO_OFF);
	uint8_t *p, *mmap = mem_ptr(mem, l->area + MB_MMAP_OFF);
	uint32_t strings = l->area + MB_STRINGS_OFF, addr = 0, flags;
	struct mon_mem_range map[MON_MEMMAP_ENTRIES];
	unsigned nr;
	static const char loader_name[] = PACKAGE_NAME " " PACKAGE_VERSION;
	size_t n = strlen(l->name) + 1 + strlen(cmdline) + 1;
	char *full = malloc(n);
	int ret;

	if (!full)
		return fail(l, "out of memory");
	snprintf(full, n, "%s %s", l->name, cmdline);
	ret = put_string(l, &strings, full, &addr);
	free(full);
	if (ret < 0)
		return -1;

	memset(info, 0, 128);
	flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MEM_MAP |
		MB_INFO_LOADER_NAME;
	wr32(info + 4, MON_EBDA_START >> 10);		   /* mem_lower, KiB */
	wr32(info + 8, (mem->size - MEM_HIGH_BASE) >> 10); /* mem_upper */
	wr32(info + 16, addr);				   /* cmdline */

	if (nmods) {
		uint8_t *m = mem_ptr(mem, l->area + MB_MODS_OFF);

		if (nmods > MB_MAX_MODS)
			return fail(l, "too many modules (%u, at most %u)",
				    nmods, MB_MAX_MODS);
		for (unsigned i = 0; i < nmods; i++, m += 16) {
			wr32(m, mods[i].start);
			wr32(m + 4, mods[i].end);
			if (put_string(l, &strings, mods[i].cmdline, &addr) < 0)
				return -1;
			wr32(m + 8, addr);
			wr32(m + 12, 0);
		}
		flags |= MB_INFO_MODS;
		wr32(info + 20, nmods);
		wr32(info + 24, l->area + MB_MODS_OFF);
	}

	p = mmap;
	nr = mon_memory_map(mem->size, map);
	for (unsigned i = 0; i < nr; i++)
		p = put_mmap_entry(p, map[i].base, map[i].len, map[i].type);
	wr32(info + 44, (uint32_t)(p - mmap)); /* mmap_length */
	wr32(info + 48, l->area + MB_MMAP_OFF);

	memcpy(mem_ptr(mem, l->area + MB_LOADER_OFF), loader_name,
	       sizeof(loader_name));
	wr32(info + 64, l->area + MB_LOADER_OFF);
	wr32(info, flags);
	return 0;
}

/* The machine state of the multiboot specification, section 3.2. */
static void set_cpu(struct loader *l)
{
	struct vcpu *c = &l->m->cpu;

	mon_boot_flat32(l->m, l->area + MB_GDT_OFF, MB_CODE_SEL, MB_DATA_SEL,
			l->entry);
	c->regs[X86_EAX] = MB_BOOT_MAGIC;
	c->regs[X86_EBX] = l->area + MB_INFO_OFF;
	c->regs[X86_ESP] = l->area + MB_INFO_OFF; /* top of the GDT's page */
}

/*
 * The header decides first: with the a.out kludge the file's format does
 * not matter (GRUB and QEMU agree). Otherwise the kernel must be an ELF32
 * i386 executable, and ELF problems are reported before a missing header
 * so that a truncated or 64-bit file is called what it is.
 */
static int load(struct loader *l, const char *cmdline)
{
	bool elf = is_elf(l);
	int found = find_header(l);

	if (found < 0)
		return -1;
	if (found && check_flags(l) < 0)
		return -1;
	if (found && (l->hdr.flags & MB_HF_AOUT_KLUDGE)) {
		if (load_kludge(l) < 0)
			return -1;
	} else if (elf) {
		uint8_t cls = l->size > EI_CLASS ? l->image[EI_CLASS] : 0;

		if (cls == ELFCLASS64)
			return fail(l, "is a 64-bit ELF; multiboot v1 needs a "
				       "32-bit kernel");
		if (cls != ELFCLASS32)
			return fail(l, "bad ELF class %u", cls);
		if (l->size < sizeof(Elf32_Ehdr))
			return fail(l,
				    "truncated: the ELF header needs %zu "
				    "bytes, the file has %zu",
				    sizeof(Elf32_Ehdr), l->size);
		if (check_elf_header(l, (const Elf32_Ehdr *)l->image) < 0)
			return -1;
		if (!found)
			return fail(l,
				    "no multiboot header in the first %u "
				    "bytes",
				    MB_SEARCH_BYTES);
		if (load_elf(l) < 0)
			return -1;
	} else if (!found) {
		return fail(l,
			    "not an ELF file, and no multiboot header in "
			    "the first %u bytes",
			    MB_SEARCH_BYTES);
	} else {
		return fail(l, "not an ELF file, and its multiboot header has "
			       "no load addresses (flag bit 16)");
	}
	if (choose_area(l) < 0 ||
	    build_info(l, cmdline ? cmdline : "", NULL, 0) < 0)
		return -1;
	set_cpu(l);
	return 0;
}

int multiboot_load_image(struct machine *m, const void *image, size_t size,
			 const char *name, const char *cmdline, char *err,
			 size_t errlen)
{
	struct loader l = {.m = m,
			   .name = name,
			   .size = size,
			   .err = err,
			   .errlen = errlen};
	uint8_t *copy;
	int ret;

	if (size > m->mem.size)
		return fail(&l, "%zu bytes do not fit in guest RAM (%u MiB)",
			    size, m->mem.size >> 20);
	/* libelf may write to the buffer it reads; keep the caller's. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return fail(&l, "out of memory");
	memcpy(copy, image, size);
	l.image = copy;
	ret = load(&l, cmdline);
	free(copy);
	return ret;
}

int multiboot_load(struct machine *m, const char *path, const char *cmdline,
		   char *err, size_t errlen)
{
	void *buf;
	size_t len;
	int ret;

	if (mon_read_file(path, m->mem.size, &buf, &len, err, errlen) < 0)
		return -1;
	ret = multiboot_load_image(m, buf, len, path, cmdline, err, errlen);
	free(buf);
	return ret;
}

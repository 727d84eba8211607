/*
 * hello - the first guest: prints a greeting and checks what the multiboot
 * boot loader handed over (EAX magic, the information structure, the CPU
 * state at entry).
 *
 * Only deterministic facts are printed. The memory map and mem_upper differ
 * between boot loaders (QEMU's BIOS reserves the top 128 KiB of RAM, bt386
 * does not), and so does the boot loader name, so those are checked against
 * ranges, never printed. run-guest.sh boots every guest with the command
 * line "guest=NAME".
 */
#include "guest.h"

#define MiB (1024u * 1024u)
#define RAM_SIZE (64 * MiB) /* run-guest.sh runs guests with -m 64M */

static const char *cmdline_args(const char *cmdline)
{
	const char *p = cmdline;

	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static void check_entry_state(uint32_t magic, struct mb_info *mbi)
{
	const struct boot_state *b = &boot_state;

	section("machine state at entry");
	CHECK_EQ(magic, MB_BOOT_MAGIC, "EAX holds the multiboot magic");
	CHECK_EQ(b->ebx, (uint32_t)mbi, "EBX points at the information");
	CHECK(b->cr0 & CR0_PE, "CR0.PE is set");
	CHECK(!(b->cr0 & CR0_PG), "CR0.PG is clear");
	CHECK(!(b->eflags & FL_IF), "EFLAGS.IF is clear");
	CHECK(!(b->eflags & (1u << 17)), "EFLAGS.VM is clear");
	/* lar: P, DPL, S, type and the G/DB nibble; ignore the accessed bit. */
	CHECK_EQ(b->cs_lar & 0x00f0fe00u, 0x00c09a00u,
		 "CS is a present 32-bit readable code segment, DPL 0");
	CHECK_EQ(b->cs_lsl, 0xffffffffu, "CS limit is 4 GiB");
	CHECK_EQ(b->ds_lar & 0x00f0fe00u, 0x00c09200u,
		 "DS is a present 32-bit writable data segment, DPL 0");
	CHECK_EQ(b->ds_lsl, 0xffffffffu, "DS limit is 4 GiB");
	CHECK_EQ(b->ss_lar & 0x00f0fe00u, 0x00c09200u,
		 "SS is a present 32-bit writable data segment, DPL 0");
	CHECK_EQ(b->ss_lsl, 0xffffffffu, "SS limit is 4 GiB");
	CHECK_EQ(b->ds, b->es, "ES holds the same selector as DS");
	CHECK_EQ(b->cs & 3, 0, "CPL is 0");
}

static void check_memory_map(struct mb_info *mbi)
{
	uint64_t usable = 0;
	int well_formed = 1, low_ok = 0, high_ok = 0, hole_free = 1;

	section("memory map");
	for (uint32_t p = mbi->mmap_addr;
	     p < mbi->mmap_addr + mbi->mmap_length;) {
		const struct mb_mmap_entry *e = (const void *)p;
		uint64_t end = e->addr + e->len;

		if (e->size < 20) {
			well_formed = 0;
			break;
		}
		if (e->type == 1) {
			usable += e->len;
			if (e->addr == 0 && e->len >= 0x9f000)
				low_ok = 1;
			if (e->addr == MiB && end >= 62 * MiB &&
			    end <= RAM_SIZE)
				high_ok = 1;
			if (e->addr < 0x100000 && end > 0xa0000)
				hole_free = 0;
		}
		p += e->size + 4;
	}
	CHECK(well_formed, "memory map entries are well formed");
	CHECK(low_ok, "memory map: usable RAM from 0 to about 640 KiB");
	CHECK(high_ok, "memory map: usable RAM from 1 MiB to near 64 MiB");
	CHECK(hole_free, "memory map: nothing usable in 640 KiB..1 MiB");
	CHECK(usable >= 62 * MiB && usable <= RAM_SIZE,
	      "memory map: 62..64 MiB usable in total");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	const uint32_t want = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER;

	printf("hello from a bt386 test guest\n");
	check_entry_state(magic, mbi);
	if (magic != MB_BOOT_MAGIC)
		return;

	section("multiboot information");
	CHECK((uint32_t)mbi < RAM_SIZE, "the information lies in RAM");
	CHECK((uint32_t)mbi + sizeof(*mbi) <= 0x100000 ||
		      (uint32_t)mbi >= (uint32_t)__kernel_end,
	      "the information does not overlap the kernel");
	printf("flags (mem, cmdline, mmap, loader name): 0x%03x\n",
	       mbi->flags & want);
	CHECK_EQ(
		mbi->flags & want, want,
		"flags announce memory, command line, memory map, loader name");

	printf("mem_lower: %u KiB\n", mbi->mem_lower);
	CHECK_EQ(mbi->mem_lower, 639, "mem_lower is 639 KiB (EBDA at 0x9fc00)");
	CHECK(mbi->mem_upper >= 62 * 1024 && mbi->mem_upper <= 63 * 1024,
	      "mem_upper is 62..63 MiB for a 64 MiB machine");

	if (mbi->flags & MBI_CMDLINE) {
		const char *cmd = (const char *)mbi->cmdline;
		const char *args = cmdline_args(cmd);
		size_t first = 0;

		while (cmd[first] && cmd[first] != ' ')
			first++;
		printf("command line arguments: '%s'\n", args);
		CHECK(ends_with(cmd, first, "hello.elf"),
		      "command line starts with the kernel's path");
		CHECK(!strcmp(args, "guest=hello"),
		      "command line ends with the -append string");
	}
	if (mbi->flags & MBI_LOADER) {
		const char *name = (const char *)mbi->boot_loader_name;

		CHECK(name[0] != '\0', "boot loader name is present");
	}
	if (mbi->flags & MBI_MMAP)
		check_memory_map(mbi);
	CHECK(!(mbi->flags & MBI_MODS) || mbi->mods_count == 0,
	      "no modules were loaded");

	printf("goodbye\n");
}

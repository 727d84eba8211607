/*
 * de_seg.c - the guest's segments in direct execution (normal context).
 *
 * Two directions:
 *  - vcpu -> host: each of the six guest segment caches is mirrored into
 *    an LDT entry (DE_LDT_FIRST + slot) with modify_ldt: same base, type
 *    and size, DPL 3, the limit cut so that no offset wraps past 4 GiB.
 *    Entries are rewritten only when they change (the kernel
 *    copies the whole LDT on each write).
 *  - host -> vcpu: guest code may load segment registers natively. The
 *    host resolves the selector in the LDT (one of DE's: the guest copied
 *    a register) or in the HOST's GDT (the guest loaded a selector of its
 *    own, and a few of those the host accepts). After an exit the host
 *    selectors are compared with what was installed and the vcpu's caches
 *    brought in line, reading the guest's descriptor tables as the
 *    hardware would have.
 */
#include <asm/ldt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mmu/mem.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/de_priv.h"
#include "monitor/machine.h"

/* The LDT entries as written, and the limit each really has. */
static struct user_desc ldt_desc[DE_NSEGS];
static bool ldt_valid[DE_NSEGS];
static uint64_t ldt_limit[DE_NSEGS];

uint64_t de_seg_limit(int slot)
{
	return ldt_limit[slot];
}

/* The LDT descriptor that shadows guest segment s: same base and type,
 * the limit cut so that no offset wraps past 4 GiB (the host does not
 * wrap a compatibility-mode address; the guest's would). */
static void make_desc(const struct x86_seg *s, int slot, struct user_desc *d,
		      uint64_t *eff)
{
	uint64_t lim = s->limit;

	memset(d, 0, sizeof(*d));
	d->entry_number = DE_LDT_FIRST + (unsigned)slot;
	d->base_addr = s->base;
	d->seg_32bit = !!(s->attr & X86_DESC_DB);
	d->useable = !!(s->attr & X86_DESC_AVL);
	d->read_exec_only = !(s->attr & X86_DESC_RW);
	d->contents = (s->attr & X86_DESC_CODE) ? MODIFY_LDT_CONTENTS_CODE
						: MODIFY_LDT_CONTENTS_DATA;
	if (lim > 0xffffffffull - s->base)
		lim = 0xffffffffull - s->base;
	if (lim > 0xfffff) {
		/* Page granular: round down, never up. */
		d->limit_in_pages = 1;
		d->limit = (unsigned)(((lim + 1) >> 12) - 1);
		lim = ((uint64_t)d->limit << 12) | 0xfff;
	} else {
		d->limit = (unsigned)lim;
	}
	*eff = lim;
}

/* Mirror the guest segments into the LDT; sel[] gets the host selectors.
 * Returns the number of entries rewritten, or -1. */
int de_sync_ldt(struct vcpu *cpu, uint16_t *sel)
{
	int written = 0;

	for (int slot = 0; slot < DE_NSEGS; slot++) {
		const struct x86_seg *s = &cpu->seg[de_slot_sreg[slot]];
		struct user_desc d;
		uint64_t eff;

		if (!(s->attr & X86_DESC_P)) {
			/* A null data segment (de_can_run vetted CS, SS):
			 * the host's null selector faults the same way. */
			sel[slot] = s->sel & 3;
			ldt_limit[slot] = 0;
			continue;
		}
		make_desc(s, slot, &d, &eff);
		if (!ldt_valid[slot] ||
		    memcmp(&d, &ldt_desc[slot], sizeof(d))) {
			if (syscall(SYS_modify_ldt, 0x11, &d, sizeof(d)) < 0) {
				snprintf(cpu->error, sizeof(cpu->error),
					 "direct execution: modify_ldt: %s",
					 strerror(errno));
				ldt_valid[slot] = false;
				return -1;
			}
			ldt_desc[slot] = d;
			ldt_valid[slot] = true;
			de_st.stats.ldt_writes++;
			written++;
		}
		ldt_limit[slot] = eff;
		sel[slot] = DE_SEL(slot);
	}
	return written;
}

/* Read guest linear memory with supervisor privileges (descriptor
 * tables), setting Accessed bits as hardware does. */
static bool read_sys(struct vcpu *cpu, uint32_t lin, void *buf, unsigned n,
		     uint32_t *paddr)
{
	const struct guest_mem *mem = &cpu->machine->mem;
	uint8_t *out = buf;

	for (unsigned i = 0; i < n; i++) {
		struct mmu_walk_result w;
		uint32_t pferr;

		if (mmu_walk(cpu, lin + i, 0, &w, &pferr) < 0 ||
		    !mem_is_ram(mem, w.paddr, 1))
			return false;
		if (i == 5)
			*paddr = w.paddr;
		out[i] = *(uint8_t *)mem_ptr(mem, w.paddr);
	}
	return true;
}

/*
 * The guest loaded segment register sreg with selector sel (a host GDT
 * selector, which the host accepted with its own descriptor): load the
 * guest's descriptor as the hardware would have. Returns 0, or the
 * exception vector the load should have raised.
 */
static int load_guest_seg(struct vcpu *cpu, int sreg, uint16_t sel)
{
	const struct x86_dtr *t = (sel & 4) ? NULL : &cpu->gdtr;
	uint32_t base = t ? t->base : cpu->ldtr.base;
	uint32_t limit = t ? t->limit : cpu->ldtr.limit;
	uint32_t off = sel & 0xfff8u, lo, hi, a_paddr = 0, type, dpl;
	uint8_t raw[8];
	struct x86_seg *s = &cpu->seg[sreg];

	if ((sel & 4) && !(cpu->ldtr.attr & X86_DESC_P))
		return X86_EXC_GP;
	if (off + 7 > limit || !read_sys(cpu, base + off, raw, 8, &a_paddr))
		return X86_EXC_GP;
	memcpy(&lo, raw, 4);
	memcpy(&hi, raw + 4, 4);
	type = (hi >> 8) & 0xf;
	dpl = (hi >> 13) & 3;
	if (!(hi & (1u << 12)))
		return X86_EXC_GP; /* system descriptor */
	if (sreg == X86_SS) {
		if ((type & 0xa) != 2 || dpl != 3 || (sel & 3) != 3)
			return X86_EXC_GP;
		if (!(hi & (1u << 15)))
			return X86_EXC_SS;
	} else if (sreg == X86_CS) {
		if (!(type & 8) || (!(type & 4) && dpl != 3))
			return X86_EXC_GP;
		if (!(hi & (1u << 15)))
			return X86_EXC_NP;
	} else {
		if ((type & 0xa) == 8)
			return X86_EXC_GP; /* execute-only code */
		if ((type & 0xc) != 0xc && dpl != 3)
			return X86_EXC_GP; /* data / non-conforming code */
		if (!(hi & (1u << 15)))
			return X86_EXC_NP;
	}
	if (!(hi & 0x100)) {
		const struct guest_mem *mem = &cpu->machine->mem;
		uint8_t *p = mem_ptr(mem, a_paddr);

		hi |= 0x100;
		*p |= 1;
		if (mmu_frame_flags &&
		    (mmu_frame_flags[a_paddr >> 12] & FRAME_WATCHED))
			mmu_frame_written(cpu->machine, a_paddr, 1);
	}
	s->sel = sreg == X86_CS ? (uint16_t)((sel & ~3u) | 3) : sel;
	s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
	s->limit = (lo & 0xffff) | (hi & 0xf0000u);
	if (hi & (1u << 23))
		s->limit = (s->limit << 12) | 0xfff;
	s->attr = (uint16_t)(((hi >> 8) & 0xff) | ((hi >> 12) & 0xf00));
	return 0;
}

/*
 * Guest code reloaded segment registers: the host now holds, for each,
 * either one of DE's LDT selectors (the guest copied a register: it gets
 * that register's guest segment) or a selector of its own, which the
 * host resolved in the HOST's GDT. Bring the vcpu's caches in line.
 * Returns 0 if nothing moved, 1 if something did, -1 if a load should
 * have faulted (info then describes that fault, at the current EIP: the
 * load itself is in the past).
 */
int de_adopt_segments(struct vcpu *cpu, const struct x86_seg *snap,
		      struct de_exit_info *info)
{
	int moved = 0;

	for (int slot = 0; slot < DE_NSEGS; slot++) {
		uint16_t h = de_st.exit_sel[slot];
		int sreg = de_slot_sreg[slot], vec, other;

		if (h == de_st.sel[slot])
			continue;
		moved = 1;
		for (other = 0; other < DE_NSEGS; other++)
			if ((h & ~3u) && h == de_st.sel[other])
				break;
		if (other < DE_NSEGS) {
			cpu->seg[sreg] = snap[other];
			continue;
		}
		if (!(h & ~3u)) {
			memset(&cpu->seg[sreg], 0, sizeof(cpu->seg[sreg]));
			cpu->seg[sreg].sel = h;
			continue;
		}
		vec = load_guest_seg(cpu, sreg, h);
		if (vec) {
			memset(info, 0, sizeof(*info));
			info->reason = DE_EXIT_FAULT;
			info->vector = vec;
			info->has_error = true;
			info->error_code = h & 0xfffcu;
			return -1;
		}
	}
	return moved;
}

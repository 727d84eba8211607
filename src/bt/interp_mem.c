/*
 * interp_mem.c - the interpreter's view of guest memory.
 *
 * Every access goes segment -> linear -> physical -> RAM or MMIO:
 *  1. segmentation: present/type checks in protected mode, limit checks in
 *     every mode (expand-down data segments included);
 *  2. paging: a small direct-mapped software TLB in front of mmu_walk().
 *     An entry caches which accesses (read/write x supervisor/user) are
 *     allowed. Write permission is cached only once the page's Dirty bit
 *     is set, so the first write to a clean page still walks and sets D;
 *  3. RAM through physmap, or the bus for MMIO pages.
 *
 * Every flush here flushes the translator's user TLB too (bt/utlb.c), so
 * that one is exactly as coherent with the guest's page tables as this
 * (CR3 writes, INVLPG, task switches, paging mode changes).
 *
 * Accesses that cross a page boundary translate every page before any
 * byte is written, so a fault on the second page leaves memory unchanged
 * (the instruction restarts cleanly).
 */
#include <stdlib.h>
#include <string.h>

#include "bt/debug.h"
#include "bt/interp_priv.h"
#include "devices/bus.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"

#define TLB_SIZE 256

#define TLB_R_SUP 0x01
#define TLB_W_SUP 0x02
#define TLB_R_USR 0x04
#define TLB_W_USR 0x08
#define TLB_GLOBAL 0x10
#define TLB_LARGE 0x20 /* a 4 KiB slice of a 4 MiB page */

struct interp_tlb_entry {
	uint32_t vpage; /* linear page number; TLB_INVALID when empty */
	uint32_t ppage; /* physical page number */
	uint8_t *host;	/* physmap address of the page, NULL for MMIO */
	uint8_t perm;	/* TLB_* */
};

#define TLB_INVALID 0xffffffffu

struct interp_tlb {
	struct interp_tlb_entry e[TLB_SIZE];
	unsigned n_large; /* entries filled from 4 MiB pages since a flush */
	uint32_t large_map[32]; /* their 4 MiB regions */
};

static struct interp_tlb *tlb_of(struct vcpu *cpu)
{
	if (!cpu->tlb) {
		cpu->tlb = malloc(sizeof(*cpu->tlb));
		if (!cpu->tlb)
			abort();
		for (unsigned i = 0; i < TLB_SIZE; i++)
			cpu->tlb->e[i].vpage = TLB_INVALID;
		cpu->tlb->n_large = 0;
		memset(cpu->tlb->large_map, 0, sizeof(cpu->tlb->large_map));
		bt_utlb_flush(cpu, true);
	}
	return cpu->tlb;
}

void interp_tlb_flush(struct vcpu *cpu, bool include_global)
{
	struct interp_tlb *tlb = tlb_of(cpu);

	STAT_INC(tlb_flushes);
	for (unsigned i = 0; i < TLB_SIZE; i++)
		if (include_global || !(tlb->e[i].perm & TLB_GLOBAL))
			tlb->e[i].vpage = TLB_INVALID;
	if (include_global) {
		tlb->n_large = 0;
		memset(tlb->large_map, 0, sizeof(tlb->large_map));
	}
	bt_utlb_flush(cpu, include_global);
}

/*
 * INVLPG: the entry of `lin`'s page, and every slice of the 4 MiB page
 * that may contain it. One pass over the table when large pages were
 * cached (not 1024 probes: that was a third of bench ptedit's time).
 */
void interp_tlb_flush_page(struct vcpu *cpu, uint32_t lin)
{
	struct interp_tlb *tlb = tlb_of(cpu);
	struct interp_tlb_entry *e = &tlb->e[(lin >> 12) % TLB_SIZE];

	bt_utlb_flush_page(cpu, lin);
	if (e->vpage == lin >> 12)
		e->vpage = TLB_INVALID;
	if (!tlb->n_large ||
	    !(tlb->large_map[lin >> 27] & (1u << (lin >> 22 & 31))))
		return;
	for (unsigned i = 0; i < TLB_SIZE; i++) {
		e = &tlb->e[i];
		if (e->vpage != TLB_INVALID && (e->perm & TLB_LARGE) &&
		    e->vpage >> 10 == lin >> 22)
			e->vpage = TLB_INVALID;
	}
}

void bt_interp_flush_tlb(struct vcpu *cpu)
{
	interp_tlb_flush(cpu, true);
}

static unsigned need_bit(bool write, bool user)
{
	if (user)
		return write ? TLB_W_USR : TLB_R_USR;
	return write ? TLB_W_SUP : TLB_R_SUP;
}

/*
 * Translate a linear address; on a guest page fault return NULL and the
 * error code in *pf_err (nothing is raised, so fetch can stop early).
 */
static struct interp_tlb_entry *tlb_try(struct vcpu *cpu, uint32_t lin,
					bool write, bool user, uint32_t *pf_err)
{
	struct interp_tlb_entry *e = &tlb_of(cpu)->e[(lin >> 12) % TLB_SIZE];
	struct mmu_walk_result r;
	struct machine *m = cpu->machine;
	uint32_t ppage;
	unsigned perm;

	if (e->vpage == lin >> 12 && (e->perm & need_bit(write, user)))
		return e;

	STAT_INC(tlb_misses);
	if (mmu_walk(cpu, lin,
		     (write ? MMU_ACC_WRITE : 0) | (user ? MMU_ACC_USER : 0),
		     &r, pf_err) < 0)
		return NULL;

	perm = TLB_R_SUP;
	if (!(cpu->cr0 & X86_CR0_PG)) {
		perm = TLB_R_SUP | TLB_W_SUP | TLB_R_USR | TLB_W_USR;
	} else {
		bool dirty = r.pte & X86_PTE_D;
		bool both_w = r.pte & X86_PTE_W;

		/* r.writable/r.user describe this access's privilege;
		 * recompute both privilege levels from the entries. */
		if (!r.large) {
			uint32_t pde;

			memcpy(&pde, mem_ptr(&m->mem, r.pde_paddr), 4);
			both_w = both_w && (pde & X86_PTE_W);
		}
		if (r.user)
			perm |= TLB_R_USR;
		if (dirty) {
			if (both_w || !(cpu->cr0 & X86_CR0_WP))
				perm |= TLB_W_SUP;
			if (both_w && r.user)
				perm |= TLB_W_USR;
		}
		if (r.global)
			perm |= TLB_GLOBAL;
		if (r.large) {
			struct interp_tlb *t = tlb_of(cpu);

			perm |= TLB_LARGE;
			t->n_large++;
			t->large_map[lin >> 27] |= 1u << (lin >> 22 & 31);
		}
	}

	ppage = r.paddr >> 12;
	e->vpage = lin >> 12;
	e->ppage = ppage;
	e->perm = (uint8_t)perm;
	e->host = NULL;
	if (mem_is_ram(&m->mem, ppage << 12, 4096) &&
	    !bus_mmio_find(&m->bus, ppage << 12))
		e->host = mem_ptr(&m->mem, ppage << 12);
	return e;
}

static struct interp_tlb_entry *tlb_get(struct vcpu *cpu, uint32_t lin,
					bool write, bool user)
{
	uint32_t err;
	struct interp_tlb_entry *e = tlb_try(cpu, lin, write, user, &err);

	if (!e)
		interp_raise_pf(cpu, lin, err);
	return e;
}

static uint32_t phys_read(struct vcpu *cpu, struct interp_tlb_entry *e,
			  uint32_t lin, unsigned size)
{
	uint32_t v = 0;

	if (e->host) {
		memcpy(&v, e->host + (lin & 0xfff), size);
		return v;
	}
	STAT_INC(mmio_accesses);
	return bus_mmio_read(&cpu->machine->bus,
			     (e->ppage << 12) | (lin & 0xfff), size);
}

static void phys_write(struct vcpu *cpu, struct interp_tlb_entry *e,
		       uint32_t lin, unsigned size, uint32_t val)
{
	if (e->host) {
		memcpy(e->host + (lin & 0xfff), &val, size);
		/* Page tables and translated code are watched: tell the
		 * shadow and the translator what changed. */
		if (mmu_frame_flags &&
		    (mmu_frame_flags[e->ppage] & FRAME_WATCHED))
			mmu_frame_written(cpu->machine,
					  (e->ppage << 12) | (lin & 0xfff),
					  size);
		return;
	}
	STAT_INC(mmio_accesses);
	bus_mmio_write(&cpu->machine->bus, (e->ppage << 12) | (lin & 0xfff),
		       size, val);
}

static uint32_t lin_read(struct vcpu *cpu, uint32_t lin, unsigned size,
			 bool user)
{
	uint32_t v = 0;

	if (bt_debug_watching(cpu))
		bt_debug_access(cpu, lin, size, false);
	if ((lin & 0xfff) + size <= 0x1000)
		return phys_read(cpu, tlb_get(cpu, lin, false, user), lin,
				 size);
	for (unsigned i = 0; i < size; i++)
		v |= lin_read(cpu, lin + i, 1, user) << (8 * i);
	return v;
}

static void lin_write(struct vcpu *cpu, uint32_t lin, unsigned size,
		      uint32_t val, bool user)
{
	if (bt_debug_watching(cpu))
		bt_debug_access(cpu, lin, size, true);
	if ((lin & 0xfff) + size <= 0x1000) {
		phys_write(cpu, tlb_get(cpu, lin, true, user), lin, size, val);
		return;
	}
	/* Check both pages before writing anything. A fault on the second
	 * page reports its first byte in CR2, as hardware does. */
	tlb_get(cpu, lin, true, user);
	tlb_get(cpu, (lin + size - 1) & ~0xfffu, true, user);
	for (unsigned i = 0; i < size; i++)
		phys_write(cpu, tlb_get(cpu, lin + i, true, user), lin + i, 1,
			   val >> (8 * i));
}

static _Noreturn void seg_fault(struct vcpu *cpu, int seg)
{
	interp_raise_err(cpu, seg == X86_SS ? X86_EXC_SS : X86_EXC_GP, 0);
}

/* Segmentation: returns the linear address or raises #GP/#SS. */
static uint32_t seg_linear(struct vcpu *cpu, int seg, uint32_t off,
			   unsigned size, bool write)
{
	const struct x86_seg *s = &cpu->seg[seg];
	uint32_t last = off + size - 1;
	uint16_t a = s->attr;

	if ((cpu->cr0 & X86_CR0_PE) && !(cpu->eflags & X86_FL_VM)) {
		if (!(a & X86_DESC_P))
			seg_fault(cpu, seg);
		if (a & X86_DESC_CODE) {
			if (write || !(a & X86_DESC_RW))
				seg_fault(cpu, seg);
		} else if (write && !(a & X86_DESC_RW)) {
			seg_fault(cpu, seg);
		}
	}
	if ((a & (X86_DESC_S | X86_DESC_CODE | X86_DESC_DC)) ==
	    (X86_DESC_S | X86_DESC_DC)) {
		/* Expand-down: valid offsets are limit+1 .. upper bound. */
		uint32_t upper = (a & X86_DESC_DB) ? 0xffffffffu : 0xffffu;

		if (off <= s->limit || last > upper || last < off)
			seg_fault(cpu, seg);
	} else if (off > s->limit || size - 1 > s->limit - off) {
		seg_fault(cpu, seg);
	}
	return s->base + off;
}

static bool user_access(const struct vcpu *cpu)
{
	return cpu->cpl == 3;
}

uint32_t interp_read(struct vcpu *cpu, int seg, uint32_t off, unsigned size)
{
	uint32_t lin = seg_linear(cpu, seg, off, size, false);

	return lin_read(cpu, lin, size, user_access(cpu));
}

void interp_write(struct vcpu *cpu, int seg, uint32_t off, unsigned size,
		  uint32_t val)
{
	uint32_t lin = seg_linear(cpu, seg, off, size, true);

	lin_write(cpu, lin, size, val, user_access(cpu));
}

void interp_check_write(struct vcpu *cpu, int seg, uint32_t off, unsigned size)
{
	uint32_t lin = seg_linear(cpu, seg, off, size, true);

	tlb_get(cpu, lin, true, user_access(cpu));
	if ((lin & 0xfff) + size > 0x1000)
		tlb_get(cpu, (lin + size - 1) & ~0xfffu, true,
			user_access(cpu));
}

uint8_t *interp_span(struct vcpu *cpu, int seg, uint32_t off, unsigned len,
		     bool write)
{
	const struct x86_seg *s = &cpu->seg[seg];
	struct interp_tlb_entry *e;
	uint32_t err;

	if (s->base != 0 || s->limit != 0xffffffffu ||
	    (s->attr & (X86_DESC_P | X86_DESC_S | X86_DESC_CODE | X86_DESC_DC |
			X86_DESC_RW)) !=
		    (X86_DESC_P | X86_DESC_S | X86_DESC_RW) ||
	    (cpu->eflags & X86_FL_VM) || !(cpu->cr0 & X86_CR0_PE) || len == 0 ||
	    (off & 0xfff) + len > 0x1000 || bt_debug_watching(cpu))
		return NULL;
	e = tlb_try(cpu, off, write, user_access(cpu), &err);
	if (!e || !e->host ||
	    (write && mmu_frame_flags &&
	     (mmu_frame_flags[e->ppage] & FRAME_WATCHED)))
		return NULL;
	return e->host + (off & 0xfff);
}

uint64_t interp_read64(struct vcpu *cpu, int seg, uint32_t off)
{
	uint32_t lin = seg_linear(cpu, seg, off, 8, false);
	uint32_t lo = lin_read(cpu, lin, 4, user_access(cpu));

	return lo | (uint64_t)lin_read(cpu, lin + 4, 4, user_access(cpu)) << 32;
}

void interp_write64(struct vcpu *cpu, int seg, uint32_t off, uint64_t val)
{
	uint32_t lin = seg_linear(cpu, seg, off, 8, true);

	tlb_get(cpu, lin, true, user_access(cpu));
	tlb_get(cpu, (lin + 7) & ~0xfffu, true, user_access(cpu));
	lin_write(cpu, lin, 4, (uint32_t)val, user_access(cpu));
	lin_write(cpu, lin + 4, 4, (uint32_t)(val >> 32), user_access(cpu));
}

void interp_read_buf(struct vcpu *cpu, int seg, uint32_t off, void *buf,
		     unsigned len)
{
	uint32_t lin = seg_linear(cpu, seg, off, len, false);
	bool user = user_access(cpu);
	uint8_t *b = buf;

	if (bt_debug_watching(cpu))
		bt_debug_access(cpu, lin, len, false);
	for (unsigned n = 0; n < len;) {
		struct interp_tlb_entry *e = tlb_get(cpu, lin + n, false, user);
		unsigned chunk = 0x1000 - ((lin + n) & 0xfff);

		if (chunk > len - n)
			chunk = len - n;
		if (e->host) {
			memcpy(b + n, e->host + ((lin + n) & 0xfff), chunk);
		} else {
			for (unsigned i = 0; i < chunk; i++)
				b[n + i] = (uint8_t)phys_read(cpu, e,
							      lin + n + i, 1);
		}
		n += chunk;
	}
}

void interp_check_write_buf(struct vcpu *cpu, int seg, uint32_t off,
			    unsigned len)
{
	uint32_t lin = seg_linear(cpu, seg, off, len, true);
	bool user = user_access(cpu);

	tlb_get(cpu, lin, true, user);
	for (uint32_t p = (lin & ~0xfffu) + 0x1000; p - lin < len; p += 0x1000)
		tlb_get(cpu, p, true, user);
}

void interp_write_buf(struct vcpu *cpu, int seg, uint32_t off, const void *buf,
		      unsigned len)
{
	uint32_t lin = seg_linear(cpu, seg, off, len, true);
	bool user = user_access(cpu);
	const uint8_t *b = buf;

	interp_check_write_buf(cpu, seg, off, len);
	if (bt_debug_watching(cpu))
		bt_debug_access(cpu, lin, len, true);
	for (unsigned n = 0; n < len;) {
		struct interp_tlb_entry *e = tlb_get(cpu, lin + n, true, user);
		unsigned size = 4 - ((lin + n) & 3);
		uint32_t v = 0;

		if (size > len - n)
			size = len - n;
		memcpy(&v, b + n, size);
		phys_write(cpu, e, lin + n, size, v);
		n += size;
	}
}

uint32_t interp_read_lin(struct vcpu *cpu, uint32_t lin, unsigned size,
			 bool sys)
{
	return lin_read(cpu, lin, size, !sys && user_access(cpu));
}

void interp_write_lin(struct vcpu *cpu, uint32_t lin, unsigned size,
		      uint32_t val, bool sys)
{
	lin_write(cpu, lin, size, val, !sys && user_access(cpu));
}

/* ---- stack --------------------------------------------------------- */

uint32_t interp_sp(const struct vcpu *cpu)
{
	return vcpu_stack32(cpu) ? cpu->regs[X86_ESP]
				 : cpu->regs[X86_ESP] & 0xffff;
}

void interp_set_sp(struct vcpu *cpu, uint32_t sp)
{
	if (vcpu_stack32(cpu))
		cpu->regs[X86_ESP] = sp;
	else
		cpu->regs[X86_ESP] =
			(cpu->regs[X86_ESP] & 0xffff0000u) | (sp & 0xffff);
}

void interp_push(struct vcpu *cpu, unsigned size, uint32_t val)
{
	uint32_t sp = interp_sp(cpu) - size;

	if (!vcpu_stack32(cpu))
		sp &= 0xffff;
	interp_write(cpu, X86_SS, sp, size, val);
	interp_set_sp(cpu, sp);
}

uint32_t interp_pop(struct vcpu *cpu, unsigned size)
{
	uint32_t sp = interp_sp(cpu);
	uint32_t v = interp_read(cpu, X86_SS, sp, size);

	interp_set_sp(cpu, sp + size);
	return v;
}

uint32_t interp_stack_peek(struct vcpu *cpu, uint32_t depth, unsigned size)
{
	uint32_t sp = interp_sp(cpu) + depth;

	if (!vcpu_stack32(cpu))
		sp &= 0xffff;
	return interp_read(cpu, X86_SS, sp, size);
}

/* ---- instruction fetch -------------------------------------------- */

unsigned interp_fetch(struct vcpu *cpu, uint32_t eip, uint8_t *buf,
		      unsigned len)
{
	const struct x86_seg *cs = &cpu->seg[X86_CS];
	bool user = user_access(cpu);
	/* 64-bit: with a 4 GiB limit and EIP 0 the room is 2^32 bytes. */
	uint64_t room = (uint64_t)cs->limit - eip + 1;
	unsigned n = 0, max;
	uint32_t err;

	if (eip > cs->limit)
		interp_gp0(cpu);
	max = room < len ? (unsigned)room : len;
	while (n < max) {
		uint32_t lin = cs->base + eip + n;
		unsigned chunk = 0x1000 - (lin & 0xfff);
		struct interp_tlb_entry *e;

		e = tlb_try(cpu, lin, false, user, &err);
		if (!e) {
			if (n == 0)
				interp_raise_pf(cpu, lin, err);
			break;
		}
		if (chunk > max - n)
			chunk = max - n;
		if (e->host) {
			memcpy(buf + n, e->host + (lin & 0xfff), chunk);
		} else {
			for (unsigned i = 0; i < chunk; i++)
				buf[n + i] =
					(uint8_t)phys_read(cpu, e, lin + i, 1);
		}
		n += chunk;
	}
	return n;
}

/* ---- the translator's fast path for plain moves ------------------------- */

/*
 * A `mov` to or from memory the translator handed over because its host
 * access keeps faulting (xv6 reads its local APIC ID on every lock: 119 M
 * MMIO reads in usertests; Linux's stores to page tables): the same work
 * as the interpreter's, without its set-up (setjmp, decode dispatch,
 * segment checks). Only where nothing else can happen: a flat DS/SS/ES
 * operand, 32-bit addressing, within one page, no guest page fault, no
 * TF, debug registers or FERR# to look at. Otherwise false, and nothing
 * changed: the caller runs the interpreter.
 */
bool bt_interp_fast_mov(struct vcpu *cpu, const struct x86_insn *in,
			uint32_t next_eip, bool flat)
{
	unsigned size, reg = in->reg;
	bool store, imm = false, user = cpu->cpl == 3;
	struct interp_tlb_entry *e;
	uint32_t lin, err;

	if (!flat || in->map != 0 || in->addrsize != 4 || !in->has_mem ||
	    (in->seg != X86_DS && in->seg != X86_SS && in->seg != X86_ES) ||
	    (cpu->eflags & X86_FL_TF) || cpu->fpu_ferr ||
	    bt_debug_checking(cpu) || bt_debug_watching(cpu))
		return false;
	switch (in->opcode) {
	case 0x88: /* mov r/m8, r8 */
	case 0x89: /* mov r/m, r */
	case 0x8a: /* mov r8, r/m8 */
	case 0x8b: /* mov r, r/m */
		if (in->mod == 3)
			return false;
		store = !(in->opcode & 2);
		size = in->opcode & 1 ? in->opsize : 1;
		break;
	case 0xc6: /* mov r/m8, imm8 */
	case 0xc7: /* mov r/m, imm */
		if (in->mod == 3 || in->reg != 0)
			return false;
		store = imm = true;
		size = in->opcode & 1 ? in->opsize : 1;
		break;
	case 0xa0: /* mov al, moffs8 */
	case 0xa1: /* mov eax, moffs */
	case 0xa2: /* mov moffs8, al */
	case 0xa3: /* mov moffs, eax */
		store = in->opcode & 2;
		size = in->opcode & 1 ? in->opsize : 1;
		reg = X86_EAX;
		break;
	default:
		return false;
	}
	lin = interp_ea(cpu, in); /* flat: segment base 0 */
	if ((lin & 0xfff) + size > 0x1000)
		return false;
	e = tlb_try(cpu, lin, store, user, &err);
	if (!e)
		return false;
	STAT_INC(bt_fast_movs);
	if (store) {
		/* A device register may change: no constant is cached. */
		if (!e->host)
			cpu->bt.mmio_key = 0;
		phys_write(cpu, e, lin, size,
			   imm ? in->imm : interp_reg_get(cpu, reg, size));
	} else {
		uint32_t v = phys_read(cpu, e, lin, size);

		interp_reg_put(cpu, reg, size, v);
		/* Kernel code reading a constant register (xv6's mycpu()
		 * reads the APIC ID at every spinlock operation): later reads
		 * by translated code take the value inline (translate.c). */
		if (!e->host && !user &&
		    bus_mmio_constant(&cpu->machine->bus,
				      (e->ppage << 12) | (lin & 0xfff), size)) {
			cpu->bt.mmio_key = ~(uint64_t)lin;
			cpu->bt.mmio_value = v;
		}
	}
	cpu->eflags &= ~X86_FL_RF;
	cpu->eip = next_eip;
	STAT_INC(insns_interp);
	return true;
}

/*
 * gdbstub_target.c - the machine as gdb sees it: registers, the target
 * description, guest memory.
 *
 * Registers come from struct vcpu; x87 and SSE state from the guest's
 * XSAVE area (monitor/de.h, de_guest_fpu()), where every engine keeps it
 * while the monitor runs. A component whose XSTATE_BV bit is clear is in
 * its initial state whatever the area holds, so it reads as that state,
 * and a write first materialises it. Without the area (--engine=interp,
 * which runs no floating point) x87/SSE registers read as after FNINIT
 * and cannot be written. Control registers are read-only: changing paging
 * under the guest is not a debugger's business.
 *
 * A segment register written with a new selector is loaded from the GDT
 * or LDT without protection checks, as QEMU's stub does (real and
 * virtual-8086 mode: base = selector << 4).
 *
 * Memory: guest linear addresses through the guest's page tables, as
 * QEMU's stub reads them; unmapped pages and pages that are not RAM (MMIO,
 * beyond the end of RAM) end the access, so gdb gets an error, never a
 * device side effect or a monitor fault. Writes tell the shadow and the
 * translator (mmu_frame_written), as any write to a watched frame must.
 */
#include <stdio.h>
#include <string.h>

#include "mmu/mem.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/de.h"
#include "monitor/gdbstub_priv.h"
#include "monitor/machine.h"

/* ---- the target description ------------------------------------------- */

static const char *const reg_names[GDB_NREGS] = {
	"eax",	 "ecx",	   "edx",  "ebx",   "esp",   "ebp",   "esi",   "edi",
	"eip",	 "eflags", "cs",   "ss",    "ds",    "es",    "fs",    "gs",
	"st0",	 "st1",	   "st2",  "st3",   "st4",   "st5",   "st6",   "st7",
	"fctrl", "fstat",  "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
	"xmm0",	 "xmm1",   "xmm2", "xmm3",  "xmm4",  "xmm5",  "xmm6",  "xmm7",
	"mxcsr", "cr0",	   "cr2",  "cr3",   "cr4",
};

unsigned gdb_reg_size(unsigned n)
{
	if (n >= GDB_NREGS)
		return 0;
	if (n >= 16 && n < 24)
		return 10;
	if (n >= 32 && n < 40)
		return 16;
	return 4;
}

static const char *reg_type(unsigned n)
{
	if (n == X86_ESP || n == X86_EBP)
		return "data_ptr\"";
	if (n == GDB_REG_EIP)
		return "code_ptr\"";
	if (n == 9)
		return "i386_eflags\"";
	if (n >= 16 && n < 24)
		return "i387_ext\"";
	if (n >= 24 && n < 32)
		return "int\" group=\"float\"";
	if (n >= 32 && n < 40)
		return "vec128\"";
	if (n == 40)
		return "i386_mxcsr\" group=\"vector\"";
	/* Control registers too: `info registers` lists them, as QEMU's. */
	return "int32\"";
}

static const char xml_head[] = "<?xml version=\"1.0\"?>\n"
			       "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
			       "<target version=\"1.0\">\n"
			       "<architecture>i386</architecture>\n"
			       "<feature name=\"org.gnu.gdb.i386.core\">\n"
			       "<flags id=\"i386_eflags\" size=\"4\">\n"
			       "<field name=\"CF\" start=\"0\" end=\"0\"/>\n"
			       "<field name=\"\" start=\"1\" end=\"1\"/>\n"
			       "<field name=\"PF\" start=\"2\" end=\"2\"/>\n"
			       "<field name=\"AF\" start=\"4\" end=\"4\"/>\n"
			       "<field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
			       "<field name=\"SF\" start=\"7\" end=\"7\"/>\n"
			       "<field name=\"TF\" start=\"8\" end=\"8\"/>\n"
			       "<field name=\"IF\" start=\"9\" end=\"9\"/>\n"
			       "<field name=\"DF\" start=\"10\" end=\"10\"/>\n"
			       "<field name=\"OF\" start=\"11\" end=\"11\"/>\n"
			       "<field name=\"NT\" start=\"14\" end=\"14\"/>\n"
			       "<field name=\"RF\" start=\"16\" end=\"16\"/>\n"
			       "<field name=\"VM\" start=\"17\" end=\"17\"/>\n"
			       "<field name=\"AC\" start=\"18\" end=\"18\"/>\n"
			       "<field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
			       "<field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
			       "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
			       "</flags>\n";

static const char xml_sse[] =
	"<feature name=\"org.gnu.gdb.i386.sse\">\n"
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
	"<union id=\"vec128\">\n"
	"<field name=\"v4_float\" type=\"v4f\"/>\n"
	"<field name=\"v2_double\" type=\"v2d\"/>\n"
	"<field name=\"v16_int8\" type=\"v16i8\"/>\n"
	"<field name=\"v8_int16\" type=\"v8i16\"/>\n"
	"<field name=\"v4_int32\" type=\"v4i32\"/>\n"
	"<field name=\"v2_int64\" type=\"v2i64\"/>\n"
	"<field name=\"uint128\" type=\"uint128\"/>\n"
	"</union>\n"
	"<flags id=\"i386_mxcsr\" size=\"4\">\n"
	"<field name=\"IE\" start=\"0\" end=\"0\"/>\n"
	"<field name=\"DE\" start=\"1\" end=\"1\"/>\n"
	"<field name=\"ZE\" start=\"2\" end=\"2\"/>\n"
	"<field name=\"OE\" start=\"3\" end=\"3\"/>\n"
	"<field name=\"UE\" start=\"4\" end=\"4\"/>\n"
	"<field name=\"PE\" start=\"5\" end=\"5\"/>\n"
	"<field name=\"DAZ\" start=\"6\" end=\"6\"/>\n"
	"<field name=\"IM\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"DM\" start=\"8\" end=\"8\"/>\n"
	"<field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"OM\" start=\"10\" end=\"10\"/>\n"
	"<field name=\"UM\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"PM\" start=\"12\" end=\"12\"/>\n"
	"<field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
	"</flags>\n";

const char *gdb_target_xml(size_t *len)
{
	static char xml[8192];
	static size_t n;

	if (!n) {
		n = (size_t)snprintf(xml, sizeof(xml), "%s", xml_head);
		for (unsigned r = 0; r < GDB_NREGS; r++) {
			if (r == 32)
				n += (size_t)snprintf(xml + n, sizeof(xml) - n,
						      "</feature>\n%s",
						      xml_sse);
			if (r == 41)
				n += (size_t)snprintf(
					xml + n, sizeof(xml) - n,
					"</feature>\n<feature "
					"name=\"org.bt386.i386.sys\">\n");
			n += (size_t)snprintf(xml + n, sizeof(xml) - n,
					      "<reg name=\"%s\" bitsize=\"%u\" "
					      "regnum=\"%u\" type=\"%s/>\n",
					      reg_names[r], gdb_reg_size(r) * 8,
					      r, reg_type(r));
		}
		n += (size_t)snprintf(xml + n, sizeof(xml) - n,
				      "</feature>\n</target>\n");
	}
	*len = n;
	return xml;
}

/* ---- x87 and SSE ------------------------------------------------------ */

/* XSAVE area: the FXSAVE layout, then XSTATE_BV at 512. */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4 /* abridged: one bit per physical register, 1 = valid */
#define FX_FOP 6
#define FX_FIP 8 /* 64-bit format (xsave64): no FCS/FDS */
#define FX_FDP 16
#define FX_MXCSR 24
#define FX_ST 32 /* ST(i) at 32 + 16 * i */
#define FX_XMM 160
#define XSTATE_BV 512
#define XSTATE_X87 1u
#define XSTATE_SSE 2u

static uint8_t *fpu_area(void)
{
	return de_guest_fpu(NULL);
}

static uint64_t xstate_bv(const uint8_t *a)
{
	uint64_t v;

	memcpy(&v, a + XSTATE_BV, 8);
	return v;
}

/* The area as the guest sees it: initial components made explicit. */
static void fpu_view(uint8_t *fx)
{
	const uint8_t *a = fpu_area();
	uint64_t bv;
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;

	memset(fx, 0, 512);
	memcpy(fx + FX_FCW, &fcw, 2);
	memcpy(fx + FX_MXCSR, &mxcsr, 4);
	if (!a)
		return;
	bv = xstate_bv(a);
	memcpy(fx + FX_MXCSR, a + FX_MXCSR, 4);
	if (bv & XSTATE_X87) {
		memcpy(fx, a, 24);
		memcpy(fx + FX_ST, a + FX_ST, 128);
	}
	if (bv & XSTATE_SSE)
		memcpy(fx + FX_XMM, a + FX_XMM, 128);
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* gdb wants the full tag word; FXSAVE keeps one valid bit per register. */
static uint32_t full_tag(const uint8_t *fx)
{
	unsigned top = (rd16(fx + FX_FSW) >> 11) & 7;
	uint32_t tag = 0;

	for (unsigned phys = 0; phys < 8; phys++) {
		const uint8_t *st = fx + FX_ST + 16 * ((phys - top) & 7);
		unsigned exp = rd16(st + 8) & 0x7fff, t;
		uint64_t mant;

		memcpy(&mant, st, 8);
		if (!(fx[FX_FTW] & (1u << phys)))
			t = 3; /* empty */
		else if (exp == 0x7fff)
			t = 2; /* special: NaN, infinity */
		else if (exp == 0)
			t = mant ? 2 : 1; /* denormal : zero */
		else
			t = (mant >> 63) ? 0 : 2; /* valid : unnormal */
		tag |= t << (2 * phys);
	}
	return tag;
}

static unsigned fpu_get(unsigned n, uint8_t *buf)
{
	uint8_t fx[512];
	uint32_t v = 0;

	fpu_view(fx);
	if (n >= 16 && n < 24) {
		memcpy(buf, fx + FX_ST + 16 * (n - 16), 10);
		return 10;
	}
	if (n >= 32 && n < 40) {
		memcpy(buf, fx + FX_XMM + 16 * (n - 32), 16);
		return 16;
	}
	switch (n) {
	case 24:
		v = rd16(fx + FX_FCW);
		break;
	case 25:
		v = rd16(fx + FX_FSW);
		break;
	case 26:
		v = full_tag(fx);
		break;
	case 28:
		memcpy(&v, fx + FX_FIP, 4);
		break;
	case 30:
		memcpy(&v, fx + FX_FDP, 4);
		break;
	case 31:
		v = rd16(fx + FX_FOP) & 0x7ff;
		break;
	case 40:
		memcpy(&v, fx + FX_MXCSR, 4);
		break;
	default: /* fiseg, foseg: not in the 64-bit save format */
		break;
	}
	memcpy(buf, &v, 4);
	return 4;
}

static int fpu_set(unsigned n, const uint8_t *buf)
{
	uint8_t *a = fpu_area(), fx[512];
	uint64_t bv;
	uint32_t v;

	if (!a)
		return -1;
	/* Make both components explicit, then edit them in place. */
	fpu_view(fx);
	memcpy(a, fx, 24);
	memcpy(a + FX_ST, fx + FX_ST, 128);
	memcpy(a + FX_XMM, fx + FX_XMM, 128);
	bv = xstate_bv(a) | XSTATE_X87 | XSTATE_SSE;
	memcpy(a + XSTATE_BV, &bv, 8);
	if (n >= 16 && n < 24) {
		memcpy(a + FX_ST + 16 * (n - 16), buf, 10);
		return 0;
	}
	if (n >= 32 && n < 40) {
		memcpy(a + FX_XMM + 16 * (n - 32), buf, 16);
		return 0;
	}
	memcpy(&v, buf, 4);
	switch (n) {
	case 24:
		memcpy(a + FX_FCW, &v, 2);
		return 0;
	case 25:
		memcpy(a + FX_FSW, &v, 2);
		return 0;
	case 26: {
		uint8_t abridged = 0;

		for (unsigned phys = 0; phys < 8; phys++)
			if (((v >> (2 * phys)) & 3) != 3)
				abridged |= (uint8_t)(1u << phys);
		a[FX_FTW] = abridged;
		return 0;
	}
	case 28:
		memcpy(a + FX_FIP, &v, 4);
		return 0;
	case 30:
		memcpy(a + FX_FDP, &v, 4);
		return 0;
	case 31:
		v &= 0x7ff;
		memcpy(a + FX_FOP, &v, 2);
		return 0;
	case 40:
		memcpy(a + FX_MXCSR, &v, 4);
		return 0;
	default: /* fiseg, foseg are not kept: accept only zero */
		return v ? -1 : 0;
	}
}

/* ---- general, segment and control registers --------------------------- */

/* gdb's order of the segment registers. */
static const int gdb_sreg[6] = {X86_CS, X86_SS, X86_DS, X86_ES, X86_FS, X86_GS};

unsigned gdb_reg_get(struct machine *m, unsigned n, uint8_t *buf)
{
	const struct vcpu *cpu = &m->cpu;
	uint32_t v;

	if (n >= GDB_NREGS)
		return 0;
	if (n < 8)
		v = cpu->regs[n];
	else if (n == GDB_REG_EIP)
		v = cpu->eip;
	else if (n == 9)
		v = cpu->eflags;
	else if (n < 16)
		v = cpu->seg[gdb_sreg[n - 10]].sel;
	else if (n <= 40)
		return fpu_get(n, buf);
	else if (n == 41)
		v = cpu->cr0;
	else if (n == 42)
		v = cpu->cr2;
	else if (n == 43)
		v = cpu->cr3;
	else
		v = cpu->cr4;
	memcpy(buf, &v, 4);
	return 4;
}

/* Load a segment register without checks (a debugger's write). */
static int load_sreg(struct machine *m, int sreg, uint16_t sel)
{
	struct vcpu *cpu = &m->cpu;
	struct x86_seg *s = &cpu->seg[sreg];
	uint32_t table, lo, hi, limit;
	uint8_t d[8];

	if (!vcpu_protected(cpu) || vcpu_v86(cpu)) {
		s->sel = sel;
		s->base = (uint32_t)sel << 4;
		return 0;
	}
	if ((sel & ~3u) == 0) {
		if (sreg == X86_CS || sreg == X86_SS)
			return -1;
		*s = (struct x86_seg){.sel = sel};
		return 0;
	}
	table = (sel & 4) ? cpu->ldtr.base : cpu->gdtr.base;
	limit = (sel & 4) ? cpu->ldtr.limit : cpu->gdtr.limit;
	if ((uint32_t)(sel | 7) > limit ||
	    gdb_mem_read(m, table + (sel & ~7u), d, 8) != 8)
		return -1;
	memcpy(&lo, d, 4);
	memcpy(&hi, d + 4, 4);
	if (!(hi & (1u << 15)) || !(hi & (1u << 12)))
		return -1; /* not present, or a system descriptor */
	s->sel = sel;
	s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
	s->limit = (lo & 0xffff) | (hi & 0x000f0000u);
	if (hi & (1u << 23))
		s->limit = (s->limit << 12) | 0xfff;
	s->attr = (uint16_t)(((hi >> 8) & 0xff) | ((hi >> 12) & 0xf00));
	if (sreg == X86_SS)
		cpu->cpl = (int)((s->attr >> X86_DESC_DPL_SHIFT) & 3);
	return 0;
}

int gdb_reg_set(struct machine *m, unsigned n, const uint8_t *buf)
{
	struct vcpu *cpu = &m->cpu;
	uint32_t v;

	if (n >= GDB_NREGS)
		return -1;
	if (n >= 16 && n <= 40)
		return fpu_set(n, buf);
	memcpy(&v, buf, 4);
	if (n < 8) {
		cpu->regs[n] = v;
	} else if (n == GDB_REG_EIP) {
		cpu->eip = v;
		cpu->halted = false; /* "jump" runs from there */
	} else if (n == 9) {
		/* VM would need a mode change: it stays as it is. */
		cpu->eflags = (v & X86_FL_MASK & ~X86_FL_VM) |
			      (cpu->eflags & X86_FL_VM) | X86_FL_FIXED1;
	} else if (n < 16) {
		int sreg = gdb_sreg[n - 10];

		if ((v & 0xffff) != cpu->seg[sreg].sel &&
		    load_sreg(m, sreg, (uint16_t)v) < 0)
			return -1;
	} else {
		uint8_t cur[4];

		/* Control registers: read-only (a G packet rewrites them
		 * unchanged). */
		gdb_reg_get(m, n, cur);
		return memcmp(cur, buf, 4) ? -1 : 0;
	}
	return 0;
}

/* ---- memory ----------------------------------------------------------- */

/* The RAM behind linear `lin` for up to `len` bytes in its page. */
static uint8_t *map(struct machine *m, uint32_t lin, size_t *len,
		    uint32_t *paddr)
{
	struct mmu_walk_result r;
	uint32_t pf;
	size_t room = 0x1000 - (lin & 0xfff);

	if (*len > room)
		*len = room;
	if (mmu_walk(&m->cpu, lin, MMU_ACC_NOSET, &r, &pf) < 0 ||
	    !mem_is_ram(&m->mem, r.paddr, (uint32_t)*len) ||
	    bus_mmio_find(&m->bus, r.paddr & ~0xfffu))
		return NULL;
	*paddr = r.paddr;
	return mem_ptr(&m->mem, r.paddr);
}

size_t gdb_mem_read(struct machine *m, uint32_t addr, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint32_t lin = addr + (uint32_t)done, paddr;
		size_t chunk = len - done;
		uint8_t *p = map(m, lin, &chunk, &paddr);

		if (!p)
			break;
		memcpy(buf + done, p, chunk);
		done += chunk;
		if ((uint32_t)(lin + chunk) < lin)
			break; /* the top of the address space */
	}
	return done;
}

size_t gdb_mem_write(struct machine *m, uint32_t addr, const uint8_t *buf,
		     size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint32_t lin = addr + (uint32_t)done, paddr;
		size_t chunk = len - done;
		uint8_t *p = map(m, lin, &chunk, &paddr);

		if (!p)
			break;
		memcpy(p, buf + done, chunk);
		/* Page tables and translated code are watched. */
		if (mmu_frame_flags &&
		    (mmu_frame_flags[paddr >> 12] & FRAME_WATCHED))
			mmu_frame_written(m, paddr, (uint32_t)chunk);
		done += chunk;
		if ((uint32_t)(lin + chunk) < lin)
			break;
	}
	return done;
}

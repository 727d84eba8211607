/*
 * lapic.c - the local APIC of the one vCPU (xAPIC, MMIO page 0xfee00000).
 *
 * What it models (Intel SDM vol. 3, "Advanced Programmable Interrupt
 * Controller"; a Pentium M's APIC: version 0x14, six LVT entries):
 *  - ID, version, TPR, APR/PPR, EOI, LDR/DFR, SVR, ISR/TMR/IRR banks, ESR,
 *    ICR, the LVT (timer, thermal, PCINT, LINT0, LINT1, error) and the
 *    timer (initial/current count, divide configuration; one-shot and
 *    periodic).
 *  - Acceptance: the highest vector in IRR whose priority class is above
 *    PPR's is presented to the CPU (bus->intr); the acknowledge moves it
 *    from IRR to ISR. PPR is TPR, or ISRV's class when that is higher. An
 *    EOI clears the highest ISR bit and, when that vector was accepted as
 *    level-triggered (TMR), tells the I/O APIC (remote IRR).
 *  - The 8259: its INT output arrives on LINT0. While the APIC is disabled
 *    by IA32_APIC_BASE.EN, or LINT0 is programmed ExtINT and unmasked
 *    (virtual wire mode, the reset state), the 8259's request is the CPU's
 *    INTR and the acknowledge is the 8259's. Fixed interrupts are presented
 *    only while EN is set and SVR software-enables the APIC.
 *  - ICR: fixed and NMI IPIs to this APIC (self shorthand,
 *    all-including-self, or its physical/logical destination) are
 *    accepted; every other message (INIT, STARTUP, SMI, IPIs to absent
 *    CPUs) is accepted by the bus and goes nowhere. Delivery status always
 *    reads idle.
 *  - NMI: from the ICR, from an I/O APIC message, or from a rising edge on
 *    LINT0/LINT1 whose LVT entry is unmasked with delivery mode NMI, it
 *    goes to the CPU's NMI latch (cpu->nmi_pending), which the engines
 *    take at the next instruction boundary whatever EFLAGS.IF says. The
 *    vector is ignored, as the SDM says. LINT1 is the chipset's NMI
 *    output (nmi.c); LINT0 the 8259's. With IA32_APIC_BASE.EN clear
 *    LINT1 is the CPU's NMI pin, as LINT0 is its INTR pin. Software
 *    disabling (SVR) does not stop NMIs.
 *  - ESR: errors accumulate unseen; a write of ESR makes them readable and
 *    starts a new accumulation (P6 rule). Only illegal vectors (0-15) are
 *    detected; each error also raises the LVT error interrupt.
 *
 * The timer runs off a 1 GHz bus clock (as QEMU's): one tick per ns
 * before the divider. Like the PIT, it is never stepped: the current count
 * is computed from mon_now_ns(), and a mon_timer is armed for the next
 * expiry. A periodic timer faster than MIN_IRQ_NS fires at that rate and
 * counts the skipped expiries as lost, rather than flooding the host.
 *
 * Deviations, chosen to match QEMU (the test guests' oracle) where the SDM
 * and QEMU differ: software-disabling (SVR bit 8) does not set the LVT
 * mask bits, so LINT0 in ExtINT keeps the 8259 working; at reset LINT0 is
 * ExtINT unmasked and LINT1 NMI unmasked, as a PC BIOS leaves them. Fixed
 * mode on LINT0/LINT1 accepts the vector on a rising edge whatever the
 * trigger mode bit says (no remote IRR). Not modelled: relocating the
 * APIC (the MSR stores a new base, the registers stay at 0xfee00000), the
 * INIT/SMI messages, ExtINT on LINT1, the thermal and performance counter
 * sources, and x2APIC. SVR bits 3:0 are hardwired to 1 (P6 family).
 *
 * Runs on the vCPU thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt/cpu_model.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/timer.h"

#define LAPIC_BASE 0xfee00000u
#define LAPIC_VERSION 0x00050014u /* max LVT entry 5, version 0x14 */
#define MIN_IRQ_NS 10000u	  /* periodic timer: at most 100 kHz */

/* Register indexes (offset >> 4). */
enum {
	REG_ID = 0x02,
	REG_VER = 0x03,
	REG_TPR = 0x08,
	REG_APR = 0x09,
	REG_PPR = 0x0a,
	REG_EOI = 0x0b,
	REG_LDR = 0x0d,
	REG_DFR = 0x0e,
	REG_SVR = 0x0f,
	REG_ISR = 0x10,
	REG_TMR = 0x18,
	REG_IRR = 0x20,
	REG_ESR = 0x28,
	REG_ICR_LO = 0x30,
	REG_ICR_HI = 0x31,
	REG_LVT = 0x32, /* ... 0x37 */
	REG_TIMER_INIT = 0x38,
	REG_TIMER_CUR = 0x39,
	REG_TIMER_DIV = 0x3e,
};

enum { LVT_TIMER, LVT_THERMAL, LVT_PCINT, LVT_LINT0, LVT_LINT1, LVT_ERROR };
#define NR_LVT 6

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define SVR_ENABLE (1u << 8)
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)

/* Writable bits of each LVT entry. */
static const uint32_t lvt_writable[NR_LVT] = {
	[LVT_TIMER] = 0x000300ff, [LVT_THERMAL] = 0x000107ff,
	[LVT_PCINT] = 0x000107ff, [LVT_LINT0] = 0x0001a7ff,
	[LVT_LINT1] = 0x0001a7ff, [LVT_ERROR] = 0x000100ff,
};

struct dev_lapic {
	struct machine *m;
	struct bus *bus;
	uint32_t id; /* bits 31:24 of the ID register */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[NR_LVT];
	uint32_t irr[8], isr[8], tmr[8];
	bool lint0, lint1; /* levels of the LINT pins (for their edges) */
	/* Timer: ticks are bus clocks after the divider. */
	uint32_t timer_initial;
	uint32_t timer_dcr;   /* divide configuration register (bits 0, 1, 3) */
	unsigned timer_shift; /* log2 of the divisor */
	bool timer_running;   /* counting (a one-shot that expired is not) */
	uint64_t timer_start_ns;
	uint64_t timer_next; /* ticks since start of the next expiry */
	struct mon_timer timer;
	struct dev_lapic_stats stats;
};

/* ---- state ----------------------------------------------------------- */

static bool hw_enabled(const struct dev_lapic *l)
{
	return l->m->cpu.apic_base & BT_APIC_BASE_EN;
}

static bool sw_enabled(const struct dev_lapic *l)
{
	return hw_enabled(l) && (l->svr & SVR_ENABLE);
}

/* Does the 8259's request reach the CPU (through LINT0 or around it)? */
static bool extint_open(const struct dev_lapic *l)
{
	uint32_t lint0 = l->lvt[LVT_LINT0];

	if (!hw_enabled(l))
		return true;
	return !(lint0 & LVT_MASKED) &&
	       ((lint0 >> 8) & 7) == DEV_APIC_DM_EXTINT;
}

static bool bit_test(const uint32_t *bank, unsigned v)
{
	return bank[v >> 5] & (1u << (v & 31));
}

static void bit_set(uint32_t *bank, unsigned v)
{
	bank[v >> 5] |= 1u << (v & 31);
}

static void bit_clear(uint32_t *bank, unsigned v)
{
	bank[v >> 5] &= ~(1u << (v & 31));
}

/* The highest vector set in a 256-bit bank, or -1. */
static int bank_highest(const uint32_t *bank)
{
	for (int i = 7; i >= 0; i--) {
		if (bank[i])
			return i * 32 + 31 - __builtin_clz(bank[i]);
	}
	return -1;
}

static uint32_t ppr(const struct dev_lapic *l)
{
	int isrv = bank_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

static uint32_t apr(const struct dev_lapic *l)
{
	int irrv = bank_highest(l->irr), isrv = bank_highest(l->isr);
	uint32_t top = (uint32_t)(irrv > isrv ? irrv : isrv);

	if (irrv < 0 && isrv < 0)
		top = 0;
	return (l->tpr & 0xf0) >= (top & 0xf0) ? l->tpr & 0xff : top & 0xf0;
}

/* The vector the CPU would take now, or -1. */
static int deliverable(const struct dev_lapic *l)
{
	int v = bank_highest(l->irr);

	if (v < 0 || !sw_enabled(l))
		return -1;
	if (((uint32_t)v & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return v;
}

static void lapic_update(struct dev_lapic *l)
{
	bool intr = deliverable(l) >= 0;

	if (!intr && l->bus->extint && extint_open(l))
		intr = true;
	bus_set_intr(l->bus, intr);
}

static void lapic_error(struct dev_lapic *l, uint32_t bit);
static void lapic_accept(struct dev_lapic *l, unsigned vector, bool level);

/* An NMI for the CPU: latched until it is taken (one deep). */
static void lapic_nmi(struct dev_lapic *l)
{
	l->m->cpu.nmi_pending = true;
	l->stats.nmis++;
}

/* A rising edge on LINT0 or LINT1, delivered as its LVT entry says. */
static void lint_edge(struct dev_lapic *l, unsigned n)
{
	uint32_t lvt = l->lvt[n];

	if (!hw_enabled(l)) {
		if (n == LVT_LINT1)
			lapic_nmi(l); /* the CPU's NMI pin */
		return;
	}
	if (lvt & LVT_MASKED)
		return;
	switch ((lvt >> 8) & 7) {
	case DEV_APIC_DM_NMI:
		lapic_nmi(l);
		break;
	case DEV_APIC_DM_FIXED:
		if (sw_enabled(l))
			lapic_accept(l, lvt & 0xff, false);
		break;
	default: /* ExtINT is a level (extint_open); SMI, INIT: unmodelled */
		break;
	}
}

/* The 8259's output (LINT0) or the NMI logic's (LINT1) changed. */
static void lapic_lines_changed(void *opaque)
{
	struct dev_lapic *l = opaque;
	bool lint0 = l->bus->extint, lint1 = l->bus->nmi.out;

	if (lint0 && !l->lint0)
		lint_edge(l, LVT_LINT0);
	if (lint1 && !l->lint1)
		lint_edge(l, LVT_LINT1);
	l->lint0 = lint0;
	l->lint1 = lint1;
	lapic_update(l);
}

/* A fixed interrupt arrives: into IRR, with its trigger mode in TMR. */
static void lapic_accept(struct dev_lapic *l, unsigned vector, bool level)
{
	if (vector < 16) {
		lapic_error(l, ESR_RECV_ILLEGAL);
		return;
	}
	bit_set(l->irr, vector);
	if (level)
		bit_set(l->tmr, vector);
	else
		bit_clear(l->tmr, vector);
	l->stats.accepted++;
	lapic_update(l);
}

static void lapic_error(struct dev_lapic *l, uint32_t bit)
{
	uint32_t lvt = l->lvt[LVT_ERROR];

	l->esr_pending |= bit;
	if ((lvt & LVT_MASKED) || !sw_enabled(l))
		return;
	/* An illegal error vector is itself an error, but raises nothing. */
	if ((lvt & 0xff) < 16)
		l->esr_pending |= ESR_RECV_ILLEGAL;
	else
		lapic_accept(l, lvt & 0xff, false);
}

/* Is this APIC a destination of `dest` in physical or logical mode? */
static bool lapic_matches(const struct dev_lapic *l, bool logical, uint8_t dest)
{
	uint8_t ldr = (uint8_t)(l->ldr >> 24);

	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == (uint8_t)(l->id >> 24);
	if ((l->dfr >> 28) == 0xf) /* flat model */
		return (dest & ldr) != 0;
	/* cluster model: cluster in bits 7:4, members in 3:0 */
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf) != 0;
}

bool dev_lapic_deliver(struct dev_lapic *l, unsigned mode, uint8_t vector,
		       bool level, bool logical, uint8_t dest)
{
	if (!hw_enabled(l) || !lapic_matches(l, logical, dest))
		return false;
	switch (mode) {
	case DEV_APIC_DM_FIXED:
	case DEV_APIC_DM_LOWEST:
		if (!sw_enabled(l))
			return false;
		lapic_accept(l, vector, level);
		return true;
	case DEV_APIC_DM_NMI:
		lapic_nmi(l);
		return true;
	default: /* SMI, INIT, STARTUP, ExtINT: not modelled */
		return false;
	}
}

/* ---- timer ----------------------------------------------------------- */

static uint64_t timer_elapsed(const struct dev_lapic *l, uint64_t now)
{
	return now <= l->timer_start_ns
		       ? 0
		       : (now - l->timer_start_ns) >> l->timer_shift;
}

static uint32_t timer_current(const struct dev_lapic *l, uint64_t now)
{
	uint64_t e;

	if (!l->timer_running)
		return 0;
	e = timer_elapsed(l, now);
	if (l->lvt[LVT_TIMER] & LVT_PERIODIC)
		return l->timer_initial - (uint32_t)(e % l->timer_initial);
	return e >= l->timer_initial ? 0 : l->timer_initial - (uint32_t)e;
}

static void timer_schedule(struct dev_lapic *l)
{
	if (!l->timer_running) {
		mon_timer_cancel(&l->timer);
		return;
	}
	mon_timer_arm(&l->timer,
		      l->timer_start_ns + (l->timer_next << l->timer_shift));
}

static void timer_fire(void *opaque, uint64_t now)
{
	struct dev_lapic *l = opaque;
	uint32_t lvt = l->lvt[LVT_TIMER];
	uint64_t e;

	if (!l->timer_running)
		return;
	e = timer_elapsed(l, now);
	if (e < l->timer_next) {
		timer_schedule(l);
		return;
	}
	l->stats.timer_fires++;
	if (!(lvt & LVT_MASKED) && sw_enabled(l))
		lapic_accept(l, lvt & 0xff, false);
	if (lvt & LVT_PERIODIC) {
		uint64_t period = l->timer_initial;
		uint64_t missed = (e - l->timer_next) / period;
		uint64_t period_ns = period << l->timer_shift;
		uint64_t skip = (MIN_IRQ_NS + period_ns - 1) / period_ns;

		l->stats.lost_ticks += missed + skip - 1;
		l->timer_next += (missed + skip) * period;
	} else {
		l->timer_running = false;
	}
	timer_schedule(l);
}

static void timer_load(struct dev_lapic *l, uint32_t count)
{
	l->timer_initial = count;
	l->timer_start_ns = mon_now_ns();
	l->timer_next = count;
	l->timer_running = count != 0;
	timer_schedule(l);
}

static void timer_set_divide(struct dev_lapic *l, uint32_t dcr)
{
	unsigned v = (dcr & 3) | ((dcr >> 1) & 4);
	unsigned shift = (v + 1) & 7; /* 0b111 divides by 1 */
	uint64_t now = mon_now_ns();

	/* Keep the ticks counted so far; count on at the new rate. */
	if (l->timer_running) {
		uint64_t e = timer_elapsed(l, now);
		l->timer_start_ns = now - (e << shift);
	}
	l->timer_dcr = dcr & 0xb;
	l->timer_shift = shift;
	timer_schedule(l);
}

/* ---- registers ------------------------------------------------------- */

static void lapic_eoi(struct dev_lapic *l)
{
	int v = bank_highest(l->isr);

	l->stats.eois++;
	if (v < 0)
		return;
	bit_clear(l->isr, (unsigned)v);
	if (bit_test(l->tmr, (unsigned)v) && l->m->ioapic)
		dev_ioapic_eoi(l->m->ioapic, (uint8_t)v);
	lapic_update(l);
}

static void lapic_send_ipi(struct dev_lapic *l)
{
	uint32_t icr = l->icr_lo;
	unsigned mode = (icr >> 8) & 7, shorthand = (icr >> 18) & 3;
	uint8_t vector = icr & 0xff, dest = (uint8_t)(l->icr_hi >> 24);
	bool self;

	l->stats.ipis++;
	if (shorthand == 0)
		self = lapic_matches(l, icr & (1u << 11), dest);
	else
		self = shorthand != 3; /* self, all including self */
	if (mode == DEV_APIC_DM_NMI) {
		if (self) /* the vector is ignored; SVR does not matter */
			lapic_nmi(l);
		return;
	}
	if (mode != DEV_APIC_DM_FIXED && mode != DEV_APIC_DM_LOWEST)
		return; /* INIT, STARTUP, SMI: nobody to receive them */
	if (vector < 16) {
		lapic_error(l, ESR_SEND_ILLEGAL);
		return;
	}
	if (self && sw_enabled(l))
		lapic_accept(l, vector, false);
}

static uint32_t reg_read(struct dev_lapic *l, unsigned reg)
{
	switch (reg) {
	case REG_ID:
		return l->id;
	case REG_VER:
		return LAPIC_VERSION;
	case REG_TPR:
		return l->tpr;
	case REG_APR:
		return apr(l);
	case REG_PPR:
		return ppr(l);
	case REG_LDR:
		return l->ldr;
	case REG_DFR:
		return l->dfr;
	case REG_SVR:
		return l->svr;
	case REG_ISR ... REG_ISR + 7:
		return l->isr[reg - REG_ISR];
	case REG_TMR ... REG_TMR + 7:
		return l->tmr[reg - REG_TMR];
	case REG_IRR ... REG_IRR + 7:
		return l->irr[reg - REG_IRR];
	case REG_ESR:
		return l->esr;
	case REG_ICR_LO:
		return l->icr_lo; /* delivery status (bit 12): always idle */
	case REG_ICR_HI:
		return l->icr_hi;
	case REG_LVT ... REG_LVT + NR_LVT - 1:
		return l->lvt[reg - REG_LVT];
	case REG_TIMER_INIT:
		return l->timer_initial;
	case REG_TIMER_CUR:
		return timer_current(l, mon_now_ns());
	case REG_TIMER_DIV:
		return l->timer_dcr;
	default:
		return 0;
	}
}

static void reg_write(struct dev_lapic *l, unsigned reg, uint32_t v)
{
	switch (reg) {
	case REG_ID:
		l->id = v & 0xff000000u;
		break;
	case REG_TPR:
		l->tpr = v & 0xff;
		lapic_update(l);
		break;
	case REG_EOI:
		lapic_eoi(l);
		break;
	case REG_LDR:
		l->ldr = v & 0xff000000u;
		break;
	case REG_DFR:
		l->dfr = v | 0x0fffffffu;
		break;
	case REG_SVR:
		l->svr = (v & 0x3f0) | 0xf;
		lapic_update(l);
		break;
	case REG_ESR:
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		break;
	case REG_ICR_LO:
		l->icr_lo = v & 0x000ccfffu;
		lapic_send_ipi(l);
		break;
	case REG_ICR_HI:
		l->icr_hi = v & 0xff000000u;
		break;
	case REG_LVT ... REG_LVT + NR_LVT - 1: {
		unsigned n = reg - REG_LVT;

		l->lvt[n] =
			(l->lvt[n] & ~lvt_writable[n]) | (v & lvt_writable[n]);
		if (n == LVT_TIMER)
			timer_schedule(l);
		lapic_update(l);
		break;
	}
	case REG_TIMER_INIT:
		timer_load(l, v);
		break;
	case REG_TIMER_DIV:
		timer_set_divide(l, v);
		break;
	default: /* read-only and reserved registers ignore writes */
		break;
	}
}

/*
 * Registers are 32 bits wide on 16-byte boundaries. Narrower reads see
 * their bytes of the register; writes other than aligned dwords are
 * ignored. With IA32_APIC_BASE.EN clear the page is not decoded.
 */
static uint32_t lapic_mmio_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_lapic *l = opaque;
	unsigned sub = offset & 0xf;

	if (!hw_enabled(l))
		return 0xffffffffu;
	if (sub >= 4)
		return 0;
	return reg_read(l, offset >> 4) >> (8 * sub);
}

/* ID and version change only when written or when IA32_APIC_BASE turns
 * the page off (bus_constant_fn). */
static bool lapic_mmio_constant(void *opaque, uint32_t offset)
{
	const struct dev_lapic *l = opaque;

	return hw_enabled(l) &&
	       (offset == REG_ID << 4 || offset == REG_VER << 4);
}

static void lapic_mmio_write(void *opaque, uint32_t offset, unsigned size,
			     uint32_t value)
{
	struct dev_lapic *l = opaque;

	if (!hw_enabled(l) || size != 4 || (offset & 0xf))
		return;
	reg_write(l, offset >> 4, value);
}

/* ---- the CPU's acknowledge ------------------------------------------- */

static int lapic_intr_ack(void *opaque)
{
	struct dev_lapic *l = opaque;
	int v = deliverable(l);

	if (v >= 0) {
		bit_clear(l->irr, (unsigned)v);
		bit_set(l->isr, (unsigned)v);
		l->stats.delivered++;
		lapic_update(l);
		return v;
	}
	/* Disabled: the 8259 answers, spurious IRQ7 included. */
	if (!hw_enabled(l) || (l->bus->extint && extint_open(l))) {
		l->stats.extint++;
		v = bus_extint_ack(l->bus);
		lapic_update(l);
		return v;
	}
	l->stats.spurious++;
	return l->svr & 0xff;
}

/* ---- life cycle ------------------------------------------------------ */

static void lapic_power_on(struct dev_lapic *l)
{
	mon_timer_cancel(&l->timer);
	l->id = 0;
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = 0xffffffffu;
	l->svr = 0xff;
	l->esr = l->esr_pending = 0;
	l->icr_lo = l->icr_hi = 0;
	for (unsigned i = 0; i < NR_LVT; i++)
		l->lvt[i] = LVT_MASKED;
	/* Virtual wire mode, as the BIOS leaves the BSP (and QEMU resets);
	 * LINT1 is NMI, as SeaBIOS leaves it (QEMU resets it masked). */
	l->lvt[LVT_LINT0] = DEV_APIC_DM_EXTINT << 8;
	l->lvt[LVT_LINT1] = DEV_APIC_DM_NMI << 8;
	/* Edges are counted from the lines' levels now. */
	l->lint0 = l->bus->extint;
	l->lint1 = l->bus->nmi.out;
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	l->timer_initial = 0;
	l->timer_dcr = 0;
	l->timer_shift = 1;
	l->timer_running = false;
}

void dev_lapic_reset(struct dev_lapic *l)
{
	lapic_power_on(l);
	lapic_update(l);
}

void dev_lapic_base_changed(struct dev_lapic *l)
{
	/* Hardware-disabled, the APIC loses its state (SDM: as after reset). */
	if (!hw_enabled(l)) {
		uint32_t id = l->id;
		lapic_power_on(l);
		l->id = id;
	}
	lapic_update(l);
}

int dev_lapic_init(struct machine *m)
{
	struct dev_lapic *l = calloc(1, sizeof(*l));

	if (!l) {
		fprintf(stderr, "bt386: lapic: out of memory\n");
		return -1;
	}
	l->m = m;
	l->bus = &m->bus;
	m->lapic = l;
	mon_timer_init(&l->timer, "lapic-timer", timer_fire, l);
	bus_register_mmio(&m->bus, "lapic", LAPIC_BASE, 0x1000, lapic_mmio_read,
			  lapic_mmio_write, l);
	bus_mmio_set_constant(&m->bus, LAPIC_BASE, lapic_mmio_constant);
	lapic_power_on(l);
	bus_set_local_apic(&m->bus, lapic_lines_changed, lapic_intr_ack, l);
	return 0;
}

void dev_lapic_destroy(struct machine *m)
{
	struct dev_lapic *l = m->lapic;

	if (!l)
		return;
	mon_timer_cancel(&l->timer);
	if (m->bus.lapic_opaque == l)
		bus_set_local_apic(&m->bus, NULL, NULL, NULL);
	free(l);
	m->lapic = NULL;
}

const struct dev_lapic_stats *dev_lapic_stats(const struct dev_lapic *l)
{
	return &l->stats;
}

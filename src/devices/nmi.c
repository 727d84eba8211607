/*
 * nmi.c - the PC chipset's NMI logic, between the NMI sources and the
 * local APIC's LINT1 (the MP table says LINT1 is NMI; include/devices/bus.h
 * draws the wiring).
 *
 * As on a PC/AT and the chipsets after it: IOCHK# (an ISA card reporting
 * an error; here the user's NMI button, Ctrl-A n) sets the status bit read
 * at port 0x61 bit 6, which stays set until software writes port 0x61 with
 * bit 3 set (IOCHK# disabled, status cleared); the NMI output is high
 * while a status bit is set and port 0x70 bit 7 does not mask it. The CPU
 * sees rising edges only, so an NMI that arrives while masked is taken
 * when software unmasks it, and the next one needs the status cleared
 * first -- what Linux's handler does (it reads port 0x61 for the reason,
 * then toggles bit 3). There is no PCI SERR# source: bit 7 reads 0.
 *
 * The state lives in struct bus (pit.c owns port 0x61, cmos.c port 0x70;
 * both reach it through their bus pointer). Runs on the vCPU thread.
 */
#include "devices/bus.h"

#define STATUS_IOCHK 0x40 /* port 0x61 bit 6 */

static void nmi_update(struct bus *bus)
{
	bool out = bus->nmi.iochk && !bus->nmi.masked;

	if (out == bus->nmi.out)
		return;
	bus->nmi.out = out;
	if (bus->lapic_extint_fn)
		bus->lapic_extint_fn(bus->lapic_opaque);
}

void bus_nmi_iochk(struct bus *bus)
{
	if (bus->nmi.iochk_off)
		return;
	bus->nmi.iochk = true;
	nmi_update(bus);
}

void bus_nmi_set_iochk_off(struct bus *bus, bool off)
{
	bus->nmi.iochk_off = off;
	if (off)
		bus->nmi.iochk = false;
	nmi_update(bus);
}

void bus_nmi_set_masked(struct bus *bus, bool masked)
{
	bus->nmi.masked = masked;
	nmi_update(bus);
}

uint8_t bus_nmi_status(const struct bus *bus)
{
	return bus->nmi.iochk ? STATUS_IOCHK : 0;
}

void bus_nmi_reset(struct bus *bus)
{
	bus->nmi.iochk = false;
	bus->nmi.iochk_off = false;
	bus->nmi.masked = false;
	nmi_update(bus);
}

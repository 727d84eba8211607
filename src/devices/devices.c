/*
 * devices.c - resetting and tearing down the core devices of a machine.
 *
 * Reset is the motherboard's RESET line: each device returns to its
 * power-on state and keeps its bus registrations (disks keep their image
 * files). Teardown cancels each device's host timers before freeing it (an armed
 * timer left in the monitor's list would fire into freed memory), then
 * clears the machine's pointers. The bus keeps stale registrations until
 * bus_init() is called again.
 */
#include "devices/devices.h"
#include "monitor/machine.h"

void devices_reset(struct machine *m)
{
	bus_nmi_reset(&m->bus);
	if (m->pic)
		dev_pic_reset(m->pic);
	if (m->lapic)
		dev_lapic_reset(m->lapic);
	if (m->ioapic)
		dev_ioapic_reset(m->ioapic);
	if (m->pit)
		dev_pit_reset(m->pit);
	if (m->com1)
		dev_uart_reset(m->com1);
	if (m->cmos)
		dev_cmos_reset(m->cmos);
	if (m->i8042)
		dev_i8042_reset(m->i8042);
	if (m->ata)
		dev_ata_reset(m->ata);
	if (m->vga)
		dev_vga_reset(m->vga);
	if (m->fwcfg)
		dev_fwcfg_reset(m->fwcfg);
	if (m->pci)
		dev_pci_reset(m->pci);
	if (m->testdev)
		dev_testdev_reset(m->testdev);
}

void devices_destroy(struct machine *m)
{
	dev_bios_destroy(m);
	dev_fwcfg_destroy(m);
	dev_vga_destroy(m);
	dev_ata_destroy(m);
	dev_pci_destroy(m);
	dev_testdev_destroy(m);
	dev_rom_destroy(m);
	dev_port80_destroy(m);
	dev_i8042_destroy(m);
	dev_cmos_destroy(m);
	dev_uart_destroy(m);
	dev_pit_destroy(m);
	dev_ioapic_destroy(m);
	dev_lapic_destroy(m);
	dev_pic_destroy(m);
}

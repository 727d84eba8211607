/*
 * machine.c - building one virtual PC and the requests devices make of it.
 *
 * The device table below is the machine: devices are created in this
 * order, each registering its ports and MMIO ranges on the bus. The
 * interrupt controllers come first because the others raise their lines:
 * the 8259 pair, the local APIC between it and the CPU, the I/O APIC that
 * delivers to the local APIC.
 */
#include "monitor/machine.h"

#include <stdio.h>
#include <string.h>

#include "devices/devices.h"
#include "monitor/monitor.h"
#include "bt/bt.h"
#include "bt/fpu.h"
#include "bt/interp.h"
#include "mmu/shadow.h"
#include "monitor/bzimage.h"
#include "monitor/multiboot.h"
#include "monitor/file.h"

struct device_entry {
	const char *name;
	int (*init)(struct machine *m);
};

static const struct device_entry device_table[] = {
	{"8259A PIC pair", dev_pic_init},
	{"local APIC", dev_lapic_init},
	{"I/O APIC", dev_ioapic_init},
	{"8254 PIT", dev_pit_init},
	{"16550A UART (COM1)", dev_uart_init},
	{"MC146818 CMOS/RTC", dev_cmos_init},
	{"i8042 keyboard controller", dev_i8042_init},
	{"POST port 0x80", dev_port80_init},
	{"debug exit (0xf4)", dev_debugexit_init},
	{"pc-testdev", dev_testdev_init},
	{"x87 error latch (0xf0, IRQ 13)", dev_fpu_error_init},
	{"ATA/IDE disks", dev_ata_init},
	{"CGA/VGA text mode", dev_vga_init},
	{"QEMU fw_cfg", dev_fwcfg_init},
	{"PCI host bridge (config mechanism #1)", dev_pci_init},
	{"BIOS firmware calls", dev_bios_init},
};

void machine_request_exit(struct machine *m, enum vcpu_exit reason, int value)
{
	m->cpu.stop_reason = reason;
	if (reason == VCPU_EXIT_DEBUGEXIT)
		m->cpu.debug_exit_value = value;
	__atomic_store_n(&m->cpu.kick, 1, __ATOMIC_RELEASE);
}

int machine_init(struct machine *m, char *err, size_t errlen)
{
	char why[256];

	if (mem_reserve_views(why, sizeof(why)) < 0) {
		/* Only direct execution and translation need the reservation. */
		if (m->opt.engine != ENGINE_INTERP) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
	}
	if (mem_init(&m->mem, m->opt.mem_size, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "-m: %s", why);
		return -1;
	}
	bus_init(&m->bus);
	m->cpu.machine = m;
	if (m->opt.engine == ENGINE_BT) {
		if (shadow_init(m, m->opt.direct_exec ||
					   !bt_gs_switch_cheap()) < 0) {
			snprintf(err, errlen, "cannot set up shadow paging");
			return -1;
		}
		m->shadow_on = true;
		shadow_set_space_trading(!bt_gs_switch_cheap());
		if (bt_init(m, (uint32_t)m->opt.cache_size, m->opt.stats) < 0) {
			snprintf(err, errlen, "cannot set up the code cache");
			return -1;
		}
		if (mon_signals_init(m) < 0) {
			snprintf(err, errlen, "cannot install signal handlers");
			return -1;
		}
	}
	/* After direct execution's set-up: the interpreter adopts its FPU
	 * area. Before the sandbox: it maps an executable page. */
	if (bt_fpu_init(why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	for (size_t i = 0; i < sizeof(device_table) / sizeof(device_table[0]);
	     i++) {
		if (device_table[i].init(m) < 0) {
			snprintf(err, errlen, "cannot create device: %s",
				 device_table[i].name);
			return -1;
		}
	}
	if (dev_rom_load(m, err, errlen) < 0 ||
	    dev_debugexit_extra(m, err, errlen) < 0)
		return -1;
	/* QEMU does not gate COM1's interrupt with MCR.OUT2, and teaching
	 * kernels (xv6) rely on that; Linux sets OUT2 anyway. */
	dev_uart_set_out2_gating(m->com1, false);
	return 0;
}

int machine_boot(struct machine *m, char *err, size_t errlen)
{
	vcpu_reset(&m->cpu);
	devices_reset(m);
	/* A reboot forgets every translation and shadow mapping. */
	if (m->shadow_on)
		shadow_flush_all(&m->cpu);
	if (m->bt_on)
		bt_reset(m);
	m->cpu.delivering = -1;
	if (m->cpu.tlb)
		bt_interp_flush_tlb(&m->cpu);
	mem_clear(&m->mem);
	/* -bios: the image runs from the reset vector and sets up the rest. */
	if (m->rom) {
		dev_rom_boot(m);
		return 0;
	}
	/* What firmware leaves below 1 MiB: BDA fields and the MP tables. */
	dev_mptable_write(m);
	/* No -kernel: the BIOS boots the first disk, as a PC (and QEMU). */
	if (dev_bios_wanted(m))
		return dev_bios_boot(m, err, errlen);
	/* A kernel finds the PC as the BIOS's POST leaves it (QEMU runs
	 * SeaBIOS before a -kernel boot too): the IVT and BIOS services,
	 * the BDA, the 8259s at 08h/70h, the PIT's channel 0 at 18.2 Hz. */
	if (dev_bios_post(m, err, errlen) < 0)
		return -1;
	if (!m->opt.kernel)
		return multiboot_load_image(
			m, m->opt.builtin_image, m->opt.builtin_size,
			"built-in demo", m->opt.append ? m->opt.append : "",
			err, errlen);
	if (!m->kernel_image &&
	    mon_read_file(m->opt.kernel, m->mem.size, &m->kernel_image,
			  &m->kernel_size, err, errlen) < 0)
		return -1;
	if (m->opt.initrd && !m->initrd_image &&
	    mon_read_file(m->opt.initrd, m->mem.size, &m->initrd_image,
			  &m->initrd_size, err, errlen) < 0)
		return -1;
	/* The setup header decides: a bzImage, else a multiboot kernel. */
	if (bzimage_detect(m->kernel_image, m->kernel_size))
		return bzimage_load_image(m, m->kernel_image, m->kernel_size,
					  m->opt.kernel, m->initrd_image,
					  m->initrd_size, m->opt.initrd,
					  m->opt.append, err, errlen);
	if (m->opt.initrd) {
		snprintf(err, errlen,
			 "-initrd %s: only Linux bzImage kernels take an "
			 "initrd (%s is not one; multiboot modules are not "
			 "supported)",
			 m->opt.initrd, m->opt.kernel);
		return -1;
	}
	return multiboot_load_image(
		m, m->kernel_image, m->kernel_size, m->opt.kernel,
		m->opt.append ? m->opt.append : "", err, errlen);
}

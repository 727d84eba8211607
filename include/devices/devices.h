/*
 * devices.h - the PC's core devices: how the monitor attaches them to a
 * machine, drives them and reads their counters.
 *
 * Each dev_NAME_init() allocates the device, stores it in its struct machine
 * field where there is one, and registers its ports on &m->bus. It returns 0,
 * or -1 after printing a message to stderr. The order matters: the PIC
 * first (it installs the bus IRQ handler and interrupt acknowledge), then
 * pit, uart (COM1), cmos, i8042, port80, debugexit, ata, vga, fwcfg,
 * pci, bios (last: it drives the others at boot). m->mem.size must be
 * set before dev_cmos_init() and dev_fwcfg_init(); m->opt.drive[] before
 * dev_ata_init(). The local
 * APIC comes right after the PIC (it sits between the 8259 and the
 * CPU), the I/O APIC after it (it delivers to the local APIC).
 *
 * All of these run on the vCPU thread.
 */
#ifndef BT386_DEVICES_DEVICES_H
#define BT386_DEVICES_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct dev_pic;
struct dev_pit;
struct dev_uart;
struct dev_cmos;
struct dev_i8042;
struct dev_ata;
struct dev_vga;
struct dev_fwcfg;
struct dev_pci;
struct dev_lapic;
struct dev_ioapic;
struct dev_bios;
struct dev_testdev;
struct dev_rom;
struct disk_image;

int dev_pic_init(struct machine *m); /* 8259A pair + ELCR: 0x20, 0xa0, 0x4d0 */
int dev_lapic_init(struct machine *m);	   /* local APIC: MMIO 0xfee00000 */
int dev_ioapic_init(struct machine *m);	   /* I/O APIC: MMIO 0xfec00000 */
int dev_pit_init(struct machine *m);	   /* 8254: 0x40-0x43, port B 0x61 */
int dev_uart_init(struct machine *m);	   /* 16550A COM1: 0x3f8, IRQ4 */
int dev_cmos_init(struct machine *m);	   /* MC146818: 0x70-0x71, IRQ8 */
int dev_i8042_init(struct machine *m);	   /* 0x60, 0x64, port A 0x92, IRQ1 */
int dev_port80_init(struct machine *m);	   /* POST code port 0x80 */
int dev_debugexit_init(struct machine *m); /* isa-debug-exit at 0xf4 */
/* After every device: the debug exit -device isa-debug-exit,iobase= asks
 * for (QEMU's default 0x501), or -1 with a message if its ports are
 * taken. */
int dev_debugexit_extra(struct machine *m, char *err, size_t errlen);
/* QEMU's pc-testdev (0xe0-0xeb, 0x2000, MMIO 0xff000000), only with
 * -device pc-testdev (m->opt.pc_testdev): kvm-unit-tests use it. */
int dev_testdev_init(struct machine *m);
/* x87 error latch: 0xf0 (IGNNE#); IRQ13 is driven by the interpreter. */
int dev_fpu_error_init(struct machine *m);
/* ATA/IDE PIO disks from m->opt.drive[]: 0x1f0/0x3f6 IRQ14, 0x170/0x376
 * IRQ15; fails (with a message naming the file) if an image cannot be
 * opened and locked. */
int dev_ata_init(struct machine *m);
int dev_vga_init(struct machine *m);   /* CGA/VGA text-mode registers */
int dev_fwcfg_init(struct machine *m); /* QEMU fw_cfg: 0x510-0x511 */
int dev_pci_init(struct machine *m);   /* config mechanism #1: 0xcf8, 0xcfc */
/* The BIOS's firmware call port (0xef); inert until dev_bios_post(). */
int dev_bios_init(struct machine *m);

/*
 * Undo every init above that ran (cancels the devices' timers and frees
 * them); the bus registrations are left to bus_init(). Safe on a machine
 * whose devices were never (or only partly) initialised.
 */
void devices_destroy(struct machine *m);
/*
 * The RESET line: put every device back in its power-on state (as after
 * init) without touching the bus registrations. CMOS RAM and the clock
 * survive, as they do on a PC; its interrupt enables and flags do not.
 * Call it when the machine reboots.
 */
void devices_reset(struct machine *m);
void dev_pic_reset(struct dev_pic *pic);
void dev_lapic_reset(struct dev_lapic *l);
void dev_ioapic_reset(struct dev_ioapic *io);
void dev_pit_reset(struct dev_pit *pit);
void dev_uart_reset(struct dev_uart *u);
void dev_cmos_reset(struct dev_cmos *c);
void dev_i8042_reset(struct dev_i8042 *k);
void dev_testdev_reset(struct dev_testdev *t);
void dev_ata_reset(struct dev_ata *a);
void dev_vga_reset(struct dev_vga *v);
void dev_fwcfg_reset(struct dev_fwcfg *f);
void dev_pci_reset(struct dev_pci *pci);
void dev_pic_destroy(struct machine *m);
void dev_lapic_destroy(struct machine *m);
void dev_ioapic_destroy(struct machine *m);
void dev_pit_destroy(struct machine *m);
void dev_uart_destroy(struct machine *m);
void dev_cmos_destroy(struct machine *m);
void dev_i8042_destroy(struct machine *m);
void dev_port80_destroy(struct machine *m);
void dev_testdev_destroy(struct machine *m);
void dev_ata_destroy(struct machine *m); /* closes the images (unlocks) */
void dev_vga_destroy(struct machine *m);
void dev_fwcfg_destroy(struct machine *m);
void dev_pci_destroy(struct machine *m);
void dev_bios_destroy(struct machine *m);

/*
 * Move console input into COM1's receive FIFO while it has room. The
 * monitor calls it when the I/O thread reports input; the UART also calls
 * it itself when the guest reads RBR or LSR.
 */
void dev_uart_pump_input(struct dev_uart *u);
/*
 * On a PC, MCR.OUT2 enables the UART's interrupt line (and loopback mode
 * disconnects it); that is the default. QEMU does not model the gate, and
 * some guests (xv6) never set OUT2, so it can be switched off.
 */
void dev_uart_set_out2_gating(struct dev_uart *u, bool on);

/*
 * The APIC bus (one CPU). Delivery modes are the ICR/redirection-entry
 * encodings (DEV_APIC_DM_*). dev_lapic_deliver() returns whether the local
 * APIC is a destination and took the message; `logical` selects the flat
 * logical model (dest & LDR) over physical IDs (dest == ID or 0xff).
 */
#define DEV_APIC_DM_FIXED 0
#define DEV_APIC_DM_LOWEST 1
#define DEV_APIC_DM_SMI 2
#define DEV_APIC_DM_NMI 4
#define DEV_APIC_DM_INIT 5
#define DEV_APIC_DM_STARTUP 6
#define DEV_APIC_DM_EXTINT 7
bool dev_lapic_deliver(struct dev_lapic *l, unsigned mode, uint8_t vector,
		       bool level, bool logical, uint8_t dest);
/* IA32_APIC_BASE changed (the MSR lives in the vCPU: cpu->apic_base). */
void dev_lapic_base_changed(struct dev_lapic *l);
/* The local APIC's EOI of a level-triggered vector: clear remote IRR. */
void dev_ioapic_eoi(struct dev_ioapic *io, uint8_t vector);

/*
 * Write the BIOS data area fields (COM1, EBDA segment, base memory) and the
 * MP floating pointer and configuration table into guest RAM, as firmware
 * leaves them (layout in devices/mptable.c). Called at every machine reset
 * after RAM is cleared and before the kernel is loaded.
 */
void dev_mptable_write(struct machine *m);

/*
 * The BIOS (devices/bios.c). dev_bios_post() leaves the PC as a BIOS's
 * POST does: it writes the BIOS (ROM, IVT, BDA), sets up the 8259s, the
 * PIT and text mode and turns the BIOS services on; every boot does it,
 * after dev_mptable_write() and before a kernel is loaded (QEMU runs
 * SeaBIOS before -kernel too). Booting from a disk is wanted when there
 * is no -kernel and there is a disk: dev_bios_boot() does the POST, loads
 * the first disk's boot sector to 0x7c00 and points the vCPU at it. Both
 * return -1 with a one-line message in err (less than 1 MiB of RAM, a
 * disk without the 0x55aa boot signature, an unreadable disk).
 */
bool dev_bios_wanted(const struct machine *m);
/*
 * -bios FILE (devices/rom.c): dev_rom_load() reads the image (64 or
 * 128 KiB) into m->rom and maps its read-only alias at the top of 4 GiB
 * (nothing without -bios); dev_rom_boot() copies it below 1 MiB at every
 * reset, where the vCPU's reset state finds it. -1 with a one-line
 * message in err for a missing file or a bad size.
 */
int dev_rom_load(struct machine *m, char *err, size_t errlen);
void dev_rom_boot(struct machine *m);
void dev_rom_destroy(struct machine *m);
int dev_bios_post(struct machine *m, char *err, size_t errlen);
int dev_bios_boot(struct machine *m, char *err, size_t errlen);
/* Calls per service (256 entries, by vector) and ignored port writes. */
const uint64_t *dev_bios_calls(const struct dev_bios *b, uint64_t *ignored);

/* The image behind IDE position `index` (0..3), or NULL (the BIOS's
 * INT 13h shares it with the ATA device). */
struct disk_image *dev_ata_image(struct dev_ata *a, unsigned index);

/* Whether the guest wrote a POST code since power-on, and the last one. */
bool dev_port80_seen(const struct machine *m, uint8_t *code);

/* Counters: plain fields, incremented by the devices, never reset. */
struct dev_pic_stats {
	uint64_t raised[16]; /* rising edges seen on each IRQ line */
	uint64_t acks;	     /* interrupt acknowledge cycles */
	uint64_t spurious;   /* acks that found no request (IRQ7/IRQ15) */
	uint64_t eois;	     /* EOI commands (OCW2) */
};
struct dev_pit_stats {
	uint64_t irq0;	     /* IRQ0 edges delivered */
	uint64_t lost_ticks; /* IRQ0 periods skipped because the host lagged */
	uint64_t reloads;    /* counts written by the guest */
};
struct dev_uart_stats {
	uint64_t tx_bytes; /* bytes the guest transmitted (incl. loopback) */
	uint64_t rx_bytes; /* bytes the guest received */
	uint64_t overruns; /* received bytes lost to a full FIFO */
	uint64_t irqs;	   /* rising edges of the IRQ line */
};
struct dev_cmos_stats {
	uint64_t irqs;	    /* IRQ8 assertions */
	uint64_t periodic;  /* periodic-interrupt flags raised (PF) */
	uint64_t time_sets; /* guest writes of the clock */
};
struct dev_i8042_stats {
	uint64_t kbd_commands; /* bytes written to the keyboard */
	uint64_t aux_timeouts; /* bytes sent to the (absent) mouse */
	uint64_t resets;       /* reset requests (0xfe, output port, 0x92) */
	uint64_t irqs;	       /* IRQ1/IRQ12 assertions */
};
struct dev_pci_stats {
	uint64_t reads;	 /* configuration data reads (0xcfc-0xcff) */
	uint64_t writes; /* configuration data writes */
	uint64_t absent; /* reads that selected no function (all ones) */
};

struct dev_ata_stats {
	uint64_t commands;	  /* commands accepted by a present device */
	uint64_t errors;	  /* commands ended with ERR */
	uint64_t sectors_read;	  /* sectors read from the images */
	uint64_t sectors_written; /* sectors written to the images */
	uint64_t flushes;	  /* FLUSH CACHE commands */
	uint64_t resets;	  /* software resets (SRST) */
	uint64_t irqs;		  /* rising edges of IRQ 14/15 */
};

struct dev_lapic_stats {
	uint64_t accepted;    /* interrupts taken into the IRR */
	uint64_t delivered;   /* vectors handed to the CPU (IRR -> ISR) */
	uint64_t extint;      /* acknowledges passed to the 8259 */
	uint64_t spurious;    /* acknowledges that found nothing */
	uint64_t eois;	      /* EOI writes */
	uint64_t timer_fires; /* timer expiries (counted while masked too) */
	uint64_t lost_ticks;  /* periodic expiries skipped (host lag) */
	uint64_t ipis;	      /* ICR writes */
	uint64_t nmis;	      /* NMIs sent to the CPU (ICR, LINT, I/O APIC) */
};
struct dev_ioapic_stats {
	uint64_t delivered[24]; /* messages sent per pin */
	uint64_t masked;	/* edges or levels dropped by the mask */
	uint64_t eois;		/* remote IRRs cleared by an EOI */
};

const struct dev_pic_stats *dev_pic_stats(const struct dev_pic *pic);
const struct dev_lapic_stats *dev_lapic_stats(const struct dev_lapic *l);
const struct dev_ioapic_stats *dev_ioapic_stats(const struct dev_ioapic *io);
const struct dev_pit_stats *dev_pit_stats(const struct dev_pit *pit);
const struct dev_uart_stats *dev_uart_stats(const struct dev_uart *u);
const struct dev_cmos_stats *dev_cmos_stats(const struct dev_cmos *c);
const struct dev_i8042_stats *dev_i8042_stats(const struct dev_i8042 *k);
const struct dev_ata_stats *dev_ata_stats(const struct dev_ata *a);
const struct dev_pci_stats *dev_pci_stats(const struct dev_pci *pci);

#endif

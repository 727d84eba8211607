/*
 * machine.h - one virtual PC: its CPU, memory, buses, devices and options.
 *
 * The machine is built by the monitor from the command line, devices are
 * attached to its bus in the order of the device table (monitor/machine.c),
 * and the run loop drives its vCPU through the selected engine.
 */
#ifndef BT386_MONITOR_MACHINE_H
#define BT386_MONITOR_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "mmu/mem.h"
#include "vcpu.h"

enum engine {
	ENGINE_INTERP,
	ENGINE_BT,
};

/* --user-tlb: how translated user code reaches guest memory
 * (docs/user-code-engine.md). */
enum user_tlb {
	USER_TLB_AUTO, /* per address space, from what its faults cost */
	USER_TLB_ON,   /* always the software TLB */
	USER_TLB_OFF,  /* always host mappings (the user views) */
};

/* --kernel-tlb: how translated kernel code reaches guest memory
 * (docs/shadow-paging.md, "Kernel TLB"). */
enum kernel_tlb {
	KERNEL_TLB_OFF, /* host mappings (the kernel views): the default */
	KERNEL_TLB_ON,	/* the software kernel TLB */
};

/* A disk image on the IDE channels (-drive, -hda..-hdd). */
struct machine_drive {
	const char *file; /* NULL: no disk at this index */
	bool readonly;	  /* readonly=on */
};

#define MACHINE_MAX_DRIVES 4 /* primary master/slave, secondary master/slave */

struct machine_options {
	const char *kernel; /* -kernel FILE (NULL: the built-in demo) */
	const char *append; /* -append STR */
	const char *initrd; /* -initrd FILE */
	uint64_t mem_size;  /* -m SIZE, bytes */
	bool no_reboot;	    /* -no-reboot: triple fault / reset ends the run */
	bool pc_testdev;    /* -device pc-testdev */
	/* -device isa-debug-exit,iobase=P,iosize=N: another debug exit
	 * (0: only the one at 0xf4) */
	uint16_t debug_exit_port, debug_exit_size;
	const char *bios; /* -bios FILE: a firmware image instead of bt386's */
	bool stats;	  /* --stats */
	bool no_sandbox;  /* --no-sandbox: no seccomp allowlist */
	bool direct_exec; /* --direct-exec: user code natively (trusted) */
	enum user_tlb user_tlb;	    /* --user-tlb */
	enum kernel_tlb kernel_tlb; /* --kernel-tlb */
	enum engine engine;	    /* --engine */
	const char *trace;	    /* --trace=CHANNELS */
	uint64_t cache_size; /* --cache-size: code cache bytes (0: default) */
	/* -drive index=N / -hda..-hdd: N = channel * 2 + (slave ? 1 : 0) */
	struct machine_drive drive[MACHINE_MAX_DRIVES];
	/* Booted when no kernel is given (the demo built into bt386). */
	const void *builtin_image;
	size_t builtin_size;
};

struct machine {
	struct machine_options opt;
	struct vcpu cpu;
	struct guest_mem mem;
	struct bus bus;
	/* Per-device state, owned by the device files (opaque here). */
	struct dev_pic *pic;
	struct dev_lapic *lapic;
	struct dev_ioapic *ioapic;
	struct dev_pit *pit;
	struct dev_uart *com1;
	struct dev_cmos *cmos;
	struct dev_i8042 *i8042;
	struct dev_ata *ata;
	struct dev_vga *vga;
	struct dev_fwcfg *fwcfg;
	/* The -kernel file, read once (reboots reload from here). */
	void *kernel_image;
	size_t kernel_size;
	void *initrd_image; /* -initrd, the same way */
	size_t initrd_size;
	struct dev_pci *pci;
	struct dev_bios *bios;
	struct dev_testdev *testdev; /* NULL without -device pc-testdev */
	struct dev_rom *rom;	     /* NULL without -bios */
	/* Layers in use (the binary translator and the shadow mappings). */
	bool bt_on;
	bool shadow_on;
};

/*
 * Request that the vCPU stop at the next instruction boundary and return
 * to the monitor loop with `reason` (debug exit, reset, ...). Called from
 * device callbacks on the vCPU thread.
 */
void machine_request_exit(struct machine *m, enum vcpu_exit reason, int value);

#endif

# src/devices: the PC's core devices on the port/MMIO bus, and the host
# timers and console they use (src/monitor files listed here on purpose:
# they belong to this subsystem's owner).
libbt386_a_SOURCES += \
	src/devices/bus.c \
	src/devices/nmi.c \
	src/devices/devices.c \
	src/devices/pic.c \
	src/devices/lapic.c \
	src/devices/ioapic.c \
	src/devices/mptable.c \
	src/devices/pit.c \
	src/devices/uart.c \
	src/devices/cmos.c \
	src/devices/i8042.c \
	src/devices/port80.c \
	src/devices/fpu_error.c \
	src/devices/debugexit.c \
	src/devices/testdev.c \
	src/devices/rom.c \
	src/devices/ata.c \
	src/devices/disk_image.c \
	src/devices/vga.c \
	src/devices/fwcfg.c \
	src/devices/pci.c \
	src/devices/bios.c \
	src/devices/bios_video.c \
	src/devices/bios_disk.c \
	src/devices/bios_sys.c \
	src/devices/bios_rom.S \
	src/monitor/timer.c \
	src/monitor/console.c
noinst_HEADERS += include/devices/devices.h src/devices/disk_image.h \
	src/devices/bios_priv.h

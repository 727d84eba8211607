# unit tests: devices (bus, PIC, local and I/O APIC, PIT, UART, CMOS,
# i8042, port 0x80, debug exit, ATA disks, VGA registers, fw_cfg, PCI,
# the BIOS)
# and the host timers and console they use
DEVICE_TESTS = tests/unit/test_devices tests/unit/test_pic \
	tests/unit/test_apic tests/unit/test_pit tests/unit/test_uart \
	tests/unit/test_cmos tests/unit/test_ata tests/unit/test_vga \
	tests/unit/test_fwcfg tests/unit/test_pci tests/unit/test_bios
check_PROGRAMS += $(DEVICE_TESTS)
TESTS += $(DEVICE_TESTS)

tests_unit_test_devices_SOURCES = tests/unit/test_devices.c
tests_unit_test_devices_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_devices_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_pic_SOURCES = tests/unit/test_pic.c
tests_unit_test_pic_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_pic_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_pit_SOURCES = tests/unit/test_pit.c
tests_unit_test_pit_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_pit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_uart_SOURCES = tests/unit/test_uart.c
tests_unit_test_uart_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_uart_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_cmos_SOURCES = tests/unit/test_cmos.c
tests_unit_test_cmos_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_cmos_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_ata_SOURCES = tests/unit/test_ata.c
tests_unit_test_ata_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_ata_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_vga_SOURCES = tests/unit/test_vga.c
tests_unit_test_vga_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_vga_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_fwcfg_SOURCES = tests/unit/test_fwcfg.c
tests_unit_test_fwcfg_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_fwcfg_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_pci_SOURCES = tests/unit/test_pci.c
tests_unit_test_pci_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_pci_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_apic_SOURCES = tests/unit/test_apic.c
tests_unit_test_apic_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_apic_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

tests_unit_test_bios_SOURCES = tests/unit/test_bios.c
tests_unit_test_bios_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_bios_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

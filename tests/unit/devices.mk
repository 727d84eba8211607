# unit tests: devices (bus, PIC, local and I/O APIC, PIT, UART, CMOS,
# i8042, port 0x80, debug exit) and the host timers and console they use
DEVICE_TESTS = tests/unit/test_devices tests/unit/test_pic \
	tests/unit/test_apic tests/unit/test_pit tests/unit/test_uart \
	tests/unit/test_cmos
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

tests_unit_test_apic_SOURCES = tests/unit/test_apic.c
tests_unit_test_apic_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_apic_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

# unit tests: the interpreter's system half (protection, interrupts, far
# transfers, task switches, v8086, control registers, CPU model, port I/O)
check_PROGRAMS += tests/unit/test_interp_sys
TESTS += tests/unit/test_interp_sys
tests_unit_test_interp_sys_SOURCES = tests/unit/test_interp_sys.c
tests_unit_test_interp_sys_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_interp_sys_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

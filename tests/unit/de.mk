# unit tests: direct execution (guest user code run natively through
# de_run, with shadow paging).
check_PROGRAMS += tests/unit/test_de
TESTS += tests/unit/test_de
tests_unit_test_de_SOURCES = tests/unit/test_de.c
tests_unit_test_de_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_de_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

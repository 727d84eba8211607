# unit tests: shadow paging (fills, traces, CR3/invlpg, views, budget)
check_PROGRAMS += tests/unit/test_shadow
TESTS += tests/unit/test_shadow
tests_unit_test_shadow_SOURCES = tests/unit/test_shadow.c
tests_unit_test_shadow_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_shadow_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

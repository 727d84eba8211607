# unit tests: binary translator
# The translator against the interpreter: every instruction form from
# random states, faults, multi-block programs, self-modifying code.
check_PROGRAMS += tests/unit/test_bt_diff
TESTS += tests/unit/test_bt_diff
tests_unit_test_bt_diff_SOURCES = tests/unit/test_bt_diff.c \
	tests/unit/bt_diff.c tests/unit/bt_diff.h \
	tests/unit/bt_forms.c tests/unit/bt_forms.h \
	tests/unit/bt_progs.c tests/unit/bt_progs.h \
	tests/unit/interp_gen.c tests/unit/interp_gen.h
tests_unit_test_bt_diff_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_bt_diff_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

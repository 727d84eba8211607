# unit tests: interp
# The interpreter's integer instructions against the host CPU, through a
# 32-bit code segment (native32.c, shared with the translator's tests).
check_PROGRAMS += tests/unit/test_interp_native
TESTS += tests/unit/test_interp_native
tests_unit_test_interp_native_SOURCES = tests/unit/test_interp_native.c \
	tests/unit/interp_diff.c tests/unit/interp_diff.h \
	tests/unit/interp_gen.c tests/unit/interp_gen.h \
	tests/unit/interp_edge.c tests/unit/interp_edge.h \
	tests/unit/native32.c tests/unit/native32.h
tests_unit_test_interp_native_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_interp_native_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
# x87, MMX, SSE and SSE2 against the host CPU, and the FPU model's
# exceptions and formats in every mode.
check_PROGRAMS += tests/unit/test_interp_fpu
TESTS += tests/unit/test_interp_fpu
tests_unit_test_interp_fpu_SOURCES = tests/unit/test_interp_fpu.c \
	tests/unit/interp_fpu_model.c tests/unit/interp_fpu_model.h \
	tests/unit/interp_diff.c tests/unit/interp_diff.h \
	tests/unit/interp_gen.c tests/unit/interp_gen.h \
	tests/unit/native32.c tests/unit/native32.h
tests_unit_test_interp_fpu_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_interp_fpu_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

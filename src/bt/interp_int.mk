# Interpreter: integer instruction families.
noinst_HEADERS += src/bt/interp_flags.h src/bt/interp_int.h
libbt386_a_SOURCES += src/bt/interp_alu.c src/bt/interp_string.c \
	src/bt/interp_stack.c src/bt/interp_branch.c \
	src/bt/interp_muldiv.c src/bt/interp_shift.c src/bt/interp_bits.c \
	src/bt/interp_bcd.c src/bt/interp_move.c src/bt/host_shift.S

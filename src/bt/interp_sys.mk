# Interpreter: system families (segments, interrupts, far transfers, task
# switches, control registers, port I/O) and the virtual CPU model.
libbt386_a_SOURCES += src/bt/interp_seg.c src/bt/interp_intr.c \
	src/bt/interp_sys.c src/bt/interp_prot.c src/bt/interp_far.c \
	src/bt/interp_task.c src/bt/interp_cr.c src/bt/interp_io.c \
	src/bt/interp_model.c src/bt/cpuid.c src/bt/msr.c src/bt/vcpu_reset.c \
	src/bt/interp_debug.c
noinst_HEADERS += src/bt/interp_prot.h include/bt/cpu_model.h \
	include/bt/debug.h

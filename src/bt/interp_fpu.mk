# Interpreter: x87, MMX, SSE and SSE2, run on the host FPU with the
# guest's state loaded (docs/virtual-cpu.md).
noinst_HEADERS += include/bt/fpu.h src/bt/interp_fpu.h
libbt386_a_SOURCES += src/bt/interp_fpu.c src/bt/interp_fpu_env.c \
	src/bt/fpu_host.c src/bt/host_fpu.S

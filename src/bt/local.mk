# src/bt: decoder, interpreter (and later the translator and code cache).
noinst_HEADERS += include/bt/decode.h include/bt/ops.h include/bt/interp.h \
	include/monitor/stats.h include/mmu/walk.h src/bt/interp_priv.h
# The interpreter core (loop, operands, memory access).
libbt386_a_SOURCES += src/bt/interp.c src/bt/interp_operand.c \
	src/bt/interp_mem.c
include $(srcdir)/src/bt/decode.mk
include $(srcdir)/src/bt/interp_int.mk
include $(srcdir)/src/bt/interp_sys.mk
include $(srcdir)/src/bt/interp_fpu.mk
include $(srcdir)/src/bt/bt.mk

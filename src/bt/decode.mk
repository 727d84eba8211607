# The decoder and the opcode table.
libbt386_a_SOURCES += src/bt/decode.c src/bt/optable.c src/bt/optable_0f.c \
	src/bt/optable_sse.c src/bt/optable_vex.c
noinst_HEADERS += src/bt/optable_priv.h

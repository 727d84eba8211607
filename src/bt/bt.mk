# The binary translator: code cache, trampolines, translation, engine.
noinst_HEADERS += include/bt/bt.h src/bt/bt_priv.h src/bt/emit.h src/bt/bt_trace.h \
	src/bt/sreg_cache.h src/bt/translate_priv.h
libbt386_a_SOURCES += src/bt/cache.c src/bt/trampoline.c \
	src/bt/translate.c src/bt/translate_load.c src/bt/translate_utlb.c src/bt/bt_run.c src/bt/bt_trace.c \
	src/bt/sreg_cache.c src/bt/utlb.c src/bt/utlb_policy.c src/bt/return_stack.c

# src/monitor direct execution: guest user code on the host CPU
# (docs/direct-execution.md).
noinst_HEADERS += include/monitor/de.h src/monitor/de_priv.h
libbt386_a_SOURCES += src/monitor/de.c src/monitor/de_seg.c \
	src/monitor/de_signal.c src/monitor/de_entry.S

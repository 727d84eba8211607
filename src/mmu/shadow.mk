# src/mmu shadow paging: hidden page faults, traces, the reverse map
# (docs/shadow-paging.md).
noinst_HEADERS += include/mmu/shadow.h src/mmu/shadow_priv.h
libbt386_a_SOURCES += src/mmu/shadow.c src/mmu/shadow_rmap.c \
	src/mmu/shadow_trace.c

libbt386_a_SOURCES += src/mmu/mem.c src/mmu/walk.c src/mmu/events.c
noinst_HEADERS += include/mmu/events.h
include $(srcdir)/src/mmu/shadow.mk

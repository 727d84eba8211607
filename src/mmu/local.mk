libbt386_a_SOURCES += src/mmu/mem.c src/mmu/walk.c

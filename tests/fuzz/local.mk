# tests/fuzz: the random-code fuzz driver (a host program) and the guest it
# boots (built like the test guests); tests/system/fuzz.sh runs a short,
# fixed-seed round of it in the suite. tests/fuzz/README.md: how to run it
# for an hour.
noinst_PROGRAMS += tests/fuzz/fuzz
tests_fuzz_fuzz_SOURCES = tests/fuzz/fuzz.c

tests/fuzz/fuzzguest.o: $(srcdir)/tests/fuzz/fuzzguest.c $(GUEST_LIB_HDRS)
	$(AM_V_CC)$(MKDIR_P) $(@D) && $(CC) $(GUEST_COMPILE_FLAGS) -c -o $@ $<

tests/fuzz/fuzzguest.elf: tests/fuzz/fuzzguest.o $(GUEST_LIB_OBJS) \
		$(srcdir)/tests/guests/lib/guest.ld
	$(AM_V_CCLD)$(CC) $(GUEST_LINK_FLAGS) -o $@ $< $(GUEST_LIB_OBJS)

noinst_DATA += tests/fuzz/fuzzguest.elf
TESTS += tests/system/fuzz.sh
CLEANFILES += tests/fuzz/fuzzguest.o tests/fuzz/fuzzguest.elf
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/fuzzguest.c \
	tests/system/fuzz.sh

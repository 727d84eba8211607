# bench: benchmark guests (built with the test guests' library and flags),
# their native 32-bit twins, and the harness bench/run that times them all
# side by side and prints one table of ratios.
#
# Every guest bench/NAME.elf has a native twin bench/NAME-native, except
# usercompute, whose twin is compute-native (same loop, run in ring 3).

BENCH_NAMES = compute callret indirect usercompute syscall pagefault \
	ptedit ctxswitch
BENCH_NATIVE_NAMES = compute callret indirect syscall pagefault ptedit \
	ctxswitch
BENCH_ELFS = $(BENCH_NAMES:%=bench/%.elf)
BENCH_NATIVE = $(BENCH_NATIVE_NAMES:%=bench/%-native)
BENCH_LOOP_HDRS = $(srcdir)/bench/loops.h $(srcdir)/bench/callret.h \
	$(srcdir)/bench/indirect.h

$(BENCH_NAMES:%=bench/%.o): bench/%.o: $(srcdir)/bench/guests/%.c \
		$(BENCH_LOOP_HDRS) $(srcdir)/bench/guests/bench-guest.h \
		$(GUEST_LIB_HDRS)
	$(AM_V_CC)$(MKDIR_P) $(@D) && $(CC) $(GUEST_COMPILE_FLAGS) -c -o $@ $<

$(BENCH_ELFS): bench/%.elf: bench/%.o $(GUEST_LIB_OBJS) \
		$(srcdir)/tests/guests/lib/guest.ld
	$(AM_V_CCLD)$(CC) $(GUEST_LINK_FLAGS) -o $@ $< $(GUEST_LIB_OBJS)

# Native twins: same loop, same compiler options, as 32-bit Linux programs.
$(BENCH_NATIVE): bench/%-native: $(srcdir)/bench/native/%.c \
		$(BENCH_LOOP_HDRS) $(srcdir)/bench/native/bench-native.h
	$(AM_V_CCLD)$(MKDIR_P) $(@D) && $(CC) -m32 -march=i686 -O2 \
		-fno-pic -no-pie -fcf-protection=none \
		-fno-asynchronous-unwind-tables -mgeneral-regs-only \
		-fno-tree-loop-distribute-patterns -Wall -Werror -o $@ $<

noinst_DATA += $(BENCH_ELFS) $(BENCH_NATIVE)
CLEANFILES += $(BENCH_ELFS) $(BENCH_NATIVE) $(BENCH_NAMES:%=bench/%.o)
EXTRA_DIST += bench/run bench/README.md bench/loops.h bench/callret.h \
	bench/indirect.h bench/guests bench/native

# `make bench` runs every benchmark and prints the report.
bench: all
	$(SHELL) $(srcdir)/bench/run --build $(abs_top_builddir)
.PHONY: bench

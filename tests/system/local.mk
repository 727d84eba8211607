# tests/system: the bt386 command end to end, Debian's i386 Linux
# (linux.sh, and linux-highmem.sh with 1 GiB; its packages are downloaded
# into the build tree, or the test is skipped), Debian's gdb against the
# gdb stub (gdb.sh), the NMI button typed on a terminal (nmi-button.sh),
# and a firmware image run from the reset vector with -bios (bios-rom.sh).
TESTS += tests/system/cli.sh tests/system/bt-cache.sh tests/system/crash.sh \
	tests/system/nmi-button.sh tests/system/linux.sh \
	tests/system/linux-highmem.sh tests/system/gdb.sh tests/system/bios-rom.sh
EXTRA_DIST += tests/system/cli.sh tests/system/bt-cache.sh tests/system/crash.sh \
	tests/system/nmi-button.sh tests/system/linux.sh \
	tests/system/linux-highmem.sh tests/system/gdb.sh tests/system/bios-rom.sh \
	tests/system/linux-fetch.sh tests/system/mkcpio.pl

# The Linux runs come last, alone, one after the other: Linux calibrates
# its TSC against the PIT in 10 ms windows that fail when the host
# preempts the vCPU thread, which the other tests of `make -j check` made
# likely on a 2-core machine.
LINUX_LOGS = tests/system/linux.log tests/system/linux-highmem.log
.SECONDEXPANSION:
tests/system/linux.log: $$(filter-out $$(LINUX_LOGS),$$(TEST_LOGS))
tests/system/linux-highmem.log: tests/system/linux.log

# tests/system: the bt386 command end to end, Debian's i386 Linux
# (linux.sh; its packages are downloaded into the build tree, or the test
# is skipped), and Debian's gdb against the gdb stub (gdb.sh).
TESTS += tests/system/cli.sh tests/system/bt-cache.sh tests/system/crash.sh \
	tests/system/linux.sh tests/system/gdb.sh
EXTRA_DIST += tests/system/cli.sh tests/system/bt-cache.sh tests/system/crash.sh \
	tests/system/linux.sh tests/system/gdb.sh tests/system/linux-fetch.sh tests/system/mkcpio.pl

# tests/system: the bt386 command end to end, and Debian's i386 Linux
# (linux.sh; its packages are downloaded into the build tree, or the test
# is skipped).
TESTS += tests/system/cli.sh tests/system/bt-cache.sh tests/system/crash.sh \
	tests/system/linux.sh
EXTRA_DIST += tests/system/cli.sh tests/system/bt-cache.sh tests/system/crash.sh \
	tests/system/linux.sh tests/system/linux-fetch.sh tests/system/mkcpio.pl

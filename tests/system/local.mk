# tests/system: the bt386 command end to end (and later real guests).
TESTS += tests/system/cli.sh tests/system/bt-cache.sh tests/system/crash.sh
EXTRA_DIST += tests/system/cli.sh tests/system/bt-cache.sh tests/system/crash.sh

# tests/system: the bt386 command end to end (and later real guests).
TESTS += tests/system/cli.sh
EXTRA_DIST += tests/system/cli.sh

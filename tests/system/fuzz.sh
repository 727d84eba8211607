#!/bin/sh
# fuzz.sh - a short, fixed-seed round of the random-code fuzz driver
# (tests/fuzz/fuzz.c) under every engine: no monitor crash, hang, stall,
# sandbox violation, monitor error or VM stop by guest code may happen.
#
# Outside CI, run the driver itself for as long as you like, e.g. an hour
# with a fresh seed under all engines:
#
#   build/tests/fuzz/fuzz --seconds 3600 --seed $(date +%s) --engine all
#
# (--engine interp,bt,de,qemu picks engines; tests/fuzz/README.md has the
# other flags and how to reproduce a failing seed.)
set -u
top_builddir=${top_builddir:-.}
fuzz=$top_builddir/tests/fuzz/fuzz
if [ ! -x "$fuzz" ] || [ ! -f "$top_builddir/tests/fuzz/fuzzguest.elf" ]; then
	echo "fuzz driver or guest not built" >&2
	exit 99
fi
exec "$fuzz" --seconds "${FUZZ_SECONDS:-90}" --seed "${FUZZ_SEED:-1}" \
	--engine "${FUZZ_ENGINES:-all}" --timeout "${FUZZ_TIMEOUT:-10}"

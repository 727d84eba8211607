#!/bin/sh
# bt-cache.sh - the code cache survives being flushed again and again: a
# guest run with a tiny cache must still pass, and flushes must happen.
set -u
bt386=${top_builddir:-.}/bt386
guests=${top_builddir:-.}/tests/guests
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$bt386" --engine=bt --cache-size=16K --stats -m 64M -no-reboot \
	-kernel "$guests/alu.elf" -append guest=alu >"$out" 2>&1 </dev/null
status=$?
flushes=$(awk '$1 == "bt_cache_flushes" { print $2 }' "$out")
if [ $status -ne 1 ] || ! grep -q "^PASS" "$out"; then
	echo "not ok - alu with a 16 KiB cache: status $status"
	tail -20 "$out"
	exit 1
fi
if [ "${flushes:-0}" -lt 2 ]; then
	echo "not ok - the 16 KiB cache was flushed ${flushes:-0} times"
	exit 1
fi
echo "ok - alu passes with a 16 KiB cache flushed $flushes times"

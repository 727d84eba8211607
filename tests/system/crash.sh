#!/bin/sh
# crash.sh - a guest that triple-faults ends the run with one clear
# message and exit status 2 under every engine (with -no-reboot); without
# -no-reboot the machine reboots, and the monitor cuts the reset loop.
set -u
bt386=${top_builddir:-.}/bt386
guest=${top_builddir:-.}/tests/guests/triplefault.elf
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fails=0

for engine in interp bt; do
	timeout 60 "$bt386" --engine=$engine -m 64M -no-reboot -kernel "$guest" \
		>"$out" 2>&1 </dev/null
	status=$?
	if [ $status -eq 2 ] && grep -q "triple-faulted" "$out"; then
		echo "ok - $engine, -no-reboot: status 2, $(grep triple-faulted "$out")"
	else
		echo "not ok - $engine, -no-reboot: status $status"; cat "$out"
		fails=$((fails + 1))
	fi
	timeout 60 "$bt386" --engine=$engine -m 64M -kernel "$guest" \
		>"$out" 2>&1 </dev/null
	status=$?
	if [ $status -eq 2 ] && grep -q "reset loop" "$out"; then
		echo "ok - $engine, rebooting: the reset loop is cut (status 2)"
	else
		echo "not ok - $engine, rebooting: status $status"; cat "$out"
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ]

#!/bin/sh
# run-demo.sh EMULATOR demo.elf
#
# Runs the demo kernel (tests/guests/demo) and passes when it prints its
# banner and its summary and ends through debug-exit with value 0 (exit
# status 1). The demo's output depends on timing, so it is not compared
# with an expected file. EMULATOR is bt386:ENGINE or qemu, as in
# run-guest.sh.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 bt386:ENGINE|qemu demo.elf" >&2
	exit 99
fi
emu=$1
elf=$2
top_builddir=${top_builddir:-.}
timeout_s=${GUEST_TIMEOUT:-180}

if [ ! -f "$elf" ]; then
	echo "$elf: not built (run make first)" >&2
	exit 99
fi
case $emu in
bt386:ktlb)
	set -- "$top_builddir/bt386" --engine=bt --kernel-tlb=on -m 64M \
		-nographic -no-reboot -kernel "$elf"
	;;
bt386:*)
	set -- "$top_builddir/bt386" --engine="${emu#bt386:}" -m 64M \
		-nographic -no-reboot -kernel "$elf"
	;;
qemu)
	if [ -z "${QEMU_I386:-}" ]; then
		echo "SKIP: qemu-system-i386 not found by configure"
		exit 77
	fi
	set -- "$QEMU_I386" -kernel "$elf" -m 64M -display none \
		-serial stdio -monitor none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
	;;
*)
	echo "$0: unknown emulator '$emu'" >&2
	exit 99
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/demo.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
echo "running: $*"
timeout -k 5 "$timeout_s" "$@" </dev/null >"$tmp/raw" 2>"$tmp/stderr"
status=$?
tr -d '\r' <"$tmp/raw" >"$tmp/out"

fail=0
if [ $status -ne 1 ]; then
	echo "FAIL: exit status $status, expected 1 (debug-exit value 0)"
	fail=1
fi
for pattern in 'bt386 demo kernel: preemptive multitasking' \
	'starting process 1' '\[pid 1 primes' '\[pid 2 fib' \
	'\[pid 3 counter' 'seconds are up' \
	'private pages at 0x40000000: each process kept its own' \
	'demo: powering off'; do
	if ! grep -q "$pattern" "$tmp/out"; then
		echo "FAIL: the output lacks /$pattern/"
		fail=1
	fi
done
echo "--- output:"
cat "$tmp/out"
if [ -s "$tmp/stderr" ]; then
	echo "--- stderr:"
	cat "$tmp/stderr"
fi
exit $fail

#!/bin/sh
# run-guest.sh EMULATOR GUEST.elf
#
# Boots a test guest under EMULATOR and passes when its serial output equals
# tests/guests/expected/NAME.out (line endings normalised) AND the emulator
# exits with status 1 (the guest wrote 0 to the debug-exit port: all checks
# passed). EMULATOR is bt386:ENGINE (interp, bt, de = bt with
# --direct-exec, mapped = bt with --user-tlb=off --kernel-tlb=off, ktlb =
# bt with --kernel-tlb=on) or qemu.
#
# Environment: top_srcdir, top_builddir (exported by the test harness),
# QEMU_I386 (empty: qemu runs are skipped with status 77), GUEST_TIMEOUT
# (seconds, default 180: a guard against hangs, not a speed check), GUEST_KEEP=1 keeps the output files, GUEST_ARGS
# (extra emulator flags, split on blanks, e.g. a -drive for run-ata.sh).
# For a guest booted from a disk (run-bootdisk.sh): GUEST_DISK_BOOT=1
# (no -kernel: GUEST_ARGS has the disks; the file argument only names the
# guest, NAME.elf or NAME16.bin) and GUEST_ECHO=@: the lines starting
# with it are the guest's INT 10h text, which bt386 copies to the console
# and QEMU with -display none does not; they are compared with
# expected/NAME.echo under bt386 (none under QEMU) and left out of the
# comparison with expected/NAME.out.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 bt386:ENGINE|qemu GUEST.elf" >&2
	exit 99
fi
emu=$1
elf=$2
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-.}
timeout_s=${GUEST_TIMEOUT:-180}
name=$(basename "$elf" .elf)
name=${name%16.bin}
expected=$top_srcdir/tests/guests/expected/$name.out
# What to boot: "$@" from here on, the emulator's command line below.
if [ -n "${GUEST_DISK_BOOT:-}" ]; then
	set --
else
	set -- -kernel "$elf" -append "guest=$name"
fi

if [ ! -f "$elf" ]; then
	echo "$elf: no such guest (run make first)" >&2
	exit 99
fi

case $emu in
bt386:*)
	engine=${emu#bt386:}
	bt386=$top_builddir/bt386
	if [ ! -x "$bt386" ]; then
		echo "$bt386: not built" >&2
		exit 99
	fi
	# bt386:de is the bt engine with --direct-exec (user code native).
	case $engine in
	de)
		engine_args="--engine=bt --direct-exec"
		# A host without what direct execution needs (FSGSBASE,
		# Syscall User Dispatch, modify_ldt) skips these runs.
		if ! "$bt386" --direct-exec --check-host >/dev/null 2>&1; then
			echo "SKIP: the host cannot run --direct-exec:"
			"$bt386" --direct-exec --check-host 2>&1 | grep MISSING
			exit 77
		fi
		;;
	# bt386:mapped is the bt engine with user code on host mappings
	# and kernel code on the kernel views (--user-tlb=off --kernel-tlb=off).
	mapped) engine_args="--engine=bt --user-tlb=off --kernel-tlb=off" ;;
	# bt386:ktlb: kernel code on the software kernel TLB.
	ktlb) engine_args="--engine=bt --kernel-tlb=on" ;;
	*) engine_args="--engine=$engine" ;;
	esac
	set -- "$bt386" $engine_args -m 64M -nographic -no-reboot "$@" \
		${GUEST_ARGS:-}
	echo_expected=$top_srcdir/tests/guests/expected/$name.echo
	;;
qemu)
	if [ -z "${QEMU_I386:-}" ]; then
		echo "SKIP: qemu-system-i386 not found by configure"
		exit 77
	fi
	# -serial stdio cannot be combined with -nographic (both claim
	# stdio); -display none and -monitor none keep stdio for COM1 only.
	# QEMU's default CPU (qemu32) has PSE, PGE and CX8.
	set -- "$QEMU_I386" "$@" -m 64M \
		-display none -serial stdio -monitor none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 ${GUEST_ARGS:-}
	echo_expected=/dev/null
	;;
*)
	echo "$0: unknown emulator '$emu' (bt386:ENGINE or qemu)" >&2
	exit 99
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-$name.XXXXXX") || exit 99
if [ -z "${GUEST_KEEP:-}" ]; then
	trap 'rm -rf "$tmp"' EXIT
fi

echo "running: $*"
timeout -k 5 "$timeout_s" "$@" </dev/null >"$tmp/raw" 2>"$tmp/stderr"
status=$?
tr -d '\r' <"$tmp/raw" >"$tmp/all"
if [ -n "${GUEST_ECHO:-}" ]; then
	grep -v "^$GUEST_ECHO" "$tmp/all" >"$tmp/out"
	grep "^$GUEST_ECHO" "$tmp/all" >"$tmp/echo"
else
	cp "$tmp/all" "$tmp/out"
fi

fail=0
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
	echo "FAIL: timed out after ${timeout_s}s"
	fail=1
elif [ $status -ne 1 ]; then
	echo "FAIL: exit status $status, expected 1 (debug-exit value 0)"
	fail=1
fi
if ! diff -u "$expected" "$tmp/out" >"$tmp/diff"; then
	echo "FAIL: output differs from $expected:"
	cat "$tmp/diff"
	fail=1
fi
if [ -n "${GUEST_ECHO:-}" ] &&
	! diff -u "$echo_expected" "$tmp/echo" >"$tmp/diff"; then
	echo "FAIL: the INT 10h text on the console differs from $echo_expected:"
	cat "$tmp/diff"
	fail=1
fi
if [ -s "$tmp/stderr" ]; then
	echo "--- stderr:"
	cat "$tmp/stderr"
fi
if [ $fail -ne 0 ]; then
	echo "--- output:"
	cat "$tmp/all"
	exit 1
fi
echo "PASS: $name under $emu"
exit 0

#!/bin/sh
# nmi-button.sh - the NMI button end to end: Ctrl-A n typed on bt386's
# console (a terminal, so the test runs bt386 under script(1)) reaches the
# guest as an NMI through the chipset's NMI logic and LINT1. The nmi
# guest, booted with "nmi-button", waits for two presses and checks
# port 0x61's IOCHK# status bit and port 0x70's NMI mask
# (tests/guests/nmi.c). Skipped without script(1).
set -u
bt386=${top_builddir:-.}/bt386
guest=${top_builddir:-.}/tests/guests/nmi.elf
if ! command -v script >/dev/null 2>&1; then
	echo "SKIP: no script(1) to give bt386 a terminal"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nmi-button.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

# wait_for FILE TEXT: until TEXT is in FILE; 1 after 60 s.
wait_for() {
	n=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 600 ] && return 1
		sleep 0.1
	done
	return 0
}

for engine in interp bt; do
	in=$tmp/in.$engine
	out=$tmp/out.$engine
	mkfifo "$in"
	timeout 120 script -qfec "$bt386 --engine=$engine -m 64M -nographic \
-no-reboot -kernel $guest -append 'guest=nmi nmi-button'" /dev/null \
		<"$in" >"$out" 2>&1 &
	pid=$!
	exec 3>"$in"
	ok=1
	if wait_for "$out" "waiting for the NMI button"; then
		printf '\001n' >&3
	else
		ok=0
	fi
	if [ $ok -eq 1 ] && wait_for "$out" "NMI button again"; then
		printf '\001n' >&3
	else
		ok=0
	fi
	if [ $ok -eq 0 ]; then
		kill "$pid" 2>/dev/null
	fi
	wait "$pid"
	status=$?
	exec 3>&-
	if [ $ok -eq 1 ] && [ $status -eq 1 ] && grep -q "^PASS: " "$out"; then
		echo "ok - $engine: two presses of Ctrl-A n, $(grep -c '^ok' "$out") checks"
	else
		echo "not ok - $engine: status $status"
		tr -d '\r' <"$out"
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ]

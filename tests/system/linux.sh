#!/bin/sh
# linux.sh - Debian 12's i386 Linux (686, non-PAE) with a busybox
# initramfs, booted through the 32-bit boot protocol:
#   bt386 -m 256 -kernel vmlinuz -initrd initrd.cpio.gz \
#         -append "console=ttyS0 panic=-1" -nographic -no-reboot
#
# linux-fetch.sh downloads the packages into $top_builddir/linux-cache
# (git-ignored, never committed) and builds the initramfs; without apt or
# network the test is skipped (77), never failed.
#
# What is checked (each run is cut after $LINUX_TIMEOUT seconds):
#   - the kernel reaches "Run /init as init process";
#   - PCI configuration type 1 is found ("PCI: Fatal" never appears);
#   - the TSC is calibrated against the PIT. Under bt386 one poll of the
#     PIT costs ~0.3 us and Linux's quick calibration needs ~1.5 ms of
#     unbroken polling, but a loaded host deschedules the monitor thread
#     for milliseconds at a time (measured: tens of >1 ms gaps a second
#     at load 3 on 2 cores), which makes the kernel give up. A failed
#     calibration is therefore retried with a new boot, up to
#     $LINUX_TRIES (5) boots; every boot is checked for the rest;
#   - userland: busybox's /init runs (through the vDSO's sysenter, TLS
#     through GS, with the kernel's default command line), and its
#     answers match the host's: /proc/cpuinfo, a sha256 of a tmpfs file,
#     a tmpfs read-back, 200 fork+exec, the clock read from the RTC, a
#     floating-point computation; then `poweroff -f` ends the run (0).
# The console of the last boot is kept in $top_builddir/linux-boot.log.
# LINUX_MEM sets the guest's RAM in MiB (256; linux-highmem.sh: 1024) and
# LINUX_LOG the console log's name.
set -u
top=${top_builddir:-.}
src=${top_srcdir:-$(dirname "$0")/../..}
bt386=$top/bt386
cache=$top/linux-cache
log=$top/${LINUX_LOG:-linux-boot.log}
mem=${LINUX_MEM:-256}
tries=${LINUX_TRIES:-5}
limit=${LINUX_TIMEOUT:-60}
fails=0

"$src/tests/system/linux-fetch.sh" "$cache"
case $? in
0) ;;
77) echo "SKIP: Debian's i386 kernel and busybox are not available here"
	exit 77 ;;
*) echo "not ok - linux-fetch.sh failed"; exit 1 ;;
esac
echo "# kernel: $(cat "$cache/kernel-package" 2>/dev/null), -m $mem"

ok() { echo "ok - $*"; }
notok() {
	echo "not ok - $*"
	fails=$((fails + 1))
}
has() { grep -q -- "$1" "$log"; }

boot() {
	timeout "$limit" "$bt386" -m "$mem" -kernel "$cache/vmlinuz" \
		-initrd "$cache/initrd.cpio.gz" \
		-append "console=ttyS0 panic=-1" -nographic -no-reboot \
		>"$log" 2>&1 </dev/null
	status=$?
}

calibrated=no
try=1
while :; do
	boot
	echo "# boot $try: status $status"
	if [ $status -eq 124 ]; then
		notok "boot $try: no end within ${limit}s; last lines:"
		tail -n 20 "$log"
		break
	fi
	if has "Run /init as init process"; then
		ok "boot $try: the kernel runs /init"
	else
		notok "boot $try: the kernel never ran /init; last lines:"
		tail -n 40 "$log"
		break
	fi
	if has "PCI: Using configuration type 1" && ! has "PCI: Fatal"; then
		ok "boot $try: PCI configuration type 1"
	else
		notok "boot $try: no PCI config access:"
		grep -- "PCI" "$log" | head -n 5
	fi
	if has "tsc: Fast TSC calibration using PIT" ||
		{ ! has "Unable to calibrate against PIT" &&
			! has "Fast TSC calibration failed" &&
			has "tsc: Detected .* MHz processor"; }; then
		calibrated=yes
		ok "boot $try: $(grep -m 1 'tsc: Detected' "$log" | sed 's/^\[[^]]*\] //')"
		break
	fi
	echo "# boot $try: TSC calibration against the PIT failed:"
	grep -- "tsc:" "$log" | sed 's/^/#   /'
	[ $try -ge $tries ] && break
	try=$((try + 1))
done
[ $calibrated = yes ] ||
	notok "TSC calibration against the PIT failed in $try boot(s)"

# Userland: busybox /init (linux-fetch.sh) runs commands; each answer is
# checked against what the host computes.
value() { sed -n "s/^$1: //p" "$log" | tr -d '\r' | head -n 1; }
check() {
	name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then ok "userland: $name = $got"; else
		notok "userland: $name: got '$got', want '$want'"; fi
}
if has "BT386-USERLAND"; then
	check "processors in /proc/cpuinfo" "$(value BT386-CPUS)" 1
	flags=" $(value BT386-CPUFLAGS) "
	for f in fpu tsc cx8 sep cmov mmx fxsr sse sse2; do
		case $flags in
		*" $f "*) ok "userland: /proc/cpuinfo has $f" ;;
		*) notok "userland: /proc/cpuinfo lacks $f: $flags" ;;
		esac
	done
	check "sha256 of 1 MiB of 'a' in tmpfs" "$(value BT386-SHA256)" \
		"$(head -c 1048576 /dev/zero | tr '\000' 'a' | sha256sum | cut -c1-64)"
	check "tmpfs read-back" "$(value BT386-TMPFS)" "bt386 tmpfs line"
	check "fork+exec of /bin/true" "$(value BT386-FORKEXEC)" 200
	check "floating point (awk)" "$(value BT386-FP)" \
		"$(awk 'BEGIN { printf "%.6f", 7 / 3 * 1.5 + 0.1 / 7 }')"
	rtc=$(value BT386-RTC)
	now=$(date -u +%s)
	if [ -n "$rtc" ] && [ $((now - rtc)) -ge -5 ] && [ $((now - rtc)) -le 600 ]; then
		ok "userland: the guest's clock (from the RTC) is the host's ($rtc)"
	else
		notok "userland: the guest's clock '$rtc' is not the host's ($now)"
	fi
	for mark in BT386-FORKS BT386-DONE; do
		if has "$mark"; then ok "userland: $mark"; else notok "userland: no $mark"; fi
	done
	if [ $status -eq 0 ]; then ok "poweroff -f ends the run (status 0)"; else
		notok "after poweroff -f: status $status"; fi
else
	notok "userland not reached: $(grep -m 1 "^bt386: " "$log")"
fi

echo "# last console lines:"
tail -n 5 "$log" | sed 's/^/#   /'
[ $fails -eq 0 ]

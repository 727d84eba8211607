#!/bin/sh
# run-bootdisk.sh EMULATOR bootdisk16.bin
#
# The boot disk test (tests/guests/bootdisk/README.md): builds the two
# disk images the guest expects (bootdisk/bootdisk.h: stages 1-2 and 3 on
# a sparse 300-cylinder disk with tagged data sectors, and a small second
# disk), boots EMULATOR from the first with no -kernel, as
#     -drive file=hda,index=0,... -drive file=hdb,index=1,...
# and passes when
#   - the emulator exits with status 1 (debug-exit value 0: every check
#     of the three stages passed);
#   - its serial output, without the lines that start with '@', equals
#     tests/guests/expected/bootdisk.out;
#   - the '@' lines are the guest's INT 10h text, which bt386 copies to
#     the console: under bt386 exactly the lines of expected/bootdisk.echo,
#     under QEMU (-display none) none;
#   - the images hold, from the host's side, what the guest wrote through
#     INT 13h and nothing else changed.
# EMULATOR is bt386:ENGINE (interp, bt) or qemu, as in run-guest.sh.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 bt386:ENGINE|qemu bootdisk16.bin" >&2
	exit 99
fi
emu=$1
bin16=$2
bin32=${bin16%16.bin}32.bin
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=${top_builddir:-.}
timeout_s=${GUEST_TIMEOUT:-180}
expected=$here/expected/bootdisk.out
echo_expected=$here/expected/bootdisk.echo

for f in "$bin16" "$bin32"; do
	if [ ! -f "$f" ]; then
		echo "$f: not built (run make first)" >&2
		exit 99
	fi
done
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed to make and check the disk images"
	exit 77
fi
case $emu in
bt386:*)
	set -- "$top_builddir/bt386" --engine="${emu#bt386:}" -m 64M \
		-nographic -no-reboot
	;;
qemu)
	if [ -z "${QEMU_I386:-}" ]; then
		echo "SKIP: qemu-system-i386 not found by configure"
		exit 77
	fi
	set -- "$QEMU_I386" -m 64M -display none -serial stdio \
		-monitor none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
	;;
*)
	echo "$0: unknown emulator '$emu' (bt386:ENGINE or qemu)" >&2
	exit 99
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-bootdisk.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
hda=$tmp/hda.img
hdb=$tmp/hdb.img

# The layout of bootdisk.h, and the tags and patterns of its comment.
python3 - "$bin16" "$bin32" "$hda" "$hdb" <<'PY' || exit 99
import sys
bin16, bin32, hda, hdb = sys.argv[1:]
HDA, HDB = 302400, 64

def tag(lba, disk):
    return bytes(lba >> (8 * i) & 0xff if i < 4 else
                 0x41 + disk if i == 4 else
                 (lba * 7 + i * 3 + disk * 0x55) & 0xff
                 for i in range(512))

s16 = open(bin16, "rb").read()
s32 = open(bin32, "rb").read()
assert len(s16) == 32 * 512, "bootdisk16.bin: %d bytes" % len(s16)
assert len(s32) == 16384, "bootdisk32.bin: %d bytes" % len(s32)
with open(hda, "wb") as f:
    f.truncate(HDA * 512)
    f.write(s16)
    f.seek(32 * 512)
    f.write(s32)
    for lba in list(range(64, 192)) + [282571, HDA - 1]:
        f.seek(lba * 512)
        f.write(tag(lba, 0))
with open(hdb, "wb") as f:
    for lba in range(HDB):
        f.write(tag(lba, 1))
PY

set -- "$@" -drive "file=$hda,index=0,media=disk,format=raw" \
	-drive "file=$hdb,index=1,media=disk,format=raw"
echo "running: $*"
timeout -k 5 "$timeout_s" "$@" </dev/null >"$tmp/raw" 2>"$tmp/stderr"
status=$?
tr -d '\r' <"$tmp/raw" >"$tmp/all"
grep -v '^@' "$tmp/all" >"$tmp/out"
grep '^@' "$tmp/all" >"$tmp/echo"

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
case $emu in
bt386:*) want_echo=$echo_expected ;;
*) want_echo=/dev/null ;;
esac
if ! diff -u "$want_echo" "$tmp/echo" >"$tmp/diff"; then
	echo "FAIL: the INT 10h text on the console differs from $want_echo:"
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

python3 - "$hda" "$hdb" <<'PY' || exit 1
import sys
hda, hdb = sys.argv[1:]

def tag(lba, disk):
    return bytes(lba >> (8 * i) & 0xff if i < 4 else
                 0x41 + disk if i == 4 else
                 (lba * 7 + i * 3 + disk * 0x55) & 0xff
                 for i in range(512))

def written(lba):
    return bytes((0x5a ^ lba * 13 ^ i * 5) & 0xff for i in range(512))

bad = []
for path, disk, size, sectors in ((hda, 0, 302400, range(64, 192)),
                                  (hdb, 1, 64, range(64))):
    img = open(path, "rb").read()
    if len(img) != size * 512:
        bad.append("%s: size changed to %d" % (path, len(img)))
        continue
    for lba in sectors:
        got = img[lba * 512:(lba + 1) * 512]
        mine = (disk == 0 and lba in (100, 101, 102)) or \
               (disk == 1 and lba == 5)
        if got != (written(lba) if mine else tag(lba, disk)):
            bad.append("disk %d sector %d: %s" %
                       (disk, lba, "not the guest's write" if mine
                        else "changed"))
if bad:
    print("FAIL: the image files after the run:")
    for b in bad[:10]:
        print("  " + b)
    sys.exit(1)
print("PASS: the images hold the guest's INT 13h writes, nothing else "
      "changed")
PY
echo "PASS: bootdisk under $emu"
exit 0

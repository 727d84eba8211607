#!/bin/sh
# run-ata.sh EMULATOR ata.elf
#
# The IDE disk test: creates a 128-sector raw image holding a known pattern
# (byte o = (o / 512) * 7 + (o % 512) * 3 + 1, mod 256), runs the ata guest
# under EMULATOR with the image as primary slave
# (-drive file=IMG,index=1,media=disk,format=raw, as xv6's Makefile gives
# fs.img) through run-guest.sh, then checks from the host that the sectors
# the guest wrote (10-11, 40-45, 70-71) hold its data and every other byte
# of the image is unchanged: the writes reached the file by the time the
# emulator exited.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 bt386:ENGINE|qemu ata.elf" >&2
	exit 99
fi
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed to make and check the disk image"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-ata.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
img=$tmp/disk.img

python3 - "$img" <<'PY' || exit 99
import sys
data = bytes(((o // 512) * 7 + (o % 512) * 3 + 1) & 0xff
             for o in range(128 * 512))
open(sys.argv[1], "wb").write(data)
PY

GUEST_ARGS="-drive file=$img,index=1,media=disk,format=raw" \
	"$here/run-guest.sh" "$1" "$2"
status=$?
if [ $status -ne 0 ]; then
	exit $status
fi

python3 - "$img" <<'PY'
import sys
img = open(sys.argv[1], "rb").read()
bad = []
if len(img) != 128 * 512:
    bad.append("image size changed to %d" % len(img))
written = set(range(10, 12)) | set(range(40, 46)) | set(range(70, 72))
for lba in range(len(img) // 512):
    for i in range(512):
        got = img[lba * 512 + i]
        if lba in written:
            want = (0x5a ^ (lba * 13) ^ (i * 5)) & 0xff
        else:
            want = (lba * 7 + i * 3 + 1) & 0xff
        if got != want:
            bad.append("sector %d byte %d: %#x, expected %#x"
                       % (lba, i, got, want))
            break
if bad:
    print("FAIL: the image file after the run:")
    for b in bad[:10]:
        print("  " + b)
    sys.exit(1)
print("PASS: the image holds the guest's writes and nothing else changed")
PY

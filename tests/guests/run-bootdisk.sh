#!/bin/sh
# run-bootdisk.sh EMULATOR bootdisk16.bin
#
# The boot disk test (tests/guests/bootdisk/README.md): builds the two
# disk images the guest expects (bootdisk/bootdisk.h: stages 1-2 and 3 on
# a sparse 300-cylinder disk with tagged data sectors, and a small second
# disk), boots EMULATOR from the first with no -kernel, as
#     -drive file=hda,index=0,... -drive file=hdb,index=1,...
# through run-guest.sh (GUEST_DISK_BOOT, and GUEST_ECHO=@ for the INT 10h
# text bt386 copies to the console: expected/bootdisk.echo), and passes
# when that passes (every check of the three stages, the output) and the
# images then hold, from the host's side, what the guest wrote through
# INT 13h and nothing else changed. EMULATOR is bt386:ENGINE or qemu, as
# in run-guest.sh.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 bt386:ENGINE|qemu bootdisk16.bin" >&2
	exit 99
fi
emu=$1
bin16=$2
bin32=${bin16%16.bin}32.bin
here=$(cd "$(dirname "$0")" && pwd)

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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-bootdisk.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
hda=$tmp/hda.img
hdb=$tmp/hdb.img

# The layout of bootdisk.h, and the tags and patterns of its comment:
# "make" writes the images, "check" checks them after the run.
cat >"$tmp/images.py" <<'PY'
import sys
mode, hda, hdb = sys.argv[1:4]
HDA, HDB = 302400, 64
DATA = range(64, 192)
MINE = {0: (100, 101, 102), 1: (5,)}

def tag(lba, disk):
    return bytes(lba >> (8 * i) & 0xff if i < 4 else
                 0x41 + disk if i == 4 else
                 (lba * 7 + i * 3 + disk * 0x55) & 0xff
                 for i in range(512))

def written(lba):
    return bytes((0x5a ^ lba * 13 ^ i * 5) & 0xff for i in range(512))

if mode == "make":
    s16 = open(sys.argv[4], "rb").read()
    s32 = open(sys.argv[5], "rb").read()
    assert len(s16) == 32 * 512, "stages 1-2: %d bytes" % len(s16)
    assert len(s32) == 32 * 512, "stage 3: %d bytes" % len(s32)
    with open(hda, "wb") as f:
        f.truncate(HDA * 512)
        f.write(s16 + s32)
        for lba in list(DATA) + [282571, HDA - 1]:
            f.seek(lba * 512)
            f.write(tag(lba, 0))
    with open(hdb, "wb") as f:
        f.write(b"".join(tag(lba, 1) for lba in range(HDB)))
    sys.exit(0)

bad = []
for path, disk, size, sectors in ((hda, 0, HDA, DATA), (hdb, 1, HDB,
                                                        range(HDB))):
    img = open(path, "rb").read()
    if len(img) != size * 512:
        bad.append("%s: size changed to %d" % (path, len(img)))
        continue
    for lba in sectors:
        mine = lba in MINE[disk]
        if img[lba * 512:(lba + 1) * 512] != (written(lba) if mine
                                              else tag(lba, disk)):
            bad.append("disk %d sector %d: %s" % (
                disk, lba, "not the guest's write" if mine else "changed"))
if bad:
    print("FAIL: the image files after the run:")
    for b in bad[:10]:
        print("  " + b)
    sys.exit(1)
print("PASS: the images hold the guest's INT 13h writes, nothing else "
      "changed")
PY
python3 "$tmp/images.py" make "$hda" "$hdb" "$bin16" "$bin32" || exit 99

GUEST_DISK_BOOT=1 GUEST_ECHO=@ \
	GUEST_ARGS="-drive file=$hda,index=0,media=disk,format=raw -drive file=$hdb,index=1,media=disk,format=raw" \
	"$here/run-guest.sh" "$emu" "$bin16"
status=$?
if [ $status -ne 0 ]; then
	exit $status
fi
python3 "$tmp/images.py" check "$hda" "$hdb"

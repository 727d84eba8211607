#!/bin/sh
# linux-fetch.sh DIR - prepare Debian 12's i386 Linux guest in DIR: the
# non-PAE `-686` kernel (DIR/vmlinuz) and a busybox initramfs
# (DIR/initrd.cpio.gz) whose /init runs a few commands and powers off.
#
# The packages come from Debian's archive through apt (`apt-get download`
# needs the i386 architecture enabled; as root the script enables it and
# runs `apt-get update`). Nothing downloaded is ever committed: DIR lives
# in the build tree, which git ignores. Idempotent: a complete DIR is kept.
#
# Exit status: 0 ready; 77 when the packages cannot be had on this host
# (no apt, no network, not root and no i386 lists) - the caller skips.
set -u
dir=${1:?usage: linux-fetch.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir" || exit 77
cd "$dir" || exit 77

skip() {
	echo "linux-fetch: $*" >&2
	exit 77
}

if [ ! -s vmlinuz ] || [ ! -s busybox ]; then
	command -v apt-get >/dev/null 2>&1 || skip "no apt-get on this host"
	command -v dpkg-deb >/dev/null 2>&1 || skip "no dpkg-deb on this host"
	if ! apt-cache show busybox-static:i386 >/dev/null 2>&1; then
		[ "$(id -u)" -eq 0 ] ||
			skip "i386 packages unknown to apt (as root: dpkg --add-architecture i386; apt-get update)"
		dpkg --add-architecture i386 || skip "cannot add the i386 architecture"
		timeout 300 apt-get update -qq >/dev/null 2>&1 ||
			skip "apt-get update failed (no network?)"
	fi
	# The metapackage names the current ABI: linux-image-6.1.0-NN-686.
	kpkg=$(apt-cache depends linux-image-686:i386 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9.]*-[0-9]*-686\)\(:i386\)\{0,1\}$/\1/p' |
		head -n 1)
	[ -n "$kpkg" ] || skip "apt knows no linux-image-686:i386 (is the i386 architecture enabled?)"
	rm -f ./*.deb
	timeout 600 apt-get download -qq "$kpkg:i386" busybox-static:i386 \
		>/dev/null 2>&1 || skip "apt-get download $kpkg busybox-static failed (no network?)"
	rm -rf x && mkdir x
	for deb in ./*.deb; do
		dpkg-deb -x "$deb" x || skip "cannot unpack $deb"
	done
	cp x/boot/vmlinuz-* vmlinuz.tmp && mv vmlinuz.tmp vmlinuz ||
		skip "no /boot/vmlinuz-* in $kpkg"
	cp x/bin/busybox busybox.tmp && mv busybox.tmp busybox ||
		skip "no /bin/busybox in busybox-static"
	echo "$kpkg" >kernel-package
	rm -rf x ./*.deb
fi

# The initramfs: busybox, its applet links made at run time, and /init
# (archived by mkcpio.pl, which also adds /dev/console).
if [ ! -s initrd.cpio.gz ] || [ "$0" -nt initrd.cpio.gz ]; then
	command -v perl >/dev/null 2>&1 || skip "no perl on this host"
	command -v gzip >/dev/null 2>&1 || skip "no gzip on this host"
	rm -rf root && mkdir -p root/bin root/dev root/proc root/sys
	cp busybox root/bin/busybox && chmod 755 root/bin/busybox
	cat >root/init <<'INIT'
#!/bin/busybox sh
# Each BT386- line is checked by linux.sh against what the host computes.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo "BT386-USERLAND: hello from busybox"
uname -a
echo "BT386-CPUS: $(grep -c ^processor /proc/cpuinfo)"
echo "BT386-CPUFLAGS: $(grep -m 1 ^flags /proc/cpuinfo | cut -d: -f2)"
cat /proc/cmdline
# A file in tmpfs: written, read back, checksummed.
dd if=/dev/zero bs=4096 count=256 2>/dev/null | tr '\000' 'a' >/tmp/a
echo "BT386-SHA256: $(sha256sum </tmp/a | cut -c1-64)"
echo "bt386 tmpfs line" >/tmp/t
echo "BT386-TMPFS: $(cat /tmp/t)"
# fork + exec.
i=0; while [ $i -lt 200 ]; do /bin/true || break; i=$((i + 1)); done
echo "BT386-FORKEXEC: $i"
# The clock the kernel read from the RTC at boot.
echo "BT386-RTC: $(date -u +%s)"
# Floating point in a user process.
echo "BT386-FP: $(awk 'BEGIN { printf "%.6f", 7 / 3 * 1.5 + 0.1 / 7 }')"
echo "BT386-FORKS: ok"
echo "BT386-DONE"
poweroff -f
INIT
	chmod 755 root/init
	perl "$here/mkcpio.pl" root | gzip -9 >initrd.tmp &&
		mv initrd.tmp initrd.cpio.gz || skip "cannot build the initramfs"
	rm -rf root
fi
exit 0

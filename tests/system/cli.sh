#!/bin/sh
# cli.sh - bad input gets one clear line on stderr and a non-zero status;
# good flags are accepted. Run by `make check` (automake exports
# top_builddir and top_srcdir).
set -u
bt386=${top_builddir:-.}/bt386
guests=${top_builddir:-.}/tests/guests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect_error NAME PATTERN ARGS...: status 1, one stderr line matching.
expect_error() {
	name=$1 pattern=$2
	shift 2
	timeout -k 5 30 "$bt386" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	status=$?
	lines=$(wc -l <"$tmp/err")
	if [ $status -ne 1 ]; then
		echo "not ok - $name: status $status, want 1"; fails=$((fails + 1))
	elif [ "$lines" -ne 1 ]; then
		echo "not ok - $name: $lines lines on stderr, want 1:"; cat "$tmp/err"
		fails=$((fails + 1))
	elif ! grep -q -- "$pattern" "$tmp/err"; then
		echo "not ok - $name: message does not match '$pattern':"; cat "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok - $name: $(cat "$tmp/err")"
	fi
}

printf 'this is not an ELF file\n' >"$tmp/garbage.elf"
head -c 200 "$guests/hello.elf" >"$tmp/truncated.elf"
# A valid ELF whose multiboot header checksum is broken.
cp "$guests/hello.elf" "$tmp/badsum.elf"
off=$(od -A d -t x4 -v "$tmp/badsum.elf" | awk '
	{ for (i = 2; i <= NF; i++) if ($i == "1badb002") { print $1 + (i - 2) * 4; exit } }')
if [ -n "$off" ]; then
	printf '\377\377\377\377' | dd of="$tmp/badsum.elf" bs=1 seek=$((off + 8)) \
		conv=notrunc 2>/dev/null
fi

expect_error "missing kernel file" "nonexistent.elf" -kernel "$tmp/nonexistent.elf"
expect_error "corrupt kernel (not ELF)" "garbage.elf" -kernel "$tmp/garbage.elf"
expect_error "truncated kernel" "truncated.elf" -kernel "$tmp/truncated.elf"
[ -n "$off" ] && expect_error "bad multiboot checksum" "badsum.elf" -kernel "$tmp/badsum.elf"
expect_error "-m 0" "-m" -m 0 -kernel "$guests/hello.elf"
expect_error "-m garbage" "-m" -m lots -kernel "$guests/hello.elf"
expect_error "-m too large" "-m" -m 64G -kernel "$guests/hello.elf"
expect_error "-m that overflows 64 bits" "too large" -m 17592186044480 -kernel "$guests/hello.elf"
mkfifo "$tmp/fifo"
# A FIFO is refused without waiting for a writer (timeout: never hang).
expect_error "kernel is a FIFO" "not a regular file" -kernel "$tmp/fifo"
expect_error "unknown flag" "unknown option" --frobnicate
expect_error "missing flag argument" "needs an argument" -kernel
expect_error "unknown engine" "unknown engine" --engine=warp -kernel "$guests/hello.elf"
expect_error "unknown trace channel" "unknown channel" --trace=everything -kernel "$guests/hello.elf"
expect_error "bad --user-tlb" "give auto, on or off" --user-tlb=maybe -kernel "$guests/hello.elf"
expect_error "bad --kernel-tlb" "give on or off" --kernel-tlb=auto -kernel "$guests/hello.elf"
expect_error "-S without a gdb stub" "-S waits for gdb" -S -kernel "$guests/hello.elf"
expect_error "-gdb with a device" "give tcp::PORT" -gdb /dev/ttyS0 -kernel "$guests/hello.elf"
expect_error "-gdb port out of range" "give tcp::PORT" -gdb tcp::70000 -kernel "$guests/hello.elf"
expect_error "-net user" "only -net none" -net user -kernel "$guests/hello.elf"
expect_error "-monitor stdio" "no monitor console" -monitor stdio -kernel "$guests/hello.elf"
expect_error "-device e1000" "not supported" -device e1000 -kernel "$guests/hello.elf"
expect_error "-device isa-debug-exit with a bad size" "not 1, 2 or 4" \
	-device isa-debug-exit,iobase=0x501,iosize=3 -kernel "$guests/hello.elf"
expect_error "-device isa-debug-exit on COM1" "taken by com1" \
	-device isa-debug-exit,iobase=0x3f8 -kernel "$guests/hello.elf"
# QEMU's flags that change nothing here are accepted (Pintos passes them).
timeout -k 5 30 "$bt386" -net none -monitor null -device isa-debug-exit \
	-m 64M -nographic -no-reboot -kernel "$guests/hello.elf" \
	-append guest=hello >"$tmp/out" 2>"$tmp/err" </dev/null
status=$?
if [ $status -eq 1 ] && grep -q "^PASS" "$tmp/out"; then
	echo "ok - -net none -monitor null -device isa-debug-exit accepted"
else
	echo "not ok - QEMU's no-op flags: status $status"; cat "$tmp/err"
	fails=$((fails + 1))
fi

# A Linux setup header with nothing behind it: 2 setup sectors, then no
# protected-mode code although syssize promises 64 KiB.
poke() { printf "$2" | dd of="$tmp/short.bz" bs=1 seek=$(($1)) conv=notrunc 2>/dev/null; }
head -c 1024 /dev/zero >"$tmp/short.bz"
poke 0x1f1 '\001'
poke 0x1f4 '\000\020\000\000'
poke 0x1fe '\125\252'
poke 0x200 '\353\152HdrS\017\002'
poke 0x211 '\001'
expect_error "truncated bzImage" "short.bz: truncated" -kernel "$tmp/short.bz"
expect_error "-initrd with a multiboot kernel" "only Linux bzImage" \
	-kernel "$guests/hello.elf" -initrd "$guests/hello.elf"
expect_error "-initrd without -kernel" "needs a Linux kernel" -initrd "$guests/hello.elf"
expect_error "missing initrd" "nonexistent.img" -kernel "$tmp/short.bz" -initrd "$tmp/nonexistent.img"

# Disks without -kernel: the BIOS boots the first one, if it is bootable.
head -c 1024 /dev/zero >"$tmp/blank.img"
expect_error "disk without a boot signature" \
	"hda ($tmp/blank.img): not a bootable disk (no 0x55aa boot signature)" \
	-hda "$tmp/blank.img"
expect_error "-drive index=0 without a boot signature" \
	"not a bootable disk (no 0x55aa boot signature)" \
	-drive "file=$tmp/blank.img,index=0,media=disk,format=raw"
expect_error "-boot d" "boots only from the first hard disk" -boot d \
	-hda "$tmp/blank.img"
expect_error "-boot order=cd" "boots only from the first hard disk" \
	-boot order=cd -hda "$tmp/blank.img"

# Good flags.
if "$bt386" --help | grep -q -- "-kernel FILE"; then echo "ok - --help"; else
	echo "not ok - --help"; fails=$((fails + 1)); fi
if "$bt386" --version | grep -q "^bt386 "; then echo "ok - --version"; else
	echo "not ok - --version"; fails=$((fails + 1)); fi
"$bt386" -nographic -no-reboot -m 64 --stats -kernel "$guests/hello.elf" \
	-append "guest=hello" >"$tmp/out" 2>"$tmp/err" </dev/null
status=$?
if [ $status -eq 1 ] && grep -q "insns_interp" "$tmp/err"; then
	echo "ok - hello runs, --stats prints the instruction counter"
else
	echo "not ok - hello under --stats: status $status"; cat "$tmp/err"
	fails=$((fails + 1))
fi
# --stats says how kernel code reached memory.
for mode in on off; do
	"$bt386" -nographic -no-reboot -m 64 --stats --kernel-tlb=$mode \
		-kernel "$guests/hello.elf" -append "guest=hello" \
		>"$tmp/out" 2>"$tmp/err" </dev/null
	case $mode in
	on) want="through \(a software TLB (--kernel-tlb=on)\|host mappings (--kernel-tlb=on needs BMI2, which this host lacks)\)$" ;;
	off) want="through host mappings$" ;;
	esac
	if grep -q "kernel code reaches guest memory $want" "$tmp/err"; then
		echo "ok - --kernel-tlb=$mode: --stats says how kernel code reached memory"
	else
		echo "not ok - --kernel-tlb=$mode: no or a wrong line in --stats"
		cat "$tmp/err"; fails=$((fails + 1))
	fi
done
# The time profile: samples placed at guest EIPs, translated code first.
"$bt386" -nographic -no-reboot -m 64 --stats -kernel "$guests/procs.elf" \
	-append "guest=procs" >"$tmp/out" 2>"$tmp/err" </dev/null
status=$?
if [ $status -eq 1 ] && grep -q "vCPU time by guest code" "$tmp/err" &&
	grep -Eq "^    [0-9a-f]{8}   [03] " "$tmp/err"; then
	echo "ok - --stats samples the vCPU time by guest code"
else
	echo "not ok - procs under --stats: status $status, no profile"
	cat "$tmp/err"; fails=$((fails + 1))
fi
# A guest that only computes spends its time in translated code, and the
# profile must say so (the user TLB policy's CPU timer once fired at the
# same host tick and every sample landed in its handler: 0% there).
"$bt386" -nographic -no-reboot -m 64 --stats --engine=bt \
	-kernel "${top_builddir:-.}/bench/compute.elf" -append "rounds=150000" \
	>"$tmp/out" 2>"$tmp/err" </dev/null
share=$(sed -n 's/.*): translated code \([0-9]*\)\.[0-9]*%.*/\1/p' "$tmp/err")
if [ "${share:-0}" -ge 50 ]; then
	echo "ok - --stats places a computing guest's time in translated code ($share%)"
else
	echo "not ok - compute under --stats: translated code ${share:-?}%, not most"
	cat "$tmp/err"; fails=$((fails + 1))
fi

# A boot sector (mov al, 2Ah; out F4h, al; hlt, and 55AAh) boots from
# -hda, from -drive index=0 with -boot c, and loses to -kernel.
cp "$tmp/blank.img" "$tmp/boot.img"
printf '\260\052\346\364\364' | dd of="$tmp/boot.img" conv=notrunc 2>/dev/null
printf '\125\252' | dd of="$tmp/boot.img" bs=1 seek=510 conv=notrunc 2>/dev/null
for args in "-hda $tmp/boot.img" \
	"-boot order=c -drive file=$tmp/boot.img,index=0,media=disk,format=raw" \
	"--engine=interp -hda $tmp/boot.img"; do
	# shellcheck disable=SC2086
	timeout -k 5 30 "$bt386" -nographic $args >"$tmp/out" 2>"$tmp/err" </dev/null
	status=$?
	if [ $status -eq $(((0x2a << 1) | 1)) ] && [ ! -s "$tmp/err" ]; then
		echo "ok - a boot sector boots: $args"
	else
		echo "not ok - a boot sector with $args: status $status"
		cat "$tmp/err"; fails=$((fails + 1))
	fi
done
"$bt386" -nographic -no-reboot -m 64 -kernel "$guests/hello.elf" \
	-append "guest=hello" -hda "$tmp/boot.img" >"$tmp/out" 2>"$tmp/err" </dev/null
status=$?
if [ $status -eq 1 ] && grep -q "^PASS" "$tmp/out"; then
	echo "ok - -kernel wins over a bootable disk"
else
	echo "not ok - -kernel with a bootable disk: status $status"
	cat "$tmp/err"; fails=$((fails + 1))
fi

# Console input from a pipe that ends: the I/O thread stops watching stdin
# (epoll_ctl) while the guest runs, inside the sandbox.
head -c 10000 /dev/zero | tr '\000' x |
	timeout -k 5 60 "$bt386" -nographic -no-reboot -m 64 \
		-kernel "$guests/hello.elf" -append "guest=hello" \
		>"$tmp/out" 2>"$tmp/err"
status=$?
if [ $status -eq 1 ] && grep -q "^PASS" "$tmp/out" && ! grep -q sandbox "$tmp/err"; then
	echo "ok - console input from a pipe, to its end, under the sandbox"
else
	echo "not ok - console input from a pipe: status $status"; cat "$tmp/err"
	fails=$((fails + 1))
fi

[ $fails -eq 0 ]

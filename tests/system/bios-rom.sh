#!/bin/sh
# bios-rom.sh - -bios FILE end to end: a 64 KiB firmware image built here
# (16-bit code, assembled with the guests' gcc) runs from the reset vector
# under each engine. Its first instruction is fetched from the image's
# alias at the top of 4 GiB (CS base 0xffff0000, EIP 0xfff0); it far-jumps
# to its copy below 1 MiB (reaching _start at all shows the high alias
# held the image), checks that the low copy holds the reset vector and is
# RAM (writable, as a shadowed BIOS), writes POST code 0x42, prints
# "ROM OK" on COM1, halts with interrupts off and the run ends (status 0)
# with the POST code in bt386's message. Bad images and -bios with
# -kernel are refused with one line each.
set -u
bt386=${top_builddir:-.}/bt386
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bios-rom.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

cat >"$tmp/rom.S" <<'ASM'
	.code16
	.text
	.globl _start
_start:				/* at F000:0000, 0xf0000 */
	cli
	xorw %ax, %ax
	movw %ax, %ss
	movw $0x7000, %sp
	/* The low copy: the reset vector's ljmp (EA) at F000:FFF0. */
	movw $0xf000, %ax
	movw %ax, %ds
	cmpb $0xea, %ds:0xfff0	/* the low copy's reset vector: ljmp */
	jne fail
	movb $0x00, %ds:0xfff0	/* the low copy is RAM: writable */
	cmpb $0x00, %ds:0xfff0
	jne fail
	movb $0x42, %al
	outb %al, $0x80
	movw $msg, %si
1:	lodsb
	testb %al, %al
	jz 2f
	movw $0x3f8, %dx
	outb %al, %dx
	jmp 1b
2:	movb $0x31, %al		/* Pintos's exit: QEMU's default debug */
	movw $0x501, %dx	/* exit port; nothing there by default */
	outb %al, %dx
	cli
	hlt
fail:
	movw $0x3f8, %dx
	movb $'F', %al
	outb %al, %dx
	movb $0x01, %al
	outb %al, $0xf4
	hlt
msg:	.asciz "ROM OK\n"
	.org 0xfff0
reset:				/* F000:FFF0, fetched at 0xfffffff0 */
	ljmp $0xf000, $_start
	.org 0x10000
ASM
cc=${CC:-gcc}
if ! $cc -m32 -c -o "$tmp/rom.o" "$tmp/rom.S" 2>"$tmp/cc.err" ||
	! ld -m elf_i386 -Ttext=0 --oformat=binary -o "$tmp/rom.bin" \
		"$tmp/rom.o" 2>>"$tmp/cc.err"; then
	echo "SKIP: cannot assemble the test image:"
	cat "$tmp/cc.err"
	exit 77
fi

for engine in interp bt; do
	timeout 60 "$bt386" --engine=$engine -m 16 -nographic -no-reboot \
		-bios "$tmp/rom.bin" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ $status -eq 0 ] && grep -q "^ROM OK" "$tmp/out" &&
		grep -q "last POST code 0x42" "$tmp/err"; then
		echo "ok - $engine: the image ran from the reset vector"
	else
		echo "not ok - $engine: status $status"
		cat "$tmp/out" "$tmp/err"
		fails=$((fails + 1))
	fi
done

# -device isa-debug-exit (QEMU's default port 0x501): the image's write
# there ends the run with status (0x31 << 1) | 1.
timeout 60 "$bt386" -m 16 -nographic -no-reboot -device isa-debug-exit \
	-bios "$tmp/rom.bin" </dev/null >"$tmp/out" 2>"$tmp/err"
status=$?
if [ $status -eq 99 ] && grep -q "^ROM OK" "$tmp/out"; then
	echo "ok - -device isa-debug-exit: the write to 0x501 ends the run"
else
	echo "not ok - -device isa-debug-exit: status $status"
	cat "$tmp/out" "$tmp/err"
	fails=$((fails + 1))
fi

# gdb: a breakpoint where CS has a base (F000:0000, linear 0xf0000) stops
# the guest; gdb sees PC = EIP = 0, so the stop is a plain SIGTRAP
# (docs/debugging.md) rather than a breakpoint it would not recognise and
# silently resume.
if command -v gdb >/dev/null 2>&1; then
	# A port another program holds: try the next one.
	for try in 0 1 2 3 4; do
		port=$((20000 + ($$ + 97 * try) % 20000))
		timeout 60 "$bt386" --engine=interp -m 16 -nographic \
			-no-reboot -S -gdb tcp::$port -bios "$tmp/rom.bin" \
			</dev/null >"$tmp/gout" 2>&1 &
		pid=$!
		n=0
		while ! grep -q "waiting for gdb" "$tmp/gout" &&
			kill -0 $pid 2>/dev/null && [ $n -lt 100 ]; do
			n=$((n + 1))
			sleep 0.1
		done
		grep -q "waiting for gdb" "$tmp/gout" && break
		wait $pid
	done
	timeout 60 gdb -batch -nx -ex "set architecture i386" \
		-ex "target remote localhost:$port" -ex "break *0xf0000" \
		-ex "continue" -ex 'printf "STOP cs=%x eip=%x\n", $cs, $eip' \
		-ex "kill" >"$tmp/gdb" 2>&1
	wait "$pid"
	if grep -q "SIGTRAP" "$tmp/gdb" && grep -q "STOP cs=f000 eip=0" "$tmp/gdb"; then
		echo "ok - gdb: a breakpoint at F000:0000 stops the guest"
	else
		echo "not ok - gdb: breakpoint at F000:0000"
		cat "$tmp/gdb" "$tmp/gout"
		fails=$((fails + 1))
	fi
fi

# refuse: one line on stderr, status 1
refuse() {
	what=$1 want=$2
	shift 2
	"$bt386" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ $status -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -q "$want" "$tmp/err"; then
		echo "ok - refused: $what"
	else
		echo "not ok - $what: status $status"
		cat "$tmp/err"
		fails=$((fails + 1))
	fi
}
head -c 1000 "$tmp/rom.bin" >"$tmp/short.bin"
refuse "an image of 1000 bytes" "must be 64 KiB or 128 KiB" \
	-bios "$tmp/short.bin"
refuse "a missing image" "No such file" -bios "$tmp/absent.bin"
refuse "-bios with -kernel" "cannot be combined" -bios "$tmp/rom.bin" \
	-kernel "$tmp/rom.bin"

[ $fails -eq 0 ] && echo "PASS: bios-rom" || echo "FAIL: $fails"
[ $fails -eq 0 ]

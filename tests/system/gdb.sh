#!/bin/sh
# gdb.sh - Debian's gdb, in batch mode, debugs the debuggee guest
# (tests/guests/debuggee.c, built with -g) through bt386's gdb stub, under
# --engine=bt, --engine=interp and --engine=bt --direct-exec ("de": user
# code on the host CPU when no debugger point is set). gdb is installed by
# scripts/setup when it is missing; without it (no root, no network) the
# test is skipped.
#
# Session A (bt386 -S): break at add() and read its arguments, next,
# stepi (each step exactly one instruction), finish, watch a variable
# through three writes, break in ring 3 (user code, which the translator
# or direct execution would run),
# read registers (segments, x87/SSE, control), read unmapped memory (an
# error, not a crash), continue to the guest's exit.
# Session B (bt386 -S, two gdb connections): continue into a long ring 3
# loop, interrupt it with Ctrl-C (SIGINT to gdb, which sends 0x03),
# detach; the guest runs on without gdb's points (translated, or on the
# host CPU with --direct-exec); a second gdb attaches to the running
# guest, which stops, breaks in the loop's function, sets a variable that
# ends the loop, continues to the exit.
set -u
top=${top_builddir:-.}
src=${top_srcdir:-$(dirname "$0")/../..}
bt386=$top/bt386
guest=$top/tests/guests/debuggee.elf
limit=${GDB_TEST_TIMEOUT:-120}

if ! command -v gdb >/dev/null 2>&1; then
	echo "# gdb is missing: scripts/setup installs it"
	"$src/scripts/setup" >&2 || true
fi
if ! command -v gdb >/dev/null 2>&1; then
	echo "SKIP: gdb is not installed and scripts/setup could not install it"
	exit 77
fi
if [ ! -f "$guest" ]; then
	echo "$guest: not built"
	exit 99
fi

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0

ok() { echo "ok - $*"; }
notok() {
	echo "not ok - $*"
	fails=$((fails + 1))
}

# start ENGINE: bt386 -S on a free port in the background; sets port, pid.
start() {
	case $1 in
	de) engine_args="--engine=bt --direct-exec" ;;
	*) engine_args="--engine=$1" ;;
	esac
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		: >"$tmp/stderr"
		# shellcheck disable=SC2086
		timeout "$limit" "$bt386" $engine_args -S -gdb tcp::$port \
			-m 64M -nographic -no-reboot -kernel "$guest" \
			>"$tmp/console" 2>"$tmp/stderr" </dev/null &
		pid=$!
		i=0
		while [ $i -lt 100 ]; do
			grep -q "waiting for gdb" "$tmp/stderr" && return 0
			kill -0 $pid 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		wait $pid
		pid=
		grep -q "in use" "$tmp/stderr" || break
	done
	echo "# bt386 did not start listening:"
	cat "$tmp/stderr"
	return 1
}

# finish NAME: wait for bt386; the guest must pass its checks (status 1).
finish() {
	wait $pid
	status=$?
	pid=
	if [ $status -eq 1 ] && grep -q "PASS: 4 checks" "$tmp/console"; then
		ok "$1: the guest ran to its end (status 1)"
	else
		notok "$1: bt386 status $status"
		cat "$tmp/console" "$tmp/stderr"
	fi
}

# expect NAME PATTERN: gdb's output has a line matching PATTERN.
expect() {
	if grep -q -- "$2" "$tmp/gdb.out"; then
		ok "$1"
	else
		notok "$1 (no '$2' in gdb's output)"
		show_log=1
	fi
}

head_gdb() {
	cat <<EOF
set pagination off
set confirm off
file $guest
target remote localhost:$port
EOF
}

# Step one instruction and check that EIP moved past exactly that one.
stepi_check() {
	cat <<'EOF'
python
arch = gdb.selected_frame().architecture()
pc = int(gdb.parse_and_eval("$pc"))
insn = arch.disassemble(pc)[0]
gdb.execute("stepi")
npc = int(gdb.parse_and_eval("$pc"))
if npc == pc + insn['length']:
    print("STEPI exact")
else:
    print("STEPI off: %#x -> %#x (%s)" % (pc, npc, insn['asm']))
end
EOF
}

session_a() {
	head_gdb
	cat <<'EOF'
printf "START eip=%#x\n", $eip
break add
continue
printf "ARGS a=%d b=%d\n", a, b
next
printf "SUM %d\n", sum
EOF
	stepi_check
	stepi_check
	cat <<'EOF'
finish
set var release = 1
watch counter
continue
continue
continue
delete
break user_add
continue
printf "USER x=%d cpl=%d\n", x, $cs & 3
EOF
	stepi_check
	stepi_check
	cat <<'EOF'
printf "REGS ds=%#x cr0=%#x fctrl=%#x mxcsr=%#x\n", $ds, $cr0, $fctrl, $mxcsr
p $xmm0.uint128
p $st0
python
try:
    gdb.execute("x/x 0xfffff000")
except gdb.MemoryError as e:
    print("MEMERR %s" % e)
end
delete
continue
EOF
}

session_b1() {
	head_gdb
	cat <<EOF
shell touch $tmp/ready
continue
printf "INTERRUPTED\n"
detach
EOF
}

session_b2() {
	head_gdb
	cat <<'EOF'
printf "ATTACHED\n"
break work
continue
printf "WORK i=%u\n", i
set var release = 1
delete
continue
EOF
}

engines="bt interp"
# --direct-exec only where the host has what it needs.
if "$bt386" --direct-exec --check-host >/dev/null 2>&1; then
	engines="$engines de"
else
	echo "# the host cannot run --direct-exec: de skipped"
fi
for engine in $engines; do
	show_log=0

	# ---- session A ----
	start $engine || { notok "$engine: bt386 -S"; continue; }
	if [ $engine = bt ]; then
		# The port is taken: a second bt386 says so and fails.
		timeout 30 "$bt386" -gdb tcp::$port -kernel "$guest" \
			>"$tmp/second" 2>&1 </dev/null
		status=$?
		if [ $status -eq 1 ] && grep -q "is in use" "$tmp/second" &&
			[ "$(wc -l <"$tmp/second")" -eq 1 ]; then
			ok "a port in use: $(cat "$tmp/second")"
		else
			notok "a port in use: status $status"
			cat "$tmp/second"
		fi
	fi
	session_a >"$tmp/a.gdb"
	timeout "$limit" gdb -batch -nx -x "$tmp/a.gdb" >"$tmp/gdb.out" 2>&1
	expect "$engine: stopped at the multiboot entry" "START eip=0x10000c"
	expect "$engine: breakpoint at add()" "Breakpoint 1, add (a=2, b=40)"
	expect "$engine: its arguments" "ARGS a=2 b=40"
	expect "$engine: next" "SUM 42"
	if [ "$(grep -c "STEPI exact" "$tmp/gdb.out")" -eq 4 ] &&
		! grep -q "STEPI off" "$tmp/gdb.out"; then
		ok "$engine: stepi steps exactly one instruction (4 times)"
	else
		notok "$engine: stepi"
		show_log=1
	fi
	expect "$engine: finish" "Value returned is \$1 = 42"
	expect "$engine: watchpoint set" "Hardware watchpoint 2: counter"
	expect "$engine: watch 0 -> 42" "New value = 42"
	expect "$engine: watch 42 -> 84" "New value = 84"
	expect "$engine: watch 84 -> 126" "New value = 126"
	expect "$engine: breakpoint in ring 3" "Breakpoint 3, user_add (x=20)"
	expect "$engine: ring 3 argument and CPL" "USER x=20 cpl=3"
	expect "$engine: registers" \
		"REGS ds=0x23 cr0=0x80000011 fctrl=0x37f mxcsr=0x1f80"
	expect "$engine: xmm0" "= 0$"
	expect "$engine: unmapped memory is an error" \
		"MEMERR Cannot access memory at address 0xfffff000"
	expect "$engine: gdb sees the exit" "exited with code 01"
	[ $show_log -eq 1 ] && cat "$tmp/gdb.out"
	finish "$engine: session A"

	# ---- session B ----
	show_log=0
	start $engine || { notok "$engine: bt386 -S"; continue; }
	rm -f "$tmp/ready"
	session_b1 >"$tmp/b1.gdb"
	# --foreground: timeout passes our SIGINT to gdb once (otherwise it
	# also signals its process group, and a second ^C makes gdb offer
	# to give up waiting, which batch mode accepts).
	timeout --foreground "$limit" gdb -batch -nx -x "$tmp/b1.gdb" \
		>"$tmp/gdb.out" 2>&1 &
	gdb_pid=$!
	i=0
	while [ ! -f "$tmp/ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 1
	kill -INT $gdb_pid
	wait $gdb_pid
	expect "$engine: Ctrl-C stops the guest" \
		"Program received signal SIGINT"
	expect "$engine: in the ring 3 loop" \
		"in user_main ()\|^user_main ()\|work (i="
	expect "$engine: detach" "Inferior 1 (Remote target) detached"
	[ $show_log -eq 1 ] && cat "$tmp/gdb.out"
	show_log=0
	sleep 0.5 # the guest runs on without gdb
	session_b2 >"$tmp/b2.gdb"
	timeout "$limit" gdb -batch -nx -x "$tmp/b2.gdb" >"$tmp/gdb.out" 2>&1
	expect "$engine: attach to the running guest" "ATTACHED"
	expect "$engine: breakpoint in code that already ran" \
		"Breakpoint 1, work (i="
	expect "$engine: gdb sees the exit" "exited with code 01"
	[ $show_log -eq 1 ] && cat "$tmp/gdb.out"
	finish "$engine: session B"
done
[ $fails -eq 0 ]

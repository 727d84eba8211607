/*
 * main.c - the bt386 command line.
 *
 * Flags follow QEMU where they mean the same thing (-kernel, -append, -m,
 * -nographic, -no-reboot, -serial stdio, -drive, -hda..-hdd, -boot, -smp,
 * -device, -bios, -net none, -monitor none, -gdb, -s, -S), so course
 * Makefiles can swap the emulator binary;
 * bt386's own flags are long options (--engine, --stats, --trace). Either
 * one or two leading dashes are accepted, and values may follow as the
 * next argument or after '='.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "bt/bt.h"
#include "devices/devices.h"
#include "mmu/mem.h"
#include "monitor/console.h"
#include "monitor/gdbstub.h"
#include "monitor/monitor.h"
#include "monitor/sandbox.h"
#include "monitor/stats.h"
#include "monitor/timer.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bt386 [options]\n"
		"Runs a 32-bit x86 guest without hardware virtualization.\n"
		"\n"
		"Machine (QEMU-compatible):\n"
		"  -kernel FILE      boot a Linux bzImage (32-bit boot "
		"protocol) or a\n"
		"                    multiboot kernel (ELF); without it, the "
		"BIOS boots\n"
		"                    the first disk's boot sector, and with no "
		"disk\n"
		"                    the built-in demo guest boots\n"
		"  -boot c           boot from the first hard disk (the "
		"default; "
		"also\n"
		"                    order=c; other devices are refused)\n"
		"  -initrd FILE      initial ramdisk for a Linux kernel\n"
		"  -bios FILE        run a 64 or 128 KiB firmware image from\n"
		"                    the reset vector instead of bt386's BIOS\n"
		"                    (a CPU tester such as test386.asm)\n"
		"  -append STRING    kernel command line\n"
		"  -m SIZE           guest RAM, e.g. 64, 128M, 1G (default "
		"128M;\n"
		"                    a bare number means MiB)\n"
		"  -nographic        serial console on stdio (the default)\n"
		"  -serial stdio     the same (also mon:stdio); other backends "
		"are not\n"
		"                    supported\n"
		"  -display none     accepted (there is no display)\n"
		"  -net none, -monitor none|null\n"
		"                    accepted (there is no network card and\n"
		"                    no monitor console)\n"
		"  -no-reboot        end the run when the guest resets or\n"
		"                    triple-faults instead of rebooting\n"
		"  -drive file=F,index=N,media=disk,format=raw[,if=ide]"
		"[,readonly=on]\n"
		"                    an IDE disk from the raw image F; index "
		"0..3 =\n"
		"                    primary master, primary slave, secondary "
		"master,\n"
		"                    secondary slave (cache= is accepted; "
		"writes go\n"
		"                    to F at once; snapshot= is not "
		"supported)\n"
		"  -hda/-hdb/-hdc/-hdd FILE\n"
		"                    the same as -drive file=FILE,index=0..3\n"
		"  -smp N            accepted; the guest gets one processor\n"
		"  -device pc-testdev\n"
		"                    QEMU's test device (ports 0xe0-0xeb,\n"
		"                    0x2000-0x2017, MMIO 0xff000000), for\n"
		"                    kvm-unit-tests\n"
		"  -device isa-debug-exit[,iobase=PORT][,iosize=N]\n"
		"                    one more debug exit port (QEMU's default\n"
		"                    0x501, size 2); the one at 0xf4 (size 4)\n"
		"                    is always there\n"
		"  -gdb tcp::PORT    wait for gdb on 127.0.0.1:PORT "
		"(tcp:ADDR:PORT:\n"
		"                    another address); gdb attaches with\n"
		"                    'target remote localhost:PORT'\n"
		"  -s                the same as -gdb tcp::1234\n"
		"  -S                do not start the guest until gdb says "
		"so\n"
		"  -p PORT           with -s: the port (as old QEMU)\n"
		"\n"
		"bt386:\n"
		"  --engine=ENGINE   bt (binary translation of guest code; "
		"the\n"
		"                    default) or interp (the interpreter)\n"
		"  --direct-exec     run guest user code natively on the host "
		"CPU\n"
		"                    (with --engine=bt): faster user compute, "
		"weaker\n"
		"                    containment; for trusted guests only "
		"(README)\n"
		"  --user-tlb=MODE   how translated user code reaches guest\n"
		"                    memory: on (a software TLB), off (host\n"
		"                    mappings) or auto (per address space, "
		"the\n"
		"                    cheaper one; the default)\n"
		"  --kernel-tlb=MODE how translated kernel code reaches guest\n"
		"                    memory: off (host mappings, the default)\n"
		"                    or on (a software TLB: no host call for\n"
		"                    the guest's page tables, a check per "
		"access)\n"
		"  --cache-size=SIZE code cache size (default 64M)\n"
		"  --trace=LIST      bt: print each translated block beside\n"
		"                    the guest code, both disassembled;\n"
		"                    perf: write /tmp/perf-PID.map, so that\n"
		"                    perf report names translated code\n"
		"  --stats           print counters when the run ends\n"
		"  --no-sandbox      do not confine bt386 with its seccomp\n"
		"                    allowlist (for debugging bt386 only: the\n"
		"                    allowlist is what stops guest code that\n"
		"                    escaped from using the host)\n"
		"  --check-host      list the host features bt386 uses and "
		"exit\n"
		"  --help, --version\n"
		"\n"
		"Console: when stdin is a terminal, Ctrl-A x quits, Ctrl-A n "
		"sends an NMI\n(the NMI button), Ctrl-A h helps.\n"
		"\n"
		"Debugging: while gdb has breakpoints or watchpoints, or "
		"steps, or the\n"
		"guest enables breakpoints in DR7, the guest runs under the "
		"interpreter.\n"
		"\n"
		"Exit status: (v << 1) | 1 when the guest writes v to the "
		"debug-exit\n"
		"port 0xf4 (as QEMU's isa-debug-exit); 0 when the guest halts "
		"for\n"
		"good or the user quits; 1 for bad input or a monitor error; 2 "
		"when\n"
		"the guest crashes (triple fault with -no-reboot, or an "
		"instruction\n"
		"the engine cannot run).\n");
}

/* Parse -m: a number with an optional K/M/G suffix; bare numbers are MiB. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift;

	if (strncmp(s, "size=", 5) == 0)
		s += 5;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 0:
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case 'K':
	case 'k':
		shift = 10;
		break;
	default:
		return -1;
	}
	/* Out of range, not wrapped (2^44 + 64 MiB once became 64 MiB). */
	v = v > (ULLONG_MAX >> shift) ? ULLONG_MAX : v << shift;
	if (*end && end[1] && !(end[1] == 'B' && !end[2]))
		return -1;
	*out = v;
	return 0;
}

/* Is argv[*i] the option `name` (with one or two dashes)? Sets *val. */
static bool opt(int argc, char **argv, int *i, const char *name, bool has_arg,
		const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (a[0] != '-')
		return false;
	a += (a[1] == '-') ? 2 : 1;
	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == 0) {
		if (!has_arg)
			return true;
		if (*i + 1 >= argc) {
			mon_error("option '%s' needs an argument (try --help)",
				  argv[*i]);
			exit(MON_EXIT_ERROR);
		}
		*val = argv[++*i];
		return true;
	}
	if (a[n] == '=' && has_arg) {
		*val = a + n + 1;
		return true;
	}
	if (a[n] == '=') {
		mon_error("option '-%s' takes no argument", name);
		exit(MON_EXIT_ERROR);
	}
	return false;
}

/* Next comma-separated item of a QEMU option value (",," is a comma). */
static char *next_item(char **p)
{
	char *start = *p, *w = *p, *r = *p;

	if (!*r)
		return NULL;
	while (*r) {
		if (*r == ',' && r[1] == ',') {
			*w++ = ',';
			r += 2;
		} else if (*r == ',') {
			r++;
			break;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	*p = r;
	return start;
}

static void add_drive(struct machine_options *o, int index, const char *file,
		      bool readonly, const char *flag)
{
	if (index < 0) {
		for (index = 0; index < MACHINE_MAX_DRIVES; index++)
			if (!o->drive[index].file)
				break;
		if (index == MACHINE_MAX_DRIVES) {
			mon_error("%s: all four IDE positions are taken", flag);
			exit(MON_EXIT_ERROR);
		}
	}
	if (o->drive[index].file) {
		mon_error("%s: IDE index %d is already given to %s", flag,
			  index, o->drive[index].file);
		exit(MON_EXIT_ERROR);
	}
	o->drive[index].file = file;
	o->drive[index].readonly = readonly;
}

/* -drive file=F,index=N,media=disk,format=raw[,if=ide][,readonly=on] */
static void parse_drive(struct machine_options *o, const char *arg)
{
	char *copy = strdup(arg), *p = copy, *item;
	const char *file = NULL;
	int index = -1;
	bool readonly = false;

	if (!copy) {
		mon_error("out of memory");
		exit(MON_EXIT_ERROR);
	}
	while ((item = next_item(&p))) {
		char *eq = strchr(item, '=');
		const char *val = eq ? eq + 1 : "";

		if (eq)
			*eq = 0;
		if (strcmp(item, "file") == 0 && *val) {
			file = val;
		} else if (strcmp(item, "index") == 0) {
			char *end;
			long n = strtol(val, &end, 10);
			if (!*val || *end || n < 0 || n >= MACHINE_MAX_DRIVES) {
				mon_error("-drive index=%s: give 0..3 (primary "
					  "master/slave, secondary "
					  "master/slave)",
					  val);
				exit(MON_EXIT_ERROR);
			}
			index = (int)n;
		} else if (strcmp(item, "media") == 0) {
			if (strcmp(val, "disk") != 0) {
				mon_error("-drive media=%s: only media=disk is "
					  "supported",
					  val);
				exit(MON_EXIT_ERROR);
			}
		} else if (strcmp(item, "format") == 0) {
			if (strcmp(val, "raw") != 0) {
				mon_error("-drive format=%s: only raw images "
					  "are supported",
					  val);
				exit(MON_EXIT_ERROR);
			}
		} else if (strcmp(item, "if") == 0) {
			if (strcmp(val, "ide") != 0) {
				mon_error("-drive if=%s: only if=ide is "
					  "supported",
					  val);
				exit(MON_EXIT_ERROR);
			}
		} else if (strcmp(item, "readonly") == 0) {
			if (!strcmp(val, "on") || !strcmp(val, "") ||
			    !strcmp(val, "true"))
				readonly = true;
			else if (!strcmp(val, "off") || !strcmp(val, "false"))
				readonly = false;
			else {
				mon_error("-drive readonly=%s: give on or off",
					  val);
				exit(MON_EXIT_ERROR);
			}
		} else if (strcmp(item, "cache") == 0) {
			/* Every mode is safe here: writes reach the file
			 * when the guest completes them. */
		} else {
			mon_error("-drive: key '%s' is not supported (file, "
				  "index, media, format, if, readonly, cache)",
				  item);
			exit(MON_EXIT_ERROR);
		}
	}
	if (!file) {
		mon_error("-drive %s: no file= given", arg);
		exit(MON_EXIT_ERROR);
	}
	add_drive(o, index, file, readonly, "-drive");
	/* copy stays allocated: o->drive[].file points into it */
}

/*
 * -device NAME[,...]: pc-testdev (QEMU's test device, for kvm-unit-tests)
 * is added; isa-debug-exit adds a debug exit port where QEMU's would be
 * (its defaults: iobase=0x501, iosize=2); the one at 0xf4 is always there.
 */
static void parse_device(struct machine_options *o, const char *arg)
{
	char *copy = strdup(arg), *p = copy, *name, *item;
	unsigned long base = 0x501, size = 2;

	if (!copy) {
		mon_error("out of memory");
		exit(MON_EXIT_ERROR);
	}
	name = next_item(&p);
	if (name && strcmp(name, "pc-testdev") == 0 && !*p) {
		o->pc_testdev = true;
	} else if (name && strcmp(name, "isa-debug-exit") == 0) {
		while ((item = next_item(&p))) {
			unsigned long *v = NULL;
			char *end = item;

			if (!strncmp(item, "iobase=", 7))
				v = &base;
			else if (!strncmp(item, "iosize=", 7))
				v = &size;
			if (v) {
				errno = 0;
				*v = strtoul(item + 7, &end, 0);
			}
			if (!v || errno || *end || item[7] == 0) {
				mon_error("-device isa-debug-exit: '%s': give "
					  "iobase=PORT and iosize=1, 2 or 4",
					  item);
				exit(MON_EXIT_ERROR);
			}
		}
		if (base > 0xffff || (size != 1 && size != 2 && size != 4) ||
		    base + size > 0x10000) {
			mon_error("-device isa-debug-exit: iobase=0x%lx, "
				  "iosize=%lu: not 1, 2 or 4 I/O ports",
				  base, size);
			exit(MON_EXIT_ERROR);
		}
		if (base != 0xf4) {
			o->debug_exit_port = (uint16_t)base;
			o->debug_exit_size = (uint16_t)size;
		}
	} else {
		mon_error("-device %s: not supported (bt386 has "
			  "isa-debug-exit and pc-testdev)",
			  arg);
		exit(MON_EXIT_ERROR);
	}
	free(copy);
}

/* -smp N or -smp cpus=N[,...]: the guest gets one processor. */
static void parse_smp(const char *arg)
{
	const char *s = strncmp(arg, "cpus=", 5) == 0 ? arg + 5 : arg;
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || n < 1 || (*end && *end != ',')) {
		mon_error("-smp %s: not a number of processors", arg);
		exit(MON_EXIT_ERROR);
	}
	if (n > 1)
		fprintf(stderr,
			"bt386: -smp %ld: this version gives the guest one "
			"processor\n",
			n);
}

/*
 * -boot c, -boot order=c (once=c, menu=on|off, strict=on|off too): the
 * first hard disk is the only boot device bt386 has, so any other drive
 * letter (a floppy, d a CD-ROM, n the network) is refused.
 */
static void parse_boot(const char *arg)
{
	char *copy = strdup(arg), *p = copy, *item;

	if (!copy) {
		mon_error("out of memory");
		exit(MON_EXIT_ERROR);
	}
	while ((item = next_item(&p))) {
		const char *drives = item;

		if (!strncmp(item, "order=", 6) || !strncmp(item, "once=", 5))
			drives = strchr(item, '=') + 1;
		else if (!strcmp(item, "menu=on") ||
			 !strcmp(item, "menu=off") ||
			 !strcmp(item, "strict=on") ||
			 !strcmp(item, "strict=off"))
			continue;
		else if (strchr(item, '='))
			drives = "";
		if (!*drives || strspn(drives, "c") != strlen(drives)) {
			mon_error("-boot %s: bt386 boots only from the first "
				  "hard disk (-boot c or -boot order=c)",
				  arg);
			exit(MON_EXIT_ERROR);
		}
	}
	free(copy);
}

/* -gdb, -s, -S, -p: the gdb stub. */
struct gdb_options {
	const char *spec; /* -gdb SPEC */
	bool s;		  /* -s */
	bool start_stopped;
	const char *port; /* -p PORT */
};

static struct gdb_options gdb_opt;

static void parse_args(int argc, char **argv, struct machine_options *o)
{
	static const char *const hd[MACHINE_MAX_DRIVES] = {"hda", "hdb", "hdc",
							   "hdd"};
	static const char *const hd_flag[MACHINE_MAX_DRIVES] = {"-hda", "-hdb",
								"-hdc", "-hdd"};
	const char *v = NULL;
	bool smp_seen = false;
	int hdi;

	for (int i = 1; i < argc; i++) {
		for (hdi = 0; hdi < MACHINE_MAX_DRIVES; hdi++)
			if (opt(argc, argv, &i, hd[hdi], true, &v))
				break;
		if (hdi < MACHINE_MAX_DRIVES) {
			add_drive(o, hdi, v, false, hd_flag[hdi]);
		} else if (opt(argc, argv, &i, "drive", true, &v)) {
			parse_drive(o, v);
		} else if (opt(argc, argv, &i, "smp", true, &v)) {
			if (!smp_seen)
				parse_smp(v);
			smp_seen = true;
		} else if (opt(argc, argv, &i, "device", true, &v)) {
			parse_device(o, v);
		} else if (opt(argc, argv, &i, "boot", true, &v)) {
			parse_boot(v);
		} else if (opt(argc, argv, &i, "kernel", true, &v)) {
			o->kernel = v;
		} else if (opt(argc, argv, &i, "bios", true, &v)) {
			o->bios = v;
		} else if (opt(argc, argv, &i, "append", true, &v)) {
			o->append = v;
		} else if (opt(argc, argv, &i, "initrd", true, &v)) {
			o->initrd = v;
		} else if (opt(argc, argv, &i, "m", true, &v)) {
			if (parse_size(v, &o->mem_size) < 0) {
				mon_error(
					"-m %s: not a memory size (e.g. 128M)",
					v);
				exit(MON_EXIT_ERROR);
			}
			if (o->mem_size > MEM_MAX_SIZE) {
				mon_error("-m %s: too large (at most %u MiB)",
					  v, MEM_MAX_SIZE >> 20);
				exit(MON_EXIT_ERROR);
			}
		} else if (opt(argc, argv, &i, "nographic", false, &v)) {
			/* serial on stdio is the default */
		} else if (opt(argc, argv, &i, "serial", true, &v)) {
			if (strcmp(v, "stdio") != 0 && strcmp(v, "mon:stdio")) {
				mon_error("-serial %s: only stdio is supported",
					  v);
				exit(MON_EXIT_ERROR);
			}
		} else if (opt(argc, argv, &i, "net", true, &v)) {
			if (strcmp(v, "none") != 0) {
				mon_error("-net %s: bt386 has no network "
					  "card; only -net none is accepted",
					  v);
				exit(MON_EXIT_ERROR);
			}
		} else if (opt(argc, argv, &i, "monitor", true, &v)) {
			if (strcmp(v, "none") != 0 && strcmp(v, "null") != 0) {
				mon_error("-monitor %s: bt386 has no monitor "
					  "console (Ctrl-A h on the serial "
					  "console lists its keys); -monitor "
					  "none and null are accepted",
					  v);
				exit(MON_EXIT_ERROR);
			}
		} else if (opt(argc, argv, &i, "display", true, &v)) {
			if (strcmp(v, "none") != 0) {
				mon_error("-display %s: bt386 has no display; "
					  "use -display none or leave it out",
					  v);
				exit(MON_EXIT_ERROR);
			}
		} else if (opt(argc, argv, &i, "gdb", true, &v)) {
			gdb_opt.spec = v;
		} else if (opt(argc, argv, &i, "s", false, &v)) {
			gdb_opt.s = true;
		} else if (opt(argc, argv, &i, "S", false, &v)) {
			gdb_opt.start_stopped = true;
		} else if (opt(argc, argv, &i, "p", true, &v)) {
			gdb_opt.port = v;
		} else if (opt(argc, argv, &i, "no-reboot", false, &v)) {
			o->no_reboot = true;
		} else if (opt(argc, argv, &i, "engine", true, &v)) {
			if (strcmp(v, "interp") == 0) {
				o->engine = ENGINE_INTERP;
			} else if (strcmp(v, "bt") == 0) {
				o->engine = ENGINE_BT;
			} else {
				mon_error("--engine=%s: unknown engine "
					  "(interp or bt)",
					  v);
				exit(MON_EXIT_ERROR);
			}
		} else if (opt(argc, argv, &i, "cache-size", true, &v)) {
			if (parse_size(v, &o->cache_size) < 0 ||
			    o->cache_size < (16u << 10) ||
			    o->cache_size > (1u << 30)) {
				mon_error("--cache-size=%s: give 16K..1G", v);
				exit(MON_EXIT_ERROR);
			}
		} else if (opt(argc, argv, &i, "no-sandbox", false, &v)) {
			o->no_sandbox = true;
		} else if (opt(argc, argv, &i, "direct-exec", false, &v)) {
			o->direct_exec = true;
		} else if (opt(argc, argv, &i, "user-tlb", true, &v)) {
			if (!strcmp(v, "auto")) {
				o->user_tlb = USER_TLB_AUTO;
			} else if (!strcmp(v, "on")) {
				o->user_tlb = USER_TLB_ON;
			} else if (!strcmp(v, "off")) {
				o->user_tlb = USER_TLB_OFF;
			} else {
				mon_error("--user-tlb=%s: give auto, on or off",
					  v);
				exit(MON_EXIT_ERROR);
			}
		} else if (opt(argc, argv, &i, "kernel-tlb", true, &v)) {
			if (strcmp(v, "on") && strcmp(v, "off")) {
				mon_error("--kernel-tlb=%s: give on or off", v);
				exit(MON_EXIT_ERROR);
			}
			o->kernel_tlb = strcmp(v, "on") ? KERNEL_TLB_OFF
							: KERNEL_TLB_ON;
		} else if (opt(argc, argv, &i, "stats", false, &v)) {
			o->stats = true;
		} else if (opt(argc, argv, &i, "trace", true, &v)) {
			o->trace = v;
		} else if (opt(argc, argv, &i, "check-host", false, &v)) {
			exit(mon_check_host(o->engine, o->direct_exec, true) < 0
				     ? MON_EXIT_ERROR
				     : MON_EXIT_OK);
		} else if (opt(argc, argv, &i, "help", false, &v) ||
			   opt(argc, argv, &i, "h", false, &v)) {
			usage(stdout);
			exit(MON_EXIT_OK);
		} else if (opt(argc, argv, &i, "version", false, &v)) {
			printf("bt386 %s\n", PACKAGE_VERSION);
			exit(MON_EXIT_OK);
		} else if (argv[i][0] == '-') {
			mon_error("unknown option '%s' (try --help)", argv[i]);
			exit(MON_EXIT_ERROR);
		} else {
			mon_error("unexpected argument '%s' (a kernel is given "
				  "with -kernel FILE; try --help)",
				  argv[i]);
			exit(MON_EXIT_ERROR);
		}
	}
}

/* Open the gdb stub's socket if asked (before the sandbox). */
static int start_gdbstub(char *err, size_t errlen)
{
	char spec[32];

	if (!gdb_opt.spec && !gdb_opt.s && !gdb_opt.port) {
		if (gdb_opt.start_stopped) {
			snprintf(err, errlen,
				 "-S waits for gdb: give -s or -gdb tcp::PORT "
				 "too");
			return -1;
		}
		return 0;
	}
	if (!gdb_opt.spec) {
		snprintf(spec, sizeof(spec), "tcp::%s",
			 gdb_opt.port ? gdb_opt.port : "1234");
		gdb_opt.spec = spec;
	}
	if (gdbstub_listen(gdb_opt.spec, gdb_opt.start_stopped, err, errlen) <
	    0)
		return -1;
	sandbox_allow_accept(gdbstub_listen_fd());
	return 0;
}

/* --trace=LIST: comma-separated channels (bt, perf). */
static int open_trace(const char *list)
{
	char buf[64], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *c = strtok_r(buf, ",", &save); c;
	     c = strtok_r(NULL, ",", &save)) {
		if (strcmp(c, "bt") == 0) {
			bt_trace_on = true;
		} else if (strcmp(c, "perf") == 0 && !bt_perf_map) {
			char path[64];

			snprintf(path, sizeof(path), "/tmp/perf-%d.map",
				 (int)getpid());
			bt_perf_map = fopen(path, "w");
			if (!bt_perf_map) {
				mon_error("--trace=perf: %s: %s", path,
					  strerror(errno));
				return -1;
			}
		} else if (strcmp(c, "perf") != 0) {
			mon_error("--trace=%s: unknown channel (bt, perf)", c);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct machine m;
	char err[512];
	int status;

	m.opt.mem_size = 128ull << 20;
	m.opt.engine = ENGINE_BT;
	m.opt.builtin_image = bt386_demo_elf;
	m.opt.builtin_size = (size_t)(bt386_demo_elf_end - bt386_demo_elf);
	parse_args(argc, argv, &m.opt);

	if (m.opt.trace && open_trace(m.opt.trace) < 0)
		return MON_EXIT_ERROR;
	if (m.opt.initrd && !m.opt.kernel) {
		mon_error("-initrd needs a Linux kernel (-kernel bzImage)");
		return MON_EXIT_ERROR;
	}
	if (m.opt.bios && m.opt.kernel) {
		mon_error("-bios and -kernel cannot be combined: the image "
			  "given with -bios replaces the firmware that loads "
			  "kernels");
		return MON_EXIT_ERROR;
	}
	stats_start_ns = mon_now_ns();
	if (m.opt.direct_exec && m.opt.engine == ENGINE_INTERP) {
		mon_error("--direct-exec needs --engine=bt");
		return MON_EXIT_ERROR;
	}
	if (mon_check_host(m.opt.engine, m.opt.direct_exec, false) < 0)
		return MON_EXIT_ERROR;
	if (start_gdbstub(err, sizeof(err)) < 0) {
		mon_error("%s", err);
		return MON_EXIT_ERROR;
	}
	if (machine_init(&m, err, sizeof(err)) < 0 ||
	    machine_boot(&m, err, sizeof(err)) < 0) {
		mon_error("%s", err);
		return MON_EXIT_ERROR;
	}
	if (!m.opt.kernel && !m.opt.bios && !dev_bios_wanted(&m))
		fprintf(stderr, "bt386: no -kernel given: booting the built-in "
				"demo guest (see --help)\n");
	console_init();
	if (mon_events_start(&m) < 0)
		return MON_EXIT_ERROR;
	if (m.bt_on && bt_user_tlb_start(&m) < 0)
		fprintf(stderr,
			"bt386: --user-tlb=auto: no CPU-time timer (%s); "
			"user code keeps the software TLB\n",
			strerror(errno));
	if (m.opt.stats && !m.opt.direct_exec && profile_start(&m) < 0)
		fprintf(stderr, "bt386: --stats: no time profile (%s)\n",
			strerror(errno));
	/* Everything is open and every thread runs: confine the process
	 * before the first guest instruction (monitor/sandbox.h). */
	if (!m.opt.no_sandbox && sandbox_confine(err, sizeof(err)) < 0) {
		mon_error("%s", err);
		return MON_EXIT_ERROR;
	}
	status = mon_run(&m);
	console_flush();
	mon_events_stop();
	console_restore();
	if (m.opt.stats) {
		stats_print(stderr);
		profile_print(stderr);
	}
	return status;
}

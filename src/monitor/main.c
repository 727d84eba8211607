/*
 * main.c - the bt386 command line.
 *
 * Flags follow QEMU where they mean the same thing (-kernel, -append, -m,
 * -nographic, -no-reboot, -serial stdio), so course Makefiles can swap the
 * emulator binary; bt386's own flags are long options (--engine, --stats,
 * --trace). Either one or two leading dashes are accepted, and values may
 * follow as the next argument or after '='.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "bt/bt.h"
#include "monitor/console.h"
#include "monitor/monitor.h"
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
		"                    multiboot kernel (ELF); without it, the\n"
		"                    built-in demo guest boots\n"
		"  -initrd FILE      initial ramdisk for a Linux kernel\n"
		"  -append STRING    kernel command line\n"
		"  -m SIZE           guest RAM, e.g. 64, 128M, 1G (default "
		"128M;\n"
		"                    a bare number means MiB)\n"
		"  -nographic        serial console on stdio (the default)\n"
		"  -serial stdio     the same; other backends are not "
		"supported\n"
		"  -display none     accepted (there is no display)\n"
		"  -no-reboot        end the run when the guest resets or\n"
		"                    triple-faults instead of rebooting\n"
		"\n"
		"bt386:\n"
		"  --engine=ENGINE   bt (binary translation of kernel code; "
		"the\n"
		"                    default) or interp (the interpreter)\n"
		"  --cache-size=SIZE code cache size (default 64M)\n"
		"  --trace=bt        print each translated block beside the\n"
		"                    guest code, both disassembled\n"
		"  --stats           print counters when the run ends\n"
		"  --check-host      list the host features bt386 uses and "
		"exit\n"
		"  --help, --version\n"
		"\n"
		"Console: when stdin is a terminal, Ctrl-A x quits, Ctrl-A h "
		"helps.\n"
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
		v <<= 20;
		break;
	case 'G':
	case 'g':
		v <<= 30;
		break;
	case 'K':
	case 'k':
		v <<= 10;
		break;
	default:
		return -1;
	}
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

static void parse_args(int argc, char **argv, struct machine_options *o)
{
	const char *v = NULL;

	for (int i = 1; i < argc; i++) {
		if (opt(argc, argv, &i, "kernel", true, &v)) {
			o->kernel = v;
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
		} else if (opt(argc, argv, &i, "nographic", false, &v)) {
			/* serial on stdio is the default */
		} else if (opt(argc, argv, &i, "serial", true, &v)) {
			if (strcmp(v, "stdio") != 0 && strcmp(v, "mon:stdio")) {
				mon_error("-serial %s: only stdio is supported",
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
		} else if (opt(argc, argv, &i, "stats", false, &v)) {
			o->stats = true;
		} else if (opt(argc, argv, &i, "trace", true, &v)) {
			o->trace = v;
		} else if (opt(argc, argv, &i, "check-host", false, &v)) {
			exit(mon_check_host(o->engine, true) < 0
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

	if (m.opt.trace) {
		if (strcmp(m.opt.trace, "bt") != 0) {
			mon_error("--trace=%s: unknown channel (bt)",
				  m.opt.trace);
			return MON_EXIT_ERROR;
		}
		bt_trace_on = true;
	}
	if (m.opt.initrd && !m.opt.kernel) {
		mon_error("-initrd needs a Linux kernel (-kernel bzImage)");
		return MON_EXIT_ERROR;
	}
	stats_start_ns = mon_now_ns();
	if (mon_check_host(m.opt.engine, false) < 0)
		return MON_EXIT_ERROR;
	if (machine_init(&m, err, sizeof(err)) < 0 ||
	    machine_boot(&m, err, sizeof(err)) < 0) {
		mon_error("%s", err);
		return MON_EXIT_ERROR;
	}
	if (!m.opt.kernel)
		fprintf(stderr, "bt386: no -kernel given: booting the built-in "
				"demo guest (see --help)\n");
	console_init();
	if (mon_events_start(&m) < 0)
		return MON_EXIT_ERROR;
	status = mon_run(&m);
	console_flush();
	mon_events_stop();
	console_restore();
	if (m.opt.stats)
		stats_print(stderr);
	return status;
}

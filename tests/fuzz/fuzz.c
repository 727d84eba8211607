/*
 * fuzz - run bt386 on seeded random-code guests and count what must never
 * happen: monitor crashes, hangs (no exit, or deaf to SIGTERM), sandbox
 * violations, monitor errors, and guest code stopping the VM.
 *
 * Each run boots tests/fuzz/fuzzguest.elf with -append "seed=N ...": the
 * guest builds its machine and its random code from the seed
 * (fuzzguest.c). Runs cycle over the engines asked for; seeds count up
 * from --seed. A run is "contained" (ring 3 random code only, the guest's
 * tables and APICs out of its reach) or, for --mixed percent of the seeds,
 * "mixed" (also ring 0 random code, user-writable page tables, IOPL 3
 * chunks). A contained run must end with the guest's "fuzz: done" line:
 * nothing ring 3 does may stop, reset, hang or crash the machine. A mixed
 * run may end any way a guest can end (triple fault, halt, reset, its own
 * debug-exit value, looping with interrupts off until the timeout); only
 * the monitor's failures count there.
 *
 * Every --sigterm-every'th run is sent SIGTERM at a random moment and must
 * be gone within a second; a run that reaches --timeout is sent SIGTERM
 * and must be gone within a second too (else it is killed and counted as
 * a hang).
 *
 * Known limitations are counted apart and fail the run only with
 * --strict: the interpreter's missing x87/SSE ("not supported by the
 * interpreter") and direct execution's documented holes ("direct
 * execution: ...", docs/direct-execution.md).
 *
 *   fuzz [--bt386 PATH] [--guest PATH] [--seconds S] [--runs N]
 *        [--seed N] [--engine interp,bt,de,qemu|all] [--timeout S]
 *        [--chunks N] [--mixed PCT] [--fpu PCT] [--sigterm-every N]
 *        [--strict] [--verbose]
 *
 * Exit status 0 when no failure was seen, 1 otherwise, 2 on bad usage.
 * tests/fuzz/README.md has the details and how to run it for an hour.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX (256 * 1024)

enum outcome {
	/* fine */
	O_DONE,		 /* the guest finished its chunks */
	O_GUEST_END,	 /* mixed: the guest ended itself somehow */
	O_GUEST_TIMEOUT, /* mixed: still running at the timeout */
	O_SIGTERM_OK,	 /* stopped by our SIGTERM within a second */
	O_KNOWN_UNSUP,	 /* interpreter without x87/SSE */
	O_KNOWN_DE,	 /* direct execution's documented holes */
	/* failures */
	O_CRASH,      /* killed by a signal */
	O_HANG,	      /* alive a second after SIGTERM */
	O_STALL,      /* contained run that did not finish in time */
	O_SANDBOX,    /* seccomp violation */
	O_MONITOR,    /* monitor error (status 1 with a message) */
	O_VMSTOP,     /* guest code stopped the VM */
	O_UNEXPECTED, /* contained run ended another way */
	O_COUNT
};

static const char *const outcome_names[O_COUNT] = {"done",
						   "guest-ended",
						   "guest-timeout",
						   "sigterm-ok",
						   "known-unsupported",
						   "known-de-hole",
						   "CRASH",
						   "HANG",
						   "STALL",
						   "SANDBOX",
						   "MONITOR-ERROR",
						   "VM-STOP",
						   "UNEXPECTED"};

static bool is_failure(enum outcome o, bool strict)
{
	if (o >= O_CRASH)
		return true;
	return strict && (o == O_KNOWN_UNSUP || o == O_KNOWN_DE);
}

struct opts {
	const char *bt386, *guest, *qemu;
	double seconds, timeout;
	long runs;
	uint32_t seed, chunks;
	unsigned mixed_pct, fpu_pct, sigterm_every;
	bool strict, verbose;
	bool all; /* --engine all: what this host can run */
	const char *engines[4];
	int nengines;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A mix of the seed: the run's parameters follow from the seed alone. */
static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

struct run {
	uint32_t seed;
	const char *engine;
	bool mixed, sigterm, nohole;
	unsigned fpu;
	double sigterm_at;
	char append[160];
	char *argv[24];
	int argc;
	/* results */
	char out[OUT_MAX + 1];
	size_t outlen;
	int status;
	bool exited, timed_out, sent_term, died_after_term;
	double elapsed;
};

static void build_argv(struct run *r, const struct opts *o)
{
	int n = 0;

	snprintf(r->append, sizeof(r->append),
		 "seed=%u chunks=%u ring0=%u fpu=%u mixed=%u nohole=%u",
		 r->seed, o->chunks, r->mixed ? 10 : 0, r->fpu, r->mixed,
		 r->nohole);
	if (!strcmp(r->engine, "qemu")) {
		r->argv[n++] = (char *)o->qemu;
		r->argv[n++] = "-kernel";
		r->argv[n++] = (char *)o->guest;
		r->argv[n++] = "-append";
		r->argv[n++] = r->append;
		r->argv[n++] = "-m";
		r->argv[n++] = "64M";
		r->argv[n++] = "-display";
		r->argv[n++] = "none";
		r->argv[n++] = "-serial";
		r->argv[n++] = "stdio";
		r->argv[n++] = "-monitor";
		r->argv[n++] = "none";
		r->argv[n++] = "-no-reboot";
		r->argv[n++] = "-device";
		r->argv[n++] = "isa-debug-exit,iobase=0xf4,iosize=0x04";
	} else {
		r->argv[n++] = (char *)o->bt386;
		if (!strcmp(r->engine, "de")) {
			r->argv[n++] = "--engine=bt";
			r->argv[n++] = "--direct-exec";
		} else if (!strcmp(r->engine, "bt")) {
			r->argv[n++] = "--engine=bt";
		} else {
			r->argv[n++] = "--engine=interp";
		}
		r->argv[n++] = "-m";
		r->argv[n++] = "64M";
		r->argv[n++] = "-nographic";
		r->argv[n++] = "-no-reboot";
		r->argv[n++] = "-kernel";
		r->argv[n++] = (char *)o->guest;
		r->argv[n++] = "-append";
		r->argv[n++] = r->append;
	}
	r->argv[n] = NULL;
	r->argc = n;
}

static void drain(int fd, struct run *r)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t room = OUT_MAX - r->outlen;
		size_t k = (size_t)n < room ? (size_t)n : room;

		/* Guest code writes any byte to the UART: keep the text
		 * searchable. */
		for (size_t j = 0; j < k; j++)
			r->out[r->outlen + j] = buf[j] ? buf[j] : '.';
		r->outlen += k;
	}
}

/* Wait for the child until `deadline`, reading its output. */
static bool wait_until(pid_t pid, int fd, struct run *r, double deadline)
{
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		double left = deadline - now();
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid) {
			drain(fd, r);
			r->status = st;
			r->exited = true;
			return true;
		}
		if (left <= 0)
			return false;
		if (poll(&p, 1, left > 0.02 ? 20 : (int)(left * 1000) + 1) > 0)
			drain(fd, r);
	}
}

static int execute(struct run *r, const struct opts *o)
{
	int pfd[2];
	pid_t pid;
	double t0 = now(), deadline;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(r->argv[0], r->argv);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	r->outlen = 0;
	deadline = t0 + (r->sigterm ? r->sigterm_at : o->timeout);
	if (!wait_until(pid, pfd[0], r, deadline)) {
		r->timed_out = !r->sigterm;
		r->sent_term = true;
		kill(pid, SIGTERM);
		r->died_after_term = wait_until(pid, pfd[0], r, now() + 1.0);
		if (!r->died_after_term) {
			kill(pid, SIGKILL);
			wait_until(pid, pfd[0], r, now() + 10.0);
		}
	}
	close(pfd[0]);
	r->out[r->outlen] = 0;
	r->elapsed = now() - t0;
	return 0;
}

static bool has(const struct run *r, const char *s)
{
	return strstr(r->out, s) != NULL;
}

static enum outcome classify(const struct run *r)
{
	bool qemu = !strcmp(r->engine, "qemu");
	int st;

	if (r->sent_term && !r->died_after_term)
		return O_HANG;
	if (has(r, "sandbox: blocked system call"))
		return O_SANDBOX;
	if (has(r, "did not stop within"))
		return O_HANG;
	if (r->sent_term) {
		if (r->sigterm)
			return O_SIGTERM_OK;
		return r->mixed ? O_GUEST_TIMEOUT : O_STALL;
	}
	if (WIFSIGNALED(r->status))
		return O_CRASH;
	st = WEXITSTATUS(r->status);
	if (st == 1 && has(r, "fuzz: done"))
		return O_DONE;
	if (!qemu && st == 1 && has(r, "bt386:"))
		return O_MONITOR;
	if (!qemu && st == 2 && !has(r, "triple-faulted")) {
		if (has(r, "is not supported by the interpreter") ||
		    has(r, "not implemented in the interpreter"))
			return O_KNOWN_UNSUP;
		if (!strcmp(r->engine, "de") && has(r, "direct execution:"))
			return O_KNOWN_DE;
		return O_VMSTOP;
	}
	if (st == 127)
		return O_MONITOR; /* exec failed */
	return r->mixed ? O_GUEST_END : O_UNEXPECTED;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz [--bt386 PATH] [--guest PATH] [--qemu PATH] "
		"[--seconds S] [--runs N]\n"
		"            [--seed N] [--engine LIST|all] [--timeout S] "
		"[--chunks N]\n"
		"            [--mixed PCT] [--fpu PCT] [--sigterm-every N] "
		"[--strict] [--verbose]\n"
		"  LIST: comma-separated interp, bt, de, qemu (all = "
		"interp,bt,de)\n");
	exit(2);
}

static void parse_engines(struct opts *o, const char *list)
{
	static char copy[128];
	char *tok, *save = NULL;

	o->all = !strcmp(list, "all");
	if (o->all)
		list = "interp,bt,de";
	snprintf(copy, sizeof(copy), "%s", list);
	o->nengines = 0;
	for (tok = strtok_r(copy, ",", &save); tok && o->nengines < 4;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "interp") && strcmp(tok, "bt") &&
		    strcmp(tok, "de") && strcmp(tok, "qemu")) {
			fprintf(stderr, "fuzz: unknown engine '%s'\n", tok);
			usage();
		}
		o->engines[o->nengines++] = tok;
	}
	if (!o->nengines)
		usage();
}

/* Whether `bt386 --direct-exec --check-host` finds what it needs. */
static bool host_runs_de(const char *bt386)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return false;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(bt386, bt386, "--direct-exec", "--check-host",
		      (char *)NULL);
		_exit(127);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static const char *default_path(const char *env, const char *rel)
{
	const char *top = getenv("top_builddir");
	static char buf[2][4096];
	static int k;
	char *b = buf[k++ & 1];

	if (getenv(env))
		return getenv(env);
	snprintf(b, sizeof(buf[0]), "%s/%s", top ? top : ".", rel);
	return b;
}

static void print_cmd(const struct run *r)
{
	printf("    ");
	for (int i = 0; i < r->argc; i++)
		printf(strchr(r->argv[i], ' ') ? "\"%s\" " : "%s ", r->argv[i]);
	printf("\n");
}

static void print_tail(const struct run *r, int lines)
{
	const char *p = r->out + r->outlen;
	int n = 0;

	while (p > r->out && n <= lines)
		if (*--p == '\n')
			n++;
	if (*p == '\n')
		p++;
	for (const char *q = p; *q; q++)
		if (*q != '\r')
			putchar(*q);
	if (r->outlen && r->out[r->outlen - 1] != '\n')
		putchar('\n');
}

int main(int argc, char **argv)
{
	static struct run r;
	struct opts o = {
		.seconds = 60,
		.timeout = 20,
		.runs = -1,
		.seed = 1,
		.chunks = 1500,
		.mixed_pct = 25,
		.fpu_pct = 30,
		.sigterm_every = 5,
	};
	unsigned long counts[4][O_COUNT] = {{0}};
	unsigned long failures = 0, total = 0;
	double t0;

	o.bt386 = default_path("BT386", "bt386");
	o.guest = default_path("FUZZ_GUEST", "tests/fuzz/fuzzguest.elf");
	o.qemu = getenv("QEMU_I386") && *getenv("QEMU_I386")
			 ? getenv("QEMU_I386")
			 : "qemu-system-i386";
	parse_engines(&o, "all");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define OPT(name) (!strcmp(a, name) && v && ++i)
		if (OPT("--bt386"))
			o.bt386 = v;
		else if (OPT("--guest"))
			o.guest = v;
		else if (OPT("--qemu"))
			o.qemu = v;
		else if (OPT("--seconds"))
			o.seconds = atof(v);
		else if (OPT("--runs"))
			o.runs = atol(v);
		else if (OPT("--seed"))
			o.seed = (uint32_t)strtoul(v, NULL, 0);
		else if (OPT("--engine"))
			parse_engines(&o, v);
		else if (OPT("--timeout"))
			o.timeout = atof(v);
		else if (OPT("--chunks"))
			o.chunks = (uint32_t)atol(v);
		else if (OPT("--mixed"))
			o.mixed_pct = (unsigned)atoi(v);
		else if (OPT("--fpu"))
			o.fpu_pct = (unsigned)atoi(v);
		else if (OPT("--sigterm-every"))
			o.sigterm_every = (unsigned)atoi(v);
		else if (!strcmp(a, "--strict"))
			o.strict = true;
		else if (!strcmp(a, "--verbose"))
			o.verbose = true;
		else
			usage();
#undef OPT
	}
	if (access(o.guest, R_OK) != 0) {
		fprintf(stderr, "fuzz: %s: %s\n", o.guest, strerror(errno));
		return 2;
	}
	if (o.all && !host_runs_de(o.bt386)) {
		printf("fuzz: this host cannot run --direct-exec (bt386 "
		       "--direct-exec --check-host says why): de left out\n");
		parse_engines(&o, "interp,bt");
	}

	printf("fuzz: seed %u, engines", o.seed);
	for (int e = 0; e < o.nengines; e++)
		printf(" %s", o.engines[e]);
	printf(", %.0f s or %ld runs, timeout %.0f s, %u chunks, %u%% "
	       "mixed, %u%% fpu\n",
	       o.seconds, o.runs, o.timeout, o.chunks, o.mixed_pct, o.fpu_pct);
	fflush(stdout);

	t0 = now();
	for (long i = 0; o.runs < 0 || i < o.runs; i++) {
		uint32_t h;
		enum outcome oc;
		int e = (int)(i % o.nengines);

		if (now() - t0 >= o.seconds)
			break;
		memset(&r, 0, sizeof(r));
		r.seed = o.seed + (uint32_t)(i / o.nengines);
		r.engine = o.engines[e];
		h = mix(r.seed);
		r.mixed = h % 100 < o.mixed_pct;
		/* fpu=1: x87/SSE on; 0: off (CR0.EM); 2: on, no x87/SSE
		 * templates. Direct execution runs only with CR0.EM and TS
		 * clear: 2 rather than 0 there. */
		r.fpu = (h >> 8) % 100 < o.fpu_pct ? 1
			: !strcmp(r.engine, "de")  ? 2
						   : 0;
		/* Under direct execution most runs avoid the holes that
		 * stop the guest at once (0x33, syscall), to reach the rest. */
		r.nohole = !strcmp(r.engine, "de") && (h >> 24) % 100 >= 30;
		r.sigterm = o.sigterm_every &&
			    (i % o.sigterm_every) == o.sigterm_every - 1;
		r.sigterm_at = 0.05 + ((h >> 16) % 400) / 1000.0;
		build_argv(&r, &o);
		if (execute(&r, &o) < 0) {
			perror("fuzz: fork");
			return 2;
		}
		oc = classify(&r);
		counts[e][oc]++;
		total++;
		if (o.verbose || is_failure(oc, o.strict)) {
			printf("%s: seed %u engine %s%s%s%s: %s (%.2f s)\n",
			       is_failure(oc, o.strict) ? "FAIL" : "run",
			       r.seed, r.engine, r.mixed ? " mixed" : "",
			       r.fpu == 1   ? " fpu"
			       : r.fpu == 2 ? " fpu2"
					    : "",
			       r.nohole ? " nohole" : "", outcome_names[oc],
			       r.elapsed);
			if (is_failure(oc, o.strict)) {
				print_cmd(&r);
				print_tail(&r, 6);
			} else if (oc != O_DONE) {
				print_tail(&r, 1);
			}
			fflush(stdout);
		}
		if (is_failure(oc, o.strict))
			failures++;
	}

	printf("fuzz: %lu runs in %.0f s\n", total, now() - t0);
	for (int e = 0; e < o.nengines; e++) {
		unsigned long n = 0;

		for (int k = 0; k < O_COUNT; k++)
			n += counts[e][k];
		printf("  %-6s %5lu runs:", o.engines[e], n);
		for (int k = 0; k < O_COUNT; k++)
			if (counts[e][k] || k >= O_CRASH)
				printf(" %s %lu", outcome_names[k],
				       counts[e][k]);
		printf("\n");
	}
	printf("fuzz: %lu failures (crashes, hangs, stalls, sandbox "
	       "violations, monitor errors, VM stops, unexpected ends)\n",
	       failures);
	return failures ? 1 : 0;
}

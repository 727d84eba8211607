/*
 * stats.c - the counters of --stats and their report.
 */
#include "monitor/stats.h"
#include "monitor/opcost.h"

#include "bt/bt.h"
#include "bt/decode.h"
#include "mmu/shadow.h"
#include "monitor/timer.h"

struct stats stats;
uint64_t stats_start_ns;

/* TSC frequency from a short calibration against CLOCK_MONOTONIC. */
static double tsc_hz(void)
{
	uint64_t t0 = mon_now_ns(), c0 = __builtin_ia32_rdtsc(), t1, c1;

	do {
		t1 = mon_now_ns();
	} while (t1 - t0 < 20000000);
	c1 = __builtin_ia32_rdtsc();
	return (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
}

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "15",  "#MF", "#AC", "#MC", "#XM",
};

/* Print the `top` largest entries of a per-operation array. */
static void print_top_ops(FILE *out, const char *title, const uint64_t *by_op,
			  int top)
{
	uint64_t total = 0, last = UINT64_MAX;

	for (unsigned op = 0; op < X86_OP_COUNT; op++)
		total += by_op[op];
	if (!total)
		return;
	fprintf(out, "  %s (top %d of %llu):\n", title, top,
		(unsigned long long)total);
	for (int shown = 0; shown < top; shown++) {
		uint64_t best = 0;
		unsigned best_op = 0;

		for (unsigned op = 0; op < X86_OP_COUNT; op++)
			if (by_op[op] < last && by_op[op] > best) {
				best = by_op[op];
				best_op = op;
			}
		if (!best)
			break;
		fprintf(out, "    %-14s %14llu  %5.1f%%\n",
			x86_op_name(best_op), (unsigned long long)best,
			100.0 * (double)best / (double)total);
		last = best;
	}
}

/* "  what: N, how M (P%)" for the M of N that did not miss; nothing
 * when N is 0. */
static void print_hits(FILE *out, const char *what, const char *how, uint64_t n,
		       uint64_t misses)
{
	if (!n)
		return;
	fprintf(out, "  %s: %llu, %s %llu (%.2f%%)\n", what,
		(unsigned long long)n, how, (unsigned long long)(n - misses),
		100.0 * (double)(n - misses) / (double)n);
}

void stats_print(FILE *out)
{
	fprintf(out, "bt386 statistics:\n");
#define STATS_PRINT(name, desc)                             \
	if (stats.name)                                     \
		fprintf(out, "  %-26s %14llu  %s\n", #name, \
			(unsigned long long)stats.name, desc);
	STATS_COUNTERS(STATS_PRINT)
#undef STATS_PRINT
	for (unsigned v = 0; v < 32; v++)
		if (stats.exceptions_by_vector[v])
			fprintf(out, "  exception %-16s %14llu\n",
				vector_names[v] ? vector_names[v] : "?",
				(unsigned long long)
					stats.exceptions_by_vector[v]);
	if (stats.insns_bt) {
		char how[160];
		uint64_t interp = stats.bt_interp_fallbacks +
				  stats.bt_kernel_interp_steps;
		uint64_t kernel = stats.insns_bt + stats.bt_kernel_interp_steps;

		fprintf(out,
			"  kernel instructions: %llu, interpreted %llu "
			"(%.4f%%), callouts %llu\n",
			(unsigned long long)kernel, (unsigned long long)interp,
			100.0 * (double)interp / (double)kernel,
			(unsigned long long)stats.bt_callouts);
		bt_kernel_tlb_describe(how, sizeof(how));
		fprintf(out, "  kernel code reaches guest memory through %s\n",
			how);
	}
	print_hits(out, "indirect-branch lookups", "hits", stats.bt_ibl_lookups,
		   stats.bt_ibl_misses);
	print_hits(out, "near returns", "through the return stack",
		   stats.bt_rs_returns, stats.bt_rs_misses);
	opcost_print(out);
	if (stats.shadow_fills || stats.shadow_pages_peak) {
		struct shadow_info si;

		shadow_get_info(&si);
		fprintf(out,
			"  shadow: %u pages mapped in about %u host VMAs "
			"(budget %u / %u), %u frames traced, %llu untraced, "
			"%llu evicted, %llu host mmap/mprotect calls "
			"(%llu of them refills of a dropped page's frame)\n",
			si.pages_mapped, si.vmas_estimate, si.max_pages,
			si.max_vmas, si.frames_traced,
			(unsigned long long)si.untraces,
			(unsigned long long)si.evictions,
			(unsigned long long)si.host_calls,
			(unsigned long long)si.ghost_hits);
	}
	if (stats.de_runs) {
		/* No portable instruction counter: direct execution is
		 * measured in time, and the share is of wall-clock time. */
		double secs = (double)(mon_now_ns() - stats_start_ns) / 1e9;
		double de_secs = (double)stats.de_cycles / tsc_hz();

		fprintf(out,
			"  direct execution: %.3f s of %.3f s (%.1f%% of the "
			"run), %llu entries; estimated %.0f guest "
			"instructions at 1 per cycle\n",
			de_secs, secs, secs > 0 ? 100.0 * de_secs / secs : 0.0,
			(unsigned long long)stats.de_runs,
			(double)stats.de_cycles);
	}
	print_top_ops(out, "interpreter instructions by operation",
		      stats.interp_by_op, 12);
	print_top_ops(out, "translator callouts by operation",
		      stats.bt_callouts_by_op, 12);
	print_top_ops(out, "translator fallbacks to the interpreter",
		      stats.bt_interp_by_op, 12);
}

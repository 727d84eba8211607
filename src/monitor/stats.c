/*
 * stats.c - the counters of --stats and their report.
 */
#include "monitor/stats.h"

#include "bt/decode.h"

struct stats stats;

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
		uint64_t interp = stats.bt_interp_fallbacks +
				  stats.bt_kernel_interp_steps;
		uint64_t kernel = stats.insns_bt + stats.bt_kernel_interp_steps;

		fprintf(out,
			"  kernel instructions: %llu, interpreted %llu "
			"(%.4f%%), callouts %llu\n",
			(unsigned long long)kernel, (unsigned long long)interp,
			100.0 * (double)interp / (double)kernel,
			(unsigned long long)stats.bt_callouts);
	}
	print_top_ops(out, "interpreter instructions by operation",
		      stats.interp_by_op, 12);
	print_top_ops(out, "translator callouts by operation",
		      stats.bt_callouts_by_op, 12);
	print_top_ops(out, "translator fallbacks to the interpreter",
		      stats.bt_interp_by_op, 12);
}

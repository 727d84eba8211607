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

void stats_print(FILE *out)
{
	uint64_t total = 0;

	fprintf(out, "bt386 statistics:\n");
#define STATS_PRINT(name, desc)                             \
	if (stats.name)                                     \
		fprintf(out, "  %-22s %14llu  %s\n", #name, \
			(unsigned long long)stats.name, desc);
	STATS_COUNTERS(STATS_PRINT)
#undef STATS_PRINT
	for (unsigned v = 0; v < 32; v++)
		if (stats.exceptions_by_vector[v])
			fprintf(out, "  exception %-12s %14llu\n",
				vector_names[v] ? vector_names[v] : "?",
				(unsigned long long)
					stats.exceptions_by_vector[v]);
	for (unsigned op = 0; op < X86_OP_COUNT; op++)
		total += stats.interp_by_op[op];
	if (total) {
		fprintf(out,
			"  interpreter instructions by operation "
			"(top 12 of %llu):\n",
			(unsigned long long)total);
		/* Selection of the largest counters, without sorting a copy. */
		uint64_t last = UINT64_MAX;
		for (int shown = 0; shown < 12; shown++) {
			uint64_t best = 0;
			unsigned best_op = 0;

			for (unsigned op = 0; op < X86_OP_COUNT; op++) {
				uint64_t c = stats.interp_by_op[op];

				if (c < last && c > best) {
					best = c;
					best_op = op;
				}
			}
			if (!best)
				break;
			fprintf(out, "    %-12s %14llu  %5.1f%%\n",
				x86_op_name(best_op), (unsigned long long)best,
				100.0 * (double)best / (double)total);
			last = best;
		}
	}
}

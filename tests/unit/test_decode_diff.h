/*
 * test_decode_diff.h - differential comparison of x86_decode() against
 * capstone 4, shared by the unit test and tests/unit/decode_agreement.
 *
 * For each byte string both decoders see the same 16 bytes; they agree
 * when both reject it, or both accept it with the same length. Where
 * they disagree, the case is classified (by opcode) and checked against
 * the list of known capstone 4 defects in test_decode_diff.c; operands
 * are compared for integer instructions where the two models map onto
 * each other.
 */
#ifndef BT386_TESTS_UNIT_TEST_DECODE_DIFF_H
#define BT386_TESTS_UNIT_TEST_DECODE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DIFF_MAX_CLASSES 4096

struct diff_class {
	char key[96];
	unsigned long count;
	uint8_t example[16];
	unsigned example_len;
};

struct diff_stats {
	const char *name; /* e.g. "random 32-bit" */
	bool code32;
	unsigned long total;
	unsigned long agree;	  /* validity and length agree */
	unsigned long excluded;	  /* disagreements that are known cs bugs */
	unsigned long both_valid; /* both accepted with the same length */
	unsigned long opnd_checked, opnd_agree;
	struct diff_class *len_classes; /* [DIFF_MAX_CLASSES] */
	unsigned nr_len_classes;
	struct diff_class *excl_classes;
	unsigned nr_excl_classes;
	struct diff_class *opnd_classes;
	unsigned nr_opnd_classes;
};

struct diff_ctx; /* capstone handles for both modes */

struct diff_ctx *diff_open(void);
void diff_close(struct diff_ctx *ctx);

void diff_stats_init(struct diff_stats *st, const char *name, bool code32);
void diff_stats_free(struct diff_stats *st);

/* Compare one byte string (up to 16 bytes; shorter ones are padded by
 * neither side: both see exactly n bytes). Returns true on agreement
 * (including excluded known capstone bugs). */
bool diff_one(struct diff_ctx *ctx, struct diff_stats *st, const uint8_t *bytes,
	      size_t n);

/* Seeded random byte strings: uniform bytes, or biased towards the 0F
 * maps and prefixes when `biased`. */
void diff_random(struct diff_ctx *ctx, struct diff_stats *st,
		 unsigned long count, uint64_t seed, bool biased);

/* Agreement on validity+length, in percent, excluding known capstone bugs
 * from the disagreements; and the raw rate. */
double diff_rate(const struct diff_stats *st);
double diff_raw_rate(const struct diff_stats *st);
double diff_opnd_rate(const struct diff_stats *st);

/* Print the rates and the `top` largest disagreement classes. */
void diff_report(FILE *f, const struct diff_stats *st, unsigned top);

/* The documented known capstone 4 bugs (name, example, reason). */
struct diff_exclusion {
	const char *name;
	const char *example;
	const char *why;
};
extern const struct diff_exclusion diff_exclusions[];
extern const unsigned diff_nr_exclusions;

#endif

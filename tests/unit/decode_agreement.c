/*
 * decode_agreement.c - print the decoder's agreement with capstone 4, and
 * measure its speed.
 *
 * Usage: decode_agreement [N [SEED [TOP]]]
 *   N random byte strings per mode and kind (default 200000). Prints, per
 *   mode, the agreement on validity and length over the hand-written
 *   corpus, uniform random bytes and random bytes biased towards
 *   prefixes and the 0F maps, then the TOP largest disagreement classes.
 * Usage: decode_agreement --code ELF32-FILE
 *   Linear sweep of the file's .text as 32-bit code (e.g. an i386 libc),
 *   compared with capstone instruction by instruction, then timed.
 * Usage: decode_agreement --bench
 *   Time the decoder over the corpus.
 * Diagnostic only: the unit test enforces the thresholds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bt/decode.h"
#include "test_decode_corpus.h"
#include "test_decode_diff.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Decode `buf` linearly until `want` instructions, five times; report
 * the best round (the machine is shared and noisy). */
static void time_sweep(const uint8_t *buf, size_t n, unsigned long want,
		       const char *what)
{
	struct x86_insn in;
	unsigned long insns = 0, sum = 0;
	double best = 1e9;

	for (int round = 0; round < 5; round++) {
		double t0 = now();
		insns = 0;
		while (insns < want) {
			for (size_t off = 0; off < n; insns++) {
				int r = x86_decode(&in, buf + off, n - off,
						   true);
				off += r > 0 ? (size_t)r : 1;
				sum += (unsigned long)r;
			}
		}
		double dt = now() - t0;
		if (dt < best)
			best = dt;
	}
	printf("decode speed (%s): %lu instructions in %.3f s (best of 5) = "
	       "%.1f M insn/s, %.1f ns/insn (checksum %lu)\n",
	       what, insns, best, (double)insns / best / 1e6,
	       best * 1e9 / (double)insns, sum);
}

/* The .text section of an ELF32 file (NULL if not found). */
static uint8_t *load_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *img = NULL, *text = NULL;
	long size;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 52 ||
	    fseek(f, 0, SEEK_SET) || !(img = malloc((size_t)size)) ||
	    fread(img, 1, (size_t)size, f) != (size_t)size)
		goto out;
	if (memcmp(img, "\177ELF", 4) || img[4] != 1)
		goto out;
	uint32_t shoff, shstr;
	uint16_t shentsize, shnum, shstrndx;
	memcpy(&shoff, img + 32, 4);
	memcpy(&shentsize, img + 46, 2);
	memcpy(&shnum, img + 48, 2);
	memcpy(&shstrndx, img + 50, 2);
	if (shoff + (uint64_t)shnum * shentsize > (uint64_t)size ||
	    shstrndx >= shnum)
		goto out;
	memcpy(&shstr, img + shoff + shstrndx * shentsize + 16, 4);
	for (unsigned i = 0; i < shnum; i++) {
		const uint8_t *sh = img + shoff + i * shentsize;
		uint32_t name, off, sz;
		memcpy(&name, sh, 4);
		memcpy(&off, sh + 16, 4);
		memcpy(&sz, sh + 20, 4);
		if (shstr + name + 6 <= (uint64_t)size &&
		    !strcmp((const char *)img + shstr + name, ".text") &&
		    off + (uint64_t)sz <= (uint64_t)size) {
			text = malloc(sz);
			if (text) {
				memcpy(text, img + off, sz);
				*len = sz;
			}
			break;
		}
	}
out:
	free(img);
	if (f)
		fclose(f);
	return text;
}

static int code_mode(const char *path)
{
	size_t n = 0;
	uint8_t *text = load_text(path, &n);
	struct diff_ctx *ctx = diff_open();
	struct diff_stats st;
	struct x86_insn in;

	if (!text || !ctx) {
		fprintf(stderr, "decode_agreement: cannot load %s\n", path);
		return 1;
	}
	diff_stats_init(&st, "linear sweep of .text, 32-bit", true);
	for (size_t off = 0; off < n;) {
		size_t k = n - off < 16 ? n - off : 16;
		diff_one(ctx, &st, text + off, k);
		int r = x86_decode(&in, text + off, n - off, true);
		off += r > 0 ? (size_t)r : 1;
	}
	diff_report(stdout, &st, 25);
	diff_stats_free(&st);
	diff_close(ctx);
	time_sweep(text, n, 20000000, path);
	free(text);
	return 0;
}

static int bench_mode(void)
{
	uint8_t buf[16384];
	size_t n = 0;

	/* the valid 32-bit corpus entries, back to back */
	while (n + 16 < sizeof(buf))
		for (unsigned i = 0;
		     i < decode_corpus_len && n + 16 < sizeof(buf); i++) {
			const struct corpus_entry *e = &decode_corpus[i];
			if (e->code32 && e->len > 0) {
				memcpy(buf + n, e->bytes, e->nbytes);
				n += e->nbytes;
			}
		}
	time_sweep(buf, n, 20000000, "corpus");
	return 0;
}

int main(int argc, char **argv)
{
	decode_corpus_init();
	if (argc > 2 && !strcmp(argv[1], "--code"))
		return code_mode(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench_mode();

	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x386;
	unsigned top = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 25;
	struct diff_ctx *ctx = diff_open();

	if (!ctx) {
		fprintf(stderr, "decode_agreement: cannot open capstone\n");
		return 1;
	}
	printf("%-24s %10s %10s %10s %10s\n", "set", "cases", "agree%", "raw%",
	       "operands%");
	for (int mode = 0; mode < 2; mode++) {
		bool code32 = mode == 1;
		struct diff_stats st[3];
		diff_stats_init(&st[0],
				code32 ? "corpus 32-bit" : "corpus 16-bit",
				code32);
		diff_stats_init(&st[1],
				code32 ? "random 32-bit" : "random 16-bit",
				code32);
		diff_stats_init(&st[2],
				code32 ? "0F-biased 32-bit"
				       : "0F-biased 16-bit",
				code32);
		for (unsigned i = 0; i < decode_corpus_len; i++) {
			const struct corpus_entry *e = &decode_corpus[i];
			if (e->code32 == code32)
				diff_one(ctx, &st[0], e->bytes, e->nbytes);
		}
		diff_random(ctx, &st[1], n, seed + (uint64_t)mode, false);
		diff_random(ctx, &st[2], n, seed + 2 + (uint64_t)mode, true);
		for (int k = 0; k < 3; k++)
			printf("%-24s %10lu %10.4f %10.4f %10.4f\n", st[k].name,
			       st[k].total, diff_rate(&st[k]),
			       diff_raw_rate(&st[k]), diff_opnd_rate(&st[k]));
		for (int k = 0; k < 3; k++) {
			diff_report(stdout, &st[k], top);
			diff_stats_free(&st[k]);
		}
	}
	printf("\nknown capstone 4 bugs excluded:\n");
	for (unsigned i = 0; i < diff_nr_exclusions; i++)
		printf("  %s (%s): %s\n", diff_exclusions[i].name,
		       diff_exclusions[i].example, diff_exclusions[i].why);
	diff_close(ctx);
	return 0;
}

/*
 * test_decode.c - unit tests of the x86 decoder and its opcode table.
 *
 * (a) a hand-written corpus (test_decode_corpus.c) with expected
 *     lengths, operations, operands and segments, 16- and 32-bit;
 * (b) differential runs against capstone 4 on the corpus and on seeded
 *     random byte strings (test_decode_diff.c), with the agreement rates
 *     and disagreement classes printed to stderr;
 * (c) consistency of every row of the table;
 * plus truncation at every length (with the bytes placed just before an
 * unmapped page, so an over-read faults) and x86_operand_bytes /
 * x86_op_name.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bt/decode.h"
#include "bt/optable_priv.h"
#include "test_decode_corpus.h"
#include "test_decode_diff.h"

/* ---- (a) the corpus ---------------------------------------------------- */

static const char *const reg_names[8] = {"eax", "ecx", "edx", "ebx",
					 "esp", "ebp", "esi", "edi"};
static const char *const seg_names[6] = {"es", "cs", "ss", "ds", "fs", "gs"};

static long parse_reg(const char *v)
{
	if (!strcmp(v, "none"))
		return X86_NOREG;
	for (int i = 0; i < 8; i++)
		if (!strcmp(v, reg_names[i]))
			return i;
	return -1;
}

static long parse_seg(const char *v)
{
	for (int i = 0; i < 6; i++)
		if (!strcmp(v, seg_names[i]))
			return i;
	return -1;
}

struct flag_name {
	const char *name;
	unsigned bit;
};
static const struct flag_name row_flags[] = {
	{"MODRM", X86_F_MODRM},	    {"LOCK", X86_F_LOCK},
	{"REP", X86_F_REP},	    {"STOP", X86_F_STOP},
	{"COND", X86_F_COND},	    {"BYTE_DEF", X86_F_BYTE_DEF},
	{"STACKSZ", X86_F_STACKSZ}, {"CPL0", X86_F_CPL0},
	{"IOPL", X86_F_IOPL},	    {"NOSUP", X86_F_NOSUP},
	{"NO64", X86_F_NO64},
};
static const struct flag_name prefix_bits[] = {
	{"LOCK", X86_P_LOCK},	      {"REP", X86_P_REP},
	{"REPNE", X86_P_REPNE},	      {"OPSIZE", X86_P_OPSIZE},
	{"ADDRSIZE", X86_P_ADDRSIZE}, {"SEG", X86_P_SEG},
};
static const char *const sens_names[] = {
	"NONE", "STACK",   "BRANCH", "FLAGS", "SEGREAD", "SEGLOAD", "FAR",
	"IO",	"SYSREAD", "PRIV",   "CPUID", "NO64",	 "FPU",	    "UD",
};

/* '+'-separated names -> bit mask; -1 on an unknown name. */
static long parse_bits(const char *v, const struct flag_name *t, unsigned n)
{
	long mask = 0;
	char buf[128], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, "+", &save); tok;
	     tok = strtok_r(NULL, "+", &save)) {
		unsigned i;
		for (i = 0; i < n && strcmp(t[i].name, tok); i++)
			;
		if (i == n)
			return -1;
		mask |= t[i].bit;
	}
	return mask;
}

/* Check one key=value expectation; returns NULL or a description. */
static const char *check_key(const struct x86_insn *in, const char *key,
			     const char *val, char *why, size_t whysz)
{
	long long want = 0, got = 0;
	bool numeric = true;

	if (!strcmp(key, "b") || !strcmp(key, "i")) {
		want = parse_reg(val);
		got = key[0] == 'b' ? in->base : in->index;
	} else if (!strcmp(key, "seg")) {
		want = parse_seg(val);
		got = in->seg;
	} else if (!strcmp(key, "sz")) {
		char buf[32], *save, *tok;
		unsigned i = 0;
		snprintf(buf, sizeof(buf), "%s", val);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save), i++) {
			unsigned w = (unsigned)strtoul(tok, NULL, 0);
			if (x86_operand_bytes(in, i) != w) {
				snprintf(why, whysz,
					 "operand %u is %u bytes, want %u", i,
					 x86_operand_bytes(in, i), w);
				return why;
			}
		}
		return NULL;
	} else if (!strcmp(key, "name")) {
		if (strcmp(in->info->name, val)) {
			snprintf(why, whysz, "name %s, want %s", in->info->name,
				 val);
			return why;
		}
		return NULL;
	} else if (!strcmp(key, "sens")) {
		unsigned s = in->info->sens;
		if (s >= sizeof(sens_names) / sizeof(sens_names[0]) ||
		    strcmp(sens_names[s], val)) {
			snprintf(why, whysz, "sens %u, want %s", s, val);
			return why;
		}
		return NULL;
	} else if (!strcmp(key, "f")) {
		want = parse_bits(val, row_flags,
				  sizeof(row_flags) / sizeof(row_flags[0]));
		got = in->info->flags & want;
	} else if (!strcmp(key, "p")) {
		want = parse_bits(val, prefix_bits,
				  sizeof(prefix_bits) / sizeof(prefix_bits[0]));
		got = in->prefixes;
	} else {
		numeric = false;
		want = strtoll(val, NULL, 0);
		if (!strcmp(key, "sc"))
			got = in->scale;
		else if (!strcmp(key, "d"))
			got = in->disp;
		else if (!strcmp(key, "imm"))
			got = in->imm;
		else if (!strcmp(key, "imm2"))
			got = in->imm2;
		else if (!strcmp(key, "os"))
			got = in->opsize;
		else if (!strcmp(key, "as"))
			got = in->addrsize;
		else if (!strcmp(key, "mem"))
			got = in->has_mem;
		else if (!strcmp(key, "n"))
			got = in->info->nr_operands;
		else if (!strcmp(key, "reg"))
			got = in->reg;
		else if (!strcmp(key, "map"))
			got = in->map;
		else {
			snprintf(why, whysz, "unknown key %s", key);
			return why;
		}
	}
	if (numeric && want < 0) {
		snprintf(why, whysz, "bad value %s=%s", key, val);
		return why;
	}
	if (got != want) {
		snprintf(why, whysz, "%s is %lld (0x%llx), want %s", key, got,
			 (unsigned long long)got, val);
		return why;
	}
	return NULL;
}

static const char *check_entry(const struct corpus_entry *e, char *why,
			       size_t whysz)
{
	struct x86_insn in;
	int r = x86_decode(&in, e->bytes, e->nbytes, e->code32);

	if (r != e->len) {
		snprintf(why, whysz, "returned %d, want %d", r, e->len);
		return why;
	}
	if (r == X86_DEC_INVALID &&
	    (in.info == NULL || in.info->sens != SENS_UD)) {
		snprintf(why, whysz, "invalid without a SENS_UD row");
		return why;
	}
	if (r <= 0)
		return NULL;
	if (in.len != r || in.info == NULL) {
		snprintf(why, whysz, "len field %u / info %p", in.len,
			 (const void *)in.info);
		return why;
	}
	if (in.info->op != e->op) {
		snprintf(why, whysz, "op %s, want %s", x86_op_name(in.info->op),
			 x86_op_name(e->op));
		return why;
	}
	char buf[256], *save, *tok;
	snprintf(buf, sizeof(buf), "%s", e->expect);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			snprintf(why, whysz, "bad expectation %s", tok);
			return why;
		}
		*eq = 0;
		const char *w = check_key(&in, tok, eq + 1, why, whysz);
		if (w)
			return w;
	}
	return NULL;
}

START_TEST(test_corpus)
{
	unsigned failures = 0;
	char why[160];

	for (unsigned i = 0; i < decode_corpus_len; i++) {
		const struct corpus_entry *e = &decode_corpus[i];
		const char *w = check_entry(e, why, sizeof(why));
		if (w) {
			fprintf(stderr, "corpus %s-bit [%s]: %s\n",
				e->code32 ? "32" : "16", e->hex, w);
			failures++;
		}
	}
	ck_assert_uint_ge(decode_corpus_len, 300);
	ck_assert_uint_eq(failures, 0);
}
END_TEST

/* Every prefix of a valid encoding is TRUNC, and the decoder never reads
 * past `avail`: the bytes end right before an inaccessible page. */
START_TEST(test_truncation_no_overread)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);

	for (unsigned i = 0; i < decode_corpus_len; i++) {
		const struct corpus_entry *e = &decode_corpus[i];
		struct x86_insn in;
		for (unsigned n = 0; n <= e->nbytes; n++) {
			uint8_t *at = map + pg - n;
			memcpy(at, e->bytes, n);
			int r = x86_decode(&in, at, n, e->code32);
			if (n == e->nbytes)
				ck_assert_int_eq(r, e->len);
			else if (e->len > 0 && n < (unsigned)e->len)
				ck_assert_msg(r == X86_DEC_TRUNC ||
						      r == X86_DEC_INVALID,
					      "[%s] with %u bytes: %d", e->hex,
					      n, r);
		}
	}
	munmap(map, (size_t)pg * 2);
}
END_TEST

/* A valid result is within avail and 15 bytes and consistent. */
START_TEST(test_random_sanity)
{
	uint64_t s = 0x5eed;
	uint8_t b[20];
	struct x86_insn in;

	for (unsigned i = 0; i < 200000; i++) {
		for (unsigned j = 0; j < sizeof(b); j++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			b[j] = (uint8_t)(s >> 56);
		}
		size_t avail = (s >> 8) % 21;
		int r = x86_decode(&in, b, avail, (i & 1) != 0);
		ck_assert(r == X86_DEC_TRUNC || r == X86_DEC_TOOLONG ||
			  r == X86_DEC_INVALID || r > 0);
		if (r <= 0)
			continue;
		ck_assert_int_le(r, (int)avail);
		ck_assert_int_le(r, X86_MAX_INSN_LEN);
		ck_assert_int_eq(in.len, r);
		ck_assert(in.info && in.info->op != X86_OP_INVALID);
		ck_assert(
			in.info->ext == EXT_NONE || in.info->ext == EXT_VAR ||
			in.info->ext == EXT_VEX3 || in.info->ext == EXT_VEX2 ||
			in.info->ext == EXT_EVEX || in.info->ext == EXT_3DNOW);
		ck_assert_int_eq(in.prefix_len + (in.enc ? 1 : 0) +
						 in.disp_len + in.imm_len +
						 in.imm2_len <=
					 r,
				 1);
		ck_assert(in.seg < X86_NR_SREGS);
		ck_assert(in.opsize == 2 || in.opsize == 4);
		if (in.has_mem && in.base != X86_NOREG)
			ck_assert_uint_lt(in.base, 8);
		if (!(in.prefixes & X86_P_LOCK))
			continue;
		ck_assert(in.info->flags & X86_F_LOCK);
		ck_assert(in.has_mem && in.mod != 3);
	}
}
END_TEST

/* ---- (c) the table ------------------------------------------------------- */

static bool modrm_kind(unsigned k)
{
	switch (k) {
	case OPK_E:
	case OPK_M:
	case OPK_R:
	case OPK_G:
	case OPK_S:
	case OPK_C:
	case OPK_D:
	case OPK_MM:
	case OPK_XMM:
	case OPK_ST:
	case OPK_Q:
	case OPK_W:
	case OPK_N:
	case OPK_U:
		return true;
	default:
		return false;
	}
}

static unsigned cc_reads(unsigned cc)
{
	static const unsigned r[8] = {
		X86_FL_OF,
		X86_FL_CF,
		X86_FL_ZF,
		X86_FL_CF | X86_FL_ZF,
		X86_FL_SF,
		X86_FL_PF,
		X86_FL_SF | X86_FL_OF,
		X86_FL_ZF | X86_FL_SF | X86_FL_OF,
	};
	return r[cc >> 1];
}

static unsigned rows_checked;

/* Check one instruction row; `where` names it in failures. */
static void check_row(const struct x86_opinfo *r, const char *where,
		      unsigned opcode, bool is_variant)
{
	rows_checked++;
	ck_assert_msg(r->name != NULL, "%s: no name", where);
	ck_assert_msg(r->op < X86_OP_COUNT, "%s: op out of range", where);
	ck_assert_msg(r->sens <= SENS_UD, "%s: sens out of range", where);
	ck_assert_msg(!is_variant || r->ext != EXT_VAR,
		      "%s: a variant with variants", where);
	if (r->ext >= EXT_GROUP) {
		ck_assert_msg(r->op == X86_OP_INVALID &&
				      (r->flags & X86_F_MODRM),
			      "%s: group escape", where);
		ck_assert_uint_lt(r->ext - EXT_GROUP, G_COUNT);
		return;
	}
	if (r->ext >= EXT_0F && r->ext <= EXT_0F3A)
		return;
	if (r->op == X86_OP_INVALID) {
		ck_assert_msg(r->sens == SENS_UD, "%s: invalid not UD", where);
		return;
	}
	unsigned n = 0;
	bool modrm = false;
	for (unsigned i = 0; i < 3; i++) {
		const struct x86_operand *o = &r->operand[i];
		if (o->kind == OPK_NONE)
			continue;
		ck_assert_msg(i == n, "%s: operand gap", where);
		n++;
		modrm |= modrm_kind(o->kind);
		if (r->flags & X86_F_BYTE_DEF)
			ck_assert_msg(
				o->size != SZ_V && o->size != SZ_Z &&
					o->size != SZ_P && o->size != SZ_A,
				"%s: BYTE_DEF with a sized operand", where);
	}
	ck_assert_msg(n == r->nr_operands, "%s: nr_operands", where);
	ck_assert_msg(!modrm || (r->flags & X86_F_MODRM),
		      "%s: ModRM operand without X86_F_MODRM", where);
	if (r->flags & X86_F_LOCK)
		ck_assert_msg(r->operand[0].kind == OPK_E ||
				      r->operand[0].kind == OPK_M,
			      "%s: lockable without a r/m destination", where);
	switch (r->op) {
	case X86_OP_JCC:
	case X86_OP_SETCC:
	case X86_OP_CMOVCC:
		ck_assert_msg(r->flags & X86_F_COND, "%s: no COND", where);
		ck_assert_msg(r->fl_read == cc_reads(opcode & 15),
			      "%s: condition flags", where);
		break;
	case X86_OP_MOVS:
	case X86_OP_CMPS:
	case X86_OP_STOS:
	case X86_OP_LODS:
	case X86_OP_SCAS:
	case X86_OP_INS:
	case X86_OP_OUTS:
		ck_assert_msg(r->flags & X86_F_REP, "%s: no REP", where);
		ck_assert_msg(r->fl_read & X86_FL_DF, "%s: DF", where);
		break;
	case X86_OP_X87:
	case X86_OP_MMX:
	case X86_OP_SSE:
	case X86_OP_FXSAVE:
	case X86_OP_FXRSTOR:
	case X86_OP_LDMXCSR:
	case X86_OP_STMXCSR:
		ck_assert_msg(r->flags & X86_F_NOSUP, "%s: FPU not NOSUP",
			      where);
		ck_assert_msg(r->sens == SENS_FPU, "%s: FPU sens", where);
		break;
	default:
		break;
	}
	if (r->flags & X86_F_COND)
		ck_assert_msg(r->op == X86_OP_JCC || r->op == X86_OP_SETCC ||
				      r->op == X86_OP_CMOVCC,
			      "%s: COND on a non-cc op", where);
	switch (r->op) {
	case X86_OP_JCC:
	case X86_OP_JMP:
	case X86_OP_JMP_IND:
	case X86_OP_CALL:
	case X86_OP_CALL_IND:
	case X86_OP_RET:
	case X86_OP_JCXZ:
	case X86_OP_LOOP:
	case X86_OP_LOOPE:
	case X86_OP_LOOPNE:
	case X86_OP_JMP_FAR:
	case X86_OP_JMP_FAR_IND:
	case X86_OP_CALL_FAR:
	case X86_OP_CALL_FAR_IND:
	case X86_OP_RETF:
	case X86_OP_INT:
	case X86_OP_INT3:
	case X86_OP_INTO:
	case X86_OP_INT1:
	case X86_OP_IRET:
	case X86_OP_HLT:
	case X86_OP_MOV_TO_CR:
	case X86_OP_LMSW:
	case X86_OP_SYSENTER:
	case X86_OP_SYSEXIT:
	case X86_OP_POPF:
	case X86_OP_UD2:
		ck_assert_msg(r->flags & X86_F_STOP, "%s: no STOP", where);
		break;
	case X86_OP_IN:
	case X86_OP_OUT:
	case X86_OP_INS:
	case X86_OP_OUTS:
		ck_assert_msg(r->sens == SENS_IO && (r->flags & X86_F_IOPL),
			      "%s: I/O", where);
		break;
	case X86_OP_CLI:
	case X86_OP_STI:
		ck_assert_msg(r->sens == SENS_FLAGS && (r->flags & X86_F_IOPL),
			      "%s: cli/sti", where);
		break;
	default:
		break;
	}
	if (r->sens == SENS_NO64)
		ck_assert_msg(r->flags & X86_F_NO64, "%s: NO64 flag", where);
	if (r->flags & X86_F_CPL0)
		ck_assert_msg(r->sens == SENS_PRIV || r->sens == SENS_FLAGS ||
				      r->sens == SENS_FAR,
			      "%s: CPL0 but not PRIV", where);
	if (r->sens == SENS_UD)
		ck_assert_msg(r->op == X86_OP_UD2, "%s: UD sens", where);
}

static void check_table(const struct x86_table *t, unsigned n, const char *what,
			bool full)
{
	char where[64];

	for (unsigned i = 0; i < n; i++) {
		const struct x86_opinfo *r = &t->rows[i];
		snprintf(where, sizeof(where), "%s[%02x]", what, i);
		if (!r->name) {
			/* a hole: an undefined opcode (op 0 = INVALID) */
			ck_assert_msg(!full, "%s: hole", where);
			ck_assert_msg(r->op == X86_OP_INVALID && !r->ext,
				      "%s: nameless row", where);
			continue;
		}
		check_row(r, where, i, false);
		bool has_var = false;
		for (unsigned v = 0; v < 3; v++) {
			if (!t->var[v] || !t->var[v][i].name)
				continue;
			has_var = true;
			snprintf(where, sizeof(where), "%s[%02x]/%s", what, i,
				 v == 0	  ? "66"
				 : v == 1 ? "f3"
					  : "f2");
			ck_assert_msg(r->ext == EXT_VAR,
				      "%s: variant of a plain row", where);
			check_row(&t->var[v][i], where, i, true);
		}
		snprintf(where, sizeof(where), "%s[%02x]", what, i);
		ck_assert_msg(r->ext != EXT_VAR || has_var,
			      "%s: EXT_VAR without variants", where);
	}
}

START_TEST(test_table_consistency)
{
	static const char *const names[4] = {"onebyte", "0f", "0f38", "0f3a"};
	char what[32];

	rows_checked = 0;
	for (unsigned m = 0; m < 4; m++)
		check_table(&x86_maps[m], 256, names[m], m < 2);
	for (unsigned g = 0; g < G_COUNT; g++) {
		const struct x86_group *gr = &x86_groups[g];
		snprintf(what, sizeof(what), "group%u.mem", g);
		ck_assert_ptr_nonnull(gr->mem.rows);
		check_table(&gr->mem, 8, what, false);
		if (gr->reg.rows) {
			snprintf(what, sizeof(what), "group%u.reg", g);
			check_table(&gr->reg, 8, what, false);
		}
		if (gr->rm.rows) {
			snprintf(what, sizeof(what), "group%u.rm", g);
			check_table(&gr->rm, 64, what, false);
		}
	}
	/* every group is reachable from exactly one escape row (8F's is
	 * reached through EXT_XOP) */
	unsigned refs[G_COUNT] = {0};
	refs[G_8F]++;
	for (unsigned m = 0; m < 4; m++)
		for (unsigned i = 0; i < 256; i++) {
			const struct x86_opinfo *r = &x86_maps[m].rows[i];
			if (r->ext >= EXT_GROUP)
				refs[r->ext - EXT_GROUP]++;
			for (unsigned v = 0; v < 3; v++)
				if (x86_maps[m].var[v] &&
				    x86_maps[m].var[v][i].ext >= EXT_GROUP)
					refs[x86_maps[m].var[v][i].ext -
					     EXT_GROUP]++;
		}
	for (unsigned g = 0; g < G_COUNT; g++)
		ck_assert_msg(refs[g] == 1, "group %u referenced %u times", g,
			      refs[g]);
	ck_assert_uint_gt(rows_checked, 1000);
}
END_TEST

START_TEST(test_operand_bytes_and_names)
{
	struct x86_insn in;
	const uint8_t far16[] = {0x66, 0xff, 0x18}; /* lcall m16:16 */
	const uint8_t bound[] = {0x62, 0x00};

	ck_assert_int_eq(x86_decode(&in, far16, sizeof(far16), true), 3);
	ck_assert_uint_eq(x86_operand_bytes(&in, 0), 4);
	ck_assert_uint_eq(x86_operand_bytes(&in, 1), 0); /* no operand 1 */
	ck_assert_int_eq(x86_decode(&in, bound, sizeof(bound), false), 2);
	ck_assert_uint_eq(x86_operand_bytes(&in, 1), 4); /* 2 x 16 bits */
	ck_assert_str_eq(x86_op_name(X86_OP_ADD), "add");
	ck_assert_str_eq(x86_op_name(X86_OP_CALL_FAR_IND), "call_far_ind");
	ck_assert_str_eq(x86_op_name(X86_OP_OTHER), "other");
	ck_assert_str_eq(x86_op_name(X86_OP_COUNT), "?");
	ck_assert_uint_eq(x86_insn_cc(&(struct x86_insn){.opcode = 0x8f}), 15);
}
END_TEST

/* ---- (b) capstone ---------------------------------------------------------- */

/*
 * Thresholds: lengths/validity must agree on >= 99.9% of the random byte
 * strings once the documented capstone bugs are excluded (measured:
 * 99.97-99.99%; what remains is VEX/EVEX vvvv/L/W constraints we do not
 * model and mixed 66+F2/F3 prefixes, where capstone lets the last one
 * win and we let F2/F3 win), and on the whole corpus; operands on
 * >= 99.9% of the integer instructions both accept. The seeds are fixed,
 * so the rates are reproducible; they are printed for the project's
 * notes.
 */
#define RANDOM_N 200000
#define MIN_RATE 99.9
#define MIN_OPND_RATE 99.9

START_TEST(test_vs_capstone)
{
	struct diff_ctx *ctx = diff_open();
	struct diff_stats all[2][3];
	ck_assert_ptr_nonnull(ctx);

	for (int mode = 0; mode < 2; mode++) {
		bool code32 = mode == 1;
		struct diff_stats *st = all[mode];
		diff_stats_init(&st[0],
				code32 ? "corpus 32-bit" : "corpus 16-bit",
				code32);
		diff_stats_init(&st[1],
				code32 ? "random 32-bit" : "random 16-bit",
				code32);
		diff_stats_init(&st[2],
				code32 ? "0F-biased random 32-bit"
				       : "0F-biased random 16-bit",
				code32);
		for (unsigned i = 0; i < decode_corpus_len; i++)
			if (decode_corpus[i].code32 == code32)
				diff_one(ctx, &st[0], decode_corpus[i].bytes,
					 decode_corpus[i].nbytes);
		diff_random(ctx, &st[1], RANDOM_N, 0x386 + (uint64_t)mode,
			    false);
		diff_random(ctx, &st[2], RANDOM_N / 2, 0x1386 + (uint64_t)mode,
			    true);
		for (int k = 0; k < 3; k++)
			diff_report(stderr, &st[k], 12);
	}
	diff_close(ctx);
	/* assert only after both modes are reported */
	for (int mode = 0; mode < 2; mode++) {
		struct diff_stats *st = all[mode];
		ck_assert_msg(diff_rate(&st[0]) == 100.0,
			      "%s disagrees with capstone", st[0].name);
		for (int k = 1; k < 3; k++) {
			ck_assert_msg(diff_rate(&st[k]) >= MIN_RATE,
				      "%s: %.4f%% < %.1f%%", st[k].name,
				      diff_rate(&st[k]), MIN_RATE);
			ck_assert_msg(diff_opnd_rate(&st[k]) >= MIN_OPND_RATE,
				      "%s operands: %.4f%%", st[k].name,
				      diff_opnd_rate(&st[k]));
		}
	}
	for (int mode = 0; mode < 2; mode++)
		for (int k = 0; k < 3; k++)
			diff_stats_free(&all[mode][k]);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_truncation_no_overread);
	tcase_add_test(tc, test_random_sanity);
	tcase_add_test(tc, test_table_consistency);
	tcase_add_test(tc, test_operand_bytes_and_names);
	tcase_add_test(tc, test_vs_capstone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	decode_corpus_init();
	SRunner *sr = srunner_create(decode_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

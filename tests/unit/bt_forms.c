/*
 * bt_forms.c - running instruction forms under the interpreter and the
 * translator (see bt_forms.h and the overview in test_bt_diff.c).
 *
 * Per case: a code address not marked for adaptive retranslation (the
 * translator remembers faulting EIPs for good), the generator's state
 * (registers, arithmetic flags, DF, data), IF at random, the segment
 * variant, with paging a random permission for each data page and
 * CR0.WP. After bd_run(): at least one block must have been translated,
 * and a fault must be precise. The category the instruction ran in
 * (native in the cache, callout, interpreter fallback, interpreter step)
 * is counted from the per-op statistics.
 */
#include "bt_forms.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt/bt_priv.h"
#include "bt_diff.h"
#include "x86.h"

struct fstat {
	unsigned cases, paging_cases, native, callout, fallback, stepped;
	unsigned faults, fails;
};

uint64_t bf_base_seed = 0x6274333836ull;
unsigned bf_default_cases = 200;
static bool verbose;
static unsigned nr_forms, nr_cases, nr_faults, nr_fails, nr_paging;
static unsigned nr_native_forms, nr_coverage_fails;

uint32_t bf_code;
int bf_seg = -1;  /* the segment variant (X_FS...), or -1 */
uint64_t bf_crng; /* variations outside the generator */
bool bf_paging;	  /* the case runs with paging on */
static unsigned nr_tolerated;

uint32_t bf_rnd(void)
{
	uint64_t z = (bf_crng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(z ^ (z >> 31));
}

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

/* A code address: 32-byte slots in four 64 KiB windows whose low 16 bits
 * stay in 0x1000..0x6fff (16-bit branches land on the hlt at 0..0x7fff),
 * never one the translator has marked for adaptive retranslation. */
static uint32_t pick_code(void)
{
	for (;;) {
		uint32_t r = bf_rnd();
		uint32_t eip = BD_CODE + (r % 4) * 0x10000 + 0x1000 +
			       ((r >> 2) % 0x300) * 32;

		if (!bt_adapt_is_marked(eip))
			return eip;
	}
}

/* The base of the case's segment variant. */
static uint32_t seg_base(int seg)
{
	return seg == X86_FS || seg == X86_DS ? BD_FS_BASE
	       : seg == X86_GS		      ? BD_GS_BASE
					      : 0;
}

/* Where a data access of the case lands (DS, or the override). */
uint32_t bf_seg_lin(uint32_t off)
{
	return off + seg_base(bf_seg);
}

/* Where the memory operand of the generated instruction lands: through
 * the variant's segment, unless it is an SS-relative EBP/ESP address. */
uint32_t bf_target_lin(const struct gen *g)
{
	struct x86_insn in;

	if (x86_decode(&in, g->c.code, g->c.len, true) > 0 && in.seg != bf_seg)
		return g->target;
	return bf_seg_lin(g->target);
}

/* Data pages whose PTEs the paging cases randomize. */
static const uint32_t data_pages[] = {
	D_LOW,
	D_DATA,
	D_DATA + 0x1000,
	D_STACK,
	D_STACK + 0x1000,
	BD_FS_DATA,
	BD_FS_DATA + 0x1000,
	BD_GS_DATA,
	BD_GS_DATA + 0x1000,
};
#define NR_DATA_PAGES (sizeof(data_pages) / sizeof(data_pages[0]))

void bf_randomize_ptes(void)
{
	for (size_t i = 0; i < NR_DATA_PAGES; i++) {
		uint32_t r = bf_rnd(), pte = data_pages[i] | X86_PTE_P |
					     X86_PTE_W | X86_PTE_A | X86_PTE_D;

		switch (r % 16) {
		case 0:
			pte &= ~X86_PTE_P;
			break;
		case 1:
		case 2:
			pte &= ~X86_PTE_W;
			break;
		}
		if (r & 0x100)
			pte &= ~X86_PTE_A;
		if (r & 0x200)
			pte &= ~X86_PTE_D;
		*bd_pte(data_pages[i]) = pte;
	}
}

void bf_reset_ptes(void)
{
	for (size_t i = 0; i < NR_DATA_PAGES; i++)
		*bd_pte(data_pages[i]) = data_pages[i] | X86_PTE_P | X86_PTE_W |
					 X86_PTE_A | X86_PTE_D;
}

static const uint16_t data_attr = X86_DESC_P | X86_DESC_S | X86_DESC_RW |
				  X86_DESC_A | X86_DESC_DB | X86_DESC_G;

/*
 * The segment variants. FS/GS (overrides) and DS get a nonzero base:
 * mostly with a 4 GiB limit and writable (FS/GS run inline, a non-flat
 * DS through callouts), sometimes with a limit around the operands (#GP)
 * or read-only (#GP on writes). ES and SS keep base 0 and get limits
 * (#GP, #SS); SS is never read-only (no such SS can be loaded).
 */
static struct x86_seg seg_variant(int seg)
{
	uint32_t base = seg_base(seg), r = bf_rnd() % 10;
	uint16_t small = data_attr & ~X86_DESC_G;

	if (seg == X86_SS)
		return r < 3 ? bd_seg(0, 0xffffffffu, small)
			     : bd_seg(0, D_STACK + 0xe00 + bf_rnd() % 0x400,
				      small);
	if (r < 6 && seg != X86_ES)
		return bd_seg(base, 0xffffffffu, data_attr);
	if (r < 8 || seg == X86_ES)
		return bd_seg(base, D_DATA + bf_rnd() % D_DATA_LEN, small);
	return bd_seg(base, 0xffffffffu, data_attr & ~X86_DESC_RW);
}

static bool exc_has_error(int v)
{
	return v == X86_EXC_DF || (v >= X86_EXC_TS && v <= X86_EXC_PF) ||
	       v == X86_EXC_AC;
}

/*
 * May the two engines touch the instruction's memory in a different order
 * (see bd_input.tolerate_read_order)? Only cmps: its two reads have no order the
 * architecture fixes. Read-modify-write instructions no longer qualify:
 * the interpreter makes one write-intent access as the processor does.
 */
bool bf_reads_unordered(const struct x86_insn *in)
{
	return in->info->op == X86_OP_CMPS;
}

/* A fault leaves the state of before the instruction (see the top). */
static bool check_precise(const struct gen *g, const struct x86_insn *in,
			  const struct bd_outcome *o)
{
	int v = o->vector;
	unsigned e = exc_has_error(v);
	uint32_t esp = o->regs[X86_ESP], frame[4];

	/* int n reaches the same vectors, without error codes. */
	if (in->info->op == X86_OP_INT || in->info->op == X86_OP_INT3 ||
	    in->info->op == X86_OP_INTO)
		return true;
	if (g->c.repeat || (v != X86_EXC_DE && v != X86_EXC_UD &&
			    v != X86_EXC_GP && v != X86_EXC_PF))
		return true;
	if (esp < D_STACK || esp + 16 > D_STACK + D_STACK_LEN)
		return true; /* ESP was an operand: nothing to read */
	memcpy(frame, bd_guest(esp), sizeof(frame));
	for (int r = 0; r < 8; r++)
		if (r != X86_ESP && o->regs[r] != g->c.regs[r])
			goto bad;
	if (frame[e] != bf_code || esp + 12 + 4 * e != g->c.regs[X86_ESP])
		goto bad;
	return true;
bad:
	fprintf(stderr,
		"IMPRECISE %s: exception %d at %08x pushed eip %08x, esp "
		"%08x (was %08x)\n",
		g->f->name, v, bf_code, frame[e], esp, g->c.regs[X86_ESP]);
	bd_print_outcome("bt", o);
	return false;
}

static bool run_case(const struct form *f, uint64_t seed, bool paging,
		     struct fstat *fs)
{
	struct gen g;
	struct bd_input in;
	struct bd_outcome ref, bt;
	struct bd_btstats st;
	struct x86_insn insn;
	int op = -1;
	bool ok;

	bf_crng = seed ^ 0x5bd1e9955bd1e995ull;
	bf_code = pick_code();
	bf_paging = paging;
	gen_case(&g, f, seed);
	memcpy(bd_img(bf_code), g.c.code, g.c.len);

	memset(&in, 0, sizeof(in));
	in.name = f->name;
	memcpy(in.regs, g.c.regs, sizeof(in.regs));
	in.eip = bf_code;
	in.eflags = g.c.eflags | ((bf_rnd() & 1) ? X86_FL_IF : 0);
	in.show_len = g.c.len + 1;
	if (paging) {
		in.paging = true;
		in.wp = bf_rnd() & 1;
		bf_randomize_ptes();
	}
	if (bf_seg >= 0) {
		in.seg_set[bf_seg] = true;
		in.seg[bf_seg] = seg_variant(bf_seg);
	}
	if (x86_decode(&insn, g.c.code, g.c.len, true) <= 0)
		ck_abort_msg("%s: the generator made an invalid instruction",
			     f->name);
	op = insn.info->op;
	/* cmps with both pages missing: the processor may fault on either
	 * first (CR2); keep the destination's. */
	if (paging && op == X86_OP_CMPS) {
		uint32_t *src = bd_pte(bf_seg_lin(g.c.regs[X86_ESI]));
		uint32_t *dst = bd_pte(g.c.regs[X86_EDI]);

		if (!(*src & X86_PTE_P) && !(*dst & X86_PTE_P) && src != dst)
			*dst |= X86_PTE_P;
	}
	in.tolerate_read_order = bf_reads_unordered(&insn);

	ok = bd_run(&in, op, &ref, &bt, &st);
	if (ok && st.translations == 0) {
		fprintf(stderr, "NOT TRANSLATED %s at %08x\n", f->name,
			bf_code);
		ok = false;
	}
	if (ok)
		ok = check_precise(&g, &insn, &bt);
	nr_tolerated += st.tolerated;

	fs->cases++;
	fs->paging_cases += paging;
	if (ref.vector >= 0 || ref.exit == VCPU_EXIT_SHUTDOWN)
		fs->faults++;
	if (!paging) {
		if (st.op_callouts)
			fs->callout++;
		else if (st.op_fallbacks)
			fs->fallback++;
		else if (st.op_interp)
			fs->stepped++;
		else
			fs->native++;
	}
	memset(bd_img(bf_code), 0xf4, g.c.len);
	if (paging)
		bf_reset_ptes();
	return ok;
}

void bf_check_form(const struct form *f, unsigned n, unsigned x)
{
	uint64_t seed = bf_base_seed ^ hash(f->name);
	unsigned np = (n + 3) / 4;
	struct fstat fs;
	bool a16 = (f->flags & G_ADDR16) || strstr(f->name, "a16");
	bool o16 =
		f->bytes[0] == 0x66 || (f->nbytes > 1 && f->bytes[1] == 0x66);
	bool want_native =
		!a16 && bf_seg < 0 && ((x & X_NAT) || ((x & X_NAT32) && !o16));

	memset(&fs, 0, sizeof(fs));
	for (unsigned i = 0; i < n + np && fs.fails < 3; i++)
		if (!run_case(f, seed + i * 0x9e3779b9ull, i >= n, &fs))
			fs.fails++;
	nr_forms++;
	nr_cases += fs.cases;
	nr_paging += fs.paging_cases;
	nr_faults += fs.faults;
	nr_fails += fs.fails;
	if (want_native) {
		nr_native_forms++;
		if (!fs.fails && fs.native * 2 < fs.cases - fs.paging_cases) {
			fprintf(stderr,
				"COVERAGE %s: ran in the cache in %u of %u "
				"cases (%u callouts, %u interpreter "
				"fallbacks, %u interpreter steps)\n",
				f->name, fs.native, fs.cases - fs.paging_cases,
				fs.callout, fs.fallback, fs.stepped);
			nr_coverage_fails++;
		}
	}
	if (verbose)
		printf("  %-28s %4u cases (%3u paging) %4u faulting: native "
		       "%u, callout %u, fallback %u, stepped %u%s\n",
		       f->name, fs.cases, fs.paging_cases, fs.faults, fs.native,
		       fs.callout, fs.fallback, fs.stepped,
		       fs.fails ? "  FAILED" : "");
}

unsigned bf_parse_hex(const char *hex, uint8_t *out)
{
	unsigned n = 0;

	while (*hex) {
		char *end;
		unsigned long v = strtoul(hex, &end, 16);
		if (end == hex)
			break;
		out[n++] = (uint8_t)v;
		hex = end;
	}
	return n;
}

static const char *const seg_prefix[X86_NR_SREGS] = {
	"es~ ", "cs~ ", "ss~ ", "ds~ ", "fs: ", "gs: ",
};

/* One spec, with a segment variant (-1: none). FS and GS are overrides,
 * the others non-flat segment caches ("ds~"). */
void bf_run_spec_seg(const struct spec *s, int seg)
{
	static const unsigned rms[3] = {M_REG, M_MEM, M_A16};
	unsigned nsizes = (s->mode & M_V) ? 2 : 1;

	bf_seg = seg;
	for (unsigned si = 0; si < nsizes; si++) {
		unsigned size = (s->mode & M_V) ? (si ? 2 : 4) : s->size;

		for (unsigned ri = 0; ri < 3; ri++) {
			struct form f;
			unsigned rm = rms[ri];

			if (s->mode & M_NONE) {
				if (ri)
					break;
				rm = 0;
			} else if (!(s->mode & rm)) {
				continue;
			}
			/* Segments only matter for memory operands; the
			 * data of 16-bit addressing is not at the FS/GS
			 * data regions. */
			if (seg >= 0 && (rm == M_REG || rm == M_A16))
				continue;
			memset(&f, 0, sizeof(f));
			snprintf(f.name, sizeof(f.name), "%s%s%s%s",
				 seg >= 0 ? seg_prefix[seg] : "", s->name,
				 (s->mode & M_V) ? (size == 2 ? " o16" : " o32")
						 : "",
				 rm == M_REG   ? " reg"
				 : rm == M_MEM ? " mem"
				 : rm == M_A16 ? " mem16"
					       : "");
			if (seg == X86_FS || seg == X86_GS)
				f.bytes[f.nbytes++] =
					seg == X86_FS ? 0x64 : 0x65;
			if ((s->mode & M_V) && size == 2)
				f.bytes[f.nbytes++] = 0x66;
			f.nbytes += (uint8_t)bf_parse_hex(s->hex,
							  f.bytes + f.nbytes);
			f.digit = (int8_t)s->digit;
			f.rm = rm == M_REG ? RM_REG : rm ? RM_MEM : RM_NONE;
			f.imm = (uint8_t)(s->imm == IZ ? size : s->imm);
			f.imm2 = (uint8_t)s->imm2;
			f.size = (uint8_t)size;
			f.flags = (uint8_t)(s->flags |
					    (rm == M_A16 ? G_ADDR16 : 0));
			f.pre = s->pre;
			f.post = s->post;
			bf_check_form(&f,
				      s->cases ? (s->cases * bf_default_cases +
						  999) / 1000
					       : bf_default_cases,
				      s->x);
		}
	}
	bf_seg = -1;
}

void bf_run_spec(const struct spec *s)
{
	bf_run_spec_seg(s, -1);
	if (s->x & X_FS)
		bf_run_spec_seg(s, X86_FS);
	if (s->x & X_GS)
		bf_run_spec_seg(s, X86_GS);
	if (s->x & X_DS)
		bf_run_spec_seg(s, X86_DS);
	if (s->x & X_ES)
		bf_run_spec_seg(s, X86_ES);
	if (s->x & X_SS)
		bf_run_spec_seg(s, X86_SS);
}

void bf_run_specs(const struct spec *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bf_run_spec(&s[i]);
}

void bf_setup(void)
{
	char err[512];
	const char *e;

	if ((e = getenv("BT386_TEST_SEED")))
		bf_base_seed = strtoull(e, NULL, 0);
	if ((e = getenv("BT386_TEST_CASES")))
		bf_default_cases = (unsigned)strtoul(e, NULL, 0);
	verbose = (e = getenv("BT386_TEST_VERBOSE")) && *e == '1';
	if (bd_setup(err, sizeof(err)) < 0)
		ck_abort_msg("cannot set up the machine: %s", err);
	bd_img_reset();
	nr_forms = nr_cases = nr_faults = nr_fails = nr_paging = 0;
	nr_native_forms = nr_coverage_fails = nr_tolerated = 0;
}

void bf_finish(const char *what)
{
	printf("%-8s %4u forms %7u cases (%6u paging) %6u faulting, %u "
	       "mismatches, %u of %u native forms short of the cache, %u "
	       "DF leaks (test_df_leak)\n",
	       what, nr_forms, nr_cases, nr_paging, nr_faults, nr_fails,
	       nr_coverage_fails, nr_native_forms, bd_df_leaks());
	if (nr_tolerated)
		printf("         %u cases agreed up to the "
		       "order of cmps reads (PTE Accessed bits; "
		       "see bd_input.tolerate_read_order)\n",
		       nr_tolerated);
	fflush(stdout);
	ck_assert_msg(nr_fails == 0, "%s: %u mismatches (seed 0x%llx)", what,
		      nr_fails, (unsigned long long)bf_base_seed);
	ck_assert_msg(nr_coverage_fails == 0,
		      "%s: %u forms did not run in the code cache", what,
		      nr_coverage_fails);
	ck_assert_uint_gt(nr_cases, 0);
	/* The translator must hand C a clear DF (the trampolines' cld). */
	ck_assert_msg(bd_df_leaks() == 0, "%s: %u DF leaks into C", what,
		      bd_df_leaks());
}

/* ---- helpers for hooks ---------------------------------------------- */

uint32_t bf_reg_part(const struct gen *g, unsigned r, unsigned size)
{
	if (size == 1)
		return r < 4 ? g->c.regs[r] & 0xff
			     : (g->c.regs[r - 4] >> 8) & 0xff;
	return size == 2 ? g->c.regs[r] & 0xffff : g->c.regs[r];
}

void bf_set_part(struct gen *g, unsigned r, unsigned size, uint32_t v)
{
	uint32_t m = size == 4 ? ~0u : (1u << (size * 8)) - 1;

	gen_set(g, r, (g->c.regs[r] & ~m) | (v & m));
}

bool bf_has_byte(const struct form *f, uint8_t b)
{
	for (unsigned i = 0; i < f->nbytes; i++)
		if (f->bytes[i] == b)
			return true;
	return false;
}

static bool is_prefix(uint8_t b)
{
	switch (b) {
	case 0x66:
	case 0x67:
	case 0xf2:
	case 0xf3:
	case 0xf0:
	case 0x0f:
	case 0x26:
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x64:
	case 0x65:
		return true;
	default:
		return false;
	}
}

uint8_t bf_opcode(const struct form *f)
{
	unsigned i = 0;

	while (i < f->nbytes && is_prefix(f->bytes[i]))
		i++;
	return i < f->nbytes ? f->bytes[i] : 0;
}

void bf_write_mem(uint32_t addr, uint32_t v, unsigned size)
{
	memcpy(bd_img(addr), &v, size);
}

uint32_t bf_read_mem(uint32_t addr, unsigned size)
{
	uint32_t v = 0;

	memcpy(&v, bd_img(addr), size);
	return v;
}

/*
 * bt_forms.h - running instruction forms under the interpreter and the
 * translator (bt_forms.c), for test_bt_diff.c.
 *
 * A spec is a family of forms (as in test_interp_native.c): an encoding,
 * which ModRM operands it takes (register, memory with 32- or 16-bit
 * addressing), whether it comes in operand sizes 32 and 16, immediates,
 * generator hooks (interp_gen.h), and for this test what the translator
 * is expected to do with it (X_NAT) and which segment variants to run
 * (X_FS ... X_SS). bf_check_form() runs the cases of one form: each is a
 * fresh random state (interp_gen.c), the instruction at a new code
 * address followed by hlt, a quarter of them with paging on and random
 * data-page permissions; bd_run() compares (bt_diff.h).
 */
#ifndef BT386_TESTS_UNIT_BT_FORMS_H
#define BT386_TESTS_UNIT_BT_FORMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt/decode.h"
#include "interp_gen.h"

#define M_REG 0x01  /* r/m is a register */
#define M_MEM 0x02  /* r/m is memory (32-bit addressing) */
#define M_A16 0x04  /* r/m is memory with 16-bit addressing */
#define M_NONE 0x08 /* no ModRM */
#define M_V 0x10    /* operand size 32 and 16 (66 prefix) */
#define M_RM (M_REG | M_MEM)
#define M_ALL (M_REG | M_MEM | M_A16)

#define IZ 0xff /* immediate as wide as the operand size */

/* spec.x */
#define X_NAT 0x01   /* runs in the cache (32-bit addressing) */
#define X_NAT32 0x02 /* ... with operand size 32 only */
#define X_FS 0x04    /* a variant with an FS override (nonzero base) */
#define X_GS 0x08    /* a variant with a GS override */
#define X_DS 0x10    /* a variant with a non-flat DS (nonzero base) */
#define X_ES 0x20    /* a variant with a non-flat ES (a limit) */
#define X_SS 0x40    /* a variant with a non-flat SS (a limit) */

struct spec {
	const char *name;
	const char *hex; /* prefixes and opcode bytes */
	int digit;	 /* ModRM reg: -1 none, 0..7, 8 random */
	unsigned mode;	 /* M_* */
	unsigned imm, imm2;
	unsigned size; /* operand size (without M_V) */
	unsigned flags;
	gen_hook pre, post;
	unsigned cases; /* per mille of the default; 0: the default */
	unsigned x;	/* X_* */
};

/* Settings (BT386_TEST_SEED, BT386_TEST_CASES; bf_setup reads them). */
extern uint64_t bf_base_seed;
extern unsigned bf_default_cases;

/* The case being generated (hooks read these). */
extern uint32_t bf_code; /* where the instruction goes */
extern int bf_seg;	 /* the segment variant (X86_FS ...), or -1 */
extern bool bf_paging;	 /* the case runs with paging on */

/* Randomness outside the generator: seed with bf_crng = ... */
extern uint64_t bf_crng;
uint32_t bf_rnd(void);

/* Where a data access of the case lands (DS or the override, + base). */
uint32_t bf_seg_lin(uint32_t off);
/* Where the generated memory operand (g->target) lands. */
uint32_t bf_target_lin(const struct gen *g);

/* Random / identity permissions of the data pages (paging cases). */
void bf_randomize_ptes(void);
void bf_reset_ptes(void);

/* Does the instruction read, then write memory (bd_input.tolerate_read_order)? */
bool bf_reads_unordered(const struct x86_insn *in);

unsigned bf_parse_hex(const char *hex, uint8_t *out);

void bf_check_form(const struct form *f, unsigned n, unsigned x);
void bf_run_spec_seg(const struct spec *s, int seg);
void bf_run_spec(const struct spec *s);
void bf_run_specs(const struct spec *s, size_t n);
#define RUN(table) bf_run_specs(table, sizeof(table) / sizeof(table[0]))

/* Per test: setup (fixture) and the summary + assertions at the end. */
void bf_setup(void);
void bf_finish(const char *what);

/* Hook helpers: parts of registers, the form's bytes, the input image. */
uint32_t bf_reg_part(const struct gen *g, unsigned r, unsigned size);
void bf_set_part(struct gen *g, unsigned r, unsigned size, uint32_t v);
bool bf_has_byte(const struct form *f, uint8_t b);
uint8_t bf_opcode(const struct form *f); /* after prefixes and 0f */
void bf_write_mem(uint32_t addr, uint32_t v, unsigned size);
uint32_t bf_read_mem(uint32_t addr, unsigned size);

#endif

/*
 * interp_gen.h - random instances of an instruction form, for the
 * interpreter-against-host tests.
 *
 * A form is an encoding pattern (prefixes, opcode, ModRM with a fixed or
 * random reg field, register or memory r/m, immediates). gen_case()
 * draws registers, flags and memory, picks registers and an addressing
 * mode (32- or 16-bit, with or without SIB, every displacement size) and
 * solves the address registers so that the memory operand lands inside
 * the data regions of interp_diff.h. Hooks adjust inputs where the
 * instruction needs it (counts, divisors, stack and string pointers,
 * branch targets): `pre` runs before the encoding and may pin registers
 * (g->fixed) so that the address solver leaves them alone; `post` runs
 * after it and knows the length, the operand registers and the address.
 */
#ifndef BT386_TESTS_UNIT_INTERP_GEN_H
#define BT386_TESTS_UNIT_INTERP_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "interp_diff.h"

enum { RM_NONE, RM_REG, RM_MEM };

/* Form flags. */
#define G_ADDR16 0x01 /* memory operand uses 16-bit addressing (adds 67) */
#define G_OPREG 0x02  /* register in the low 3 bits of the last opcode byte */
#define G_NOESP 0x04  /* r/m register and opcode register are never ESP */

struct gen;
typedef void (*gen_hook)(struct gen *g);

struct form {
	char name[48];
	uint8_t bytes[6]; /* prefixes and opcode bytes */
	uint8_t nbytes;
	int8_t digit;  /* ModRM reg: -1 no ModRM, 0..7 fixed, 8 random */
	uint8_t rm;    /* RM_* */
	uint8_t imm;   /* immediate bytes (after ModRM/SIB/disp) */
	uint8_t imm2;  /* second immediate (enter) */
	uint8_t size;  /* operand size in bytes, for the hooks */
	uint8_t flags; /* G_* */
	gen_hook pre, post;
};

struct gen {
	const struct form *f;
	struct dcase c;
	uint64_t rng;
	uint8_t fixed;	  /* registers whose values must be kept */
	int regfield;	  /* ModRM reg (or opcode register); -1 = random */
	int rmreg;	  /* r/m register when RM_REG; -1 = random */
	bool target_set;  /* pre chose g->target */
	uint32_t target;  /* address of the memory operand */
	bool imm_set;	  /* pre chose g->imm_val */
	uint32_t imm_val; /* value of the (first) immediate */
	unsigned imm_off; /* offset of the immediate in c.code */
	int aux;	  /* free for hooks */
};

uint32_t gen_rand(struct gen *g);
/* A random 32-bit value biased towards edge cases (0, 1, sign bits...). */
uint32_t gen_value(struct gen *g);
/* Set register r (and pin it). */
void gen_set(struct gen *g, unsigned r, uint32_t v);
/* Set the low 16 bits of register r (and pin it). */
void gen_set16(struct gen *g, unsigned r, uint32_t v);
/* Add a stop stub at `addr` (a branch target). */
void gen_stop(struct gen *g, uint32_t addr);
/* Memory of the native side (the test's input image). */
static inline uint8_t *gen_mem(uint32_t addr)
{
	return (uint8_t *)(uintptr_t)addr;
}

void gen_case(struct gen *g, const struct form *f, uint64_t seed);

#endif

/*
 * test_decode_corpus.h - hand-written x86 encodings with what the decoder
 * must say about them (tests/unit/test_decode_corpus.c).
 *
 * `expect` is a list of key=value checks on the decoded instruction:
 *   b= i= (base, index: a 32-bit register name or none), sc= (scale),
 *   d= (disp), imm= imm2=, seg= (effective segment), os= as= (operand /
 *   address size), sz= (x86_operand_bytes of each operand, comma
 *   separated), mem= (has_mem), n= (nr_operands), reg= (ModRM.reg),
 *   map=, name= (row mnemonic), sens= (SENS_* without prefix),
 *   f= (row flags that must be set: MODRM LOCK REP STOP COND CPL0 IOPL
 *   NOSUP NO64 STACKSZ BYTE_DEF, '+' separated).
 * Values are decimal or 0x hex, possibly negative.
 */
#ifndef BT386_TESTS_UNIT_TEST_DECODE_CORPUS_H
#define BT386_TESTS_UNIT_TEST_DECODE_CORPUS_H

#include <stdbool.h>
#include <stdint.h>

struct corpus_entry {
	bool code32;
	const char *hex;    /* "66 0f b6 c0" */
	int len;	    /* expected x86_decode() result */
	unsigned op;	    /* expected X86_OP_* when len > 0 */
	const char *expect; /* further checks, see above */
	uint8_t bytes[16];  /* filled by decode_corpus_init() */
	unsigned nbytes;
};

extern struct corpus_entry decode_corpus[];
extern const unsigned decode_corpus_len;

/* Parse the hex strings (idempotent). */
void decode_corpus_init(void);

#endif

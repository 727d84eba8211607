/*
 * interp_diff.h - run one instruction in the interpreter and natively on
 * the host (native32.h), and compare what they did.
 *
 * Both sides see the same addresses: guest physical = guest linear (flat
 * 32-bit protected mode, paging off, as the multiboot loader leaves the
 * CPU) = host virtual address of the native mappings. The test writes an
 * instruction and the initial memory into the native mappings (they are
 * plain low host addresses), diff_run() copies them into guest RAM, runs
 * both, and compares the general registers, EIP, the arithmetic flags and
 * DF, the data regions, and whether (and with which vector) the
 * instruction faulted; for x87/MMX/SSE cases also the FPU state (all of
 * it but the x87 instruction and data pointers, which the host keeps as
 * its own: the tests check the interpreter's against the architecture).
 *
 * The vCPU runs with CR0.MP and NE, CR4.OSFXSR and OSXMMEXCPT set, as
 * the host's kernel runs its processes.
 */
#ifndef BT386_TESTS_UNIT_INTERP_DIFF_H
#define BT386_TESTS_UNIT_INTERP_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcpu.h"

/* Code: three pages; the instruction under test sits in the middle one so
 * that branches can reach stop stubs on both sides of it. */
#define D_CODE_LO 0x00200000u
#define D_CODE 0x00201000u
#define D_CODE_END 0x00203000u
/* Stops for targets truncated to 16 bits (operand-size 16 branches):
 * D_CODE & 0xffff is inside this page, so short jumps land here too. */
#define D_LOWCODE 0x00001000u
/* Data: reachable with 16-bit addressing, plain data, the stack. */
#define D_LOW 0x00008000u
#define D_LOW_LEN 0x1000u
#define D_DATA 0x00300000u
#define D_DATA_LEN 0x2000u
#define D_STACK 0x00310000u
#define D_STACK_LEN 0x2000u
/* Guest only: GDT and IDT, and the addresses exception gates point at
 * (handler for vector v at D_HANDLERS + 8 * v; never executed). */
#define D_TABLES 0x00100000u
#define D_HANDLERS 0x00204000u

#define D_MAX_STOPS 4
#define D_MAX_SKIPS 4

struct dcase {
	const char *name;
	uint8_t code[16];
	unsigned len;
	uint32_t regs[8];
	uint32_t eflags;
	uint32_t stops[D_MAX_STOPS]; /* branch targets (need stop stubs) */
	unsigned nstops;
	bool repeat; /* REP string: step until EIP leaves the instruction */
	/* x87/MMX/SSE: the FPU state both sides start from (512 bytes, the
	 * FXSAVE layout with 32-bit pointers), or NULL (integer cases:
	 * the FPU is not compared). */
	const uint8_t *fpu;
	/* Memory bytes left out of the comparison: state images hold the
	 * host's own selectors and pointers there; the test checks the
	 * interpreter's bytes itself. */
	struct {
		uint32_t addr, len;
	} skip[D_MAX_SKIPS];
};

/* Once per process: guest machine and native mappings. */
int diff_setup(char *err, size_t errlen);
/* The interpreter's vCPU and guest RAM (for tests that run programs). */
struct vcpu *diff_cpu(void);
uint8_t *diff_guest(uint32_t paddr);
/* Put the vCPU in flat 32-bit protected mode, CPL 0, IF = 0. */
void diff_reset_cpu(void);

/* Fill the data regions (native side) with pseudo-random bytes. */
void diff_fill(uint64_t seed);

/*
 * Run the case on both sides. Returns true when they agree; otherwise
 * prints a report to stderr. *vector is the exception both raised, or -1.
 */
bool diff_run(const struct dcase *c, int *vector);

/*
 * The FPU states after the last diff_run() of a case with an FPU state
 * (FXSAVE layout, components in their initial state made explicit): the
 * interpreter's (its pointers in the 32-bit format), the host's (as its
 * XSAVE64 wrote them: 64-bit pointers, which AMD processors store only
 * while an x87 error is pending).
 */
const uint8_t *diff_fpu_interp(void);
const uint8_t *diff_fpu_host(void);

#endif

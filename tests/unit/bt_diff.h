/*
 * bt_diff.h - run guest code under the interpreter (the reference) and
 * under the binary translator from the same state, and compare.
 *
 * One struct machine per process, built as machine_init() does for
 * --engine=bt (low 4 GiB reserved, shadow, code cache with block counting,
 * the monitor's signal handlers), without devices. Guest RAM is 4 MiB;
 * the test composes an *image* of it (bd_img()), and bd_run() loads the
 * image, runs the interpreter until hlt, loads the image again, runs
 * bt_run() until hlt, and compares general registers, EIP, EFLAGS, CR2,
 * segment caches, the exit, and memory.
 *
 * Layout (guest physical; linear is the same: paging off, or the identity
 * page tables at BD_PD):
 *   0x000000-0x007fff  hlt (targets of 16-bit branches)
 *   D_LOW              data (16-bit addressing)
 *   D_TABLES           GDT (null, code 0x08, data 0x10), IDT (64 gates)
 *   BD_CODE..BD_CODE_END  hlt everywhere; code under test goes in here
 *   BD_HANDLERS        a hlt per vector (vector v at BD_HANDLERS + 8 v)
 *   BD_GS_DATA, D_DATA, D_STACK, BD_FS_DATA: data
 *   BD_PD, BD_PT       page directory and the one page table (0-4 MiB)
 * A fault is seen as a halt in the handler page: the frame it pushed is on
 * the stack, so the compare covers vector, error code and faulting EIP.
 *
 * Reusing interp_gen.c: its gen_case() calls diff_fill() to randomize the
 * data; this file provides diff_fill() (filling the image) in place of
 * interp_diff.c's, which writes host mappings that cannot coexist with
 * the reservation of the low 4 GiB. Tests link one or the other.
 */
#ifndef BT386_TESTS_UNIT_BT_DIFF_H
#define BT386_TESTS_UNIT_BT_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interp_diff.h"
#include "monitor/machine.h"
#include "monitor/stats.h"
#include "vcpu.h"

#define BD_RAM (4u << 20)
#define BD_LOWCODE_END 0x8000u
#define BD_CODE 0x00200000u
#define BD_CODE_END 0x00240000u
#define BD_HANDLERS 0x00250000u
#define BD_NR_VECTORS 64
#define BD_GS_BASE 0xffff0000u /* D_DATA + GS base wraps to BD_GS_DATA */
#define BD_GS_DATA (D_DATA + BD_GS_BASE)
#define BD_FS_BASE 0x00020000u
#define BD_FS_DATA (D_DATA + BD_FS_BASE)
#define BD_FSGS_LEN D_DATA_LEN
#define BD_PD 0x003f0000u
#define BD_PT 0x003f1000u

struct bd_input {
	const char *name;
	uint32_t regs[8];
	uint32_t eip;
	uint32_t eflags; /* full EFLAGS (bit 1 is forced) */
	bool paging;	 /* CR0.PG with the identity tables at BD_PD */
	bool wp;	 /* CR0.WP */
	/* Segment caches other than flat data (CS stays flat code). */
	bool seg_set[X86_NR_SREGS];
	struct x86_seg seg[X86_NR_SREGS];
	bool whole_ram; /* load and compare all of RAM */
	/*
	 * cmps: the processor may make its two reads in either order, so
	 * when one of them faults, the Accessed bit of the page the other
	 * read may differ. With this set, PTE Accessed bits may differ;
	 * such cases are counted in bd_btstats.tolerated. (Read-modify-
	 * write instructions need no such allowance: the interpreter makes
	 * one write-intent access, as the processor does.)
	 */
	bool tolerate_read_order;
	unsigned show_len; /* bytes at eip to print in reports */
};

struct bd_outcome {
	enum vcpu_exit exit;
	bool timed_out;
	uint32_t regs[8], eip, eflags, cr0, cr2;
	struct x86_seg seg[X86_NR_SREGS];
	int vector; /* halted in the handler of this vector, or -1 */
	char error[160];
	/* bt_run() came back with the host's RFLAGS.DF set (the guest's
	 * DF leaked into monitor code; bd_run_bt clears it). */
	bool df_leak;
};

/* Runs of bt_run() that returned with DF set, since bd_setup(). */
unsigned bd_df_leaks(void);

/* What the translator did during the bt_run() half (deltas). */
struct bd_btstats {
	uint64_t translations, chains, ibl_misses, exits, callouts;
	uint64_t interp_fallbacks, kernel_steps, faults, invalidations;
	uint64_t adaptations, insns_bt, insns_interp;
	/* The op under test went through the interpreter this many times,
	 * as a callout, as an INTERP fallback (bd_run's `op` argument). */
	uint64_t op_interp, op_callouts, op_fallbacks;
	bool tolerated; /* agreed only thanks to tolerate_read_order */
};

/* Once per process. */
int bd_setup(char *err, size_t errlen);
/* How kernel code reaches memory in the machine bd_setup() makes (kernel
 * TLB or host mappings; set before it). */
extern enum kernel_tlb bd_kernel_tlb;
struct machine *bd_machine(void);
struct vcpu *bd_cpu(void);

/* The input image (guest physical address -> byte). */
uint8_t *bd_img(uint32_t paddr);
void bd_img_put32(uint32_t paddr, uint32_t v);
uint32_t bd_img_get32(uint32_t paddr);
/* Reset the static parts: hlt over the code areas, tables, handlers,
 * identity page tables (every PTE P|W|A|D). Data is diff_fill()'s. */
void bd_img_reset(void);
/* The image's PTE for linear address lin (identity, 0 - 4 MiB). */
uint32_t *bd_pte(uint32_t lin);

/* A flat ring-0 data segment cache with the given base/limit/attr. */
struct x86_seg bd_seg(uint32_t base, uint32_t limit, uint16_t attr);

/*
 * Run `in` under both engines. Returns true when they agree; otherwise
 * prints a report to stderr. ref/bt (may be NULL) receive the outcomes,
 * st the translator's counters. `op` is the X86_OP_* of the instruction
 * under test (op_* counters), or -1.
 */
bool bd_run(const struct bd_input *in, int op, struct bd_outcome *ref,
	    struct bd_outcome *bt, struct bd_btstats *st);

/* Run only the translator / only the interpreter (for timing and for
 * tests that check the result themselves); same loading as bd_run. */
void bd_run_bt(const struct bd_input *in, struct bd_outcome *o,
	       struct bd_btstats *st, int op);
void bd_run_ref(const struct bd_input *in, struct bd_outcome *o);

/* The guest memory after the last run (physmap). */
uint8_t *bd_guest(uint32_t paddr);

/* Print an outcome (reports). */
void bd_print_outcome(const char *who, const struct bd_outcome *o);

#endif

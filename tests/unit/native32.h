/*
 * native32.h - run a few bytes of 32-bit x86 code natively on the host,
 * for differential tests (interpreter and translator against the CPU).
 *
 * The test process is x86-64. n32_init() installs a flat 32-bit code
 * segment in the LDT (modify_ldt) and maps a page of trampolines and
 * state at a fixed low address; n32_run() far-returns into the
 * trampoline, which loads the given registers and EFLAGS, jumps to the
 * code, and comes back to 64-bit mode when the code reaches a stop stub
 * (n32_emit_stop()) or faults (caught by a signal handler on an
 * alternate stack, which switches the interrupted context back to
 * 64-bit mode).
 *
 * The caller maps the code and the data it touches below 4 GiB itself
 * (n32_map()). Data segments are the host's flat user data selector, so
 * DS/ES/SS (and CS for reads) have base 0 and limit 4 GiB; FS and GS keep
 * the host's (glibc's TLS): code under test must not use them. EFLAGS
 * may carry the arithmetic flags and DF only.
 */
#ifndef BT386_TESTS_UNIT_NATIVE32_H
#define BT386_TESTS_UNIT_NATIVE32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the harness lives (one page of state, one of trampolines). */
#define N32_BASE 0x7fef0000u
/* LDT entry of the 32-bit code segment and its selector (TI=1, RPL 3). */
#define N32_LDT_ENTRY 16
#define N32_CS_SEL ((N32_LDT_ENTRY << 3) | 4 | 3)
/* Bytes of a stop stub. */
#define N32_STOP_LEN 16

struct n32_regs {
	uint32_t regs[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
	uint32_t eip;	  /* in: entry; out: stop stub reached / fault EIP */
	uint32_t eflags;  /* in: arithmetic flags and DF */
};

struct n32_fault {
	int signo;     /* 0 if the code reached a stop stub */
	int vector;    /* hardware exception vector (trapno) */
	uint32_t err;  /* error code */
	uint64_t addr; /* si_addr (faulting address for #PF) */
};

/* Set up once per process. Returns 0, or -1 with a message in err. */
int n32_init(char *err, size_t errlen);

/*
 * Map [addr, addr + len) read/write/execute at exactly that address (both
 * page aligned, below 4 GiB). Returns the mapping or NULL.
 */
void *n32_map(uint32_t addr, size_t len);

/*
 * Whether this host runs 32-bit code at all (some hypervisors' kernels
 * do not); if not, `why` says so and the tests that need it skip.
 */
bool n32_available(char *why, size_t len);

/*
 * Write a stop stub at host pointer p, which the 32-bit code reaches at
 * address `addr`: reaching it records EIP = addr and returns. The stub
 * uses no registers, no flags and no stack.
 */
void n32_emit_stop(void *p, uint32_t addr);

/*
 * Run from r->eip with r's registers and flags until a stop stub or a
 * fault; r receives the final registers and flags. Returns 0 at a stop
 * stub, or the signal number of a fault (details in *f if not NULL).
 */
int n32_run(struct n32_regs *r, struct n32_fault *f);

/*
 * n32_run() with the host FPU holding the state in `xsave` (a 64-byte
 * aligned XSAVE area, standard format, components x87 and SSE) while
 * the code runs; the state after the run (or at the fault) is saved
 * back into it.
 */
int n32_run_fpu(struct n32_regs *r, struct n32_fault *f, void *xsave);

/*
 * Signals the harness's handler does not recognise (not from its 32-bit
 * code) go to `hook` first; it returns true when it handled one.
 */
void n32_set_foreign_hook(bool (*hook)(int sig, void *uc));

#endif

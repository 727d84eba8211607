/*
 * opcost.h - what one guest operation costs the host (--stats).
 *
 * Issue 11's four system paths (system call, page fault, PTE edit,
 * context switch) are slow where they make host signals and host system
 * calls. These counters say how many each guest operation made:
 *
 *   - a kernel entry from user mode (a system call through int n or
 *     sysenter, a page fault, another exception, an interrupt) is charged
 *     everything from the previous return to user mode until the return
 *     that follows it: the user part that led to it (the host fault behind
 *     a guest page fault) and the kernel's work;
 *   - a write to a traced page-table frame and a CR3 write are charged the
 *     host calls the shadow made while handling it.
 */
#ifndef BT386_MONITOR_OPCOST_H
#define BT386_MONITOR_OPCOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum opcost_kind {
	OPCOST_SYSCALL,	  /* int n, sysenter from CPL 3 */
	OPCOST_PAGEFAULT, /* #PF from CPL 3 */
	OPCOST_EXCEPTION, /* any other exception from CPL 3 */
	OPCOST_INTERRUPT, /* external interrupt or NMI at CPL 3 */
	OPCOST_PTE_WRITE, /* a write to a traced page-table frame */
	OPCOST_CR3_WRITE,
	OPCOST_KINDS,
};

/* The guest entered the kernel from CPL 3 for `kind` (the first four). */
void opcost_kernel_entry(enum opcost_kind kind);
/* The guest returned to CPL 3. */
void opcost_user_return(void);
/* Around one PTE or CR3 write: the host calls between begin and end. */
uint64_t opcost_begin(void);
void opcost_end(enum opcost_kind kind, uint64_t begin);

void opcost_print(FILE *out);

#endif

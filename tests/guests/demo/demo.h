/*
 * demo.h - what the demo kernel (kernel.c) and its user programs (user.c)
 * share: the system call numbers and the layout of each process's private
 * pages.
 *
 * Every process sees its own data page at PROC_PAGE_VA and its own stack
 * just above; the user program code is one shared set of pages (the
 * guest's .user section), mapped into every address space.
 */
#ifndef DEMO_DEMO_H
#define DEMO_DEMO_H

#include <stdint.h>

enum {
	SYS_WRITE = 1, /* ebx = buffer, ecx = length */
	SYS_SLEEP = 2, /* ebx = ticks */
	SYS_TICKS = 3, /* returns the tick count */
	SYS_YIELD = 4,
};

#define HZ 100
#define PROC_PAGE_VA 0x40000000u
#define PROC_STACK_PAGES 3
#define PROC_STACK_TOP (PROC_PAGE_VA + 4096u * (1 + PROC_STACK_PAGES))
#define PROC_MAGIC 0x0dd5eed0u

/* The first bytes of a process's data page, filled in by the kernel. */
struct proc_page {
	uint32_t pid;
	uint32_t magic; /* PROC_MAGIC ^ pid: proves the page is private */
	char name[12];
	uint32_t progress; /* what the program has computed so far */
	char line[116];	   /* scratch for formatting output */
};

void user_primes(void);
void user_fib(void);
void user_counter(void);

#endif

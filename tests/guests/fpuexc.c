/*
 * fpuexc - SIMD floating-point exceptions: an unmasked exception of an
 * SSE instruction is #XM with CR4.OSXMMEXCPT and #UD without it, in ring
 * 0 and in ring 3; the flags are set, the destination is unchanged, and
 * once the handler masks the exception the instruction completes.
 * Misaligned 16-byte operands of the aligned forms are #GP(0), also
 * through SS; the unaligned forms and scalars take any address.
 *
 * An unmasked x87 error is #MF at the next waiting instruction; with
 * CR0.NE clear it goes to IRQ 13 (FERR#) instead, which the handler
 * acknowledges through port 0xf0 (IGNNE#) before clearing the error, in
 * ring 3 and in ring 0. (Under bt386 the ring 3 cases run directly on
 * the host, whose own CR0.NE and CR4.OSXMMEXCPT are set: the monitor
 * must still give the guest what its bits say.)
 *
 * Run under bt386 only: QEMU's TCG (7.2) computes the masked result
 * instead of raising #XM, and aborts on FERR#.
 */
#include "guest.h"

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_NE 0x20u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u

#define INF 0x7f800000u
#define ONE 0x3f800000u

static volatile uint32_t xm_count, ud_count, mf_count;

static void mf_fault(struct trap_frame *f)
{
	(void)f;
	mf_count++;
	__asm__ volatile("fnclex");
}
static volatile uint32_t mxcsr_at_fault, dest_at_fault;

/* The ring 3 program: divps with ZM clear, then back to the kernel. */
USER_DATA uint32_t uxm[4] = {ONE, 0x40000000u, 0, 0x40400000u};
USER_DATA uint32_t uxm_csr = 0x1f80 & ~0x200u;
USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack) - 16)
void user_xm(void);
__asm__(".pushsection .user.text, \"ax\"\n"
	"user_xm:\n\t"
	"movups uxm, %xmm0\n\t"
	"xorps %xmm1, %xmm1\n\t"
	"ldmxcsr uxm_csr\n\t"
	"divps %xmm1, %xmm0\n\t"
	"movups %xmm0, uxm\n\t"
	"int $0x80\n"
	/* Ring 3: an unmasked x87 divide by zero, then fwait. */
	"user_mf:\n\t"
	"fninit\n\t"
	"fldcw ucw\n\t"
	"fld1\n\t"
	"fldz\n\t"
	".byte 0xde, 0xf9\n\t" /* fdivp: 1 / 0 */
	"fwait\n\t"
	"nop\n\t"
	"fninit\n\t"
	"int $0x80\n"
	".popsection");
void user_mf(void);
USER_DATA uint16_t ucw = 0x037b; /* ZM clear */

/* #XM and #UD: record the state at the fault, mask divide-by-zero and
 * return to the instruction. */
static void simd_fault(struct trap_frame *f)
{
	uint32_t mx, x0;

	if (f->vector == 19)
		xm_count++;
	else
		ud_count++;
	__asm__ volatile("stmxcsr %0\n\t"
			 "movd %%xmm0, %1"
			 : "=m"(mx), "=r"(x0));
	mxcsr_at_fault = mx;
	dest_at_fault = x0;
	mx |= 0x200;
	__asm__ volatile("ldmxcsr %0" : : "m"(mx));
}

static void sys_exit(struct trap_frame *f)
{
	(void)f;
	return_to_kernel(0);
}

static uint32_t divps_by_zero(uint32_t mx)
{
	static const uint32_t one[4] = {ONE, ONE, ONE, ONE};
	uint32_t out[4];

	__asm__ volatile("movups %1, %%xmm0\n\t"
			 "xorps %%xmm1, %%xmm1\n\t"
			 "ldmxcsr %2\n\t"
			 "divps %%xmm1, %%xmm0\n\t"
			 "movups %%xmm0, %0"
			 : "=m"(out)
			 : "m"(one), "m"(mx)
			 : "memory");
	return out[0];
}

static void ring0(void)
{
	uint32_t r, mx = 0x1f80 & ~0x200u;

	section("ring 0");
	xm_count = ud_count = 0;
	r = divps_by_zero(mx);
	CHECK_EQ(xm_count, 1, "unmasked divps by zero: one #XM");
	CHECK_EQ(mxcsr_at_fault & 0x3f, 0x04, "at the fault: ZE set");
	CHECK_EQ(dest_at_fault, ONE, "at the fault: xmm0 unchanged");
	CHECK_EQ(r, INF, "masked by the handler: the instruction completed");

	write_cr4(read_cr4() & ~CR4_OSXMMEXCPT);
	r = divps_by_zero(mx);
	write_cr4(read_cr4() | CR4_OSXMMEXCPT);
	CHECK_EQ(ud_count, 1, "without CR4.OSXMMEXCPT: #UD instead");
	CHECK_EQ(xm_count, 1, "and no #XM");
	CHECK_EQ(r, INF, "then completed too");

	/* Masked: no exception, the flag only. */
	r = divps_by_zero(0x1f80);
	CHECK_EQ(xm_count + ud_count, 2, "masked: no exception");
	CHECK_EQ(r, INF, "masked: infinity");
}

/*
 * CR0.NE clear: the error goes to IRQ 13 (FERR#) at the next waiting
 * instruction; the handler writes port 0xf0 (IGNNE#) and clears it.
 */
static volatile uint32_t irq13_count;

static void irq13(struct trap_frame *f)
{
	(void)f;
	irq13_count++;
	outb(0xf0, 0);
	__asm__ volatile("fnclex");
	pic_eoi(13);
}

static uint16_t ne_clear(void)
{
	uint16_t mask = pic_get_mask();

	mf_count = irq13_count = 0;
	trap_set_handler(IRQ_BASE + 13, irq13);
	pic_set_mask((uint16_t)(mask & ~(1u << 13 | 1u << 2)));
	write_cr0(read_cr0() & ~CR0_NE);
	return mask;
}

static void ne_set(uint16_t mask)
{
	write_cr0(read_cr0() | CR0_NE);
	pic_set_mask(mask);
}

static void ring3(void)
{
	static const uint32_t again[4] = {ONE, 0x40000000u, 0, 0x40400000u};
	uint16_t mask;

	section("ring 3");
	xm_count = ud_count = 0;
	enter_user((uint32_t)user_xm, USTACK_TOP, FL_IF | 0x2);
	CHECK_EQ(xm_count, 1, "unmasked divps by zero: one #XM");
	CHECK_EQ(uxm[0], INF, "completed after the handler");
	CHECK(uxm[2] == 0xffc00000u, "0/0 gave the default NaN");
	memcpy(uxm, again, sizeof(uxm));
	write_cr4(read_cr4() & ~CR4_OSXMMEXCPT);
	enter_user((uint32_t)user_xm, USTACK_TOP, FL_IF | 0x2);
	write_cr4(read_cr4() | CR4_OSXMMEXCPT);
	CHECK_EQ(ud_count, 1, "without CR4.OSXMMEXCPT: #UD instead");
	CHECK_EQ(uxm[0], INF, "then completed");

	mf_count = 0;
	enter_user((uint32_t)user_mf, USTACK_TOP, FL_IF | 0x2);
	CHECK_EQ(mf_count, 1, "x87 divide by zero, fwait: one #MF");
	mask = ne_clear();
	enter_user((uint32_t)user_mf, USTACK_TOP, FL_IF | 0x2);
	ne_set(mask);
	CHECK_EQ(irq13_count, 1, "CR0.NE clear: IRQ 13 instead");
	CHECK_EQ(mf_count, 0, "CR0.NE clear: no #MF");
}

/* A fault listed in the exception table: last_trap has it. */
static int faulted(uint32_t before, uint32_t vector)
{
	return last_trap.count == before + 1 && last_trap.vector == vector &&
	       last_trap.err == 0;
}

static void alignment(void)
{
	static uint8_t buf[64] __attribute__((aligned(16)));
	uint32_t n;

	section("alignment");
	trap_record_clear();
	n = last_trap.count;
	__asm__ volatile("1:\tmovaps 1(%0), %%xmm0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(buf)
			 : "memory");
	CHECK(faulted(n, 13), "movaps from a misaligned address: #GP(0)");
	n = last_trap.count;
	__asm__ volatile("1:\taddps 8(%0), %%xmm0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(buf)
			 : "memory");
	CHECK(faulted(n, 13), "addps from a misaligned address: #GP(0)");
	/* Through SS (ESP-based): #GP(0) too, not #SS. */
	n = last_trap.count;
	__asm__ volatile("movl %%esp, %%eax\n\t"
			 "andl $-16, %%eax\n\t"
			 "subl %%esp, %%eax\n\t"
			 "subl $16, %%eax\n"
			 "1:\tmovaps 1(%%esp,%%eax,1), %%xmm0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 :
			 : "eax", "memory");
	CHECK(faulted(n, 13), "misaligned through SS: #GP(0)");
	n = last_trap.count;
	__asm__ volatile("movups 1(%0), %%xmm0\n\t"
			 "addss 1(%0), %%xmm0"
			 :
			 : "r"(buf)
			 : "memory");
	CHECK_EQ(last_trap.count, n, "movups and addss misaligned: fine");
}

static __attribute__((noinline)) void run_ferr(void)
{
	uint16_t cw = 0x037b, mask = ne_clear();

	__asm__ volatile("fninit\n\t"
			 "fldcw %0\n\t"
			 "fld1\n\t"
			 "fldz\n\t"
			 ".byte 0xde, 0xf9\n\t" /* fdivp: 1 / 0 */
			 "sti\n\t"
			 "fwait\n\t"
			 "nop\n\t"
			 "nop\n\t"
			 "cli\n\t"
			 "fninit"
			 :
			 : "m"(cw)
			 : "memory");
	ne_set(mask);
	CHECK_EQ(irq13_count, 1, "CR0.NE clear: the error raised IRQ 13");
	CHECK_EQ(mf_count, 0, "CR0.NE clear: no #MF");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t *kpd;

	(void)magic;
	(void)mbi;
	printf("fpuexc: SIMD floating-point exceptions, alignment, FERR#\n");
	write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	trap_set_handler(6, simd_fault);
	trap_set_handler(19, simd_fault);
	trap_set_handler(16, mf_fault);
	trap_set_handler(0x80, sys_exit);
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);

	ring0();
	alignment();
	kpd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	paging_enable(kpd);
	ring3();
	paging_disable();
	section("ring 0, CR0.NE clear");
	run_ferr();
}

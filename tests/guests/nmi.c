/*
 * nmi - non-maskable interrupts, as the SDM describes them: NMI IPIs to
 * self from the local APIC's ICR (each shorthand that includes self, our
 * physical and logical destination; none for all-excluding-self), taken
 * on vector 2 whatever EFLAGS.IF says, the vector field ignored; NMI
 * blocking from delivery to the next IRET (a second NMI waits, a third
 * collapses into it), also across an exception inside the handler (whose
 * IRET then unblocks) and across an exception raised by the delivery
 * itself; an NMI ends hlt (the PIT through an I/O APIC pin in NMI mode,
 * and through the 8259 with LINT0 programmed NMI); an NMI in real mode
 * goes through the IVT; an NMI interrupts ring 3 code (which --direct-exec
 * runs on the host).
 *
 * With "nmi-button" on the command line it tests the user's NMI button
 * instead (bt386's Ctrl-A n, driven by tests/system/nmi-button.sh): IOCHK#
 * in port 0x61 bit 6, cleared by bit 3, and port 0x70 bit 7 masking it.
 *
 * Timing: an NMI IPI is not taken at once everywhere (QEMU takes it at
 * the end of its translation block), so the guest waits for an NMI that
 * must come, and spins a while where one must not. Nothing printed
 * depends on timing.
 */
#include "guest.h"

#define LAPIC 0xfee00000u
#define IOAPIC 0xfec00000u
#define L_ID 0x020
#define L_LDR 0x0d0
#define L_DFR 0x0e0
#define L_SVR 0x0f0
#define L_IRR 0x200
#define L_ICR_LO 0x300
#define L_ICR_HI 0x310
#define L_LINT0 0x350

#define DM_NMI 0x400u
#define DM_EXTINT 0x700u
#define ICR_LOGICAL 0x800u
#define SH_SELF (1u << 18)
#define SH_ALL (2u << 18)
#define SH_OTHERS (3u << 18)
#define MASKED 0x10000u

/* IRQ 0 (the PIT) on the I/O APIC: pin 2, as the MP tables of bt386 and
 * QEMU both say (the apic guest checks it). */
#define PIT_PIN 2

#define SPIN 20000	/* where an NMI must not come */
#define WAIT 2000000	/* at most, where one must */
#define SHORT_WAIT 1000 /* where one must come soon */

enum {
	G_CODE16 = GDT_FIRST_FREE,
	G_DATA16,
};
#define SEL(i) ((i)*8)
#define RM_BASE 0x6000u

static volatile uint32_t *reg32(uint32_t addr)
{
	return (volatile uint32_t *)phys8(addr);
}

static uint32_t lapic_read(uint32_t reg)
{
	return *reg32(LAPIC + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	*reg32(LAPIC + reg) = v;
	(void)lapic_read(L_ID);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*reg32(IOAPIC) = reg;
	*reg32(IOAPIC + 0x10) = v;
}

static uint8_t apic_id;

static void send_nmi(uint32_t icr, uint8_t dest)
{
	lapic_write(L_ICR_HI, (uint32_t)dest << 24);
	lapic_write(L_ICR_LO, DM_NMI | icr);
}

static void self_nmi(void)
{
	send_nmi(SH_SELF, 0);
}

static void spin(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile("pause" ::: "memory");
}

/* ---- the NMI handler ---- */

enum action {
	ACT_COUNT,	/* count it */
	ACT_SEND_ONE,	/* send one more NMI and wait inside */
	ACT_SEND_THREE, /* send three more and wait inside */
	ACT_INT3,	/* send one more, then int3 */
	ACT_MASK_PIC,	/* mask the 8259 (LINT0 as NMI) */
	ACT_USER,	/* from ring 3: mask the PIT's pin, release the user */
	ACT_BUTTON,	/* the NMI button: read and clear port 0x61 */
};

static volatile uint32_t nmis, depth, max_depth;
static volatile enum action action;
/* The frame and state of the first NMI of a test. */
static volatile uint32_t nmi_eip, nmi_cs, nmi_eflags, nmi_if_inside;
static volatile uint32_t seen_inside, before_int3, after_int3;
static volatile uint32_t bp_entry, bp_exit, port61;
USER_DATA volatile uint32_t user_released;

static void reset(enum action a)
{
	nmis = depth = max_depth = 0;
	nmi_eip = nmi_cs = nmi_eflags = nmi_if_inside = 0;
	seen_inside = before_int3 = after_int3 = 0;
	bp_entry = bp_exit = port61 = 0;
	action = a;
}

static uint32_t wait_nmis_for(uint32_t n, uint32_t limit)
{
	for (uint32_t i = 0; i < limit && nmis < n; i++)
		__asm__ volatile("pause" ::: "memory");
	return nmis;
}

static uint32_t wait_nmis(uint32_t n)
{
	return wait_nmis_for(n, WAIT);
}

static void nmi_handler(struct trap_frame *f)
{
	enum action a = action;

	if (++nmis == 1) {
		nmi_eip = f->eip;
		nmi_cs = f->cs & 0xffff;
		nmi_eflags = f->eflags;
		nmi_if_inside = read_eflags() & FL_IF;
	}
	if (++depth > max_depth)
		max_depth = depth;
	action = ACT_COUNT;
	switch (a) {
	case ACT_COUNT:
		break;
	case ACT_SEND_ONE:
		self_nmi();
		spin(SPIN);
		seen_inside = nmis;
		break;
	case ACT_SEND_THREE:
		self_nmi();
		self_nmi();
		self_nmi();
		spin(SPIN);
		seen_inside = nmis;
		break;
	case ACT_INT3:
		self_nmi();
		spin(SPIN);
		before_int3 = nmis;
		__asm__ volatile("int3" ::: "memory");
		after_int3 = nmis;
		break;
	case ACT_MASK_PIC:
		pic_set_mask(0xffff);
		action = a; /* QEMU may send one more while INT is high */
		break;
	case ACT_USER:
		ioapic_write(0x10 + 2 * PIT_PIN, MASKED | DM_NMI);
		user_released = 1;
		break;
	case ACT_BUTTON: {
		/* As Linux: the reason in port 0x61, then IOCHK# disabled
		 * (clearing it) and enabled again. */
		uint8_t v = inb(0x61);

		port61 = v;
		outb(0x61, (v & 0x0f) | 0x08);
		outb(0x61, v & 0x07);
		action = a;
		break;
	}
	}
	depth--;
}

static void bp_handler(struct trap_frame *f)
{
	(void)f;
	bp_entry = nmis;
	spin(SPIN);
	bp_exit = nmis;
}

static volatile uint32_t np_err, np_count, np_inside;

/* #NP from the NMI's own delivery: its gate is not present. */
static void np_handler(struct trap_frame *f)
{
	np_err = f->err;
	np_count++;
	idt_set_gate(2, idt_stub(2), GATE_INT32, 0);
	self_nmi();
	spin(SPIN);
	np_inside = nmis;
}

/* A test: the handler does `a` on the first NMI; wait for `n` NMIs. */
static void run_nmi_test(enum action a, uint32_t n)
{
	reset(a);
	self_nmi();
	wait_nmis(n);
}

/* ---- NMI IPIs ---- */

static void test_ipis(void)
{
	uint32_t got;

	section("NMI IPIs");
	reset(ACT_COUNT);
	cli();
	self_nmi();
	CHECK_EQ(wait_nmis(1), 1, "self, IF = 0: one NMI");
	CHECK_EQ(nmi_eflags & FL_IF, 0, "self, IF = 0: taken with IF = 0");
	CHECK_EQ(nmi_if_inside, 0, "interrupt gate: IF = 0 in the handler");
	CHECK_EQ(nmi_cs, SEL_KCODE, "from ring 0");
	CHECK_EQ(max_depth, 1, "not nested");

	/* One call site, again and again: a translator that turns the
	 * store into a callout after a few faults must still stop for the
	 * NMI before the wait loop, which has no exit of its own (a timer
	 * tick would deliver it, much later: the wait is short). */
	got = 0;
	for (int i = 0; i < 8; i++) {
		reset(ACT_COUNT);
		self_nmi();
		got += wait_nmis_for(1, SHORT_WAIT) == 1;
	}
	CHECK_EQ(got, 8, "eight in a row from one place, each taken soon");

	reset(ACT_COUNT);
	sti();
	self_nmi();
	wait_nmis(1);
	cli();
	CHECK_EQ(nmis, 1, "self, IF = 1: one NMI");
	CHECK_EQ(nmi_eflags & FL_IF, FL_IF, "self, IF = 1: taken with IF = 1");

	reset(ACT_COUNT);
	send_nmi(SH_ALL, 0);
	CHECK_EQ(wait_nmis(1), 1, "all including self");
	reset(ACT_COUNT);
	send_nmi(0, apic_id);
	CHECK_EQ(wait_nmis(1), 1, "physical destination: our APIC ID");
	reset(ACT_COUNT);
	lapic_write(L_DFR, 0xffffffffu); /* flat */
	lapic_write(L_LDR, 0x01000000u);
	send_nmi(ICR_LOGICAL, 0x01);
	CHECK_EQ(wait_nmis(1), 1, "logical destination: our LDR bit");
	reset(ACT_COUNT);
	send_nmi(ICR_LOGICAL, 0x02);
	send_nmi(SH_OTHERS, 0);
	spin(SPIN);
	CHECK_EQ(nmis, 0, "another logical destination, all but self: none");

	reset(ACT_COUNT);
	send_nmi(SH_SELF | 0x40, 0); /* a vector: ignored */
	CHECK_EQ(wait_nmis(1), 1, "the vector field is ignored: NMI");
	CHECK_EQ(lapic_read(L_IRR + 0x20) & 1, 0, "nothing in IRR for it");

	reset(ACT_COUNT);
	lapic_write(L_SVR, 0x0ff); /* software-disabled */
	self_nmi();
	CHECK_EQ(wait_nmis(1), 1, "software-disabled APIC: still taken");
	lapic_write(L_SVR, 0x1ff);
}

/* ---- blocking ---- */

static void test_blocking(void)
{
	section("NMI blocking until IRET");
	run_nmi_test(ACT_SEND_ONE, 2);
	CHECK_EQ(seen_inside, 1, "a second NMI waits while the handler runs");
	CHECK_EQ(nmis, 2, "and is taken after its IRET");
	CHECK_EQ(max_depth, 1, "not nested");

	run_nmi_test(ACT_SEND_THREE, 2);
	spin(SPIN);
	CHECK_EQ(seen_inside, 1, "three more NMIs wait while blocked");
	CHECK_EQ(nmis, 2, "and one is taken after IRET (one deep)");

	run_nmi_test(ACT_INT3, 2);
	CHECK_EQ(before_int3, 1, "blocked in the handler");
	CHECK_EQ(bp_entry, 1, "still blocked in the #BP handler it raised");
	CHECK_EQ(bp_exit, 1, "all through the #BP handler");
	CHECK_EQ(after_int3, 2, "the #BP handler's IRET unblocks: taken there");
	CHECK_EQ(max_depth, 2, "nested in the first handler");

	/* The delivery itself faults: NMIs stay blocked in the #NP handler,
	 * whose IRET unblocks them. */
	reset(ACT_COUNT);
	np_count = 0;
	trap_set_handler(11, np_handler);
	idt_set(2, gate_desc(SEL_KCODE, idt_stub(2), GATE_INT32, 0, 0) &
			   ~(1ull << 47));
	self_nmi();
	wait_nmis(1);
	trap_set_handler(11, NULL);
	CHECK_EQ(np_count, 1, "gate not present: #NP");
	CHECK_EQ(np_err & ~1u, 2 * 8 + 2, "#NP error code: IDT entry 2");
	CHECK_EQ(np_inside, 0, "NMIs blocked in the #NP handler");
	CHECK_EQ(nmis, 1, "the NMI sent there comes after its IRET");
}

/* ---- hlt ---- */

static void test_hlt(void)
{
	extern char hlt_done1[], hlt_done2[];

	section("NMI ends hlt");
	/* Maskable sources off: the 8259s (the library masks them), the
	 * local APIC timer; only the PIT's I/O APIC pin, in NMI mode. */
	pit_set_hz(1000);
	reset(ACT_COUNT);
	ioapic_write(0x11 + 2 * PIT_PIN, (uint32_t)apic_id << 24);
	ioapic_write(0x10 + 2 * PIT_PIN, DM_NMI);
	__asm__ volatile("sti\n\t"
			 "hlt\n"
			 "hlt_done1:\n\t"
			 "cli" ::
				 : "memory");
	ioapic_write(0x10 + 2 * PIT_PIN, MASKED | DM_NMI);
	CHECK(nmis >= 1, "I/O APIC pin in NMI mode: an NMI ended hlt");
	CHECK_EQ(nmi_eip, (uint32_t)hlt_done1, "returning after the hlt");
	CHECK_EQ(nmi_eflags & FL_IF, FL_IF, "with IF = 1");

	/* LINT0 programmed NMI: the 8259's INT output is the NMI. The PIT
	 * counts once (mode 0, 55 ms) and the request IRQ 0 latched while
	 * masked is acknowledged (poll command), so the one rising edge of
	 * INT comes during the hlt. */
	outb(0x43, 0x30);
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	pic_set_mask(0xfffe);
	outb(0x20, 0x0c);
	(void)inb(0x20);
	outb(0x20, 0x20);
	pic_set_mask(0xffff);
	reset(ACT_MASK_PIC);
	lapic_write(L_LINT0, DM_NMI);
	pic_set_mask(0xfffe);
	__asm__ volatile("sti\n\t"
			 "hlt\n"
			 "hlt_done2:\n\t"
			 "cli" ::
				 : "memory");
	pic_set_mask(0xffff);
	lapic_write(L_LINT0, DM_EXTINT);
	CHECK(nmis >= 1, "LINT0 in NMI mode: the 8259's request ended hlt");
	CHECK_EQ(nmi_eip, (uint32_t)hlt_done2, "returning after the hlt");
}

/* ---- real mode ---- */

/*
 * The real-mode blob, copied to RM_BASE and entered through a 16-bit code
 * segment with that base: 16-bit data segments, CR0.PE cleared, the IVT
 * as IDT; with IF = 0 it sends itself an NMI through the ICR (FS keeps
 * the flat 4 GiB limit from protected mode: "unreal mode") and waits for
 * the IVT's handler (rm_nmi) to count it; back to protected mode through
 * a far jump to rm_back (patched in at rm_patch).
 */
__asm__(".text\n"
	".p2align 4\n"
	"rm_blob:\n\t"
	".code16\n\t"
	"movw $0x38, %ax\n\t" /* SEL(G_DATA16) */
	"movw %ax, %ds\n\t"
	"movw %ax, %es\n\t"
	"movw %ax, %ss\n\t"
	"movl %cr0, %eax\n\t"
	"andl $0xfffffffe, %eax\n\t"
	"movl %eax, %cr0\n\t"
	"ljmp $0x0600, $(rm_real - rm_blob)\n"
	"rm_real:\n\t"
	"xorw %ax, %ax\n\t"
	"movw %ax, %ss\n\t"
	"movl $0x6ff0, %esp\n\t"
	"movw %ax, %ds\n\t"
	"movw %ax, %es\n\t"
	"lidt %cs:(rm_ivt - rm_blob)\n\t"
	"cli\n\t"
	"movl $0xfee00310, %ebx\n\t"
	"addr32 movl $0, %fs:(%ebx)\n\t"
	"movl $0xfee00300, %ebx\n\t"
	"addr32 movl $0x00040400, %fs:(%ebx)\n"
	"rm_sent:\n\t"
	"movl $2000000, %ecx\n"
	"1:\n\t"
	"cmpw $0, %cs:(rm_count - rm_blob)\n\t"
	"jne 2f\n\t"
	"pause\n\t"
	"decl %ecx\n\t"
	"jnz 1b\n"
	"2:\n"
	"rm_waited:\n\t"
	"movl %cr0, %eax\n\t"
	"orl $1, %eax\n\t"
	"movl %eax, %cr0\n\t"
	".byte 0x66, 0xea\n"
	"rm_patch:\n\t"
	".long 0\n\t"
	".word 0x08\n"
	/* IVT entry 2: count, keep IP, the FLAGS image and FLAGS inside. */
	"rm_nmi:\n\t"
	"pushw %bp\n\t"
	"movw %sp, %bp\n\t"
	"pushw %ax\n\t"
	"movw 2(%bp), %ax\n\t"
	"movw %ax, %cs:(rm_ip - rm_blob)\n\t"
	"movw 6(%bp), %ax\n\t"
	"movw %ax, %cs:(rm_flags - rm_blob)\n\t"
	"pushfw\n\t"
	"popw %ax\n\t"
	"movw %ax, %cs:(rm_hflags - rm_blob)\n\t"
	"incw %cs:(rm_count - rm_blob)\n\t"
	"popw %ax\n\t"
	"popw %bp\n\t"
	"iret\n"
	"rm_ivt:\n\t"
	".word 0x3ff\n\t"
	".long 0\n"
	"rm_count:\n\t"
	".word 0\n"
	"rm_ip:\n\t"
	".word 0\n"
	"rm_flags:\n\t"
	".word 0\n"
	"rm_hflags:\n\t"
	".word 0\n"
	".code32\n"
	"rm_blob_end:\n\t"
	/* void run_real(void): from flat 32-bit ring 0, paging off. */
	".globl run_real\n"
	"run_real:\n\t"
	"pushal\n\t"
	"movl %esp, rm_saved_esp\n\t"
	"sidt rm_saved_idt\n\t"
	"movw $0x10, %ax\n\t"
	"movw %ax, %fs\n\t"
	"ljmp $0x30, $0\n" /* SEL(G_CODE16): the blob at RM_BASE */
	"rm_back:\n\t"
	"movw $0x10, %ax\n\t"
	"movw %ax, %ds\n\t"
	"movw %ax, %es\n\t"
	"movw %ax, %ss\n\t"
	"movw %ax, %fs\n\t"
	"movw %ax, %gs\n\t"
	"movl rm_saved_esp, %esp\n\t"
	"lidt rm_saved_idt\n\t"
	"popal\n\t"
	"ret\n");
extern const uint8_t rm_blob[], rm_blob_end[], rm_patch[], rm_nmi[], rm_count[],
	rm_ip[], rm_flags[], rm_hflags[], rm_sent[], rm_waited[];
void rm_back(void);
void run_real(void);
uint32_t rm_saved_esp;
uint8_t rm_saved_idt[6];
_Static_assert(SEL(G_CODE16) == 0x30, "run_real jumps to 0x30");
_Static_assert(SEL(G_DATA16) == 0x38, "the blob loads 0x38");
_Static_assert(RM_BASE >> 4 == 0x600, "the blob jumps to 0x600");

static uint16_t rm_word(const uint8_t *label)
{
	return *(volatile uint16_t *)phys8(RM_BASE +
					   (uint32_t)(label - rm_blob));
}

static void test_real_mode(void)
{
	uint32_t back = (uint32_t)rm_back, saved_ivt2;
	uint16_t ip;

	section("NMI in real mode");
	memcpy((void *)phys8(RM_BASE), rm_blob,
	       (size_t)(rm_blob_end - rm_blob));
	memcpy((void *)phys8(RM_BASE + (uint32_t)(rm_patch - rm_blob)), &back,
	       4);
	gdt_set(G_CODE16, seg_desc(RM_BASE, 0xffff, DESC_CODE_RX, 0));
	gdt_set(G_DATA16, seg_desc(0, 0xffff, DESC_DATA_RW, 0));
	saved_ivt2 = *(volatile uint32_t *)phys8(8);
	*(volatile uint32_t *)phys8(8) =
		(RM_BASE >> 4) << 16 | (uint32_t)(rm_nmi - rm_blob);
	run_real();
	*(volatile uint32_t *)phys8(8) = saved_ivt2;
	ip = rm_word(rm_ip);
	CHECK_EQ(rm_word(rm_count), 1, "through IVT entry 2");
	CHECK_EQ(rm_word(rm_flags) & FL_IF, 0, "taken with IF = 0");
	CHECK_EQ(rm_word(rm_hflags) & FL_IF, 0, "IF = 0 in the handler");
	CHECK(ip >= (uint32_t)(rm_sent - rm_blob) &&
		      ip <= (uint32_t)(rm_waited - rm_blob),
	      "returning into the code that waited for it");
}

/* ---- ring 3 ---- */

USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack) - 16)

USER_TEXT static void user_wait(void)
{
	while (!user_released)
		;
	__asm__ volatile("int $0x80");
}

static void sys_exit(struct trap_frame *f)
{
	(void)f;
	return_to_kernel(1);
}

static void test_user(void)
{
	uint32_t *pd = pd_kernel();
	int r;

	section("NMI in ring 3");
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	map_page(pd, LAPIC, LAPIC, PTE_P | PTE_W);
	map_page(pd, IOAPIC, IOAPIC, PTE_P | PTE_W);
	paging_enable(pd);
	trap_set_handler(0x80, sys_exit);

	pit_set_hz(1000);
	reset(ACT_USER);
	user_released = 0;
	ioapic_write(0x10 + 2 * PIT_PIN, DM_NMI);
	r = enter_user((uint32_t)user_wait, USTACK_TOP, FL_IF | 2);
	cli();
	ioapic_write(0x10 + 2 * PIT_PIN, MASKED | DM_NMI);
	CHECK_EQ(r, 1, "the user code ran to its exit");
	CHECK(nmis >= 1, "an NMI interrupted it");
	CHECK_EQ(nmi_cs, SEL_UCODE, "from ring 3");
	CHECK_EQ(nmi_eflags & FL_IF, FL_IF, "with IF = 1");
	paging_disable();
}

/* ---- the NMI button (bt386: Ctrl-A n) ---- */

static void test_button(void)
{
	section("the NMI button");
	reset(ACT_BUTTON);
	outb(0x70, 0x0d); /* NMI enabled */
	printf("waiting for the NMI button\n");
	sti();
	while (!nmis)
		__asm__ volatile("hlt" ::: "memory");
	cli();
	CHECK_EQ(nmis, 1, "one NMI");
	CHECK_EQ(port61 & 0xc0, 0x40, "port 0x61: IOCHK# (bit 6)");
	CHECK_EQ(inb(0x61) & 0xc0, 0, "cleared through bit 3");

	/* Port 0x70 bit 7 holds it off; unmasking lets it through. */
	outb(0x70, 0x8d);
	printf("waiting for the NMI button again\n");
	while (!(inb(0x61) & 0x40))
		__asm__ volatile("pause" ::: "memory");
	spin(SPIN);
	CHECK_EQ(nmis, 1, "masked at port 0x70: IOCHK# latched, no NMI");
	outb(0x70, 0x0d);
	CHECK_EQ(wait_nmis(2), 2, "unmasked: the NMI comes");
	CHECK_EQ(port61 & 0xc0, 0x40, "port 0x61: IOCHK# again");
}

static int has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s; s++)
		if (!strncmp(s, w, n) && (s[n] == 0 || s[n] == ' '))
			return 1;
	return 0;
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	(void)magic;
	printf("nmi: NMI IPIs, blocking, hlt, real mode, ring 3\n");
	trap_set_handler(2, nmi_handler);
	trap_set_handler(3, bp_handler);
	/* The local APIC software-enabled, its timer masked. */
	apic_id = (uint8_t)(lapic_read(L_ID) >> 24);
	lapic_write(L_SVR, 0x1ff);
	lapic_write(0x320, MASKED | 0x40);

	if ((info->flags & MBI_CMDLINE) &&
	    has_word((const char *)info->cmdline, "nmi-button")) {
		test_button();
		return;
	}
	test_ipis();
	test_blocking();
	test_hlt();
	test_real_mode();
	test_user();
}

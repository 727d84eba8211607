/*
 * exceptions - CPU exceptions raised at CPL 0: the vector, the error code,
 * the saved EIP (fault: the faulting instruction; trap: the next one), CR2
 * for page faults, the saved EFLAGS and CS, the stack the frame lands on,
 * and that execution resumes after the handler.
 *
 * Each faulting instruction is listed in the exception table (EXTABLE in
 * cpu.h): the library records the trap in last_trap and resumes at the
 * label given. The address of the faulting instruction is taken with
 * "movl $1f, reg" in the same asm statement, so no address is printed.
 */
#include "guest.h"

/* A frame below a CPL 0 fault: EIP, CS, EFLAGS, error code (pushed by the
 * CPU or by the stub), vector, 8 general registers and 4 selectors. */
#define FRAME_BYTES (4 * (3 + 1 + 1 + 8 + 4))

static uint32_t count_before;

static void expect_begin(void)
{
	trap_record_clear();
	count_before = last_trap.count;
}

static int trapped_once(void)
{
	return last_trap.count == count_before + 1;
}

static int not_trapped(void)
{
	return last_trap.count == count_before;
}

static void check_fault(uint32_t vector, uint32_t err, uint32_t eip,
			const char *what)
{
	char name[96];

	snprintf(name, sizeof(name), "%s: one trap", what);
	CHECK(trapped_once(), name);
	snprintf(name, sizeof(name), "%s: vector", what);
	CHECK_EQ(last_trap.vector, vector, name);
	snprintf(name, sizeof(name), "%s: error code", what);
	CHECK_EQ(last_trap.err, err, name);
	snprintf(name, sizeof(name), "%s: saved EIP", what);
	CHECK_EQ(last_trap.eip, eip, name);
	snprintf(name, sizeof(name), "%s: saved CS", what);
	CHECK_EQ(last_trap.cs, SEL_KCODE, name);
}

static void test_divide(void)
{
	uint32_t at, eax, edx, esp;

	section("#DE divide error");
	expect_begin();
	eax = 1234;
	edx = 0;
	__asm__ volatile("movl %%esp, %1\n\t"
			 "movl $1f, %0\n"
			 "1:\tdivl %4\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at), "=&m"(esp), "+a"(eax), "+d"(edx)
			 : "r"(0));
	check_fault(0, 0, at, "divl by zero");
	CHECK(eax == 1234 && edx == 0, "divl by zero: EDX:EAX unchanged");
	CHECK_EQ(last_trap.frame_esp, esp - FRAME_BYTES,
		 "divl by zero: frame on the current stack, no error code");

	expect_begin();
	eax = 0;
	edx = 1;
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tdivl %3\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at), "+a"(eax), "+d"(edx)
			 : "r"(1));
	check_fault(0, 0, at, "divl quotient overflow");

	expect_begin();
	eax = 0x80000000u;
	edx = 0xffffffffu;
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tidivl %3\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at), "+a"(eax), "+d"(edx)
			 : "r"(-1));
	check_fault(0, 0, at, "idivl INT_MIN / -1");

	expect_begin();
	eax = 0x1000;
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tdivb %b2\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at), "+a"(eax)
			 : "q"(0x10));
	check_fault(0, 0, at, "divb quotient overflow");

	expect_begin();
	eax = 100;
	edx = 0;
	__asm__ volatile("divl %2" : "+a"(eax), "+d"(edx) : "r"(7));
	CHECK(not_trapped() && eax == 14 && edx == 2,
	      "a valid division does not trap");
}

static void test_invalid_opcode(void)
{
	uint32_t at, flags;

	section("#UD invalid opcode");
	expect_begin();
	__asm__ volatile("stc\n\t"
			 "movl $1f, %0\n"
			 "1:\tud2\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 :
			 : "cc");
	check_fault(6, 0, at, "ud2");
	flags = last_trap.eflags;
	CHECK((flags & FL_CF) && (flags & 2) && !(flags & FL_IF),
	      "ud2: saved EFLAGS are those before the fault");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\t.byte 0xf0, 0x01, 0xc0\n" /* lock add %eax,%eax */
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at));
	check_fault(6, 0, at, "lock prefix on a register operand");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\t.byte 0x0f, 0x22, 0xc8\n" /* mov %eax,%cr1 */
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at));
	check_fault(6, 0, at, "mov to CR1");
}

static void test_general_protection(void)
{
	uint32_t at, at2;

	section("#GP general protection");
	expect_begin();
	__asm__ volatile("movw $0x1230, %%ax\n\t"
			 "movl $1f, %0\n"
			 "1:\tmovw %%ax, %%ds\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 :
			 : "eax");
	check_fault(13, 0x1230, at, "selector beyond the GDT limit");
	CHECK_EQ(read_ds(), SEL_KDATA, "DS unchanged after the failed load");

	expect_begin();
	__asm__ volatile("movw $0x13, %%ax\n\t"
			 "movl $1f, %0\n"
			 "1:\tmovw %%ax, %%ds\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 :
			 : "eax");
	check_fault(13, 0x10, at, "RPL 3 selector for a DPL 0 data segment");

	gdt_set(GDT_FIRST_FREE,
		seg_desc(0, 0xfffff, DESC_DATA_RO, DESC_FLAG_G | DESC_FLAG_DB));
	expect_begin();
	__asm__ volatile("movw %1, %%ax\n\t"
			 "movl $1f, %0\n"
			 "1:\tmovw %%ax, %%ss\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "i"(GDT_FIRST_FREE * 8)
			 : "eax");
	check_fault(13, GDT_FIRST_FREE * 8, at, "read-only segment into SS");
	CHECK_EQ(read_ss(), SEL_KDATA, "SS unchanged after the failed load");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tljmp $0, $0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at));
	check_fault(13, 0, at, "far jump to the null selector");

	/* A not-present IDT gate: #NP with the IDT bit (1) in the error
	 * code, the vector in the index field. */
	idt_set(0x41, gate_desc(SEL_KCODE, idt_stub(0x41), GATE_INT32, 0, 0) &
			      ~(1ull << 47));
	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tint $0x41\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at));
	check_fault(11, 0x41 * 8 + 2, at, "int to a not-present gate (#NP)");
	idt_set_gate(0x41, idt_stub(0x41), GATE_INT32, 0);

	/* After all that, a normal load still works. */
	expect_begin();
	__asm__ volatile("movw $0x10, %%ax\n\t"
			 "movw %%ax, %%es\n\t"
			 "movl $1f, %0\n"
			 "1:\n"
			 : "=&r"(at2)
			 :
			 : "eax");
	CHECK(not_trapped(), "a valid segment load does not trap");
}

static volatile uint32_t pf_fixups;
static uint32_t pf_fix_va;

static void pf_map_and_retry(struct trap_frame *f)
{
	uint32_t *pte = pte_ptr((uint32_t *)read_cr3(), pf_fix_va);

	last_trap.vector = f->vector;
	last_trap.err = f->err;
	last_trap.cr2 = read_cr2();
	last_trap.eip = f->eip;
	pf_fixups++;
	*pte = (pf_fix_va & ~0xfffu) | PTE_P | PTE_W;
	invlpg(pf_fix_va);
}

static void test_page_fault(void)
{
	const uint32_t absent = 0xe00000, ro = 0xe01000;
	uint32_t *pd = pd_kernel();
	uint32_t at, v = 0;

	section("#PF page fault");
	*(volatile uint32_t *)(absent + 0x120) = 0x5a5a5a5a;
	*(volatile uint32_t *)ro = 0xabcd;
	unmap_page(pd, absent);
	*pte_ptr(pd, ro) = ro | PTE_P; /* read-only */
	paging_enable(pd);
	write_cr0(read_cr0() & ~CR0_WP);

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tmovl (%2), %1\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at), "+r"(v)
			 : "r"(absent + 0x123));
	check_fault(14, 0, at, "read of a not-present page");
	CHECK_EQ(last_trap.cr2, absent + 0x123, "read: CR2 holds the address");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tmovb $1, (%1)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "r"(absent + 0xfff));
	check_fault(14, PF_W, at, "write to a not-present page");
	CHECK_EQ(last_trap.cr2, absent + 0xfff, "write: CR2 holds the address");

	/* A dword write straddling into the absent page faults on the part
	 * that is absent: CR2 is the first byte of that page. */
	*(volatile uint32_t *)(absent - 4) = 0xaabbccdd;
	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tmovl $0x01020304, (%1)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "r"(absent - 2));
	check_fault(14, PF_W, at, "write straddling into a not-present page");
	CHECK_EQ(last_trap.cr2, absent, "straddling: CR2 is the page start");
	CHECK_EQ(*(volatile uint32_t *)(absent - 4), 0xaabbccdd,
		 "straddling: nothing was written to the present page");

	expect_begin();
	v = *(volatile uint32_t *)ro;
	CHECK(not_trapped() && v == 0xabcd, "read of a read-only page works");
	*(volatile uint32_t *)ro = 0x1234;
	CHECK(not_trapped() && *(volatile uint32_t *)ro == 0x1234,
	      "CR0.WP clear: supervisor write to a read-only page works");

	write_cr0(read_cr0() | CR0_WP);
	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tmovl $0x5678, (%1)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "r"(ro + 8));
	check_fault(14, PF_P | PF_W, at,
		    "CR0.WP set: supervisor write to a read-only page");
	CHECK_EQ(last_trap.cr2, ro + 8, "protection fault: CR2");

	/* A handler that fixes the mapping and returns: the instruction is
	 * restarted and completes. */
	trap_set_handler(14, pf_map_and_retry);
	pf_fixups = 0;
	pf_fix_va = absent;
	v = *(volatile uint32_t *)(absent + 0x120);
	CHECK(pf_fixups == 1 && v == 0x5a5a5a5a,
	      "handler maps the page: the read restarts and completes");
	pf_fix_va = ro;
	*(volatile uint32_t *)(ro + 4) = 0x9999;
	CHECK(pf_fixups == 2 && *(volatile uint32_t *)(ro + 4) == 0x9999,
	      "handler makes the page writable: the write completes");
	CHECK_EQ(last_trap.err, PF_P | PF_W, "restarted write: error code");
	trap_set_handler(14, 0);

	write_cr0(read_cr0() & ~CR0_WP);
	paging_disable();
}

static void test_traps(void)
{
	static const int32_t bounds[2] = {10, 20};
	static const int16_t bounds16[2] = {-5, 5};
	uint32_t at;

	section("traps: int3, int 3, into; fault: bound");
	expect_begin();
	__asm__ volatile("int3\n"
			 "1:\tmovl $1b, %0\n\t" EXTABLE("1b", "1b")
			 : "=r"(at));
	check_fault(3, 0, at, "int3 (0xcc)");

	expect_begin();
	__asm__ volatile(".byte 0xcd, 0x03\n" /* int $3, two bytes */
			 "1:\tmovl $1b, %0\n\t" EXTABLE("1b", "1b")
			 : "=r"(at));
	check_fault(3, 0, at, "int $3 (0xcd 0x03)");

	expect_begin();
	__asm__ volatile("xorl %%eax, %%eax\n\t"
			 "into\n"
			 "1:\tmovl $1b, %0\n\t" EXTABLE("1b", "1b")
			 : "=r"(at)
			 :
			 : "eax", "cc");
	CHECK(not_trapped(), "into with OF clear does not trap");

	expect_begin();
	__asm__ volatile("movl $0x7fffffff, %%eax\n\t"
			 "addl $1, %%eax\n\t"
			 "into\n"
			 "1:\tmovl $1b, %0\n\t" EXTABLE("1b", "1b")
			 : "=r"(at)
			 :
			 : "eax", "cc");
	check_fault(4, 0, at, "into with OF set");
	CHECK(last_trap.eflags & FL_OF, "into: saved EFLAGS has OF");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tboundl %1, (%2)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "r"(15), "r"(bounds));
	CHECK(not_trapped(), "bound within range does not trap");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tboundl %1, (%2)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "r"(21), "r"(bounds));
	check_fault(5, 0, at, "bound above the upper bound");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tboundl %1, (%2)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "r"(9), "r"(bounds));
	check_fault(5, 0, at, "bound below the lower bound");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tboundw %w1, (%2)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "r"(0xfffb), "r"(bounds16));
	CHECK(not_trapped(), "16-bit bound, signed, at the lower bound");

	expect_begin();
	__asm__ volatile("movl $1f, %0\n"
			 "1:\tboundw %w1, (%2)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(at)
			 : "r"(0xfffa), "r"(bounds16));
	check_fault(5, 0, at, "16-bit bound below the lower bound");
}

static volatile uint32_t db_count, db_eip, db_dr6;

static void db_handler(struct trap_frame *f)
{
	uint32_t dr6;

	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	db_count++;
	db_eip = f->eip;
	db_dr6 = dr6;
	f->eflags &= ~FL_TF;
}

static void test_single_step(void)
{
	uint32_t after;

	section("#DB single step");
	trap_set_handler(1, db_handler);
	__asm__ volatile("mov %0, %%dr6" : : "r"(0));
	db_count = 0;
	__asm__ volatile("pushfl\n\t"
			 "orl $0x100, (%%esp)\n\t"
			 "popfl\n\t"
			 "nop\n"
			 "1:\tnop\n\t"
			 "movl $1b, %0"
			 : "=r"(after)
			 :
			 : "cc");
	CHECK_EQ(db_count, 1, "TF set by popf: one #DB");
	CHECK_EQ(db_eip, after, "#DB after the instruction following popf");
	CHECK(db_dr6 & 0x4000, "DR6.BS is set");
	CHECK(!(read_eflags() & FL_TF), "TF is clear again");
	trap_set_handler(1, 0);
}

static volatile uint32_t gate_eflags, gate_frame_eflags;

static void gate_handler(struct trap_frame *f)
{
	gate_eflags = read_eflags();
	gate_frame_eflags = f->eflags;
}

static void test_gate_types(void)
{
	section("interrupt gate vs trap gate");
	idt_set_gate(0x50, idt_stub(0x50), GATE_INT32, 0);
	idt_set_gate(0x51, idt_stub(0x51), GATE_TRAP32, 0);
	trap_set_handler(0x50, gate_handler);
	trap_set_handler(0x51, gate_handler);

	/* Every PIC line is masked, so IF = 1 lets nothing in. */
	__asm__ volatile("sti; int $0x50; cli" ::: "memory");
	CHECK(!(gate_eflags & FL_IF), "interrupt gate clears IF");
	CHECK(gate_frame_eflags & FL_IF, "interrupt gate: saved IF is 1");
	__asm__ volatile("sti; int $0x51; cli" ::: "memory");
	CHECK(gate_eflags & FL_IF, "trap gate keeps IF");
	__asm__ volatile("cli; int $0x51" ::: "memory");
	CHECK(!(gate_eflags & FL_IF), "trap gate with IF = 0 keeps it 0");
	CHECK(!(read_eflags() & FL_IF), "IF restored to 0 by iret");

	trap_set_handler(0x50, 0);
	trap_set_handler(0x51, 0);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("exceptions: faults and traps at CPL 0\n");
	test_divide();
	test_invalid_opcode();
	test_general_protection();
	test_page_fault();
	test_traps();
	test_single_step();
	test_gate_types();
}

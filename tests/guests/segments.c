/*
 * segments - protected-mode segmentation as far as QEMU implements it too:
 * based data segments, the hidden descriptor cache, the accessed bit,
 * faults on segment register loads (#GP, #NP, #SS with the selector as
 * error code), the LDT, far jumps and calls (direct, indirect, through
 * call gates at the same privilege level and from ring 3 to ring 0 with
 * parameters, into a 16-bit code segment), lar/lsl/verr/verw, and the
 * sgdt/sidt/str/sldt/smsw stores.
 *
 * Limit and access-rights checks on memory accesses (which QEMU's TCG
 * does not perform) are in seglimits.c, run under bt386 only.
 */
#include "guest.h"

enum {
	G_DATA_BASED = GDT_FIRST_FREE, /* 0x30 */
	G_CODE_ALIAS,		       /* 0x38 */
	G_DATA_NP,		       /* 0x40 */
	G_CODE_XONLY,		       /* 0x48 */
	G_GATE_SAME,		       /* 0x50 */
	G_GATE_ALIAS,		       /* 0x58 */
	G_LDT,			       /* 0x60 */
	G_CODE16,		       /* 0x68 */
	G_GATE_RING3,		       /* 0x70 */
	G_DATA_RO,		       /* 0x78 */
	G_DATA_UNACCESSED,	       /* 0x80 */
	G_DATA_CACHE,		       /* 0x88 */
	G_INTGATE,		       /* 0x90 */
	G_DATA_BYTES,		       /* 0x98 */
	G_DATA_PAGES,		       /* 0xa0 */
};
#define SEL(i) ((i)*8)
#define FLAT32 (DESC_FLAG_G | DESC_FLAG_DB)

static uint32_t count_before;
static uint8_t buf[64], buf2[64];

static void expect_begin(void)
{
	trap_record_clear();
	count_before = last_trap.count;
}

static void check_fault(uint32_t vector, uint32_t err, const char *what)
{
	char name[96];

	snprintf(name, sizeof(name), "%s: vector %u", what, vector);
	CHECK(last_trap.count == count_before + 1 && last_trap.vector == vector,
	      name);
	snprintf(name, sizeof(name), "%s: error code", what);
	CHECK_EQ(last_trap.err, err, name);
}

static int no_fault(void)
{
	return last_trap.count == count_before;
}

/* Load selector sel into ES, recording a fault. */
static void load_es(uint32_t sel)
{
	expect_begin();
	__asm__ volatile("1:\tmovw %w0, %%es\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(sel)
			 : "memory");
}

static void restore_es(void)
{
	__asm__ volatile("movw %w0, %%es" : : "r"(SEL_KDATA));
}

static __attribute__((noinline)) uint32_t based_target(void)
{
	__asm__ volatile("");
	return 0xa1;
}

static void test_based(void)
{
	uint32_t v;

	section("based data segments");
	for (int i = 0; i < 64; i++)
		buf[i] = (uint8_t)(0x40 + i);
	gdt_set(G_DATA_BASED, seg_desc((uint32_t)buf - 0x100000, 0xfffff,
				       DESC_DATA_RW, FLAT32));
	__asm__ volatile("movw %w1, %%fs\n\t"
			 "movl %%fs:0x100004, %0"
			 : "=r"(v)
			 : "r"(SEL(G_DATA_BASED)));
	CHECK_EQ(v, 0x47464544, "FS:0x100004 reads base + 0x100004");
	__asm__ volatile("movl $0x11223344, %%fs:0x100010" ::: "memory");
	CHECK_EQ(*(uint32_t *)(buf + 16), 0x11223344,
		 "a write through FS lands at base + offset");
	__asm__ volatile("movw %w1, %%gs\n\t"
			 "movl %%gs:0x100000(,%2,4), %0"
			 : "=r"(v)
			 : "r"(SEL(G_DATA_BASED)), "r"(1));
	CHECK_EQ(v, 0x43424140 + 0x04040404, "GS with a scaled index");
	__asm__ volatile("pushl %%ds\n\t"
			 "movw %w1, %%ds\n\t"
			 "movl 0x100020, %0\n\t"
			 "popl %%ds"
			 : "=r"(v)
			 : "r"(SEL(G_DATA_BASED)));
	CHECK_EQ(v, 0x63626160, "DS based: a plain absolute load");
	__asm__ volatile("pushl %%fs\n\t"
			 "popl %%gs\n\t"
			 "movl %%gs:0x100000, %0"
			 : "=r"(v));
	CHECK_EQ(v, 0x43424140, "push fs; pop gs copies the segment");
	/* call and jmp through FS and GS (glibc's `call *%gs:0x10`), a few
	 * times: the later runs go through translated, chained code */
	*(uint32_t *)(buf + 0x30) = (uint32_t)based_target;
	__asm__ volatile("movw %w0, %%fs" : : "r"(SEL(G_DATA_BASED)));
	for (int i = 0; i < 4; i++) {
		uint32_t r;

		__asm__ volatile("call *%%fs:0x100030"
				 : "=a"(r)
				 :
				 : "ecx", "edx", "memory");
		v = i ? v : 0;
		v += r;
		__asm__ volatile("movl $2f, %%gs:0x100034\n\t"
				 "movl $0xbad, %0\n\t"
				 "jmp *%%gs:0x100030(,%1,4)\n\t"
				 "movl $0xbad2, %0\n"
				 "2:\taddl $0x1000, %0"
				 : "=&r"(r)
				 : "r"(1)
				 : "memory");
		v += r;
	}
	CHECK_EQ(v, 4 * (0xa1 + 0xbad + 0x1000),
		 "call through FS, jmp through GS with an index");

	/* The descriptor cache: FS keeps the base it was loaded with until
	 * it is reloaded, whatever happens to the GDT entry. */
	gdt_set(G_DATA_CACHE,
		seg_desc((uint32_t)buf, 0xfffff, DESC_DATA_RW, FLAT32));
	__asm__ volatile("movw %w0, %%fs" : : "r"(SEL(G_DATA_CACHE)));
	gdt_set(G_DATA_CACHE,
		seg_desc((uint32_t)buf + 8, 0xfffff, DESC_DATA_RW, FLAT32));
	__asm__ volatile("movl %%fs:0, %0" : "=r"(v));
	CHECK_EQ(v, 0x43424140, "a GDT change does not reach a loaded FS");
	__asm__ volatile("movw %w1, %%fs\n\t"
			 "movl %%fs:0, %0"
			 : "=r"(v)
			 : "r"(SEL(G_DATA_CACHE)));
	CHECK_EQ(v, 0x4b4a4948, "reloading FS picks up the new base");

	gdt_set(G_DATA_UNACCESSED, seg_desc(0, 0xfffff, DESC_DATA_RW, FLAT32));
	gdt_set(G_DATA_UNACCESSED, gdt_get(G_DATA_UNACCESSED) & ~(1ull << 40));
	load_es(SEL(G_DATA_UNACCESSED));
	restore_es();
	CHECK(gdt_get(G_DATA_UNACCESSED) & (1ull << 40),
	      "loading a segment sets its accessed bit");

	__asm__ volatile("xorl %%eax, %%eax\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs"
			 :
			 :
			 : "eax");
	expect_begin();
	load_es(0);
	CHECK(no_fault(), "the null selector loads into ES");
	load_es(3);
	CHECK(no_fault(), "so does a null selector with RPL 3");
	restore_es();
}

static void test_load_faults(void)
{
	section("faults on segment loads");
	gdt_set(G_DATA_NP, seg_desc(0, 0xfffff, DESC_DATA_RW & ~0x80, FLAT32));
	gdt_set(G_CODE_XONLY, seg_desc(0, 0xfffff, 0x99, FLAT32));
	gdt_set(G_DATA_RO, seg_desc(0, 0xfffff, DESC_DATA_RO, FLAT32));

	load_es(SEL(G_DATA_NP));
	check_fault(11, SEL(G_DATA_NP), "not-present data segment (#NP)");
	load_es(SEL(G_CODE_XONLY));
	check_fault(13, SEL(G_CODE_XONLY), "execute-only code into ES");
	load_es(SEL_KCODE);
	CHECK(no_fault(), "readable code into ES is allowed");
	load_es(SEL_TSS);
	check_fault(13, SEL_TSS, "a TSS descriptor into ES");
	load_es(0x1ff8);
	check_fault(13, 0x1ff8, "selector beyond the GDT limit");
	load_es(SEL(G_DATA_RO) | 3);
	check_fault(13, SEL(G_DATA_RO), "RPL 3 for a DPL 0 segment");
	load_es(SEL(G_DATA_RO));
	CHECK(no_fault(), "read-only data into ES is allowed");
	restore_es();

	expect_begin();
	__asm__ volatile("1:\tmovw %w0, %%ss\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(SEL(G_DATA_NP)));
	check_fault(12, SEL(G_DATA_NP), "not-present segment into SS (#SS)");
	expect_begin();
	__asm__ volatile("1:\tmovw %w0, %%ss\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(0));
	check_fault(13, 0, "null selector into SS");
	expect_begin();
	__asm__ volatile("1:\tmovw %w0, %%ss\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(SEL_KCODE));
	check_fault(13, SEL_KCODE, "code segment into SS");
	CHECK_EQ(read_ss(), SEL_KDATA, "SS unchanged by the failed loads");
}

static void test_ldt(void)
{
	static uint64_t ldt[4] __attribute__((aligned(8)));
	uint16_t sel;
	uint32_t v;

	section("LDT");
	for (int i = 0; i < 64; i++)
		buf2[i] = (uint8_t)(0x80 + i);
	ldt[0] = 0;
	ldt[1] = seg_desc((uint32_t)buf2, 63, DESC_DATA_RW, DESC_FLAG_DB);
	ldt[2] = seg_desc(0, 0xfffff, 0x9b, FLAT32);
	ldt_setup(ldt, 4, G_LDT);
	__asm__ volatile("sldt %w0" : "=r"(sel));
	CHECK_EQ(sel, SEL(G_LDT), "sldt returns the LDT selector");

	load_es(1 * 8 | 4);
	CHECK(no_fault(), "a TI = 1 selector loads from the LDT");
	__asm__ volatile("movl %%es:4, %0" : "=r"(v));
	CHECK_EQ(v, 0x87868584, "ES from the LDT reaches its base");
	restore_es();

	load_es(3 * 8 | 4);
	check_fault(13, 3 * 8 | 4, "empty LDT entry: #GP with TI in the code");
	load_es(5 * 8 | 4);
	check_fault(13, 5 * 8 | 4, "selector beyond the LDT limit");
	restore_es();

	/* Far jump to a code segment in the LDT and back. */
	__asm__ volatile("ljmp $0x14, $1f\n"
			 "1:\tmovw %%cs, %w0\n\t"
			 "ljmp $0x08, $2f\n"
			 "2:"
			 : "=r"(sel));
	CHECK_EQ(sel, 2 * 8 | 4, "CS from the LDT while running there");

	__asm__ volatile("lldt %w0" : : "r"(0));
	__asm__ volatile("sldt %w0" : "=r"(sel));
	CHECK_EQ(sel, 0, "lldt 0: sldt returns 0");
	load_es(1 * 8 | 4);
	check_fault(13, 1 * 8 | 4, "TI = 1 selector with a null LDTR");
	restore_es();
}

/* Targets of far calls, in assembly so the stack is known exactly. */
void far_target(void);
void alias_target(void);
void ring0_gate_entry(void);
uint32_t far_seen_cs, far_seen_ret_cs, far_seen_esp;
uint32_t gate_seen[6];
__asm__(".text\n"
	"far_target:\n\t"
	"movw %cs, far_seen_cs\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl %eax, far_seen_ret_cs\n\t"
	"movl %esp, far_seen_esp\n\t"
	"movl $0x5a5a, %eax\n\t"
	"lret\n"
	"alias_target:\n\t"
	"movw %cs, far_seen_cs\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl %eax, far_seen_ret_cs\n\t"
	"movl $0xa1a5, %eax\n\t"
	"lret $8\n"
	/* Reached from ring 3 through a call gate with 2 parameters: the
	 * new stack holds EIP, CS, the two parameters, ESP and SS. */
	"ring0_gate_entry:\n\t"
	"movl 0(%esp), %eax\n\t"
	"movl %eax, gate_seen + 0\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl %eax, gate_seen + 4\n\t"
	"movl 8(%esp), %eax\n\t"
	"movl %eax, gate_seen + 8\n\t"
	"movl 12(%esp), %eax\n\t"
	"movl %eax, gate_seen + 12\n\t"
	"movl 16(%esp), %eax\n\t"
	"movl %eax, gate_seen + 16\n\t"
	"movl 20(%esp), %eax\n\t"
	"movl %eax, gate_seen + 20\n\t"
	"movl 8(%esp), %eax\n\t"
	"subl 12(%esp), %eax\n\t"
	"lret $8\n");

static void test_far_transfers(void)
{
	static struct {
		uint32_t off;
		uint16_t sel;
	} __attribute__((packed)) ptr;
	uint32_t r, esp_before, esp_after;
	uint16_t cs;

	section("far jumps and calls");
	gdt_set(G_CODE_ALIAS, seg_desc(0, 0xfffff, 0x9b, FLAT32));
	__asm__ volatile("ljmp %1, $1f\n"
			 "1:\tmovw %%cs, %w0\n\t"
			 "ljmp $0x08, $2f\n"
			 "2:"
			 : "=r"(cs)
			 : "i"(SEL(G_CODE_ALIAS)));
	CHECK_EQ(cs, SEL(G_CODE_ALIAS), "ljmp to an alias code segment");
	CHECK_EQ(read_cs(), SEL_KCODE, "ljmp back to 0x08");

	ptr.sel = SEL(G_CODE_ALIAS);
	__asm__ volatile("movl $1f, %1\n\t"
			 "ljmp *%1\n"
			 "1:\tmovw %%cs, %w0\n\t"
			 "ljmp $0x08, $2f\n"
			 "2:"
			 : "=r"(cs), "=m"(ptr.off)
			 : "m"(ptr));
	CHECK_EQ(cs, SEL(G_CODE_ALIAS), "indirect ljmp through m16:32");

	__asm__ volatile("movl %%esp, %1\n\t"
			 "lcall $0x08, $far_target\n\t"
			 "movl %%esp, %2"
			 : "=a"(r), "=m"(esp_before), "=m"(esp_after)
			 :
			 : "memory");
	CHECK_EQ(r, 0x5a5a, "lcall and lret return a value");
	CHECK_EQ(far_seen_ret_cs & 0xffff, SEL_KCODE,
		 "lcall pushed the caller's CS");
	CHECK_EQ(far_seen_esp, esp_before - 8, "lcall pushed CS and EIP");
	CHECK_EQ(esp_after, esp_before, "lret popped them");

	ptr.off = (uint32_t)far_target;
	ptr.sel = SEL_KCODE;
	__asm__ volatile("lcall *%1" : "=a"(r) : "m"(ptr) : "memory");
	CHECK_EQ(r, 0x5a5a, "indirect lcall through m16:32");

	section("call gates");
	gdt_set(G_GATE_SAME,
		gate_desc(SEL_KCODE, (uint32_t)far_target, GATE_CALL32, 0, 0));
	__asm__ volatile("movl %%esp, %1\n\t"
			 "lcall %3, $0x12345678\n\t" /* offset is ignored */
			 "movl %%esp, %2"
			 : "=a"(r), "=m"(esp_before), "=m"(esp_after)
			 : "i"(SEL(G_GATE_SAME))
			 : "memory");
	CHECK_EQ(r, 0x5a5a, "lcall through a call gate reaches its target");
	CHECK_EQ(far_seen_esp, esp_before - 8,
		 "same privilege: CS and EIP pushed on the same stack");
	CHECK_EQ(far_seen_ret_cs & 0xffff, SEL_KCODE, "the pushed CS");
	CHECK_EQ(esp_after, esp_before, "lret returns through the gate call");

	gdt_set(G_GATE_ALIAS,
		gate_desc(SEL(G_CODE_ALIAS), (uint32_t)alias_target,
			  GATE_CALL32, 0, 0));
	__asm__ volatile("movl %%esp, %1\n\t"
			 "pushl $1\n\t"
			 "pushl $2\n\t"
			 "lcall %3, $0\n\t"
			 "movl %%esp, %2"
			 : "=a"(r), "=m"(esp_before), "=m"(esp_after)
			 : "i"(SEL(G_GATE_ALIAS))
			 : "memory");
	CHECK_EQ(r, 0xa1a5, "call gate into another code segment");
	CHECK_EQ(far_seen_cs, SEL(G_CODE_ALIAS), "CS is the gate's selector");
	CHECK_EQ(esp_after, esp_before, "lret $8 dropped the two pushes");
	CHECK_EQ(read_cs(), SEL_KCODE, "back in CS 0x08");

	gdt_set(G_INTGATE,
		gate_desc(SEL_KCODE, (uint32_t)far_target, GATE_INT32, 0, 0));
	expect_begin();
	__asm__ volatile("1:\tlcall %0, $0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "i"(SEL(G_INTGATE))
			 : "eax", "memory");
	check_fault(13, SEL(G_INTGATE), "lcall to an interrupt gate");
}

/* 16-bit code: a far call into a 16-bit segment that returns with o32 lret. */
void code16_start(void);
__asm__(".text\n"
	".p2align 4\n"
	"code16_start:\n\t"
	".code16\n\t"
	"movw $0x1234, %ax\n\t" /* 16-bit operand size: 3 bytes */
	"movl $0xabcd0000, %ebx\n\t"
	"addw %ax, %bx\n\t"
	"pushw %cs\n\t"
	"popw %cx\n\t"
	"lretl\n\t"
	".code32\n");

static void test_code16(void)
{
	uint32_t ebx, ecx;

	section("16-bit code segment");
	gdt_set(G_CODE16, seg_desc((uint32_t)code16_start, 0xffff, 0x9b, 0));
	__asm__ volatile("xorl %%ecx, %%ecx\n\t"
			 "lcall %2, $0"
			 : "=b"(ebx), "=c"(ecx)
			 : "i"(SEL(G_CODE16))
			 : "eax", "memory");
	CHECK_EQ(ebx, 0xabcd1234, "16-bit code ran with 16-bit operands");
	CHECK_EQ(ecx & 0xffff, SEL(G_CODE16), "CS was the 16-bit segment");
	CHECK_EQ(read_cs(), SEL_KCODE, "o32 lret returned to 32-bit code");
}

/* Ring 3 caller of the ring 0 call gate. */
static uint8_t ustack[1024] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))
uint32_t u_gate_result, u_esp_after;
void user_gate_caller(void);
__asm__(".text\n"
	"user_gate_caller:\n\t"
	"pushl $100\n\t" /* parameter 2 (deeper) */
	"pushl $58\n\t"	 /* parameter 1 */
	"lcall $0x73, $0\n\t"
	"movl %eax, u_gate_result\n\t"
	"movl %esp, u_esp_after\n\t"
	"movl $0x77, %eax\n\t"
	"int $0x80\n");

static void sys_exit(struct trap_frame *f)
{
	return_to_kernel((int)f->eax);
}

static void test_ring3_gate(void)
{
	int r;

	section("call gate from ring 3 to ring 0");
	gdt_set(G_GATE_RING3, gate_desc(SEL_KCODE, (uint32_t)ring0_gate_entry,
					GATE_CALL32, 3, 2));
	trap_set_handler(0x80, sys_exit);
	r = enter_user((uint32_t)user_gate_caller, USTACK_TOP, 0x2);
	trap_set_handler(0x80, 0);
	CHECK_EQ(r, 0x77, "the ring 3 caller finished");
	CHECK_EQ(u_gate_result, 58 - 100, "the gate returned a value");
	CHECK_EQ(gate_seen[1] & 0xffff, SEL_UCODE, "pushed CS is 0x1b");
	CHECK(gate_seen[2] == 58 && gate_seen[3] == 100,
	      "two parameters copied to the ring 0 stack in order");
	CHECK_EQ(gate_seen[4], USTACK_TOP - 8, "pushed ESP is the caller's");
	CHECK_EQ(gate_seen[5] & 0xffff, SEL_UDATA, "pushed SS is 0x23");
	CHECK_EQ(u_esp_after, USTACK_TOP, "lret $8 popped the parameters");
}

struct ar {
	uint32_t value;
	int zf;
};

static struct ar do_lar(uint32_t sel)
{
	struct ar r = {0xdeadbeef, 0};
	uint8_t z;

	__asm__ volatile("lar %2, %0; setz %1"
			 : "+r"(r.value), "=q"(z)
			 : "r"(sel)
			 : "cc");
	r.zf = z;
	return r;
}

static struct ar do_lsl(uint32_t sel)
{
	struct ar r = {0xdeadbeef, 0};
	uint8_t z;

	__asm__ volatile("lsl %2, %0; setz %1"
			 : "+r"(r.value), "=q"(z)
			 : "r"(sel)
			 : "cc");
	r.zf = z;
	return r;
}

static int do_verr(uint32_t sel)
{
	uint8_t z;

	__asm__ volatile("verr %w1; setz %0" : "=q"(z) : "r"(sel) : "cc");
	return z;
}

static int do_verw(uint32_t sel)
{
	uint8_t z;

	__asm__ volatile("verw %w1; setz %0" : "=q"(z) : "r"(sel) : "cc");
	return z;
}

static void test_lar_lsl(void)
{
	struct ar r;

	section("lar, lsl, verr, verw");
	r = do_lar(SEL_KCODE);
	CHECK(r.zf && (r.value & 0x00f0ff00) == 0x00c09b00,
	      "lar kernel code: P DPL0 code readable accessed, G DB");
	r = do_lar(SEL_UDATA);
	CHECK(r.zf && (r.value & 0x00f0ff00) == 0x00c0f300,
	      "lar user data: DPL 3 writable");
	r = do_lar(SEL_TSS);
	CHECK(r.zf && (r.value & 0x00f0ff00) == 0x00008b00,
	      "lar TSS: busy 32-bit TSS");
	r = do_lar(SEL(G_GATE_SAME));
	CHECK(r.zf && (r.value & 0x0000ff00) == 0x00008c00,
	      "lar call gate is valid");
	r = do_lar(SEL(G_INTGATE));
	CHECK(!r.zf && r.value == 0xdeadbeef,
	      "lar interrupt gate: ZF clear, destination unchanged");
	r = do_lar(0);
	CHECK(!r.zf, "lar null selector: ZF clear");
	r = do_lar(0x1ff8);
	CHECK(!r.zf, "lar beyond the GDT limit: ZF clear");
	r = do_lar(SEL_KDATA | 3);
	CHECK(!r.zf, "lar DPL 0 data with RPL 3: ZF clear");
	r = do_lar(SEL(G_DATA_NP));
	CHECK(r.zf && !(r.value & 0x8000), "lar works on not-present, P = 0");

	r = do_lsl(SEL_KCODE);
	CHECK(r.zf && r.value == 0xffffffff, "lsl flat code: 0xffffffff");
	gdt_set(G_DATA_BYTES, seg_desc(0x10000, 0x1234, DESC_DATA_RW, 0));
	gdt_set(G_DATA_PAGES, seg_desc(0x10000, 5, DESC_DATA_RW, DESC_FLAG_G));
	r = do_lsl(SEL(G_DATA_BYTES));
	CHECK(r.zf && r.value == 0x1234, "lsl byte-granular limit 0x1234");
	r = do_lsl(SEL(G_DATA_PAGES));
	CHECK(r.zf && r.value == 0x5fff, "lsl page-granular limit 5: 0x5fff");
	r = do_lsl(SEL_TSS);
	CHECK(r.zf && r.value == 103, "lsl TSS: 103");
	r = do_lsl(SEL(G_GATE_SAME));
	CHECK(!r.zf && r.value == 0xdeadbeef, "lsl call gate: ZF clear");

	CHECK(do_verr(SEL_KCODE), "verr readable code: yes");
	CHECK(!do_verr(SEL(G_CODE_XONLY)), "verr execute-only code: no");
	CHECK(do_verr(SEL(G_DATA_RO)), "verr read-only data: yes");
	CHECK(!do_verr(0), "verr null selector: no");
	CHECK(!do_verr(SEL_TSS), "verr TSS: no");
	CHECK(do_verw(SEL_KDATA), "verw writable data: yes");
	CHECK(!do_verw(SEL(G_DATA_RO)), "verw read-only data: no");
	CHECK(!do_verw(SEL_KCODE), "verw code: no");
	CHECK(!do_verw(SEL_KDATA | 3), "verw DPL 0 data with RPL 3: no");
	CHECK(do_verw(SEL_UDATA | 3), "verw DPL 3 data with RPL 3: yes");
}

static void test_table_registers(void)
{
	struct dtr {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) g, i, g2;
	uint16_t tr, msw;

	section("sgdt, sidt, str, sldt, smsw");
	__asm__ volatile("sgdt %0" : "=m"(g));
	__asm__ volatile("sidt %0" : "=m"(i));
	CHECK_EQ(g.limit, GDT_ENTRIES * 8 - 1, "sgdt limit");
	CHECK(((uint64_t *)g.base)[1] == gdt_get(1),
	      "sgdt base points at the GDT");
	CHECK_EQ(i.limit, 256 * 8 - 1, "sidt limit");
	CHECK(((uint64_t *)i.base)[0x80] ==
		      gate_desc(SEL_KCODE, idt_stub(0x80), GATE_TRAP32, 3, 0),
	      "sidt base points at the IDT");
	__asm__ volatile("lgdt %0" : : "m"(g));
	__asm__ volatile("sgdt %0" : "=m"(g2));
	CHECK(g2.limit == g.limit && g2.base == g.base,
	      "lgdt of the sgdt value round-trips");
	__asm__ volatile("str %w0" : "=r"(tr));
	CHECK_EQ(tr, SEL_TSS, "str returns 0x28");
	__asm__ volatile("smsw %w0" : "=r"(msw));
	CHECK_EQ(msw & 1, 1, "smsw shows PE");
	CHECK_EQ(msw, read_cr0() & 0xffff, "smsw is the low word of CR0");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("segments: descriptors, selectors, far transfers\n");
	test_based();
	test_load_faults();
	test_ldt();
	test_far_transfers();
	test_code16();
	test_ring3_gate();
	test_lar_lsl();
	test_table_registers();
}

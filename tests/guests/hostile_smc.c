/*
 * hostile_smc - self-modifying code racing translation (issue 9), each
 * routine run from ring 0 and from ring 3 (IF = 1), thousands of times:
 *
 *   - a store into the immediate of the very next instruction, done with
 *     mov, xchg, add (read-modify-write), btc, and a push with ESP pointed
 *     into the code;
 *   - an opcode flipped every iteration (add <-> sub), a loop whose first
 *     instruction is rewritten by its own last ones, an instruction
 *     patched several instructions ahead in the same block, a jump whose
 *     displacement is rewritten every iteration;
 *   - rep movsb copying an instruction over the one right after it, rep
 *     stosb overwriting the jump right after it with nops;
 *   - an instruction that straddles two pages, patched by a store that
 *     crosses the page boundary and by one on the second page only;
 *   - JIT: functions of changing length generated into one buffer and
 *     called;
 *   - a frame mapped twice: written through one address, run through the
 *     other (cpuid in between, as the SDM asks);
 *   - a spinning `jmp .` that the timer interrupt handler patches into
 *     nops, in ring 3 and in ring 0.
 * Every result is computed in C and must match (QEMU executes self-
 * modifying code precisely, as the P6 family and later do).
 */
#include "guest.h"

#define N 3000
#define HZ 1000
#define CODE_VA 0x40000000u
#define ALIAS_VA 0x40400000u
#define FRAME_ALIAS 0x800000u

/* ---- the routines: ECX = iterations, result in EAX, callee-saved kept.
 * They live on user pages, so that ring 0 and ring 3 both run them. */
#define ROUTINE(name, body)                         \
	uint32_t name(void);                        \
	__asm__(".pushsection .user.text, \"ax\"\n" \
		".p2align 4\n" #name ":\n\t"        \
		"pushl %ebx\n\t"                    \
		"pushl %esi\n\t"                    \
		"pushl %edi\n\t"                    \
		"pushl %ebp\n\t"                    \
		"xorl %ebx, %ebx\n\t"               \
		"movl %ecx, %ebp\n\t" body "\n\t"   \
		"movl %ebx, %eax\n\t"               \
		"popl %ebp\n\t"                     \
		"popl %edi\n\t"                     \
		"popl %esi\n\t"                     \
		"popl %ebx\n\t"                     \
		"ret\n\t"                           \
		".popsection")

/* sum of i for i = n..1, the immediate stored by: */
ROUTINE(smc_next_mov, "1:\tmovl %ebp, 2f+1\n"
		      "2:\tmovl $0, %eax\n\t"
		      "addl %eax, %ebx\n\t"
		      "decl %ebp\n\t"
		      "jnz 1b");
ROUTINE(smc_next_xchg, "1:\tmovl %ebp, %ecx\n\t"
		       "xchgl %ecx, 2f+1\n"
		       "2:\tmovl $0, %eax\n\t"
		       "addl %eax, %ebx\n\t"
		       "decl %ebp\n\t"
		       "jnz 1b");
/* The immediate counts up by itself: 1, 2, 3, ... */
ROUTINE(smc_next_add, "movl $0, 2f+1\n"
		      "1:\taddl $1, 2f+1\n"
		      "2:\tmovl $0, %eax\n\t"
		      "addl %eax, %ebx\n\t"
		      "decl %ebp\n\t"
		      "jnz 1b");
/* Bit 0 of the immediate flips: 1, 0, 1, ... */
ROUTINE(smc_next_btc, "movl $0, 2f+1\n"
		      "1:\tbtcl $0, 2f+1\n"
		      "2:\tmovl $0, %eax\n\t"
		      "addl %eax, %ebx\n\t"
		      "decl %ebp\n\t"
		      "jnz 1b");
/* push with ESP just past the immediate (interrupts off in ring 0). */
ROUTINE(smc_next_push, "1:\tmovl %esp, %edi\n\t"
		       "movl $2f+5, %esp\n\t"
		       "pushl %ebp\n\t"
		       "movl %edi, %esp\n"
		       "2:\tmovl $0, %eax\n\t"
		       "addl %eax, %ebx\n\t"
		       "decl %ebp\n\t"
		       "jnz 1b");
/* add %esi,%ebx <-> sub %esi,%ebx (01 f3 <-> 29 f3) every iteration. */
ROUTINE(smc_flip, "movb $0x01, 2f\n"
		  "1:\tmovl %ebp, %esi\n"
		  "2:\taddl %esi, %ebx\n\t"
		  "xorb $0x28, 2b\n\t"
		  "decl %ebp\n\t"
		  "jnz 1b");
/* The loop head adds what the previous iteration stored into it. */
ROUTINE(smc_head, "movl $0, 1f+2\n"
		  "1:\t.byte 0x81, 0xc3\n\t" /* addl $imm32, %ebx */
		  ".long 0\n\t"
		  "movl %ebp, 1b+2\n\t"
		  "decl %ebp\n\t"
		  "jnz 1b");
/* A shift count patched four instructions ahead. */
ROUTINE(smc_ahead, "1:\tmovl %ebp, %eax\n\t"
		   "andl $7, %eax\n\t"
		   "movb %al, 3f+2\n\t"
		   "movl $1, %edx\n\t"
		   "nop\n\t"
		   "nop\n"
		   "3:\tshll $0, %edx\n\t"
		   "addl %edx, %ebx\n\t"
		   "decl %ebp\n\t"
		   "jnz 1b");
/* A jump's displacement picks one of four targets. */
ROUTINE(smc_branch, "1:\tmovl %ebp, %eax\n\t"
		    "andl $3, %eax\n\t"
		    "shll $3, %eax\n\t"
		    "movb %al, 2f+1\n"
		    "2:\t.byte 0xeb, 0\n\t"
		    ".byte 0x81, 0xc3\n\t.long 1\n\t"
		    ".byte 0xeb\n\t.byte 3f - . - 1\n\t"
		    ".byte 0x81, 0xc3\n\t.long 10\n\t"
		    ".byte 0xeb\n\t.byte 3f - . - 1\n\t"
		    ".byte 0x81, 0xc3\n\t.long 100\n\t"
		    ".byte 0xeb\n\t.byte 3f - . - 1\n\t"
		    ".byte 0x81, 0xc3\n\t.long 1000\n\t"
		    ".byte 0xeb\n\t.byte 3f - . - 1\n"
		    "3:\tdecl %ebp\n\t"
		    "jnz 1b");
/* rep movsb copies `mov $counter, %eax` over the instruction after it. */
ROUTINE(smc_movs, "1:\tmovl %ebp, 4f+1\n\t"
		  "movl $4f, %esi\n\t"
		  "movl $2f, %edi\n\t"
		  "movl $5, %ecx\n\t"
		  "cld\n\t"
		  "rep movsb\n"
		  "2:\tmovl $0, %eax\n\t"
		  "addl %eax, %ebx\n\t"
		  "decl %ebp\n\t"
		  "jnz 1b\n\t"
		  "jmp 5f\n"
		  "4:\tmovl $0, %eax\n"
		  "5:");
/* rep stosb turns the jump after it into nops: ebx counts iterations. */
ROUTINE(smc_stos, "1:\tmovw $0x01eb, 2f\n\t" /* jmp .+3 */
		  "movl $2f, %edi\n\t"
		  "movl $2, %ecx\n\t"
		  "movb $0x90, %al\n\t"
		  "cld\n\t"
		  "rep stosb\n"
		  "2:\tjmp 3f\n\t"
		  "incl %ebx\n"
		  "3:\tdecl %ebp\n\t"
		  "jnz 1b");

/* Two pages for code: mov $imm32, %eax at 0xffe (two bytes on the first
 * page, three on the second), then ret. */
USER_DATA uint8_t xbuf[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define XENTRY ((uint32_t)xbuf + PAGE_SIZE - 2)
ROUTINE(smc_cross, "movl $xbuf + 4094, %edx\n"
		   "1:\tmovl %ebp, 1(%edx)\n\t" /* a store across the pages */
		   "call *%edx\n\t"
		   "addl %eax, %ebx\n\t"
		   "decl %ebp\n\t"
		   "jnz 1b");
ROUTINE(smc_cross2, "movl $xbuf + 4094, %edx\n\t"
		    "movl $0, 1(%edx)\n"
		    "1:\tmovw %bp, 2(%edx)\n\t" /* the second page only */
		    "call *%edx\n\t"
		    "addl %eax, %ebx\n\t"
		    "decl %ebp\n\t"
		    "jnz 1b");

/* JIT: mov $i, %eax; (i % 13) x inc %eax; ret, generated and called. */
USER_DATA uint8_t jbuf[64] __attribute__((aligned(16)));
USER_TEXT __attribute__((fastcall)) uint32_t smc_jit(uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = n; i; i--) {
		volatile uint8_t *p = jbuf;
		uint32_t k = i % 13, (*fn)(void);

		*p++ = 0xb8;
		*p++ = (uint8_t)i;
		*p++ = (uint8_t)(i >> 8);
		*p++ = (uint8_t)(i >> 16);
		*p++ = (uint8_t)(i >> 24);
		while (k--)
			*p++ = 0x40;
		*p = 0xc3;
		fn = (uint32_t(*)(void))(uint32_t)jbuf;
		sum += fn();
	}
	return sum;
}

/* The alias: code at CODE_VA, written at ALIAS_VA, cpuid in between. */
USER_TEXT __attribute__((fastcall)) uint32_t smc_alias(uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = n; i; i--) {
		volatile uint8_t *w = (volatile uint8_t *)ALIAS_VA;
		uint32_t a = 0, b, c = 0, d, (*fn)(void);

		w[0] = 0xb8;
		w[1] = (uint8_t)i;
		w[2] = (uint8_t)(i >> 8);
		w[3] = (uint8_t)(i >> 16);
		w[4] = (uint8_t)(i >> 24);
		w[5] = 0xc3;
		__asm__ volatile("cpuid"
				 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)
				 :
				 : "memory");
		fn = (uint32_t(*)(void))CODE_VA;
		sum += fn();
	}
	return sum;
}

/* ---- expected values ---- */
static uint32_t want_sum(uint32_t n)
{
	return n * (n + 1) / 2;
}

static uint32_t want_add(uint32_t n)
{
	return want_sum(n);
}

static uint32_t want_btc(uint32_t n)
{
	return (n + 1) / 2;
}

static uint32_t want_flip(uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = n, k = 0; i; i--, k++)
		s += k & 1 ? -i : i;
	return s;
}

static uint32_t want_head(uint32_t n)
{
	return want_sum(n) - 1;
}

static uint32_t want_ahead(uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = n; i; i--)
		s += 1u << (i & 7);
	return s;
}

static uint32_t want_branch(uint32_t n)
{
	static const uint32_t w[4] = {1, 10, 100, 1000};
	uint32_t s = 0;

	for (uint32_t i = n; i; i--)
		s += w[i & 3];
	return s;
}

static uint32_t want_stos(uint32_t n)
{
	return n;
}

static uint32_t want_cross2(uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = n; i; i--)
		s += (i & 0xffff) << 8;
	return s;
}

static uint32_t want_jit(uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = n; i; i--)
		s += i + i % 13;
	return s;
}

struct routine {
	const char *name;
	uint32_t (*fn)(void);
	uint32_t (*want)(uint32_t);
	uint32_t n;
	int ring0_cli; /* interrupts must stay off in ring 0 */
};

static const struct routine routines[] = {
	{"mov into the next instruction", smc_next_mov, want_sum, N, 0},
	{"xchg into the next instruction", smc_next_xchg, want_sum, N, 0},
	{"add (RMW) into the next instruction", smc_next_add, want_add, N, 0},
	{"btc into the next instruction", smc_next_btc, want_btc, N, 0},
	{"push into the next instruction", smc_next_push, want_sum, N, 1},
	{"an opcode flipped every iteration", smc_flip, want_flip, N, 0},
	{"the loop head rewritten by the loop", smc_head, want_head, N, 0},
	{"a patch four instructions ahead", smc_ahead, want_ahead, N, 0},
	{"a jump displacement rewritten", smc_branch, want_branch, N, 0},
	{"rep movsb over the next instruction", smc_movs, want_sum, N, 0},
	{"rep stosb over the next instruction", smc_stos, want_stos, N, 0},
	{"a page-straddling instruction, crossing store", smc_cross, want_sum,
	 N, 0},
	{"a page-straddling instruction, second page store", smc_cross2,
	 want_cross2, N, 0},
	{"JIT of changing lengths", (uint32_t(*)(void))smc_jit, want_jit, N, 0},
	{"written through an alias, run through the other",
	 (uint32_t(*)(void))smc_alias, want_sum, 1000, 0},
};

/* ---- running them ---- */
USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))
USER_DATA volatile uint32_t u_n, u_fn;

void u_tramp(void);
__asm__(".pushsection .user.text, \"ax\"\n"
	"u_tramp:\n\t"
	"movl u_n, %ecx\n\t"
	"call *u_fn\n\t"
	"movl %eax, %ebx\n\t"
	"movl $1, %eax\n\t"
	"int $0x80\n\t"
	"ud2\n\t"
	".popsection");

static void sys_handler(struct trap_frame *f)
{
	return_to_kernel((int)f->ebx);
}

static void prepare(void)
{
	memset(xbuf, 0, sizeof(xbuf));
	xbuf[PAGE_SIZE - 2] = 0xb8;
	xbuf[PAGE_SIZE + 3] = 0xc3;
}

static uint32_t run_ring0(const struct routine *r)
{
	uint32_t v;

	if (!r->ring0_cli)
		sti();
	__asm__ volatile("call *%2"
			 : "=a"(v)
			 : "c"(r->n), "r"(r->fn)
			 : "edx", "memory");
	cli();
	return v;
}

static uint32_t run_ring3(const struct routine *r)
{
	u_n = r->n;
	u_fn = (uint32_t)r->fn;
	return (uint32_t)enter_user((uint32_t)u_tramp, USTACK_TOP, 0x202);
}

/* ---- the timer patches a spinning jmp . ---- */
static volatile uint32_t ticks, patch_at;
static volatile uint8_t *spin_code;

static void timer_handler(struct trap_frame *f)
{
	(void)f;
	if (++ticks == patch_at) {
		spin_code[0] = 0x90;
		spin_code[1] = 0x90;
	}
	pic_eoi(0);
}

void spin_user(void);
__asm__(".pushsection .user.text, \"ax\"\n"
	"spin_user:\n"
	"1:\tjmp 1b\n\t"
	"movl $1, %eax\n\t"
	"movl $0x5717, %ebx\n\t"
	"int $0x80\n\t"
	".popsection");
void spin_kernel(void);
__asm__(".text\n"
	"spin_kernel:\n"
	"1:\tjmp 1b\n\t"
	"ret\n");

static void test_spin(void)
{
	int r;

	trap_set_handler(IRQ_BASE + 0, timer_handler);
	pit_set_hz(HZ);
	pic_set_mask(0xfffe);

	spin_code = (volatile uint8_t *)spin_user;
	spin_code[0] = 0xeb;
	spin_code[1] = 0xfe;
	ticks = 0;
	patch_at = 5;
	r = enter_user((uint32_t)spin_user, USTACK_TOP, 0x202);
	cli();
	CHECK(r == 0x5717 && ticks >= 5,
	      "ring 3 spinning on jmp .: the timer's patch lets it out");

	spin_code = (volatile uint8_t *)spin_kernel;
	spin_code[0] = 0xeb;
	spin_code[1] = 0xfe;
	ticks = 0;
	patch_at = 5;
	sti();
	spin_kernel();
	cli();
	CHECK(ticks >= 5,
	      "ring 0 spinning on jmp .: the timer's patch lets it out");
	pic_set_mask(0xffff);
}

static void setup_address_space(void)
{
	uint32_t *pd = pd_kernel();

	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	map_page(pd, CODE_VA, FRAME_ALIAS, PTE_P | PTE_W | PTE_U);
	map_page(pd, ALIAS_VA, FRAME_ALIAS, PTE_P | PTE_W | PTE_U);
	paging_enable(pd);
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	(void)magic;
	(void)info;
	setup_address_space();
	trap_set_handler(0x80, sys_handler);
	/* The PIT runs during the ring 0 and ring 3 rounds alike. */
	trap_set_handler(IRQ_BASE + 0, timer_handler);
	pit_set_hz(HZ);
	pic_set_mask(0xfffe);
	patch_at = 0;
	for (int ring = 0; ring <= 3; ring += 3) {
		section(ring ? "ring 3" : "ring 0");
		for (unsigned i = 0; i < sizeof(routines) / sizeof(routines[0]);
		     i++) {
			const struct routine *r = &routines[i];
			uint32_t got, want = r->want(r->n);
			char name[96];

			prepare();
			got = ring ? run_ring3(r) : run_ring0(r);
			snprintf(name, sizeof(name), "%s x%u", r->name, r->n);
			CHECK_EQ(got, want, name);
		}
	}
	pic_set_mask(0xffff);
	section("the timer patches spinning code");
	test_spin();
}

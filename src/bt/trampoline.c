/*
 * trampoline.c - host code shared by all translations, generated once at
 * the start of the code cache with the emitter (so struct offsets come
 * from offsetof, never from hand-kept assembly constants).
 *
 *   enter        C -> cache: save host callee-saved registers and the
 *                monitor stack, load guest registers and flags, switch
 *                to the (empty) return stack, jump.
 *   exit         cache -> C: store guest registers and flags, return
 *                vcpu->bt.exit_reason to the caller of enter.
 *   exit_chain   tail of every direct-exit stub (r11 = struct tc_exit *).
 *   ibl_miss     where an indirect-branch lookup that missed exits with
 *                BT_EXIT_IBL_MISS; the lookup itself (bt_emit_ibl) is
 *                inlined at every indirect branch.
 *   rs_underflow where a return from an empty return stack goes
 *                (return_stack.c): empty it again, look the target up.
 *   rs_mismatch  where a call's continuation goes when the guest does
 *                not return there.
 *   callout      called from translated code with r11 = struct
 *                bt_callout *: stores the guest state, calls
 *                bt_callout_c() on the monitor stack, reloads the state
 *                or exits.
 *
 * Guest flags in the cache: CF PF AF ZF SF OF and DF live in host
 * RFLAGS; IF, IOPL and the other system flags stay in vcpu->eflags.
 */
#include <stddef.h>

#include "bt/bt_priv.h"
#include "bt/emit.h"
#include "monitor/de.h"

#define GUEST_HOST_FLAGS                                             \
	(X86_FL_CF | X86_FL_PF | X86_FL_AF | X86_FL_ZF | X86_FL_SF | \
	 X86_FL_DF | X86_FL_OF)

#define OFF(field) ((int32_t)offsetof(struct vcpu, field))

struct bt_tramps bt_tramps;

static void store_guest_regs(struct emit *e)
{
	for (unsigned r = 0; r < 8; r++)
		emit_store32(e, host_reg_of(r), HR_VCPU, OFF(regs[r]));
}

static void load_guest_regs(struct emit *e)
{
	for (unsigned r = 0; r < 8; r++)
		emit_load32(e, host_reg_of(r), HR_VCPU, OFF(regs[r]));
}

/* Merge host RFLAGS into vcpu->eflags (uses r10, r11; host stack). */
static void save_guest_flags(struct emit *e)
{
	emit_u8(e, 0x9c); /* pushfq */
	emit_pop(e, HR_R11);
	emit_load32(e, HR_R10, HR_VCPU, OFF(eflags));
	emit_alu_imm32(e, 4, HR_R10, ~(uint32_t)GUEST_HOST_FLAGS); /* and */
	emit_alu_imm32(e, 4, HR_R11, GUEST_HOST_FLAGS);		   /* and */
	/* or r10d, r11d */
	emit_rex(e, false, HR_R11, 0, HR_R10, false);
	emit_u8(e, 0x09);
	emit_u8(e, (uint8_t)(0xc0 | ((HR_R11 & 7) << 3) | (HR_R10 & 7)));
	emit_store32(e, HR_R10, HR_VCPU, OFF(eflags));
}

/* Load host RFLAGS from vcpu->eflags (uses rax: call before loading
 * guest registers). */
static void load_guest_flags(struct emit *e)
{
	emit_load32(e, HR_RAX, HR_VCPU, OFF(eflags));
	emit_alu_imm32(e, 4, HR_RAX, GUEST_HOST_FLAGS); /* and */
	emit_alu_imm32(e, 1, HR_RAX, X86_FL_FIXED1);	/* or */
	emit_push(e, HR_RAX);
	emit_u8(e, 0x9d); /* popfq */
}

/* If the guest's FPU state is in the host FPU, save it to its home (the
 * same area direct execution uses) and give the monitor its own FPU.
 * Guest registers must already be stored; the stack must be aligned. */
static void emit_fpu_put_away(struct emit *e)
{
	uint8_t *skip;

	/* cmp dword [r15 + fpu_loaded], 0; je skip */
	emit_bytes(e, (const uint8_t[]){0x41, 0x83, 0xbf}, 3);
	emit_u32(e, (uint32_t)OFF(bt.fpu_loaded));
	emit_u8(e, 0);
	emit_u8(e, 0x74);
	skip = e->p;
	emit_u8(e, 0);
	emit_mov_imm64(e, HR_R11, (uint64_t)(uintptr_t)de_fpu_save_guest);
	emit_call_reg(e, HR_R11);
	emit_store_imm32(e, HR_VCPU, OFF(bt.fpu_loaded), 0);
	*skip = (uint8_t)(e->p - (skip + 1));
}

/*
 * Indirect branch to the guest EIP in r13d: look the target up in the
 * table [r15 + ibl_table] (64 K entries indexed by the EIP's low 16 bits,
 * holding -EIP and the host address) and jump there, or to ibl_miss.
 * Inlined at every site, so that each has its own host indirect jump and
 * branch-predictor history. No instruction here changes host flags (the
 * guest's are live): the compare is lea + jrcxz. Uses rcx (saved in r11),
 * r10, r14. With `call`, a hit calls the target instead (a guest call
 * through the return stack, return_stack.c).
 */
void bt_emit_ibl(struct emit *e)
{
	bt_emit_ibl_to(e, false);
}

void bt_emit_ibl_to(struct emit *e, bool call)
{
	emit_mov_rr64(e, HR_R11, HR_RCX);
	/* movzx ecx, r13w */
	emit_bytes(e, (const uint8_t[]){0x41, 0x0f, 0xb7, 0xcd}, 4);
	emit_load64(e, HR_R14, HR_VCPU, OFF(bt.ibl_table));
	/* lea rcx, [rcx + rcx] */
	emit_bytes(e, (const uint8_t[]){0x48, 0x8d, 0x0c, 0x09}, 4);
	/* mov r10, [r14 + rcx*8 + 8] */
	emit_bytes(e, (const uint8_t[]){0x4d, 0x8b, 0x54, 0xce, 0x08}, 5);
	/* mov ecx, [r14 + rcx*8] */
	emit_bytes(e, (const uint8_t[]){0x41, 0x8b, 0x0c, 0xce}, 4);
	/* lea ecx, [rcx + r13]: zero when the entry holds -EIP */
	emit_bytes(e, (const uint8_t[]){0x42, 0x8d, 0x0c, 0x29}, 4);
	emit_u8(e, 0xe3); /* jrcxz hit (over the next 8 bytes) */
	emit_u8(e, 8);
	emit_mov_rr64(e, HR_RCX, HR_R11); /* 3 bytes */
	emit_jmp(e, bt_tramps.ibl_miss);  /* 5 bytes */
	emit_mov_rr64(e, HR_RCX, HR_R11); /* hit: */
	if (call)
		emit_call_reg(e, HR_R10);
	else
		emit_jmp_reg(e, HR_R10);
}

static void emit_sub_rsp8(struct emit *e)
{
	static const uint8_t b[] = {0x48, 0x83, 0xec, 0x08};

	emit_bytes(e, b, sizeof(b));
}

static void emit_add_rsp8(struct emit *e)
{
	static const uint8_t b[] = {0x48, 0x83, 0xc4, 0x08};

	emit_bytes(e, b, sizeof(b));
}

/* With --stats: ++[r15 + off] through r14, flags untouched. */
static void emit_stat(struct emit *e, int32_t off)
{
	if (bt_count_blocks)
		emit_count(e, off, 1, HR_R14);
}

/* The lookup of r13d, counted with --stats as the inline ones are. */
static void emit_counted_ibl(struct emit *e)
{
	emit_stat(e, OFF(bt.ibl_lookups));
	bt_emit_ibl(e);
}

void bt_tramps_init(uint8_t *at, uint8_t **end)
{
	struct emit e = {.p = at, .end = at + 4096};
	static const unsigned saved[] = {HR_RBP, HR_RBX, HR_R12,
					 HR_R13, HR_R14, HR_R15};
	uint8_t *restore;

	/* enter(cpu = rdi): jumps to vcpu->bt.enter_target, read by the very
	 * last instruction so that a kick can redirect it (bt_run.c). */
	bt_tramps.enter = (uint32_t(*)(struct vcpu *))e.p;
	for (unsigned i = 0; i < 6; i++)
		emit_push(&e, saved[i]);
	emit_sub_rsp8(&e);
	emit_mov_rr64(&e, HR_VCPU, HR_RDI);
	emit_store64(&e, HR_RSP, HR_VCPU, OFF(bt.host_rsp));
	emit_store_imm32(&e, HR_VCPU, OFF(bt.in_cache), 1);
	load_guest_flags(&e);
	load_guest_regs(&e);
	/* Translated code runs on the return stack, empty at every entry
	 * (return_stack.c). */
	emit_load64(&e, HR_RSP, HR_VCPU, OFF(bt.rs_top));
	/* jmp [r15 + enter_target] */
	emit_bytes(&e, (const uint8_t[]){0x41, 0xff, 0xa7}, 3);
	emit_u32(&e, (uint32_t)OFF(bt.enter_target));
	bt_tramps.enter_end = e.p;

	/* exit: guest state in host registers; back to the monitor stack
	 * (the return stack is dropped). */
	bt_tramps.exit = e.p;
	bt_tramps.fault_exit = e.p;
	emit_load64(&e, HR_RSP, HR_VCPU, OFF(bt.host_rsp));
	store_guest_regs(&e);
	save_guest_flags(&e);
	emit_u8(&e, 0xfc); /* cld: C code runs with DF clear (the ABI) */
	emit_fpu_put_away(&e);
	restore = e.p; /* guest state already in the vcpu */
	emit_store_imm32(&e, HR_VCPU, OFF(bt.in_cache), 0);
	emit_load32(&e, HR_RAX, HR_VCPU, OFF(bt.exit_reason));
	emit_load64(&e, HR_RSP, HR_VCPU, OFF(bt.host_rsp));
	emit_add_rsp8(&e);
	for (int i = 5; i >= 0; i--)
		emit_pop(&e, saved[i]);
	emit_u8(&e, 0xc3); /* ret */

	/* kick_exit: where a kick sends enter (guest state is loaded) */
	bt_tramps.kick_exit = e.p;
	emit_store_imm32(&e, HR_VCPU, OFF(bt.exit_reason), BT_EXIT_KICK);
	emit_jmp(&e, bt_tramps.exit);

	/* exit_chain: the stub set [r15+eip]; r11 = struct tc_exit * */
	bt_tramps.exit_chain = e.p;
	emit_store64(&e, HR_R11, HR_VCPU, OFF(bt.exit_site));
	emit_store_imm32(&e, HR_VCPU, OFF(bt.exit_reason), BT_EXIT_CHAIN);
	emit_jmp(&e, bt_tramps.exit);

	/* exit_detached: a block's guard found its page detached;
	 * r11 = struct tc_block * (the loop sets EIP from it) */
	bt_tramps.exit_detached = e.p;
	emit_store64(&e, HR_R11, HR_VCPU, OFF(bt.exit_site));
	emit_store_imm32(&e, HR_VCPU, OFF(bt.exit_reason), BT_EXIT_DETACHED);
	emit_jmp(&e, bt_tramps.exit);

	/* ibl_miss: an indirect-branch lookup (bt_emit_ibl) missed;
	 * r13d = target EIP, the guest's RCX is back in place. */
	bt_tramps.ibl_miss = e.p;
	emit_store32(&e, HR_R13, HR_VCPU, OFF(eip));
	emit_store_imm32(&e, HR_VCPU, OFF(bt.exit_reason), BT_EXIT_IBL_MISS);
	emit_jmp(&e, bt_tramps.exit);

	/* rs_underflow: a return popped the return stack's sentinel:
	 * empty the stack again, look r13d up. */
	bt_tramps.rs_underflow = e.p;
	emit_load64(&e, HR_RSP, HR_VCPU, OFF(bt.rs_top));
	emit_stat(&e, OFF(bt.rs_misses));
	emit_counted_ibl(&e);

	/* rs_mismatch: a continuation was not where the guest returns to
	 * (return_stack.c); r11 = the guest's RCX. If the entry below is,
	 * the popped one was stale: return there. Otherwise put it back
	 * and look r13d up. */
	bt_tramps.rs_mismatch = e.p;
	emit_stat(&e, OFF(bt.rs_misses));
	/* mov rcx, [rsp]; mov ecx, [rcx + tag]; lea ecx, [rcx + r13] */
	emit_bytes(&e, (const uint8_t[]){0x48, 0x8b, 0x0c, 0x24}, 4);
	emit_bytes(&e, (const uint8_t[]){0x8b, 0x49}, 2);
	emit_u8(&e, (uint8_t)bt_rs_tag_offset());
	emit_bytes(&e, (const uint8_t[]){0x42, 0x8d, 0x0c, 0x29}, 4);
	{
		uint8_t *below;

		emit_u8(&e, 0xe3); /* jrcxz below */
		below = e.p;
		emit_u8(&e, 0);
		/* lea rsp, [rsp - 8]: the popped entry goes back */
		emit_bytes(&e, (const uint8_t[]){0x48, 0x8d, 0x64, 0x24, 0xf8},
			   5);
		emit_mov_rr64(&e, HR_RCX, HR_R11);
		emit_counted_ibl(&e);
		*below = (uint8_t)(e.p - (below + 1));
		emit_mov_rr64(&e, HR_RCX, HR_R11);
		emit_u8(&e, 0xc3); /* ret: that entry checks again */
	}

	/* callout: call with r11 = struct bt_callout *; C runs on the
	 * monitor stack (aligned at host_rsp). */
	bt_tramps.callout = e.p;
	emit_store64(&e, HR_R11, HR_VCPU, OFF(bt.callout));
	emit_store64(&e, HR_RSP, HR_VCPU, OFF(bt.rs_saved));
	emit_load64(&e, HR_RSP, HR_VCPU, OFF(bt.host_rsp));
	store_guest_regs(&e);
	save_guest_flags(&e);
	emit_u8(&e, 0xfc); /* cld */
	emit_fpu_put_away(&e);
	emit_mov_rr64(&e, HR_RDI, HR_VCPU);
	emit_mov_imm64(&e, HR_R11, (uint64_t)(uintptr_t)bt_callout_c);
	emit_call_reg(&e, HR_R11);
	/* test eax, eax; jnz stop */
	emit_bytes(&e, (const uint8_t[]){0x85, 0xc0, 0x0f, 0x85}, 4);
	{
		uint8_t *jnz = e.p;

		emit_u32(&e, 0);
		load_guest_flags(&e);
		load_guest_regs(&e);
		emit_load64(&e, HR_RSP, HR_VCPU, OFF(bt.rs_saved));
		emit_u8(&e, 0xc3); /* ret */
		patch_rel32(jnz, e.p);
	}
	/* stop: the C side stored the state; drop the return address and
	 * leave through the restore half of exit. */
	emit_store_imm32(&e, HR_VCPU, OFF(bt.exit_reason), BT_EXIT_STOP);
	emit_jmp(&e, restore);

	bt_tramps.callout_end = e.p;

	/* fpu_prep: called before guest FPU instructions: load the guest's
	 * FPU state into the host FPU unless it is there already. */
	bt_tramps.fpu_prep = e.p;
	emit_store64(&e, HR_RSP, HR_VCPU, OFF(bt.rs_saved));
	emit_load64(&e, HR_RSP, HR_VCPU, OFF(bt.host_rsp));
	emit_u8(&e, 0x9c); /* pushfq */
	emit_sub_rsp8(&e); /* 16-byte aligned (flags are saved) */
	emit_bytes(&e, (const uint8_t[]){0x41, 0x83, 0xbf}, 3);
	emit_u32(&e, (uint32_t)OFF(bt.fpu_loaded));
	emit_u8(&e, 0);
	{
		uint8_t *jne;

		emit_u8(&e, 0x0f);
		emit_u8(&e, 0x85);
		jne = e.p;
		emit_u32(&e, 0);
		store_guest_regs(&e);
		emit_mov_imm64(&e, HR_R11,
			       (uint64_t)(uintptr_t)de_fpu_load_guest);
		emit_call_reg(&e, HR_R11);
		emit_store_imm32(&e, HR_VCPU, OFF(bt.fpu_loaded), 1);
		load_guest_regs(&e);
		patch_rel32(jne, e.p);
	}
	emit_add_rsp8(&e);
	emit_u8(&e, 0x9d); /* popfq */
	emit_load64(&e, HR_RSP, HR_VCPU, OFF(bt.rs_saved));
	emit_u8(&e, 0xc3); /* ret */
	*end = e.p;
}

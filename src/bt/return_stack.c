/*
 * return_stack.c - guest near calls and returns as host calls and
 * returns, so that the host's return-address predictor predicts the
 * guest's returns.
 *
 * Translated code runs on a stack of its own, the return stack (this
 * region; trampolines that run C switch to the monitor's stack). A
 * translated guest call stores the guest return address as before and
 * makes a host `call`; the block goes on after it with the code of the
 * guest instructions that follow the call, behind a check:
 *
 *	call <callee's block>	; or the lookup of r13d, calling the hit
 *	mov r11, rcx		; the continuation: the host return lands here
 *	lea ecx, [r13 - next]	; the guest's return EIP is in r13d
 *	jrcxz 1f
 *	jmp rs_mismatch
 * 1:	mov rcx, r11
 *	<the block's code for next>
 *
 * A translated guest return pops the guest return EIP into r13d as before
 * and executes a host `ret`: the host predicted the continuation, which
 * checks that the guest really returns there.
 *
 * Why this is exact and safe:
 *  - the code after a check runs only when the guest's own return EIP is
 *    its `next`, in the block's own mode key: every change of mode key
 *    leaves the cache, and every entry to the cache starts with an empty
 *    stack (the sentinel at the top, rs_underflow: empty the stack
 *    again, look the target up);
 *  - a continuation never outlives its translation: blocks are taken out
 *    of use (dead, or their page detached) only outside translated code
 *    or in a callout, and a callout that did so leaves the cache
 *    (callout_leaves: bt_generation); cache memory is reused only by a
 *    flush, between entries;
 *  - on a mismatch (rs_mismatch, trampoline.c), if the entry below is the
 *    right continuation, the popped one was stale (`call 1f; 1: pop`)
 *    and the return goes there; otherwise the entry is put back and the
 *    indirect-branch lookup finds the target (a longjmp, a context
 *    switch, a call the interpreter made);
 *  - at every guest instruction boundary the stack holds only
 *    continuations (and the sentinel): a host `ret` in a block pops one;
 *  - a push into the guard page below the stack (a guest that calls and
 *    never returns) faults in a block, where the stack holds only
 *    continuations, so the handler empties it and the push runs again
 *    (bt_rs_guard_fault): no instruction on the call path checks depth;
 *  - guest code cannot address the region; its words are host return
 *    addresses pushed by host calls.
 *
 * Guest flags are live in host flags throughout: the compare is `lea` +
 * `jrcxz` (rcx, the guest's ECX, is kept in r11).
 */
#include <stdio.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "bt/bt_priv.h"
#include "bt/translate_priv.h"
#include "monitor/stats.h"

/* Continuations before a push faults in the guard page and empties the
 * stack: deeper than any guest's useful call depth between two entries
 * to the cache. Below the guard, nothing. */
#define RS_ENTRIES 16384u
#define RS_GUARD 4096u

/* One vCPU (the machine has one processor, like sreg_cache.c's table):
 * one stack. */
static uint8_t *rs_base; /* the guard page, then the entries */
static uint64_t rs_top;	 /* the sentinel: rsp of an empty stack */
static struct vcpu *rs_cpu;

int bt_rs_init(struct vcpu *cpu)
{
	size_t size = RS_GUARD + 8ull * RS_ENTRIES + 4096;

	rs_cpu = cpu;
	if (rs_base)
		return 0;
	rs_base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rs_base == MAP_FAILED) {
		rs_base = NULL;
		perror("bt386: return stack: mmap");
		return -1;
	}
	if (mprotect(rs_base, RS_GUARD, PROT_NONE) < 0) {
		perror("bt386: return stack: mprotect");
		return -1;
	}
	/* 16-byte aligned, as the monitor stack is at its calls. */
	rs_top = (uint64_t)(uintptr_t)(rs_base + RS_GUARD + 8ull * RS_ENTRIES);
	*(uint64_t *)(uintptr_t)rs_top =
		(uint64_t)(uintptr_t)bt_tramps.rs_underflow;
	return 0;
}

uint64_t bt_rs_top(void)
{
	return rs_top;
}

static bool on_rs(uint64_t rsp)
{
	return rs_base && rsp >= (uint64_t)(uintptr_t)rs_base && rsp <= rs_top;
}

/* jrcxz with its rel8 patched later; returns the rel8. */
static uint8_t *emit_jrcxz_fwd(struct emit *e)
{
	emit_u8(e, 0xe3);
	emit_u8(e, 0);
	return e->p - 1;
}

static void patch_rel8(struct emit *e, uint8_t *rel8)
{
	ptrdiff_t d = e->p - (rel8 + 1);

	if (d > 127)
		e->overflow = true; /* cannot happen with these sequences */
	else if (!e->overflow && e->p <= e->end)
		*rel8 = (uint8_t)d;
}

/* The continuation of a call returning to `next` (see the top): the
 * check; the block's code for `next` follows. */
static void emit_continuation(struct xlate *x, uint32_t next)
{
	struct emit *e = &x->e;
	uint8_t *hit;

	emit_mov_rr64(e, HR_R11, HR_RCX);
	/* lea ecx, [r13 + disp32] */
	emit_bytes(e, (const uint8_t[]){0x41, 0x8d, 0x8d}, 3);
	emit_u32(e, (uint32_t)-next);
	hit = emit_jrcxz_fwd(e);
	emit_jmp(e, bt_tramps.rs_mismatch);
	patch_rel8(e, hit);
	emit_mov_rr64(e, HR_RCX, HR_R11);
}

/* After the guest's push of `next`: call the block of `target`
 * (exit 0 of the block, chained like a jump). */
void bt_rs_emit_call(struct xlate *x, uint32_t next, uint32_t target)
{
	struct emit *e = &x->e;
	uint8_t *site;

	emit_u8(e, 0xe8); /* call rel32 */
	site = e->p;
	emit_rel32(e, e->p + 4);
	bt_xlate_add_exit(x, site, target);
	emit_continuation(x, next);
}

/* After the guest's push of `next`: look r13d up and call it (a miss
 * leaves the cache, where the stack does not matter). */
void bt_rs_emit_call_ind(struct xlate *x, uint32_t next)
{
	bt_xlate_emit_ibl(x, true);
	emit_continuation(x, next);
}

/* The guest return EIP is in r13d, the guest ESP already moved. */
void bt_rs_emit_ret(struct xlate *x)
{
	if (bt_count_blocks)
		emit_count(&x->e, OFF(bt.rs_returns), 1, HR_R14);
	emit_u8(&x->e, 0xc3);
}

/* rs_mismatch (trampoline.c) reads the -next of a continuation: the
 * lea's disp32, after mov r11, rcx (3 bytes) and the lea's 3. */
unsigned bt_rs_tag_offset(void)
{
	return 3 + 3;
}

bool bt_rs_guard_fault(uint64_t addr, void *ucontext)
{
	greg_t *g = ((ucontext_t *)ucontext)->uc_mcontext.gregs;

	if (!rs_base || addr < (uint64_t)(uintptr_t)rs_base ||
	    addr >= (uint64_t)(uintptr_t)rs_base + RS_GUARD ||
	    !bt_block_at((void *)(uintptr_t)g[REG_RIP]))
		return false;
	STAT_INC(bt_rs_overflows);
	g[REG_RSP] = (greg_t)rs_top;
	return true;
}

uint64_t bt_rs_callout_rsp(uint64_t rsp)
{
	return on_rs(rsp) || !rs_cpu ? rsp : rs_cpu->bt.rs_saved;
}

/*
 * A kick (bt_kick_from_signal) must also stop a loop that runs through
 * returns: unlink the blocks of the top entries (in a trampoline, the
 * return address into the block that called it is there too).
 * Signal-safe. A word that is no continuation costs an extra unlink.
 */
void bt_rs_kick(uint64_t rsp)
{
	rsp = bt_rs_callout_rsp(rsp);
	if (!on_rs(rsp))
		return;
	for (unsigned i = 0; i < 4 && rsp + 8 * i < rs_top; i++) {
		const void *w = *(void *const *)(uintptr_t)(rsp + 8 * i);
		struct tc_block *b;

		if (!bt_cache_contains(w))
			continue;
		b = bt_block_at(w);
		if (b)
			bt_unlink_block(b);
	}
}

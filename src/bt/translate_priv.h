/*
 * translate_priv.h - what translate.c and translate_utlb.c share: the
 * state of one translation and the emitters both use.
 */
#ifndef BT386_BT_TRANSLATE_PRIV_H
#define BT386_BT_TRANSLATE_PRIV_H

#include <stddef.h>

#include "bt/bt_priv.h"
#include "bt/emit.h"

#define OFF(field) ((int32_t)offsetof(struct vcpu, field))

struct xlate {
	struct vcpu *cpu;
	struct emit e;
	struct tc_block *b;
	const uint8_t *page; /* physmap address of the guest code page */
	uint32_t eip;	     /* block start */
	unsigned n;
	uint32_t key;	     /* the mode key (BT_KEY_*) */
	bool ends_with_flow; /* the last instruction leaves the block */
	uint32_t step_len;   /* a STEP block: its bytes in this page */
	unsigned n_exits;
	uint8_t *exit_site[BT_MAX_EXITS];
	uint32_t exit_target[BT_MAX_EXITS];
	/* User TLB blocks (BT_KEY_TLB): the current instruction's jumps
	 * to its miss path (translate_utlb.c). */
	uint8_t *insn_start; /* host code of the current instruction */
	struct {
		uint8_t *jump; /* rel32 of the jump to the miss stub */
		uint8_t reg;   /* register with the linear address */
		uint8_t write;
		uint8_t rep; /* size is per element, ECX elements */
		uint16_t size;
	} utlb_miss[4];
	unsigned n_utlb_miss;
	/* Not cleared between blocks (filled by scan). */
	struct x86_insn insn[BT_MAX_BLOCK_INSNS];
	uint8_t cat[BT_MAX_BLOCK_INSNS];
};

/*
 * Emit `in` as a host instruction. With mem_base >= 0, the memory operand
 * is [mem_base + 0]: a guest linear address (32-bit, through the view's
 * prefix), or with MEM_HOST a host address (64-bit, no prefix). Returns
 * false if the instruction cannot be expressed (the caller falls back).
 */
#define MEM_HOST 0x10
bool emit_ident(struct xlate *x, const struct x86_insn *in,
		const uint8_t *bytes, int mem_base);
/* lea/mov host_reg, <the guest's memory operand> (32-bit address). */
bool emit_with_guest_mem(struct xlate *x, const struct x86_insn *in,
			 const uint8_t *bytes, uint8_t opcode,
			 unsigned host_reg);
/* Call the callout trampoline for instruction i (r11 = descriptor);
 * the descriptor, or NULL (overflow). */
struct bt_callout *emit_callout(struct xlate *x, unsigned i, uint32_t eip,
				enum bt_cat cat);

/* Exit `site` (a rel32) to guest `target`, chained later. */
void bt_xlate_add_exit(struct xlate *x, uint8_t *site, uint32_t target);
/* The inline indirect-branch lookup of r13d (counted with --stats),
 * jumping to or calling the target. */
void bt_xlate_emit_ibl(struct xlate *x, bool call);

/* ---- return_stack.c: guest calls and returns as host ones ------------ */

/* After the guest's push of `next`: a direct call to `target`, or one
 * to the EIP in r13d; the block goes on at `next`, where the return
 * lands. */
void bt_rs_emit_call(struct xlate *x, uint32_t next, uint32_t target);
void bt_rs_emit_call_ind(struct xlate *x, uint32_t next);
/* A return to the EIP in r13d (the guest's ESP already moved). */
void bt_rs_emit_ret(struct xlate *x);

/* mov reg, [ESP + disp] through the view or the stack window's host
 * address; ESP += delta. */
void emit_stack_load(struct emit *e, unsigned reg, int32_t disp);
void emit_esp_add(struct emit *e, int32_t delta);

/* ---- translate_load.c: loads answered from the monitor's caches ----- */

/* A kernel `mov r32, [mem]` adapted to a callout that may read a constant
 * device register: emit_cached_mmio_load takes the cached value. */
bool cached_mmio_load_ok(const struct xlate *x, const struct x86_insn *in,
			 uint32_t eip);
void emit_cached_mmio_load(struct xlate *x, unsigned i, uint32_t eip,
			   const uint8_t *bytes);
/* A kernel segment register load through the segment-load table. */
bool sreg_load_inline_ok(const struct xlate *x, const struct x86_insn *in);
void emit_sreg_load(struct xlate *x, unsigned i, uint32_t eip);

/* The guest's prefixes but segment overrides and 0x67. */
void emit_guest_prefixes(struct emit *e, const struct x86_insn *in,
			 const uint8_t *bytes);

/* ---- translate_utlb.c: user code without host mappings --------------- */

/* A miss stub's access size that no fill accepts (the interpreter runs
 * the instruction). */
#define BT_UTLB_NEVER 0x2000

/* An IDENT instruction with a memory operand, whole (check, access, miss
 * path). False: not expressible (the caller interprets it). */
bool utlb_emit_ident(struct xlate *x, unsigned i, uint32_t eip,
		     const uint8_t *bytes);
/* Before an INLINE instruction: check every guest access it makes; the
 * stack window's host address goes to e->stack_host, a memory operand's
 * to r14. False: not expressible. */
bool utlb_inline_prologue(struct xlate *x, const struct x86_insn *in,
			  const uint8_t *bytes);
/* The check of `size` bytes at the linear address in `reg` (r9 or r14):
 * on a hit `reg` holds the host address; clobbers r11 and r13. */
void utlb_check(struct xlate *x, unsigned reg, unsigned size, bool write);
/* r14d = the linear address of the ModRM or moffs memory operand. */
bool utlb_linear(struct xlate *x, const struct x86_insn *in,
		 const uint8_t *bytes);
/* After an instruction's body: a miss stub per check (fill the entry
 * and start the instruction again, or have the interpreter run it). */
void utlb_epilogue(struct xlate *x, unsigned i, uint32_t eip);

#endif

/*
 * translate_load.c - loads of kernel code that translated code answers
 * from a cache of the monitor's instead of calling out: `mov r32, [mem]`
 * of a device register whose value cannot change (cached MMIO loads),
 * and segment register loads whose descriptor the segment-load table
 * (sreg_cache.c) already checked.
 */
#include <stddef.h>

#include "bt/bt_priv.h"
#include "bt/emit.h"
#include "bt/sreg_cache.h"
#include "bt/translate_priv.h"

/*
 * A `mov r32, [mem]` of kernel code that was adapted to a callout (it
 * faults: an MMIO access, a watched frame) may read a device register
 * whose value cannot change while translated code runs (the local APIC's
 * ID: xv6 and JOS read it at every spinlock operation, 95 M times in
 * xv6's usertests, a third of the run as callouts). The callout caches
 * such a read (bt_interp_fast_mov: cpu->bt.mmio_key / mmio_value); this
 * sequence takes the cached value when the address is the same, without
 * touching the guest's flags, and calls out otherwise:
 *
 *	lea r13d, [guest address]	; 67: wraps at 4 GiB
 *	mov r11, rcx
 *	mov rcx, [r15 + mmio_key]	; ~address, or 0
 *	lea rcx, [rcx + r13 + 1]	; zero iff the address matches
 *	jrcxz hit
 *	mov rcx, r11
 *	<callout>
 *	jmp done
 * hit:	mov rcx, r11
 *	mov reg, [r15 + mmio_value]
 * done:
 *
 * The cache is dropped whenever the value could change or the address
 * stop mapping the register: any exit to the loop, any callout but a
 * plain mov, an MMIO write (bt_run.c, interp_mem.c). Kernel code only:
 * the linear address was checked with CPL 0's rights.
 */
bool cached_mmio_load_ok(const struct xlate *x, const struct x86_insn *in,
			 uint32_t eip)
{
	return !BT_KEY_USER(x->key) && (x->key & BT_KEY_FLAT) &&
	       x->cat[in - x->insn] == BT_CAT_CALLOUT &&
	       bt_adapt_is_marked(eip) && in->info->op == X86_OP_MOV &&
	       in->enc == X86_ENC_LEGACY && in->map == 0 &&
	       in->opcode == 0x8b && in->opsize == 4 && in->mod != 3 &&
	       in->addrsize == 4 &&
	       (in->seg == X86_DS || in->seg == X86_SS || in->seg == X86_ES);
}

void emit_cached_mmio_load(struct xlate *x, unsigned i, uint32_t eip,
			   const uint8_t *bytes)
{
	struct emit *e = &x->e;
	const struct x86_insn *in = &x->insn[i];
	uint8_t *jrcxz_disp, *jmp_disp;

	emit_u8(e, 0x67);
	if (!emit_with_guest_mem(x, in, bytes, 0x8d, HR_R13)) {
		e->overflow = true;
		return;
	}
	emit_mov_rr64(e, HR_R11, HR_RCX);
	emit_load64(e, HR_RCX, HR_VCPU, OFF(bt.mmio_key));
	/* lea rcx, [rcx + r13 + 1] */
	emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x4c, 0x29, 0x01}, 5);
	emit_u8(e, 0xe3); /* jrcxz hit */
	jrcxz_disp = e->p;
	emit_u8(e, 0);
	emit_mov_rr64(e, HR_RCX, HR_R11);
	emit_callout(x, i, eip, BT_CAT_CALLOUT);
	emit_u8(e, 0xeb); /* jmp done */
	jmp_disp = e->p;
	emit_u8(e, 0);
	if (e->p >= e->end)
		return;
	*jrcxz_disp = (uint8_t)(e->p - (jrcxz_disp + 1));
	emit_mov_rr64(e, HR_RCX, HR_R11);
	emit_load32(e, host_reg_of(in->reg), HR_VCPU, OFF(bt.mmio_value));
	if (e->p >= e->end)
		return;
	*jmp_disp = (uint8_t)(e->p - (jmp_disp + 1));
}

/*
 * mov DS/ES/FS/GS, r/m16 and pop DS/ES/FS/GS in kernel code, through the
 * table of repeatable loads (sreg_cache.c; a null FS or GS is one). With
 * the selector in r13d (read first, so that a fault comes before any
 * change):
 *
 *	rorx r14d, r13d, 3; movzx r14d, r14w; lea r14, [r14 * 8]
 *	mov r11d, [r15 + gdtr.base]; lea r11d, [r11 + r14]
 *	mov r9, gs:[r11d]		(the descriptor; may fault)
 *	mov r8, [r15 + sreg_table]; lea r8, [r8 + r14 * 4 + class]
 *	mov r10, rcx; mov rcx, [r8]; lea rcx, [rcx + r9]; jrcxz 1f; jmp miss
 *   1: mov ecx, [r8 + 8]; lea ecx, [rcx + r13]; jrcxz hit
 * miss: mov rcx, r10; <callout>; jmp done
 * hit:	mov rcx, r10; copy the entry's segment register; (pop: esp += 4)
 * done:
 *
 * No host flag changes (rorx, lea, jrcxz); the only faulting access
 * comes before any guest state changes. rorx is BMI2: without it, the
 * callout.
 */
bool sreg_load_inline_ok(const struct xlate *x, const struct x86_insn *in)
{
	unsigned sreg;

	if (!bt_host_bmi2 || BT_KEY_USER(x->key) || in->enc != X86_ENC_LEGACY)
		return false;
	if (in->info->op == X86_OP_MOV_TO_SREG) {
		/* From memory (Linux: the user's FS before sysexit) only
		 * through a flat DS or SS. */
		if (in->mod != 3 &&
		    (!(x->key & BT_KEY_FLAT) || in->addrsize != 4 ||
		     (in->seg != X86_DS && in->seg != X86_SS)))
			return false;
	} else if (in->info->op != X86_OP_POP_SREG || in->opsize != 4 ||
		   !(x->key & BT_KEY_FLAT)) {
		return false;
	}
	sreg = bt_sreg_operand(in);
	switch (sreg) {
	case X86_DS:
	case X86_ES:
		return x->key & BT_KEY_FLAT;
	case X86_FS:
	case X86_GS:
		return x->key & BT_KEY_SEG(sreg);
	default:
		return false;
	}
}

void emit_sreg_load(struct xlate *x, unsigned i, uint32_t eip)
{
	struct emit *e = &x->e;
	const struct x86_insn *in = &x->insn[i];
	unsigned sreg = bt_sreg_operand(in);
	bool pop = in->info->op == X86_OP_POP_SREG;
	int32_t cls = (sreg == X86_DS || sreg == X86_ES) ? BT_SREG_FLAT
							 : BT_SREG_INLINE;
	static const uint8_t mov = 0x8b;
	uint8_t *to_miss, *to_hit, *to_done, *skip;

	if (e->utlb && in->mod != 3) {
		/* A kernel TLB block: the operand through the TLB, then
		 * movzx r13d, word [r14] */
		if (pop) {
			emit_lea32(e, HR_R14, HR_R12, 0);
			utlb_check(x, HR_R14, 4, false);
		} else {
			if (!utlb_linear(x, in, x->page + (eip & 0xfff))) {
				e->overflow = true;
				return;
			}
			utlb_check(x, HR_R14, 2, false);
		}
		emit_bytes(e, (const uint8_t[]){0x45, 0x0f, 0xb7, 0x2e}, 4);
	} else if (pop) {
		emit_stack_load(e, HR_R13, 0);
		/* movzx r13d, r13w */
		emit_bytes(e, (const uint8_t[]){0x45, 0x0f, 0xb7, 0xed}, 4);
	} else if (in->mod != 3) {
		/* mov r13w, [mem] (16 bits, as the guest reads); movzx */
		emit_u8(e, 0x66);
		emit_with_guest_mem(x, in, x->page + (eip & 0xfff), mov,
				    HR_R13);
		emit_bytes(e, (const uint8_t[]){0x45, 0x0f, 0xb7, 0xed}, 4);
	} else {
		unsigned src = host_reg_of(in->rm);

		/* movzx r13d, r16 */
		emit_rex(e, false, HR_R13, 0, src, false);
		emit_bytes(e, (const uint8_t[]){0x0f, 0xb7}, 2);
		emit_u8(e, (uint8_t)(0xc0 | ((HR_R13 & 7) << 3) | (src & 7)));
	}
	/* rorx r14d, r13d, 3; movzx r14d, r14w; lea r14, [r14 * 8] */
	emit_bytes(e, (const uint8_t[]){0xc4, 0x43, 0x7b, 0xf0, 0xf5, 0x03}, 6);
	emit_bytes(e, (const uint8_t[]){0x45, 0x0f, 0xb7, 0xf6}, 4);
	emit_bytes(e, (const uint8_t[]){0x4e, 0x8d, 0x34, 0xf5, 0, 0, 0, 0}, 8);
	if (e->utlb) {
		/* The descriptor through the TLB (the selector waits in
		 * r10): mov r9d, [gdtr.base]; lea r9d, [r9 + r14]; <check>;
		 * mov r9, [r9] */
		emit_load32(e, HR_R9, HR_VCPU, OFF(gdtr.base));
		emit_bytes(e, (const uint8_t[]){0x47, 0x8d, 0x0c, 0x31}, 4);
		emit_mov_rr32(e, HR_R10, HR_R13);
		utlb_check(x, HR_R9, 8, false);
		emit_mov_rr32(e, HR_R13, HR_R10);
		emit_load64(e, HR_R9, HR_R9, 0);
	} else {
		emit_load32(e, HR_R11, HR_VCPU, OFF(gdtr.base));
		/* lea r11d, [r11 + r14] */
		emit_bytes(e, (const uint8_t[]){0x47, 0x8d, 0x1c, 0x33}, 4);
		emit_guest_mem_prefix(e);
		emit_op_mem(e, true, &mov, 1, HR_R9, HR_R11, 0);
	}
	emit_load64(e, HR_R8, HR_VCPU, OFF(bt.sreg_table));
	/* lea r8, [r8 + r14 * 4 + class * entries * 32] */
	emit_bytes(e, (const uint8_t[]){0x4f, 0x8d, 0x84, 0xb0}, 4);
	emit_u32(e, (uint32_t)(cls * BT_SREG_ENTRIES *
			       (int32_t)sizeof(struct bt_sreg_entry)));
	emit_mov_rr64(e, HR_R10, HR_RCX);
	emit_load64(e, HR_RCX, HR_R8, 0);
	/* lea rcx, [rcx + r9]; jrcxz 1f; jmp miss */
	emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x0c, 0x09}, 4);
	emit_bytes(e, (const uint8_t[]){0xe3, 0x02, 0xeb, 0x00}, 4);
	to_miss = e->p - 1;
	/* 1: mov ecx, [r8 + 8]; lea ecx, [rcx + r13]; jrcxz hit */
	emit_load32(e, HR_RCX, HR_R8, 8);
	emit_bytes(e, (const uint8_t[]){0x42, 0x8d, 0x0c, 0x29}, 4);
	emit_bytes(e, (const uint8_t[]){0xe3, 0x00}, 2);
	to_hit = e->p - 1;
	skip = e->p;
	emit_mov_rr64(e, HR_RCX, HR_R10);
	emit_callout(x, i, eip, BT_CAT_CALLOUT);
	emit_bytes(e, (const uint8_t[]){0xeb, 0x00}, 2);
	to_done = e->p - 1;
	if (e->p >= e->end)
		return;
	*to_miss = (uint8_t)(skip - (to_miss + 1));
	*to_hit = (uint8_t)(e->p - (to_hit + 1));
	emit_mov_rr64(e, HR_RCX, HR_R10);
	emit_load64(e, HR_R9, HR_R8,
		    (int32_t)offsetof(struct bt_sreg_entry, seg));
	emit_store64(e, HR_R9, HR_VCPU, OFF(seg[sreg]));
	emit_load32(e, HR_R9, HR_R8,
		    (int32_t)offsetof(struct bt_sreg_entry, seg) + 8);
	emit_store32(e, HR_R9, HR_VCPU, OFF(seg[sreg]) + 8);
	if (pop)
		emit_esp_add(e, 4);
	if (e->p >= e->end)
		return;
	*to_done = (uint8_t)(e->p - (to_done + 1));
	if (e->utlb)
		utlb_epilogue(x, i, eip);
}

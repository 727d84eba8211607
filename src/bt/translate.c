/*
 * translate.c - one guest basic block into host code.
 *
 * bt_translate() runs four passes:
 *   scan  decode guest instructions from EIP to the end of the block
 *         (control flow, an instruction that stops translation, the end
 *         of the page, or BT_MAX_BLOCK_INSNS);
 *   plan  choose each instruction's category (IDENT, INLINE, CALLOUT,
 *         INTERP) from its sensitivity class and encoding;
 *   emit  write the body, instruction by instruction, recording where
 *         each guest instruction's host code starts (precise faults), then
 *         one stub per direct exit;
 *   link  register the block (lookup hash, code page, code protection).
 *
 * Host sequences keep the rule that makes every fault restartable: the
 * first host instruction that can fault comes before any change to guest
 * state, so a fault anywhere in a guest instruction's code leaves the
 * guest exactly as it was before that instruction.
 */
#include <stddef.h>
#include <string.h>
#include <xxhash.h>

#include "bt/bt_priv.h"
#include "bt/bt_trace.h"
#include "bt/emit.h"
#include "bt/sreg_cache.h"
#include "bt/translate_priv.h"
#include "bt/fpu.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/machine.h"
#include "monitor/stats.h"

bool bt_count_blocks;
bool bt_trace_on;
FILE *bt_perf_map;

static const char *const cat_names[BT_NR_CATS] = {
	[BT_CAT_IDENT] = "IDENT",     [BT_CAT_INLINE] = "INLINE",
	[BT_CAT_CALLOUT] = "CALLOUT", [BT_CAT_INTERP] = "INTERP",
	[BT_CAT_STEP] = "STEP",	      [BT_CAT_UTLB_MISS] = "UTLB",
};

static void trace_block(const struct tc_block *b, const uint8_t *guest,
			const uint8_t *cats)
{
	struct bt_trace_insn t[BT_MAX_BLOCK_INSNS];

	for (unsigned i = 0; i < b->n_insns; i++) {
		t[i].guest_off = b->map[i].guest_off;
		t[i].host_off = b->map[i].host_off;
		t[i].category = cat_names[cats[i] < BT_NR_CATS ? cats[i] : 0];
	}
	bt_trace_print(b->eip, guest, b->guest_len, b->host, b->host_len, t,
		       b->n_insns);
}

static bool is_gpr_operand(const struct x86_insn *in, unsigned i)
{
	const struct x86_operand *op = &in->info->operand[i];

	switch (op->kind) {
	case OPK_G:
	case OPK_Z:
		return true;
	case OPK_E:
	case OPK_R:
		return in->mod == 3 || op->kind == OPK_R;
	default:
		return false;
	}
}

static unsigned gpr_number(const struct x86_insn *in, unsigned i)
{
	switch (in->info->operand[i].kind) {
	case OPK_G:
		return in->reg;
	case OPK_Z:
		return in->opcode & 7;
	default:
		return in->rm;
	}
}

/* ---- IDENT: re-encode the guest instruction for the host ----------- */

/*
 * emit_ident (translate_priv.h) cannot express 16-bit addressing or a REX
 * prefix next to AH..BH, among others: the caller then falls back.
 */
static bool emit_view_string(struct xlate *x, const struct x86_insn *in,
			     const uint8_t *bytes);

/* The guest's own prefixes but segment overrides (the host's view
 * replaces them) and 0x67 (the caller decides the address size). */
void emit_guest_prefixes(struct emit *e, const struct x86_insn *in,
			 const uint8_t *bytes)
{
	for (unsigned i = 0; i < in->prefix_len; i++) {
		uint8_t p = bytes[i];

		if (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e ||
		    p == 0x64 || p == 0x65 || p == 0x67)
			continue;
		emit_u8(e, p);
	}
}

bool emit_ident(struct xlate *x, const struct x86_insn *in,
		const uint8_t *bytes, int mem_base)
{
	struct emit *e = &x->e;
	unsigned oplen = in->map == 0 ? 1 : (in->map == 1 ? 2 : 3);
	unsigned modrm_pos = in->prefix_len + oplen;
	bool has_modrm = in->info->flags & X86_F_MODRM;
	bool mem = has_modrm && in->mod != 3;
	bool sib = mem && in->rm == 4;
	bool rex_r = false, rex_b = false, byte_hi = false;
	bool host_addr = mem_base >= 0 && (mem_base & MEM_HOST);
	unsigned tail;
	uint8_t op0 = bytes[in->prefix_len];

	if (host_addr)
		mem_base &= ~MEM_HOST;

	if (in->enc != X86_ENC_LEGACY)
		return false;
	if (in->has_mem && in->addrsize != 4)
		return false;
	if (e->guest_seg && !host_addr &&
	    (in->info->op == X86_OP_MOVS || in->info->op == X86_OP_STOS ||
	     in->info->op == X86_OP_CMPS || in->info->op == X86_OP_SCAS))
		return emit_view_string(x, in, bytes);

	for (unsigned i = 0; i < in->info->nr_operands; i++) {
		unsigned size, r;

		if (!is_gpr_operand(in, i))
			continue;
		size = x86_operand_bytes(in, i);
		r = gpr_number(in, i);
		if (size == 1) {
			byte_hi |= r >= 4;
			continue;
		}
		if (r != 4)
			continue;
		if (in->info->operand[i].kind == OPK_G)
			rex_r = true;
		else
			rex_b = true;
	}
	/* inc/dec r32 (0x40-0x4f) are REX prefixes on the host. */
	if (in->map == 0 && op0 >= 0x40 && op0 <= 0x4f && (op0 & 7) == 4)
		rex_b = true;
	if (mem && mem_base < 0 && sib && in->base == X86_ESP)
		rex_b = true;
	if (mem && mem_base >= 8)
		rex_b = true;
	if ((rex_r || rex_b) && byte_hi)
		return false;

	/* Prefixes: the view's segment and 0x67 first (32-bit addresses on
	 * the host), then the guest's own, without segment overrides (flat)
	 * and 0x67. */
	if (in->has_mem && !host_addr)
		emit_guest_mem_prefix(e);
	emit_guest_prefixes(e, in, bytes);
	if (rex_r || rex_b)
		emit_u8(e, (uint8_t)(0x40 | (rex_r ? 4 : 0) | (rex_b ? 1 : 0)));

	if (in->map == 0 && op0 >= 0x40 && op0 <= 0x4f) {
		emit_u8(e, 0xff);
		emit_u8(e, (uint8_t)(0xc0 | (op0 >= 0x48 ? 8 : 0) | (op0 & 7)));
		return true;
	}
	emit_bytes(e, bytes + in->prefix_len, oplen);
	if (!has_modrm) {
		emit_bytes(e, bytes + modrm_pos, in->len - modrm_pos);
		return true;
	}

	tail = modrm_pos + 1;
	if (!mem) {
		emit_u8(e, bytes[modrm_pos]);
	} else if (mem_base >= 0) {
		unsigned rm = (unsigned)mem_base & 7;

		emit_u8(e, (uint8_t)(0x40 | ((in->reg & 7) << 3) | rm));
		if (rm == 4)
			emit_u8(e, 0x24);
		emit_u8(e, 0);
		tail += (sib ? 1 : 0) + in->disp_len;
	} else if (in->mod == 0 && in->rm == 5) {
		/* [disp32]: RIP-relative on the host; use the SIB form. */
		emit_u8(e, (uint8_t)(((in->reg & 7) << 3) | 4));
		emit_u8(e, 0x25);
	} else {
		emit_u8(e, bytes[modrm_pos]);
		if (sib) {
			emit_u8(e, bytes[modrm_pos + 1]);
			tail++;
		}
	}
	emit_bytes(e, bytes + tail, in->len - tail);
	return true;
}

/*
 * movs/stos/cmps/scas in a shadow view. Their ES:EDI operand takes no
 * segment override, so the destination is biased instead: RDI += the
 * view's base (lea: no flags), and so is a source in RSI (a gs:
 * override would do, but takes `rep movs` off the host's fast-string
 * path: 3x slower 64-byte copies). The instruction runs with 64-bit
 * addresses (RCX as the count: guest registers have zero upper halves),
 * then EDI and ESI are cut back to 32 bits. A fault in between leaves
 * them biased; exits store guest registers as 32-bit values, which
 * drops the bias (the base is 4 GiB aligned). A string that runs past either
 * end of the view reaches a guard page and faults; the interpreter then
 * runs it, wrapping as the guest's 32-bit addresses do.
 */
static bool emit_view_string(struct xlate *x, const struct x86_insn *in,
			     const uint8_t *bytes)
{
	struct emit *e = &x->e;
	bool src = in->info->op == X86_OP_MOVS || in->info->op == X86_OP_CMPS;

	emit_load64(e, HR_R14, HR_R15, OFF(bt.gs_base));
	/* lea rdi, [rdi + r14] */
	emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x3c, 0x37}, 4);
	/* lea rsi, [rsi + r14] (busybox's 64-byte copies into its sha256
	 * block were 10% of sha256sum through gs:) */
	if (src)
		emit_bytes(e, (const uint8_t[]){0x4a, 0x8d, 0x34, 0x36}, 4);
	emit_guest_prefixes(e, in, bytes);
	emit_bytes(e, bytes + in->prefix_len, in->len - in->prefix_len);
	emit_bytes(e, (const uint8_t[]){0x89, 0xff}, 2); /* mov edi, edi */
	if (src)
		emit_bytes(e, (const uint8_t[]){0x89, 0xf6},
			   2); /* mov esi, esi */
	return true;
}

/*
 * lea/mov host_reg, <the guest's memory operand>: `opcode` with ModRM.reg
 * = host_reg and the operand re-encoded (32-bit address size).
 */
bool emit_with_guest_mem(struct xlate *x, const struct x86_insn *in,
			 const uint8_t *bytes, uint8_t opcode,
			 unsigned host_reg)
{
	struct emit *e = &x->e;
	unsigned modrm_pos =
		in->prefix_len + (in->map == 0 ? 1 : (in->map == 1 ? 2 : 3));
	bool sib = in->rm == 4;
	bool rex_b = sib && in->base == X86_ESP;
	unsigned tail = modrm_pos + 1 + (sib ? 1 : 0);

	if (in->addrsize != 4 || in->mod == 3)
		return false;
	emit_guest_mem_prefix(e);
	if (host_reg >= 8 || rex_b)
		emit_u8(e, (uint8_t)(0x40 | (host_reg >= 8 ? 4 : 0) |
				     (rex_b ? 1 : 0)));
	emit_u8(e, opcode);
	if (in->mod == 0 && in->rm == 5) {
		emit_u8(e, (uint8_t)(((host_reg & 7) << 3) | 4));
		emit_u8(e, 0x25);
	} else {
		emit_u8(e, (uint8_t)((in->mod << 6) | ((host_reg & 7) << 3) |
				     in->rm));
		if (sib)
			emit_u8(e, bytes[modrm_pos + 1]);
	}
	emit_bytes(e, bytes + tail, in->disp_len);
	return true;
}

/* ---- INLINE sequences ---------------------------------------------- */

/*
 * op reg, [ESP + disp]: through the view, [r12d + disp] with 32-bit
 * addresses; in a user TLB block, [stack_host + disp - stack_lo], the host
 * address of the window the prologue checked.
 */
static void emit_stack_op(struct emit *e, uint8_t op, unsigned reg,
			  int32_t disp)
{
	if (e->stack_host) {
		emit_op_mem(e, false, &op, 1, reg, e->stack_host,
			    disp - e->stack_lo);
		return;
	}
	emit_guest_mem_prefix(e);
	emit_op_mem(e, false, &op, 1, reg, HR_R12, disp);
}

/* mov [ESP + disp], r32 / mov r32, [ESP + disp] */
static void emit_stack_store(struct emit *e, unsigned reg, int32_t disp)
{
	emit_stack_op(e, 0x89, reg, disp);
}

void emit_stack_load(struct emit *e, unsigned reg, int32_t disp)
{
	emit_stack_op(e, 0x8b, reg, disp);
}

static void emit_stack_store_imm(struct emit *e, int32_t disp, uint32_t imm)
{
	emit_stack_op(e, 0xc7, 0, disp);
	emit_u32(e, imm);
}

/* The guest memory operand of an INLINE instruction as the source or
 * destination of `opcode` (mov) with host_reg: through the view, or in a
 * user TLB block through r14, which the prologue set to its host address. */
static bool emit_inline_mem(struct xlate *x, const struct x86_insn *in,
			    const uint8_t *bytes, uint8_t opcode,
			    unsigned host_reg)
{
	if (x->e.utlb) {
		emit_op_mem(&x->e, false, &opcode, 1, host_reg, HR_R14, 0);
		return true;
	}
	return emit_with_guest_mem(x, in, bytes, opcode, host_reg);
}

void emit_esp_add(struct emit *e, int32_t delta)
{
	emit_lea32(e, HR_R12, HR_R12, delta);
}

void bt_xlate_add_exit(struct xlate *x, uint8_t *site, uint32_t target)
{
	if (x->n_exits == BT_MAX_EXITS) {
		x->e.overflow =
			true; /* scan_and_plan keeps it from happening */
		return;
	}
	x->exit_site[x->n_exits] = site;
	x->exit_target[x->n_exits] = target;
	x->n_exits++;
}

static void add_exit(struct xlate *x, uint8_t *site, uint32_t target)
{
	bt_xlate_add_exit(x, site, target);
}

/* A direct jump to guest `target`, chained later. */
static void emit_exit_jmp(struct xlate *x, uint32_t target)
{
	add_exit(x, emit_jmp(&x->e, x->e.p), target);
}

void bt_xlate_emit_ibl(struct xlate *x, bool call)
{
	/* r13 holds the target: count with r14 (the lookup reloads it). */
	if (bt_count_blocks)
		emit_count(&x->e, OFF(bt.ibl_lookups), 1, HR_R14);
	bt_emit_ibl_to(&x->e, call);
}

static void emit_ibl(struct xlate *x)
{
	bt_xlate_emit_ibl(x, false);
}

/*
 * FS and GS in kernel code: the mode key lets either be null as well as
 * usable inline (bt_mode_key), so an access through one checks the
 * limit first. A null segment's is 0: the callout runs the instruction,
 * and the interpreter raises #GP(0).
 *
 *	mov r11, rcx; mov ecx, [r15 + seg.limit]; jrcxz 1f; mov rcx, r11
 *	<the access>
 *	jmp 2f
 * 1:	mov rcx, r11; <callout>
 * 2:
 *
 * Returns where 1f goes (NULL in user code: its key holds the segment's
 * state exactly).
 */
static uint8_t *null_seg_check(struct xlate *x, const struct x86_insn *in)
{
	struct emit *e = &x->e;
	uint8_t *to_null;

	if (BT_KEY_USER(x->key))
		return NULL;
	emit_mov_rr64(e, HR_R11, HR_RCX);
	emit_load32(e, HR_RCX, HR_R15, OFF(seg[in->seg].limit));
	emit_bytes(e, (const uint8_t[]){0xe3, 0x00}, 2); /* jrcxz */
	to_null = e->p - 1;
	emit_mov_rr64(e, HR_RCX, HR_R11);
	return to_null;
}

/* After the access: the null path. False when it cannot be reached with
 * 8-bit jumps (the instruction is interpreted instead). */
static bool null_seg_path(struct xlate *x, unsigned i, uint32_t eip,
			  uint8_t *to_null)
{
	struct emit *e = &x->e;
	uint8_t *to_done;

	if (!to_null)
		return true;
	emit_bytes(e, (const uint8_t[]){0xeb, 0x00}, 2);
	to_done = e->p - 1;
	if (e->p >= e->end)
		return true; /* the caller sees the overflow */
	if (e->p - (to_null + 1) > 127)
		return false;
	*to_null = (uint8_t)(e->p - (to_null + 1));
	emit_mov_rr64(e, HR_RCX, HR_R11);
	emit_callout(x, i, eip, BT_CAT_CALLOUT);
	if (e->p >= e->end)
		return true;
	if (e->p - (to_done + 1) > 127)
		return false;
	*to_done = (uint8_t)(e->p - (to_done + 1));
	return true;
}

/* Operand 0 of a jmp/call r/m32 into r13d. */
static bool load_target(struct xlate *x, unsigned i, uint32_t eip,
			const uint8_t *bytes)
{
	static const uint8_t mov = 0x8b;
	const struct x86_insn *in = &x->insn[i];
	struct emit *e = &x->e;
	uint8_t *to_null;

	if (in->mod == 3) {
		emit_mov_rr32(e, HR_R13, host_reg_of(in->rm));
		return true;
	}
	/* In a user TLB block the prologue added the segment base. */
	if (!(in->prefixes & X86_P_SEG) ||
	    (in->seg != X86_FS && in->seg != X86_GS) || e->utlb)
		return emit_inline_mem(x, in, bytes, mov, HR_R13);
	/*
	 * call/jmp through FS or GS (glibc's `call *%gs:0x10`, the system
	 * call entry of every Linux process): the segment passed
	 * bt_seg_inline_ok, so base + offset, wrapping at 4 GiB, is the
	 * linear address. One in every system call went to the
	 * interpreter, and out of the cache, before.
	 */
	to_null = null_seg_check(x, in);
	if (!emit_with_guest_mem(x, in, bytes, 0x8d, HR_R13))
		return false;
	emit_load32(e, HR_R14, HR_R15, OFF(seg[in->seg].base));
	/* lea r13d, [r14 + r13] */
	emit_bytes(e, (const uint8_t[]){0x67, 0x47, 0x8d, 0x2c, 0x2e}, 5);
	emit_guest_mem_prefix(e);
	emit_op_mem(e, false, &mov, 1, HR_R13, HR_R13, 0);
	/* The callout ran the whole call or jump (EIP moved: it exits). */
	return null_seg_path(x, i, eip, to_null);
}

/* Byte 1 of EFLAGS (IF, IOPL, NT...) replaced through a 256-byte table in
 * the vcpu (cli, sti): no host flag changes.
 *	movzx r13d, byte [r15 + eflags + 1]
 *	movzx r13d, byte [r15 + r13 + table]
 *	mov [r15 + eflags + 1], r13b */
static void emit_eflags_byte1_through(struct emit *e, int32_t table)
{
	static const uint8_t movzx[] = {0x0f, 0xb6};
	static const uint8_t movb = 0x88;

	emit_op_mem(e, false, movzx, 2, HR_R13, HR_R15, OFF(eflags) + 1);
	emit_bytes(e, (const uint8_t[]){0x47, 0x0f, 0xb6, 0xac, 0x2f}, 5);
	emit_u32(e, (uint32_t)table);
	emit_op_mem(e, false, &movb, 1, HR_R13, HR_R15, OFF(eflags) + 1);
}

static bool emit_inline_body(struct xlate *x, const struct x86_insn *in,
			     const uint8_t *bytes, uint32_t eip)
{
	struct emit *e = &x->e;
	uint32_t next = eip + in->len;
	uint32_t target = next + in->imm;

	switch (in->info->op) {
	case X86_OP_JMP:
		emit_exit_jmp(x, target);
		return true;
	case X86_OP_JCC:
		add_exit(x, emit_jcc(e, x86_insn_cc(in), e->p), target);
		emit_exit_jmp(x, next);
		return true;
	case X86_OP_LOOP:
	case X86_OP_LOOPE:
	case X86_OP_LOOPNE:
	case X86_OP_JCXZ:
		/* 67 Ex 05: loop on ECX over the fall-through jump. */
		emit_u8(e, 0x67);
		emit_u8(e, in->info->op == X86_OP_LOOP	   ? 0xe2
			   : in->info->op == X86_OP_LOOPE  ? 0xe1
			   : in->info->op == X86_OP_LOOPNE ? 0xe0
							   : 0xe3);
		emit_u8(e, 5);
		emit_exit_jmp(x, next);
		emit_exit_jmp(x, target);
		return true;
	case X86_OP_CALL:
		emit_stack_store_imm(e, -4, next);
		emit_esp_add(e, -4);
		bt_rs_emit_call(x, next, target);
		return true;
	case X86_OP_CALL_IND:
		if (!load_target(x, (unsigned)(in - x->insn), eip, bytes))
			return false;
		emit_stack_store_imm(e, -4, next);
		emit_esp_add(e, -4);
		bt_rs_emit_call_ind(x, next);
		return true;
	case X86_OP_JMP_IND:
		if (!load_target(x, (unsigned)(in - x->insn), eip, bytes))
			return false;
		emit_ibl(x);
		return true;
	case X86_OP_RET:
		emit_stack_load(e, HR_R13, 0);
		emit_esp_add(e, 4 + (in->info->nr_operands
					     ? (int32_t)(in->imm & 0xffff)
					     : 0));
		bt_rs_emit_ret(x);
		return true;
	case X86_OP_PUSH: {
		const struct x86_operand *op = &in->info->operand[0];

		if (op->kind == OPK_I || op->kind == OPK_IS) {
			uint32_t v =
				op->kind == OPK_IS
					? (uint32_t)(int32_t)(int8_t)in->imm
					: in->imm;

			emit_stack_store_imm(e, -4, v);
		} else if (is_gpr_operand(in, 0)) {
			emit_stack_store(e, host_reg_of(gpr_number(in, 0)), -4);
		} else {
			if (!emit_inline_mem(x, in, bytes, 0x8b, HR_R13))
				return false;
			emit_stack_store(e, HR_R13, -4);
		}
		emit_esp_add(e, -4);
		return true;
	}
	case X86_OP_POP:
		if (is_gpr_operand(in, 0)) {
			unsigned r = gpr_number(in, 0);

			emit_stack_load(e, host_reg_of(r), 0);
			if (r != X86_ESP)
				emit_esp_add(e, 4);
			return true;
		}
		/* pop [mem]: the address uses ESP after the pop: decline
		 * those, the rest read the stack first. */
		if (in->base == X86_ESP || in->index == X86_ESP)
			return false;
		emit_stack_load(e, HR_R13, 0);
		if (!emit_inline_mem(x, in, bytes, 0x89, HR_R13))
			return false;
		emit_esp_add(e, 4);
		return true;
	case X86_OP_PUSHA:
		/* EDI ESI EBP (old) ESP EBX EDX ECX EAX from the bottom up
		 * (a fault reports the lowest slot, as the interpreter's),
		 * then move ESP. A fault part way leaves some slots written:
		 * pusha restarts and writes them again, as on hardware. */
		for (unsigned r = 8; r-- > 0;)
			emit_stack_store(e, host_reg_of(r),
					 -4 * (int32_t)(r + 1));
		emit_esp_add(e, -32);
		return true;
	case X86_OP_POPA:
		/* Touch both ends first: any fault comes before a register
		 * changes. ESP's slot is skipped. */
		emit_stack_load(e, HR_R13, 0);
		emit_stack_load(e, HR_R13, 28);
		for (unsigned r = 0; r < 8; r++)
			if (r != X86_ESP)
				emit_stack_load(e, host_reg_of(r),
						28 - 4 * (int32_t)r);
		emit_esp_add(e, 32);
		return true;
	case X86_OP_LEAVE: {
		/* mov r13d, [ebp]; lea r12d, [rbp + 4]; mov ebp, r13d */
		static const uint8_t op = 0x8b;

		if (e->utlb) {
			emit_op_mem(e, false, &op, 1, HR_R13, HR_R14, 0);
		} else {
			emit_guest_mem_prefix(e);
			emit_op_mem(e, false, &op, 1, HR_R13, HR_RBP, 0);
		}
		emit_lea32(e, HR_R12, HR_RBP, 4);
		emit_mov_rr32(e, HR_RBP, HR_R13);
		return true;
	}
	case X86_OP_CLI:
		emit_eflags_byte1_through(e, OFF(bt.cli_table));
		return true;
	case X86_OP_STI: {
		/*
		 * Kernel sti (Linux: local_irq_enable, 1.2 M times in a
		 * fork+exec run; xv6: popcli). When an interrupt, an NMI or
		 * a kick is waiting, the callout (it leaves the cache for
		 * the delivery, after the shadow); else IF is set through a
		 * table as cli clears it. The shadow needs nothing more: the
		 * cache runs the next instruction before it can stop (as
		 * callout_leaves() says for the callout).
		 *
		 *	movzx r13d, byte [r15 + bus.intr]
		 *	movzx r14d, byte [r15 + nmi_pending]; lea r13, [r13 + r14]
		 *	mov r14d, [r15 + kick]; lea r13, [r13 + r14]
		 *	mov r10, rcx; mov ecx, r13d; jrcxz 1f
		 *	mov rcx, r10; <callout>; jmp 2f
		 * 1:	mov rcx, r10; <IF through sti_table>
		 * 2:
		 */
		static const uint8_t movzx[] = {0x0f, 0xb6};
		int32_t intr = (int32_t)(offsetof(struct machine, bus) +
					 offsetof(struct bus, intr) -
					 offsetof(struct machine, cpu));
		uint8_t *to_fast, *to_done;

		emit_op_mem(e, false, movzx, 2, HR_R13, HR_R15, intr);
		emit_op_mem(e, false, movzx, 2, HR_R14, HR_R15,
			    OFF(nmi_pending));
		/* lea r13, [r13 + r14] */
		emit_bytes(e, (const uint8_t[]){0x4f, 0x8d, 0x6c, 0x35, 0x00},
			   5);
		emit_load32(e, HR_R14, HR_R15, OFF(kick));
		emit_bytes(e, (const uint8_t[]){0x4f, 0x8d, 0x6c, 0x35, 0x00},
			   5);
		emit_mov_rr64(e, HR_R10, HR_RCX);
		emit_mov_rr32(e, HR_RCX, HR_R13);
		emit_bytes(e, (const uint8_t[]){0xe3, 0x00}, 2);
		to_fast = e->p - 1;
		emit_mov_rr64(e, HR_RCX, HR_R10);
		emit_callout(x, (unsigned)(in - x->insn), eip, BT_CAT_CALLOUT);
		emit_bytes(e, (const uint8_t[]){0xeb, 0x00}, 2);
		to_done = e->p - 1;
		if (e->p >= e->end)
			return true;
		*to_fast = (uint8_t)(e->p - (to_fast + 1));
		emit_mov_rr64(e, HR_RCX, HR_R10);
		emit_eflags_byte1_through(e, OFF(bt.sti_table));
		if (e->p >= e->end)
			return true;
		*to_done = (uint8_t)(e->p - (to_done + 1));
		return true;
	}
	case X86_OP_PUSHF: {
		/*
		 * EFLAGS image: the arithmetic flags and DF from the host,
		 * the rest from the vcpu, VM and RF clear (not IOPL
		 * sensitive outside v8086 mode). A dummy store first, so a
		 * fault comes before anything changed; the flags are
		 * computed between pushfq and popfq, which give the guest's
		 * back. (xv6 runs it on every spinlock: a callout each was
		 * 44% of its callouts.)
		 */
		static const uint32_t arith = 0xcd5; /* CF PF AF ZF SF DF OF */
		static const uint8_t and_r = 0x81;

		emit_stack_store_imm(e, -4, 0);
		emit_u8(e, 0x9c); /* pushfq */
		/* mov r14, [rsp] */
		emit_bytes(e, (const uint8_t[]){0x4c, 0x8b, 0x34, 0x24}, 4);
		emit_rex(e, false, 4, 0, HR_R14, false);
		emit_bytes(e, &and_r, 1);
		emit_u8(e, (uint8_t)(0xc0 | (4 << 3) | (HR_R14 & 7)));
		emit_u32(e, arith);
		emit_load32(e, HR_R13, HR_R15, OFF(eflags));
		emit_rex(e, false, 4, 0, HR_R13, false);
		emit_bytes(e, &and_r, 1);
		emit_u8(e, (uint8_t)(0xc0 | (4 << 3) | (HR_R13 & 7)));
		emit_u32(e, ~(arith | X86_FL_VM | X86_FL_RF));
		/* or r13d, r14d */
		emit_bytes(e, (const uint8_t[]){0x45, 0x09, 0xf5}, 3);
		emit_u8(e, 0x9d); /* popfq */
		emit_stack_store(e, HR_R13, -4);
		emit_esp_add(e, -4);
		return true;
	}
	case X86_OP_POPF: {
		/*
		 * Kernel popf that leaves the system flags as they are
		 * (Linux: twice in every system call, after a pushf of the
		 * same state and with IF cleared in the user's image): the
		 * popped image only replaces the arithmetic flags and DF in
		 * the host RFLAGS, whose old values are dead. Any change to
		 * IF, IOPL, NT, AC, TF or ID, or a set RF (popf clears it),
		 * takes the callout.
		 *
		 *	mov r13d, [esp]; mov r14d, [r15 + eflags]
		 *	and r14d, SYS | RF; mov r10d, r13d; and r10d, SYS
		 *	cmp r10d, r14d; jne 1f
		 *	and r13d, ARITH; push r13; popfq; lea r12d, [r12 + 4]
		 *	jmp 2f
		 * 1:	<callout>
		 * 2:
		 */
		static const uint32_t arith = 0xcd5; /* CF PF AF ZF SF DF OF */
		static const uint32_t sys = X86_FL_TF | X86_FL_IF |
					    X86_FL_IOPL | X86_FL_NT |
					    X86_FL_AC | X86_FL_ID;
		uint8_t *to_slow, *to_done;

		emit_stack_load(e, HR_R13, 0);
		emit_load32(e, HR_R14, HR_R15, OFF(eflags));
		emit_alu_imm32(e, 4, HR_R14, sys | X86_FL_RF); /* and */
		emit_mov_rr32(e, HR_R10, HR_R13);
		emit_alu_imm32(e, 4, HR_R10, sys); /* and */
		/* cmp r10d, r14d; jne slow */
		emit_bytes(e, (const uint8_t[]){0x45, 0x39, 0xf2, 0x75, 0x00},
			   5);
		to_slow = e->p - 1;
		emit_alu_imm32(e, 4, HR_R13, arith); /* and */
		emit_push(e, HR_R13);
		emit_u8(e, 0x9d); /* popfq */
		emit_esp_add(e, 4);
		emit_bytes(e, (const uint8_t[]){0xeb, 0x00}, 2);
		to_done = e->p - 1;
		*to_slow = (uint8_t)(e->p - (to_slow + 1));
		emit_callout(x, (unsigned)(in - x->insn), eip, BT_CAT_CALLOUT);
		if (e->p >= e->end)
			return true;
		*to_done = (uint8_t)(e->p - (to_done + 1));
		return true;
	}
	case X86_OP_PUSH_SREG: {
		/*
		 * A 4-byte slot of which only the low 16 bits are written
		 * (as the interpreter and recent CPUs do): read the slot,
		 * put the selector in its low half (a 16-bit load into r14w
		 * keeps the rest), store all 4 bytes, so that a fault comes
		 * first and the whole slot is checked for writing.
		 */
		static const uint8_t mov = 0x8b;

		emit_stack_load(e, HR_R14, -4);
		emit_u8(e, 0x66);
		emit_op_mem(e, false, &mov, 1, HR_R14, HR_R15,
			    OFF(seg[bt_sreg_operand(in)].sel));
		emit_stack_store(e, HR_R14, -4);
		emit_esp_add(e, -4);
		return true;
	}
	case X86_OP_MOV_FROM_CR: {
		/* Kernel reads of CR0/CR2/CR3/CR4 (a page-fault handler's
		 * CR2, Linux's CR3 at every switch_mm): the vcpu's copy. */
		static const int32_t cr_off[5] = {OFF(cr0), 0, OFF(cr2),
						  OFF(cr3), OFF(cr4)};

		emit_load32(e, host_reg_of(in->rm), HR_R15, cr_off[in->reg]);
		return true;
	}
	case X86_OP_MOV_FROM_SREG: {
		static const uint8_t movzxw[] = {0x0f, 0xb7};

		emit_op_mem(e, false, movzxw, 2, host_reg_of(in->rm), HR_R15,
			    OFF(seg[in->reg].sel));
		return true;
	}
	case X86_OP_RDTSC: {
		/*
		 * Guest TSC = host TSC + tsc_offset, computed in place (the
		 * kernel's sched_clock reads it thousands of times per fork:
		 * a callout each was 58% of all callouts of a Linux fork+exec
		 * loop). CPL 0 only (CR4.TSD cannot refuse it), and the
		 * guest's flags survive through pushfq/popfq on the monitor
		 * stack.
		 */
		static const uint8_t add = 0x03;

		emit_u8(e, 0x9c);				 /* pushfq */
		emit_bytes(e, (const uint8_t[]){0x0f, 0x31}, 2); /* rdtsc */
		/* shl rdx, 32; or rax, rdx */
		emit_bytes(e, (const uint8_t[]){0x48, 0xc1, 0xe2, 0x20}, 4);
		emit_bytes(e, (const uint8_t[]){0x48, 0x09, 0xd0}, 3);
		emit_op_mem(e, true, &add, 1, HR_RAX, HR_R15, OFF(tsc_offset));
		/* mov rdx, rax; shr rdx, 32; mov eax, eax */
		emit_bytes(e, (const uint8_t[]){0x48, 0x89, 0xc2}, 3);
		emit_bytes(e, (const uint8_t[]){0x48, 0xc1, 0xea, 0x20}, 4);
		emit_bytes(e, (const uint8_t[]){0x89, 0xc0}, 2);
		emit_u8(e, 0x9d); /* popfq */
		return true;
	}
	default:
		return false;
	}
}

/* An INLINE instruction; in a user TLB block, between the checks of the
 * accesses it makes and their miss path. */
static bool emit_inline(struct xlate *x, unsigned i, const uint8_t *bytes,
			uint32_t eip)
{
	const struct x86_insn *in = &x->insn[i];
	bool ok;

	if (!x->e.utlb)
		return emit_inline_body(x, in, bytes, eip);
	if (!utlb_inline_prologue(x, in, bytes))
		return false;
	ok = emit_inline_body(x, in, bytes, eip);
	x->e.stack_host = 0;
	if (ok)
		utlb_epilogue(x, i, eip);
	return ok;
}

/* FS/GS-relative memory operand: address = segment base + offset. */
static bool emit_segment_relative(struct xlate *x, const struct x86_insn *in,
				  const uint8_t *bytes)
{
	struct emit *e = &x->e;

	if (!(in->info->flags & X86_F_MODRM)) {
		/*
		 * mov AL/AX/EAX <-> moffs (A0-A3), Linux's per-CPU
		 * accesses: lea r13d, [base + offset], then the same move
		 * through [r13]. 98% of the instructions a Linux guest once
		 * sent to the interpreter (shared/findings).
		 */
		static const uint8_t mov_op[4] = {0x8a, 0x8b, 0x88, 0x89};

		if (in->map != 0 || in->opcode < 0xa0 || in->opcode > 0xa3 ||
		    in->addrsize != 4)
			return false;
		emit_load32(e, HR_R14, HR_R15, OFF(seg[in->seg].base));
		emit_lea32(e, HR_R13, HR_R14, in->disp);
		if ((in->opcode & 1) && in->opsize == 2)
			emit_u8(e, 0x66);
		emit_guest_mem_prefix(e);
		emit_op_mem(e, false, &mov_op[in->opcode - 0xa0], 1, HR_RAX,
			    HR_R13, 0);
		return true;
	}
	if (in->mod == 3)
		return false;
	if (!emit_with_guest_mem(x, in, bytes, 0x8d, HR_R13))
		return false;
	emit_load32(e, HR_R14, HR_R15, OFF(seg[in->seg].base));
	/* lea r13d, [r14 + r13] (32-bit: wraps like the guest) */
	emit_bytes(e, (const uint8_t[]){0x67, 0x47, 0x8d, 0x2c, 0x2e}, 5);
	return emit_ident(x, in, bytes, HR_R13);
}

/* ---- plan ------------------------------------------------------------ */

static bool inline_op(const struct x86_insn *in, uint32_t key)
{
	switch (in->info->op) {
	case X86_OP_JMP:
	case X86_OP_JCC:
	case X86_OP_CALL:
	case X86_OP_CALL_IND:
	case X86_OP_JMP_IND:
	case X86_OP_RET:
	case X86_OP_LOOP:
	case X86_OP_LOOPE:
	case X86_OP_LOOPNE:
	case X86_OP_JCXZ:
		return in->opsize == 4 && in->addrsize == 4;
	case X86_OP_PUSH:
	case X86_OP_POP:
		return in->opsize == 4 && in->addrsize == 4 &&
		       !(in->prefixes & X86_P_SEG && in->has_mem);
	case X86_OP_LEAVE:
	case X86_OP_PUSHA:
	case X86_OP_POPA:
		return in->opsize == 4;
	case X86_OP_CLI:
	case X86_OP_STI:
		/* At CPL 3, IOPL decides (a callout). */
		return !BT_KEY_USER(key);
	case X86_OP_RDTSC:
		/* CR4.TSD makes it #GP at CPL 3 (a callout). */
		return !BT_KEY_USER(key) || !(key & BT_KEY_TSD);
	case X86_OP_MOV_FROM_SREG:
		return in->mod == 3 && in->opsize == 4;
	case X86_OP_MOV_FROM_CR:
		/* At CPL 3 #GP; CR1, CR5-CR7 and the LOCK form #UD. */
		return !BT_KEY_USER(key) && in->reg <= 4 && in->reg != 1 &&
		       !(in->prefixes & X86_P_LOCK);
	case X86_OP_PUSHF:
		return in->opsize == 4 && (key & BT_KEY_FLAT);
	case X86_OP_POPF:
		return !BT_KEY_USER(key) && in->opsize == 4 &&
		       (key & BT_KEY_FLAT);
	case X86_OP_PUSH_SREG:
		return in->opsize == 4 && (key & BT_KEY_FLAT) &&
		       bt_sreg_operand(in) < X86_NR_SREGS;
	default:
		return false;
	}
}

/* Does the instruction reach memory through SS, DS or ES? */
static bool uses_data_segments(const struct x86_insn *in)
{
	switch (in->info->op) {
	case X86_OP_LEA:
	case X86_OP_NOP_RM:
		return false;
	case X86_OP_CALL:
	case X86_OP_CALL_IND:
	case X86_OP_RET:
	case X86_OP_PUSH:
	case X86_OP_POP:
	case X86_OP_PUSHA:
	case X86_OP_POPA:
	case X86_OP_LEAVE:
		return true;
	default:
		return in->has_mem || in->info->sens == SENS_STACK;
	}
}

static bool is_string_op(const struct x86_insn *in)
{
	switch (in->info->op) {
	case X86_OP_MOVS:
	case X86_OP_STOS:
	case X86_OP_CMPS:
	case X86_OP_SCAS:
	case X86_OP_LODS:
		return true;
	default:
		return false;
	}
}

/* Is the instruction a callout because it kept faulting (bt_run.c)? Not
 * string instructions: the interpreter runs them an element at a time,
 * and the kernel's memset is one instruction for every page it clears,
 * not only the few that fault (xv6: 436 K callouts of rep stos, a third
 * of usertests). */
static bool adapted(const struct x86_insn *in, uint32_t eip)
{
	return bt_adapt_is_marked(eip) && !is_string_op(in);
}

static enum bt_cat plan(const struct vcpu *cpu, const struct x86_insn *in,
			uint32_t eip, uint32_t key)
{
	const struct x86_opinfo *info = in->info;
	bool flat = key & BT_KEY_FLAT;

	if (adapted(in, eip))
		return BT_CAT_CALLOUT;
	/* Non-flat data segments: memory accesses need their checks. */
	if (!flat && uses_data_segments(in) &&
	    !((in->prefixes & X86_P_SEG) &&
	      (in->seg == X86_FS || in->seg == X86_GS)))
		return BT_CAT_CALLOUT;
	if (inline_op(in, key))
		return BT_CAT_INLINE;
	/* Encodings the host runs as later CPUs do but the model does not
	 * (interp_bits.c): LZCNT/TZCNT are BSR/BSF there, POPCNT and MOVBE
	 * #UD. */
	switch (info->op) {
	case X86_OP_LZCNT:
	case X86_OP_TZCNT:
	case X86_OP_POPCNT:
	case X86_OP_MOVBE:
		return BT_CAT_CALLOUT;
	default:
		break;
	}
	switch (info->sens) {
	case SENS_NONE:
		if (info->flags & X86_F_NOSUP)
			return BT_CAT_CALLOUT; /* #UD per the virtual CPU */
		return BT_CAT_IDENT;
	case SENS_NO64:
		if (info->op == X86_OP_INC || info->op == X86_OP_DEC)
			return BT_CAT_IDENT;
		return BT_CAT_CALLOUT;
	case SENS_FPU:
		if (cpu->cr0 & (X86_CR0_TS | X86_CR0_EM))
			return BT_CAT_CALLOUT; /* #NM / #UD */
		if (in->enc != X86_ENC_LEGACY || info->op == X86_OP_OTHER ||
		    !bt_fpu_native_ok(cpu, in))
			return BT_CAT_INTERP; /* #UD per the virtual CPU */
		return BT_CAT_IDENT;
	default:
		return BT_CAT_CALLOUT;
	}
}

/* ---- emit ------------------------------------------------------------ */

struct bt_callout *emit_callout(struct xlate *x, unsigned i, uint32_t eip,
				enum bt_cat cat)
{
	struct bt_callout *co = bt_meta_alloc(sizeof(*co));

	if (!co) {
		x->e.overflow = true;
		return NULL;
	}
	co->insn = x->insn[i];
	co->eip = eip;
	co->next_eip = eip + x->insn[i].len;
	co->cat = (uint8_t)cat;
	co->adapted = cat == BT_CAT_CALLOUT && adapted(&x->insn[i], eip);
	co->block = x->b;
	emit_mov_imm64(&x->e, HR_R11, (uint64_t)(uintptr_t)co);
	emit_call(&x->e, bt_tramps.callout);
	return co;
}

/* maskmovq/maskmovdqu: a store to [EDI] that has no memory operand. */
static bool writes_at_edi(const struct x86_insn *in)
{
	return (in->info->op == X86_OP_MMX || in->info->op == X86_OP_SSE) &&
	       in->map == 1 && in->opcode == 0xf7;
}

static bool emit_decoded(struct xlate *x, unsigned i, uint32_t eip)
{
	const struct x86_insn *in = &x->insn[i];
	const uint8_t *bytes = x->page + (eip & 0xfff);
	/* lea and hint nops compute no segment-relative address. */
	bool fsgs = (in->prefixes & X86_P_SEG) && in->has_mem &&
		    (in->seg == X86_FS || in->seg == X86_GS) &&
		    in->info->op != X86_OP_LEA && in->info->op != X86_OP_NOP_RM;

	/* Overrides of segments that need checks: the interpreter (FS and
	 * GS as the key says: in kernel code, null is checked inline). */
	if ((in->prefixes & X86_P_SEG) && in->has_mem &&
	    (in->seg == X86_CS || (fsgs && !(x->key & BT_KEY_SEG(in->seg)))) &&
	    x->cat[i] != BT_CAT_CALLOUT) {
		x->cat[i] = BT_CAT_CALLOUT;
		emit_callout(x, i, eip, BT_CAT_CALLOUT);
		return true;
	}
	/* The guest's FPU state must be in the host FPU first. */
	if (x->cat[i] == BT_CAT_IDENT && in->info->sens == SENS_FPU)
		emit_call(&x->e, bt_tramps.fpu_prep);
	switch (x->cat[i]) {
	case BT_CAT_IDENT:
		if (x->e.utlb && (in->has_mem || writes_at_edi(in)) &&
		    in->info->op != X86_OP_LEA &&
		    in->info->op != X86_OP_NOP_RM) {
			if (utlb_emit_ident(x, i, eip, bytes))
				return true;
			break;
		}
		/* A kernel instruction that reaches the user pages of new
		 * processes: through the kernel TLB (bt_adapt_via_tlb). */
		if (!BT_KEY_USER(x->key) && in->has_mem &&
		    in->info->op != X86_OP_LEA &&
		    in->info->op != X86_OP_NOP_RM && bt_adapt_via_tlb(eip)) {
			bool ok;

			x->e.utlb = true;
			ok = utlb_emit_ident(x, i, eip, bytes);
			x->e.utlb = false;
			return ok;
		}
		if (fsgs) {
			uint8_t *to_null = null_seg_check(x, in);

			if (emit_segment_relative(x, in, bytes) &&
			    null_seg_path(x, i, eip, to_null))
				return true;
		} else if (emit_ident(x, in, bytes, -1)) {
			return true;
		}
		break;
	case BT_CAT_INLINE:
		if (emit_inline(x, i, bytes, eip))
			return true;
		break;
	default:
		if (cached_mmio_load_ok(x, in, eip))
			emit_cached_mmio_load(x, i, eip, bytes);
		else if (x->cat[i] == BT_CAT_CALLOUT &&
			 sreg_load_inline_ok(x, in))
			emit_sreg_load(x, i, eip);
		else
			emit_callout(x, i, eip, (enum bt_cat)x->cat[i]);
		return true;
	}
	return false;
}

static bool emit_insn(struct xlate *x, unsigned i, uint32_t eip)
{
	if (x->cat[i] != BT_CAT_STEP)
		return emit_decoded(x, i, eip);
	/* Not decoded (part of it is on the next page): the interpreter
	 * runs it, then the indirect-branch lookup finds the next EIP. */
	emit_callout(x, i, eip, BT_CAT_STEP);
	emit_load32(&x->e, HR_R13, HR_R15, OFF(eip));
	emit_ibl(x);
	return true;
}

/*
 * The guarded entry (cache.c): whatever enters the block from outside its
 * page goes back to the loop while the page is detached.
 *
 *	mov r11, rcx
 *	mov rcx, &page->detached; movzx ecx, byte [rcx]
 *	jrcxz 1f
 *	mov rcx, r11; mov r11, <block>; jmp exit_detached
 *   1:	mov rcx, r11
 */
static uint8_t *emit_guard(struct emit *e, struct tc_page *p,
			   struct tc_block *b)
{
	uint8_t *to_body;

	if (!p)
		return e->p; /* no page: never detached */
	emit_mov_rr64(e, HR_R11, HR_RCX);
	emit_mov_imm64(e, HR_RCX, (uint64_t)(uintptr_t)&p->detached);
	emit_bytes(e, (const uint8_t[]){0x0f, 0xb6, 0x09, 0xe3, 0x00}, 5);
	to_body = e->p - 1;
	emit_mov_rr64(e, HR_RCX, HR_R11);
	emit_mov_imm64(e, HR_R11, (uint64_t)(uintptr_t)b);
	emit_jmp(e, bt_tramps.exit_detached);
	*to_body = (uint8_t)(e->p - (to_body + 1));
	emit_mov_rr64(e, HR_RCX, HR_R11);
	return e->p;
}

/* ---- the passes ---------------------------------------------------- */

static void scan_and_plan(struct xlate *x)
{
	uint32_t eip = x->eip;

	unsigned calls = 0;

	x->n = 0;
	x->ends_with_flow = false;
	while (x->n < BT_MAX_BLOCK_INSNS) {
		struct x86_insn *in = &x->insn[x->n];
		unsigned off = eip & 0xfff;
		int len;
		enum bt_cat cat;

		/* Blocks never leave their page (one frame per block). */
		if ((eip ^ x->eip) & ~0xfffu)
			break;
		len = x86_decode(in, x->page + off, 4096 - off, true);

		if (len == X86_DEC_TRUNC && x->n == 0) {
			/* Crosses into the next page, first in its block:
			 * a block of one STEP (hot kernel code has them;
			 * declined, each run was a translation attempt). */
			x->cat[x->n++] = BT_CAT_STEP;
			x->ends_with_flow = true;
			x->step_len = 4096 - off;
			break;
		}
		if (len <= 0)
			break; /* invalid, or crosses the page: not here */
		cat = plan(x->cpu, in, eip, x->key);
		x->cat[x->n++] = (uint8_t)cat;
		eip += (uint32_t)len;
		/* Only control flow ends a block: after a callout that
		 * changes the mode, the C side leaves the block itself. A
		 * translated call does not: its return lands after it. */
		if ((in->info->op == X86_OP_CALL ||
		     in->info->op == X86_OP_CALL_IND) &&
		    cat == BT_CAT_INLINE) {
			/* Past the last call a block may hold, its return
			 * goes on by a jump to the next block. */
			if (++calls > BT_MAX_CONTS)
				break;
			continue;
		}
		/* An inline popf goes on (its callout leaves by itself). */
		if ((in->info->flags & X86_F_STOP) &&
		    !(in->info->op == X86_OP_POPF && cat == BT_CAT_INLINE)) {
			x->ends_with_flow = true;
			break;
		}
	}
}

static void emit_stubs(struct xlate *x)
{
	struct tc_block *b = x->b;

	b->n_exits = (uint8_t)x->n_exits;
	for (unsigned i = 0; i < x->n_exits; i++) {
		struct tc_exit *ex = &b->exit[i];

		ex->site = x->exit_site[i];
		ex->target = x->exit_target[i];
		ex->owner = b;
		ex->stub = x->e.p;
		emit_store_imm32(&x->e, HR_R15, OFF(eip), ex->target);
		emit_mov_imm64(&x->e, HR_R11, (uint64_t)(uintptr_t)ex);
		emit_jmp(&x->e, bt_tramps.exit_chain);
		patch_rel32(ex->site, ex->stub);
	}
}

struct tc_block *bt_translate(struct vcpu *cpu, uint32_t key)
{
	struct machine *m = cpu->machine;
	struct mmu_walk_result r;
	struct xlate *x;
	static struct xlate xl;
	struct tc_block *b;
	uint8_t *start, *end;
	uint32_t err, eip;

	/* The walk sets the code page's Accessed bit, as the fetch would,
	 * and checks the fetch with the block's privilege: CPL 3 code
	 * never comes from a supervisor page (cache.c keeps it so). */
	if (mmu_walk(cpu, cpu->eip,
		     MMU_ACC_FETCH | (BT_KEY_USER(key) ? MMU_ACC_USER : 0), &r,
		     &err) < 0 ||
	    !mem_is_ram(&m->mem, r.paddr & ~0xfffu, 4096) ||
	    bus_mmio_find(&m->bus, r.paddr & ~0xfffu))
		return NULL; /* the interpreter raises the fault / runs it */
	/* Translated before, for this frame at this address (the same
	 * program again after exec, a process switched back to)? */
	if (bt_reattach(cpu, cpu->eip >> 12, r.paddr >> 12)) {
		b = bt_lookup(cpu->eip, key);
		if (b)
			return b;
	}

	x = &xl;
	memset(x, 0, offsetof(struct xlate, insn));
	x->cpu = cpu;
	x->eip = cpu->eip;
	x->key = key;
	x->page = (const uint8_t *)mem_ptr(&m->mem, r.paddr & ~0xfffu);
	scan_and_plan(x);
	if (x->n == 0 || (x->n == 1 && x->cat[0] == BT_CAT_INTERP))
		return NULL;

	for (int attempt = 0; attempt < 2; attempt++) {
		b = bt_meta_alloc(sizeof(*b));
		if (b)
			b->map = bt_meta_alloc(x->n * sizeof(*b->map));
		bt_cache_space(&start, &end);
		if (b && b->map && end - start > 4096)
			break;
		bt_flush_cache(m, "full");
		b = NULL;
	}
	if (!b)
		return NULL;
	x->b = b;
	x->e = (struct emit){
		.p = start,
		.end = end,
		.guest_seg =
			BT_KEY_USER(key) && shadow_direct_view() ? 0 : 0x65,
		.utlb = key & BT_KEY_TLB};
	b->eip = x->eip;
	b->key = key;
	b->frame = r.paddr >> 12;
	b->host = start;
	b->body = emit_guard(&x->e, bt_code_page(b->eip >> 12, b->frame), b);

	if (bt_count_blocks) {
		emit_count(&x->e, OFF(bt.blocks), 1, HR_R13);
		emit_count(&x->e, OFF(bt.insns), (int32_t)x->n, HR_R13);
	}
	eip = x->eip;
	for (unsigned i = 0; i < x->n; i++) {
		b->map[i].host_off = (uint16_t)(x->e.p - start);
		b->map[i].guest_off = (uint16_t)(eip - x->eip);
		x->insn_start = x->e.p;
		if (!emit_insn(x, i, eip)) {
			/* Could not express it after all: interpret it
			 * (dropping whatever part was emitted). */
			x->e.p = start + b->map[i].host_off;
			x->e.stack_host = 0;
			x->n_utlb_miss = 0;
			x->cat[i] = BT_CAT_INTERP;
			emit_callout(x, i, eip, BT_CAT_INTERP);
		}
		eip += x->cat[i] == BT_CAT_STEP ? x->step_len : x->insn[i].len;
	}
	b->n_insns = (uint16_t)x->n;
	b->guest_len = eip - x->eip;
	if (!x->ends_with_flow)
		emit_exit_jmp(x, eip);
	emit_stubs(x);
	if (x->e.overflow)
		return NULL;
	b->host_len = (uint32_t)(x->e.p - start);
	b->hash = XXH3_64bits(x->page + (x->eip & 0xfff), b->guest_len);
	bt_cache_commit(x->e.p);
	bt_insert(b);
	STAT_INC(bt_translations);
	STAT_ADD(bt_guest_insns_translated, x->n);
	if (bt_trace_on)
		trace_block(b, x->page + (x->eip & 0xfff), x->cat);
	if (bt_perf_map)
		fprintf(bt_perf_map, "%lx %x bt_%s_%08x\n",
			(unsigned long)(uintptr_t)b->host, b->host_len,
			BT_KEY_USER(key) ? "user" : "kernel", b->eip);
	return b;
}

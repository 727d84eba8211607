/*
 * interp_debug.c - breakpoints, watchpoints and single steps for the gdb
 * stub and for the guest's debug registers (include/bt/debug.h).
 *
 * The interpreter calls the hooks below around each instruction and on
 * each data access while bt_debug_checking() / bt_debug_watching() say
 * there is something to check; the monitor loop sends the vCPU through
 * bt_debug_run() (the interpreter, never translated code or direct
 * execution) while bt_debug_wanted() says so.
 *
 * Guest debug registers, as the SDM (Vol. 3, 17.2-17.3) describes them:
 *   - instruction breakpoints (R/W = 00) are faults checked before the
 *     instruction at the linear address CS.base + EIP; EFLAGS.RF set
 *     suppresses them for one instruction (the interpreter clears RF
 *     after every instruction, IRET may set it again);
 *   - data breakpoints (R/W = 01 writes, 11 reads and writes) are traps
 *     taken after the instruction; the address is aligned down to the
 *     length (LEN 00 = 1, 01 = 2, 11 = 4, 10 = 8 bytes) and any byte of
 *     an access inside that range hits;
 *   - DR6.B0-B3 are set for the breakpoints that hit; the bits stay set
 *     until software clears them.
 *   - after mov ss / pop ss (SDM 6.8.3), an instruction breakpoint on the
 *     next instruction is dropped and the load's own traps (single step,
 *     data breakpoints) are reported after the next instruction, in one
 *     #DB with that instruction's (interp.c, cpu->ss_shadow).
 * Not emulated: I/O breakpoints (R/W = 10 with CR4.DE), the TSS T bit,
 * clearing the local enables on task switches, and RF in the EFLAGS
 * image of other faults (an instruction breakpoint on an instruction that
 * then faults hits again after the fault handler returns).
 */
#include "bt/debug.h"

#include "bt/interp.h"
#include "bt/interp_priv.h"

unsigned bt_debug_points, bt_debug_watches;
bool bt_debug_noirq;

static struct {
	struct brk {
		uint32_t addr;
		enum bt_debug_kind kind;
	} brk[BT_DEBUG_MAX_BREAKS];
	unsigned nbrk;
	struct watch {
		uint32_t addr, len;
		enum bt_debug_kind kind;
	} watch[BT_DEBUG_MAX_WATCHES];
	unsigned nwatch;
	bool step; /* run one instruction, then stop */
	bool skip; /* the next instruction ignores a break at skip_lin */
	uint32_t skip_lin;
	/* Hits of the current instruction. */
	bool hit;
	struct bt_debug_stop hit_stop;
	uint32_t guest_hits; /* DR6 B0-B3 */
	struct bt_debug_stop last;
} dbg;

static void count(void)
{
	bt_debug_watches = dbg.nwatch;
	bt_debug_points = dbg.nbrk + dbg.nwatch;
}

static bool is_break(enum bt_debug_kind kind)
{
	return kind == BT_DEBUG_SW_BREAK || kind == BT_DEBUG_HW_BREAK;
}

int bt_debug_insert(enum bt_debug_kind kind, uint32_t addr, uint32_t len)
{
	if (is_break(kind)) {
		/* Both kinds compare the same address: one entry each time
		 * gdb inserts (it removes as many as it inserted). */
		if (dbg.nbrk == BT_DEBUG_MAX_BREAKS)
			return -1;
		dbg.brk[dbg.nbrk++] = (struct brk){.addr = addr, .kind = kind};
	} else {
		if (dbg.nwatch == BT_DEBUG_MAX_WATCHES || len == 0)
			return -1;
		dbg.watch[dbg.nwatch++] =
			(struct watch){.addr = addr, .len = len, .kind = kind};
	}
	count();
	return 0;
}

int bt_debug_remove(enum bt_debug_kind kind, uint32_t addr, uint32_t len)
{
	if (is_break(kind)) {
		for (unsigned i = 0; i < dbg.nbrk; i++) {
			if (dbg.brk[i].addr == addr &&
			    dbg.brk[i].kind == kind) {
				dbg.brk[i] = dbg.brk[--dbg.nbrk];
				count();
				return 0;
			}
		}
		return -1;
	}
	for (unsigned i = 0; i < dbg.nwatch; i++) {
		struct watch *w = &dbg.watch[i];

		if (w->addr == addr && w->len == len && w->kind == kind) {
			*w = dbg.watch[--dbg.nwatch];
			count();
			return 0;
		}
	}
	return -1;
}

void bt_debug_clear(void)
{
	dbg.nbrk = 0;
	dbg.nwatch = 0;
	dbg.step = false;
	dbg.skip = false;
	count();
}

static uint32_t linear_eip(const struct vcpu *cpu, uint32_t eip)
{
	return cpu->seg[X86_CS].base + eip;
}

void bt_debug_resume(struct vcpu *cpu, bool step)
{
	dbg.step = step;
	dbg.skip = true;
	dbg.skip_lin = linear_eip(cpu, cpu->eip);
}

struct bt_debug_stop bt_debug_last_stop(void)
{
	return dbg.last;
}

bool bt_debug_wanted(const struct vcpu *cpu)
{
	return bt_debug_points || dbg.step || bt_debug_guest_on(cpu);
}

/* ---- hooks ----------------------------------------------------------- */

/* DR7 fields of breakpoint n. */
static bool dr_enabled(const struct vcpu *cpu, unsigned n)
{
	return (cpu->dr[7] >> (2 * n)) & 3;
}

static unsigned dr_rw(const struct vcpu *cpu, unsigned n)
{
	return (cpu->dr[7] >> (16 + 4 * n)) & 3;
}

static uint32_t dr_len(const struct vcpu *cpu, unsigned n)
{
	static const uint32_t len[4] = {1, 2, 8, 4};

	return len[(cpu->dr[7] >> (18 + 4 * n)) & 3];
}

bool bt_debug_insn_start(struct vcpu *cpu)
{
	uint32_t lin = linear_eip(cpu, cpu->insn_eip);
	bool skip = dbg.skip && dbg.skip_lin == lin;
	uint32_t bits = 0;

	dbg.skip = false;
	dbg.hit = false;
	dbg.guest_hits = 0;
	if (!skip) {
		for (unsigned i = 0; i < dbg.nbrk; i++) {
			if (dbg.brk[i].addr == lin) {
				dbg.last = (struct bt_debug_stop){
					.why = BT_DEBUG_STOP_BREAK,
					.kind = dbg.brk[i].kind,
					.addr = lin,
				};
				return true;
			}
		}
	}
	/* Right after mov ss / pop ss, Intel CPUs drop the instruction
	 * breakpoint (AMD's report it; the model is Intel). */
	if (!bt_debug_guest_on(cpu) || (cpu->eflags & X86_FL_RF) ||
	    cpu->ss_shadow)
		return false;
	for (unsigned n = 0; n < 4; n++)
		if (dr_enabled(cpu, n) && dr_rw(cpu, n) == 0 &&
		    cpu->dr[n] == lin)
			bits |= 1u << n;
	if (bits) {
		cpu->dr[6] |= bits;
		interp_raise(cpu, X86_EXC_DB);
	}
	return false;
}

static bool overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	/* In 64 bits: ranges may end at 4 GiB. */
	return (uint64_t)a < (uint64_t)b + blen &&
	       (uint64_t)b < (uint64_t)a + alen;
}

void bt_debug_access(struct vcpu *cpu, uint32_t lin, unsigned size, bool write)
{
	for (unsigned i = 0; i < dbg.nwatch && !dbg.hit; i++) {
		const struct watch *w = &dbg.watch[i];

		if ((w->kind == BT_DEBUG_WATCH_WRITE && !write) ||
		    (w->kind == BT_DEBUG_WATCH_READ && write))
			continue;
		if (overlap(lin, size, w->addr, w->len)) {
			dbg.hit = true;
			dbg.hit_stop = (struct bt_debug_stop){
				.why = BT_DEBUG_STOP_WATCH,
				.kind = w->kind,
				.addr = w->addr,
			};
		}
	}
	if (!bt_debug_guest_on(cpu))
		return;
	for (unsigned n = 0; n < 4; n++) {
		unsigned rw = dr_rw(cpu, n);
		uint32_t len = dr_len(cpu, n);

		if (!dr_enabled(cpu, n) || rw == 0 || rw == 2 ||
		    (rw == 1 && !write))
			continue;
		if (overlap(lin, size, cpu->dr[n] & ~(len - 1), len))
			dbg.guest_hits |= 1u << n;
	}
}

bool bt_debug_insn_end(struct vcpu *cpu, uint32_t *dr6_bits)
{
	(void)cpu;
	*dr6_bits = dbg.guest_hits;
	dbg.guest_hits = 0;
	if (!dbg.hit)
		return false;
	dbg.hit = false;
	dbg.last = dbg.hit_stop;
	return true;
}

/* ---- running for the debugger ---------------------------------------- */

enum vcpu_exit bt_debug_run(struct vcpu *cpu, uint64_t budget)
{
	bool was_halted = cpu->halted;
	enum vcpu_exit r;

	if (!dbg.step)
		return bt_interp_run(cpu, budget);
	/* One instruction, without the interrupts that queued up while the
	 * debugger held the guest (a halted CPU waits for one, though). */
	bt_debug_noirq = !was_halted;
	r = bt_interp_step(cpu);
	bt_debug_noirq = false;
	if (r == VCPU_EXIT_HLT && was_halted)
		return r; /* still waiting: the step comes later */
	if (r == VCPU_EXIT_DEBUG) {
		dbg.step = false; /* a watchpoint said it first */
		return r;
	}
	if (r == VCPU_EXIT_NONE || r == VCPU_EXIT_EVENT ||
	    r == VCPU_EXIT_BUDGET || r == VCPU_EXIT_HLT) {
		dbg.step = false;
		dbg.last = (struct bt_debug_stop){.why = BT_DEBUG_STOP_STEP};
		return VCPU_EXIT_DEBUG;
	}
	return r;
}

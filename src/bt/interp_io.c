/*
 * interp_io.c - port I/O: IN, OUT, INS, OUTS (with REP), and the
 * permission check shared with the other engines' I/O paths.
 *
 * In protected mode an access is allowed when CPL <= IOPL; otherwise (and
 * always in virtual-8086 mode) every bit of the accessed ports must be
 * clear in the I/O permission bitmap of the current 32-bit TSS, else
 * #GP(0). The permission check comes before the device sees anything,
 * and for INS the destination is checked before the port is read, so a
 * faulting instruction never has half a side effect on a device.
 *
 * A REP INS/OUTS runs at most IO_REP_CHUNK iterations per step, then
 * restarts itself (EIP stays on the instruction, with the counts already
 * committed as the architecture does), so interrupts and kicks are seen.
 */
#include "bt/interp_int.h"
#include "bt/interp_prot.h"

#define IO_REP_CHUNK 1024

bool interp_io_allowed(struct vcpu *cpu, uint16_t port, unsigned size)
{
	unsigned type = cpu->tr.attr & 0xf;
	uint32_t iomap, byte, bits;

	if (!vcpu_protected(cpu))
		return true;
	if (!vcpu_v86(cpu) && (unsigned)cpu->cpl <=
				      (cpu->eflags & X86_FL_IOPL) >>
				      X86_FL_IOPL_SHIFT)
		return true;
	if (type != X86_SYS_TSS32_BUSY && type != X86_SYS_TSS32_AVAIL)
		return false;
	if (cpu->tr.limit < 0x67)
		return false;
	iomap = interp_read_lin(cpu, cpu->tr.base + 0x66, 2, true);
	byte = iomap + port / 8;
	/* Two bytes are always read: an access may straddle a byte. */
	if (byte + 1 > cpu->tr.limit)
		return false;
	bits = interp_read_lin(cpu, cpu->tr.base + byte, 2, true);
	return !(bits & (((1u << size) - 1) << (port & 7)));
}

uint32_t interp_port_in(struct vcpu *cpu, uint16_t port, unsigned size)
{
	if (!interp_io_allowed(cpu, port, size))
		interp_gp0(cpu);
	STAT_INC(pio_reads);
	return bus_pio_read(&cpu->machine->bus, port, size);
}

void interp_port_out(struct vcpu *cpu, uint16_t port, unsigned size,
		     uint32_t val)
{
	if (!interp_io_allowed(cpu, port, size))
		interp_gp0(cpu);
	STAT_INC(pio_writes);
	bus_pio_write(&cpu->machine->bus, port, size, val);
}

/* Byte forms have an even opcode; DX forms have bit 3 set (EC-EF). */
static unsigned io_size(const struct x86_insn *in)
{
	return (in->opcode & 1) ? in->opsize : 1;
}

static uint16_t io_port(const struct vcpu *cpu, const struct x86_insn *in)
{
	if (in->opcode & 8)
		return (uint16_t)cpu->regs[X86_EDX];
	return (uint8_t)in->imm;
}

static void op_in(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = io_size(in);

	interp_reg_put(cpu, X86_EAX, size,
		       interp_port_in(cpu, io_port(cpu, in), size));
}

static void op_out(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = io_size(in);

	interp_port_out(cpu, io_port(cpu, in), size,
			interp_reg_get(cpu, X86_EAX, size));
}

/*
 * One iteration has been done; count it. Returns true to go on with the
 * next one in this step.
 */
static bool rep_next(struct vcpu *cpu, const struct x86_insn *in, unsigned *n)
{
	uint32_t cnt;

	if (!(in->prefixes & (X86_P_REP | X86_P_REPNE)))
		return false;
	cnt = int_areg(cpu, X86_ECX, in->addrsize) - 1;
	int_set_areg(cpu, X86_ECX, in->addrsize, cnt);
	if (cnt == 0)
		return false;
	if (++*n >= IO_REP_CHUNK || cpu->kick) {
		cpu->eip = cpu->insn_eip;
		return false;
	}
	return true;
}

static void op_ins(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = io_size(in), as = in->addrsize, n = 0;
	uint16_t port = (uint16_t)cpu->regs[X86_EDX];
	uint32_t step = (cpu->eflags & X86_FL_DF) ? -size : size;

	if ((in->prefixes & (X86_P_REP | X86_P_REPNE)) &&
	    int_areg(cpu, X86_ECX, as) == 0)
		return;
	do {
		uint32_t di = int_areg(cpu, X86_EDI, as);

		if (!interp_io_allowed(cpu, port, size))
			interp_gp0(cpu);
		interp_check_write(cpu, X86_ES, di, size);
		interp_write(cpu, X86_ES, di, size,
			     interp_port_in(cpu, port, size));
		int_set_areg(cpu, X86_EDI, as, di + step);
	} while (rep_next(cpu, in, &n));
}

static void op_outs(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = io_size(in), as = in->addrsize, n = 0;
	uint16_t port = (uint16_t)cpu->regs[X86_EDX];
	uint32_t step = (cpu->eflags & X86_FL_DF) ? -size : size;

	if ((in->prefixes & (X86_P_REP | X86_P_REPNE)) &&
	    int_areg(cpu, X86_ECX, as) == 0)
		return;
	do {
		uint32_t si = int_areg(cpu, X86_ESI, as);
		uint32_t v;

		if (!interp_io_allowed(cpu, port, size))
			interp_gp0(cpu);
		v = interp_read(cpu, in->seg, si, size);
		interp_port_out(cpu, port, size, v);
		int_set_areg(cpu, X86_ESI, as, si + step);
	} while (rep_next(cpu, in, &n));
}

void interp_register_io(interp_fn *table)
{
	table[X86_OP_IN] = op_in;
	table[X86_OP_OUT] = op_out;
	table[X86_OP_INS] = op_ins;
	table[X86_OP_OUTS] = op_outs;
}

/*
 * fpu_error.c - the PC chipset's x87 error logic at port 0xf0.
 *
 * With CR0.NE clear the processor reports x87 errors on FERR#, which the
 * chipset latches onto IRQ 13; the interpreter drives that line
 * (src/bt/interp_fpu.c, with the state in the vcpu). A write of any value
 * to port 0xf0 clears the latch (IRQ 13 goes low) and asserts IGNNE#, so
 * that the error handler's own x87 instructions run; IGNNE# goes away
 * with FERR#, once FSW.ES is clear. The port is write-only: reads return
 * all ones, as on the AT.
 */
#include "bt/fpu.h"
#include "devices/devices.h"
#include "monitor/machine.h"

#define FPU_ERROR_PORT 0xf0

static void fpu_error_write(void *opaque, uint32_t offset, unsigned size,
			    uint32_t value)
{
	struct machine *m = opaque;

	(void)offset;
	(void)size;
	(void)value;
	bt_fpu_ignne(&m->cpu);
}

int dev_fpu_error_init(struct machine *m)
{
	bus_register_pio8(&m->bus, "x87 error", FPU_ERROR_PORT, 1, NULL,
			  fpu_error_write, m);
	return 0;
}

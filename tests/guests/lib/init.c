/*
 * init.c - lib_start(), called by boot.S with the boot loader's EAX and EBX.
 *
 * Brings up the console and the descriptor tables, runs the guest, then
 * reports the checks. Interrupts stay disabled (IF = 0) and every PIC line
 * masked until a guest enables them itself.
 */
#include "guest.h"

void desc_init(void);
void lib_start(uint32_t magic, struct mb_info *info);

void lib_start(uint32_t magic, struct mb_info *info)
{
	serial_init();
	desc_init();
	/* Whatever a BIOS left running (QEMU's timer on vector 8) stays masked
	 * until a guest asks for it. */
	pic_remap(IRQ_BASE, IRQ_BASE + 8);
	trap_record_clear();
	guest_main(magic, info);
	checks_done();
}

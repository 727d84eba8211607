/*
 * triplefault - a guest that crashes on purpose: it loads an empty IDT and
 * raises an exception, which faults again (#GP: no gate), then #DF has no
 * gate either: a triple fault. Used by tests/system/crash.sh to check that
 * every engine ends such a run with a clear message and exit status 2
 * (with -no-reboot), and that without -no-reboot the reboot loop is cut.
 */
#include "guest.h"

void guest_main(uint32_t magic, struct mb_info *info)
{
	static const struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) empty = {0, 0};

	(void)magic;
	(void)info;
	printf("triplefault: loading an empty IDT and raising #BP\n");
	__asm__ volatile("lidt %0\n\tint3" : : "m"(empty));
	printf("triplefault: still running: the machine did not reset\n");
	debug_exit(1);
}

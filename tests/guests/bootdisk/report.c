/*
 * report.c - where the boot disk guest counts its checks: at REPORT in
 * low memory, shared by stage 2 (real mode) and stage 3 (protected
 * mode), which are separate programs, so the numbering goes on across
 * the switch. The library's check.c prints them.
 */
#include "bootdisk.h"
#include "guest.h"

void report_use_shared(int reset)
{
	check_counts = (struct check_counts *)phys8(REPORT);
	if (reset) {
		check_counts->checks = 0;
		check_counts->failed = 0;
	}
}

/*
 * bt_trace.h - the --trace=bt printer's interface. Kept free of the
 * project's x86 headers: capstone's headers define names (x86_reg,
 * x86_insn) that clash with ours.
 */
#ifndef BT386_BT_BT_TRACE_H
#define BT386_BT_BT_TRACE_H

#include <stdbool.h>
#include <stdint.h>

struct bt_trace_insn {
	uint16_t guest_off;
	uint16_t host_off;
	const char *category;
};

void bt_trace_print(uint32_t eip, const uint8_t *guest, uint32_t guest_len,
		    const uint8_t *host, uint32_t host_len,
		    const struct bt_trace_insn *insns, unsigned n);

#endif

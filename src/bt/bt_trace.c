/*
 * bt_trace.c - --trace=bt: each translated block beside the guest code it
 * came from, both disassembled with capstone, with each guest
 * instruction's translation category. Meant to be read by people learning
 * how binary translation works, so it prints the host code of every guest
 * instruction right under it.
 */
#include <capstone/capstone.h>
#include <stdio.h>

#include "bt/bt_trace.h"

static void disasm(csh h, const uint8_t *code, size_t len, uint64_t addr,
		   const char *indent)
{
	cs_insn *insn;
	size_t n = cs_disasm(h, code, len, addr, 0, &insn);

	for (size_t i = 0; i < n; i++) {
		char hex[48] = "";
		int o = 0;

		for (unsigned j = 0; j < insn[i].size && j < 12 && o < 40; j++)
			o += snprintf(hex + o, sizeof(hex) - (size_t)o, "%02x",
				      insn[i].bytes[j]);
		fprintf(stderr, "%s%-26s %s %s\n", indent, hex,
			insn[i].mnemonic, insn[i].op_str);
	}
	if (n)
		cs_free(insn, n);
}

void bt_trace_print(uint32_t eip, const uint8_t *guest, uint32_t guest_len,
		    const uint8_t *host, uint32_t host_len,
		    const struct bt_trace_insn *insns, unsigned n)
{
	static csh h32, h64;
	static bool ready;

	if (!ready) {
		if (cs_open(CS_ARCH_X86, CS_MODE_32, &h32) != CS_ERR_OK ||
		    cs_open(CS_ARCH_X86, CS_MODE_64, &h64) != CS_ERR_OK)
			return;
		ready = true;
	}
	fprintf(stderr,
		"bt: block %08x: %u guest instructions (%u bytes) -> %u host "
		"bytes at %p\n",
		eip, n, guest_len, host_len, (const void *)host);
	for (unsigned i = 0; i < n; i++) {
		uint32_t goff = insns[i].guest_off;
		uint32_t glen =
			(i + 1 < n ? insns[i + 1].guest_off : guest_len) - goff;
		uint32_t hoff = insns[i].host_off;
		uint32_t hend = i + 1 < n ? insns[i + 1].host_off : host_len;
		cs_insn *gi;
		size_t k =
			cs_disasm(h32, guest + goff, glen, eip + goff, 1, &gi);

		fprintf(stderr, "  %08x  %-8s %s %s\n", eip + goff,
			insns[i].category, k ? gi[0].mnemonic : "(?)",
			k ? gi[0].op_str : "");
		if (k)
			cs_free(gi, k);
		/* The last instruction's range runs on into the exit stubs. */
		disasm(h64, host + hoff, hend - hoff,
		       (uint64_t)(uintptr_t)(host + hoff), "            ");
	}
	fprintf(stderr, "\n");
}

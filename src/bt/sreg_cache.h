/*
 * sreg_cache.h - the table behind inline segment loads (sreg_cache.c).
 */
#ifndef BT386_BT_SREG_CACHE_H
#define BT386_BT_SREG_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/decode.h"
#include "vcpu.h"

/* One entry per GDT index; translated code reads it (translate.c). */
struct bt_sreg_entry {
	uint64_t neg_desc; /* -(descriptor bytes) */
	uint32_t neg_sel;  /* -(selector); 1 when empty */
	uint32_t pad;
	struct x86_seg seg; /* what the load gives */
	uint32_t pad2;
};

_Static_assert(sizeof(struct bt_sreg_entry) == 32, "entry size");

#define BT_SREG_ENTRIES 8192 /* GDT indices */
enum {
	BT_SREG_FLAT,	/* keeps BT_KEY_FLAT: for DS and ES */
	BT_SREG_INLINE, /* keeps FS/GS inline: for FS and GS */
	BT_SREG_CLASSES,
};

/* The host has BMI2 (rorx): inline loads are emitted. */
extern bool bt_host_bmi2;

int bt_sreg_cache_init(void);
/* Point cpu->bt.sreg_table at the (emptied) table. */
void bt_sreg_cache_attach(struct vcpu *cpu);
/* LGDT: forget every entry. */
void bt_sreg_cache_flush(struct vcpu *cpu);
/* The segment register a mov-to-sreg or pop-sreg loads. */
unsigned bt_sreg_operand(const struct x86_insn *in);
/* A callout loaded `sreg`: remember the load if it can be repeated. */
void bt_sreg_cache_note(struct vcpu *cpu, unsigned sreg);

#endif

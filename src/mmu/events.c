/*
 * events.c - fan-out of guest MMU events to the shadow and the translator
 * (see mmu/events.h). Layers that are not running are skipped.
 */
#include "mmu/events.h"

#include "bt/bt.h"
#include "mmu/shadow.h"
#include "monitor/machine.h"
#include "monitor/opcost.h"

void mmu_cr3_written(struct vcpu *cpu, uint32_t old_cr3)
{
	struct machine *m = cpu->machine;

	if (m->shadow_on) {
		uint64_t cost = opcost_begin();

		shadow_cr3_written(cpu, old_cr3);
		opcost_end(OPCOST_CR3_WRITE, cost);
	}
	if (m->bt_on)
		bt_cr3_written(cpu);
}

void mmu_invlpg(struct vcpu *cpu, uint32_t lin)
{
	struct machine *m = cpu->machine;

	if (m->shadow_on)
		shadow_invlpg(cpu, lin);
	if (m->bt_on)
		bt_invlpg(cpu, lin);
}

void mmu_paging_changed(struct vcpu *cpu)
{
	struct machine *m = cpu->machine;

	if (m->shadow_on)
		shadow_paging_changed(cpu);
	if (m->bt_on)
		bt_paging_changed(cpu);
}

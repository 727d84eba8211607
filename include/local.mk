noinst_HEADERS += include/x86.h include/vcpu.h \
	include/devices/bus.h include/mmu/mem.h \
	include/monitor/console.h include/monitor/machine.h \
	include/monitor/timer.h

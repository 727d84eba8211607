# src/monitor: the run loop, the I/O thread, the command line, host checks.
noinst_HEADERS += include/monitor/monitor.h include/monitor/multiboot.h \
	include/monitor/bzimage.h include/monitor/sandbox.h \
	include/monitor/file.h include/monitor/boot32.h \
	include/monitor/gdbstub.h src/monitor/gdbstub_priv.h \
	include/monitor/memmap.h include/monitor/opcost.h
libbt386_a_SOURCES += src/monitor/machine.c src/monitor/stats.c \
	src/monitor/loop.c src/monitor/events.c src/monitor/hostcheck.c \
	src/monitor/log.c src/monitor/multiboot.c src/monitor/bzimage.c \
	src/monitor/signals.c src/monitor/sandbox.c src/monitor/file.c \
	src/monitor/boot32.c src/monitor/gdbstub.c src/monitor/gdbstub_target.c \
	src/monitor/memmap.c src/monitor/profile.c src/monitor/opcost.c

# The built-in demo guest is embedded in the bt386 binary.
bt386_SOURCES += src/monitor/demo_image.S
AM_CCASFLAGS += -Wa,-I$(top_builddir)
src/monitor/demo_image.$(OBJEXT): tests/guests/demo.elf
include $(srcdir)/src/monitor/de.mk

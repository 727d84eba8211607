# unit tests: monitor

check_PROGRAMS += tests/unit/test_multiboot
TESTS += tests/unit/test_multiboot
tests_unit_test_multiboot_SOURCES = tests/unit/test_multiboot.c
tests_unit_test_multiboot_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_multiboot_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
# It also loads tests/guests/hello.elf, which `make all` (and so `make
# check`) builds first.

check_PROGRAMS += tests/unit/test_bzimage
TESTS += tests/unit/test_bzimage
tests_unit_test_bzimage_SOURCES = tests/unit/test_bzimage.c
tests_unit_test_bzimage_LDADD = $(BT386_LIBS) $(CHECK_LIBS)
tests_unit_test_bzimage_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

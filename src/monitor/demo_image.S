/*
 * demo_image.S - the built-in demo guest (tests/guests/demo.elf), booted
 * when bt386 runs without -kernel. The assembler finds the file through
 * -Wa,-I$(top_builddir) (see src/monitor/local.mk).
 */
	.section .rodata
	.balign 16
	.globl bt386_demo_elf
	.globl bt386_demo_elf_end
bt386_demo_elf:
	.incbin "tests/guests/demo.elf"
bt386_demo_elf_end:
	.section .note.GNU-stack, "", @progbits

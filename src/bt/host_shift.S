/*
 * host_shift.S - every encoding of the shifts and rotates, as host thunks.
 *
 * The flags a shift or rotate leaves undefined (OF for counts above one,
 * AF) differ between CPU models, and on some models also between the
 * encodings of the same operation: Intel computes OF of `rol r/m, imm8`
 * differently from `rol r/m, cl` with the same count. The translator and
 * direct execution run the guest's own encoding on the host, so the
 * interpreter must run that same encoding too, with the same immediate,
 * for all engines to agree on every host. These tables hold one 8-byte
 * thunk per encoding: the instruction on AL/AX/EAX (SHLD/SHRD: source
 * EDX), count in CL where the encoding takes it, then `ret`. The caller
 * (interp_flags.h: hf_thunk) loads the guest's arithmetic flags first.
 *
 * Tables, indexed as in interp_shift.c:
 *   host_shift_imm  [digit 0..7][size 8/16/32][imm8 0..255]  C0/C1 /d ib
 *   host_shift_one  [digit 0..7][size 8/16/32]               D0/D1 /d
 *   host_shift_cl   [digit 0..7][size 8/16/32]               D2/D3 /d
 *   host_shxd_imm   [SHLD, SHRD][size 16/32][imm8 0..255]    0F A4/AC ib
 *   host_shxd_cl    [SHLD, SHRD][size 16/32]                 0F A5/AD
 * The instructions are spelled as bytes so that the assembler cannot
 * pick another encoding (it would turn `rol $1` into D1 /0).
 */
	.section .text.host_shift, "ax", @progbits

/* One thunk: the bytes, ret, padding to 8 bytes. */
	.macro thunk b:vararg
	.balign 8, 0xcc
	.byte \b
	ret
	.endm

/* A ModRM byte for register operands: reg field d, r/m = EAX;
 * SHLD/SHRD: reg = EDX (the source). */
	.set MODRM_EAX, 0xc0
	.set MODRM_EDX_EAX, 0xd0

	.balign 64
	.globl host_shift_imm
	.type host_shift_imm, @function
host_shift_imm:
	.set d, 0
	.rept 8
	.set i, 0
	.rept 256
	thunk 0xc0, MODRM_EAX | (d << 3), i
	.set i, i + 1
	.endr
	.set i, 0
	.rept 256
	thunk 0x66, 0xc1, MODRM_EAX | (d << 3), i
	.set i, i + 1
	.endr
	.set i, 0
	.rept 256
	thunk 0xc1, MODRM_EAX | (d << 3), i
	.set i, i + 1
	.endr
	.set d, d + 1
	.endr
	.size host_shift_imm, .-host_shift_imm

/* A table of the 8 digits x 3 sizes of one register-count form:
 * op8 (AL), then op32 with 0x66 (AX), then op32 (EAX). */
	.macro shift_rows name, op8, op32
	.balign 8
	.globl \name
	.type \name, @function
\name:
	.set d, 0
	.rept 8
	thunk \op8, MODRM_EAX | (d << 3)
	thunk 0x66, \op32, MODRM_EAX | (d << 3)
	thunk \op32, MODRM_EAX | (d << 3)
	.set d, d + 1
	.endr
	.size \name, .-\name
	.endm

	shift_rows host_shift_one, 0xd0, 0xd1
	shift_rows host_shift_cl, 0xd2, 0xd3

	.balign 8
	.globl host_shxd_imm
	.type host_shxd_imm, @function
host_shxd_imm:
	.irp op, 0xa4, 0xac
	.set i, 0
	.rept 256
	thunk 0x66, 0x0f, \op, MODRM_EDX_EAX, i
	.set i, i + 1
	.endr
	.set i, 0
	.rept 256
	thunk 0x0f, \op, MODRM_EDX_EAX, i
	.set i, i + 1
	.endr
	.endr
	.size host_shxd_imm, .-host_shxd_imm

	.balign 8
	.globl host_shxd_cl
	.type host_shxd_cl, @function
host_shxd_cl:
	.irp op, 0xa5, 0xad
	thunk 0x66, 0x0f, \op, MODRM_EDX_EAX
	thunk 0x0f, \op, MODRM_EDX_EAX
	.endr
	.size host_shxd_cl, .-host_shxd_cl

	.section .note.GNU-stack, "", @progbits

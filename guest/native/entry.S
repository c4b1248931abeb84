/* SPDX-License-Identifier: MIT */
/*
 * The native kernel's exception and interrupt entries (vectors 0-47: the
 * CPU's exceptions, then the PIC's).  We run in ring 0 only, so the CPU
 * pushes its frame (ss, rsp, rflags, cs, rip, and for some vectors an error
 * code) on the stack in use.  Each stub makes the frame uniform (error code
 * 0 where the CPU pushes none, then the vector), saves every general
 * register (a switch to another vCPU needs them all) and calls
 * native_trap(vector, frame, rsp) with frame = error code, rip, cs, rflags,
 * rsp, ss.  native_trap returns the stack to go on with: this one, or
 * another vCPU's, saved the same way (vcpus.c).
 */
#include "../../pc/gprs.h"

.macro STUB vec
	.p2align 4
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	push $0
	.endif
	push $\vec
	jmp trap_common
.endm

	.text
	.globl native_stubs
	.p2align 4
native_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB \vec
	.endr
	.irp vec, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	STUB \vec
	.endr

trap_common:
	SAVE_GPRS
	mov 120(%rsp), %edi             /* the vector */
	lea 128(%rsp), %rsi             /* error code, rip, cs, rflags, rsp, ss */
	mov %rsp, %rdx
	call native_trap
	mov %rax, %rsp
	RESTORE_GPRS
	add $16, %rsp                   /* the vector and the error code */
	iretq

/* vCPUs 1 and up begin here, on their own stacks, interrupts on. */
	.globl native_secondary_entry
native_secondary_entry:
	xor %ebp, %ebp
	call x86_secondary
	ud2

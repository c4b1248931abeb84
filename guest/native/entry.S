/* SPDX-License-Identifier: MIT */
/*
 * The native kernel's exception entries.  We run in ring 0 only, so the CPU
 * pushes its frame (ss, rsp, rflags, cs, rip, and for some vectors an error
 * code) on the stack in use.  Each stub makes the frame uniform (error code
 * 0 where the CPU pushes none, then the vector), saves the registers C may
 * clobber and calls native_trap(vector, frame) with frame = error code,
 * rip, cs, rflags, rsp, ss.  native_trap either moves rip to a fixup or
 * stops the machine.
 */

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

trap_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov 72(%rsp), %edi              /* the vector */
	lea 80(%rsp), %rsi              /* error code, rip, cs, rflags, rsp, ss */
	call native_trap
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp                   /* the vector and the error code */
	iretq

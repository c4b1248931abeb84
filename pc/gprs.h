/* SPDX-License-Identifier: MIT */
/*
 * For the ring-0 images' entry code (.S files): every general register
 * pushed and popped in one order, so a saved frame reads, from the stack
 * pointer up: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi.
 * Popping does not touch the flags.
 */
#ifndef PC_GPRS_H
#define PC_GPRS_H

.macro SAVE_GPRS
	push %rdi
	push %rsi
	push %rdx
	push %rcx
	push %rax
	push %r8
	push %r9
	push %r10
	push %r11
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro RESTORE_GPRS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rax
	pop %rcx
	pop %rdx
	pop %rsi
	pop %rdi
.endm

#endif

/* SPDX-License-Identifier: MIT */
/*
 * copy_words_caught(dst, src, n): n (below 32) 8-byte words from src to
 * dst, either side guest memory, every access in the exception table: 0,
 * or 1 if one faulted (hv_exception resumes at copy_fault, which returns;
 * the words before it were copied).  Straight-line blocks of 16, 8, 4, 2
 * and 1 words, as n's bits ask: the guest copies of a crossing (a bounce
 * frame, an iret frame) are a few blocks, where rep movsq is a loop of n
 * steps (under TCG, a block per word).
 */

.macro COPYW n
	.set off, 0
	.rept \n
10:	mov off(%rsi), %r8
11:	mov %r8, off(%rdi)
	.pushsection .extable, "a"
	.quad 10b, copy_fault, 11b, copy_fault
	.popsection
	.set off, off + 8
	.endr
	add $(\n * 8), %rsi
	add $(\n * 8), %rdi
.endm

.macro BLOCK n
	test $\n, %dl
	jz 1f
	COPYW \n
1:
.endm

	.text
	.globl copy_words_caught
copy_words_caught:
	xor %eax, %eax
	BLOCK 16
	BLOCK 8
	BLOCK 4
	BLOCK 2
	BLOCK 1
	ret
copy_fault:
	mov $1, %eax
	ret

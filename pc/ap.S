/* SPDX-License-Identifier: MIT */
/*
 * Where a CPU started by INIT-SIPI-SIPI begins (pc/smp.c).  The SIPI
 * vector names a page below 1 MiB: ap_real (16-bit, position-independent:
 * it finds itself through %cs) is copied there.  It loads a GDT of its own
 * page, enters protected mode and jumps to ap_prot32 in .boot.text (linked
 * and loaded at its physical address), which turns on long mode on the
 * boot tables pvh.S built (the first 4 GiB one to one, the image high) and
 * jumps high to the image's ap_start64 on the stack left in ap_boot_stack.
 */
	.section .boot.text, "ax"
	.code16
ap_real:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	xor %ebx, %ebx
	mov %cs, %bx
	shl $4, %ebx                    /* the page's physical address */
	lea (ap_gdt - ap_real)(%ebx), %eax
	mov %eax, ap_gdtr - ap_real + 2 /* the GDT's base, now that we know it */
	lgdtl ap_gdtr - ap_real
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $ap_prot32
	.p2align 3
ap_gdt:	/* null, 32-bit code, data, 64-bit code */
	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00af9a000000ffff
ap_gdtr:
	.word 31
	.long 0
ap_real_end:

	/* linked high: where the 16-bit start is, and its size (pc.h) */
	.section .rodata
	.p2align 3
	.globl ap_real_where
ap_real_where:
	.quad ap_real, ap_real_end - ap_real

	.section .boot.text, "ax"

	.code32
ap_prot32:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %cr4, %eax
	or $0x20, %eax                  /* PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx           /* EFER: LME, NXE (every CPU is alike) */
	rdmsr
	or $0x900, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax            /* PG | WP | PE */
	mov %eax, %cr0
	ljmp $0x18, $ap_long
	.code64
ap_long:
	xor %eax, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	movabs $ap_boot_stack, %rax
	mov (%rax), %rsp
	movabs $ap_start64, %rax
	jmp *%rax

/* SPDX-License-Identifier: MIT */
/*
 * The PVH entry, for both ring-0 images (hv.elf, native.elf).  The loader
 * (QEMU, Firecracker, Cloud Hypervisor) finds pvh_start through the
 * XEN_ELFNOTE_PHYS32_ENTRY note and jumps there in 32-bit protected mode
 * with paging off and %ebx holding the physical address of the
 * hvm_start_info.  We build boot tables that identity-map the first 4 GiB
 * with 2 MiB pages and map the first GiB again where the image is linked
 * (L4 slot PVH_HIGH_L4, L3 slot PVH_HIGH_L3), enter long mode and call
 * PVH_MAIN(start info), high.  The image replaces these tables with its own.
 *
 *   hv.elf      HV_TEXT_VIRT 0xffff82d080000000: slots 261, 322; hv_main
 *   native.elf  DIRECT_BASE  0xffff880000000000: slots 272, 0;   native_main
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#if !defined(PVH_HIGH_L4) || !defined(PVH_HIGH_L3) || !defined(PVH_MAIN)
#error "pvh.S needs PVH_HIGH_L4, PVH_HIGH_L3 and PVH_MAIN"
#endif
#define PTE_TABLE 0x3      /* P | RW */
#define PTE_LARGE 0x83     /* P | RW | PS */

	.section .note.Xen, "a"
	.p2align 2
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_start

	.section .boot.text, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	mov %ebx, %edi                  /* hvm_start_info: PVH_MAIN's argument */

	mov $boot_pd, %esi              /* 2048 large pages: 4 GiB */
	mov $PTE_LARGE, %eax
	xor %ecx, %ecx
1:	mov %eax, (%esi,%ecx,8)
	movl $0, 4(%esi,%ecx,8)
	add $0x200000, %eax
	inc %ecx
	cmp $2048, %ecx
	jne 1b

	mov $boot_pdpt, %esi            /* four directories, identity */
	mov $boot_pd + PTE_TABLE, %eax
	xor %ecx, %ecx
2:	mov %eax, (%esi,%ecx,8)
	add $4096, %eax
	inc %ecx
	cmp $4, %ecx
	jne 2b
	/* the link address -> the first directory */
	movl $boot_pd + PTE_TABLE, boot_pdpt_high + PVH_HIGH_L3 * 8
	movl $boot_pdpt + PTE_TABLE, boot_pml4
	movl $boot_pdpt_high + PTE_TABLE, boot_pml4 + PVH_HIGH_L4 * 8

	mov %cr4, %eax
	or $0x20, %eax                  /* PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3

	mov $0x80000001, %eax           /* NX, if the CPU has it */
	cpuid
	xor %esi, %esi
	bt $20, %edx
	jnc 3f
	mov $0x800, %esi
3:	mov $0xc0000080, %ecx           /* EFER: LME (+ NXE) */
	rdmsr
	or $0x100, %eax
	or %esi, %eax
	wrmsr

	mov %cr0, %eax
	or $0x80010001, %eax            /* PG | WP | PE */
	mov %eax, %cr0
	lgdt boot_gdtr
	ljmp $0x08, $boot64

	.code64
boot64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov %edi, %edi
	movabs $pvh_start64, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.p2align 12
	.globl boot_pml4                /* the APs' way to long mode (pc/ap.S) */
boot_pml4:	.fill 512, 8, 0
boot_pdpt:	.fill 512, 8, 0
boot_pdpt_high:	.fill 512, 8, 0
boot_pd:	.fill 2048, 8, 0
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdtr:
	.word 23
	.long boot_gdt

	.text
	.globl pvh_start64
pvh_start64:
	lea boot_stack_top(%rip), %rsp
	xor %ebp, %ebp
	call PVH_MAIN
	ud2

	.bss
	.p2align 12
	.globl boot_stack_top
boot_stack:
	.skip 65536
boot_stack_top:

/* SPDX-License-Identifier: MIT */
/*
 * The guest's ways in: the entry point the builder jumps to (rsi =
 * start_info, rsp = a one-page boot stack), and the exception handlers the
 * hypervisor bounces to.  A bounced exception arrives on our stack as Xen's
 * 64-bit frame: rcx, r11, [error code], rip, cs, rflags, rsp, ss.  We put
 * rcx and r11 back, let C look at the frame, and return through the iret
 * hypercall, whose frame is rax, r11, rcx, flags, rip, cs, rflags, rsp, ss.
 */
#define XEN_ELFNOTE_ENTRY 1
#define XEN_ELFNOTE_VIRT_BASE 3
#define XEN_ELFNOTE_XEN_VERSION 5
#define XEN_ELFNOTE_GUEST_OS 6
#define XEN_ELFNOTE_LOADER 8
#define HYPERVISOR_iret 23

.macro NOTE type, body:vararg
	.p2align 2
	.long 4, 9f - 8f, \type
	.asciz "Xen"
8:	\body
9:	.p2align 2
.endm

	.section .note.Xen, "a"
	NOTE XEN_ELFNOTE_GUEST_OS, .asciz "pvmmu"
	NOTE XEN_ELFNOTE_LOADER, .asciz "generic"
	NOTE XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0"
	NOTE XEN_ELFNOTE_VIRT_BASE, .quad 0xffff880000000000
	NOTE XEN_ELFNOTE_ENTRY, .quad xen_entry

	.text
	.globl xen_entry
xen_entry:
	lea stack_top(%rip), %rsp
	mov %rsi, %rdi
	xor %ebp, %ebp
	call xen_start
	ud2

/* A started vCPU learns its number from its context (rdi) and keeps it in
 * MSR TSC_AUX, which the hypervisor keeps per vCPU and rdtscp reads
 * (hostif_vcpu); vCPU 0's is 0 from the start. */
.macro SET_VCPU_ID
	mov %edi, %eax
	xor %edx, %edx
	mov $0xc0000103, %ecx           /* MSR_TSC_AUX */
	wrmsr
.endm

/* vCPUs 1 and up: the context gave us a stack of our own. */
	.globl xen_secondary_entry
xen_secondary_entry:
	SET_VCPU_ID
	xor %ebp, %ebp
	call x86_secondary
	ud2

/* An exception with an error code (the hypervisor pushed one) or without. */
.macro TRAP vec, err
	.globl xen_trap_\vec
xen_trap_\vec:
	cld                             /* hv leaves DF as it was, as Xen does */
	pop %rcx
	pop %r11
	.if \err == 0
	push $0
	.endif
	push %rax
	push %rdi
	push %rsi
	push %rdx
	push %rcx
	push %r8
	push %r9
	push %r10
	push %r11
	mov $\vec, %edi
	lea 72(%rsp), %rsi              /* error code, rip, cs, rflags, rsp, ss */
	call xen_trap
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rcx
	pop %rdx
	pop %rsi
	pop %rdi
	pop %rax
	add $8, %rsp                    /* the error code */
	push $0                         /* flags: not from a syscall */
	push %rcx
	push %r11
	push %rax
	mov $HYPERVISOR_iret, %eax
	syscall
	ud2
.endm

	TRAP 0, 0
	TRAP 1, 0
	TRAP 3, 0
	TRAP 4, 0
	TRAP 5, 0
	TRAP 6, 0
	TRAP 7, 0
	TRAP 13, 1
	TRAP 14, 1
	TRAP 16, 0
	TRAP 17, 1
	TRAP 19, 0
	TRAP 128, 0
	TRAP 254, 0
	TRAP 255, 0

/* The event callback: Xen's frame is an exception's without an error code. */
	.globl xen_upcall
	.set xen_upcall, xen_trap_254

/* The failsafe callback: the frame holds rcx, r11, then the ds, es, fs and
 * gs the hypervisor could not load, then rip, cs, rflags, rsp, ss.  The
 * selectors go to xen_failsafe_segs, and the rest is taken as a trap of
 * vector 255 (xen.h). */
	.globl xen_failsafe
xen_failsafe:
	push %rax
	mov 24(%rsp), %rax
	mov %rax, xen_failsafe_segs(%rip)
	mov 32(%rsp), %rax
	mov %rax, xen_failsafe_segs+8(%rip)
	mov 40(%rsp), %rax
	mov %rax, xen_failsafe_segs+16(%rip)
	mov 48(%rsp), %rax
	mov %rax, xen_failsafe_segs+24(%rip)
	mov 8(%rsp), %rax               /* rcx and r11 above rip, where the trap path wants them */
	mov %rax, 40(%rsp)
	mov 16(%rsp), %rax
	mov %rax, 48(%rsp)
	pop %rax
	add $32, %rsp
	jmp xen_trap_255

	.bss
	.p2align 12
stack:
	.skip 65536
stack_top:

/* Where vCPUs 2 and 3 of the fuzzer go if a context brings them up: yield
 * for ever, touching no memory. */
	.text
	.globl xen_fuzz_idle
xen_fuzz_idle:
	SET_VCPU_ID
1:	mov $29, %eax                   /* sched_op */
	xor %edi, %edi                  /* SCHEDOP_yield */
	syscall
	jmp 1b

/* xen_fuzz_run(ctx): run code of the fuzzer's choosing (fuzz.c) in ring 3
 * with every register from (ctx): ctx[0..15] the general registers in the
 * hardware's order (ctx[4] is its rsp), ctx[16] rflags, ctx[17] rip,
 * ctx[18] this vCPU's recovery slot (xen.h).  Entered by iretq, so a TF in
 * rflags traps after the first instruction there.  The first trap comes
 * back here through the slot; we leave with DF and AC clear. */
	.text
	.globl xen_fuzz_run
xen_fuzz_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov 144(%rdi), %rax
	lea 1f(%rip), %rcx
	mov %rcx, (%rax)
	mov %rsp, 8(%rax)
	pushq $0xe02b
	pushq 32(%rdi)
	pushq 128(%rdi)
	pushq $0xe033
	pushq 136(%rdi)
	mov 0(%rdi), %rax
	mov 8(%rdi), %rcx
	mov 16(%rdi), %rdx
	mov 24(%rdi), %rbx
	mov 40(%rdi), %rbp
	mov 48(%rdi), %rsi
	mov 64(%rdi), %r8
	mov 72(%rdi), %r9
	mov 80(%rdi), %r10
	mov 88(%rdi), %r11
	mov 96(%rdi), %r12
	mov 104(%rdi), %r13
	mov 112(%rdi), %r14
	mov 120(%rdi), %r15
	mov 56(%rdi), %rdi
	iretq
1:	pushq $0x202
	popfq
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* SPDX-License-Identifier: MIT */
/*
 * Ways into ring 0 and back.  Every entry builds a struct regs (hv.h) on
 * the ring-0 stack and calls C with it; every way back to ring 3 goes
 * through exit_to_guest, which lets hv_exit (pv/traps.c) switch vCPUs and
 * check the frame, then restores it and irets or sysrets.  From ring 3 the
 * entries swap to our gs (struct pcpu); an exception inside the hypervisor
 * keeps the gs it has.
 *
 * RFLAGS before any C runs: a guest can enter with any flags it likes, and
 * C code (string instructions, SMAP) relies on DF and AC being clear.  The
 * syscall entry has them cleared by the CPU (MSR_FMASK: IF, TF, NT, IOPL,
 * DF, AC); an exception or interrupt gate clears only IF, TF, NT and RF, so
 * exc_common loads RFLAGS with nothing set but its reserved bit before it
 * does anything else.  The interrupted flags are in the frame, untouched.
 *
 * syscall (a hypercall) saves rip in rcx and rflags in r11 and leaves rsp
 * alone: we switch to the per-CPU stack and build the frame an exception
 * would have pushed, so a hypercall and an exception return alike.  A frame
 * that is still a syscall's (vector VEC_SYSCALL) goes back by sysretq,
 * which clobbers rcx and r11 as the hypercall ABI allows; hv_exit has
 * checked that rip is canonical and cs is the 64-bit one.  Between loading
 * the guest's rsp and sysretq we are in ring 0 on the guest's stack:
 * nothing may interrupt there (interrupts are off; hv takes no NMIs).
 */
#include "../../pc/gprs.h"

#define GUEST_CS 0xe033
#define GUEST_SS 0xe02b
#define VEC_SYSCALL 0x100


	.text
	.globl syscall_entry
syscall_entry:
	swapgs
	mov %rsp, %gs:8
	mov %gs:0, %rsp
	push $GUEST_SS
	push %gs:8
	push %r11
	push $GUEST_CS
	push %rcx
	push $0
	push $VEC_SYSCALL
	SAVE_GPRS
	xor %ebp, %ebp
	mov %rsp, %rdi
	call hv_syscall
	jmp exit_to_guest

/* From the guest: the cs pushed has RPL 3, or the rflags pushed has VM (a
 * CPU should never let a long-mode guest into virtual-8086 mode, but
 * QEMU's TCG does on a ring-3 iretd, with cs = a real-mode segment).
 * r12 keeps the answer across hv_exception, which may rewrite the frame. */
exc_common:
	push $2                         /* RFLAGS: DF, AC and the rest clear */
	popfq
	SAVE_GPRS
	xor %r12d, %r12d
	testb $3, 18*8(%rsp)            /* the cs pushed */
	jnz 1f
	testl $0x20000, 19*8(%rsp)      /* the rflags pushed: VM */
	jz 2f
1:	swapgs
	mov $1, %r12d
	xor %ebp, %ebp                  /* a backtrace stops at the guest */
2:	mov %rsp, %rdi
	call hv_exception
	test %r12, %r12
	jz hv_return                    /* back into hv itself (a fixup) */
	/* fall through */

	.globl exit_to_guest
exit_to_guest:
	mov %rsp, %rdi
	call hv_exit

hv_return:
	cmpq $VEC_SYSCALL, 15*8(%rsp)
	RESTORE_GPRS
	lea 16(%rsp), %rsp              /* vector, error (the flags stay the compare's) */
	je sysret_return
	testb $3, 8(%rsp)
	jz 3f
	swapgs
3:	iretq

sysret_return:
	mov (%rsp), %rcx
	mov 16(%rsp), %r11
	mov 24(%rsp), %rsp
	swapgs
	sysretq

/* cpu_enter_guest(regs): start running (regs) in ring 3. */
	.globl cpu_enter_guest
cpu_enter_guest:
	mov %rdi, %rsp
	jmp exit_to_guest

.macro EXC vec, err
	.p2align 4
exc_\vec:
	.if \err == 0
	push $0
	.endif
	push $\vec
	jmp exc_common
.endm

	EXC 0, 0
	EXC 1, 0
	EXC 2, 0
	EXC 3, 0
	EXC 4, 0
	EXC 5, 0
	EXC 6, 0
	EXC 7, 0
	EXC 8, 1
	EXC 9, 0
	EXC 10, 1
	EXC 11, 1
	EXC 12, 1
	EXC 13, 1
	EXC 14, 1
	EXC 15, 0
	EXC 16, 0
	EXC 17, 1
	EXC 18, 0
	EXC 19, 0
	EXC 20, 0
	EXC 21, 1
	EXC 22, 0
	EXC 23, 0
	EXC 24, 0
	EXC 25, 0
	EXC 26, 0
	EXC 27, 0
	EXC 28, 0
	EXC 29, 1
	EXC 30, 1
	EXC 31, 0
	EXC 32, 0                       /* the timer, and anything else unnamed */
	EXC 240, 0                      /* APIC_IPI_VECTOR */
	EXC 255, 0                      /* APIC_SPURIOUS_VECTOR */

	.section .rodata
	.globl exc_stubs
exc_stubs:
	.quad exc_0, exc_1, exc_2, exc_3, exc_4, exc_5, exc_6, exc_7
	.quad exc_8, exc_9, exc_10, exc_11, exc_12, exc_13, exc_14, exc_15
	.quad exc_16, exc_17, exc_18, exc_19, exc_20, exc_21, exc_22, exc_23
	.quad exc_24, exc_25, exc_26, exc_27, exc_28, exc_29, exc_30, exc_31
	.quad exc_32, exc_240, exc_255

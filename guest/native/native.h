/* SPDX-License-Identifier: MIT */
/*
 * native.elf: the guest kernel (guest/os, guest/mmu on its native backend)
 * booted by QEMU alone, in ring 0, as the reference the PV runs on hv are
 * measured against.  The same PVH entry as hv (pc/pvh.S) calls native_main.
 *
 *   start.c   the memory layout a domain builder would leave, then the run
 *   hostif.c  cr3, invlpg, the console, our GDT, IDT and exceptions
 *   vcpus.c   more vCPUs: each on a CPU of its own where the machine has
 *             enough, else as contexts on the one CPU, as hv runs them
 *   entry.S   the exception and interrupt stubs
 */
#ifndef GUEST_NATIVE_H
#define GUEST_NATIVE_H

#include "../../pc/pc.h"
#include "../x86/x86.h"

/* Build our own GDT and IDT and load them (the boot ones live in
 * identity-mapped memory we are about to unmap); load them on another CPU. */
void native_cpu_init(void);
void native_cpu_load(void);

/* vcpus.c: with (vcpus) vCPUs asked for, start that many CPUs less one if
 * the firmware lists enough (the RSDP at (rsdp)), each parked until its
 * vCPU starts; while the boot tables still map the low 4 GiB. */
void native_smp_boot(uint64_t rsdp, unsigned vcpus);

#define KERNEL_CS 0x08u
#define KERNEL_DS 0x10u

/* An exception or interrupt (vec) with (frame): error code, rip, cs,
 * rflags, rsp, ss, all of it saved at (rsp).  A page fault of a guarded
 * access returns to its fixup; the timer may switch vCPUs; anything else
 * stops the machine with a report.  Returns the stack to resume from. */
uint64_t native_trap(unsigned vec, uint64_t *frame, uint64_t rsp);

/* vcpus.c: the timer's tick: the stack of the vCPU to run next. */
uint64_t native_tick(uint64_t rsp);
/* Load (cr3) for the running vCPU (kept for its next turn). */
void native_load_cr3(uint64_t cr3);

#endif

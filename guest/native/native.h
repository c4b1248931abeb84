/* SPDX-License-Identifier: MIT */
/*
 * native.elf: the guest kernel (guest/os, guest/mmu on its native backend)
 * booted by QEMU alone, in ring 0, as the reference the PV runs on hv are
 * measured against.  The same PVH entry as hv (pc/pvh.S) calls native_main.
 *
 *   start.c   the memory layout a domain builder would leave, then the run
 *   hostif.c  cr3, invlpg, the console, our GDT, IDT and exceptions
 *   entry.S   the exception stubs
 */
#ifndef GUEST_NATIVE_H
#define GUEST_NATIVE_H

#include "../../pc/pc.h"
#include "../x86/x86.h"

/* Load our own GDT and IDT (the boot ones live in identity-mapped memory
 * we are about to unmap). */
void native_cpu_init(void);

/* An exception (vec) with (frame): error code, rip, cs, rflags, rsp, ss.
 * A page fault of a guarded access returns to its fixup; anything else
 * stops the machine with a report. */
void native_trap(unsigned vec, uint64_t *frame);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * FPU and SSE state per vCPU.  hv turns on FXSAVE and SSE (CR4.OSFXSR and
 * OSXMMEXCPT, CR0.MP and NE) and saves and restores the x87/SSE state with
 * fxsave64/fxrstor64 on every switch between vCPUs, so each vCPU has its
 * own.  A new vCPU starts as after fninit, with MXCSR 0x1f80.  hv itself
 * uses no FPU or SSE register (it is built -mgeneral-regs-only).
 *
 * The guest's CR0.TS is virtual, as Xen keeps it (fpu_taskswitch, clts,
 * mov to cr0): while it is set the CPU's TS is set too, so the guest's
 * next FPU instruction raises #NM; hv then clears both and bounces #NM to
 * the guest (traps.c), as Xen's do_device_not_available does.
 *
 * Not done: XSAVE (AVX and later state); the CPUID policy hides it.
 */
#include "../hv.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

static uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }

void fpu_init_cpu(void)
{
	uint64_t cr4;
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT));
	__asm__ volatile("fninit");
}

void fpu_init_vcpu(struct hv_vcpu *h)
{
	memset(h->fpu, 0, sizeof(h->fpu));
	h->fpu[0] = 0x7f;               /* FCW 0x037f */
	h->fpu[1] = 0x03;
	h->fpu[24] = 0x80;              /* MXCSR 0x1f80 */
	h->fpu[25] = 0x1f;
	h->fpu_ts = false;
}

void fpu_switch(struct hv_vcpu *prev, struct hv_vcpu *next)
{
	__asm__ volatile("clts");
	__asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
	__asm__ volatile("fxrstor64 %0" :: "m"(next->fpu));
	if (next->fpu_ts)
		write_cr0(read_cr0() | CR0_TS);
}

void pv_fpu_taskswitch(struct vcpu *v, bool set)
{
	hv_vcpu(v)->fpu_ts = set;
	if (this_vcpu() != v)
		return;
	if (set)
		write_cr0(read_cr0() | CR0_TS);
	else
		__asm__ volatile("clts");
}

long do_fpu_taskswitch(struct vcpu *v, const uint64_t a[6])
{
	pv_fpu_taskswitch(v, a[0] != 0);
	return 0;
}

bool pv_fpu_trap(struct vcpu *v)
{
	__asm__ volatile("clts");
	if (!hv_vcpu(v)->fpu_ts)
		return false;
	hv_vcpu(v)->fpu_ts = false;
	return true;
}

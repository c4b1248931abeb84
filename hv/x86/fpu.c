/* SPDX-License-Identifier: MIT */
/*
 * FPU, SSE and AVX state per vCPU.  hv turns on FXSAVE and SSE (CR4.OSFXSR
 * and OSXMMEXCPT, CR0.MP and NE) and, where the CPU has XSAVE, CR4.OSXSAVE;
 * it saves and restores a vCPU's registers on every switch between vCPUs,
 * so each has its own.  hv itself uses no FPU, SSE or AVX register (it is
 * built -mgeneral-regs-only).
 *
 * With XSAVE, a guest may have the x87, SSE and AVX components (XCR0 bits
 * 0-2, as far as the CPU has them: fpu_xcr0_max).  Each vCPU has the XCR0
 * it set with xsetbv (emulated on its #GP, as Xen's handle_xsetbv), 0 until
 * then, when the CPU runs it with x87 and SSE alone, and the union of every
 * XCR0 it has had (xcr0_accum), as Xen keeps them.  A switch saves the
 * outgoing vCPU's components under its accum, restores the incoming one's
 * under its own and loads its XCR0 (each CPU remembers what its XCR0 holds,
 * so an unchanged one is not written again).  A component a vCPU turns on
 * for the first time is loaded from its area, where it was never saved: it
 * starts in its initial state, never with what another vCPU left in the
 * registers.  Without XSAVE, fxsave64 and fxrstor64 do the same for x87
 * and SSE.
 *
 * A new vCPU starts as after fninit, with MXCSR 0x1f80, or with the x87
 * and SSE image VCPUOP_initialise gives (VGCF_I387_VALID); an image whose
 * MXCSR has bits the CPU refuses starts its registers in their initial
 * state with the MXCSR bits the CPU takes, as Xen's xrstor recovers from
 * such an image.
 *
 * The guest's CR0.TS is virtual, as Xen keeps it (fpu_taskswitch, clts,
 * mov to cr0): while it is set the CPU's TS is set too, so the guest's
 * next FPU instruction raises #NM; hv then clears both and bounces #NM to
 * the guest (traps.c), as Xen's do_device_not_available does.
 */
#include "../hv.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_AVX   (1u << 28)

#define MXCSR_DEFAULT 0x1f80u
#define FCW_DEFAULT   0x037fu
#define OFF_FCW       0
#define OFF_MXCSR     24
#define OFF_MXCSR_MASK 28
#define OFF_XSTATE_BV 512       /* the XSAVE header: XSTATE_BV, XCOMP_BV, reserved */
#define HEADER_BYTES  64

/* What the CPU offers, found once at boot: the same on every CPU. */
static struct {
	bool xsave;
	uint64_t xcr0_max;
	uint32_t mxcsr_mask;
} caps;

static uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }

static void xsetbv(uint32_t idx, uint64_t val)
{
	__asm__ volatile("xsetbv" :: "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

static void xsave(uint8_t *area)
{
	__asm__ volatile("xsave64 (%0)" :: "r"(area), "a"(~0u), "d"(~0u) : "memory");
}

static void xrstor(const uint8_t *area, uint64_t mask)
{
	__asm__ volatile("xrstor64 (%0)" :: "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
			 : "memory");
}

static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* The CPU's XCR0 becomes (val), if it is not that already. */
static void load_xcr0(struct pcpu *c, uint64_t val)
{
	if (c->xcr0 != val) {
		xsetbv(0, val);
		c->xcr0 = val;
	}
}

static void find_caps(void)
{
	static uint8_t probe[512] __attribute__((aligned(16)));
	uint32_t r[4];
	__asm__ volatile("fxsave64 %0" : "=m"(probe));
	caps.mxcsr_mask = get32(probe + OFF_MXCSR_MASK) ? get32(probe + OFF_MXCSR_MASK) : 0xffbfu;
	pc_cpuid(1, 0, r);
	caps.xsave = r[2] & CPUID1_ECX_XSAVE;
	if (!caps.xsave)
		return;
	bool avx = r[2] & CPUID1_ECX_AVX;
	pc_cpuid(0xd, 0, r);
	caps.xcr0_max = r[0] & (XCR0_X87 | XCR0_SSE | (avx ? XCR0_YMM : 0));
	if (fpu_xsave_size(caps.xcr0_max, false) > FPU_AREA_SIZE)
		caps.xcr0_max = XSTATE_FP_SSE;
}

void fpu_init_cpu(struct pcpu *c)
{
	uint64_t cr4;
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	__asm__ volatile("mov %0, %%cr4" :: "r"(cr4));
	__asm__ volatile("fninit");
	find_caps();
	if (caps.xsave) {
		__asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | CR4_OSXSAVE));
		xsetbv(0, XSTATE_FP_SSE);
		c->xcr0 = XSTATE_FP_SSE;
	}
}

uint64_t fpu_xcr0_max(void)
{
	return caps.xsave ? caps.xcr0_max : 0;
}

uint32_t fpu_xsave_size(uint64_t xcr0, bool compacted)
{
	uint32_t size = 512 + HEADER_BYTES, r[4];
	for (unsigned i = 2; i < 63; i++) {
		if (!(xcr0 >> i & 1))
			continue;
		pc_cpuid(0xd, i, r);            /* eax its size, ebx its offset, ecx bit 1 aligned */
		if (!compacted && r[1] + r[0] > size)
			size = r[1] + r[0];
		if (compacted)
			size = (r[2] & 2 ? (size + 63) & ~63u : size) + r[0];
	}
	return size;
}

void fpu_init_vcpu(struct hv_vcpu *h)
{
	memset(h->fpu, 0, sizeof(h->fpu));
	put32(h->fpu + OFF_FCW, FCW_DEFAULT);
	put32(h->fpu + OFF_MXCSR, MXCSR_DEFAULT);
	h->fpu_ts = false;
	h->xcr0 = h->xcr0_accum = 0;
}

void fpu_set_image(struct hv_vcpu *h, const uint8_t image[512])
{
	memcpy(h->fpu, image, 512);
	memset(h->fpu + OFF_XSTATE_BV, 0, HEADER_BYTES);
	uint32_t mxcsr = get32(h->fpu + OFF_MXCSR);
	if (mxcsr & ~caps.mxcsr_mask) {
		memset(h->fpu, 0, 512);
		put32(h->fpu + OFF_FCW, FCW_DEFAULT);
		put32(h->fpu + OFF_MXCSR, mxcsr & caps.mxcsr_mask);
	} else {
		put64(h->fpu + OFF_XSTATE_BV, XSTATE_FP_SSE);
	}
}

void fpu_save(struct hv_vcpu *h)
{
	__asm__ volatile("clts");
	if (caps.xsave) {
		load_xcr0(this_cpu(), h->xcr0_accum | XSTATE_FP_SSE);
		xsave(h->fpu);
	} else {
		__asm__ volatile("fxsave64 %0" : "=m"(h->fpu));
	}
}

void fpu_load(struct hv_vcpu *h)
{
	struct pcpu *c = this_cpu();
	__asm__ volatile("clts");
	if (caps.xsave) {
		load_xcr0(c, h->xcr0_accum | XSTATE_FP_SSE);
		xrstor(h->fpu, ~0ull);
		load_xcr0(c, h->xcr0 ? h->xcr0 : XSTATE_FP_SSE);
	} else {
		__asm__ volatile("fxrstor64 %0" :: "m"(h->fpu));
	}
	if (h->fpu_ts)
		write_cr0(read_cr0() | CR0_TS);
}

/* Xen's valid_xcr0, for the components hv may offer. */
static bool xcr0_ok(uint64_t xcr0)
{
	return (xcr0 & XCR0_X87) && !(xcr0 & ~fpu_xcr0_max()) &&
	       (!(xcr0 & XCR0_YMM) || (xcr0 & XCR0_SSE));
}

int pv_xsetbv(struct vcpu *v, uint32_t idx, uint64_t val)
{
	struct hv_vcpu *h = hv_vcpu(v);
	if (idx != 0 || !xcr0_ok(val))
		return -1;
	uint64_t fresh = val & ~h->xcr0_accum & ~XSTATE_FP_SSE;
	h->xcr0 = val;
	h->xcr0_accum |= val;
	load_xcr0(this_cpu(), val);
	if (fresh) {    /* from the area, where it never was: its initial state */
		__asm__ volatile("clts");
		__asm__ volatile("stmxcsr %0" : "=m"(*(uint32_t *)(h->fpu + OFF_MXCSR)));
		put64(h->fpu + OFF_XSTATE_BV, get64(h->fpu + OFF_XSTATE_BV) & ~fresh);
		xrstor(h->fpu, fresh);
		if (h->fpu_ts)
			write_cr0(read_cr0() | CR0_TS);
	}
	return 0;
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

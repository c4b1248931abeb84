/* SPDX-License-Identifier: MIT */
/*
 * Hostile mode xstate: XSAVE state as a PV kernel meets it, each answer as
 * Xen 4.17 gives it.  The kernel's CPUID (the forced-emulation prefix)
 * offers XSAVE with OSXSAVE already set, which Xen leaks for Linux's sake;
 * its own CR4.OSXSAVE is clear until it sets it, and xsetbv until then is
 * #UD; xsetbv of an XCR0 the CPU would refuse or Xen does not offer a PV
 * guest (SSE without x87, AVX without SSE, PKRU, XCR1) is #GP(0); CPUID
 * leaf 0xd sizes the image for the XCR0 set.  With AVX, a vCPU that turns
 * it on for the first time finds its registers zeroed, not holding what
 * another vCPU left in them, and that vCPU's registers come back to it.
 * A vCPU initialised with an x87/SSE image (VGCF_I387_VALID) starts with
 * its control words; one whose MXCSR has reserved bits starts in the
 * initial state, as Xen's xrstor recovers (vCPUs 4 and 5, which no other
 * mode uses).
 *
 * This guest is built -mgeneral-regs-only: ymm8, which the checks load and
 * store, is no register of the compiler's.
 */
#include "attacks.h"

#define CR4_OSXSAVE (1ull << 18)
#define XSAVE_BIT   (1u << 26)
#define OSXSAVE_BIT (1u << 27)
#define AVX_BIT     (1u << 28)

static void xen_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("ud2; .ascii \"xen\"; cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory");
}

static uint64_t xgetbv(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* xsetbv(idx, val): 0 if it ran, else the vector it trapped with (and its
 * error code must be 0). */
static long try_xsetbv(uint32_t idx, uint64_t val)
{
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps;
	__asm__ volatile(RECOVER_ARM "xsetbv" RECOVER_END
			 :: "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)), [slot] "r"(&r->rip)
			 : "r11", "memory");
	if (r->traps == traps)
		return 0;
	return r->error ? -1 : (long)r->vector;
}

static void load_ymm8(const uint8_t v[32])
{
	__asm__ volatile("vmovdqu (%0), %%ymm8" :: "r"(v) : "memory");
}

static void store_ymm8(uint8_t v[32])
{
	__asm__ volatile("vmovdqu %%ymm8, (%0)" :: "r"(v) : "memory");
}

static bool same(const uint8_t a[32], const uint8_t b[32])
{
	for (unsigned i = 0; i < 32; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static uint8_t fresh_ymm8[32];
static uint64_t fresh_xcr0;

/* vCPU 1, its AVX never on before: on, then what is in ymm8. */
static void first_avx(void)
{
	write_cr4(read_cr4() | CR4_OSXSAVE);
	fresh_xcr0 = try_xsetbv(0, 7) ? 0 : xgetbv();
	store_ymm8(fresh_ymm8);
	try_xsetbv(0, 3);
	write_cr4(read_cr4() & ~CR4_OSXSAVE);
}

static void avx(void)
{
	uint32_t r[4];
	static uint8_t mine[32], back[32], zeros[32];
	expect("AVX without SSE: #GP(0)", try_xsetbv(0, 5), 13);
	expect("x87, SSE and AVX", try_xsetbv(0, 7), 0);
	expect("... XCR0 reads them back", (long)xgetbv(), 7);
	xen_cpuid(0xd, 0, r);
	expect("CPUID 0xd: 832 bytes for x87, SSE and AVX", r[1], 832);
	for (unsigned i = 0; i < 32; i++)
		mine[i] = (uint8_t)(0xa5 ^ i);
	load_ymm8(mine);
	attack_on_secondary(first_avx);
	attack_wait_secondary();
	store_ymm8(back);
	expect("vCPU 1 turns AVX on: XCR0 7", (long)fresh_xcr0, 7);
	expect("... and finds ymm8 zeroed, not vCPU 0's", same(fresh_ymm8, zeros), 1);
	expect("vCPU 0's ymm8 is its own again", same(mine, back), 1);
}

/* --- VCPUOP_initialise with VGCF_I387_VALID ------------------------------- */

static uint32_t seen_fcw[6], seen_mxcsr[6];
static _Atomic unsigned reported;
static uint8_t spare_stack[2][PAGE_SIZE] __attribute__((aligned(16)));

static _Noreturn void report_fpu(unsigned id)
{
	uint16_t fcw;
	__asm__ volatile("fnstcw %0" : "=m"(fcw));
	__asm__ volatile("stmxcsr %0" : "=m"(seen_mxcsr[id]));
	seen_fcw[id] = fcw;
	atomic_fetch_add(&reported, 1);
	for (;;)
		vcpu_op(VCPUOP_down, id, NULL);
}

static _Noreturn void spare4(void) { report_fpu(4); }
static _Noreturn void spare5(void) { report_fpu(5); }

/* vCPU (id) initialised at (entry) with FCW (fcw) and MXCSR (mxcsr), up
 * until it has said what it found. */
static void start_with_image(unsigned id, void (*entry)(void), uint16_t fcw, uint32_t mxcsr)
{
	static struct vcpu_guest_context ctx[2];
	struct vcpu_guest_context *c = &ctx[id - 4];
	c->flags = VGCF_in_kernel | VGCF_I387_VALID;
	for (unsigned i = 0; i < 4; i++)       /* FCW at 0, MXCSR at 24 */
		c->fpu_ctxt[i] = (uint8_t)(i < 2 ? fcw >> 8 * i : 0), c->fpu_ctxt[24 + i] = (uint8_t)(mxcsr >> 8 * i);
	c->user_regs.rip = (uint64_t)(uintptr_t)entry;
	c->user_regs.rsp = (uint64_t)(uintptr_t)spare_stack[id - 4] + PAGE_SIZE - 8;
	c->user_regs.cs = FLAT_KERNEL_CS64;
	c->user_regs.ss = FLAT_KERNEL_SS64;
	c->ctrlreg[3] = mfn_of(kernel_mm.pgd) << PAGE_SHIFT;
	unsigned before = atomic_load(&reported);
	if (vcpu_op(VCPUOP_initialise, id, c) || vcpu_op(VCPUOP_up, id, NULL))
		return;
	for (unsigned i = 0; i < 100000 && atomic_load(&reported) == before; i++)
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

#define TCG_MXCSR "QEMU's TCG takes reserved MXCSR bits, so Xen's xrstor never faults to recover"

static void i387_image(void)
{
	start_with_image(4, spare4, 0x027f, 0x7f80);
	expect("a vCPU started with an x87/SSE image: its FCW", seen_fcw[4], 0x027f);
	expect("... and its MXCSR", seen_mxcsr[4], 0x7f80);
	start_with_image(5, spare5, 0x027f, 0xffff1f80);
	expect_dom0("an image with reserved MXCSR bits: FCW as after fninit", seen_fcw[5], 0x037f, 0x027f, TCG_MXCSR);
	expect_dom0("... MXCSR without them", seen_mxcsr[5], 0x1f80, 0xffff1f80, TCG_MXCSR);
}

void xstate(void)
{
	uint32_t r[4];
	xen_cpuid(1, 0, r);
	if (!(r[2] & XSAVE_BIT)) {
		expect_skip("xsetbv and XCR0", "no XSAVE offered here");
		return;
	}
	bool has_avx = r[2] & AVX_BIT;
	expect("the kernel's CPUID has OSXSAVE before its CR4 does", (r[2] & OSXSAVE_BIT) != 0, 1);
	expect("its CR4.OSXSAVE is clear", (read_cr4() & CR4_OSXSAVE) != 0, 0);
	expect("XCR0 holds x87 and SSE", (long)xgetbv(), 3);
	expect("xsetbv before CR4.OSXSAVE: #UD", try_xsetbv(0, 3), 6);
	write_cr4(read_cr4() | CR4_OSXSAVE);
	expect("CR4.OSXSAVE set", (read_cr4() & CR4_OSXSAVE) != 0, 1);
	expect("SSE without x87: #GP(0)", try_xsetbv(0, 2), 13);
	expect("XCR1: #GP(0)", try_xsetbv(1, 3), 13);
	expect("PKRU (not offered to a PV guest): #GP(0)", try_xsetbv(0, 0x203), 13);
	expect("x87 alone", try_xsetbv(0, 1), 0);
	expect("... XCR0 reads it back", (long)xgetbv(), 1);
	xen_cpuid(0xd, 0, r);
	expect("CPUID 0xd: 576 bytes for x87", r[1], 576);
	if (has_avx)
		avx();
	else
		expect_skip("AVX state per vCPU", "no AVX offered here");
	expect("back to x87 and SSE", try_xsetbv(0, 3), 0);
	write_cr4(read_cr4() & ~CR4_OSXSAVE);
	i387_image();
}

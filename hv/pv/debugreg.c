/* SPDX-License-Identifier: MIT */
/*
 * The guest's debug registers, as Xen's set_debugreg and get_debugreg keep
 * them for a PV vCPU (and mov to and from dr, pv/emul_priv.c):
 *
 *   dr0-dr3  breakpoint addresses the guest may reach: canonical and clear
 *            of hv's slots, else -EPERM
 *   dr4/dr5  dr6/dr7 while the guest's CR4.DE is clear, else -ENODEV
 *   dr6      32 bits (else -EINVAL), the reserved bits as the CPU has them
 *   dr7      32 bits (else -EINVAL); reserved bits cleared, bit 10 set;
 *            GD set is -EPERM (hv writes the debug registers itself on
 *            every switch); I/O breakpoints need the guest's CR4.DE (else
 *            -EPERM) and stay the guest's view only: hv does not emulate
 *            them (Xen does), so the CPU never gets them
 *   others   -ENODEV
 *
 * The registers are in the CPU while the vCPU runs (loaded on a switch and
 * on a write); a debug trap from the guest leaves the CPU's dr6 in the
 * vCPU's before it is bounced (traps.c).  A breakpoint the guest sets on
 * memory hv itself touches fires in ring 0 and is dropped there, as every
 * ring-0 debug trap is.
 */
#include "../hv.h"

#define DR6_DEFAULT  0xffff0ff0ull
#define DR7_DEFAULT  0x400ull
#define DR7_RESERVED 0xd800ull           /* bits 11, 12, 14, 15 */
#define DR7_GD       (1ull << 13)
#define DR7_ENABLES  0xffull
#define CR4_DE       (1ull << 3)

static void load_dr(unsigned n, uint64_t val)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" :: "r"(val)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" :: "r"(val)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" :: "r"(val)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" :: "r"(val)); break;
	case 6: __asm__ volatile("mov %0, %%dr6" :: "r"(val)); break;
	case 7: __asm__ volatile("mov %0, %%dr7" :: "r"(val)); break;
	default: break;
	}
}

/* The enable bits of dr7 value (dr7)'s I/O breakpoints (R/W type 2). */
static uint64_t io_enables(uint64_t dr7)
{
	uint64_t io = 0;
	for (unsigned i = 0; i < 4; i++)
		if (((dr7 >> (16 + 4 * i)) & 3) == 2)
			io |= 3ull << (2 * i);
	return io & dr7;
}

/* What the CPU's dr7 gets of the guest's: no I/O breakpoints. */
static uint64_t hw_dr7(uint64_t dr7)
{
	return dr7 & ~io_enables(dr7);
}

void pv_debugreg_load(const struct vcpu *v)
{
	const struct hv_vcpu *h = hv_vcpu(v);
	load_dr(7, DR7_DEFAULT);        /* nothing armed while the addresses change */
	for (unsigned n = 0; n < 7; n++)
		if (n != 4 && n != 5)
			load_dr(n, h->dr[n]);
	load_dr(7, hw_dr7(h->dr[7]));
}

/* dr4 and dr5 are dr6 and dr7 unless CR4.DE: the register meant, or -1. */
static int alias(const struct vcpu *v, unsigned reg)
{
	if (reg == 4 || reg == 5)
		return hv_vcpu(v)->cr4 & CR4_DE ? -1 : (int)reg + 2;
	return (int)reg;
}

long pv_set_debugreg(struct vcpu *v, unsigned reg, uint64_t val)
{
	struct hv_vcpu *h = hv_vcpu(v);
	int r = reg < 8 ? alias(v, reg) : 8;
	if (r < 0 || r > 7)
		return -XEN_ENODEV;
	if (r <= 3) {
		if (!canonical(val) || (val >= HV_VIRT_START && val < HV_VIRT_END))
			return -XEN_EPERM;
	} else if (r == 6) {
		if (val != (uint32_t)val)
			return -XEN_EINVAL;
		val = (val & 0xe00full) | DR6_DEFAULT;     /* B0-B3, BD, BS, BT */
	} else if (r == 7) {
		if (val != (uint32_t)val)
			return -XEN_EINVAL;
		val = (val & ~DR7_RESERVED) | DR7_DEFAULT;
		if ((val & DR7_GD) || (io_enables(val) && !(h->cr4 & CR4_DE)))
			return -XEN_EPERM;
	} else {
		return -XEN_ENODEV;     /* dr4/dr5 are aliases by now */
	}
	h->dr[r] = val;
	if (this_vcpu() == v)
		load_dr((unsigned)r, r == 7 ? hw_dr7(val) : val);
	return 0;
}

long pv_get_debugreg(const struct vcpu *v, unsigned reg, uint64_t *val)
{
	int r = reg < 8 ? alias(v, reg) : 8;
	if (r < 0 || r > 7)
		return -XEN_ENODEV;
	*val = hv_vcpu(v)->dr[r];
	return 0;
}

void pv_debugreg_trap(struct vcpu *v)
{
	uint64_t dr6;
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	hv_vcpu(v)->dr[6] = dr6;
	load_dr(6, DR6_DEFAULT);
}

void pv_debugreg_init(struct vcpu *v)
{
	hv_vcpu(v)->dr[6] = DR6_DEFAULT;
	hv_vcpu(v)->dr[7] = DR7_DEFAULT;
}

long do_set_debugreg(struct vcpu *v, const uint64_t a[6])
{
	return pv_set_debugreg(v, (unsigned)(a[0] < 8 ? a[0] : 8), a[1]);
}

long do_get_debugreg(struct vcpu *v, const uint64_t a[6])
{
	uint64_t val;
	long rc = pv_get_debugreg(v, (unsigned)(a[0] < 8 ? a[0] : 8), &val);
	return rc ? rc : (long)val;
}

/* SPDX-License-Identifier: MIT */
/*
 * CPUID as a PV guest sees it.  cpuid does not fault in ring 3, so a PV
 * kernel asks hv through Xen's forced-emulation prefix, "ud2; .ascii
 * \"xen\"; cpuid": the #UD comes here (traps.c), and the answer is hv's
 * policy, from the guest kernel or from its user space alike, as Xen's
 * pv_emulate_forced_invalid_op answers it.  A plain cpuid runs on the CPU
 * and sees it as it is.
 *
 * The policy: the CPU's leaves, less what hv cannot give a PV guest, and
 * Xen's hypervisor leaves at 0x40000000.  It follows Xen's PV maximum
 * policy (the features cpufeatureset.h marks 'A'), and hides beyond it
 * what hv does not virtualise:
 *   - MCE and MCA (no virtual machine-check MSRs), ACPI (thermal MSRs);
 *   - of XSAVE's components, all beyond x87, SSE and AVX (x86/fpu.c), and
 *     XSAVES; leaf 0xd describes what is left, its size for the vCPU's own
 *     XCR0;
 *   - FSGSBASE, and the speculation-control MSRs' features (leaf 7 edx);
 *   - the APIC, x2APIC, TSC deadline, MONITOR, VMX/SMX/SVM, PCID/INVPCID,
 *     SMEP/SMAP/UMIP/PKU (hv's, not the guest's), 1 GiB pages, the
 *     performance counters (leaf 0xa) and power management (leaves 5, 6).
 * RDTSCP follows the CPU hv runs on; the hypervisor bit is set.  OSXSAVE
 * is the guest's own CR4 bit, and, as Xen leaks it into the kernel's
 * forced-emulation CPUID for Linux's sake (xen_check_xsave), set for the
 * guest kernel wherever XSAVE is offered.
 *
 * pvmmu's own leaf, 0x4000ff00 (outside Xen's range, where Xen answers
 * zeros): the domain's counters, summed over its vCPUs, subleaf 0-6 for
 * hypercalls, entries validated, pins, unpins, TLB flushes, emulated
 * stores and flushes sent to other physical CPUs, in edx:eax, with ebx "pvmp" to say it is there.  A program in a
 * Linux guest reads them before and after what it measures
 * (guest/linux/pvmmu-linux.c).
 */
#include "../../core/machine.h"
#include "../hv.h"

#define BIT(n) (1u << (n))

/* Leaf 1 edx: FPU DE TSC MSR PAE CX8 SEP CMOV PAT CLFLUSH MMX FXSR SSE SSE2 SS HTT. */
#define L1_EDX (BIT(0) | BIT(2) | BIT(4) | BIT(5) | BIT(6) | BIT(8) | BIT(11) | BIT(15) | BIT(16) | \
		BIT(19) | BIT(23) | BIT(24) | BIT(25) | BIT(26) | BIT(27) | BIT(28))
/* Leaf 1 ecx: SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES RDRAND. */
#define L1_ECX (BIT(0) | BIT(1) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | BIT(22) | BIT(23) | BIT(25) | BIT(30))
#define L1_ECX_XSAVE BIT(26)
#define L1_ECX_OSXSAVE BIT(27)
#define L1_ECX_AVX (BIT(12) | BIT(28) | BIT(29))     /* FMA AVX F16C: they need XCR0.YMM */
#define L1_ECX_HYPERVISOR BIT(31)
#define L7_EBX_AVX2 BIT(5)
/* Leaf 0xd subleaf 1 eax: XSAVEOPT XSAVEC XGETBV1 (not XSAVES). */
#define XSTATE_1_EAX (BIT(0) | BIT(1) | BIT(2))
#define XSTATE_1_XSAVEC BIT(1)
/* Leaf 7 ebx: BMI1 BMI2 ERMS RDSEED ADX CLFLUSHOPT CLWB SHA; ecx: RDPID. */
#define L7_EBX (BIT(3) | BIT(8) | BIT(9) | BIT(18) | BIT(19) | BIT(23) | BIT(24) | BIT(29))
#define L7_ECX_RDPID BIT(22)
/* Leaf 0x80000001 ecx: LAHF ABM SSE4A MISALIGNSSE PREFETCHW TBM; edx:
 * SYSCALL NX MMXEXT FFXSR RDTSCP LM 3DNOWEXT 3DNOW, and leaf 1's twins. */
#define E1_ECX (BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(21))
#define E1_EDX (BIT(11) | BIT(20) | BIT(22) | BIT(25) | BIT(27) | BIT(29) | BIT(30) | BIT(31) | \
		(L1_EDX & 0x0183f3ffu))

#define XEN_BASE 0x40000000u
#define XEN_MAX_LEAF 5u

/* Xen's hypervisor leaves (cpuid_hypervisor_leaves) for vCPU (v). */
static void xen_leaf(const struct vcpu *v, uint32_t idx, uint32_t sub, uint32_t r[4])
{
	uint32_t host[4];
	(void)v;
	switch (idx) {
	case 0:
		r[0] = XEN_BASE + XEN_MAX_LEAF;
		r[1] = 0x566e6558;      /* "XenVMMXenVMM" */
		r[2] = 0x65584d4d;
		r[3] = 0x4d4d566e;
		break;
	case 1:
		r[0] = XEN_VERSION_MAJOR << 16 | XEN_VERSION_MINOR;
		break;
	case 2:
		r[0] = 1;               /* hypercall pages */
		r[1] = XEN_BASE;        /* MSR base */
		r[2] = BIT(0);          /* XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD */
		break;
	case 3:                         /* time: tsc_mode 0, no virtual TSC */
		pc_cpuid(0x80000007, 0, host);
		if (sub == 0) {
			r[0] = (host[3] & BIT(8) ? BIT(1) : 0) | (pc_has_rdtscp() ? BIT(2) : 0);
			r[2] = (uint32_t)time_tsc_khz();
		} else if (sub == 2) {
			r[0] = (uint32_t)time_tsc_khz();
		}
		break;
	case 5:                         /* PV: machine address width */
		if (sub == 0)
			r[1] = 64 - (uint32_t)__builtin_clzll(machine.nr_frames - 1) + PAGE_SHIFT;
		break;
	default:
		break;
	}
}

#define PVMMU_LEAF 0x4000ff00u

static void pvmmu_counters(const struct vcpu *v, uint32_t sub, uint32_t r[4])
{
	uint64_t sum = 0;
	for (unsigned k = 0; sub < 7 && k < v->d->nr_vcpus; k++) {
		const struct vcpu_stats *s = &v->d->vcpus[k].stats;
		const uint64_t c[7] = { s->hypercalls, s->validated, s->pins, s->unpins, s->flushes, s->emulated,
					s->flush_ipis };
		sum += c[sub];
	}
	r[0] = (uint32_t)sum;
	r[1] = 0x706d7670;              /* "pvmp" */
	r[3] = (uint32_t)(sum >> 32);
}

/* Leaf 1 ecx as offered to (v). */
static uint32_t leaf1_ecx(const struct vcpu *v, uint32_t ecx)
{
	uint64_t xcr0 = fpu_xcr0_max();
	bool osxsave = (hv_vcpu(v)->cr4 & CR4_OSXSAVE) || (xcr0 && !pv_in_user_mode(v));
	return (ecx & (L1_ECX | (xcr0 ? L1_ECX_XSAVE : 0) | (xcr0 & XCR0_YMM ? L1_ECX_AVX : 0))) |
	       (osxsave ? L1_ECX_OSXSAVE : 0) | L1_ECX_HYPERVISOR;
}

/* Leaf 0xd (XSAVE's components), hardware's answer in (r), for (v). */
static void xstate_leaf(const struct vcpu *v, uint32_t sub, uint32_t r[4])
{
	uint64_t max = fpu_xcr0_max(), xcr0 = hv_vcpu(v)->xcr0;
	if (!max || (sub >= 2 && (sub >= 63 || !(max >> sub & 1)))) {
		r[0] = r[1] = r[2] = r[3] = 0;
	} else if (sub == 0) {
		r[0] = (uint32_t)max;
		r[1] = fpu_xsave_size(xcr0, false);
		r[2] = fpu_xsave_size(max, false);
		r[3] = (uint32_t)(max >> 32);
	} else if (sub == 1) {
		r[0] &= XSTATE_1_EAX;
		r[1] = r[0] & XSTATE_1_XSAVEC ? fpu_xsave_size(xcr0, true) : 0;
		r[2] = r[3] = 0;
	}
}

void cpuid_guest(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	r[0] = r[1] = r[2] = r[3] = 0;
	if (leaf == PVMMU_LEAF) {
		pvmmu_counters(v, sub, r);
		return;
	}
	if (leaf - XEN_BASE <= XEN_MAX_LEAF) {
		xen_leaf(v, leaf - XEN_BASE, sub, r);
		return;
	}
	uint32_t max[4];
	pc_cpuid(leaf & 0x80000000u, 0, max);
	if (leaf > max[0] || (leaf >= XEN_BASE && leaf < 0x80000000u))
		return;
	pc_cpuid(leaf, sub, r);
	switch (leaf) {
	case 1:
		r[2] = leaf1_ecx(v, r[2]);
		r[3] &= L1_EDX;
		break;
	case 5: case 6: case 0xa:
		r[0] = r[1] = r[2] = r[3] = 0;
		break;
	case 0xd:
		xstate_leaf(v, sub, r);
		break;
	case 7:
		if (sub == 0) {
			r[0] = 0;
			r[1] &= L7_EBX | (fpu_xcr0_max() & XCR0_YMM ? L7_EBX_AVX2 : 0);
			r[2] &= pc_has_rdtscp() ? L7_ECX_RDPID : 0;
			r[3] = 0;
		} else {
			r[0] = r[1] = r[2] = r[3] = 0;
		}
		break;
	case 0x80000001:
		r[2] &= E1_ECX;
		r[3] &= E1_EDX;
		break;
	default:
		break;
	}
}

/* The CR4 bits the guest may set (pv/emul_priv.c): DE, and OSXSAVE where
 * XSAVE is offered.  Not TSD, which hv would have to apply to guest user
 * mode and does not; FSGSBASE never (the policy hides it). */
uint64_t cpuid_guest_cr4_bits(void)
{
	return 1ull << 3 | (fpu_xcr0_max() ? CR4_OSXSAVE : 0);
}

bool pv_emulate_cpuid(struct vcpu *v, struct regs *r)
{
	static const uint8_t sig[7] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
	uint8_t code[15];
	if (pv_fetch_insn(v, r->rip, code) < sizeof(sig) || memcmp(code, sig, sizeof(sig)))
		return false;
	uint32_t out[4];
	cpuid_guest(v, (uint32_t)r->rax, (uint32_t)r->rcx, out);
	r->rax = out[0];
	r->rbx = out[1];
	r->rcx = out[2];
	r->rdx = out[3];
	pv_retire(v, r, sizeof(sig));
	return true;
}

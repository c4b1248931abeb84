/* SPDX-License-Identifier: MIT */
/*
 * Privileged instructions a PV kernel may use, emulated as Xen's
 * emulate_privileged_op emulates them for a 64-bit PV guest
 * (pv/emul-priv-op.c, msr.c).  The guest kernel runs in ring 3, so each is
 * a #GP(0) first; the bytes are read once, through the guest's own mapping,
 * decoded on the copy (x86/priv.c) and acted on by a handler per
 * instruction.  A handler that refuses leaves every register as it was
 * and the guest takes its #GP.
 *
 *   rdmsr/wrmsr   the MSR policy below
 *   mov cr        cr0 reads the CPU's with the virtual TS; a write may
 *                 change TS alone (fpu_taskswitch).  cr2 is the vcpu_info's.
 *                 cr3 reads the kernel root; a write is NEW_BASEPTR.  cr4
 *                 reads the guest's own bits (TSD, DE, FSGSBASE, OSXSAVE as
 *                 the CPUID policy offers them) with hv's PAE, MCE, OSFXSR
 *                 and OSXMMEXCPT; a write keeps the guest's bits only.
 *   mov dr        the debug registers, as set_debugreg/get_debugreg
 *   clts          fpu_taskswitch(0)
 *   wbinvd        nothing (no guest here owns a device)
 *   xsetbv        XCR0, as x86/fpu.c allows it; #UD unless the guest set
 *                 CR4.OSXSAVE, then #GP in user mode
 *   cli, sti      nothing if the virtual IOPL admits the guest kernel
 *                 (ring 1 to Xen), else #GP: Xen leaves the event mask alone
 *   in, out       if the virtual IOPL admits the guest: reads are all ones
 *                 and writes are dropped (no port is the domain's); else #GP
 *
 * MSRs (Xen's read_msr/write_msr for a domU):
 *   FS_BASE, GS_BASE, SHADOW_GS_BASE  the vCPU's segment bases (pv/mode.c);
 *                 a non-canonical write is #GP
 *   EFER          the CPU's known bits without SVME; a write of that value
 *                 is accepted, any other is #GP
 *   PAT           reads Xen's PAT (0x050100070406)
 *   APIC_BASE     reads enabled at 0xfee00000, BSP on vCPU 0
 *   TSC           reads the TSC
 *   TSC_AUX       the vCPU's own, loaded while it runs (rdtscp), where the
 *                 CPU has rdtscp; wider than 32 bits is #GP
 *   MISC_ENABLE   the CPU's, with Xen's adjustments; writes of that value
 *   PERF_CAPABILITIES  reads 0
 * Every other MSR is #GP, as for a Xen domU without msr_relaxed.  In guest
 * user mode only in, out, cli and sti are emulated (under the IOPL, with
 * user space at ring 3), and xsetbv checked; the rest is user space's #GP.
 */
#include "../../core/domain.h"
#include "../../core/hypercall.h"
#include "../x86/priv.h"
#include "../hv.h"

/* A handler's answer: 1 emulated, 0 the guest's #GP, or: */
#define AGAIN (-1)      /* not yet: the guest runs the instruction again */
#define UD    (-2)      /* the guest's #UD */

#define MSR_TSC            0x00000010u
#define MSR_APIC_BASE      0x0000001bu
#define MSR_MISC_ENABLE    0x000001a0u
#define MSR_PAT            0x00000277u
#define MSR_PERF_CAPS      0x00000345u
#define MSR_SHADOW_GS_BASE MSR_KERNEL_GS

#define XEN_MSR_PAT        0x050100070406ull
#define EFER_SVME          (1ull << 12)
#define EFER_KNOWN         0x21d01ull     /* SCE LME LMA NXE SVME LMSLE FFXSE AUTOIBRS */
#define MISC_PERF_AVAIL    (1ull << 7)
#define MISC_BTS_UNAVAIL   (1ull << 11)
#define MISC_PEBS_UNAVAIL  (1ull << 12)
#define MISC_MONITOR       (1ull << 18)
#define MISC_XTPR_DISABLE  (1ull << 23)

#define CR0_TS             (1ull << 3)
#define CR4_GUEST          ((1ull << 2) | (1ull << 3) | (1ull << 16) | (1ull << 18)) /* TSD DE FSGSBASE OSXSAVE */
#define CR4_VISIBLE        ((1ull << 5) | (1ull << 6) | (1ull << 9) | (1ull << 10))  /* PAE MCE OSFXSR OSXMMEXCPT */

static uint64_t misc_enable(uint64_t v)
{
	return (v & ~(MISC_PERF_AVAIL | MISC_MONITOR)) | MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL | MISC_XTPR_DISABLE;
}

static bool read_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_FS_BASE: case MSR_GS_BASE: case MSR_SHADOW_GS_BASE:
		*val = pv_get_segbase(v, msr == MSR_FS_BASE ? SEGBASE_FS :
					 msr == MSR_GS_BASE ? SEGBASE_GS_KERNEL : SEGBASE_GS_USER);
		return true;
	case MSR_EFER:
		*val = rdmsr(MSR_EFER) & EFER_KNOWN & ~EFER_SVME;
		return true;
	case MSR_PAT:
		*val = XEN_MSR_PAT;
		return true;
	case MSR_APIC_BASE:
		*val = 0xfee00000ull | (1ull << 11) | (v->id ? 0 : 1ull << 8);
		return true;
	case MSR_TSC:
		*val = rdtsc();
		return true;
	case MSR_TSC_AUX:
		*val = hv_vcpu(v)->tsc_aux;
		return pc_has_rdtscp();
	case MSR_MISC_ENABLE:
		if (cpu_rdmsr_safe(msr, val))
			return false;
		*val = misc_enable(*val);
		return true;
	case MSR_PERF_CAPS:
		*val = 0;
		return true;
	default:
		return false;
	}
}

static bool write_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	uint64_t now;
	switch (msr) {
	case MSR_FS_BASE: case MSR_GS_BASE: case MSR_SHADOW_GS_BASE:
		if (!canonical(val))
			return false;
		pv_set_segbase(v, msr == MSR_FS_BASE ? SEGBASE_FS :
				  msr == MSR_GS_BASE ? SEGBASE_GS_KERNEL : SEGBASE_GS_USER, val);
		return true;
	case MSR_EFER:
		return read_msr(v, msr, &now) && now == val;
	case MSR_MISC_ENABLE:
		return read_msr(v, msr, &now) && now == val;
	case MSR_TSC_AUX:
		if (!pc_has_rdtscp() || val != (uint32_t)val)
			return false;
		hv_vcpu(v)->tsc_aux = (uint32_t)val;
		pc_set_tsc_aux((uint32_t)val);
		return true;
	default:
		return false;
	}
}

static int em_wrmsr(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	(void)p;
	return write_msr(v, (uint32_t)r->rcx, (r->rdx << 32) | (uint32_t)r->rax);
}

static int em_rdmsr(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	uint64_t val;
	(void)p;
	if (!read_msr(v, (uint32_t)r->rcx, &val))
		return false;
	r->rax = (uint32_t)val;
	r->rdx = val >> 32;
	return true;
}

uint64_t pv_read_cr0(const struct vcpu *v)
{
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	return (cr0 & ~CR0_TS) | (hv_vcpu(v)->fpu_ts ? CR0_TS : 0);
}

static uint64_t read_cr4(void)
{
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	return cr4;
}

static int em_read_cr(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	uint64_t val;
	switch (p->ctl) {
	case 0: val = pv_read_cr0(v); break;
	case 2: val = pv_vcpu_info(v)->cr2; break;
	case 3: val = mfn_x(v->kernel_root) << PAGE_SHIFT; break;
	case 4: val = hv_vcpu(v)->cr4 | (read_cr4() & CR4_VISIBLE); break;
	default: return false;
	}
	*regs_gpr(r, p->gpr) = val;
	return true;
}

static int em_write_cr(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	uint64_t val = *regs_gpr(r, p->gpr);
	switch (p->ctl) {
	case 0:
		if ((val ^ pv_read_cr0(v)) & ~CR0_TS)
			return false;
		pv_fpu_taskswitch(v, val & CR0_TS);
		return true;
	case 2:
		pv_vcpu_info(v)->cr2 = val;
		return true;
	case 3: {
		long rc = pv_new_baseptr(v, _mfn((val & PTE_ADDR_MASK) >> PAGE_SHIFT));
		return rc == -XEN_ERESTART ? AGAIN : rc == 0;
	}
	case 4:
		hv_vcpu(v)->cr4 = val & CR4_GUEST & cpuid_guest_cr4_bits();
		return true;
	default:
		return false;
	}
}

static int em_read_dr(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	uint64_t val;
	if (pv_get_debugreg(v, p->ctl, &val))
		return false;
	*regs_gpr(r, p->gpr) = val;
	return true;
}

static int em_write_dr(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	return pv_set_debugreg(v, p->ctl, *regs_gpr(r, p->gpr)) == 0;
}

static int em_clts(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	(void)r, (void)p;
	pv_fpu_taskswitch(v, false);
	return true;
}

static int em_nothing(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	(void)v, (void)r, (void)p;
	return true;
}

/* Does the virtual IOPL admit the guest's mode (the kernel counts as ring
 * 1, as Xen counts it, or ring 0 with vm_assist architectural_iopl)? */
static bool iopl_ok(const struct vcpu *v)
{
	bool arch = hv_domain(v->d)->vm_assist >> VMASST_TYPE_architectural_iopl & 1;
	unsigned cpl = pv_in_user_mode(v) ? 3 : arch ? 0 : 1;
	return ((uint64_t)cpl << 12) <= hv_vcpu(v)->iopl;
}

static int em_cli_sti(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	(void)r, (void)p;
	return iopl_ok(v);
}

static int em_in(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	if (!iopl_ok(v))
		return false;
	if (p->bytes == 4)
		r->rax = 0xffffffffull;         /* a 32-bit result zero-extends */
	else
		r->rax |= p->bytes == 2 ? 0xffffull : 0xffull;
	return true;
}

static int em_out(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	(void)r, (void)p;
	return iopl_ok(v);
}

/* #UD unless the guest's own CR4 has OSXSAVE, then only in its kernel, as
 * Xen's x86_emulate checks xsetbv. */
static int em_xsetbv(struct vcpu *v, struct regs *r, const struct priv_insn *p)
{
	(void)p;
	if (!(hv_vcpu(v)->cr4 & CR4_OSXSAVE))
		return UD;
	return !pv_in_user_mode(v) && pv_xsetbv(v, (uint32_t)r->rcx, r->rdx << 32 | (uint32_t)r->rax) == 0;
}

typedef int (*emulate_fn)(struct vcpu *v, struct regs *r, const struct priv_insn *p);

static const emulate_fn handlers[] = {
	[PRIV_WRMSR] = em_wrmsr,      [PRIV_RDMSR] = em_rdmsr,
	[PRIV_CLTS] = em_clts,        [PRIV_WBINVD] = em_nothing,
	[PRIV_READ_CR] = em_read_cr,  [PRIV_WRITE_CR] = em_write_cr,
	[PRIV_READ_DR] = em_read_dr,  [PRIV_WRITE_DR] = em_write_dr,
	[PRIV_CLI] = em_cli_sti,      [PRIV_STI] = em_cli_sti,
	[PRIV_IN] = em_in,            [PRIV_OUT] = em_out,
	[PRIV_XSETBV] = em_xsetbv,
};

unsigned pv_emulate_priv(struct vcpu *v, struct regs *r)
{
	uint8_t code[15];
	struct priv_insn p;
	if (r->error || priv_decode(code, pv_fetch_insn(v, r->rip, code), &p))
		return 13;
	bool io = p.op == PRIV_IN || p.op == PRIV_OUT || p.op == PRIV_CLI || p.op == PRIV_STI;
	if (pv_in_user_mode(v) && !io && p.op != PRIV_XSETBV)
		return 13;              /* user space: only what the virtual IOPL may allow */
	struct regs before = *r;
	int rc = handlers[p.op](v, r, &p);
	if (rc == 0 || rc == UD) {
		*r = before;
		return rc == UD ? 6 : 13;
	}
	if (rc != AGAIN)
		pv_retire(v, r, p.len);
	return 0;
}

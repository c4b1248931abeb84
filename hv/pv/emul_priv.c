/* SPDX-License-Identifier: MIT */
/*
 * Privileged instructions a PV kernel may use, emulated as Xen emulates
 * them for a 64-bit PV guest (emul-priv-op.c, msr.c).  The guest kernel
 * runs in ring 3, so each one is a #GP(0) first; we read the instruction's
 * bytes once, through the guest's own mapping, and act on the copy.
 *
 *   rdmsr/wrmsr of MSR_TSC_AUX: the vCPU's own value, which hv loads when
 *   the vCPU runs (so rdtscp returns it), 0 until the guest writes it;
 *   refused with #GP where the CPU has no rdtscp, or for a value wider
 *   than 32 bits, as Xen does.
 *
 * Anything else is not emulated: the guest takes its #GP.
 */
#include "../hv.h"

/* wrmsr / rdmsr of one MSR on vCPU (v) with the guest's edx:eax: true if
 * emulated. */
static bool write_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	if (msr != MSR_TSC_AUX || !pc_has_rdtscp() || val != (uint32_t)val)
		return false;
	hv_vcpu(v)->tsc_aux = (uint32_t)val;
	pc_set_tsc_aux((uint32_t)val);
	return true;
}

static bool read_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (msr != MSR_TSC_AUX || !pc_has_rdtscp())
		return false;
	*val = hv_vcpu(v)->tsc_aux;
	return true;
}

bool pv_emulate_priv(struct vcpu *v, struct regs *r)
{
	uint8_t insn[2];
	uint64_t val;
	if (r->error || env_copy_from_guest(v, insn, r->rip, sizeof(insn)) || insn[0] != 0x0f)
		return false;
	if (insn[1] == 0x30) {
		if (!write_msr(v, (uint32_t)r->rcx, (r->rdx << 32) | (uint32_t)r->rax))
			return false;
	} else if (insn[1] == 0x32) {
		if (!read_msr(v, (uint32_t)r->rcx, &val))
			return false;
		r->rax = (uint32_t)val;
		r->rdx = val >> 32;
	} else {
		return false;
	}
	r->rip += 2;
	return true;
}

/* SPDX-License-Identifier: MIT */
/*
 * The software x86-64 MMU: a 4-level walk from the vCPU's kernel root with
 * the hardware's present, RW, US and NX checks (CR0.WP and EFER.NXE set), setting A on
 * every entry used and D on the leaf of a write; and a per-vCPU TLB of
 * final translations that stays as it is, stale or not, until a flush.
 *
 * Every access of a PV guest is a ring-3 access: a 64-bit PV kernel runs in
 * ring 3, so supervisor-only mappings (the hypervisor's area) fault.  A
 * native guest runs in ring 0 from its own cr3 (native_root).
 */
#include "../core/ptwr.h"
#include "sim.h"

static struct tlb_entry *tlb_slot(struct sim_vcpu *sv, uint64_t vpn)
{
	return &sv->tlb[vpn % SIM_TLB_SIZE];
}

static enum sim_fault walk(struct sim_vcpu *sv, uint64_t va, enum sim_access acc, struct tlb_entry *out)
{
	mfn_t t = sv->native ? sv->native_root : sv->v->kernel_root;
	bool rw = true, us = true, nx = false, write = acc == SIM_WRITE;
	unsigned level;
	_Atomic uint64_t *p = NULL;

	if (!va_canonical(va) || mfn_eq(t, INVALID_MFN))
		return SIM_FAULT_NP;
	for (level = 4; level >= 1; level--) {
		p = &((_Atomic uint64_t *)env_frame(t))[pt_index(va, level)];
		uint64_t e = atomic_load(p);
		if (!pte_present(e))
			return SIM_FAULT_NP;
		rw = rw && (e & PTE_RW);
		us = us && (e & PTE_US);
		nx = nx || (e & PTE_NX);
		if (!(e & PTE_A))
			atomic_fetch_or(p, PTE_A);
		t = pte_mfn(e);
		if ((level == 2 || level == 3) && (e & PTE_PSE)) {
			uint64_t pages = 1ull << (9 * (level - 1));
			t = _mfn((mfn_x(t) & ~(pages - 1)) + ((va >> PAGE_SHIFT) & (pages - 1)));
			break;
		}
	}
	if ((!us && !sv->native) || (acc == SIM_FETCH && nx))
		return SIM_FAULT_PROT;
	if (write && !rw)
		return SIM_FAULT_RO;
	if (write)
		atomic_fetch_or(p, PTE_D);
	*out = (struct tlb_entry){ va >> PAGE_SHIFT, t, true, rw, nx, write };
	return SIM_OK;
}

enum sim_fault sim_translate(struct sim_vcpu *sv, uint64_t va, enum sim_access acc, mfn_t *mfn)
{
	uint64_t vpn = va >> PAGE_SHIFT;
	enum sim_fault f = SIM_OK;

	pthread_mutex_lock(&sv->lock);
	struct tlb_entry *e = tlb_slot(sv, vpn);
	bool hit = e->valid && e->vpn == vpn && (acc != SIM_WRITE || (e->rw && e->dirty)) &&
		   (acc != SIM_FETCH || !e->nx);
	if (!hit) {
		/* A miss walks; so does an access the entry cannot take, as
		 * the hardware does before it raises #PF (dropping the entry). */
		struct tlb_entry fresh;
		f = walk(sv, va, acc, &fresh);
		if (f == SIM_OK)
			*e = fresh;
		else if (e->vpn == vpn)
			e->valid = false;
	}
	if (f == SIM_OK)
		*mfn = e->mfn;
	pthread_mutex_unlock(&sv->lock);
	return f;
}

static _Atomic uint64_t *word_at(struct sim *s, mfn_t mfn, uint64_t va)
{
	return (_Atomic uint64_t *)(s->mem + mfn_x(mfn) * PAGE_SIZE + (va & (PAGE_SIZE - 1)));
}

enum sim_fault sim_load(struct sim *s, struct sim_vcpu *sv, uint64_t va, uint64_t *val)
{
	mfn_t mfn;
	enum sim_fault f = sim_translate(sv, va, SIM_READ, &mfn);
	if (f == SIM_OK)
		*val = atomic_load(word_at(s, mfn, va));
	return f;
}

/* The writable-pagetable path; an emulation that ran out of budget is
 * resumed by running the store again, as the guest would. */
static long emulate(struct vcpu *v, uint64_t va, uint64_t val)
{
	long rc;
	do
		rc = ptwr_emulate(v, va, val, 8, NULL);
	while (rc == -XEN_ERESTART);
	return rc;
}

enum sim_fault sim_store(struct sim *s, struct sim_vcpu *sv, uint64_t va, uint64_t val)
{
	mfn_t mfn;
	enum sim_fault f = sim_translate(sv, va, SIM_WRITE, &mfn);
	if (f == SIM_OK)
		atomic_store(word_at(s, mfn, va), val);
	else if (f == SIM_FAULT_RO && !sv->native && emulate(sv->v, va, val) == 0)
		f = SIM_OK;
	return f;
}

/* SPDX-License-Identifier: MIT */
/*
 * Stores into the guest's own pagetables.  A guest kernel writes an entry
 * of one of its live tables through the read-only mapping it has of it (as
 * Linux's set_pte and friends do); the write fault comes here.  The
 * instruction is copied in once (up to 15 bytes, as far as they can be
 * read), decoded (x86/insn.c) and applied to a copy of the registers and
 * the entry's old value; what it would store goes to core's
 * writable-pagetable emulation (core/ptwr.c), which applies it with every
 * check mmu_update makes.  Only when that succeeds do the registers, the
 * flags and rip take what the instruction leaves, as the CPU would; a
 * refusal is the guest's page fault.  A single step (TF) after it is the
 * guest's debug trap, as Xen's emulator raises it.  The update is atomic
 * to every CPU as the instruction would be: core stores only if the entry
 * still holds what the instruction read (and the rest of the entry what
 * the store was merged into), and if not, rip stays on the instruction and
 * the guest runs it again on the entry as it is now.
 */
#include "../../core/frame.h"
#include "../../core/ptwr.h"
#include "../x86/insn.h"
#include "../hv.h"

/* Is (va) mapped, for vCPU (v), onto one of the machine's live pagetables?
 * (A copy-on-write fault, say, is not: it goes to the guest unreported.) */
static bool on_pagetable(struct vcpu *v, uint64_t va)
{
	uint64_t pa;
	return !mem_translate(v, va, false, &pa) &&
	       fw_live_table(frame_word(&machine, _mfn(pa >> PAGE_SHIFT)));
}

/* The registers in the hardware's numbering, and back: unrolled, as this
 * is on every emulated store (under TCG each loop step is a block). */
static void gpr_from(struct regs *r, uint64_t g[GPR_NR])
{
#pragma GCC unroll 16
	for (unsigned i = 0; i < GPR_NR; i++)
		g[i] = *regs_gpr(r, i);
}

static void gpr_to(struct regs *r, const uint64_t g[GPR_NR])
{
#pragma GCC unroll 16
	for (unsigned i = 0; i < GPR_NR; i++)
		*regs_gpr(r, i) = g[i];
}

bool pv_ptwr_fault(struct vcpu *v, struct regs *r, uint64_t cr2)
{
	uint8_t code[INSN_MAX_LEN];
	struct insn in;
	uint64_t old = 0, value, g[GPR_NR], rflags = r->rflags;

	if (!on_pagetable(v, cr2) || insn_decode(code, pv_fetch_insn(v, r->rip, code), &in) ||
	    cr2 % in.bytes || env_copy_from_guest(v, &old, cr2, in.bytes))
		return false;
	gpr_from(r, g);
	if (insn_apply(&in, old, g, &rflags, &value)) {
		v->reason = NULL;
		long rc = ptwr_emulate(v, cr2, value, in.bytes, in.op == INSN_MOV ? NULL : &old);
		if (rc == -XEN_ERESTART || rc == -XEN_EAGAIN)
			return true;            /* it resumes, or reads again, when the guest runs it again */
		if (rc) {
			hv_report(v, "pagetable store at", cr2, rc);
			return false;
		}
	}
	gpr_to(r, g);
	r->rflags = rflags;
	pv_retire(v, r, in.len);
	return true;
}

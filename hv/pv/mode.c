/* SPDX-License-Identifier: MIT */
/*
 * A PV vCPU's two modes, its segment state and its roots, as Xen keeps
 * them for a 64-bit PV guest.
 *
 * Kernel and user mode.  Both run in ring 3; hv tells them apart (Xen's
 * TF_kernel_mode).  Each has its root: the kernel's (NEW_BASEPTR) and the
 * user's (NEW_USER_BASEPTR), in which the guest kernel maps no kernel
 * memory.  The guest goes to user mode only by an iret whose frame has a
 * cs of RPL 3 (pv/iret.c), which needs a user root; it comes back to
 * kernel mode on every entry from user space: a syscall (to its syscall
 * callback), an exception, an interrupt or an upcall, each on the kernel
 * stack stack_switch named (traps.c, pv_bounce_to).  A toggle swaps the
 * GS bases and loads the new mode's root at once, so the bounce frame is
 * written through the kernel's own mappings.
 *
 * Segment bases.  The FS base is the CPU's (MSR_FS_BASE); hv never uses fs.
 * The guest has two GS bases, the kernel's and the user's; the one of the
 * mode it is in is active.  In ring 0 entry.S has swapped gs, so the
 * running guest's active GS base sits in MSR_KERNEL_GS and the inactive
 * one in hv_vcpu.seg.  The guest reaches them with set_segment_base and
 * the FS_BASE, GS_BASE and SHADOW_GS_BASE MSRs (pv/emul_priv.c); in kernel
 * mode GS_KERNEL is the active one, GS_USER the inactive one.
 * SEGBASE_GS_USER_SEL loads a selector into gs for user space, whose base
 * becomes the user's (a selector that cannot be loaded loads the null
 * selector, as Xen's fixup does).
 *
 * On a switch between vCPUs (sched.c) the data selectors ds, es, fs, gs
 * and the bases go with the vCPU; a selector the GDT no longer has is
 * loaded as null.  Loading fs or gs writes their base, so the bases are
 * written after the selectors, and hv's own GS base (this CPU's struct
 * pcpu) is put back.
 *
 * The kernel root: NEW_BASEPTR's work (core's hc_set_root) for a mov to
 * cr3, in count mode and with queued devalidation done first, as any
 * hypercall; -XEN_ERESTART if it must be continued (the instruction runs
 * again).
 */
#include "../../core/domain.h"
#include "../../core/hypercall.h"
#include "../../core/preempt.h"
#include "../../core/pt.h"
#include "../../core/tlb.h"
#include "../../core/desc.h"
#include "../hv.h"

void pv_toggle_mode(struct vcpu *v)
{
	struct hv_vcpu *h = hv_vcpu(v);
	uint64_t active = rdmsr(MSR_KERNEL_GS);
	if (h->user_mode) {
		h->seg.gs_base_user = active;
		wrmsr(MSR_KERNEL_GS, h->seg.gs_base_kernel);
	} else {
		h->seg.gs_base_kernel = active;
		wrmsr(MSR_KERNEL_GS, h->seg.gs_base_user);
	}
	h->user_mode = !h->user_mode;
	mem_load_guest_root(v, pv_root(v));
	if (!h->user_mode && h->runstate_pending)
		sched_runstate_copy(v);
}

/* stack_switch(ss, sp): the kernel stack an entry from user mode uses. */
long do_stack_switch(struct vcpu *v, const uint64_t a[6])
{
	hv_vcpu(v)->kernel_ss = (uint16_t)a[0] | 3;
	hv_vcpu(v)->kernel_sp = a[1];
	return 0;
}

/* The GS base slot (which) of the running vCPU (v) lives in the CPU now
 * (MSR_KERNEL_GS, in ring 0) rather than in hv_vcpu.seg. */
static bool gs_live(const struct vcpu *v, unsigned which)
{
	return (which == SEGBASE_GS_USER) == pv_in_user_mode(v);
}

uint64_t pv_get_segbase(const struct vcpu *v, unsigned which)
{
	const struct seg_state *s = &hv_vcpu(v)->seg;
	if (which == SEGBASE_FS)
		return rdmsr(MSR_FS_BASE);
	if (gs_live(v, which))
		return rdmsr(MSR_KERNEL_GS);
	return which == SEGBASE_GS_USER ? s->gs_base_user : s->gs_base_kernel;
}

void pv_set_segbase(struct vcpu *v, unsigned which, uint64_t base)
{
	struct seg_state *s = &hv_vcpu(v)->seg;
	if (which == SEGBASE_FS)
		wrmsr(MSR_FS_BASE, base);
	else if (gs_live(v, which))
		wrmsr(MSR_KERNEL_GS, base);
	else if (which == SEGBASE_GS_USER)
		s->gs_base_user = base;
	else
		s->gs_base_kernel = base;
}

/* Load (sel) into segment register (seg), or the null selector if the CPU
 * refuses it (the exception table's fixup); (sel) becomes what was loaded. */
#define LOAD_SEG(seg, sel)                                              \
	__asm__ volatile("1: mov %w0, %%" seg "\n"                      \
			 "2:\n"                                         \
			 ".pushsection .text.fixup, \"ax\"\n"           \
			 "3: xor %k0, %k0\n\t"                          \
			 "mov %w0, %%" seg "\n\t"                       \
			 "jmp 2b\n"                                     \
			 ".popsection\n"                                \
			 ".pushsection .extable, \"a\"\n"               \
			 ".quad 1b, 3b\n"                               \
			 ".popsection"                                  \
			 : "+r"(sel) :: "memory")

/* Load (sel) into gs as LOAD_SEG does, and the base that gives into
 * (*base) if not NULL; hv's own GS base comes back.  The selector loaded. */
static uint16_t load_gs(uint16_t sel, uint64_t *base)
{
	uint64_t mine = rdmsr(MSR_GS_BASE);
	LOAD_SEG("gs", sel);
	if (base)
		*base = rdmsr(MSR_GS_BASE);
	wrmsr(MSR_GS_BASE, mine);
	return sel;
}

long do_set_segment_base(struct vcpu *v, const uint64_t a[6])
{
	unsigned which = (unsigned)a[0];
	uint64_t base = a[1];
	switch (which) {
	case SEGBASE_FS:
	case SEGBASE_GS_USER:
	case SEGBASE_GS_KERNEL:
		if (!canonical(base))
			return -XEN_EINVAL;
		pv_set_segbase(v, which, base);
		return 0;
	case SEGBASE_GS_USER_SEL: {
		uint16_t sel = (uint16_t)base;
		/* a null selector after a flat one: a zero base on every vendor */
		if (sel > 3)
			sel |= 3;
		else
			load_gs(FLAT_USER_DS64, NULL);
		hv_vcpu(v)->seg.gs = load_gs(sel, &hv_vcpu(v)->seg.gs_base_user);
		return 0;
	}
	default:
		return -XEN_EINVAL;
	}
}

void pv_seg_save(struct vcpu *v)
{
	struct seg_state *s = &hv_vcpu(v)->seg;
	__asm__ volatile("mov %%ds, %0\n\tmov %%es, %1\n\tmov %%fs, %2\n\tmov %%gs, %3"
			 : "=r"(s->ds), "=r"(s->es), "=r"(s->fs), "=r"(s->gs));
	s->fs_base = rdmsr(MSR_FS_BASE);
	if (pv_in_user_mode(v))
		s->gs_base_user = rdmsr(MSR_KERNEL_GS);
	else
		s->gs_base_kernel = rdmsr(MSR_KERNEL_GS);
}

bool pv_seg_load(struct vcpu *v, uint16_t asked[4])
{
	struct seg_state *s = &hv_vcpu(v)->seg;
	asked[0] = s->ds, asked[1] = s->es, asked[2] = s->fs, asked[3] = s->gs;
	LOAD_SEG("ds", s->ds);
	LOAD_SEG("es", s->es);
	LOAD_SEG("fs", s->fs);
	s->gs = load_gs(s->gs, NULL);
	wrmsr(MSR_FS_BASE, s->fs_base);
	wrmsr(MSR_KERNEL_GS, pv_in_user_mode(v) ? s->gs_base_user : s->gs_base_kernel);
	return s->ds == asked[0] && s->es == asked[1] && s->fs == asked[2] && s->gs == asked[3];
}

long pv_new_baseptr(struct vcpu *v, mfn_t mfn)
{
	long rc = 0;
	preempt_start(v);
	dom_shared_enter(v);
	if (!pt_demote_run(v))
		rc = -XEN_ERESTART;
	else if (!mfn_eq(mfn, v->kernel_root) && !(rc = hc_set_root(v, &v->kernel_root, mfn)))
		desc_destroy_ldt(v, v);         /* as Xen's new_guest_cr3 */
	if (!rc)
		tlb_flush_for(v, v);
	dom_shared_exit(v);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The guest kernel's side of exceptions: set_trap_table fills the virtual
 * IDT its exceptions are bounced through (traps.c), and the iret
 * hypercall returns from a bounce frame, as Xen's do_iret and
 * do_set_trap_table do.
 *
 * iret takes every register the frame holds: rip, cs and ss with RPL 3
 * forced, rflags without IOPL or VM and with IF (the virtual IF goes to the
 * upcall mask), rsp; rcx and r11 too unless the frame says it came from a
 * syscall (VGCF_in_syscall), which lets the way out use sysretq, with
 * hv's flat 64-bit selectors whatever cs and ss the frame names, as Xen
 * returns (a 32-bit frame, FLAT_USER_CS32, by iretq).  It
 * returns the frame's rax as its result, whatever it is, and ends a
 * multicall.  A frame with a user cs (RPL 3) goes to guest user mode
 * (pv/mode.c), which needs a user root: without one the domain is
 * crashed, as Xen crashes it.  With vm_assist architectural_iopl the
 * frame's IOPL becomes the virtual IOPL.
 * Anything iret leaves that hv cannot return to is checked on the way out
 * (traps.c, hv_exit).
 */
#include "../../core/domain.h"
#include "../../core/preempt.h"
#include "../hv.h"

long do_iret(struct vcpu *v, const uint64_t a[6])
{
	struct regs *r = hv_vcpu(v)->frame;
	struct iret_context c;
	(void)a;
	v->mc_stop = true;
	if (env_copy_from_guest(v, &c, r->rsp, sizeof(c))) {
		domain_crash(v->d, "iret with an unreadable frame");
		return 0;
	}
	if ((c.cs & 3) == 3) {
		if (mfn_eq(v->user_root, INVALID_MFN)) {
			domain_crash(v->d, "iret to user mode with no user pagetables");
			return 0;
		}
		if (!pv_in_user_mode(v))
			pv_toggle_mode(v);
	}
	if (hv_domain(v->d)->vm_assist >> VMASST_TYPE_architectural_iopl & 1)
		hv_vcpu(v)->iopl = c.rflags & RFLAGS_IOPL;
	r->rip = c.rip;
	r->cs = (uint16_t)(c.cs | 3);       /* cs and ss are 16-bit fields in Xen's frame */
	r->rflags = (c.rflags & ~(RFLAGS_IOPL | RFLAGS_VM)) | RFLAGS_IF;
	r->rsp = c.rsp;
	r->ss = (uint16_t)(c.ss | 3);
	if (!(c.flags & VGCF_in_syscall)) {
		r->vector = 0;          /* every register as the frame says: back by iretq */
		r->r11 = c.r11;
		r->rcx = c.rcx;
	}
	pv_vcpu_info(v)->evtchn_upcall_mask = !(c.rflags & RFLAGS_IF);
	return (long)c.rax;
}

/* set_trap_table(traps): install handlers until one with a zero address;
 * NULL clears them all.  The list may be as long as the guest likes (an
 * entry names its vector, later ones win): it is read in slices. */
long do_set_trap_table(struct vcpu *v, const uint64_t a[6])
{
	struct hv_vcpu *h = hv_vcpu(v);
	uint64_t at = a[0];
	if (!at) {
		memset(h->traps, 0, sizeof(h->traps));
		return 0;
	}
	for (;; at += sizeof(struct trap_info)) {
		struct trap_info t;
		if (preempt_due(v))
			return preempt_continue(v, HYPERVISOR_set_trap_table, at, 0, 0, 0);
		preempt_spend(v, 16);
		if (env_copy_from_guest(v, &t, at, sizeof(t)))
			return -XEN_EFAULT;
		if (!t.address)
			return 0;
		if (!canonical(t.address))
			return -XEN_EINVAL;
		t.cs |= 3;
		h->traps[t.vector] = t;
	}
}

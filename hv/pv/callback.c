/* SPDX-License-Identifier: MIT */
/*
 * The guest kernel's entry points for what is not an exception, as Xen
 * keeps them per vCPU (x86/pv/callback.c):
 *
 *   callback_op(CALLBACKOP_register, {type, flags, address})
 *     event     the upcall: events are pending and not masked
 *     failsafe  where a return to the guest that cannot load its segments
 *               goes (recorded: hv's returns load no guest segment)
 *     syscall   guest user space's syscall (flags: CALLBACKF_mask_events)
 *     syscall32, sysenter  recorded (no 32-bit user space runs here)
 *     nmi       accepted, never raised (no NMIs reach a guest here)
 *   a non-canonical address is -EINVAL; other types -ENOSYS
 *   callback_op(CALLBACKOP_unregister, {type}): nmi 0; event, failsafe,
 *     syscall -EINVAL (they cannot be taken away); others -ENOSYS
 *   set_callbacks(event, failsafe, syscall): all three at once
 *
 * The upcall is delivered on every way back to the guest (traps.c,
 * hv_exit), when evtchn_upcall_pending is set and evtchn_upcall_mask is
 * not: a frame as for an exception without error code, events masked, as
 * Xen's bounce with TBF_INTERRUPT.  The guest's iret unmasks them again
 * (pv/iret.c).  An upcall due with no event callback set crashes the
 * domain, as Xen's create_bounce_frame does with a bounce to address 0.
 */
#include "../hv.h"


static long register_callback(struct vcpu *v, uint32_t type, uint32_t flags, uint64_t address)
{
	struct hv_vcpu *h = hv_vcpu(v);
	if (!canonical(address))
		return -XEN_EINVAL;
	switch (type) {
	case CALLBACKTYPE_event:
		h->event_callback = address;
		return 0;
	case CALLBACKTYPE_failsafe:
		h->failsafe_callback = address;
		return 0;
	case CALLBACKTYPE_syscall:
		h->syscall_callback = address;
		h->syscall_masks = flags & CALLBACKF_mask_events;
		return 0;
	case CALLBACKTYPE_syscall32:
	case CALLBACKTYPE_sysenter:
	case CALLBACKTYPE_nmi:
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

long do_callback_op(struct vcpu *v, const uint64_t a[6])
{
	struct callback_register cb;
	switch ((int)a[0]) {
	case CALLBACKOP_register:
		if (env_copy_from_guest(v, &cb, a[1], sizeof(cb)))
			return -XEN_EFAULT;
		return register_callback(v, cb.type, cb.flags, cb.address);
	case CALLBACKOP_unregister:
		if (env_copy_from_guest(v, &cb, a[1], 4))
			return -XEN_EFAULT;
		return cb.type == CALLBACKTYPE_nmi ? 0 :
		       cb.type <= CALLBACKTYPE_syscall ? -XEN_EINVAL : -XEN_ENOSYS;
	default:
		return -XEN_ENOSYS;
	}
}

long do_set_callbacks(struct vcpu *v, const uint64_t a[6])
{
	if (!canonical(a[0]) || !canonical(a[1]) || !canonical(a[2]))
		return -XEN_EINVAL;
	struct hv_vcpu *h = hv_vcpu(v);
	h->event_callback = a[0];
	h->failsafe_callback = a[1];
	h->syscall_callback = a[2];
	h->syscall_masks = false;
	return 0;
}

void pv_deliver_events(struct vcpu *v, struct regs *r)
{
	struct vcpu_info *vi = pv_vcpu_info(v);
	uint64_t callback = hv_vcpu(v)->event_callback;
	if (!vi->evtchn_upcall_pending || vi->evtchn_upcall_mask)
		return;
	if (pv_bounce_to(v, r, callback, true, false, 0))
		hv_crash_guest(v, callback ? "an event upcall its stack cannot take" :
			       "an event upcall due, and no event callback");
}

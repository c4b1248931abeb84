/* SPDX-License-Identifier: MIT */
/*
 * sched_op, and each vCPU's runstate.
 *
 * A vCPU runs if it is up and not blocked.  SCHEDOP_block unmasks its
 * events and blocks it unless an upcall is already pending; SCHEDOP_poll
 * blocks it until an event is sent to any port or its timeout passes (a
 * spurious wake-up is allowed: the guest looks at its ports again), and
 * not at all while an upcall is pending and unmasked, as Xen.  Both
 * decide under the scheduler's lock (sched.c, sched_block), so an event
 * sent from another CPU meanwhile is never lost.  yield asks for a choice
 * on the way out; shutdown ends the domain after the hypercall.
 *
 * The runstate (running, runnable, blocked, offline, and the time in each)
 * is kept as Xen keeps it, changed by the CPU that runs the vCPU or, while
 * it runs nowhere, under the scheduler's lock, and copied to the guest
 * where it asked (VCPUOP_register_runstate_memory_area) by the CPU that
 * runs it, through its own mappings: as it is switched out, and in again.
 * A copy for a vCPU that runs elsewhere or nowhere waits until it runs; one
 * in user mode, where its kernel's address is not mapped, until it next
 * enters its kernel.
 */
#include "../hv.h"

#define VMASST_TYPE_runstate_update_flag 5u
#define XEN_RUNSTATE_UPDATE (1ull << 63)

void sched_runstate(struct vcpu *v, int state)
{
	struct hv_vcpu *h = hv_vcpu(v);
	struct runstate *rs = &h->runstate;
	uint64_t now = time_now();
	if (now > rs->entry_time)
		rs->time[rs->state] += now - rs->entry_time;
	rs->entry_time = now;
	rs->state = state;
	sched_runstate_copy(v);
}

void sched_runstate_copy(struct vcpu *v)
{
	struct hv_vcpu *h = hv_vcpu(v);
	struct runstate copy = h->runstate;
	bool flag = hv_domain(v->d)->vm_assist >> VMASST_TYPE_runstate_update_flag & 1;
	uint64_t marked = copy.entry_time | XEN_RUNSTATE_UPDATE;
	if (!h->runstate_area)
		return;
	/* only through the vCPU's own mappings, loaded here, as Xen copies it
	 * at a switch: a walk of the tables of a vCPU that runs elsewhere, or
	 * of no loaded root, could write a frame another CPU has just made a
	 * pagetable.  So a vCPU not running here gets its copy when it next
	 * runs; one in user mode, where the kernel's address may not be
	 * mapped, when it next enters its kernel (pv/mode.c) */
	if (this_vcpu() != v || read_cr3() >> PAGE_SHIFT != mfn_x(v->kernel_root)) {
		h->runstate_pending = true;
		return;
	}
	h->runstate_pending = (flag && env_copy_to_guest(v, h->runstate_area + 8, &marked, 8)) ||
			      env_copy_to_guest(v, h->runstate_area, &copy, sizeof(copy));
}

static bool upcall_pending(struct vcpu *v, const void *arg)
{
	(void)arg;
	return pv_vcpu_info(v)->evtchn_upcall_pending;
}

/* SCHEDOP_block: events unmasked; block unless one is already pending. */
static long block(struct vcpu *v)
{
	pv_vcpu_info(v)->evtchn_upcall_mask = 0;
	sched_block(v, false, 0, upcall_pending, NULL);
	return 0;
}

#define POLL_MAX 128u
struct poll_ports {
	uint32_t n, port[POLL_MAX];
};

static bool pending(const struct vcpu *v, uint32_t port)
{
	const struct shared_info *s = maddr_virt(hv_domain(v->d)->shared_info);
	return __atomic_load_n(&s->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) >> (port % 64) & 1;
}

static bool port_pending(struct vcpu *v, const void *arg)
{
	const struct poll_ports *p = arg;
	for (uint32_t i = 0; i < p->n; i++)
		if (pending(v, p->port[i]))
			return true;
	return false;
}

/* SCHEDOP_poll({ports, nr_ports, timeout}): block until an event or the
 * timeout (system time; 0: none), unless an upcall is pending and unmasked
 * or a port named is pending. */
static long poll(struct vcpu *v, uint64_t arg)
{
	struct { uint64_t ports; uint32_t nr_ports, pad; uint64_t timeout; } p;
	struct poll_ports ports;
	const volatile struct vcpu_info *info = pv_vcpu_info(v);
	if (env_copy_from_guest(v, &p, arg, sizeof(p)))
		return -XEN_EFAULT;
	if (p.nr_ports > POLL_MAX)
		return -XEN_EINVAL;
	if (!guest_addr_ok(p.ports))
		return -XEN_EFAULT;
	/* as Xen (local_events_need_delivery): an upcall on its way to the
	 * guest ends the poll before its ports are looked at */
	if (info->evtchn_upcall_pending && !info->evtchn_upcall_mask)
		return 0;
	ports.n = p.nr_ports;
	for (uint32_t i = 0; i < p.nr_ports; i++) {
		if (env_copy_from_guest(v, &ports.port[i], p.ports + i * 4, 4))
			return -XEN_EFAULT;
		if (ports.port[i] >= EVTCHN_PORTS)
			return -XEN_EINVAL;
		if (pending(v, ports.port[i]))
			return 0;       /* as Xen: the ports after it are not looked at */
	}
	if (p.timeout && p.timeout <= time_now())
		return 0;
	sched_block(v, true, p.timeout, port_pending, &ports);
	return 0;
}

/* sched_op(cmd, arg). */
long do_sched_op(struct vcpu *v, const uint64_t a[6])
{
	struct sched_shutdown s;
	switch ((uint32_t)a[0]) {
	case SCHEDOP_yield:
		sched_yield();
		return 0;
	case SCHEDOP_block:
		return block(v);
	case SCHEDOP_poll:
		return poll(v, a[1]);
	case SCHEDOP_shutdown:
		if (env_copy_from_guest(v, &s, a[1], sizeof(s)))
			return -XEN_EFAULT;
		hv_domain(v->d)->shutdown_reason = (uint8_t)s.reason;
		hv_domain(v->d)->shutting_down = true;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

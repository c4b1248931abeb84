/* SPDX-License-Identifier: MIT */
/*
 * Hostile modes against event channels, timers and the runstate area, each
 * answer as Xen 4.17 gives it:
 *
 *   evtchn     ports taken until there are none (-ENOSPC, and every one
 *              closes again); port numbers out of range for every
 *              operation; VIRQs bound twice, global ones off vCPU 0, on
 *              vCPUs the domain lacks; a port bound to another of its own
 *              (loopback) starts pending, sends to its peer, and leaves it
 *              unbound when closed; bind_vcpu where Xen refuses it
 *   timers     periodic timers at and beyond their limits (1 ms, 2^62 - 1
 *              ns), on another vCPU; single-shot ones only on the caller;
 *              SCHEDOP_poll with too many ports, a list in the hypervisor's
 *              range, a port out of range, a port pending, a timeout past,
 *              an upcall pending and unmasked (back at once)
 *   runstate   an area in the hypervisor's range (-EFAULT), one that runs
 *              into the non-canonical hole (taken: Xen checks only where it
 *              starts), one on an unmapped page (taken, written once a
 *              page is there); a page mapped read-only there is not
 *              written, and a frame that was there and is now a pinned L1
 *              is never written: the copy goes through the guest's
 *              mappings at each switch, never a frame remembered
 */
#include "attacks.h"

#define STAT_UNBOUND     1
#define STAT_INTERDOMAIN 2
#define VIRQ_DEBUG   1u
#define VIRQ_CONSOLE 2u
#define NO_VCPU      attack_vcpus   /* the first it lacks */
#define DOWN_VCPU    2u             /* never brought up by this mode */

static uint32_t ev[6];

static long evtchn(unsigned cmd, uint32_t a, uint32_t b)
{
	ev[0] = a, ev[1] = b, ev[2] = ev[3] = ev[4] = ev[5] = 0;
	return xen_hypercall(HYPERVISOR_event_channel_op, cmd, (uintptr_t)ev, 0, 0, 0);
}

/* A new unbound port of ours (0 if none could be had). */
static uint32_t unbound(void)
{
	return evtchn(EVTCHNOP_alloc_unbound, DOMID_SELF | DOMID_SELF << 16, 0) ? 0 : ev[1];
}

static bool pending(uint32_t p)
{
	return xen_shared_info()->evtchn_pending[p / 64] >> (p % 64) & 1;
}

static void clear_pending(uint32_t p)
{
	__atomic_fetch_and(&xen_shared_info()->evtchn_pending[p / 64], ~(1ull << (p % 64)), __ATOMIC_SEQ_CST);
}

/* alloc_unbound until it refuses; then close all that were given. */
static void exhaust_ports(void)
{
	static uint32_t got[4096];
	unsigned n = 0;
	long rc = 0;
	while (n < 4096 && !(rc = evtchn(EVTCHNOP_alloc_unbound, DOMID_SELF | DOMID_SELF << 16, 0)))
		got[n++] = ev[1];
	expect("alloc_unbound until there are none: -ENOSPC", rc, -XEN_ENOSPC);
	unsigned closed = 0;
	for (unsigned i = 0; i < n; i++)
		closed += evtchn(EVTCHNOP_close, got[i], 0) == 0;
	expect("... and every port given closes again", closed == n && n > 0, 1);
}

static void out_of_range(void)
{
	static const struct { const char *what; unsigned cmd; } ops[] = {
		{ "send on port 2^32-1", EVTCHNOP_send }, { "close of port 2^32-1", EVTCHNOP_close },
		{ "unmask of port 2^32-1", EVTCHNOP_unmask }, { "bind_vcpu of port 2^32-1", EVTCHNOP_bind_vcpu },
	};
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		expect(ops[i].what, evtchn(ops[i].cmd, 0xffffffffu, 0), -XEN_EINVAL);
	expect("status of port 2^32-1", evtchn(EVTCHNOP_status, DOMID_SELF, 0xffffffffu), -XEN_EINVAL);
	expect("send on port 0 (reserved)", evtchn(EVTCHNOP_send, 0, 0), -XEN_EINVAL);
	expect("close of port 0 (reserved)", evtchn(EVTCHNOP_close, 0, 0), -XEN_EINVAL);
	expect("bind_interdomain to port 2^32-1 of our own", evtchn(EVTCHNOP_bind_interdomain, DOMID_SELF, 0xffffffffu),
	       -XEN_EINVAL);
}

static void virqs(void)
{
	expect("bind_virq on a vCPU the domain lacks", evtchn(EVTCHNOP_bind_virq, VIRQ_DEBUG, NO_VCPU), -XEN_ENOENT);
	expect("bind_virq on vCPU 2^32-1", evtchn(EVTCHNOP_bind_virq, VIRQ_DEBUG, 0xffffffffu), -XEN_ENOENT);
	expect("bind_virq of a global VIRQ off vCPU 0", evtchn(EVTCHNOP_bind_virq, VIRQ_CONSOLE, 1), -XEN_EINVAL);
	expect("bind_virq of VIRQ 2^32-1", evtchn(EVTCHNOP_bind_virq, 0xffffffffu, 0), -XEN_EINVAL);
	expect("bind_virq VIRQ_DEBUG on a vCPU that is down (allowed)",
	       evtchn(EVTCHNOP_bind_virq, VIRQ_DEBUG, DOWN_VCPU), 0);
	uint32_t p = ev[2];
	expect("... again: -EEXIST", evtchn(EVTCHNOP_bind_virq, VIRQ_DEBUG, DOWN_VCPU), -XEN_EEXIST);
	expect("bind_vcpu of a per-vCPU VIRQ's port", evtchn(EVTCHNOP_bind_vcpu, p, 0), -XEN_EINVAL);
	expect("close it", evtchn(EVTCHNOP_close, p, 0), 0);
	expect("bind it again once closed", evtchn(EVTCHNOP_bind_virq, VIRQ_DEBUG, DOWN_VCPU), 0);
	expect("close that", evtchn(EVTCHNOP_close, ev[2], 0), 0);
	expect("bind_ipi to a vCPU the domain lacks", evtchn(EVTCHNOP_bind_ipi, NO_VCPU, 0), -XEN_ENOENT);
	expect("bind_ipi to a vCPU that is down (allowed)", evtchn(EVTCHNOP_bind_ipi, DOWN_VCPU, 0), 0);
	p = ev[1];
	expect("send on it", evtchn(EVTCHNOP_send, p, 0), 0);
	expect("... the port is pending", pending(p), 1);
	expect("bind_vcpu of an IPI port", evtchn(EVTCHNOP_bind_vcpu, p, 0), -XEN_EINVAL);
	expect("bind_interdomain to our IPI port", evtchn(EVTCHNOP_bind_interdomain, DOMID_SELF, p), -XEN_EINVAL);
	expect("close it", evtchn(EVTCHNOP_close, p, 0), 0);
	expect("... its pending bit cleared", pending(p), 0);
}

static void loopback(void)
{
	uint32_t a = unbound();
	expect("bind_vcpu of an unbound port to a vCPU the domain lacks", evtchn(EVTCHNOP_bind_vcpu, a, NO_VCPU),
	       -XEN_ENOENT);
	expect("bind_interdomain to our own unbound port (loopback)", evtchn(EVTCHNOP_bind_interdomain, DOMID_SELF, a),
	       0);
	uint32_t b = ev[2];
	expect("... the new port starts pending", pending(b), 1);
	clear_pending(b);
	expect("status of the new port: interdomain", evtchn(EVTCHNOP_status, DOMID_SELF, b), 0);
	expect("... to the first", ev[2] == STAT_INTERDOMAIN && ev[5] == a, 1);
	expect("bind_interdomain to it again", evtchn(EVTCHNOP_bind_interdomain, DOMID_SELF, a), -XEN_EINVAL);
	expect("send on the new port", evtchn(EVTCHNOP_send, b, 0), 0);
	expect("... its peer is pending, not itself", pending(a) && !pending(b), 1);
	clear_pending(a);
	expect("close the first", evtchn(EVTCHNOP_close, a, 0), 0);
	expect("the second is unbound again", evtchn(EVTCHNOP_status, DOMID_SELF, b) == 0 && ev[2] == STAT_UNBOUND, 1);
	expect("send on it: nothing, no error", evtchn(EVTCHNOP_send, b, 0), 0);
	expect("close it", evtchn(EVTCHNOP_close, b, 0), 0);
}

void evtchn_mode(void)
{
	/* No upcalls while ports go pending: this guest has no event callback,
	 * and an upcall without one crashes the domain (on Xen too). */
	xen_shared_info()->vcpu_info[0].evtchn_upcall_mask = 1;
	exhaust_ports();
	out_of_range();
	virqs();
	loopback();
}

/* --- timers ---------------------------------------------------------------- */

static uint64_t targ[2];
static struct { uint64_t ports; uint32_t nr_ports, pad; uint64_t timeout; } pollarg;

static long timer_op(unsigned cmd, unsigned vcpu, uint64_t value)
{
	targ[0] = value, targ[1] = 0;
	return vcpu_op(cmd, vcpu, targ);
}

static long poll(uint64_t ports, uint32_t n, uint64_t timeout)
{
	pollarg.ports = ports, pollarg.nr_ports = n, pollarg.timeout = timeout;
	return xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_poll, (uintptr_t)&pollarg, 0, 0, 0);
}

/* An upcall pending and unmasked ends a poll at once, before its ports are
 * looked at (Xen's local_events_need_delivery), and is delivered on the
 * way out.  Unmasked and made pending in one block of instructions right
 * before the call, so that no tick delivers it first. */
static void poll_upcall_pending(void)
{
	static uint32_t bad = 0xffffffffu;
	volatile struct vcpu_info *vi = &xen_shared_info()->vcpu_info[0];
	expect("the event callback registered", xen_register_callback(CALLBACKTYPE_event, xen_upcall), 0);
	pollarg.ports = (uintptr_t)&bad, pollarg.nr_ports = 1, pollarg.timeout = 0;
	uint64_t upcalls = xen_upcalls[0];
	long rc;
	__asm__ volatile("movb $0, %[mask]\n\tmovb $1, %[pending]\n\tsyscall"
			 : "=a"(rc), [mask] "=m"(vi->evtchn_upcall_mask), [pending] "=m"(vi->evtchn_upcall_pending)
			 : "a"(HYPERVISOR_sched_op), "D"(SCHEDOP_poll), "S"(&pollarg)
			 : "rcx", "r11", "memory");
	vi->evtchn_upcall_mask = 1;
	expect("SCHEDOP_poll of port 2^32-1 with an upcall pending and unmasked: back at once", rc, 0);
	expect("... and the upcall delivered on the way out", (long)(xen_upcalls[0] - upcalls), 1);
}

void timers_mode(void)
{
	static uint32_t ports[2];
	xen_shared_info()->vcpu_info[0].evtchn_upcall_mask = 1;    /* as in evtchn_mode */
	expect("a periodic timer of 1 ms less 1 ns", timer_op(VCPUOP_set_periodic_timer, 0, 999999), -XEN_EINVAL);
	expect("a periodic timer of 1 ms", timer_op(VCPUOP_set_periodic_timer, 0, 1000000), 0);
	expect("a periodic timer of 2^62 ns", timer_op(VCPUOP_set_periodic_timer, 0, 1ull << 62), -XEN_EINVAL);
	expect("a periodic timer of 2^62 - 1 ns", timer_op(VCPUOP_set_periodic_timer, 0, (1ull << 62) - 1), 0);
	expect("stop it", vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
	expect("a periodic timer on a vCPU that is down (allowed)",
	       timer_op(VCPUOP_set_periodic_timer, DOWN_VCPU, 1000000), 0);
	expect("stop it", vcpu_op(VCPUOP_stop_periodic_timer, DOWN_VCPU, NULL), 0);
	expect("a single-shot timer on another vCPU", timer_op(VCPUOP_set_singleshot_timer, DOWN_VCPU, 1ull << 62),
	       -XEN_EINVAL);
	expect("stopping another vCPU's single-shot timer", vcpu_op(VCPUOP_stop_singleshot_timer, DOWN_VCPU, NULL),
	       -XEN_EINVAL);
	expect("a timer on a vCPU the domain lacks", timer_op(VCPUOP_set_periodic_timer, NO_VCPU, 1000000),
	       -XEN_ENOENT);
	expect("SCHEDOP_poll of 129 ports", poll((uintptr_t)ports, 129, 0), -XEN_EINVAL);
	expect("SCHEDOP_poll of a list in the hypervisor's range", poll(HV_DMAP, 1, 0), -XEN_EFAULT);
	ports[0] = 0xffffffffu;
	expect("SCHEDOP_poll of port 2^32-1", poll((uintptr_t)ports, 1, 0), -XEN_EINVAL);
	ports[0] = unbound();
	expect("SCHEDOP_poll with a timeout already past", poll((uintptr_t)ports, 1, 1), 0);
	expect("bind_ipi to a vCPU that is down", evtchn(EVTCHNOP_bind_ipi, DOWN_VCPU, 0), 0);
	ports[1] = ev[1];
	expect("send on it", evtchn(EVTCHNOP_send, ports[1], 0), 0);
	expect("SCHEDOP_poll of two ports, the second pending: back at once", poll((uintptr_t)ports, 2, 0), 0);
	for (unsigned i = 0; i < 2; i++)
		evtchn(EVTCHNOP_close, ports[i], 0);
	poll_upcall_pending();
	expect("set_timer_op in the past", xen_hypercall(HYPERVISOR_set_timer_op, 1, 0, 0, 0, 0), 0);
}

/* --- runstate ------------------------------------------------------------- */

#define AREA_AT 0x58000000ull        /* a page of ours, mapped and unmapped here */

struct runstate_copy {          /* Xen's vcpu_runstate_info, 48 bytes */
	int32_t state;
	uint64_t entry_time;
	uint64_t time[4];
};

static long register_area(uint64_t va)
{
	static uint64_t a;
	a = va;
	return vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a);
}

/* Let vCPU 1 (spinning in its job loop) run and switch back: two copies. */
static void switches(void)
{
	for (unsigned i = 0; i < 4; i++)
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

static bool zeroed(pfn_t f)
{
	const uint64_t *w = (const uint64_t *)gva_x(pfn_to_virt(f));
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		if (w[i])
			return false;
	return true;
}

void runstate_mode(void)
{
	expect("an area in the hypervisor's range: -EFAULT", register_area(HV_DMAP), -XEN_EFAULT);
	expect("an area running into the non-canonical hole (Xen checks where it starts)",
	       register_area(TOP_PAGE + PAGE_SIZE - 8), 0);
	switches();
	expect("an area on a page not mapped (taken)", register_area(AREA_AT), 0);
	switches();
	pfn_t f = map_page_at(AREA_AT);
	hostif_zero_page(pfn_to_virt(f));
	switches();
	const volatile struct runstate_copy *rs = (const volatile struct runstate_copy *)gva_x(pfn_to_virt(f));
	if (turns_seen("... once a page is mapped there, the switches write it"))
		expect("... once a page is mapped there, the switches write it",
		       rs->entry_time != 0 && rs->state == 0, 1);
	/* read-only first, then emptied through our own mapping: a switch in
	 * between (the timer's) may write the area while it is still writable */
	expect("the page mapped there read-only",
	       update_va(AREA_AT, make_pte((pfn_x(f) << PAGE_SHIFT) | PTE_P | PTE_US | PTE_A)), 0);
	hostif_zero_page(pfn_to_virt(f));
	switches();
	expect("... is not written", zeroed(f), 1);
	expect("unmapped", update_va(AREA_AT, 0), 0);
	mmu_ops->protect_kernel_page(f, true);
	expect("its frame pinned as an L1 table", mmuext(MMUEXT_PIN_L1_TABLE, mfn_of(f)), 0);
	switches();
	expect("... is not written by the switches", zeroed(f), 1);
	expect("unpinned", mmuext(MMUEXT_UNPIN_TABLE, mfn_of(f)), 0);
	mmu_ops->protect_kernel_page(f, false);
	expect("no area (0)", register_area(0), 0);
	pput(f);
}

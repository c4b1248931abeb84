/* SPDX-License-Identifier: MIT */
/*
 * Time as Xen gives it to a PV guest.
 *
 * System time is nanoseconds since hv booted, from the TSC at the rate
 * calibrated against the HPET (pc/tsc.c).  Each vCPU's vcpu_time_info
 * (pvclock) carries a TSC stamp, the system time at that stamp and the
 * scale (ns = ((tsc - stamp) << shift) * mul >> 32, a negative shift
 * shifting right), written as Xen writes it: version odd while the fields
 * change, even after.  The TSC does not change rate (hv runs on a CPU
 * whose TSC it calibrated once), so the scale never changes; a vCPU's
 * record is rewritten when it starts running and when it registers a new
 * vcpu_info, which keeps the stamp recent.  The wall clock (shared_info
 * wc_*) is the CMOS clock at boot, the time that system time 0 was.
 *
 * Timers, per vCPU: a single-shot deadline (set_timer_op, VCPUOP_set_
 * singleshot_timer) and a periodic one (VCPUOP_set_periodic_timer, at
 * least 1 ms), each raising VIRQ_TIMER when due.  A single-shot deadline
 * already past fires at once, whatever its flags say: Xen 4.17 ignores
 * VCPU_SSHOTTMR_future (the ABI suite found it, checked against Xen).  The
 * CPU whose queue holds the vCPU sets its one-shot timer for the earliest
 * of them (sched.c), so a deadline is met when it comes, not on a tick;
 * one already past when it is set fires at once.
 */
#include "../../core/domain.h"
#include "../hv.h"

#define XEN_PVCLOCK_TSC_STABLE_BIT 1

static uint64_t tsc0, boot_wall, khz;
static uint32_t scale_mul;
static int8_t scale_shift;
static bool tsc_stable;

/* Xen's set_time_scale: mul and shift for (tsc_hz). */
static void set_scale(uint64_t tsc_hz)
{
	uint64_t tps64 = tsc_hz;
	int shift = 0;
	while (tps64 > 1000000000ull * 2) {
		tps64 >>= 1;
		shift--;
	}
	uint32_t tps32 = (uint32_t)tps64;
	while (tps32 <= 1000000000u) {
		tps32 <<= 1;
		shift++;
	}
	scale_mul = (uint32_t)(((uint64_t)1000000000u << 32) / tps32);
	scale_shift = (int8_t)shift;
}

static uint64_t scale(uint64_t delta)
{
	delta = scale_shift < 0 ? delta >> -scale_shift : delta << scale_shift;
	return (uint64_t)(((unsigned __int128)delta * scale_mul) >> 32);
}

void time_init(uint64_t tsc_khz)
{
	uint32_t r[4];
	tsc0 = rdtsc();
	khz = tsc_khz;
	set_scale(tsc_khz * 1000);
	boot_wall = pc_rtc_seconds();
	pc_cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000007u) {
		pc_cpuid(0x80000007u, 0, r);
		tsc_stable = r[3] & (1u << 8);
	}
}

uint64_t time_tsc_khz(void)
{
	return khz;
}

uint64_t time_now(void)
{
	return scale(rdtsc() - tsc0);
}

void time_update_vcpu(struct vcpu *v)
{
	volatile struct vcpu_time_info *t = &pv_vcpu_info(v)->time;
	uint64_t tsc = rdtsc();
	t->version++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->tsc_timestamp = tsc;
	t->system_time = scale(tsc - tsc0);
	t->tsc_to_system_mul = scale_mul;
	t->tsc_shift = scale_shift;
	t->flags = tsc_stable ? XEN_PVCLOCK_TSC_STABLE_BIT : 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->version++;
}

void time_init_domain(struct domain *d)
{
	volatile struct shared_info *s = maddr_virt(hv_domain(d)->shared_info);
	s->wc_version++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->wc_sec = (uint32_t)boot_wall;
	s->wc_sec_hi = (uint32_t)(boot_wall >> 32);
	s->wc_nsec = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->wc_version++;
	for (unsigned k = 0; k < d->nr_vcpus; k++)
		time_update_vcpu(&d->vcpus[k]);
}

void time_tick(struct vcpu *v, uint64_t now)
{
	struct hv_vcpu *h = hv_vcpu(v);
	bool due = false;
	if (h->timer_deadline && now >= h->timer_deadline) {
		h->timer_deadline = 0;
		due = true;
	}
	if (h->timer_period && now >= h->timer_next) {
		while (now >= h->timer_next)
			h->timer_next += h->timer_period;
		due = true;
	}
	if (due)
		evtchn_send_virq(v, VIRQ_TIMER);
}


/* A single-shot deadline for (v): due now if already past. */
static void set_deadline(struct vcpu *v, uint64_t at)
{
	hv_vcpu(v)->timer_deadline = at ? at : 1;
	time_tick(v, time_now());
	sched_timer_changed(v);
}

long do_set_timer_op(struct vcpu *v, const uint64_t a[6])
{
	if (a[0] == 0)
		hv_vcpu(v)->timer_deadline = 0;
	else
		set_deadline(v, a[0]);
	return 0;
}

long time_vcpu_op(struct vcpu *v, struct vcpu *t, unsigned cmd, uint64_t arg)
{
	struct hv_vcpu *h = hv_vcpu(t);
	switch (cmd) {
	case VCPUOP_set_periodic_timer: {
		uint64_t period;
		if (env_copy_from_guest(v, &period, arg, sizeof(period)))
			return -XEN_EFAULT;
		if (period < 1000000ull || period > (~0ull >> 2))     /* Xen's 1 ms and STIME_DELTA_MAX */
			return -XEN_EINVAL;
		h->timer_period = period;
		h->timer_next = time_now() + period;
		sched_timer_changed(t);
		return 0;
	}
	case VCPUOP_stop_periodic_timer:
		h->timer_period = 0;
		return 0;
	case VCPUOP_set_singleshot_timer: {
		struct { uint64_t timeout_abs_ns; uint32_t flags; } s;
		if (t != v)
			return -XEN_EINVAL;
		if (env_copy_from_guest(v, &s, arg, 12))
			return -XEN_EFAULT;
		set_deadline(v, s.timeout_abs_ns);     /* one already past fires now, flags or not */
		return 0;
	}
	case VCPUOP_stop_singleshot_timer:
		if (t != v)
			return -XEN_EINVAL;
		h->timer_deadline = 0;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

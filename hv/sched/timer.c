/* SPDX-License-Identifier: MIT */
/*
 * When each CPU's timer goes off.
 *
 * Each CPU's local APIC timer is one-shot (x86/apic.c), set for the CPU's
 * next event and taken while the guest runs or the CPU idles (hv itself
 * runs with interrupts off).  The next event is the earliest of: a timer
 * or poll timeout of a vCPU in its queue (event/time.c); SLICE_NS on, if a
 * vCPU of its queue waits for it; and on CPU 0, HOUSEKEEPING_NS on, for
 * what is polled (console input, xenstore output waiting for ring space,
 * audit=periodic).  A CPU with one vCPU and
 * no deadline is left alone: no 1 kHz tick interrupts its guest (on two
 * CPUs that tick cost a fork+exit loop 4%, and each CPU read the serial
 * port on it).  The timer is set again whenever the next event may have
 * come nearer: after each choice, on each IPI (whoever queues a vCPU on
 * another CPU, or changes a timer of a vCPU there, sends one) and when the
 * timer goes off; one set for an event that went away goes off for
 * nothing.  What the CPU does when it goes off is sched.c's.
 */
#include "../hv.h"

#define SLICE_NS        1000000ull     /* a vCPU waits for its CPU at most this long */
#define HOUSEKEEPING_NS 10000000ull    /* CPU 0 polls this often */

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The earliest deadline of (v)'s timers and poll timeout; ~0 if none. */
static uint64_t deadline_of(const struct vcpu *v)
{
	const struct hv_vcpu *h = hv_vcpu(v);
	uint64_t at = h->timer_deadline ? h->timer_deadline : ~0ull;
	if (h->timer_period)
		at = earliest(at, h->timer_next);
	if (h->blocked && h->poll_deadline)
		at = earliest(at, h->poll_deadline);
	return at;
}

/* When CPU (c) next has something to do, from (now); ~0 if never.  Reads
 * other CPUs' writes racily: whoever changes one of them for c's queue
 * tells c (sched_timer_changed, tickle), and c looks again. */
static uint64_t next_event(const struct pcpu *c, uint64_t now)
{
	uint64_t at = c->id == 0 ? now + HOUSEKEEPING_NS : ~0ull;
	for (uint64_t live = atomic_load(&machine.live_domains); live; live &= live - 1) {
		const struct domain *d = &machine.domains[__builtin_ctzll(live)];
		for (unsigned k = 0; d->live && k < d->nr_vcpus; k++) {
			const struct vcpu *v = &d->vcpus[k];
			const struct hv_vcpu *h = hv_vcpu(v);
			if (h->cpu != c->id)
				continue;
			at = earliest(at, deadline_of(v));
			if (!sched_no_timer && sched_runnable(v) && atomic_load(&h->on_cpu) < 0)
				at = earliest(at, now + SLICE_NS);
		}
	}
	return at;
}

void sched_timer_update(struct pcpu *c)
{
	uint64_t now = time_now(), at = next_event(c, now);
	if (at >= c->timer_at && c->timer_at > now)
		return;
	c->timer_at = at;
	apic_timer_in(at == ~0ull ? 0 : at > now ? at - now : 1);
}

void sched_timer_changed(struct vcpu *v)
{
	unsigned cpu = hv_vcpu(v)->cpu;
	if (cpu == this_cpu()->id)
		sched_timer_update(this_cpu());
	else
		smp_kick(cpu);          /* it looks again on the IPI */
}

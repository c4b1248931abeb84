/* SPDX-License-Identifier: MIT */
/*
 * Several vCPUs on one physical CPU, CPU 0 (the others halt: x86/smp.c).
 * The running vCPU's registers are the frame on the stack (struct regs);
 * each other vCPU keeps its own in its hv_vcpu.  We switch when the guest
 * yields, blocks or takes a vCPU down, and on the timer (pc_timer_start:
 * 1 kHz at vector 0x20), started when a second vCPU comes up or a guest
 * timer is set, and taken while the guest runs or hv idles (hv itself
 * otherwise runs with interrupts off).  Each tick also runs the guest's
 * timers (event/time.c) and reads the serial port into the console ring
 * (event/console.c).  With "timer=off" on hv's command line a tick never
 * switches vCPUs: they switch only when they yield, block, go down or a
 * hypercall continues, so a run depends on nothing but the guest (a
 * fuzzing seed replays exactly).  The switch happens on the way out
 * (hv_exit), after the running vCPU's result is in its frame.
 *
 * A vCPU runs if it is up and not blocked.  SCHEDOP_block unmasks its
 * events and blocks it unless an upcall is already pending; SCHEDOP_poll
 * blocks it until an event is sent to any port or its timeout passes (a
 * spurious wake-up is allowed: the guest looks at its ports again).  When
 * no vCPU can run, hv idles: hlt with interrupts on, until a tick or the
 * serial port makes one runnable.
 *
 * Every switch loads the next vCPU's root, even the same one, and so
 * flushes the TLB (no global pages): whatever the hardware caches belongs to
 * the running vCPU, so a flush of a vCPU that is not running has nothing to
 * do (env_flush_tlb, env_invlpg) and needs no IPI.  The rest of a vCPU's
 * CPU state goes with it too: its GDT, data selectors and segment bases
 * (pv/descriptor.c, pv/mode.c), its FPU and SSE registers and virtual TS
 * (x86/fpu.c), its debug registers (pv/debugreg.c), its TSC_AUX and its
 * pvclock record.  Each vCPU's runstate (running, runnable, blocked,
 * offline, and the time in each) is kept as Xen keeps it and copied to the
 * guest where it asked (VCPUOP_register_runstate_memory_area); a copy that
 * cannot be written because the vCPU is in user mode, where its kernel's
 * address is not mapped, is written when it next enters its kernel.
 *
 * sched_op: yield, block, poll, and shutdown (the domain ends after the
 * hypercall).
 */
#include "../hv.h"

#define VMASST_TYPE_runstate_update_flag 5u
#define XEN_RUNSTATE_UPDATE (1ull << 63)

void sched_start(struct vcpu *v)
{
	pc_set_tsc_aux(hv_vcpu(v)->tsc_aux);
	sched_runstate(v, RUNSTATE_running);
	time_update_vcpu(v);
}

bool sched_no_timer;

void sched_tick_start(void)
{
	struct pcpu *c = this_cpu();
	if (!c->ticking)
		pc_timer_start();
	c->ticking = true;
}

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
	/* in user mode the kernel's address may not be mapped: as Xen, try
	 * again when the vCPU next enters its kernel (pv/mode.c) */
	h->runstate_pending = (flag && env_copy_to_guest(v, h->runstate_area + 8, &marked, 8)) ||
			      env_copy_to_guest(v, h->runstate_area, &copy, sizeof(copy));
}

/* Run (next) instead of the running vCPU, whose registers are (r). */
static void switch_to(struct regs *r, struct vcpu *next)
{
	struct pcpu *c = this_cpu();
	struct vcpu *prev = c->cur;
	hv_vcpu(prev)->regs = *r;
	*r = hv_vcpu(next)->regs;
	pv_seg_save(prev);
	fpu_switch(hv_vcpu(prev), hv_vcpu(next));
	sched_runstate(prev, !hv_vcpu(prev)->up ? RUNSTATE_offline :
			     hv_vcpu(prev)->blocked ? RUNSTATE_blocked : RUNSTATE_runnable);
	c->cur = next;
	pv_desc_load(next);
	uint16_t asked[4];
	bool segs_ok = pv_seg_load(next, asked);
	pv_debugreg_load(next);
	pc_set_tsc_aux(hv_vcpu(next)->tsc_aux);
	mem_load_root(pv_root(next));
	sched_runstate(next, RUNSTATE_running);
	time_update_vcpu(next);
	if (!segs_ok)
		pv_failsafe(next, r, asked);
}

/* The next vCPU after the running one that (ok) accepts, or NULL. */
static struct vcpu *next_after(bool (*ok)(const struct vcpu *))
{
	struct vcpu *cur = this_vcpu();
	struct domain *d = cur->d;
	for (unsigned k = 1; k < d->nr_vcpus; k++) {
		struct vcpu *v = &d->vcpus[(cur->id + k) % d->nr_vcpus];
		if (ok(v))
			return v;
	}
	return NULL;
}

static bool is_up(const struct vcpu *v)
{
	return hv_vcpu(v)->up;
}

struct vcpu *sched_next_up(void)
{
	return next_after(is_up);
}

void sched_yield(void)
{
	this_cpu()->resched = true;
}

void sched_wake(struct vcpu *v)
{
	struct hv_vcpu *h = hv_vcpu(v);
	if (!h->blocked)
		return;
	h->blocked = false;
	h->polling = false;
	h->poll_deadline = 0;
	if (v != this_vcpu())
		sched_runstate(v, RUNSTATE_runnable);
	this_cpu()->resched = true;
}

/* What a tick does for (d): timers, console input, poll timeouts. */
static void tick(struct domain *d)
{
	uint64_t now = time_now();
	time_tick(d);
	console_poll(d);
	for (unsigned k = 0; k < d->nr_vcpus; k++) {
		struct hv_vcpu *h = hv_vcpu(&d->vcpus[k]);
		if (h->blocked && h->poll_deadline && now >= h->poll_deadline)
			sched_wake(&d->vcpus[k]);
	}
}

void sched_interrupt(void)
{
	pc_timer_eoi();
	struct vcpu *v = this_vcpu();
	if (v)
		tick(v->d);
	if (!sched_no_timer)
		this_cpu()->resched = true;
}

/* Until some vCPU of (d) can run: halt with interrupts on, each tick doing
 * its work (sched_interrupt, from hv_exception). */
static void idle(struct domain *d)
{
	sched_tick_start();
	for (;;) {
		for (unsigned k = 0; k < d->nr_vcpus; k++)
			if (sched_runnable(&d->vcpus[k]))
				return;
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

void sched_run(struct regs *r)
{
	struct pcpu *c = this_cpu();
	c->resched = false;
	if (!sched_runnable(c->cur) && !next_after(sched_runnable))
		idle(c->cur->d);
	struct vcpu *next = next_after(sched_runnable);
	if (next)
		switch_to(r, next);
	else if (hv_vcpu(c->cur)->runstate.state != RUNSTATE_running)
		sched_runstate(c->cur, RUNSTATE_running);
}

/* SCHEDOP_block: events unmasked; block unless one is already pending. */
static long block(struct vcpu *v)
{
	struct vcpu_info *vi = pv_vcpu_info(v);
	vi->evtchn_upcall_mask = 0;
	if (vi->evtchn_upcall_pending)
		return 0;
	hv_vcpu(v)->blocked = true;
	this_cpu()->resched = true;
	return 0;
}

/* SCHEDOP_poll({ports, nr_ports, timeout}): block until an event or the
 * timeout (system time; 0: none), unless a port named is pending. */
static long poll(struct vcpu *v, uint64_t arg)
{
	struct { uint64_t ports; uint32_t nr_ports, pad; uint64_t timeout; } p;
	const struct shared_info *s = maddr_virt(hv_domain(v->d)->shared_info);
	if (env_copy_from_guest(v, &p, arg, sizeof(p)))
		return -XEN_EFAULT;
	if (p.nr_ports > 128)
		return -XEN_EINVAL;
	for (uint32_t i = 0; i < p.nr_ports; i++) {
		uint32_t port;
		if (env_copy_from_guest(v, &port, p.ports + i * 4, sizeof(port)))
			return -XEN_EFAULT;
		if (port >= EVTCHN_PORTS)
			return -XEN_EINVAL;
		if (s->evtchn_pending[port / 64] >> (port % 64) & 1)
			return 0;
	}
	if (p.timeout && p.timeout <= time_now())
		return 0;
	hv_vcpu(v)->blocked = true;
	hv_vcpu(v)->polling = true;
	hv_vcpu(v)->poll_deadline = p.timeout;
	this_cpu()->resched = true;
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
		hv_domain(v->d)->shutting_down = true;
		hv_domain(v->d)->shutdown_reason = (uint8_t)s.reason;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * vCPUs on the physical CPUs hv started (x86/smp.c), in parallel.
 *
 * Run queues.  Each vCPU belongs to the queue of one CPU (h->cpu: vCPU k
 * starts on CPU k mod the CPUs up) and runs on at most one CPU at a time
 * (h->on_cpu, -1 if none).  A CPU that must choose (its vCPU yields,
 * blocks, goes down, or the tick asks) takes the next vCPU of its own queue
 * that waits (up, not blocked, on no CPU), round robin; a CPU with nothing
 * to run takes one waiting in another's queue, which migrates to it, and
 * if none waits anywhere it idles: hlt with interrupts on, until a tick or
 * an IPI.  A vCPU that becomes runnable is given to its CPU if that one
 * idles, else to any CPU that idles, else (a wake-up) to its own CPU at
 * once; an IPI tells the CPU (x86/smp.c).  Every choice and every change of
 * up, blocked and on_cpu is made under one lock; a vCPU is taken for a CPU
 * (on_cpu set) before the lock is let go, and let go by the CPU that ran it
 * only after all its state is saved, so two CPUs never hold one vCPU.
 *
 * The timer (sched/timer.c) asks for a choice when it goes off: each CPU's
 * is one-shot, set for its next event (a vCPU's timer, a slice when one
 * waits for the CPU, CPU 0's polls).  When it goes off the CPU runs the
 * timers of the vCPUs in its queue and CPU 0 polls (console input,
 * xenstore output).  With "timer=off" on hv's command line the timer never
 * switches vCPUs: they switch only when they yield, block, go down or a
 * hypercall continues, so with one CPU a run depends on nothing but the
 * guest (a fuzzing seed replays exactly).  The switch happens on the way
 * out (hv_exit), after the running vCPU's result is in its frame.
 *
 * What a CPU holds of a vCPU: every switch loads the next vCPU's root and
 * so flushes the TLB (no global pages), and a CPU going idle loads hv's
 * own tables and lets go of the guest's GDT and LDT pages.  So the CPUs
 * that may hold a domain's translations (Xen's dirty CPU mask) are exactly
 * those its vCPUs run on, and a flush of a vCPU that runs on no CPU has
 * nothing to do; one that runs on another CPU is an IPI to it, answered
 * before the flush returns, unless that CPU is inside hv and so flushes
 * before it next uses the guest's translations (x86/smp.c, smp_flush).  The rest of a
 * vCPU's CPU state goes with it too: its GDT and LDT (pv/descriptor.c),
 * data selectors and segment bases (pv/mode.c), FPU, SSE and AVX registers
 * and virtual TS (x86/fpu.c), debug registers (pv/debugreg.c), TSC_AUX and
 * pvclock record, and its runstate (sched/sched_op.c).
 */
#include "../hv.h"

static struct spinlock sched_lock;      /* the machine's: every CPU's queue */
static _Atomic bool sched_open;         /* a domain is built: vCPUs may be taken */
bool sched_no_timer;

/* Take (v) for CPU (c); under the lock. */
static struct vcpu *take(struct pcpu *c, struct vcpu *v)
{
	struct hv_vcpu *h = hv_vcpu(v);
	if (h->cpu != c->id)
		h->cpu = c->id;         /* migrates */
	atomic_store(&h->on_cpu, (int)c->id);
	return v;
}

/* Under the lock: the vCPU CPU (c) runs next, taken for it, or NULL: the
 * first that waits in c's queue after (prev); if (steal), else the first
 * that waits in any queue. */
static struct vcpu *pick(struct pcpu *c, const struct vcpu *prev, bool steal)
{
	struct vcpu *other = NULL;
	if (!atomic_load(&sched_open))
		return NULL;
	for (uint64_t live = atomic_load(&machine.live_domains); live; live &= live - 1) {
		struct domain *d = &machine.domains[__builtin_ctzll(live)];
		unsigned first = prev && prev->d == d ? prev->id + 1 : 0;
		for (unsigned k = 0; d->live && k < d->nr_vcpus; k++) {
			struct vcpu *v = &d->vcpus[(first + k) % d->nr_vcpus];
			if (!sched_runnable(v) || atomic_load(&hv_vcpu(v)->on_cpu) >= 0)
				continue;
			if (hv_vcpu(v)->cpu == c->id)
				return take(c, v);
			other = other ? other : v;
		}
	}
	return steal && other ? take(c, other) : NULL;
}

/* Under the lock: (v) waits; have a CPU take it: its own if that idles,
 * else one that idles, else, if (preempt), its own at once. */
static void tickle(struct vcpu *v, bool preempt)
{
	unsigned home = hv_vcpu(v)->cpu;
	if (atomic_load(&pcpus[home].idle)) {
		smp_kick(home);
		return;
	}
	for (unsigned k = 0; k < smp_cpus_up; k++)
		if (atomic_load(&pcpus[k].idle)) {
			smp_kick(k);
			return;
		}
	if (preempt)
		atomic_store(&pcpus[home].resched, true);
	smp_kick(home);         /* at least its timer slices for it (itself: after its choice) */
}

/* The running vCPU's state into its hv_vcpu (registers from (r)), and its
 * runstate, copied while its tables are still loaded. */
static void save(struct vcpu *v, const struct regs *r)
{
	struct hv_vcpu *h = hv_vcpu(v);
	h->regs = *r;
	pv_seg_save(v);
	fpu_save(h);
	sched_runstate(v, !h->up ? RUNSTATE_offline : h->blocked ? RUNSTATE_blocked : RUNSTATE_runnable);
}

/* (v), taken for this CPU, into the CPU, its registers into (r). */
static void load(struct vcpu *v, struct regs *r)
{
	this_cpu()->cur = v;
	*r = hv_vcpu(v)->regs;
	fpu_load(hv_vcpu(v));
	pv_desc_load(v);
	uint16_t asked[4];
	bool segs_ok = pv_seg_load(v, asked);
	pv_debugreg_load(v);
	pc_set_tsc_aux(hv_vcpu(v)->tsc_aux);
	mem_load_guest_root(v, pv_root(v));
	sched_runstate(v, RUNSTATE_running);
	time_update_vcpu(v);
	if (!segs_ok)
		pv_failsafe(v, r, asked);
}

/* Let go of (v), saved and out of the CPU: another CPU may take it. */
static void release(struct vcpu *v)
{
	struct hv_vcpu *h = hv_vcpu(v);
	spin_lock(&sched_lock);
	atomic_store(&h->on_cpu, -1);
	if (sched_runnable(v)) {
		if (h->runstate.state != RUNSTATE_runnable)
			sched_runstate(v, RUNSTATE_runnable);   /* woken since it was saved */
		tickle(v, false);
	}
	spin_unlock(&sched_lock);
}

/* This CPU has nothing to run: after (prev), if any, is saved and let go,
 * halt until a vCPU can be taken; it is loaded with its registers in (r). */
static void idle(struct regs *r, struct vcpu *prev)
{
	struct pcpu *c = this_cpu();
	if (prev) {
		save(prev, r);
		mem_load_root(hv_l4);
		cpu_unload_guest_tables();
		c->cur = NULL;
		release(prev);
	}
	struct vcpu *next;
	for (;;) {
		atomic_store(&c->idle, true);
		smp_quiescent();
		spin_lock(&sched_lock);
		next = pick(c, NULL, true);
		spin_unlock(&sched_lock);
		if (next)
			break;
		sched_timer_update(c);        /* its queue's blocked vCPUs' timeouts */
		c->spin_since = 0;      /* halting is no spin */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	atomic_store(&c->idle, false);
	load(next, r);
}

void sched_start(struct vcpu *v)
{
	struct pcpu *c = this_cpu();
	spin_lock(&sched_lock);
	take(c, v);
	atomic_store(&sched_open, true);
	spin_unlock(&sched_lock);
	c->cur = v;
	c->timer_at = ~0ull;
	pc_set_tsc_aux(hv_vcpu(v)->tsc_aux);
	sched_runstate(v, RUNSTATE_running);
	time_update_vcpu(v);
	sched_timer_update(c);
}

_Noreturn void sched_idle_start(void)
{
	struct regs r;
	this_cpu()->timer_at = ~0ull;
	idle(&r, NULL);
	sched_timer_update(this_cpu());
	cpu_enter_guest(&r);
}

void sched_run(struct regs *r)
{
	struct pcpu *c = this_cpu();
	struct vcpu *prev = c->cur;
	smp_quiescent();
	atomic_store(&c->resched, false);
	spin_lock(&sched_lock);
	bool stay = sched_runnable(prev);
	struct vcpu *next = pick(c, prev, !stay);
	spin_unlock(&sched_lock);
	if (next) {
		save(prev, r);
		load(next, r);
		release(prev);
	} else if (stay) {
		if (hv_vcpu(prev)->runstate.state != RUNSTATE_running)
			sched_runstate(prev, RUNSTATE_running);
	} else {
		idle(r, prev);
	}
	sched_timer_update(c);
}

void sched_yield(void)
{
	atomic_store(&this_cpu()->resched, true);
}

void sched_wake(struct vcpu *v)
{
	struct hv_vcpu *h = hv_vcpu(v);
	spin_lock(&sched_lock);
	int on = atomic_load(&h->on_cpu);
	if (h->blocked) {
		h->blocked = h->polling = false;
		h->poll_deadline = 0;
		if (on < 0) {
			sched_runstate(v, RUNSTATE_runnable);
			if (h->up)
				tickle(v, true);
		}
	}
	spin_unlock(&sched_lock);
	if (on >= 0)
		smp_kick((unsigned)on);     /* it takes the event on its way back */
}

bool sched_block(struct vcpu *v, bool poll, uint64_t deadline, bool (*ready)(struct vcpu *, const void *),
		 const void *arg)
{
	struct hv_vcpu *h = hv_vcpu(v);
	spin_lock(&sched_lock);
	h->blocked = true;
	h->polling = poll;
	h->poll_deadline = deadline;
	/* blocked, then look: a sender makes its event pending, then looks
	 * at polling (event/evtchn.c), so one of the two sees the other */
	atomic_thread_fence(memory_order_seq_cst);
	bool block = !ready(v, arg);
	if (!block) {
		h->blocked = h->polling = false;
		h->poll_deadline = 0;
	}
	spin_unlock(&sched_lock);
	if (block)
		sched_yield();
	return block;
}

void sched_up(struct vcpu *v)
{
	struct hv_vcpu *h = hv_vcpu(v);
	spin_lock(&sched_lock);
	if (!h->up) {
		h->up = true;
		/* one taken down but not yet let go by its CPU runs on there, or
		 * is queued again by release() once it is let go */
		if (atomic_load(&h->on_cpu) < 0) {
			h->cpu = v->id % smp_cpus_up;
			sched_runstate(v, RUNSTATE_runnable);
			tickle(v, false);
		}
	}
	spin_unlock(&sched_lock);
}

void sched_down(struct vcpu *v)
{
	struct hv_vcpu *h = hv_vcpu(v);
	spin_lock(&sched_lock);
	h->up = false;
	int on = atomic_load(&h->on_cpu);
	if (on < 0)
		sched_runstate(v, RUNSTATE_offline);
	spin_unlock(&sched_lock);
	if (on >= 0)
		smp_kick((unsigned)on);     /* it finds it cannot run on its way back */
	if (v == this_vcpu())
		sched_yield();
}

/* What the timer does on CPU (c): the timers and poll timeouts of the
 * vCPUs in its queue; on CPU 0, the polls. */
static void tick(struct pcpu *c)
{
	uint64_t now = time_now();
	for (uint64_t live = atomic_load(&machine.live_domains); live; live &= live - 1) {
		struct domain *d = &machine.domains[__builtin_ctzll(live)];
		if (!d->live || !atomic_load(&sched_open))
			continue;
		spin_lock(&hv_domain(d)->lock);
		for (unsigned k = 0; k < d->nr_vcpus; k++) {
			struct vcpu *v = &d->vcpus[k];
			struct hv_vcpu *h = hv_vcpu(v);
			if (h->cpu != c->id)
				continue;
			time_tick(v, now);
			if (h->blocked && h->poll_deadline && now >= h->poll_deadline)
				sched_wake(v);
		}
		if (c->id == 0) {
			console_poll(d);
			xenstore_poll(d);
		}
		spin_unlock(&hv_domain(d)->lock);
	}
}

void sched_interrupt(unsigned vector)
{
	struct pcpu *c = this_cpu();
	if (vector == APIC_SPURIOUS_VECTOR)
		return;                 /* no end of interrupt for it */
	apic_eoi();
	if (vector == PC_TIMER_VECTOR) {
		c->timer_at = ~0ull;    /* gone off */
		tick(c);
		if (!sched_no_timer)
			atomic_store(&c->resched, true);
	} else if (vector == APIC_IPI_VECTOR) {
		smp_interrupt();
	}
	sched_timer_update(c);
}

/* SPDX-License-Identifier: MIT */
/*
 * Event channels, Xen's 2-level ABI (common/event_channel.c,
 * event_2l.c): a domain's ports are bits in shared_info's evtchn_pending
 * and evtchn_mask words (64 x 64); a port made pending that is not masked
 * sets its word's bit in the notified vCPU's evtchn_pending_sel and that
 * vCPU's evtchn_upcall_pending, and the vCPU is woken.  The upcall itself
 * is delivered on the way back to the guest (pv/callback.c).
 *
 * Port 0 is never given out.  hv gives a domain EVTCHN_PORTS ports (Xen's
 * xl default for a domU is 1023 + 1).  The console's and the xenstore's
 * ports are bound at build time to hv's backends (event/console.c,
 * event/xenstore.c), which stand where Xen's dom0 would: each reads as an
 * interdomain port to domain 0.
 *
 *   alloc_unbound    a port another domain may bind (dom must be the
 *                    caller; remote_dom DOMID_SELF is the caller)
 *   bind_interdomain the caller's own unbound ports only (no other domain
 *                    runs here): both ends become interdomain
 *   bind_virq        per-vCPU VIRQs on any vCPU, global ones on vCPU 0
 *   bind_ipi         a port that notifies a vCPU of the caller
 *   send             interdomain: the other end; IPI: itself; unbound: nothing
 *   close, status, bind_vcpu, unmask as Xen's
 *   init_control, expand_array, set_priority  -ENOSYS: no FIFO ABI, as a
 *                    Xen without it answers, so Linux takes the 2-level ABI
 *   bind_pirq        -EINVAL: no physical IRQ is any domain's here
 */
#include "../../core/domain.h"
#include "../hv.h"

enum { STAT_CLOSED, STAT_UNBOUND, STAT_INTERDOMAIN, STAT_PIRQ, STAT_VIRQ, STAT_IPI };

static bool virq_global(unsigned virq)
{
	return virq != VIRQ_TIMER && virq != 1 /* VIRQ_DEBUG */ && virq != 7 /* VIRQ_XENOPROF */ &&
	       virq != 13 /* VIRQ_XENPMU */;
}

static struct shared_info *shared(const struct domain *d)
{
	return maddr_virt(hv_domain(d)->shared_info);
}

static bool test_and_set(uint64_t *w, unsigned bit)
{
	return __atomic_fetch_or(w, 1ull << bit, __ATOMIC_SEQ_CST) >> bit & 1;
}

/* Port (p) of (d) just became pending or unmasked: tell its vCPU. */
static void notify(struct domain *d, unsigned p)
{
	struct vcpu *v = &d->vcpus[hv_domain(d)->evtchn[p].vcpu];
	struct vcpu_info *vi = pv_vcpu_info(v);
	if (!test_and_set(&vi->evtchn_pending_sel, p / 64)) {
		vi->evtchn_upcall_pending = 1;
		sched_wake(v);
	}
}

void evtchn_set_pending(struct domain *d, unsigned p)
{
	struct shared_info *s = shared(d);
	if (test_and_set(&s->evtchn_pending[p / 64], p % 64))
		return;
	for (unsigned k = 0; k < d->nr_vcpus; k++)      /* SCHEDOP_poll: masked or not */
		if (hv_vcpu(&d->vcpus[k])->polling)
			sched_wake(&d->vcpus[k]);
	if (!(__atomic_load_n(&s->evtchn_mask[p / 64], __ATOMIC_SEQ_CST) >> (p % 64) & 1))
		notify(d, p);
}

void evtchn_send_virq(struct vcpu *v, unsigned virq)
{
	unsigned p = hv_vcpu(v)->virq_port[virq];
	if (p)
		evtchn_set_pending(v->d, p);
}

/* A free port of (d), or 0 if none is. */
static unsigned alloc_port(struct domain *d)
{
	struct hv_domain *hd = hv_domain(d);
	for (unsigned p = 1; p < EVTCHN_PORTS; p++)
		if (hd->evtchn[p].state == EVTCHN_FREE)
			return p;
	return 0;
}

unsigned evtchn_bind_backend(struct domain *d, enum evtchn_backend b)
{
	unsigned p = alloc_port(d);
	if (p)
		hv_domain(d)->evtchn[p] = (struct evtchn){ .state = EVTCHN_BACKEND, .backend = (uint8_t)b };
	return p;
}

/* What a send on a backend's port does. */
static void (*const backend_kick[])(struct domain *d) = {
	[BACKEND_CONSOLE] = console_kick,
	[BACKEND_STORE] = xenstore_kick,
};

static bool own_domid(const struct vcpu *v, uint16_t domid)
{
	return domid == DOMID_SELF || domid == v->d->domid;
}

/* One operation: its argument copied in once (as 32-bit words; a domid_t
 * pair shares a word), the result's port written back to (arg + at). */
struct op {
	struct vcpu *v;
	uint64_t arg;
	uint32_t w[6];
};

/* Give (e) a free port, tell the guest which at offset (at): 0 and (*port),
 * or an error with nothing bound. */
static long bind(struct op *o, unsigned at, struct evtchn e, unsigned *port)
{
	unsigned p = alloc_port(o->v->d);
	if (!p)
		return -XEN_ENOSPC;
	uint32_t out = p;
	if (env_copy_to_guest(o->v, o->arg + at, &out, sizeof(out)))
		return -XEN_EFAULT;
	hv_domain(o->v->d)->evtchn[p] = e;
	*port = p;
	return 0;
}

static long op_alloc_unbound(struct op *o)
{
	uint16_t dom = (uint16_t)o->w[0], remote = (uint16_t)(o->w[0] >> 16);
	unsigned p;
	if (!own_domid(o->v, dom))
		return -XEN_ESRCH;
	return bind(o, 4, (struct evtchn){ .state = EVTCHN_UNBOUND,
					   .remote_dom = remote == DOMID_SELF ? o->v->d->domid : remote }, &p);
}

static long op_bind_interdomain(struct op *o)
{
	struct hv_domain *hd = hv_domain(o->v->d);
	uint16_t rdom = (uint16_t)o->w[0];
	uint32_t rport = o->w[1];
	unsigned p;
	if (!own_domid(o->v, rdom))
		return -XEN_ESRCH;
	if (rport == 0 || rport >= EVTCHN_PORTS || hd->evtchn[rport].state != EVTCHN_UNBOUND ||
	    hd->evtchn[rport].remote_dom != o->v->d->domid)
		return -XEN_EINVAL;
	long rc = bind(o, 8, (struct evtchn){ .state = EVTCHN_INTERDOMAIN, .remote_dom = o->v->d->domid,
					      .remote_port = (uint16_t)rport }, &p);
	if (rc)
		return rc;
	hd->evtchn[rport].state = EVTCHN_INTERDOMAIN;
	hd->evtchn[rport].remote_port = (uint16_t)p;
	evtchn_set_pending(o->v->d, p);     /* as Xen: a new binding starts pending */
	return 0;
}

static long op_bind_virq(struct op *o)
{
	uint32_t virq = o->w[0], vcpu = o->w[1];
	struct domain *d = o->v->d;
	unsigned p;
	if (virq >= NR_VIRQS || (virq_global(virq) && vcpu != 0))
		return -XEN_EINVAL;
	if (vcpu >= d->nr_vcpus)
		return -XEN_ENOENT;
	struct hv_vcpu *h = hv_vcpu(&d->vcpus[vcpu]);
	if (h->virq_port[virq])
		return -XEN_EEXIST;
	long rc = bind(o, 8, (struct evtchn){ .state = EVTCHN_VIRQ, .vcpu = (uint16_t)vcpu,
					      .virq = (uint8_t)virq }, &p);
	if (!rc)
		h->virq_port[virq] = (uint16_t)p;
	return rc;
}

static long op_bind_ipi(struct op *o)
{
	unsigned p;
	if (o->w[0] >= o->v->d->nr_vcpus)
		return -XEN_ENOENT;
	return bind(o, 4, (struct evtchn){ .state = EVTCHN_IPI, .vcpu = (uint16_t)o->w[0] }, &p);
}

/* The port word (w) names, if it is one of (d)'s in use: else NULL. */
static struct evtchn *port(struct domain *d, uint32_t w)
{
	struct evtchn *e = w && w < EVTCHN_PORTS ? &hv_domain(d)->evtchn[w] : NULL;
	return e && e->state != EVTCHN_FREE ? e : NULL;
}

static long op_close(struct op *o)
{
	struct domain *d = o->v->d;
	struct evtchn *e = port(d, o->w[0]);
	if (!e || e->state == EVTCHN_BACKEND)
		return -XEN_EINVAL;
	if (e->state == EVTCHN_VIRQ)
		hv_vcpu(&d->vcpus[e->vcpu])->virq_port[e->virq] = 0;
	if (e->state == EVTCHN_INTERDOMAIN) {
		struct evtchn *r = &hv_domain(d)->evtchn[e->remote_port];
		r->state = EVTCHN_UNBOUND;
		r->remote_dom = d->domid;
	}
	struct shared_info *s = shared(d);
	__atomic_fetch_and(&s->evtchn_pending[o->w[0] / 64], ~(1ull << (o->w[0] % 64)), __ATOMIC_SEQ_CST);
	*e = (struct evtchn){ .state = EVTCHN_FREE };
	return 0;
}

static long op_send(struct op *o)
{
	struct domain *d = o->v->d;
	struct evtchn *e = port(d, o->w[0]);
	if (!e)
		return -XEN_EINVAL;
	switch (e->state) {
	case EVTCHN_INTERDOMAIN:
		evtchn_set_pending(d, e->remote_port);
		return 0;
	case EVTCHN_IPI:
		evtchn_set_pending(d, o->w[0]);
		return 0;
	case EVTCHN_BACKEND:
		backend_kick[e->backend](d);
		return 0;
	case EVTCHN_UNBOUND:
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

static long op_status(struct op *o)
{
	struct domain *d = o->v->d;
	uint32_t out[6] = { o->w[0], o->w[1], STAT_CLOSED, 0, 0, 0 };
	if (!own_domid(o->v, (uint16_t)o->w[0]))
		return -XEN_ESRCH;
	if (o->w[1] >= EVTCHN_PORTS)
		return -XEN_EINVAL;
	const struct evtchn *e = &hv_domain(d)->evtchn[o->w[1]];
	out[3] = e->vcpu;
	switch (e->state) {
	case EVTCHN_UNBOUND: out[2] = STAT_UNBOUND; out[4] = e->remote_dom; break;
	case EVTCHN_INTERDOMAIN: out[2] = STAT_INTERDOMAIN; out[4] = d->domid; out[5] = e->remote_port; break;
	case EVTCHN_BACKEND: out[2] = STAT_INTERDOMAIN; out[4] = 0; out[5] = 0; break;
	case EVTCHN_VIRQ: out[2] = STAT_VIRQ; out[4] = e->virq; break;
	case EVTCHN_IPI: out[2] = STAT_IPI; break;
	default: break;
	}
	return env_copy_to_guest(o->v, o->arg + 8, &out[2], 16) ? -XEN_EFAULT : 0;
}

static long op_bind_vcpu(struct op *o)
{
	struct domain *d = o->v->d;
	struct evtchn *e = port(d, o->w[0]);
	if (!e)
		return -XEN_EINVAL;
	if (o->w[1] >= d->nr_vcpus)
		return -XEN_ENOENT;
	if ((e->state == EVTCHN_VIRQ && virq_global(e->virq)) || e->state == EVTCHN_UNBOUND ||
	    e->state == EVTCHN_INTERDOMAIN || e->state == EVTCHN_BACKEND) {
		e->vcpu = (uint16_t)o->w[1];
		return 0;
	}
	return -XEN_EINVAL;
}

static long op_unmask(struct op *o)
{
	struct domain *d = o->v->d;
	uint32_t p = o->w[0];
	if (p >= EVTCHN_PORTS)
		return -XEN_EINVAL;
	struct shared_info *s = shared(d);
	uint64_t was = __atomic_fetch_and(&s->evtchn_mask[p / 64], ~(1ull << (p % 64)), __ATOMIC_SEQ_CST);
	if ((was >> (p % 64) & 1) && (__atomic_load_n(&s->evtchn_pending[p / 64], __ATOMIC_SEQ_CST) >> (p % 64) & 1))
		notify(d, p);
	return 0;
}

static long op_bind_pirq(struct op *o)
{
	(void)o;
	return -XEN_EINVAL;
}

static const struct {
	long (*fn)(struct op *o);
	unsigned size;
} ops[] = {
	[EVTCHNOP_bind_interdomain] = { op_bind_interdomain, 12 },
	[EVTCHNOP_bind_virq] = { op_bind_virq, 12 },
	[EVTCHNOP_bind_pirq] = { op_bind_pirq, 12 },
	[EVTCHNOP_close] = { op_close, 4 },
	[EVTCHNOP_send] = { op_send, 4 },
	[EVTCHNOP_status] = { op_status, 8 },
	[EVTCHNOP_alloc_unbound] = { op_alloc_unbound, 8 },
	[EVTCHNOP_bind_ipi] = { op_bind_ipi, 8 },
	[EVTCHNOP_bind_vcpu] = { op_bind_vcpu, 8 },
	[EVTCHNOP_unmask] = { op_unmask, 4 },
};

long do_event_channel_op(struct vcpu *v, const uint64_t a[6])
{
	struct op o = { .v = v, .arg = a[1] };
	uint64_t cmd = (uint32_t)a[0];
	if (cmd >= sizeof(ops) / sizeof(ops[0]) || !ops[cmd].fn)
		return -XEN_ENOSYS;
	if (env_copy_from_guest(v, o.w, a[1], ops[cmd].size))
		return -XEN_EFAULT;
	return ops[cmd].fn(&o);
}

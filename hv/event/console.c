/* SPDX-License-Identifier: MIT */
/*
 * The guest's consoles.
 *
 * console_io(cmd, count, buffer): the guest's bytes to the serial console,
 * each line after "(dN) ", as a debug build of Xen prints a domU's (a
 * release build refuses a domU's console_io; hv lets it write, for early
 * messages such as Linux's earlyprintk=xen).  A write of any length is
 * taken in slices of the hypercall budget (core/preempt.h) and continued as
 * Xen continues it, so no guest keeps hv busy for long.  A read returns
 * nothing: input goes to the ring.
 *
 * The PV console ring (start_info.console, struct xencons_interface): hv
 * is its backend, where xenconsoled would be.  When the guest sends on the
 * console's event channel, hv copies what it produced in out[] to the
 * serial port as it is; each time CPU 0's timer goes off (at least every
 * 10 ms, sched/timer.c) bytes typed on the serial port go into in[], and
 * the port is made pending.  Indices are the
 * guest's to write: a producer that runs more than the ring's size ahead
 * is taken as having written the whole ring, never as a reason to read
 * beyond it.
 */
#include "../../core/preempt.h"
#include "../hv.h"

/* Work charged per byte written: a polled UART is slow. */
#define BYTE_COST 16

static long write_guest(struct vcpu *v, uint64_t at, uint32_t count)
{
	struct hv_domain *hd = hv_domain(v->d);
	char buf[127];
	while (count) {
		if (preempt_due(v))
			return preempt_continue(v, HYPERVISOR_console_io, CONSOLEIO_write, count, at, 0);
		uint32_t n = count < sizeof(buf) ? count : (uint32_t)sizeof(buf);
		if (env_copy_from_guest(v, buf, at, n))
			return -XEN_EFAULT;
		for (uint32_t i = 0; i < n; i++) {
			if (hd->console_line_start)
				printk("(d%u) ", v->d->domid);
			console_write(&buf[i], 1);
			hd->console_line_start = buf[i] == '\n';
		}
		preempt_spend(v, (uint64_t)n * BYTE_COST);
		at += n;
		count -= n;
	}
	return 0;
}

long do_console_io(struct vcpu *v, const uint64_t a[6])
{
	switch ((uint32_t)a[0]) {
	case CONSOLEIO_write:
		return write_guest(v, a[2], (uint32_t)a[1]);
	case CONSOLEIO_read:
		return (int32_t)a[1] < 0 ? -XEN_E2BIG : 0;
	default:
		return -XEN_ENOSYS;
	}
}

struct xencons_interface {
	char in[1024];
	char out[2048];
	uint32_t in_cons, in_prod;
	uint32_t out_cons, out_prod;
};

static volatile struct xencons_interface *ring(const struct domain *d)
{
	return maddr_virt(hv_domain(d)->console_ring);
}

void console_kick(struct domain *d)
{
	volatile struct xencons_interface *c = ring(d);
	uint32_t cons = c->out_cons, prod = c->out_prod;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > sizeof(c->out))
		cons = prod - (uint32_t)sizeof(c->out);
	for (; cons != prod; cons++) {
		char ch = c->out[cons % sizeof(c->out)];
		console_write_raw(&ch, 1);
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	c->out_cons = cons;
	evtchn_set_pending(d, hv_domain(d)->console_port);
}

void console_poll(struct domain *d)
{
	if (!hv_domain(d)->console_ring)
		return;
	volatile struct xencons_interface *c = ring(d);
	uint32_t prod = c->in_prod, start = prod;
	int ch;
	while (prod - c->in_cons < sizeof(c->in) && (ch = console_read()) >= 0)
		c->in[prod++ % sizeof(c->in)] = (char)ch;
	if (prod == start)
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	c->in_prod = prod;
	evtchn_set_pending(d, hv_domain(d)->console_port);
}

/* SPDX-License-Identifier: MIT */
/*
 * The ring page (xs.h): the guest writes req[] and req_prod and reads
 * rsp[] up to rsp_prod; hv does the rest.  Each index is read once per
 * pass and checked (xenstored's check_indexes: a producer never more
 * than the ring's size ahead of its consumer); the request's bytes are
 * copied into the connection before anything reads them.  A request is
 * taken whole and answered only when its replies have room, so a guest
 * that stops reading stops being served and loses nothing.
 */
#include "xs_int.h"

#define RING XENSTORE_RING_SIZE

/* xenstored's ignore_connection: no more service, the reason in the page. */
static void stop(struct xs_conn *c, volatile struct xenstore_domain_interface *r, uint32_t why)
{
	c->broken = true;
	r->error = why;
	xs_watch_clear(c);
	xs_tx_clear(c);
}

/* Queued replies and events into rsp[]: did any go? */
static bool push(struct xs_conn *c, volatile struct xenstore_domain_interface *r)
{
	uint32_t cons = r->rsp_cons, prod = r->rsp_prod, start = prod;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > RING) {
		stop(c, r, XENSTORE_ERROR_RINGIDX);
		return false;
	}
	for (; c->out_head != c->out_tail && prod - cons < RING; prod++)
		r->rsp[prod % RING] = (char)c->out[c->out_head++ % XS_OUT_BYTES];
	if (prod == start)
		return false;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->rsp_prod = prod;
	return true;
}

/* Bytes of the current request from req[]: how many were taken. */
static uint32_t pull(struct xs_conn *c, volatile struct xenstore_domain_interface *r)
{
	const uint32_t hdr = sizeof(c->hdr);
	uint32_t cons = r->req_cons, prod = r->req_prod, start = cons;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > RING) {
		stop(c, r, XENSTORE_ERROR_RINGIDX);
		return 0;
	}
	for (; cons != prod && !c->pending; cons++) {
		char ch = r->req[cons % RING];
		if (c->in_used < hdr)
			((char *)&c->hdr)[c->in_used] = ch;
		else
			c->in[c->in_used - hdr] = ch;
		if (++c->in_used == hdr && c->hdr.len > XENSTORE_PAYLOAD_MAX) {
			stop(c, r, XENSTORE_ERROR_PROTO);
			return 0;
		}
		c->pending = c->in_used >= hdr && c->in_used == hdr + c->hdr.len;
	}
	if (cons != start) {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		r->req_cons = cons;
	}
	return cons - start;
}

bool xs_service(struct xs_conn *c, volatile struct xenstore_domain_interface *r)
{
	bool moved = false;
	while (!c->broken) {
		moved |= push(c, r);
		if (c->broken)
			break;
		if (c->pending) {
			if (!xs_out_room(c))
				break;
			xs_process(c);
			c->pending = false;
			c->in_used = 0;
			continue;
		}
		if (!pull(c, r))
			break;
		moved = true;
	}
	return moved;
}

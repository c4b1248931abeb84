/* SPDX-License-Identifier: MIT */
/*
 * The store's connections (xs.h): one per domain, each with the queue of
 * messages waiting for its ring, and the small helpers every request
 * uses.  A message goes into the queue whole or not at all.
 */
#include "xs_int.h"

static const char *const err_names[] = {
	[XS_OK] = "OK", [XS_EINVAL] = "EINVAL", [XS_EACCES] = "EACCES", [XS_EEXIST] = "EEXIST",
	[XS_EISDIR] = "EISDIR", [XS_ENOENT] = "ENOENT", [XS_ENOMEM] = "ENOMEM",
	[XS_ENOSPC] = "ENOSPC", [XS_EIO] = "EIO", [XS_ENOTEMPTY] = "ENOTEMPTY",
	[XS_ENOSYS] = "ENOSYS", [XS_EROFS] = "EROFS", [XS_EBUSY] = "EBUSY",
	[XS_EAGAIN] = "EAGAIN", [XS_EISCONN] = "EISCONN", [XS_E2BIG] = "E2BIG",
	[XS_EPERM] = "EPERM",
};

const char *xs_err_name(enum xs_err e)
{
	return (unsigned)e < sizeof(err_names) / sizeof(err_names[0]) ? err_names[e] : "EINVAL";
}

size_t xs_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

bool xs_same(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

void xs_copy(void *d, const void *s, size_t n)
{
	unsigned char *dst = d;
	const unsigned char *src = s;
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
}

size_t xs_utoa(uint64_t v, char *buf)
{
	char tmp[20];
	size_t n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while (v /= 10);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = 0;
	return n;
}

size_t xs_domain_path(uint32_t dom, char *buf)
{
	static const char prefix[] = "/local/domain/";
	xs_copy(buf, prefix, sizeof(prefix) - 1);
	return sizeof(prefix) - 1 + xs_utoa(dom, buf + sizeof(prefix) - 1);
}

unsigned xs_perm_for(uint16_t dom, const struct xs_perm *p, unsigned n)
{
	if (p[0].dom == dom)
		return XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
	for (unsigned i = 1; i < n; i++)
		if (p[i].dom == dom)
			return p[i].perm;
	return p[0].perm;
}

static uint32_t out_free(const struct xs_conn *c)
{
	return XS_OUT_BYTES - (c->out_tail - c->out_head);
}

static void out_put(struct xs_conn *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		c->out[c->out_tail++ % XS_OUT_BYTES] = p[i];
}

bool xs_send(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
	     const void *a, size_t alen, const void *b, size_t blen)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id,
				 .len = (uint32_t)(alen + blen) };
	if (c->broken || sizeof(h) + alen + blen > out_free(c))
		return false;
	out_put(c, &h, sizeof(h));
	out_put(c, a, alen);
	out_put(c, b, blen);
	return true;
}

bool xs_out_room(const struct xs_conn *c)
{
	return out_free(c) >= 2 * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX);
}

void xs_store_init(struct xs_store *s)
{
	xs_db_init(&s->db);
	for (unsigned i = 0; i < XS_TX_MAX; i++)
		s->tx[i].id = 0;
	for (unsigned i = 0; i < XS_CONN_MAX; i++)
		s->conns[i] = NULL;
}

bool xs_connect(struct xs_store *s, struct xs_conn *c, uint16_t domid)
{
	for (unsigned i = 0; i < XS_CONN_MAX; i++) {
		if (s->conns[i])
			continue;
		c->store = s;                       /* field by field: no copy of the buffers */
		c->domid = domid;
		c->broken = c->pending = false;
		c->next_tx = 1;
		c->nr_watches = c->watch_used = c->in_used = 0;
		c->out_head = c->out_tail = 0;
		c->dropped = 0;
		s->conns[i] = c;
		return true;
	}
	return false;
}

void xs_disconnect(struct xs_conn *c)
{
	xs_tx_clear(c);
	xs_watch_clear(c);
	for (unsigned i = 0; i < XS_CONN_MAX; i++)
		if (c->store->conns[i] == c)
			c->store->conns[i] = NULL;
}

enum xs_err xs_write_priv(struct xs_store *s, const char *path, const char *value,
			  const struct xs_perm *perms, unsigned nperms)
{
	size_t len = xs_strlen(path), vlen = xs_strlen(value);
	if (len < 2 || path[0] != '/' || path[len - 1] == '/' || !nperms || nperms > XS_PERMS_MAX)
		return XS_EINVAL;
	struct xs_node *n = xs_db_find(&s->db, path, len);
	if (n) {
		if (!xs_db_put(&s->db, n, path, len, value, vlen, perms, nperms))
			return XS_ENOSPC;
	} else {
		uint64_t need;
		struct xs_node *a = xs_db_ancestor(&s->db, path, len, vlen, &need);
		if (!xs_db_fits(&s->db, need))
			return XS_ENOSPC;
		xs_db_make(&s->db, a, path, len, value, vlen, perms, nperms);
	}
	xs_watch_fire(s, path, len, false, NULL, 0);
	return XS_OK;
}

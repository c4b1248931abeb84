/* SPDX-License-Identifier: MIT */
/*
 * The store's requests (xs.h), one table that every message goes
 * through, each handler answering as xenstored 4.17's of that name: a
 * path not absolute is relative to /local/domain/<domid>; a node missing
 * or unreadable answers ENOENT if its nearest existing ancestor grants
 * the access asked, else EACCES (so the answer tells nothing the caller
 * may not see); a node made by a domain is owned by it and has its
 * parent's other permissions; a write makes the parents it lacks.
 */
#include "xs_int.h"

enum { F_NOTID = 1, F_PRIV = 2 };

static enum xs_err reply(struct xs_ctx *x, const void *data, size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX)
		return XS_E2BIG;
	xs_send(x->c, x->type, x->req_id, x->tx_id, data, len, NULL, 0);
	return XS_OK;
}

static enum xs_err ack(struct xs_ctx *x)
{
	return reply(x, "OK", 3);
}

static enum xs_err op_read(struct xs_ctx *x, const char *p, uint32_t len)
{
	struct xs_node *n;
	enum xs_err e = xs_get_node(x, xs_onearg(p, len), XS_PERM_READ, &n);
	return e ? e : reply(x, xs_node_value(n), n->value_len);
}

static enum xs_err op_directory(struct xs_ctx *x, const char *p, uint32_t len)
{
	struct xs_node *n;
	enum xs_err e = xs_get_node(x, xs_onearg(p, len), XS_PERM_READ, &n);
	if (e)
		return e;
	size_t all = xs_children(x->db, n, 0, x->c->scratch, XENSTORE_PAYLOAD_MAX);
	return reply(x, x->c->scratch, all);
}

/* xenstored's send_directory_part: whole names from (off) while they fit,
 * after the node's generation; an empty name ends the list. */
static enum xs_err op_directory_part(struct xs_ctx *x, const char *p, uint32_t len)
{
	struct xs_node *n;
	if (xs_count_strings(p, len) != 2)
		return XS_EINVAL;
	enum xs_err e = xs_get_node(x, p, XS_PERM_READ, &n);
	if (e)
		return e;
	uint64_t off = xs_parse_uint(p + xs_strlen(p) + 1);
	char *list = x->c->scratch, gen[24];
	size_t all = xs_children(x->db, n, off, list, XENSTORE_PAYLOAD_MAX);
	list[off < all && all - off < XENSTORE_PAYLOAD_MAX ? all - off : XENSTORE_PAYLOAD_MAX] = 0;
	size_t genlen = xs_utoa(n->gen, gen) + 1, take = 0;
	if (off >= all) {
		gen[genlen] = 0;
		return reply(x, gen, genlen + 1);
	}
	const char *child = list;
	while (take + xs_strlen(child) < XENSTORE_PAYLOAD_MAX - genlen - 1) {
		take += xs_strlen(child) + 1;
		child += xs_strlen(child) + 1;
		if (off + take == all)
			break;
	}
	take += off + take == all;          /* the empty name that ends the list */
	xs_send(x->c, x->type, x->req_id, x->tx_id, gen, genlen, list, take);
	return XS_OK;
}

static enum xs_err op_get_perms(struct xs_ctx *x, const char *p, uint32_t len)
{
	static const char letter[] = { 'n', 'r', 'w', 'b' };
	struct xs_node *n;
	enum xs_err e = xs_get_node(x, xs_onearg(p, len), XS_PERM_READ, &n);
	if (e)
		return e;
	char buf[XS_PERMS_MAX * 8];
	size_t used = 0;
	for (unsigned i = 0; i < n->nperms; i++) {
		buf[used++] = letter[n->perms[i].perm & 3];
		used += xs_utoa(n->perms[i].dom, buf + used) + 1;
	}
	return reply(x, buf, used);
}

static enum xs_err op_write(struct xs_ctx *x, const char *p, uint32_t len)
{
	const char *name;
	if (xs_get_strings(p, len, &name, 1) < 1)
		return XS_EINVAL;
	size_t off = xs_strlen(name) + 1, vlen = len - off;
	struct xs_node *n;
	enum xs_err e = xs_get_node(x, name, XS_PERM_WRITE, &n);
	if (e == XS_ENOENT)
		e = xs_create(x, p + off, vlen);
	else if (e == XS_OK && xs_entry_size(x->db, n, vlen, n->nperms) >= XS_NODE_MAX)
		e = XS_ENOSPC;
	else if (e == XS_OK && !xs_db_put(x->db, n, x->path, x->len, p + off, vlen, n->perms, n->nperms))
		e = XS_ENOSPC;
	if (e)
		return e;
	xs_changed(x, x->path, x->len, false, NULL, 0);
	return ack(x);
}

static enum xs_err op_mkdir(struct xs_ctx *x, const char *p, uint32_t len)
{
	struct xs_node *n;
	enum xs_err e = xs_get_node(x, xs_onearg(p, len), XS_PERM_WRITE, &n);
	if (e == XS_ENOENT) {
		if ((e = xs_create(x, "", 0)))
			return e;
		xs_changed(x, x->path, x->len, false, NULL, 0);
	} else if (e) {
		return e;
	}
	return ack(x);
}

static enum xs_err op_rm(struct xs_ctx *x, const char *p, uint32_t len)
{
	struct xs_node *n;
	enum xs_err e = xs_get_node(x, xs_onearg(p, len), XS_PERM_WRITE, &n);
	if (e == XS_ENOENT)
		return xs_db_find(x->db, x->path, xs_path_parent(x->path, x->len)) ? ack(x) : XS_ENOENT;
	if (e)
		return e;
	if (x->len == 1)
		return XS_EINVAL;
	xs_remove_tree(x);
	return ack(x);
}

static enum xs_err op_set_perms(struct xs_ctx *x, const char *p, uint32_t len)
{
	unsigned num = xs_count_strings(p, len);
	if (num < 2)
		return XS_EINVAL;
	if (--num > XS_PERMS_MAX)
		return XS_ENOSPC;
	struct xs_perm perms[XS_PERMS_MAX];
	const char *s = p + xs_strlen(p) + 1;
	for (unsigned i = 0; i < num; i++, s += xs_strlen(s) + 1)
		if (!xs_parse_perm(s, &perms[i]))
			return XS_EINVAL;
	if (p[0] == '@') {
		static const char rel[] = "@releaseDomain", intro[] = "@introduceDomain";
		size_t l = xs_strlen(p);
		bool known = (l == sizeof(rel) - 1 && xs_same(p, rel, l)) ||
			     (l == sizeof(intro) - 1 && xs_same(p, intro, l));
		return known ? XS_EACCES : XS_ENOENT;
	}
	struct xs_node *n;
	enum xs_err e = xs_get_node(x, p, XS_PERM_WRITE | XS_PERM_OWNER, &n);
	if (e)
		return e;
	if (perms[0].dom != n->perms[0].dom)
		return XS_EPERM;
	if (xs_entry_size(x->db, n, n->value_len, num) >= XS_NODE_MAX)
		return XS_ENOSPC;
	struct xs_perm old[XS_PERMS_MAX];
	unsigned nold = n->nperms;
	xs_copy(old, n->perms, sizeof(old));
	xs_copy(n->perms, perms, sizeof(perms));
	n->nperms = (uint8_t)num;
	xs_db_touch(x->db, n);
	xs_changed(x, x->path, x->len, false, old, nold);
	return ack(x);
}

static enum xs_err op_watch(struct xs_ctx *x, const char *p, uint32_t len)
{
	const char *vec[2];
	if (xs_get_strings(p, len, vec, 2) != 2)
		return XS_EINVAL;
	bool special = vec[0][0] == '@', relative = !special && vec[0][0] != '/';
	if (!xs_canonical(x, vec[0]) || (special ? x->len > XENSTORE_REL_PATH_MAX : !xs_valid_name(x->path, x->len)))
		return XS_EINVAL;
	enum xs_err e = xs_watch_add(x->c, x->path, x->len, vec[1], relative);
	if (e)
		return e;
	ack(x);
	xs_watch_announce(x->c);
	return XS_OK;
}

static enum xs_err op_unwatch(struct xs_ctx *x, const char *p, uint32_t len)
{
	const char *vec[2];
	if (xs_get_strings(p, len, vec, 2) != 2)
		return XS_EINVAL;
	if (!xs_canonical(x, vec[0]))
		return XS_ENOENT;
	enum xs_err e = xs_watch_remove(x->c, x->path, x->len, vec[1]);
	return e ? e : ack(x);
}

static enum xs_err op_transaction_start(struct xs_ctx *x, const char *p, uint32_t len)
{
	(void)p, (void)len;
	return x->tx ? XS_EBUSY : xs_tx_start(x);
}

static enum xs_err op_transaction_end(struct xs_ctx *x, const char *p, uint32_t len)
{
	const char *arg = xs_onearg(p, len);
	if (!arg || (arg[0] != 'T' && arg[0] != 'F') || arg[1])
		return XS_EINVAL;
	if (!x->tx)
		return XS_ENOENT;
	enum xs_err e = xs_tx_end(x, arg[0] == 'T');
	return e ? e : ack(x);
}

static enum xs_err op_get_domain_path(struct xs_ctx *x, const char *p, uint32_t len)
{
	const char *arg = xs_onearg(p, len);
	if (!arg)
		return XS_EINVAL;
	bool neg = *arg == '-';
	uint32_t dom = (uint32_t)xs_parse_uint(arg + (neg || *arg == '+'));
	char buf[32];
	size_t l = xs_domain_path(neg ? 0u - dom : dom, buf);
	return reply(x, buf, l + 1);
}

static enum xs_err op_reset_watches(struct xs_ctx *x, const char *p, uint32_t len)
{
	(void)p, (void)len;
	xs_watch_clear(x->c);
	xs_tx_clear(x->c);
	return ack(x);
}

static const struct {
	enum xs_err (*fn)(struct xs_ctx *x, const char *p, uint32_t len);
	unsigned flags;
} ops[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { NULL, F_PRIV },
	[XS_DIRECTORY] = { op_directory, 0 },
	[XS_READ] = { op_read, 0 },
	[XS_GET_PERMS] = { op_get_perms, 0 },
	[XS_WATCH] = { op_watch, F_NOTID },
	[XS_UNWATCH] = { op_unwatch, F_NOTID },
	[XS_TRANSACTION_START] = { op_transaction_start, 0 },
	[XS_TRANSACTION_END] = { op_transaction_end, 0 },
	[XS_INTRODUCE] = { NULL, F_PRIV },
	[XS_RELEASE] = { NULL, F_PRIV },
	[XS_GET_DOMAIN_PATH] = { op_get_domain_path, 0 },
	[XS_WRITE] = { op_write, 0 },
	[XS_MKDIR] = { op_mkdir, 0 },
	[XS_RM] = { op_rm, 0 },
	[XS_SET_PERMS] = { op_set_perms, 0 },
	[XS_IS_DOMAIN_INTRODUCED] = { NULL, F_PRIV },
	[XS_RESUME] = { NULL, F_PRIV },
	[XS_SET_TARGET] = { NULL, F_PRIV },
	[XS_RESET_WATCHES] = { op_reset_watches, 0 },
	[XS_DIRECTORY_PART] = { op_directory_part, 0 },
};

static enum xs_err dispatch(struct xs_ctx *x)
{
	struct xs_conn *c = x->c;
	if (x->type >= XS_TYPE_COUNT || (!ops[x->type].fn && !(ops[x->type].flags & F_PRIV)))
		return XS_ENOSYS;
	if (ops[x->type].flags & F_PRIV)
		return XS_EACCES;           /* every connection is a domain's, none privileged */
	if (!(ops[x->type].flags & F_NOTID) && x->tx_id && !(x->tx = xs_tx_find(c, x->tx_id)))
		return XS_ENOENT;
	x->db = x->tx ? &x->tx->db : &c->store->db;
	return ops[x->type].fn(x, c->in, c->hdr.len);
}

void xs_process(struct xs_conn *c)
{
	struct xs_ctx x = { .c = c, .path = c->path, .type = c->hdr.type, .req_id = c->hdr.req_id,
			    .tx_id = c->hdr.tx_id };
	enum xs_err e = dispatch(&x);
	if (e) {
		const char *name = xs_err_name(e);
		xs_send(c, XS_ERROR, x.req_id, x.tx_id, name, xs_strlen(name) + 1, NULL, 0);
	}
}

void xs_changed(struct xs_ctx *x, const char *path, size_t len, bool exact,
		const struct xs_perm *perms, unsigned nperms)
{
	if (x->tx)
		xs_tx_queue(x->tx, path, len, exact, perms, nperms);
	else
		xs_watch_fire(x->c->store, path, len, exact, perms, nperms);
}

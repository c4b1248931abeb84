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

/* --- payloads ------------------------------------------------------------- */

static unsigned count_strings(const char *p, uint32_t len)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < len; i++)
		n += p[i] == 0;
	return n;
}

/* The payload's one string, NUL-terminated at its end: else NULL. */
static const char *onearg(const char *p, uint32_t len)
{
	return len && count_strings(p, len) == 1 && p[len - 1] == 0 ? p : NULL;
}

/* The payload's first (num) strings into (vec): how many there are. */
static unsigned get_strings(const char *p, uint32_t len, const char **vec, unsigned num)
{
	unsigned n = 0;
	for (uint32_t at = 0, i; n < num && at < len; at = i + 1) {
		for (i = at; i < len && p[i]; i++)
			;
		if (i == len)
			break;
		vec[n++] = p + at;
	}
	return n;
}

/* --- paths and nodes ------------------------------------------------------- */

static bool valid_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '/' || ch == '_' || ch == '@';
}

/* xenstored's is_valid_nodename. */
static bool valid_name(const char *p, size_t len)
{
	static const char local[] = "/local/domain/";
	if (len == 0 || p[0] != '/' || (len > 1 && p[len - 1] == '/'))
		return false;
	size_t off = 0, d = sizeof(local) - 1;
	if (len > d && xs_same(p, local, d)) {
		while (d < len && d < sizeof(local) - 1 + 5 && p[d] >= '0' && p[d] <= '9')
			d++;
		if (d > sizeof(local) - 1 && d < len && p[d] == '/')
			off = d + 1;
	}
	if (len > off + XENSTORE_REL_PATH_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!valid_char(p[i]) || (p[i] == '/' && i + 1 < len && p[i + 1] == '/'))
			return false;
	return true;
}

/* (arg) made absolute into (x->path): false if too long to be valid. */
static bool canonical(struct xs_ctx *x, const char *arg)
{
	size_t alen = xs_strlen(arg), at = 0;
	if (arg[0] != '/' && arg[0] != '@') {
		at = xs_domain_path(x->c->domid, x->path);
		x->path[at++] = '/';
	}
	if (at + alen >= XS_PATH_BUF)
		return false;
	xs_copy(x->path + at, arg, alen + 1);
	x->len = at + alen;
	return true;
}

static unsigned perm_of(const struct xs_ctx *x, const struct xs_node *n)
{
	return xs_perm_for(x->c->domid, n->perms, n->nperms);
}

/* What a node missing at (path) tells: by its nearest existing ancestor. */
static enum xs_err missing(struct xs_ctx *x, unsigned perm)
{
	size_t len = x->len;
	struct xs_node *a;
	do {
		len = xs_path_parent(x->path, len);
		a = xs_db_find(x->db, x->path, len);
	} while (!a);
	return perm_of(x, a) & perm ? XS_ENOENT : XS_EACCES;
}

/* (arg)'s node, if the caller has (perm) on it. */
static enum xs_err get_node(struct xs_ctx *x, const char *arg, unsigned perm, struct xs_node **out)
{
	if (!arg || !canonical(x, arg) || !valid_name(x->path, x->len))
		return XS_EINVAL;
	struct xs_node *n = xs_db_find(x->db, x->path, x->len);
	if (!n)
		return missing(x, perm);
	if ((perm_of(x, n) & perm) != perm)
		return XS_EACCES;
	n->flags |= XS_NODE_ACCESSED;
	*out = n;
	return XS_OK;
}

/* The bytes xenstored counts against a node's quota_max_entry_size. */
static uint64_t entry_size(struct xs_db *db, const struct xs_node *n, size_t vlen, unsigned nperms)
{
	uint64_t size = 24 + 8ull * nperms + vlen;
	for (struct xs_node *k = xs_db_first(db); k; k = xs_db_next(db, k))
		if (xs_node_is_child(k, n->text, n->path_len))
			size += k->path_len - n->path_len - (n->path_len > 1) + 1;
	return size;
}

/* The length of x->path's next level below the one of length (top). */
static size_t next_level(const struct xs_ctx *x, size_t top)
{
	size_t next = top == 1 ? 1 : top + 1;
	while (next < x->len && x->path[next] != '/')
		next++;
	return next;
}

/* Make x->path with (value), and the parents it lacks, all the caller's
 * with its nearest ancestor's other permissions. */
static enum xs_err create(struct xs_ctx *x, const char *value, size_t vlen)
{
	size_t top = x->len;
	uint64_t need = xs_db_record_size(x->len, vlen);
	struct xs_node *a;
	while (!(a = xs_db_find(x->db, x->path, top = xs_path_parent(x->path, top))))
		need += xs_db_record_size(top, 0);
	size_t first = next_level(x, top), name = first - (top == 1 ? 1 : top + 1) + 1;
	if (!xs_db_fits(x->db, need) || entry_size(x->db, a, a->value_len, a->nperms) + name >= XS_NODE_MAX ||
	    24 + 8ull * a->nperms + vlen >= XS_NODE_MAX)
		return XS_ENOSPC;
	struct xs_perm perms[XS_PERMS_MAX];
	unsigned nperms = a->nperms;
	xs_copy(perms, a->perms, sizeof(perms));
	perms[0].dom = x->c->domid;
	for (size_t len = first;; len = next_level(x, len)) {
		xs_db_touch(x->db, a);
		bool last = len == x->len;
		a = xs_db_put(x->db, NULL, x->path, len, last ? value : "", last ? vlen : 0, perms, nperms);
		if (last)
			return XS_OK;
	}
}

/* --- the requests ---------------------------------------------------------- */

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
	enum xs_err e = get_node(x, onearg(p, len), XS_PERM_READ, &n);
	return e ? e : reply(x, xs_node_value(n), n->value_len);
}

/* (n)'s children's names, each NUL-terminated, as one list: its bytes
 * from (off) into (buf), at most (max); its whole length. */
static size_t children(struct xs_db *db, const struct xs_node *n, size_t off, char *buf, size_t max)
{
	size_t pos = 0, skip = n->path_len + (n->path_len > 1);
	for (struct xs_node *k = xs_db_first(db); k; k = xs_db_next(db, k)) {
		if (!xs_node_is_child(k, n->text, n->path_len))
			continue;
		size_t l = k->path_len - skip;
		for (size_t i = 0; i <= l; i++, pos++)
			if (pos >= off && pos - off < max)
				buf[pos - off] = i < l ? k->text[skip + i] : 0;
	}
	return pos;
}

static enum xs_err op_directory(struct xs_ctx *x, const char *p, uint32_t len)
{
	struct xs_node *n;
	enum xs_err e = get_node(x, onearg(p, len), XS_PERM_READ, &n);
	if (e)
		return e;
	size_t all = children(x->db, n, 0, x->c->scratch, XENSTORE_PAYLOAD_MAX);
	return reply(x, x->c->scratch, all);
}

static uint64_t parse_uint(const char *s)
{
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9' && v < (1ull << 40))
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

/* xenstored's send_directory_part: whole names from (off) while they fit,
 * after the node's generation; an empty name ends the list. */
static enum xs_err op_directory_part(struct xs_ctx *x, const char *p, uint32_t len)
{
	struct xs_node *n;
	if (count_strings(p, len) != 2)
		return XS_EINVAL;
	enum xs_err e = get_node(x, p, XS_PERM_READ, &n);
	if (e)
		return e;
	uint64_t off = parse_uint(p + xs_strlen(p) + 1);
	char *list = x->c->scratch, gen[24];
	size_t all = children(x->db, n, off, list, XENSTORE_PAYLOAD_MAX);
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
	enum xs_err e = get_node(x, onearg(p, len), XS_PERM_READ, &n);
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
	if (get_strings(p, len, &name, 1) < 1)
		return XS_EINVAL;
	size_t off = xs_strlen(name) + 1, vlen = len - off;
	struct xs_node *n;
	enum xs_err e = get_node(x, name, XS_PERM_WRITE, &n);
	if (e == XS_ENOENT)
		e = create(x, p + off, vlen);
	else if (e == XS_OK && entry_size(x->db, n, vlen, n->nperms) >= XS_NODE_MAX)
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
	enum xs_err e = get_node(x, onearg(p, len), XS_PERM_WRITE, &n);
	if (e == XS_ENOENT) {
		if ((e = create(x, "", 0)))
			return e;
		xs_changed(x, x->path, x->len, false, NULL, 0);
	} else if (e) {
		return e;
	}
	return ack(x);
}

/* Remove x->path's subtree, each node's watches fired (exact below its top). */
static void remove_tree(struct xs_ctx *x)
{
	struct xs_node *k = xs_db_first(x->db);
	while (k) {
		if (!xs_path_below(k->text, k->path_len, x->path, x->len)) {
			k = xs_db_next(x->db, k);
			continue;
		}
		if (x->tx)
			xs_tx_note_removed(x->tx, k);
		xs_changed(x, k->text, k->path_len, k->path_len != x->len, k->perms, k->nperms);
		bool last = (unsigned char *)k + k->size >= x->db->bytes + x->db->used;
		xs_db_remove(x->db, k);
		if (last)
			break;
	}
	xs_db_touch(x->db, xs_db_find(x->db, x->path, xs_path_parent(x->path, x->len)));
}

static enum xs_err op_rm(struct xs_ctx *x, const char *p, uint32_t len)
{
	struct xs_node *n;
	enum xs_err e = get_node(x, onearg(p, len), XS_PERM_WRITE, &n);
	if (e == XS_ENOENT)
		return xs_db_find(x->db, x->path, xs_path_parent(x->path, x->len)) ? ack(x) : XS_ENOENT;
	if (e)
		return e;
	if (x->len == 1)
		return XS_EINVAL;
	remove_tree(x);
	return ack(x);
}

/* "<n|r|w|b><domid>", the domid as strtol(, 0) reads it. */
static bool parse_perm(const char *s, struct xs_perm *out)
{
	static const char letters[] = "nrwb";
	unsigned perm = 0;
	while (letters[perm] && letters[perm] != s[0])
		perm++;
	if (!letters[perm] || !s[1])
		return false;
	unsigned base = 10, i = 1;
	uint64_t v = 0;
	if (s[1] == '0')
		base = (s[2] == 'x' || s[2] == 'X') && s[3] ? (i = 3, 16) : 8;
	for (; s[i]; i++) {
		unsigned dgt = s[i] >= '0' && s[i] <= '9' ? (unsigned)(s[i] - '0')
			     : (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f' ? (unsigned)((s[i] | 0x20) - 'a' + 10) : 99;
		if (dgt >= base)
			return false;
		v = (v * base + dgt) & 0xffffffffull;
	}
	*out = (struct xs_perm){ .dom = (uint16_t)v, .perm = (uint8_t)perm };
	return true;
}

static enum xs_err op_set_perms(struct xs_ctx *x, const char *p, uint32_t len)
{
	unsigned num = count_strings(p, len);
	if (num < 2)
		return XS_EINVAL;
	if (--num > XS_PERMS_MAX)
		return XS_ENOSPC;
	struct xs_perm perms[XS_PERMS_MAX];
	const char *s = p + xs_strlen(p) + 1;
	for (unsigned i = 0; i < num; i++, s += xs_strlen(s) + 1)
		if (!parse_perm(s, &perms[i]))
			return XS_EINVAL;
	if (p[0] == '@') {
		static const char rel[] = "@releaseDomain", intro[] = "@introduceDomain";
		size_t l = xs_strlen(p);
		bool known = (l == sizeof(rel) - 1 && xs_same(p, rel, l)) ||
			     (l == sizeof(intro) - 1 && xs_same(p, intro, l));
		return known ? XS_EACCES : XS_ENOENT;
	}
	struct xs_node *n;
	enum xs_err e = get_node(x, p, XS_PERM_WRITE | XS_PERM_OWNER, &n);
	if (e)
		return e;
	if (perms[0].dom != n->perms[0].dom)
		return XS_EPERM;
	if (entry_size(x->db, n, n->value_len, num) >= XS_NODE_MAX)
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
	if (get_strings(p, len, vec, 2) != 2)
		return XS_EINVAL;
	bool special = vec[0][0] == '@', relative = !special && vec[0][0] != '/';
	if (!canonical(x, vec[0]) || (special ? x->len > XENSTORE_REL_PATH_MAX : !valid_name(x->path, x->len)))
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
	if (get_strings(p, len, vec, 2) != 2)
		return XS_EINVAL;
	if (!canonical(x, vec[0]))
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
	const char *arg = onearg(p, len);
	if (!arg || (arg[0] != 'T' && arg[0] != 'F') || arg[1])
		return XS_EINVAL;
	if (!x->tx)
		return XS_ENOENT;
	enum xs_err e = xs_tx_end(x, arg[0] == 'T');
	return e ? e : ack(x);
}

static enum xs_err op_get_domain_path(struct xs_ctx *x, const char *p, uint32_t len)
{
	const char *arg = onearg(p, len);
	if (!arg)
		return XS_EINVAL;
	bool neg = *arg == '-';
	uint32_t dom = (uint32_t)parse_uint(arg + (neg || *arg == '+'));
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

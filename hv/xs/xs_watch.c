/* SPDX-License-Identifier: MIT */
/*
 * Watches (xs.h): a connection's watches are records packed in its own
 * buffer, each a path made absolute and a token, in the order they were
 * set.  A change to a node fires every watch on it or above it (a removal
 * fires exactly on each node below the one removed), for each connection
 * that may read the node, or could before the change, or may read its
 * parent (xenstored's watch_permitted).  A watch set relative to the
 * domain's path reports its events relative to it.
 */
#include "xs_int.h"

struct watch {
	uint16_t size, path_len, token_len;
	uint8_t relative, pad;
	char text[];                /* path, NUL, token, NUL */
};

static struct watch *first(struct xs_conn *c)
{
	return c->watch_used ? (struct watch *)c->watches : NULL;
}

static struct watch *next(struct xs_conn *c, struct watch *w)
{
	uint32_t at = (uint32_t)((unsigned char *)w - c->watches) + w->size;
	return at < c->watch_used ? (struct watch *)&c->watches[at] : NULL;
}

static struct watch *find(struct xs_conn *c, const char *path, size_t len, const char *token)
{
	size_t tlen = xs_strlen(token);
	for (struct watch *w = first(c); w; w = next(c, w))
		if (w->path_len == len && w->token_len == tlen && xs_same(w->text, path, len) &&
		    xs_same(w->text + len + 1, token, tlen))
			return w;
	return NULL;
}

enum xs_err xs_watch_add(struct xs_conn *c, const char *path, size_t len, const char *token,
			 bool relative)
{
	if (find(c, path, len, token))
		return XS_EEXIST;
	if (c->nr_watches > XS_WATCH_MAX)
		return XS_E2BIG;
	size_t tlen = xs_strlen(token);
	size_t size = (sizeof(struct watch) + len + tlen + 2 + 7) & ~(size_t)7;
	if (size > XS_WATCH_BYTES - c->watch_used)
		return XS_ENOMEM;
	struct watch *w = (struct watch *)&c->watches[c->watch_used];
	*w = (struct watch){ .size = (uint16_t)size, .path_len = (uint16_t)len,
			     .token_len = (uint16_t)tlen, .relative = relative };
	xs_copy(w->text, path, len);
	w->text[len] = 0;
	xs_copy(w->text + len + 1, token, tlen + 1);
	c->watch_used += (uint32_t)size;
	c->nr_watches++;
	return XS_OK;
}

enum xs_err xs_watch_remove(struct xs_conn *c, const char *path, size_t len, const char *token)
{
	struct watch *w = find(c, path, len, token);
	if (!w)
		return XS_ENOENT;
	uint32_t at = (uint32_t)((unsigned char *)w - c->watches), size = w->size;
	xs_copy(&c->watches[at], &c->watches[at + size], c->watch_used - at - size);
	c->watch_used -= size;
	c->nr_watches--;
	return XS_OK;
}

void xs_watch_clear(struct xs_conn *c)
{
	c->watch_used = 0;
	c->nr_watches = 0;
}

/* Watch (w) of (c) saw (path) change: its event, or a loss counted. */
static void event(struct xs_conn *c, const struct watch *w, const char *path, size_t len)
{
	if (w->relative) {
		char base[32];
		size_t skip = xs_domain_path(c->domid, base);
		skip += skip < len && path[skip] == '/';
		path += skip;
		len -= skip;
	}
	size_t tail = w->token_len + 2u;    /* NUL, token, NUL */
	if (len + tail > XENSTORE_PAYLOAD_MAX ||
	    !xs_send(c, XS_WATCH_EVENT, 0, 0, path, len, w->text + w->path_len, tail))
		c->dropped++;
}

void xs_watch_announce(struct xs_conn *c)
{
	struct watch *w = first(c), *n;
	while ((n = next(c, w)))
		w = n;
	event(c, w, w->text, w->path_len);
}

static bool permitted(struct xs_db *db, uint16_t dom, const char *path, size_t len,
		      const struct xs_perm *perms, unsigned nperms)
{
	if (perms && (xs_perm_for(dom, perms, nperms) & XS_PERM_READ))
		return true;
	struct xs_node *n = xs_db_find(db, path, len);
	if (!n)
		return false;
	if (xs_perm_for(dom, n->perms, n->nperms) & XS_PERM_READ)
		return true;
	struct xs_node *p = xs_db_find(db, path, xs_path_parent(path, len));
	return p && (xs_perm_for(dom, p->perms, p->nperms) & XS_PERM_READ);
}

void xs_watch_fire(struct xs_store *s, const char *path, size_t len, bool exact,
		   const struct xs_perm *perms, unsigned nperms)
{
	for (unsigned i = 0; i < XS_CONN_MAX; i++) {
		struct xs_conn *c = s->conns[i];
		if (!c || c->broken || !permitted(&s->db, c->domid, path, len, perms, nperms))
			continue;
		for (struct watch *w = first(c); w; w = next(c, w))
			if (exact ? w->path_len == len && xs_same(w->text, path, len)
				  : xs_path_below(path, len, w->text, w->path_len))
				event(c, w, path, len);
	}
}

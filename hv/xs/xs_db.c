/* SPDX-License-Identifier: MIT */
/*
 * The xenstore database (xs.h): one arena of node records packed in
 * creation order, so a directory lists its children as they were made.
 * A record changes size in place (the rest of the arena moves), so its
 * place in the order is kept.  A lookup is a walk over the arena: the
 * store is a few hundred nodes of control data, not a filesystem.
 */
#include "xs_int.h"

static void move(void *d, const void *s, size_t n)
{
	unsigned char *dst = d;
	const unsigned char *src = s;
	if (dst < src)
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	else
		for (size_t i = n; i-- > 0;)
			dst[i] = src[i];
}

uint32_t xs_db_record_size(size_t plen, size_t vlen)
{
	return (uint32_t)((sizeof(struct xs_node) + plen + vlen + 7) & ~(size_t)7);
}

bool xs_db_fits(const struct xs_db *db, uint64_t bytes)
{
	return bytes <= XS_DB_BYTES - db->used;
}

struct xs_node *xs_db_first(struct xs_db *db)
{
	return (struct xs_node *)db->bytes;
}

struct xs_node *xs_db_next(struct xs_db *db, const struct xs_node *n)
{
	uint32_t at = (uint32_t)((const unsigned char *)n - db->bytes) + n->size;
	return at < db->used ? (struct xs_node *)&db->bytes[at] : NULL;
}

struct xs_node *xs_db_find(struct xs_db *db, const char *path, size_t len)
{
	for (struct xs_node *n = xs_db_first(db); n; n = xs_db_next(db, n))
		if (n->path_len == len && xs_same(n->text, path, len))
			return n;
	return NULL;
}

void xs_db_touch(struct xs_db *db, struct xs_node *n)
{
	n->gen = ++db->clock;
	n->flags |= XS_NODE_ACCESSED | XS_NODE_CHANGED;
}

struct xs_node *xs_db_put(struct xs_db *db, struct xs_node *n, const char *path, size_t len,
			  const void *value, size_t vlen, const struct xs_perm *perms, unsigned nperms)
{
	uint32_t want = xs_db_record_size(len, vlen), have = n ? n->size : 0;
	if (want > have && !xs_db_fits(db, want - have))
		return NULL;
	if (!n) {
		n = (struct xs_node *)&db->bytes[db->used];
		*n = (struct xs_node){ .path_len = (uint16_t)len };
		move(n->text, path, len);
	} else {
		unsigned char *tail = (unsigned char *)n + have;
		move((unsigned char *)n + want, tail, db->used - (uint32_t)(tail - db->bytes));
	}
	db->used = db->used - have + want;
	n->size = want;
	n->value_len = (uint16_t)vlen;
	move(n->text + n->path_len, value, vlen);
	if (perms != n->perms)
		move(n->perms, perms, nperms * sizeof(*perms));
	n->nperms = (uint8_t)nperms;
	xs_db_touch(db, n);
	return n;
}

void xs_db_remove(struct xs_db *db, struct xs_node *n)
{
	unsigned char *tail = (unsigned char *)n + n->size;
	uint32_t size = n->size;
	move(n, tail, db->used - (uint32_t)(tail - db->bytes));
	db->used -= size;
}

struct xs_node *xs_db_ancestor(struct xs_db *db, const char *path, size_t len, size_t vlen, uint64_t *need)
{
	struct xs_node *a;
	*need = xs_db_record_size(len, vlen);
	while (!(a = xs_db_find(db, path, len = xs_path_parent(path, len))))
		*need += xs_db_record_size(len, 0);
	return a;
}

void xs_db_make(struct xs_db *db, struct xs_node *a, const char *path, size_t len, const void *value,
		size_t vlen, const struct xs_perm *perms, unsigned nperms)
{
	for (size_t top = a->path_len;;) {
		size_t next = top == 1 ? 1 : top + 1;
		while (next < len && path[next] != '/')
			next++;
		xs_db_touch(db, a);
		bool last = next == len;
		a = xs_db_put(db, NULL, path, next, last ? value : "", last ? vlen : 0, perms, nperms);
		if (last)
			return;
		top = next;
	}
}

void xs_db_init(struct xs_db *db)
{
	db->clock = 0;
	db->used = 0;
	const struct xs_perm none = { .dom = 0, .perm = XS_PERM_NONE };
	xs_db_put(db, NULL, "/", 1, "", 0, &none, 1);
}

bool xs_path_below(const char *path, size_t len, const char *parent, size_t plen)
{
	if (plen == 1 && parent[0] == '/')
		return true;
	return len >= plen && xs_same(path, parent, plen) && (len == plen || path[plen] == '/');
}

bool xs_node_is_child(const struct xs_node *n, const char *parent, size_t plen)
{
	size_t len = n->path_len, start = plen == 1 ? 1 : plen + 1;
	if (len <= start || !xs_path_below(n->text, len, parent, plen))
		return false;
	for (size_t i = start; i < len; i++)
		if (n->text[i] == '/')
			return false;
	return true;
}

size_t xs_path_parent(const char *path, size_t len)
{
	size_t i = len;
	while (i > 1 && path[i - 1] != '/')
		i--;
	return i > 1 ? i - 1 : 1;
}

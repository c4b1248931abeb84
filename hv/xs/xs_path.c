/* SPDX-License-Identifier: MIT */
/*
 * What the store's requests share (xs_int.h): their payloads read as
 * xenstored reads them (NUL-terminated strings, the last one ending the
 * payload where one is asked for), paths checked and made absolute as
 * xenstored's is_valid_nodename and canonicalize do, nodes looked up
 * with the caller's permissions, made with the parents they lack, and
 * removed with all below them.
 */
#include "xs_int.h"

/* --- payloads ------------------------------------------------------------- */

unsigned xs_count_strings(const char *p, uint32_t len)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < len; i++)
		n += p[i] == 0;
	return n;
}

/* The payload's one string, NUL-terminated at its end: else NULL. */
const char *xs_onearg(const char *p, uint32_t len)
{
	return len && xs_count_strings(p, len) == 1 && p[len - 1] == 0 ? p : NULL;
}

/* The payload's first (num) strings into (vec): how many there are. */
unsigned xs_get_strings(const char *p, uint32_t len, const char **vec, unsigned num)
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
bool xs_valid_name(const char *p, size_t len)
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
bool xs_canonical(struct xs_ctx *x, const char *arg)
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
enum xs_err xs_get_node(struct xs_ctx *x, const char *arg, unsigned perm, struct xs_node **out)
{
	if (!arg || !xs_canonical(x, arg) || !xs_valid_name(x->path, x->len))
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
uint64_t xs_entry_size(struct xs_db *db, const struct xs_node *n, size_t vlen, unsigned nperms)
{
	uint64_t size = 24 + 8ull * nperms + vlen;
	for (struct xs_node *k = xs_db_first(db); k; k = xs_db_next(db, k))
		if (xs_node_is_child(k, n->text, n->path_len))
			size += k->path_len - n->path_len - (n->path_len > 1) + 1;
	return size;
}

/* Make x->path with (value), and the parents it lacks, all the caller's
 * with its nearest ancestor's other permissions. */
enum xs_err xs_create(struct xs_ctx *x, const char *value, size_t vlen)
{
	uint64_t need;
	struct xs_node *a = xs_db_ancestor(x->db, x->path, x->len, vlen, &need);
	size_t first = a->path_len == 1 ? 1 : a->path_len + 1, end = first;
	while (end < x->len && x->path[end] != '/')
		end++;
	if (!xs_db_fits(x->db, need) ||
	    xs_entry_size(x->db, a, a->value_len, a->nperms) + (end - first + 1) >= XS_NODE_MAX ||
	    24 + 8ull * a->nperms + vlen >= XS_NODE_MAX)
		return XS_ENOSPC;
	struct xs_perm perms[XS_PERMS_MAX];
	xs_copy(perms, a->perms, sizeof(perms));
	perms[0].dom = x->c->domid;
	xs_db_make(x->db, a, x->path, x->len, value, vlen, perms, a->nperms);
	return XS_OK;
}

/* (n)'s children's names, each NUL-terminated, as one list: its bytes
 * from (off) into (buf), at most (max); its whole length. */
size_t xs_children(struct xs_db *db, const struct xs_node *n, size_t off, char *buf, size_t max)
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

uint64_t xs_parse_uint(const char *s)
{
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9' && v < (1ull << 40))
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

/* "<n|r|w|b><domid>", the domid as strtol(, 0) reads it. */
bool xs_parse_perm(const char *s, struct xs_perm *out)
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

/* Remove x->path's subtree, each node's watches fired (exact below its top). */
void xs_remove_tree(struct xs_ctx *x)
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


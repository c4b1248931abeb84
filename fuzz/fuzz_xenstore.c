/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for hv's xenstore (hv/xs/), whose input is whatever a
 * guest writes into its ring page: the bytes go into the request ring in
 * pieces the input chooses, between them the guest reads its replies or
 * not, or scribbles an index.  After each piece: the store is a tree
 * (every node's parent there, no path twice, the records filling exactly
 * what is used), what is not the guest's is unchanged, the output queue
 * within its bounds, and the rings' indices as a server leaves them. */
#include <stdlib.h>
#include <string.h>
#include "../hv/xs/xs.h"

#define DOM 5

struct world {
	struct xs_store s;
	struct xs_conn c;
	struct xenstore_domain_interface r;
};

static void sane_db(struct xs_db *db)
{
	uint32_t bytes = 0;
	for (struct xs_node *n = xs_db_first(db); n; n = xs_db_next(db, n)) {
		bytes += n->size;
		if (n->size < sizeof(*n) + n->path_len + n->value_len || n->size % 8 || !n->path_len ||
		    n->text[0] != '/' || !n->nperms || n->nperms > XS_PERMS_MAX)
			abort();
		if (n->path_len > 1 && !xs_db_find(db, n->text, xs_path_parent(n->text, n->path_len)))
			abort();                         /* a node without its parent */
		if (xs_db_find(db, n->text, n->path_len) != n)
			abort();                         /* a path twice */
	}
	if (bytes != db->used || db->used > XS_DB_BYTES)
		abort();
}

static void value_is(struct xs_store *s, const char *path, const char *value)
{
	struct xs_node *n = xs_db_find(&s->db, path, strlen(path));
	if (!n || n->value_len != strlen(value) || memcmp(xs_node_value(n), value, n->value_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xs_perm hv_only = { .dom = 0, .perm = XS_PERM_NONE };
	static const struct xs_perm readable[] = { { .dom = 0, .perm = XS_PERM_NONE },
						   { .dom = DOM, .perm = XS_PERM_READ } };
	static const struct xs_perm owned = { .dom = DOM, .perm = XS_PERM_NONE };
	struct world *w = calloc(1, sizeof(*w));
	xs_store_init(&w->s);
	xs_connect(&w->s, &w->c, DOM);
	xs_write_priv(&w->s, "/local/domain/0/secret", "x", &hv_only, 1);
	xs_write_priv(&w->s, "/local/domain/5/name", "guest", readable, 2);
	xs_write_priv(&w->s, "/local/domain/5/data", "", &owned, 1);
	size_t at = 0;
	while (at < size) {
		uint8_t ctl = data[at++];
		if (ctl == 0xff && at + 4 <= size) {             /* an index scribbled */
			uint32_t v;
			memcpy(&v, data + at, 4);
			at += 4;
			*(ctl & 1 ? &w->r.req_prod : &w->r.rsp_cons) = v;
		} else if (ctl & 0x80) {                         /* the replies read */
			w->r.rsp_cons = w->r.rsp_prod;
		}
		size_t n = ctl & 0x3f;
		for (size_t i = 0; i < n && at < size; i++, at++) {
			if (w->r.req_prod - w->r.req_cons >= XENSTORE_RING_SIZE)
				break;
			w->r.req[w->r.req_prod++ % XENSTORE_RING_SIZE] = (char)data[at];
		}
		uint32_t req_cons = w->r.req_cons, rsp_prod = w->r.rsp_prod;
		xs_service(&w->c, &w->r);
		sane_db(&w->s.db);
		for (unsigned i = 0; i < XS_TX_MAX; i++)
			if (w->s.tx[i].id)
				sane_db(&w->s.tx[i].db);
		value_is(&w->s, "/local/domain/0/secret", "x");
		value_is(&w->s, "/local/domain/5/name", "guest");
		if (w->c.out_tail - w->c.out_head > XS_OUT_BYTES || w->c.in_used > 16 + XENSTORE_PAYLOAD_MAX)
			abort();
		if (!w->c.broken && (w->r.req_cons - req_cons > XENSTORE_RING_SIZE ||
				     w->r.rsp_prod - w->r.rsp_cons > XENSTORE_RING_SIZE ||
				     w->r.rsp_prod - rsp_prod > XENSTORE_RING_SIZE))
			abort();
	}
	free(w);
	return 0;
}

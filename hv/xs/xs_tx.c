/* SPDX-License-Identifier: MIT */
/*
 * Transactions (xs.h).  A transaction starts with a whole copy of the
 * database, each node's generation kept in (seen), and every request in
 * it works on the copy with the same code as outside, which marks the
 * nodes it reads and changes.  Its log keeps what the copy cannot show:
 * each node it removed (with its generation then) and each change whose
 * watches are to fire (once per path; a change to all below a path
 * supersedes one to the path alone, as xenstored queues them).
 *
 * At commit it conflicts (EAGAIN) if any node it touched or removed has a
 * generation in the database other than the one it saw (0 for a node it
 * made: none may have appeared), as xenstored's generation counts decide.
 * Otherwise the removed nodes go, the changed ones are written in the
 * copy's order (parents before children), and the queued watches fire.
 * Room is checked before anything is written, so a commit is whole.
 */
#include "xs_int.h"

enum { LOG_REMOVED, LOG_EVENT, LOG_EVENT_EXACT };

struct log_rec {
	uint64_t seen;
	uint16_t size, len;
	uint8_t kind, nperms, pad[2];
	struct xs_perm perms[XS_PERMS_MAX];
	char path[];
};

static struct log_rec *log_first(struct xs_tx *tx)
{
	return tx->log_used ? (struct log_rec *)tx->log : NULL;
}

static struct log_rec *log_next(struct xs_tx *tx, struct log_rec *r)
{
	uint32_t at = (uint32_t)((unsigned char *)r - tx->log) + r->size;
	return at < tx->log_used ? (struct log_rec *)&tx->log[at] : NULL;
}

static void log_add(struct xs_tx *tx, unsigned kind, uint64_t seen, const char *path, size_t len,
		    const struct xs_perm *perms, unsigned nperms)
{
	size_t size = (sizeof(struct log_rec) + len + 7) & ~(size_t)7;
	if (size > XS_TX_LOG - tx->log_used) {
		tx->failed = true;
		return;
	}
	struct log_rec *r = (struct log_rec *)&tx->log[tx->log_used];
	*r = (struct log_rec){ .seen = seen, .size = (uint16_t)size, .len = (uint16_t)len,
			       .kind = (uint8_t)kind, .nperms = (uint8_t)nperms };
	if (perms)
		xs_copy(r->perms, perms, nperms * sizeof(*perms));
	xs_copy(r->path, path, len);
	tx->log_used += (uint32_t)size;
}

struct xs_tx *xs_tx_find(struct xs_conn *c, uint32_t id)
{
	for (unsigned i = 0; i < XS_TX_MAX; i++)
		if (c->store->tx[i].id == id && c->store->tx[i].conn == c)
			return &c->store->tx[i];
	return NULL;
}

enum xs_err xs_tx_start(struct xs_ctx *x)
{
	struct xs_store *s = x->c->store;
	struct xs_tx *tx = NULL;
	for (unsigned i = 0; i < XS_TX_MAX && !tx; i++)
		if (!s->tx[i].id)
			tx = &s->tx[i];
	if (!tx)
		return XS_ENOSPC;
	uint32_t id;
	do
		id = x->c->next_tx++;
	while (!id || xs_tx_find(x->c, id));
	tx->id = id;
	tx->conn = x->c;
	tx->failed = false;
	tx->log_used = 0;
	tx->db.clock = s->db.clock;
	tx->db.used = s->db.used;
	xs_copy(tx->db.bytes, s->db.bytes, s->db.used);
	for (struct xs_node *n = xs_db_first(&tx->db); n; n = xs_db_next(&tx->db, n)) {
		n->seen = n->gen;
		n->flags = 0;
	}
	char num[12];
	size_t l = xs_utoa(tx->id, num);
	xs_send(x->c, x->type, x->req_id, x->tx_id, num, l + 1, NULL, 0);
	return XS_OK;
}

void xs_tx_note_removed(struct xs_tx *tx, const struct xs_node *n)
{
	if (n->seen)
		log_add(tx, LOG_REMOVED, n->seen, n->text, n->path_len, NULL, 0);
}

void xs_tx_queue(struct xs_tx *tx, const char *path, size_t len, bool exact,
		 const struct xs_perm *perms, unsigned nperms)
{
	for (struct log_rec *r = log_first(tx); r; r = log_next(tx, r)) {
		if (r->kind == LOG_REMOVED || r->len != len || !xs_same(r->path, path, len))
			continue;
		if (!exact)
			r->kind = LOG_EVENT;
		return;
	}
	log_add(tx, exact ? LOG_EVENT_EXACT : LOG_EVENT, 0, path, len, perms, perms ? nperms : 0);
}

static uint64_t gen_in(struct xs_db *db, const char *path, size_t len)
{
	struct xs_node *n = xs_db_find(db, path, len);
	return n ? n->gen : 0;
}

/* Has the database moved under (tx)?  If not, the bytes its changes need. */
static bool conflicts(struct xs_tx *tx, struct xs_db *db, uint64_t *need)
{
	*need = 0;
	for (struct xs_node *n = xs_db_first(&tx->db); n; n = xs_db_next(&tx->db, n)) {
		if ((n->flags & XS_NODE_ACCESSED) && gen_in(db, n->text, n->path_len) != n->seen)
			return true;
		if (n->flags & XS_NODE_CHANGED)
			*need += n->size;
	}
	for (struct log_rec *r = log_first(tx); r; r = log_next(tx, r))
		if (r->kind == LOG_REMOVED && gen_in(db, r->path, r->len) != r->seen)
			return true;
	return false;
}

static void apply(struct xs_tx *tx, struct xs_store *s)
{
	for (struct log_rec *r = log_first(tx); r; r = log_next(tx, r)) {
		struct xs_node *n = r->kind == LOG_REMOVED ? xs_db_find(&s->db, r->path, r->len) : NULL;
		if (n)
			xs_db_remove(&s->db, n);
	}
	for (struct xs_node *n = xs_db_first(&tx->db); n; n = xs_db_next(&tx->db, n))
		if (n->flags & XS_NODE_CHANGED)
			xs_db_put(&s->db, xs_db_find(&s->db, n->text, n->path_len), n->text, n->path_len,
				  xs_node_value(n), n->value_len, n->perms, n->nperms);
	for (struct log_rec *r = log_first(tx); r; r = log_next(tx, r))
		if (r->kind != LOG_REMOVED)
			xs_watch_fire(s, r->path, r->len, r->kind == LOG_EVENT_EXACT,
				      r->nperms ? r->perms : NULL, r->nperms);
}

enum xs_err xs_tx_end(struct xs_ctx *x, bool commit)
{
	struct xs_tx *tx = x->tx;
	struct xs_store *s = x->c->store;
	tx->id = 0;
	uint64_t need;
	if (!commit)
		return XS_OK;
	if (tx->failed)
		return XS_ENOMEM;
	if (conflicts(tx, &s->db, &need))
		return XS_EAGAIN;
	if (!xs_db_fits(&s->db, need))
		return XS_ENOSPC;
	apply(tx, s);
	return XS_OK;
}

void xs_tx_clear(struct xs_conn *c)
{
	for (unsigned i = 0; i < XS_TX_MAX; i++)
		if (c->store->tx[i].conn == c)
			c->store->tx[i].id = 0;
}

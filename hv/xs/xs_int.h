/* SPDX-License-Identifier: MIT */
/*
 * What the store's files share among themselves (xs.h is the interface).
 */
#ifndef HV_XS_XS_INT_H
#define HV_XS_XS_INT_H

#include "xs.h"

/* One request being answered: its connection, its transaction (NULL for
 * none), the database it works on (the store's or the transaction's
 * copy), and its node's path made absolute. */
struct xs_ctx {
	struct xs_conn *c;
	struct xs_tx *tx;
	struct xs_db *db;
	uint32_t type, req_id, tx_id;
	size_t len;
	char *path;                 /* XS_PATH_BUF bytes: the connection's */
};

size_t xs_strlen(const char *s);
bool xs_same(const char *a, const char *b, size_t n);
void xs_copy(void *d, const void *s, size_t n);
/* Decimal digits of (v) into (buf), NUL-terminated: their count. */
size_t xs_utoa(uint64_t v, char *buf);
/* The access (dom) has to a node of permissions (p[0..n)): xenstored's perm_for_conn. */
unsigned xs_perm_for(uint16_t dom, const struct xs_perm *p, unsigned n);
/* "/local/domain/<dom>", its length. */
size_t xs_domain_path(uint32_t dom, char *buf);

/* --- xs_path.c ------------------------------------------------------------ */
/* The payload's NULs; its one string, NUL-terminated at its end (else
 * NULL); its first (num) strings into (vec), how many there are. */
unsigned xs_count_strings(const char *p, uint32_t len);
const char *xs_onearg(const char *p, uint32_t len);
unsigned xs_get_strings(const char *p, uint32_t len, const char **vec, unsigned num);
/* xenstored's is_valid_nodename. */
bool xs_valid_name(const char *p, size_t len);
/* (arg) made absolute into x->path: false if too long to be valid. */
bool xs_canonical(struct xs_ctx *x, const char *arg);
/* (arg)'s node in x->db into (*out), if the caller has (perm) on it. */
enum xs_err xs_get_node(struct xs_ctx *x, const char *arg, unsigned perm, struct xs_node **out);
/* The bytes xenstored counts against quota_max_entry_size for (n) with a
 * value of (vlen) bytes and (nperms) permissions. */
uint64_t xs_entry_size(struct xs_db *db, const struct xs_node *n, size_t vlen, unsigned nperms);
/* Make x->path with (value) and the parents it lacks, the caller's. */
enum xs_err xs_create(struct xs_ctx *x, const char *value, size_t vlen);
/* (n)'s children's names as one NUL-separated list: its bytes from (off)
 * into (buf), at most (max); the whole list's length. */
size_t xs_children(struct xs_db *db, const struct xs_node *n, size_t off, char *buf, size_t max);
uint64_t xs_parse_uint(const char *s);
/* "<n|r|w|b><domid>" into (*out), the domid as strtol(, 0) reads it. */
bool xs_parse_perm(const char *s, struct xs_perm *out);
/* Remove x->path and all below it, each node's watches fired (exactly,
 * below the top). */
void xs_remove_tree(struct xs_ctx *x);

/* A message to (c): header and the payload (a, alen) then (b, blen),
 * whole or not at all (false: no room). */
bool xs_send(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
	     const void *a, size_t alen, const void *b, size_t blen);

/* --- xs_watch.c ----------------------------------------------------------- */
enum xs_err xs_watch_add(struct xs_conn *c, const char *path, size_t len, const char *token,
			 bool relative);
enum xs_err xs_watch_remove(struct xs_conn *c, const char *path, size_t len, const char *token);
void xs_watch_clear(struct xs_conn *c);
/* The event a watch gives when it is set: its newest watch's own path. */
void xs_watch_announce(struct xs_conn *c);
/* (path) of the store's database changed (exact: only a watch on it
 * matches, not one above): an event to every matching watch of every
 * connection that may read it; (perms) are the node's before the change
 * (NULL: its own). */
void xs_watch_fire(struct xs_store *s, const char *path, size_t len, bool exact,
		   const struct xs_perm *perms, unsigned nperms);

/* --- xs_tx.c -------------------------------------------------------------- */
struct xs_tx *xs_tx_find(struct xs_conn *c, uint32_t id);
enum xs_err xs_tx_start(struct xs_ctx *x);
enum xs_err xs_tx_end(struct xs_ctx *x, bool commit);
void xs_tx_clear(struct xs_conn *c);
/* In transaction (tx): node (n) is being removed; (path) changed. */
void xs_tx_note_removed(struct xs_tx *tx, const struct xs_node *n);
void xs_tx_queue(struct xs_tx *tx, const char *path, size_t len, bool exact,
		 const struct xs_perm *perms, unsigned nperms);

/* A change to (path) in (x)'s database: its watches fire now, or at
 * commit in a transaction. */
void xs_changed(struct xs_ctx *x, const char *path, size_t len, bool exact,
		const struct xs_perm *perms, unsigned nperms);

#endif

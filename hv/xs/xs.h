/* SPDX-License-Identifier: MIT */
/*
 * hv's xenstore: the store a domain's xenbus talks to, where Xen runs
 * xenstored in its dom0 (the protocol: Xen's docs/misc/xenstore.txt and
 * public/io/xs_wire.h; the answers: xenstored 4.17's, tools/xenstore).
 * Pure: guest bytes come in through a ring page, are copied once into a
 * connection's buffer and checked there; nothing else is touched.
 * Host-tested (tests/unit/test_xenstore.c) and fuzzed (fuzz/fuzz_xenstore.c).
 *
 * The database (xs_db.c) is one arena of node records in creation order
 * (a directory lists its children in that order, as xenstored does);
 * every node has a value, up to five permissions (the first names its
 * owner) and a generation, the database's clock when it last changed,
 * its list of children included.  The root exists always.
 *
 * Requests (xs_op.c, xs_path.c) run one at a time under the caller's lock, each on
 * the database or on its transaction's copy, and answer as xenstored
 * does, errors by name.  A connection is a domain's (never privileged:
 * hv itself writes through xs_write_priv, as a toolstack would).
 * Watches fire to every connection that may read the node; an event
 * that finds no room in a connection's output is dropped and counted
 * (xenstore.txt: watches may be lost to a reader that cannot keep up).
 *
 * A transaction (xs_tx.c) works on a whole copy of the database taken
 * when it starts (xenstore.txt: "whole db is copied"); it commits if no
 * node it read or changed has changed in the database since, else EAGAIN,
 * as xenstored's generations decide.  Its watch events fire at commit.
 *
 * The ring (xs_ring.c): requests are taken from req[] only while the
 * connection's output can hold the largest reply, so a guest that does
 * not read its replies stops being served, never makes hv drop one.  An
 * index out of range or a payload over XENSTORE_PAYLOAD_MAX breaks the
 * connection (error written in the ring page), as xenstored ignores it.
 *
 * Quotas (hv's, where xenstored's defaults are larger): XS_DB_BYTES for
 * the whole store, XS_TX_MAX transactions open in all, XS_WATCH_BYTES of
 * watches per connection; past them ENOSPC or E2BIG as xenstored answers
 * its own.
 */
#ifndef HV_XS_XS_H
#define HV_XS_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvmmu/abi.h>

#define XS_DB_BYTES    16384u
#define XS_TX_MAX      4u
#define XS_TX_LOG      2048u
#define XS_WATCH_MAX   128u       /* xenstored's quota_nb_watch_per_domain */
#define XS_WATCH_BYTES 4096u
#define XS_OUT_BYTES   16384u
#define XS_PERMS_MAX   5u         /* xenstored's quota_nb_perms_per_node */
#define XS_NODE_MAX    2048u      /* xenstored's quota_max_entry_size */
#define XS_CONN_MAX    64u
#define XS_PATH_BUF    (XENSTORE_ABS_PATH_MAX + 32u)

/* Permission bits: xenstored's XS_PERM_*. */
#define XS_PERM_NONE  0u
#define XS_PERM_READ  1u
#define XS_PERM_WRITE 2u
#define XS_PERM_OWNER 4u

/* Errors, named on the wire: xs_wire.h's xsd_errors, in its order. */
enum xs_err {
	XS_OK, XS_EINVAL, XS_EACCES, XS_EEXIST, XS_EISDIR, XS_ENOENT, XS_ENOMEM, XS_ENOSPC,
	XS_EIO, XS_ENOTEMPTY, XS_ENOSYS, XS_EROFS, XS_EBUSY, XS_EAGAIN, XS_EISCONN, XS_E2BIG,
	XS_EPERM,
};
/* Its name ("EINVAL"). */
const char *xs_err_name(enum xs_err e);

struct xs_perm {
	uint16_t dom;
	uint8_t perm;               /* XS_PERM_READ | XS_PERM_WRITE */
	uint8_t pad;
};

/* A node record.  flags: a transaction's copy marks what it touched. */
#define XS_NODE_ACCESSED 1u
#define XS_NODE_CHANGED  2u
struct xs_node {
	uint64_t gen;               /* the database's clock when it last changed */
	uint64_t seen;              /* in a transaction's copy: its gen when copied, 0 if made there */
	uint32_t size;              /* bytes of the record, a multiple of 8 */
	uint16_t path_len, value_len;
	uint8_t nperms, flags;
	uint8_t pad[2];
	struct xs_perm perms[XS_PERMS_MAX];
	char text[];                /* the path, then the value; no NULs added */
};

struct xs_db {
	uint64_t clock;
	uint32_t used;
	_Alignas(8) unsigned char bytes[XS_DB_BYTES];
};

/* --- xs_db.c: the database ------------------------------------------------ */

/* An empty database: the root, owned by domain 0, readable by none else. */
void xs_db_init(struct xs_db *db);
/* The node at (path, len), NULL if none. */
struct xs_node *xs_db_find(struct xs_db *db, const char *path, size_t len);
/* Its records in order: the first (never NULL, the root), the next or NULL. */
struct xs_node *xs_db_first(struct xs_db *db);
struct xs_node *xs_db_next(struct xs_db *db, const struct xs_node *n);
/* Set (n)'s value, or make a node at (path) if (n) is NULL: NULL if the
 * arena cannot hold it (nothing changed).  The node is stamped with the
 * clock and marked changed; its permissions are (perms[0..nperms)). */
struct xs_node *xs_db_put(struct xs_db *db, struct xs_node *n, const char *path, size_t len,
			  const void *value, size_t vlen, const struct xs_perm *perms, unsigned nperms);
/* The nearest existing ancestor of (path, len), the root at worst; in
 * (*need) the bytes the node and the parents it lacks take, its value
 * (vlen) bytes. */
struct xs_node *xs_db_ancestor(struct xs_db *db, const char *path, size_t len, size_t vlen, uint64_t *need);
/* Make (path, len) with (value), and every level between it and (a), its
 * nearest existing ancestor, empty; all with (perms), each parent stamped.
 * The caller made sure they fit (xs_db_ancestor's need). */
void xs_db_make(struct xs_db *db, struct xs_node *a, const char *path, size_t len, const void *value,
		size_t vlen, const struct xs_perm *perms, unsigned nperms);
/* Stamp (n) with the clock, marked changed (its children or permissions changed). */
void xs_db_touch(struct xs_db *db, struct xs_node *n);
/* The bytes a record of (plen, vlen) takes; can (db) take (bytes) more? */
uint32_t xs_db_record_size(size_t plen, size_t vlen);
bool xs_db_fits(const struct xs_db *db, uint64_t bytes);
/* Remove (n) alone. */
void xs_db_remove(struct xs_db *db, struct xs_node *n);
/* Is (n) the direct child of (parent, plen)? */
bool xs_node_is_child(const struct xs_node *n, const char *parent, size_t plen);
/* Is (path, len) (parent, plen) or below it?  ("/" is above all.) */
bool xs_path_below(const char *path, size_t len, const char *parent, size_t plen);
/* The length of (path)'s parent: 1 ("/") for a node under the root. */
size_t xs_path_parent(const char *path, size_t len);
static inline const char *xs_node_value(const struct xs_node *n) { return n->text + n->path_len; }

/* --- xs_op.c: connections and requests ------------------------------------ */

struct xs_store;

struct xs_tx {
	uint32_t id;                /* 0: free */
	bool failed;                /* its log overflowed: it cannot commit (ENOMEM) */
	struct xs_conn *conn;
	uint32_t log_used;          /* removed nodes and queued events, xs_tx.c */
	_Alignas(8) unsigned char log[XS_TX_LOG];
	struct xs_db db;
};

struct xs_conn {
	struct xs_store *store;
	uint16_t domid;
	bool broken;                /* served no more: (error) was written to its ring */
	bool pending;               /* a whole request waits in (in) for output room */
	uint32_t next_tx;
	uint32_t nr_watches, watch_used;
	_Alignas(8) unsigned char watches[XS_WATCH_BYTES];
	uint32_t in_used;           /* bytes of (hdr) then (in) copied from the ring */
	struct xsd_sockmsg hdr;
	char in[XENSTORE_PAYLOAD_MAX];
	char path[XS_PATH_BUF];     /* the request's node, made absolute */
	char scratch[XENSTORE_PAYLOAD_MAX + 1];
	uint32_t out_head, out_tail;    /* free-running */
	uint64_t dropped;           /* watch events lost for want of room */
	unsigned char out[XS_OUT_BYTES];
};

struct xs_store {
	struct xs_db db;
	struct xs_tx tx[XS_TX_MAX];
	struct xs_conn *conns[XS_CONN_MAX];
};

/* A new store, the root alone. */
void xs_store_init(struct xs_store *s);
/* (c) speaks for domain (domid) from now on: false if the store has
 * XS_CONN_MAX connections already. */
bool xs_connect(struct xs_store *s, struct xs_conn *c, uint16_t domid);
/* (c) is gone: its watches and transactions with it. */
void xs_disconnect(struct xs_conn *c);
/* Write (value) at (path) as hv, with (perms), creating the parents it
 * lacks with the same permissions; watches fire.  XS_OK or why not. */
enum xs_err xs_write_priv(struct xs_store *s, const char *path, const char *value,
			  const struct xs_perm *perms, unsigned nperms);
/* Answer the whole request in (c)'s (hdr, in): replies and events go to
 * the output queues.  The caller made sure there is room (xs_out_room). */
void xs_process(struct xs_conn *c);
/* Can (c)'s output take the largest reply? */
bool xs_out_room(const struct xs_conn *c);

/* --- xs_ring.c: the ring page --------------------------------------------- */

/* Serve (c) on its ring page: replies and events out, whole requests in
 * and answered, while room lasts.  True if it moved any index (the
 * caller notifies the guest). */
bool xs_service(struct xs_conn *c, volatile struct xenstore_domain_interface *ring);

#endif

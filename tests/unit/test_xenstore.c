/* SPDX-License-Identifier: MIT */
/*
 * hv's xenstore (hv/xs/) against xenstored's rules: a domain (5) talks to
 * the store through a ring page in memory, as Linux's xenbus does, and
 * each test checks one rule by the replies and watch events it gets.
 */
#include <stdlib.h>
#include <string.h>
#include "../../hv/xs/xs.h"
#include "check.h"

#define DOM 5

struct msg {
	struct xsd_sockmsg h;
	char body[XENSTORE_PAYLOAD_MAX + 1];
};

struct client {
	struct xs_store s;
	struct xs_conn c;
	struct xenstore_domain_interface r;
	uint32_t next_id;
	unsigned nr_events;
	struct msg events[16];
	struct msg partial;         /* the reply being read */
	uint32_t got;
};

static const struct xs_perm owned_by_0[] = { { .dom = 0, .perm = XS_PERM_NONE } };
static const struct xs_perm readable[] = { { .dom = 0, .perm = XS_PERM_NONE },
					   { .dom = DOM, .perm = XS_PERM_READ } };
static const struct xs_perm writable[] = { { .dom = DOM, .perm = XS_PERM_NONE } };

/* A store laid out as a toolstack lays out a domain's part. */
static struct client *client(void)
{
	struct client *k = calloc(1, sizeof(*k));
	xs_store_init(&k->s);
	CHECK(xs_connect(&k->s, &k->c, DOM));
	xs_write_priv(&k->s, "/local/domain/0/secret", "x", owned_by_0, 1);
	xs_write_priv(&k->s, "/local/domain/5", "", readable, 2);
	xs_write_priv(&k->s, "/local/domain/5/name", "guest", readable, 2);
	xs_write_priv(&k->s, "/local/domain/5/data", "", writable, 1);
	k->next_id = 1;
	return k;
}

/* Bytes into the request ring, the store served while it is full (as a
 * guest waits for its event). */
static void put_bytes(struct client *k, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (int tries = 0; k->r.req_prod - k->r.req_cons >= XENSTORE_RING_SIZE && tries < 8; tries++)
			xs_service(&k->c, &k->r);
		k->r.req[k->r.req_prod++ % XENSTORE_RING_SIZE] = ((const char *)p)[i];
	}
}

/* One message from the reply ring into (m), taken as it comes (a
 * message may be longer than the ring): false if none is whole yet. */
static bool get_msg(struct client *k, struct msg *m)
{
	char *into = (char *)&k->partial;
	while (k->r.rsp_cons != k->r.rsp_prod) {
		if (k->got >= sizeof(m->h) && k->got == sizeof(m->h) + k->partial.h.len)
			break;
		into[k->got++] = k->r.rsp[k->r.rsp_cons++ % XENSTORE_RING_SIZE];
	}
	if (k->got < sizeof(m->h) || k->got != sizeof(m->h) + k->partial.h.len)
		return false;
	*m = k->partial;
	m->body[m->h.len] = 0;
	k->got = 0;
	return true;
}

/* Send a request of (len) bytes of payload; its reply, events kept aside. */
static struct msg ask_raw(struct client *k, uint32_t type, uint32_t tx, const char *p, size_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = k->next_id++, .tx_id = tx, .len = (uint32_t)len };
	put_bytes(k, &h, sizeof(h));
	put_bytes(k, p, len);
	struct msg m, answer = { .h.type = ~0u };
	for (int rounds = 0; rounds < 64; rounds++) {
		xs_service(&k->c, &k->r);
		while (get_msg(k, &m)) {
			if (m.h.type != XS_WATCH_EVENT)
				answer = m;
			else if (k->nr_events < 16)
				k->events[k->nr_events++] = m;
		}
	}
	return answer;
}

/* A request whose payload is (a) and, if given, (b), each NUL-terminated. */
static struct msg ask(struct client *k, uint32_t type, uint32_t tx, const char *a, const char *b)
{
	char p[XENSTORE_PAYLOAD_MAX];
	size_t n = strlen(a) + 1;
	memcpy(p, a, n);
	if (b) {
		memcpy(p + n, b, strlen(b) + 1);
		n += strlen(b) + 1;
	}
	return ask_raw(k, type, tx, p, n);
}

/* A write: the path, NUL, the value without one. */
static struct msg put(struct client *k, uint32_t tx, const char *path, const char *value)
{
	char p[XENSTORE_PAYLOAD_MAX];
	size_t n = strlen(path) + 1;
	memcpy(p, path, n);
	memcpy(p + n, value, strlen(value));
	return ask_raw(k, XS_WRITE, tx, p, n + strlen(value));
}

static bool is(const struct msg *m, uint32_t type, const char *body)
{
	return m->h.type == type && strcmp(m->body, body) == 0;
}

static bool ok(struct msg m) { return m.h.type != XS_ERROR && m.h.type != ~0u && !strcmp(m.body, "OK"); }
static bool err(struct msg m, const char *name) { return is(&m, XS_ERROR, name); }

static bool read_is(struct client *k, uint32_t tx, const char *path, const char *value)
{
	struct msg m = ask(k, XS_READ, tx, path, NULL);
	return is(&m, XS_READ, value);
}

/* The event last seen: on (path) with (token)? */
static bool event_is(struct client *k, unsigned i, const char *path, const char *token)
{
	return i < k->nr_events && strcmp(k->events[i].body, path) == 0 &&
	       strcmp(k->events[i].body + strlen(path) + 1, token) == 0;
}

static void reads_what_was_written(void)
{
	struct client *k = client();
	CHECK(ok(put(k, 0, "data/x", "hello")));
	CHECK(read_is(k, 0, "data/x", "hello"));
	CHECK(read_is(k, 0, "/local/domain/5/data/x", "hello"));
	CHECK(read_is(k, 0, "name", "guest"));
	CHECK(ok(put(k, 0, "data/x", "")));
	CHECK(read_is(k, 0, "data/x", ""));
	struct msg m = ask(k, XS_GET_DOMAIN_PATH, 0, "7", NULL);
	CHECK(is(&m, XS_GET_DOMAIN_PATH, "/local/domain/7"));
	free(k);
}

static void write_makes_the_parents_it_lacks(void)
{
	struct client *k = client();
	CHECK(ok(put(k, 0, "data/a/b/c", "v")));
	CHECK(read_is(k, 0, "data/a/b", ""));
	CHECK(ok(put(k, 0, "data/a/d", "w")));
	struct msg m = ask(k, XS_DIRECTORY, 0, "data/a", NULL);
	CHECK(m.h.type == XS_DIRECTORY && m.h.len == 4 && memcmp(m.body, "b\0d\0", 4) == 0);
	m = ask(k, XS_GET_PERMS, 0, "data/a/b", NULL);        /* the maker owns it */
	CHECK(m.h.type == XS_GET_PERMS && m.h.len == 3 && memcmp(m.body, "n5\0", 3) == 0);
	CHECK(ok(ask(k, XS_MKDIR, 0, "data/e/f", NULL)));
	CHECK(ok(ask(k, XS_MKDIR, 0, "data/a", NULL)));       /* there already: fine */
	CHECK(read_is(k, 0, "data/a/b/c", "v"));
	free(k);
}

static void missing_nodes_tell_only_what_may_be_seen(void)
{
	struct client *k = client();
	CHECK(err(ask(k, XS_READ, 0, "data/none", NULL), "ENOENT"));
	CHECK(err(ask(k, XS_READ, 0, "/local/domain/0/none", NULL), "EACCES"));
	CHECK(err(ask(k, XS_READ, 0, "/local/domain/0/secret", NULL), "EACCES"));
	CHECK(err(put(k, 0, "name", "me"), "EACCES"));          /* readable, not writable */
	CHECK(err(put(k, 0, "other", "x"), "EACCES"));          /* its parent is not writable */
	CHECK(err(put(k, 0, "/local/domain/0/x", "x"), "EACCES"));
	CHECK(read_is(k, 0, "name", "guest"));
	free(k);
}

static void bad_requests_are_refused(void)
{
	struct client *k = client();
	const char *bad[] = { "data//x", "data/x/", "data/x y", "data/é", "", "/local/domain/5/data/" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(err(put(k, 0, bad[i], "v"), "EINVAL"));
	char longp[XENSTORE_REL_PATH_MAX + 8] = "data/";
	memset(longp + 5, 'a', XENSTORE_REL_PATH_MAX);
	longp[XENSTORE_REL_PATH_MAX + 5] = 0;
	CHECK(err(ask(k, XS_MKDIR, 0, longp, NULL), "EINVAL"));
	CHECK(err(ask(k, XS_READ, 0, "data", "extra"), "EINVAL"));
	CHECK(err(ask_raw(k, XS_READ, 0, "data", 4), "EINVAL"));  /* not terminated */
	CHECK(err(ask(k, XS_TYPE_COUNT, 0, "data", NULL), "ENOSYS"));
	CHECK(err(ask(k, XS_WATCH_EVENT, 0, "data", NULL), "ENOSYS"));
	CHECK(err(ask(k, XS_INTRODUCE, 0, "6", NULL), "EACCES"));
	CHECK(err(ask(k, XS_READ, 99, "data", NULL), "ENOENT"));     /* no such transaction */
	CHECK(err(ask(k, XS_RM, 0, "/", NULL), "EACCES"));
	struct msg m = ask(k, XS_DIRECTORY, 0, "data", NULL);
	CHECK(m.h.type == XS_DIRECTORY && m.h.len == 0);
	free(k);
}

static void permissions_are_the_owners_to_set(void)
{
	struct client *k = client();
	CHECK(ok(put(k, 0, "data/p", "v")));
	CHECK(ok(ask_raw(k, XS_SET_PERMS, 0, "data/p\0n5\0r0x7\0", 15)));
	struct msg m = ask(k, XS_GET_PERMS, 0, "data/p", NULL);
	CHECK(m.h.len == 6 && memcmp(m.body, "n5\0r7\0", 6) == 0);
	CHECK(err(ask_raw(k, XS_SET_PERMS, 0, "data/p\0b6\0", 10), "EPERM"));     /* the owner stays */
	CHECK(err(ask_raw(k, XS_SET_PERMS, 0, "data/p\0x5\0", 10), "EINVAL"));
	CHECK(err(ask_raw(k, XS_SET_PERMS, 0, "data/p\0", 7), "EINVAL"));
	CHECK(err(ask_raw(k, XS_SET_PERMS, 0, "data/p\0n5\0r1\0r2\0r3\0r4\0r6\0", 25), "ENOSPC"));
	CHECK(err(ask_raw(k, XS_SET_PERMS, 0, "name\0n5\0", 8), "EACCES"));       /* not its owner */
	CHECK(err(ask_raw(k, XS_SET_PERMS, 0, "@releaseDomain\0n5\0", 18), "EACCES"));
	CHECK(err(ask_raw(k, XS_SET_PERMS, 0, "@other\0n5\0", 10), "ENOENT"));
	free(k);
}

static void rm_removes_the_subtree(void)
{
	struct client *k = client();
	CHECK(ok(put(k, 0, "data/t/a/b", "1")));
	CHECK(ok(put(k, 0, "data/t/c", "2")));
	CHECK(ok(ask(k, XS_RM, 0, "data/t", NULL)));
	CHECK(err(ask(k, XS_READ, 0, "data/t/a/b", NULL), "ENOENT"));
	CHECK(err(ask(k, XS_READ, 0, "data/t", NULL), "ENOENT"));
	CHECK(ok(ask(k, XS_RM, 0, "data/t", NULL)));           /* gone, its parent there */
	CHECK(err(ask(k, XS_RM, 0, "data/t/a", NULL), "ENOENT"));
	CHECK(err(ask(k, XS_RM, 0, "name", NULL), "EACCES"));
	free(k);
}

static void watches_fire_on_what_they_watch(void)
{
	struct client *k = client();
	CHECK(ok(ask(k, XS_WATCH, 0, "data/w", "tok")));
	CHECK(k->nr_events == 1 && event_is(k, 0, "data/w", "tok"));      /* fired when set */
	CHECK(err(ask(k, XS_WATCH, 0, "data/w", "tok"), "EEXIST"));
	CHECK(ok(ask(k, XS_WATCH, 0, "/local/domain/5/data", "abs")));
	CHECK(ok(put(k, 0, "data/w/x", "1")));
	CHECK(k->nr_events == 4 && event_is(k, 2, "data/w/x", "tok") &&
	      event_is(k, 3, "/local/domain/5/data/w/x", "abs"));
	CHECK(ok(put(k, 0, "data/other", "1")));
	CHECK(k->nr_events == 5 && event_is(k, 4, "/local/domain/5/data/other", "abs"));
	CHECK(ok(ask(k, XS_UNWATCH, 0, "data/w", "tok")));
	CHECK(err(ask(k, XS_UNWATCH, 0, "data/w", "tok"), "ENOENT"));
	CHECK(ok(ask(k, XS_RM, 0, "data/w", NULL)));   /* the top; those below only exactly */
	CHECK(k->nr_events == 6 && event_is(k, 5, "/local/domain/5/data/w", "abs"));
	CHECK(ok(ask(k, XS_WATCH, 0, "/", "all")));
	unsigned before = k->nr_events;
	xs_write_priv(&k->s, "/local/domain/0/secret", "y", owned_by_0, 1);  /* not for its eyes */
	CHECK(read_is(k, 0, "name", "guest") && k->nr_events == before);
	xs_write_priv(&k->s, "/local/domain/5/name", "new", readable, 2);
	CHECK(ok(ask(k, XS_RESET_WATCHES, 0, "", NULL)) && k->nr_events == before + 1);
	CHECK(event_is(k, before, "/local/domain/5/name", "all"));
	free(k);
}

static uint32_t start_tx(struct client *k)
{
	struct msg m = ask_raw(k, XS_TRANSACTION_START, 0, "", 1);
	CHECK(m.h.type == XS_TRANSACTION_START);
	return (uint32_t)strtoul(m.body, NULL, 10);
}

static void transactions_commit_whole_or_not_at_all(void)
{
	struct client *k = client();
	CHECK(ok(ask(k, XS_WATCH, 0, "data", "t")));
	uint32_t t = start_tx(k);
	CHECK(t != 0);
	CHECK(ok(put(k, t, "data/a", "1")));
	CHECK(ok(put(k, t, "data/b/c", "2")));
	CHECK(read_is(k, t, "data/a", "1"));
	CHECK(err(ask(k, XS_READ, 0, "data/a", NULL), "ENOENT"));      /* not outside yet */
	CHECK(k->nr_events == 1);                                      /* nor its events */
	CHECK(err(ask_raw(k, XS_TRANSACTION_START, t, "", 1), "EBUSY"));
	CHECK(err(ask(k, XS_TRANSACTION_END, t, "X", NULL), "EINVAL"));
	CHECK(ok(ask(k, XS_TRANSACTION_END, t, "T", NULL)));
	CHECK(read_is(k, 0, "data/b/c", "2"));
	CHECK(k->nr_events == 3 && event_is(k, 1, "data/a", "t") && event_is(k, 2, "data/b/c", "t"));
	CHECK(err(ask(k, XS_TRANSACTION_END, t, "T", NULL), "ENOENT"));

	t = start_tx(k);                                               /* it read a, a changed */
	CHECK(read_is(k, t, "data/a", "1"));
	CHECK(ok(put(k, t, "data/z", "3")));
	CHECK(ok(put(k, 0, "data/a", "outside")));
	CHECK(err(ask(k, XS_TRANSACTION_END, t, "T", NULL), "EAGAIN"));
	CHECK(err(ask(k, XS_READ, 0, "data/z", NULL), "ENOENT"));

	t = start_tx(k);                                               /* what it never saw */
	CHECK(ok(put(k, t, "data/y", "4")));
	CHECK(ok(ask(k, XS_RM, t, "data/b", NULL)));
	CHECK(ok(put(k, 0, "data/a", "again")));
	CHECK(ok(ask(k, XS_TRANSACTION_END, t, "T", NULL)));
	CHECK(read_is(k, 0, "data/y", "4") && read_is(k, 0, "data/a", "again"));
	CHECK(err(ask(k, XS_READ, 0, "data/b/c", NULL), "ENOENT"));

	t = start_tx(k);                                               /* abandoned */
	CHECK(ok(put(k, t, "data/q", "5")));
	CHECK(ok(ask(k, XS_TRANSACTION_END, t, "F", NULL)));
	CHECK(err(ask(k, XS_READ, 0, "data/q", NULL), "ENOENT"));
	uint32_t ts[XS_TX_MAX];
	for (unsigned i = 0; i < XS_TX_MAX; i++)
		ts[i] = start_tx(k);
	CHECK(err(ask_raw(k, XS_TRANSACTION_START, 0, "", 1), "ENOSPC"));
	CHECK(ok(ask(k, XS_TRANSACTION_END, ts[0], "F", NULL)));
	free(k);
}

static void quotas_are_kept(void)
{
	struct client *k = client();
	char big[XS_NODE_MAX];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(err(put(k, 0, "data/big", big), "ENOSPC"));
	big[1000] = 0;
	unsigned made = 0;
	struct msg m;
	char name[32];
	do {
		snprintf(name, sizeof(name), "data/n%u", made++);
		m = put(k, 0, name, big);
	} while (ok(m) && made < 100);
	CHECK(err(m, "ENOSPC"));
	CHECK(err(ask(k, XS_READ, 0, name, NULL), "ENOENT"));             /* nothing half made */
	CHECK(read_is(k, 0, "name", "guest"));
	free(k);
}

static void the_ring_is_checked(void)
{
	struct client *k = client();
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = 5 };
	put_bytes(k, &h, 7);                                /* a request in pieces */
	CHECK(!xs_service(&k->c, &k->r) || k->r.rsp_prod == 0);
	put_bytes(k, (char *)&h + 7, sizeof(h) - 7);
	put_bytes(k, "na", 2);
	xs_service(&k->c, &k->r);
	put_bytes(k, "me", 3);
	xs_service(&k->c, &k->r);
	struct msg m;
	CHECK(get_msg(k, &m) && is(&m, XS_READ, "guest"));

	unsigned asked = 0, answered = 0;                   /* a reader that stops reading */
	while (k->r.req_prod - k->r.req_cons + sizeof(h) + 5 <= XENSTORE_RING_SIZE && asked < 5000) {
		struct xsd_sockmsg r = { .type = XS_READ, .req_id = 100 + asked, .len = 5 };
		put_bytes(k, &r, sizeof(r));
		put_bytes(k, "name", 5);
		asked++;
		xs_service(&k->c, &k->r);
	}
	CHECK(k->r.req_prod != k->r.req_cons);              /* it stopped taking requests */
	for (int i = 0; i < 10000 && answered < asked; i++) {
		while (get_msg(k, &m))
			answered += is(&m, XS_READ, "guest") && m.h.req_id == 100 + answered;
		xs_service(&k->c, &k->r);
	}
	CHECK(asked > 300 && answered == asked);

	h.len = XENSTORE_PAYLOAD_MAX + 1;                   /* too long: no more service */
	put_bytes(k, &h, sizeof(h));
	xs_service(&k->c, &k->r);
	CHECK(k->c.broken && k->r.error == XENSTORE_ERROR_PROTO);
	free(k);

	k = client();
	k->r.req_prod = 5000;
	xs_service(&k->c, &k->r);
	CHECK(k->c.broken && k->r.error == XENSTORE_ERROR_RINGIDX);
	free(k);
}

static void directory_part_pages_long_lists(void)
{
	struct client *k = client();
	char name[128], dash[51];
	memset(dash, 'x', 50);
	dash[50] = 0;
	for (unsigned i = 0; i < 100; i++) {                 /* 6100 bytes of names */
		snprintf(name, sizeof(name), "/local/domain/5/data/d/child-%s-%03u", dash, i);
		CHECK(xs_write_priv(&k->s, name, "", writable, 1) == XS_OK);
	}
	CHECK(err(ask(k, XS_DIRECTORY, 0, "data/d", NULL), "E2BIG"));
	unsigned seen = 0, off = 0;
	bool ended = false;
	for (int round = 0; round < 4 && !ended; round++) {
		char offs[16];
		snprintf(offs, sizeof(offs), "%u", off);
		struct msg m = ask(k, XS_DIRECTORY_PART, 0, "data/d", offs);
		CHECK(m.h.type == XS_DIRECTORY_PART && m.h.len <= XENSTORE_PAYLOAD_MAX);
		const char *p = m.body + strlen(m.body) + 1;
		for (; (size_t)(p - m.body) < m.h.len && *p; p += strlen(p) + 1, seen++)
			off += (unsigned)strlen(p) + 1;
		ended = (size_t)(p - m.body) < m.h.len;     /* the empty name */
	}
	CHECK(ended && seen == 100);
	free(k);
}

void test_xenstore(void)
{
	reads_what_was_written();
	write_makes_the_parents_it_lacks();
	missing_nodes_tell_only_what_may_be_seen();
	bad_requests_are_refused();
	permissions_are_the_owners_to_set();
	rm_removes_the_subtree();
	watches_fire_on_what_they_watch();
	transactions_commit_whole_or_not_at_all();
	quotas_are_kept();
	the_ring_is_checked();
	directory_part_pages_long_lists();
}

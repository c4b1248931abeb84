/* SPDX-License-Identifier: MIT */
/*
 * The xenstore as a Linux guest sees it, through its xenbus device
 * (/dev/xen/xenbus: whole xenstore messages written and read, as the
 * xenstore tools use it).  Part of pvmmu-linux test; run where hv is the
 * hypervisor (Xen's dom0 under the oracle's harness has no xenstored, so a
 * request there would wait for ever).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xenbus.h"

enum { XS_DIRECTORY = 1, XS_READ = 2, XS_WATCH = 4, XS_TRANSACTION_START = 6, XS_TRANSACTION_END = 7,
       XS_WRITE = 11, XS_WATCH_EVENT = 15, XS_ERROR = 16 };

struct msg {
	uint32_t type, req_id, tx_id, len;
	char body[4097];
};

static int fd = -1;
static uint32_t next_id = 1;
static unsigned events;         /* watch events read so far */

/* One request (payload a, then b of blen bytes); its reply into (m). */
static bool ask(uint32_t type, uint32_t tx, const char *a, const char *b, size_t blen, struct msg *m)
{
	char buf[sizeof(struct msg)];
	struct msg h = { .type = type, .req_id = next_id++, .tx_id = tx,
			 .len = (uint32_t)(strlen(a) + 1 + blen) };
	memcpy(buf, &h, 16);
	memcpy(buf + 16, a, strlen(a) + 1);
	memcpy(buf + 16 + strlen(a) + 1, b, blen);
	if (write(fd, buf, 16 + h.len) != (ssize_t)(16 + h.len))
		return false;
	for (;;) {
		if (read(fd, m, 16) != 16 || m->len > 4096 || (m->len && read(fd, m->body, m->len) != m->len))
			return false;
		m->body[m->len] = 0;
		if (m->type != XS_WATCH_EVENT)
			return m->req_id == h.req_id;
		events++;
	}
}

static bool answer(uint32_t type, uint32_t tx, const char *a, const char *b, const char *want)
{
	struct msg m;
	bool ok = ask(type, tx, a, b ? b : "", b ? strlen(b) : 0, &m) && !strcmp(m.body, want);
	if (!ok)
		printf("pvmmu-linux: xenstore: request %u on %s: '%s', not '%s'\n", type, a, m.body, want);
	return ok;
}

/* Wait for a watch event: has one come? */
static bool event(void)
{
	struct msg m;
	unsigned before = events;
	if (read(fd, &m, 16) != 16 || (m.len && read(fd, m.body, m.len) != m.len))
		return false;
	events += m.type == XS_WATCH_EVENT;
	return events > before;
}

bool xenstore_checks(void)
{
	fd = open("/dev/xen/xenbus", O_RDWR);
	if (fd < 0) {
		printf("pvmmu-linux: xenstore: no /dev/xen/xenbus\n");
		return false;
	}
	struct msg m;
	bool ok = ask(XS_READ, 0, "domid", "", 0, &m) && m.type == XS_READ && atoi(m.body) > 0;
	ok = ok && answer(XS_READ, 0, "control/feature-poweroff", NULL, "1");  /* Linux wrote it */
	ok = ok && answer(XS_READ, 0, "cpu/0/availability", NULL, "online");
	ok = ok && answer(XS_WRITE, 0, "data/pvmmu", "42", "OK");
	ok = ok && answer(XS_READ, 0, "data/pvmmu", NULL, "42");
	ok = ok && ask(XS_WATCH, 0, "data/pvmmu", "tok", 4, &m) && !strcmp(m.body, "OK");
	ok = ok && (events > 0 || event());                           /* fired once when set */
	unsigned seen = events;
	ok = ok && answer(XS_WRITE, 0, "data/pvmmu", "43", "OK") && (events > seen || event());
	ok = ok && ask(XS_TRANSACTION_START, 0, "", "", 0, &m) && m.type == XS_TRANSACTION_START;
	uint32_t tx = ok ? (uint32_t)atoi(m.body) : 0;
	ok = ok && answer(XS_WRITE, tx, "data/tx", "in", "OK");
	ok = ok && answer(XS_TRANSACTION_END, tx, "T", NULL, "OK");
	ok = ok && answer(XS_READ, 0, "data/tx", NULL, "in");
	ok = ok && answer(XS_DIRECTORY, 0, "/local/domain", NULL, "EACCES");
	ok = ok && answer(XS_WRITE, 0, "name", "mine", "EACCES");
	close(fd);
	return ok;
}

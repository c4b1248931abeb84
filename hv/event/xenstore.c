/* SPDX-License-Identifier: MIT */
/*
 * The xenstore backend: hv serves every domain's xenstore ring
 * (start_info.store_mfn, store_evtchn) from one store (hv/xs/), where
 * Xen's domains talk to xenstored in dom0.  At build time hv writes a
 * domain's part of the store as Xen's toolstack (libxl) lays it out for a
 * PV guest, with its permissions: /local/domain/<id> and what libxl puts
 * there (name, domid, vm, memory/target and static-max in KiB, store and
 * console, cpu/<n>/availability, control/ with its platform features,
 * and the directories the guest may write: device/suspend, data, drivers,
 * feature, attr, error, control/shutdown and the rest), /vm/<uuid> and
 * /libxl/<id>.  The uuid is the domain's handle (XENVER_guest_handle).
 *
 * When the guest sends on the store's port, hv serves the ring under the
 * store's lock (requests are answered one at a time, as xenstored does)
 * and, if it moved an index, makes the port pending: the guest's xenbus
 * waits on it for replies and for room.  A guest that breaks the ring
 * protocol is served no more (the reason in the ring page), as xenstored
 * ignores it; nothing else changes.
 */
#include "../xs/xs.h"
#include "../hv.h"

/* The one store, as Xen has one xenstored: every domain's connection. */
static struct spinlock store_lock;
static struct xs_store store;

static const char uuid[] = "00000000-0000-0000-0000-000000000000";

/* libxl's permissions for domain (dom): hv's alone, the domain may read,
 * the domain owns it (and only it and hv reach it). */
enum { P_NONE, P_READ, P_OWN };

struct entry {
	const char *path;           /* under /local/domain/<id>, or absolute */
	unsigned perm;
	enum { V_EMPTY, V_NAME, V_DOMID, V_VM, V_KIB, V_STORE_PORT, V_STORE_MFN, V_CONS_PORT,
	       V_CONS_MFN, V_ONE, V_ZERO, V_LIMIT, V_XENCONSOLED, V_PTY } value;
};

static const struct entry layout[] = {
	{ "", P_READ, V_EMPTY },
	{ "vm", P_READ, V_VM },
	{ "name", P_READ, V_NAME },
	{ "cpu", P_READ, V_EMPTY },
	{ "memory", P_READ, V_EMPTY },
	{ "device", P_READ, V_EMPTY },
	{ "device/suspend/event-channel", P_OWN, V_EMPTY },
	{ "control", P_READ, V_EMPTY },
	{ "control/shutdown", P_OWN, V_EMPTY },
	{ "control/feature-poweroff", P_OWN, V_EMPTY },
	{ "control/feature-reboot", P_OWN, V_EMPTY },
	{ "control/feature-suspend", P_OWN, V_EMPTY },
	{ "control/sysrq", P_OWN, V_EMPTY },
	{ "data", P_OWN, V_EMPTY },
	{ "drivers", P_OWN, V_EMPTY },
	{ "feature", P_OWN, V_EMPTY },
	{ "attr", P_OWN, V_EMPTY },
	{ "error", P_OWN, V_EMPTY },
	{ "control/platform-feature-multiprocessor-suspend", P_READ, V_ONE },
	{ "control/platform-feature-xs_reset_watches", P_READ, V_ONE },
	{ "memory/static-max", P_READ, V_KIB },
	{ "memory/target", P_READ, V_KIB },
	{ "memory/videoram", P_READ, V_ZERO },
	{ "domid", P_READ, V_DOMID },
	{ "store/port", P_READ, V_STORE_PORT },
	{ "store/ring-ref", P_READ, V_STORE_MFN },
	{ "console/port", P_READ, V_CONS_PORT },
	{ "console/ring-ref", P_READ, V_CONS_MFN },
	{ "console/limit", P_READ, V_LIMIT },
	{ "console/type", P_READ, V_XENCONSOLED },
	{ "console/output", P_READ, V_PTY },
};

static size_t append(char *buf, size_t at, const char *s)
{
	while (*s && at < 127)
		buf[at++] = *s++;
	buf[at] = 0;
	return at;
}

static size_t append_num(char *buf, size_t at, uint64_t v)
{
	char digits[21];
	unsigned n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n && at < 127)
		buf[at++] = digits[--n];
	buf[at] = 0;
	return at;
}

/* The value of entry (e) for (d). */
static void value_of(const struct entry *e, struct domain *d, char *buf)
{
	struct hv_domain *hd = hv_domain(d);
	static const char *const fixed[] = { [V_EMPTY] = "", [V_ONE] = "1", [V_ZERO] = "0",
		[V_LIMIT] = "1048576", [V_XENCONSOLED] = "xenconsoled", [V_PTY] = "pty" };
	size_t at = 0;
	buf[0] = 0;
	switch (e->value) {
	case V_NAME: at = append(buf, 0, "guest-"); append_num(buf, at, d->domid); break;
	case V_DOMID: append_num(buf, 0, d->domid); break;
	case V_VM: at = append(buf, 0, "/vm/"); append(buf, at, uuid); break;
	case V_KIB: append_num(buf, 0, hd->max_pages * (PAGE_SIZE / 1024)); break;
	case V_STORE_PORT: append_num(buf, 0, hd->store_port); break;
	case V_STORE_MFN: append_num(buf, 0, hd->store_ring >> PAGE_SHIFT); break;
	case V_CONS_PORT: append_num(buf, 0, hd->console_port); break;
	case V_CONS_MFN: append_num(buf, 0, hd->console_ring >> PAGE_SHIFT); break;
	default: append(buf, 0, fixed[e->value]); break;
	}
}

/* Write (path) = (value) with libxl's permissions (perm) for (dom). */
static bool write_node(const char *path, const char *value, unsigned perm, uint16_t dom)
{
	struct xs_perm p[2] = { { .dom = 0, .perm = XS_PERM_NONE }, { .dom = dom, .perm = XS_PERM_READ } };
	if (perm == P_OWN)
		p[0].dom = dom;
	return xs_write_priv(&store, path, value, p, perm == P_READ ? 2 : 1) == XS_OK;
}

static bool write_layout(struct domain *d)
{
	char path[128], value[128];
	size_t base = append_num(path, append(path, 0, "/local/domain/"), d->domid);
	bool ok = true;
	for (unsigned i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		append(path, *layout[i].path ? append(path, base, "/") : base, layout[i].path);
		value_of(&layout[i], d, value);
		ok &= write_node(path, value, layout[i].perm, d->domid);
	}
	for (unsigned k = 0; k < d->nr_vcpus; k++) {
		append(path, append_num(path, append(path, base, "/cpu/"), k), "/availability");
		ok &= write_node(path, "online", P_READ, d->domid);
	}
	size_t vm = append(path, append(path, 0, "/vm/"), uuid);
	ok &= write_node(path, "", P_READ, d->domid);
	append(path, vm, "/uuid");
	ok &= write_node(path, uuid, P_READ, d->domid);
	append(path, vm, "/name");
	value_of(&(struct entry){ .value = V_NAME }, d, value);
	ok &= write_node(path, value, P_READ, d->domid);
	append(path, append_num(path, append(path, 0, "/libxl/"), d->domid), "/type");
	ok &= write_node(path, "pv", P_NONE, d->domid);
	return ok;
}

/* What is there before any domain: hv's alone, as xenstored and dom0 make
 * it (a domain may see its own part only). */
void xenstore_init(void)
{
	static const char *const base[] = { "/tool/xenstored", "/local/domain", "/vm", "/libxl" };
	xs_store_init(&store);
	for (unsigned i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		write_node(base[i], "", P_NONE, 0);
}

bool xenstore_init_domain(struct domain *d, mfn_t ring)
{
	struct hv_domain *hd = hv_domain(d);
	hd->store_ring = mfn_x(ring) << PAGE_SHIFT;
	hd->store_port = evtchn_bind_backend(d, BACKEND_STORE);
	spin_lock(&store_lock);
	bool ok = hd->store_port && xs_connect(&store, &hd->xs, d->domid) && write_layout(d);
	spin_unlock(&store_lock);
	volatile struct xenstore_domain_interface *r = maddr_virt(hd->store_ring);
	r->connection = XENSTORE_CONNECTED;
	return ok;
}

void xenstore_kick(struct domain *d)
{
	struct hv_domain *hd = hv_domain(d);
	spin_lock(&store_lock);
	bool moved = xs_service(&hd->xs, maddr_virt(hd->store_ring));
	spin_unlock(&store_lock);
	if (moved)
		evtchn_set_pending(d, hd->store_port);
}

void xenstore_poll(struct domain *d)
{
	struct hv_domain *hd = hv_domain(d);
	if (hd->store_ring && hd->xs.out_head != hd->xs.out_tail)
		xenstore_kick(d);
}

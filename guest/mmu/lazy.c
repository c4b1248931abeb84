/* SPDX-License-Identifier: MIT */
/*
 * Lazy MMU mode: per vCPU, a multicall buffer of operations and the
 * callbacks that must wait for them.
 *
 * Invariants: outside lazy mode (or with batching off) the buffer is empty
 * and every operation is issued at once; a callback never runs before every
 * operation queued ahead of it has been issued; consecutive mmu_update
 * requests share one multicall entry (its request array grows), as Linux's
 * xen_mc_extend_args does.  A failed operation is reported with what it was.
 */
#include "mmu.h"

#define MC_ENTRIES 32
#define MC_UPDATES 512
#define MC_CALLBACKS 32

struct mc_buf {
	_Alignas(64) struct multicall_entry e[MC_ENTRIES]; /* each vCPU's on lines of its own */
	const char *what[MC_ENTRIES];
	struct mmu_update u[MC_UPDATES];
	const char *uwhat[MC_UPDATES];
	unsigned ufirst[MC_ENTRIES];  /* an mmu_update entry's first request (the
				       * hypervisor may rewrite its arguments when
				       * it continues it; done counts from here) */
	struct mmuext_op x[MC_ENTRIES];
	unsigned ne, nu, nx, ncb;
	uint32_t done[MC_ENTRIES];
	struct {
		void (*fn)(void *);
		void *arg;
	} cb[MC_CALLBACKS];
	unsigned depth;             /* lazy mode nesting */
};

static struct mc_buf bufs[MAX_GUEST_VCPUS];
static bool batching = true;
struct mmu_stats mmu_stats[MAX_GUEST_VCPUS];

static void default_failure(const struct mmu_failure *f)
{
	hostif_panic(f->what);
}

static void (*on_failure)(const struct mmu_failure *f) = default_failure;

void mmu_on_failure(void (*fn)(const struct mmu_failure *f))
{
	on_failure = fn ? fn : default_failure;
}

void lazy_set_batching(bool on)
{
	batching = on;
	for (unsigned i = 0; i < MAX_GUEST_VCPUS; i++)
		hostif_guest_buffer(&bufs[i], sizeof(bufs[i]));
}

static struct mc_buf *buf(void)
{
	return &bufs[hostif_vcpu()];
}

void mmu_report_failure(const struct mmu_failure *f)
{
	on_failure(f);
}

static void fail(const char *what, uint64_t a0, uint64_t a1, long rc)
{
	struct mmu_failure f = { what, a0, a1, rc };
	on_failure(&f);
}

/* Report the failures of issued entry (i). */
static void check_entry(struct mc_buf *b, unsigned i)
{
	struct multicall_entry *e = &b->e[i];
	long rc = (long)e->result;
	if (!rc)
		return;
	if (e->op == HYPERVISOR_mmu_update) {
		unsigned k = b->ufirst[i] + b->done[i];
		fail(b->uwhat[k], b->u[k].ptr, b->u[k].val, rc);
	} else {
		fail(b->what[i], e->args[0], e->args[1], rc);
	}
}

void lazy_mmu_flush(void)
{
	struct mc_buf *b = buf();
	struct mmu_stats *st = &mmu_stats[hostif_vcpu()];
	if (b->ne == 1) {
		b->e[0].result = (uint64_t)hostif_hypercall(b->e[0].op, b->e[0].args);
		st->hypercalls++;
	} else if (b->ne > 1) {
		uint64_t a[6] = { (uint64_t)(uintptr_t)b->e, b->ne };
		if (hostif_hypercall(HYPERVISOR_multicall, a))
			hostif_panic("multicall refused");
		st->hypercalls++;
		st->mc_entries += b->ne;
	}
	for (unsigned i = 0; i < b->ne; i++)
		check_entry(b, i);
	unsigned ncb = b->ncb;
	b->ne = b->nu = b->nx = b->ncb = 0;
	for (unsigned i = 0; i < ncb; i++)
		b->cb[i].fn(b->cb[i].arg);
}

static bool lazy(struct mc_buf *b)
{
	return batching && b->depth > 0;
}

void lazy_mmu_enter(void)
{
	buf()->depth++;
}

void lazy_mmu_leave(void)
{
	struct mc_buf *b = buf();
	if (b->depth == 0)
		hostif_panic("lazy_mmu_leave without enter");
	if (--b->depth == 0)
		lazy_mmu_flush();
}

void lazy_mmu_callback(void (*fn)(void *), void *arg)
{
	struct mc_buf *b = buf();
	if (!lazy(b) || b->ne == 0) {
		lazy_mmu_flush();
		fn(arg);
		return;
	}
	if (b->ncb == MC_CALLBACKS)
		lazy_mmu_flush();
	b->cb[b->ncb].fn = fn;
	b->cb[b->ncb++].arg = arg;
}

/* A fresh entry, issuing the buffer first if it is full. */
static struct multicall_entry *new_entry(struct mc_buf *b, uint64_t op, const char *what)
{
	if (b->ne == MC_ENTRIES)
		lazy_mmu_flush();
	b->what[b->ne] = what;
	struct multicall_entry *e = &b->e[b->ne++];
	*e = (struct multicall_entry){ .op = op };
	return e;
}

/* Outside lazy mode an operation is issued at once. */
static void issue_unless_lazy(struct mc_buf *b)
{
	if (!lazy(b))
		lazy_mmu_flush();
}

void mc_mmu_update(uint64_t ptr, uint64_t val, const char *what)
{
	struct mc_buf *b = buf();
	struct multicall_entry *last = b->ne ? &b->e[b->ne - 1] : NULL;
	if (b->nu == MC_UPDATES)
		lazy_mmu_flush();
	if (!b->ne || !last || last->op != HYPERVISOR_mmu_update || b->nu == 0 ||
	    last->args[0] + last->args[1] * sizeof(struct mmu_update) != (uintptr_t)&b->u[b->nu]) {
		struct multicall_entry *e = new_entry(b, HYPERVISOR_mmu_update, what);
		unsigned i = (unsigned)(e - b->e);
		b->ufirst[i] = b->nu;
		e->args[0] = (uintptr_t)&b->u[b->nu];
		e->args[2] = (uintptr_t)&b->done[i];
		e->args[3] = DOMID_SELF;
	}
	b->uwhat[b->nu] = what;
	b->u[b->nu++] = (struct mmu_update){ ptr, val };
	b->e[b->ne - 1].args[1]++;
	issue_unless_lazy(b);
}

void mc_mmuext(unsigned cmd, uint64_t arg1, uint64_t arg2, const char *what)
{
	struct mc_buf *b = buf();
	/* the entry first: it may issue the buffer, and there are never more
	 * ops than entries, so the op slot is then free */
	struct multicall_entry *e = new_entry(b, HYPERVISOR_mmuext_op, what);
	struct mmuext_op *op = &b->x[b->nx++];
	*op = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = arg1, .arg2.src_mfn = arg2 };
	e->args[0] = (uintptr_t)op;
	e->args[1] = 1;
	e->args[3] = DOMID_SELF;
	issue_unless_lazy(b);
}

void mc_update_va(uint64_t va, uint64_t val, uint64_t flags, const char *what)
{
	struct mc_buf *b = buf();
	struct multicall_entry *e = new_entry(b, HYPERVISOR_update_va_mapping, what);
	e->args[0] = va;
	e->args[1] = val;
	e->args[2] = flags;
	issue_unless_lazy(b);
}

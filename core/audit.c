/* SPDX-License-Identifier: MIT */
/* The audit (what it checks: audit.h).  It derives every expected count
 * from scratch and shares no code with the counting it checks, beyond the
 * per-level flag rules and frame-word accessors. */
#include "audit.h"
#include "desc.h"
#include "env.h"
#include "fmt.h"
#include "frame.h"
#include "m2p.h"
#include "pt.h"

struct expect {
	uint32_t count, tc, lin_entries, lin_uses;
	bool guest_readable;        /* a hypervisor frame any guest may read */
};

struct audit {
	struct machine *m;
	struct expect *e;
	char *msg;
	size_t len;
	bool ok;
	struct domain *d; /* for the TLB visit */
	struct vcpu *v;
};

static bool fail(struct audit *a, const char *what, uint64_t mfn, uint64_t x, uint64_t y)
{
	if (a->ok)
		fmt(a->msg, a->len, "%s (mfn %lx: %lu, expected %lu)", what, mfn, x, y);
	a->ok = false;
	return false;
}

size_t audit_scratch_size(const struct machine *m)
{
	return m->nr_frames * sizeof(struct expect);
}

static bool owner_is_domain(struct machine *m, unsigned owner)
{
	return owner >= OWNER_FIRST && owner < OWNER_FIRST + MAX_DOMAINS &&
	       m->domains[owner - OWNER_FIRST].live;
}

/* One present entry (e) in slot (i) of live table (t) of (level). */
static bool audit_entry(struct audit *a, mfn_t t, unsigned level, uint64_t e)
{
	struct machine *m = a->m;
	mfn_t f = pte_mfn(e);

	if (!pt_flags_allowed(level, e))
		return fail(a, "entry with disallowed flags", mfn_x(t), e, 0);
	if (!frame_valid(m, f) || fw_owner(frame_word(m, f)) != fw_owner(frame_word(m, t)))
		return fail(a, "entry reaches a frame its domain does not own", mfn_x(t), mfn_x(f), 0);
	uint64_t fx = frame_word(m, f);
	struct expect *x = &a->e[mfn_x(f)];
	if (level == 1) {
		x->count++;
		if (!(e & PTE_RW))
			return true;
		x->tc++;
		return fw_type(fx) == FT_WRITABLE ||
		       fail(a, "frame mapped writable is not of writable type", mfn_x(f), fw_type(fx), FT_WRITABLE);
	}
	if (mfn_eq(f, t))
		return !(e & PTE_RW) || fail(a, "writable self-referencing entry", mfn_x(t), e, 0);
	if (fw_type(fx) == level) {
		if (e & PTE_RW)
			return fail(a, "writable linear entry", mfn_x(t), mfn_x(f), 0);
		a->e[mfn_x(t)].lin_entries++;
		x->lin_uses++;
	} else if (fw_type(fx) != level - 1) {
		return fail(a, "entry points at a table of the wrong level", mfn_x(f), fw_type(fx), level - 1);
	}
	if (!fw_live_table(fx))
		return fail(a, "entry points at a table that is not validated", mfn_x(f), fx, 0);
	x->count++;
	x->tc++;
	return true;
}

/* The entries of table (t) of (level) below (upto), which hold references. */
static bool audit_table(struct audit *a, mfn_t t, unsigned level, unsigned upto)
{
	_Atomic uint64_t *p = pt_entries(a->m, t);
	for (unsigned i = 0; i < upto; i++) {
		uint64_t e = atomic_load(&p[i]);
		if (level == 4 && l4_slot_is_hv(i) && upto < PT_ENTRIES)
			continue;
		if (level == 4 && l4_slot_is_hv(i)) {
			if (e != a->m->l4_template[i - HV_L4_FIRST_SLOT])
				return fail(a, "hypervisor L4 slot differs from the template", mfn_x(t), i, e);
			continue;
		}
		if (!pte_present(e)) {
			if (pt_l1tf_unsafe(a->m, level, e))
				return fail(a, "L1TF-unsafe not-present entry", mfn_x(t), i, e);
			continue;
		}
		if (!audit_entry(a, t, level, e))
			return false;
	}
	return true;
}

static bool audit_root(struct audit *a, struct domain *d, mfn_t r)
{
	if (mfn_eq(r, INVALID_MFN))
		return true;
	uint64_t x = frame_word(a->m, r);
	if (fw_owner(x) != d->owner || fw_type(x) != FT_L4 || !fw_live_table(x))
		return fail(a, "vCPU root is not a live L4 of its domain", mfn_x(r), x, 0);
	a->e[mfn_x(r)].count++;
	a->e[mfn_x(r)].tc++;
	return true;
}

/* A frame of a vCPU's GDT or LDT: a descriptor page of its domain, a
 * reference and a type reference. */
static bool audit_desc_frame(struct audit *a, struct domain *d, mfn_t f)
{
	uint64_t x = frame_valid(a->m, f) ? frame_word(a->m, f) : 0;
	if (fw_owner(x) != d->owner || fw_type(x) != FT_SEG_DESC || !(x & FW_VALIDATED))
		return fail(a, "GDT or LDT frame is not a descriptor page of its domain", mfn_x(f), x, 0);
	a->e[mfn_x(f)].count++;
	a->e[mfn_x(f)].tc++;
	return true;
}

/* A vCPU's GDT frames, and the LDT frames mapped so far (within the LDT). */
static bool audit_desc_tables(struct audit *a, struct domain *d, const struct vcpu *v)
{
	unsigned mapped = 0;
	for (unsigned i = 0; i < desc_frames(v->gdt_ents); i++)
		if (!audit_desc_frame(a, d, v->gdt_frames[i]))
			return false;
	for (unsigned i = 0; i < LDT_MAX_FRAMES; i++) {
		if (mfn_eq(v->ldt_frames[i], INVALID_MFN))
			continue;
		if (i >= desc_frames(v->ldt_ents))
			return fail(a, "an LDT frame beyond the LDT", mfn_x(v->ldt_frames[i]), 0, 0);
		if (!audit_desc_frame(a, d, v->ldt_frames[i]))
			return false;
		mapped++;
	}
	if (mapped != v->ldt_mapped)
		return fail(a, "the count of mapped LDT frames is wrong", 0, v->ldt_mapped, mapped);
	return true;
}

/* A frame the host writes (a vCPU's vcpu_info, the domain's held frames):
 * writable, a reference and a type reference. */
static bool audit_writable_hold(struct audit *a, struct domain *d, mfn_t f)
{
	if (mfn_eq(f, INVALID_MFN))
		return true;
	uint64_t x = frame_valid(a->m, f) ? frame_word(a->m, f) : 0;
	if (fw_owner(x) != d->owner || fw_type(x) != FT_WRITABLE)
		return fail(a, "a frame the host writes is not a writable frame of its domain", mfn_x(f), x, 0);
	a->e[mfn_x(f)].count++;
	a->e[mfn_x(f)].tc++;
	return true;
}

static void visit_tlb(void *arg, uint64_t va, mfn_t mfn, bool writable)
{
	struct audit *a = arg;
	struct machine *m = a->m;

	if (!frame_valid(m, mfn) ||
	    (fw_owner(frame_word(m, mfn)) != a->d->owner &&
	     !(a->e[mfn_x(mfn)].guest_readable && !writable))) {
		fail(a, "vCPU caches a translation of a frame its domain does not own", mfn_x(mfn), va, a->v->id);
		return;
	}
	uint64_t x = frame_word(m, mfn);
	if (writable && (type_is_pt(fw_type(x)) || fw_type(x) == FT_SEG_DESC) && fw_tc(x))
		fail(a, "vCPU caches a writable translation of a pagetable or descriptor page", mfn_x(mfn), va,
		     a->v->id);
}

/* The frames a guest may read: the m2p, and (as Xen allows, through a
 * read-only linear entry of its own) the tables that map it in slot 256,
 * found from the template alone. */
static void mark_guest_readable(struct audit *a, mfn_t t, unsigned level)
{
	struct machine *m = a->m;
	if (!frame_valid(m, t))
		return;
	a->e[mfn_x(t)].guest_readable = true;
	for (unsigned i = 0; level > 0 && i < PT_ENTRIES; i++) {
		uint64_t e = atomic_load(&pt_entries(m, t)[i]);
		if (pte_present(e))
			mark_guest_readable(a, pte_mfn(e), level - 1);
	}
}

/* Expected counts from the tables, pins and roots. */
static bool derive(struct audit *a)
{
	struct machine *m = a->m;

	for (uint64_t i = 0; i < m->nr_frames; i++) {
		uint64_t x = frame_word(m, _mfn(i));
		unsigned o = fw_owner(x);
		if (o == OWNER_NOBODY && x)
			return fail(a, "free frame has a non-zero frame word", i, x, 0);
		if (o != OWNER_NOBODY && o != OWNER_HV && !owner_is_domain(m, o))
			return fail(a, "frame owned by a domain that does not exist", i, o, 0);
		if ((x & FW_GIVEN_BACK) && (!owner_is_domain(m, o) || (!fw_count(x) && !fw_tc(x))))
			return fail(a, "frame given back outlived its last reference", i, x, 0);
		/* an owned frame holds its allocation reference unless given back */
		a->e[i] = (struct expect){ o != OWNER_NOBODY && !(x & FW_GIVEN_BACK), 0, 0, 0, false };
	}
	mark_guest_readable(a, pte_mfn(m->l4_template[0]), 3);
	for (uint64_t i = 0; i < m->nr_frames; i++) {
		uint64_t x = frame_word(m, _mfn(i));
		bool unfinished = x & (FW_PARTIAL | FW_DEMOTING);
		if (type_is_pt(fw_type(x)) && fw_tc(x) && !(x & FW_VALIDATED) && !unfinished)
			return fail(a, "table in use but not validated", i, x, 0);
		if (unfinished && (!type_is_pt(fw_type(x)) || (x & (FW_VALIDATED | FW_PINNED)) ||
				   ((x & FW_PARTIAL) && (x & FW_DEMOTING))))
			return fail(a, "partial or demoting frame in an impossible state", i, x, 0);
		if ((x & FW_PINNED) && !fw_live_table(x))
			return fail(a, "pinned frame is not a live table", i, x, 0);
		if (x & FW_PINNED) {
			a->e[i].count++;
			a->e[i].tc++;
		}
		/* an interrupted validation holds a reference and a type
		 * reference; a queued devalidation holds a type reference */
		a->e[i].count += (x & FW_PARTIAL) != 0;
		a->e[i].tc += unfinished;
		if (!owner_is_domain(m, fw_owner(x)))
			continue;
		if (fw_live_table(x) && !audit_table(a, _mfn(i), fw_type(x), PT_ENTRIES))
			return false;
		if (unfinished && !audit_table(a, _mfn(i), fw_type(x), m->progress[i]))
			return false;
	}
	for (unsigned k = 0; k < MAX_DOMAINS; k++) {
		struct domain *d = &m->domains[k];
		for (unsigned j = 0; d->live && j < d->nr_vcpus; j++)
			if (!audit_root(a, d, d->vcpus[j].kernel_root) ||
			    !audit_root(a, d, d->vcpus[j].user_root) || !audit_desc_tables(a, d, &d->vcpus[j]) ||
			    !audit_writable_hold(a, d, d->vcpus[j].info_frame))
				return false;
		for (unsigned j = 0; d->live && j < d->nr_held; j++)
			if (!audit_writable_hold(a, d, d->held[j]))
				return false;
	}
	return true;
}

static bool compare(struct audit *a)
{
	struct machine *m = a->m;

	for (uint64_t i = 0; i < m->nr_frames; i++) {
		uint64_t x = frame_word(m, _mfn(i));
		struct expect *e = &a->e[i];
		int32_t lin = atomic_load(&m->linear[i]);
		if (fw_count(x) != e->count)
			return fail(a, "reference count differs from the tables", i, fw_count(x), e->count);
		if (fw_tc(x) != e->tc)
			return fail(a, "type count differs from the tables", i, fw_tc(x), e->tc);
		if (e->lin_entries && e->lin_uses)
			return fail(a, "table both holds and is the target of linear entries", i,
				    e->lin_entries, e->lin_uses);
		if (lin != (int32_t)e->lin_entries - (int32_t)e->lin_uses)
			return fail(a, "linear count differs from the tables", i, (uint64_t)(int64_t)lin,
				    e->lin_entries - e->lin_uses);
	}
	return true;
}

bool audit_run(struct machine *m, void *scratch, char *msg, size_t len)
{
	struct audit a = { .m = m, .e = scratch, .msg = msg, .len = len, .ok = true };

	if (len)
		msg[0] = 0;
	if (!derive(&a) || !compare(&a))
		return false;
	for (unsigned k = 0; k < MAX_DOMAINS && a.ok; k++) {
		a.d = &m->domains[k];
		for (unsigned j = 0; a.d->live && j < a.d->nr_vcpus && a.ok; j++) {
			a.v = &a.d->vcpus[j];
			env_tlb_for_each(a.v, visit_tlb, &a);
		}
	}
	return a.ok;
}

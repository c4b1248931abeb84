/* SPDX-License-Identifier: MIT */
/*
 * A scenario file run through real hypercalls (scenario=1): the program
 * the tool wrote into our image (pvmmu/sprog.h), statement by statement,
 * as the scenario's one domain, on hv or on Xen.
 *
 * The domain's frames are frames of ours, taken out of our direct map so
 * that nothing but the scenario's own tables refers to them.  A `write`
 * The frames of other domains, the hypervisor's and free ones, which the
 * rules treat alike, are one frame that is not ours.  A `write`
 * goes through a mapping of the frame at its direct-map address made for
 * the one store: writable if the frame can be (a plain store), else
 * read-only (a pagetable store the hypervisor emulates, or a fault).  A
 * root the scenario loads gets our direct map's L4 slot first, so that
 * this code, its data and its stack stay mapped; the scenario's own slots
 * are its.  Statements of vCPU 1 run there (attacks.c's job runner).
 *
 * One line per statement: "pvmmu-scenario line=L got=R ok=0|1", then
 * "pvmmu-scenario-done ran=N ok=N".
 */
#include <pvmmu/sprog.h>
#include "attacks.h"

struct sprog xen_sprog = { .magic = SPROG_EMPTY };

static pfn_t frames[SPROG_FRAMES + 1];  /* the last: a window for other frames */
static unsigned ran, agreed;
static uint64_t foreign;        /* a machine frame that is not ours */

#define KERNEL_SLOT SPROG_GUEST_SLOT
_Static_assert(((DIRECT_BASE >> 39) & 511) == SPROG_GUEST_SLOT, "the direct map's slot");
#define WINDOW_RW   (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX)
#define WINDOW_RO   (PTE_P | PTE_A | PTE_NX)

static uint64_t mfn_of_val(const struct sprog_val *v)
{
	return v->kind == SK_PFN ? mfn_of(frames[v->n]) : v->kind == SK_FOREIGN ? foreign : v->n;
}

/* The first machine frame that is not ours, by the m2p: one whose pfn
 * there does not map back to it. */
static uint64_t first_foreign(uint64_t nr_pages)
{
	for (uint64_t m = 0;; m++) {
		uint64_t pfn = ~0ull;
		hostif_load(_gva(MACH2PHYS_VIRT_START + m * 8), &pfn);
		if (pfn >= nr_pages || mfn_of(_pfn(pfn)) != m)
			return m;
	}
}

static uint64_t entry_of_val(const struct sprog_val *v)
{
	switch (v->kind) {
	case SK_PFN:
	case SK_MFN:
	case SK_FOREIGN: return mfn_of_val(v) << PAGE_SHIFT | v->bits;
	case SK_RAW: return v->bits;
	default: return 0;
	}
}

/* The window onto frame n: its own direct-map address. */
static uint64_t window(uint64_t n)
{
	return gva_x(pfn_to_virt(frames[n]));
}

/* A store into slot (idx) of frame (f) "as through a mapping we own",
 * through the frame's own window or, for a frame not the domain's, a spare
 * one: 0, or 1 if it faults. */
static long write_frame(const struct sprog_val *f, unsigned idx, uint64_t val)
{
	uint64_t w = window(f->kind == SK_PFN ? f->n : SPROG_FRAMES), m = mfn_of_val(f) << PAGE_SHIFT;
	long rc;
	if (!update_va(w, m | WINDOW_RW))
		rc = hostif_store(_gva(w + idx * 8), val) ? 1 : 0;
	else if (!update_va(w, m | WINDOW_RO))
		rc = hostif_store(_gva(w + idx * 8), val) ? 1 : 0;
	else
		rc = 1;
	if (update_va(w, 0))
		hostif_panic("scenario: cannot unmap a window");
	return rc;
}

/* Before frame (n) becomes a root: our direct map's slot in it, unless
 * the scenario put something there. */
static void keep_us_mapped(uint64_t n)
{
	uint64_t ours, theirs = 0, w = window(n), m = mfn_of(frames[n]) << PAGE_SHIFT;
	hostif_load(_gva(gva_x(pfn_to_virt(kernel_mm.pgd)) + KERNEL_SLOT * 8), &ours);
	if (!update_va(w, m | WINDOW_RO)) {
		hostif_load(_gva(w + KERNEL_SLOT * 8), &theirs);
		update_va(w, 0);
	}
	struct sprog_val f = { SK_PFN, 0, n, 0 };
	if (!theirs && write_frame(&f, KERNEL_SLOT, ours))
		mmu_update(m + KERNEL_SLOT * 8, ours);
}

/* The hypercall a statement makes, as a multicall entry (op 0: none). */
static struct multicall_entry call_of(const struct sprog_insn *s, void *buf)
{
	struct multicall_entry c = { 0 };
	struct mmu_update *u = buf;
	struct mmuext_op *o = buf;
	uint64_t mfn = mfn_of_val(&s->frame);
	switch (s->op) {
	case SP_UPDATE:
	case SP_MACHPHYS:
		*u = s->op == SP_UPDATE
			     ? (struct mmu_update){ mfn << PAGE_SHIFT | s->idx * 8 |
							    (s->flags & SPF_PRESERVE_AD ? MMU_PT_UPDATE_PRESERVE_AD : 0),
						    entry_of_val(&s->value) }
			     : (struct mmu_update){ mfn << PAGE_SHIFT | MMU_MACHPHYS_UPDATE, s->value.bits };
		c = (struct multicall_entry){ .op = HYPERVISOR_mmu_update, .args = { (uintptr_t)u, 1, 0, DOMID_SELF } };
		break;
	case SP_PIN: *o = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE + s->idx - 1, .arg1.mfn = mfn }; break;
	case SP_UNPIN: *o = (struct mmuext_op){ .cmd = MMUEXT_UNPIN_TABLE, .arg1.mfn = mfn }; break;
	case SP_BASEPTR: *o = (struct mmuext_op){ .cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = mfn }; break;
	case SP_USER_BASEPTR:
		*o = (struct mmuext_op){ .cmd = MMUEXT_NEW_USER_BASEPTR, .arg1.mfn = s->frame.kind ? mfn : 0 };
		break;
	case SP_FLUSH:
		*o = (struct mmuext_op){ .cmd = s->flags & SPF_ALL ? MMUEXT_TLB_FLUSH_ALL : MMUEXT_TLB_FLUSH_LOCAL };
		break;
	case SP_INVLPG:
		*o = (struct mmuext_op){ .cmd = s->flags & SPF_ALL ? MMUEXT_INVLPG_ALL : MMUEXT_INVLPG_LOCAL,
					 .arg1.linear_addr = s->va };
		break;
	case SP_UVA:
		c = (struct multicall_entry){ .op = HYPERVISOR_update_va_mapping,
					      .args = { s->va, entry_of_val(&s->value),
							s->idx | (s->flags & SPF_ALL ? UVMF_ALL : UVMF_LOCAL) } };
		break;
	default:
		break;
	}
	if (!c.op && s->op != SP_UVA && s->op >= SP_PIN && s->op <= SP_INVLPG)
		c = (struct multicall_entry){ .op = HYPERVISOR_mmuext_op, .args = { (uintptr_t)o, 1, 0, DOMID_SELF } };
	return c;
}

/* Run one statement; its result: 0, a negative errno, 1 for a fault. */
static long run_one(const struct sprog_insn *s, uint64_t *loaded)
{
	static uint8_t buf[SPROG_VCPUS][64];
	switch (s->op) {
	case SP_WRITE:
		return write_frame(&s->frame, s->idx, entry_of_val(&s->value));
	case SP_LOAD:
		return hostif_load(_gva(s->va), loaded) ? 1 : 0;
	case SP_STORE:
		return hostif_store(_gva(s->va), entry_of_val(&s->value)) ? 1 : 0;
	default: {
		if (s->op == SP_BASEPTR && s->expect == SX_OK && s->frame.kind == SK_PFN)
			keep_us_mapped(s->frame.n);
		struct multicall_entry c = call_of(s, buf[hostif_vcpu()]);
		return xen_hypercall(c.op, c.args[0], c.args[1], c.args[2], c.args[3], 0);
	}
	}
}

static bool as_expected(const struct sprog_insn *s, long got, uint64_t loaded)
{
	switch (s->expect) {
	case SX_OK:
		return got == 0 && (!(s->flags & SPF_HAS_VALUE) || loaded == entry_of_val(&s->want));
	case SX_ERRNO: return got == s->err;
	case SX_FAIL: return got < 0;
	case SX_FAULT: return got == 1;
	case SX_ANY: return true;
	default: return false;
	}
}

static void say(const struct sprog_insn *s, long got, bool ok)
{
	x86_puts("pvmmu-scenario ");
	x86_put_kv("line", s->line);
	x86_puts(got < 0 ? "got=-" : "got=");
	x86_put_u64((uint64_t)(got < 0 ? -got : got));
	x86_puts(" ");
	x86_put_kv("ok", ok);
	x86_puts("\n");
	ran++;
	agreed += ok;
}

/* A multicall from (first) to its end: each entry checked, then the end. */
static unsigned run_multicall(const struct sprog_insn *first)
{
	static struct multicall_entry mc[SPROG_MAX];
	static uint8_t bufs[SPROG_MAX][64];
	unsigned n = 0;
	while (first[1 + n].op != SP_END) {
		mc[n] = call_of(&first[1 + n], bufs[n]);
		n++;
	}
	long rc = xen_hypercall(HYPERVISOR_multicall, (uintptr_t)mc, n, 0, 0, 0);
	for (unsigned i = 0; i < n; i++)
		say(&first[1 + i], (long)mc[i].result, as_expected(&first[1 + i], (long)mc[i].result, 0));
	say(&first[1 + n], rc, as_expected(&first[1 + n], rc, 0));
	return n + 2;
}

static const struct sprog_insn *job_insn;

static void job(void)
{
	uint64_t loaded = 0;
	long got = run_one(job_insn, &loaded);
	say(job_insn, got, as_expected(job_insn, got, loaded));
}

int xen_scenario(const struct start_info *si)
{
	const struct sprog *p = &xen_sprog;
	if (p->magic != SPROG_MAGIC || p->n > SPROG_MAX || p->frames > SPROG_FRAMES || p->vcpus > SPROG_VCPUS)
		return -1;
	if (p->vcpus > 1) {
		if (si->nr_vcpus < 2)
			return -1;
		x86_smp = true;
		x86_secondary_main = attack_secondary_main;
		x86_start_vcpus(2, pfn_to_mfn(kernel_mm.pgd));
	}
	foreign = first_foreign(si->nr_pages);
	frames[SPROG_FRAMES] = palloc();
	if (update_va(window(SPROG_FRAMES), 0))
		hostif_panic("scenario: cannot take a frame out of the direct map");
	for (unsigned i = 0; i < p->frames; i++) {
		frames[i] = palloc();
		hostif_zero_page(pfn_to_virt(frames[i]));
		if (update_va(window(i), 0))
			hostif_panic("scenario: cannot take a frame out of the direct map");
	}
	for (unsigned i = 0; i < p->n;) {
		const struct sprog_insn *s = &p->insn[i];
		if (s->op == SP_MULTICALL) {
			i += run_multicall(s);
			continue;
		}
		job_insn = s;
		if (s->vcpu) {
			attack_on_secondary(job);
			attack_wait_secondary();
		} else {
			job();
		}
		i++;
	}
	x86_puts("pvmmu-scenario-done ");
	x86_put_kv("ran", ran);
	x86_put_kv("ok", agreed);
	x86_puts("\n");
	return 0;
}

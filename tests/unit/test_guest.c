/* SPDX-License-Identifier: MIT */
/*
 * The guest side on the sim host: the MMU layer's conversions and batching
 * (run inside a booted guest, as test workloads), every workload in every
 * mode to a clean audit with no frame leaked, and the work-count targets.
 */
#include <string.h>
#include "../../sim/guest_host.h"
#include "check.h"

static void nothing(unsigned ops) { (void)ops; }
static void nothing_after(void) {}

static struct workload probe = { "probe", "checks", 1, 1, nothing, NULL, nothing_after, false };

static void run_probe(void (*fn)(unsigned, unsigned), enum guest_mode mode)
{
	struct guest_result r;
	probe.run = fn;
	CHECK(guest_run(&probe, mode, 16384, 1, &r) == 0);
	CHECK(r.audit_ok && r.leak_free);
}

/* make_pte / pte_val convert present entries and pass the rest through. */
static void conversions(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	(void)ops;
	for (uint64_t pfn = 0; pfn < 16384; pfn += 997) {
		uint64_t e = (pfn << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_NX;
		uint64_t m = make_pte(e);
		CHECK(pte_mfn(m).m == pfn_to_mfn(_pfn(pfn)).m && pte_flags(m) == pte_flags(e));
		CHECK(pte_val(m) == e);
		CHECK(make_pmd(e) == m && pgd_val(m) == e);
		CHECK(mfn_to_pfn(pfn_to_mfn(_pfn(pfn))).p == pfn);
	}
	CHECK(make_pte(0x1234000) == 0x1234000);   /* not present: untouched */
	CHECK(pte_val(0xabc000) == 0xabc000);
	gva_t va = _gva(DIRECT_BASE + 5 * PAGE_SIZE + 24);
	CHECK(maddr_x(virt_to_machine(va)) == ((mfn_x(pfn_to_mfn(_pfn(5))) << PAGE_SHIFT) | 24));
}

static uint64_t calls_at_callback;
static bool callback_ran;

static void record_callback(void *arg)
{
	(void)arg;
	callback_ran = true;
	calls_at_callback = mmu_stats[hostif_vcpu()].hypercalls;
}

/* A callback runs only after its batch; a full buffer issues itself. */
static void batching(unsigned vcpu, unsigned ops)
{
	(void)ops;
	struct mmu_stats *st = &mmu_stats[vcpu];
	uint64_t h0 = st->hypercalls;
	callback_ran = false;
	lazy_mmu_enter();
	mc_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0, "flush");
	lazy_mmu_callback(record_callback, NULL);
	CHECK(!callback_ran && st->hypercalls == h0);
	lazy_mmu_leave();
	CHECK(callback_ran && calls_at_callback == h0 + 1);
	/* 100 operations through a 32-entry buffer: it issues itself */
	uint64_t h1 = st->hypercalls;
	lazy_mmu_enter();
	for (unsigned i = 0; i < 100; i++)
		mc_mmuext(MMUEXT_INVLPG_LOCAL, 0x400000, 0, "invlpg");
	CHECK(st->hypercalls == h1 + 3);
	lazy_mmu_leave();
	CHECK(st->hypercalls == h1 + 4);
	/* consecutive mmu_updates share one entry: 600 of them, two issues */
	uint64_t h2 = st->hypercalls;
	uint64_t ptr = maddr_x(virt_to_machine(pfn_to_virt(kernel_mm.pgd))) + 300 * 8;
	lazy_mmu_enter();
	for (unsigned i = 0; i < 600; i++)
		mc_mmu_update(ptr, 0, "clear");
	lazy_mmu_leave();
	CHECK(st->hypercalls == h2 + 2);
}

static struct mmu_failure seen;
static unsigned failures;

static void record_failure(const struct mmu_failure *f)
{
	seen = *f;
	failures++;
}

/* Queue a fine update and a refused one (a writable self-map of the
 * kernel's L4) under a recording failure handler; (then) queues more. */
static void queue_a_refusal(void (*then)(void))
{
	uint64_t l4 = maddr_x(virt_to_machine(pfn_to_virt(kernel_mm.pgd)));
	failures = 0;
	mmu_on_failure(record_failure);
	lazy_mmu_enter();
	mc_mmu_update(l4 + 300 * 8, 0, "fine");
	mc_mmu_update(l4 + 301 * 8, pte_make(pfn_to_mfn(kernel_mm.pgd), PTE_P | PTE_RW), "writable self-map");
	if (then)
		then();
	lazy_mmu_leave();
	mmu_on_failure(NULL);
}

static void pin_the_kernel_twice(void)
{
	mc_mmuext(MMUEXT_PIN_L4_TABLE, mfn_x(pfn_to_mfn(kernel_mm.pgd)), 0, "pin twice");
}

/* A failed entry in a batch is reported with its operation, not swallowed;
 * a later failed operation of the same batch too. */
static void failures_reported(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	(void)ops;
	queue_a_refusal(pin_the_kernel_twice);
	CHECK(failures == 2);
	CHECK(!strcmp(seen.what, "pin twice") && seen.rc == -XEN_EINVAL);
}

static void first_failure_is_the_update(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	(void)ops;
	uint64_t l4 = maddr_x(virt_to_machine(pfn_to_virt(kernel_mm.pgd)));
	queue_a_refusal(NULL);
	CHECK(failures == 1);
	CHECK(!strcmp(seen.what, "writable self-map") && seen.a0 == l4 + 301 * 8 && seen.rc == -XEN_EINVAL);
}

/* The same report when the batch is continued in small slices: the entry
 * the hypervisor rewrote still names the request that failed. */
static void failure_in_a_continued_batch(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	(void)ops;
	uint64_t l4 = maddr_x(virt_to_machine(pfn_to_virt(kernel_mm.pgd)));
	uint64_t bad = pte_make(pfn_to_mfn(kernel_mm.pgd), PTE_P | PTE_RW);
	failures = 0;
	mmu_on_failure(record_failure);
	lazy_mmu_enter();
	for (unsigned i = 0; i < 400; i++)
		mc_mmu_update(l4 + (300 + i % 100) * 8, 0, "fine");
	mc_mmu_update(l4 + 301 * 8, bad, "the bad one");
	lazy_mmu_leave();
	mmu_on_failure(NULL);
	CHECK(failures == 1);
	CHECK(!strcmp(seen.what, "the bad one") && seen.a0 == l4 + 301 * 8 && seen.a1 == bad);
}

/* An address space's life: spawn, fork, COW, exec, exit, with the
 * hypervisor's counts checked at each step by the audit at the end. */
static void lifecycle(unsigned vcpu, unsigned ops)
{
	(void)ops;
	uint64_t free0 = palloc_nr_free();
	struct proc *p = proc_spawn(4);
	proc_switch(p);
	CHECK(vm_mmap(p, USER_MMAP, 8 * PAGE_SIZE, true, false) == 0);
	CHECK(vm_touch(p, USER_MMAP, 7, true) == 0);
	struct proc *c = proc_fork(p);
	gva_t pe = vm_entry(&p->mm, USER_MMAP, false), ce = vm_entry(&c->mm, USER_MMAP, false);
	uint64_t ppte = read_entry(pe), cpte = read_entry(ce);
	CHECK(!(ppte & PTE_RW) && !(cpte & PTE_RW) && (ppte & PTE_ADDR_MASK) == (cpte & PTE_ADDR_MASK));
	/* the parent writes: it gets its own copy, the child keeps the old */
	CHECK(vm_touch(p, USER_MMAP, 8, true) == 0);
	CHECK((read_entry(pe) & PTE_ADDR_MASK) != (cpte & PTE_ADDR_MASK));
	proc_switch(c);
	uint64_t v;
	CHECK(hostif_load(_gva(USER_MMAP), &v) == 0 && v == 7);
	CHECK(vm_touch(c, USER_MMAP + 4096, 1, false) == 0);
	CHECK(vm_touch(c, USER_TEXT, 1, true) == -1);     /* text is read-only */
	/* set_pte_at on a pinned space that is not current: an emulated store */
	gva_t pe2 = vm_entry(&p->mm, USER_MMAP + 4096, true);
	uint64_t before = mmu_stats[vcpu].emulated_stores;
	pfn_t extra = palloc();
	set_pte_at(&p->mm, USER_MMAP + 4096, pe2, (pfn_x(extra) << PAGE_SHIFT) | USER_FLAGS | PTE_RW);
	CHECK((read_entry(pe2) & PTE_ADDR_MASK) >> PAGE_SHIFT == pfn_x(extra));
	CHECK(mmu_stats[vcpu].emulated_stores == before + (mmu_ops == &pv_mmu_ops && p->mm.pinned));
	/* virt_to_machine of a kernel address outside the direct map */
	uint64_t kva = DIRECT_BASE + (512ull << 20); /* past the direct map, same L2 */
	pfn_t kpage = palloc();
	set_pte(&kernel_mm, vm_entry(&kernel_mm, kva, true), (pfn_x(kpage) << PAGE_SHIFT) | KERNEL_RW);
	lazy_mmu_flush();
	CHECK(maddr_x(virt_to_machine(_gva(kva + 40))) == ((mfn_x(pfn_to_mfn(kpage)) << PAGE_SHIFT) | 40));
	CHECK(maddr_x(virt_to_machine(_gva(kva + PAGE_SIZE))) == 0);
	CHECK(maddr_x(virt_to_machine(_gva(MACH2PHYS_VIRT_START))) == 0);
	/* take the new L1 out of the kernel's L2 again, and free both */
	gva_t l1e = vm_entry(&kernel_mm, kva, false);
	pfn_t l1 = _pfn(pfn_x(_pfn((gva_x(l1e) - DIRECT_BASE) >> PAGE_SHIFT)));
	uint64_t l4e = read_entry(_gva(gva_x(pfn_to_virt(kernel_mm.pgd)) + KERNEL_L4_SLOT * 8));
	uint64_t l3e = read_entry(pfn_to_virt(_pfn((l4e & PTE_ADDR_MASK) >> PAGE_SHIFT)));
	gva_t l2e = _gva(DIRECT_BASE + (l3e & PTE_ADDR_MASK) + pt_index(kva, 2) * 8);
	pte_clear(&kernel_mm, l1e);
	set_pmd(&kernel_mm, l2e, 0);
	make_page_readwrite(l1);
	lazy_mmu_flush();
	pput(l1);
	pput(kpage);
	proc_exec(c, 2);
	CHECK(vm_entry(&c->mm, USER_MMAP, false).v == 0);
	proc_exit(c);
	proc_exit(p);
	mmu_free_held();        /* the tables the exits left held */
	CHECK(palloc_nr_free() == free0);
}

/* Tables of exited spaces wait read-only, oldest first, and once enough
 * wait behind them a new space is pinned in the oldest: copied in by the
 * hypervisor, and none of their type changes flushes a TLB (every vCPU has
 * flushed since they were unpinned); the one flush left is fork's own. */
static struct proc *held_parent;
static pfn_t held_first_pgd;

static void held_setup(unsigned ops)
{
	(void)ops;
	held_parent = proc_spawn(4);
	for (unsigned i = 0; i < 3; i++) {
		struct proc *c = proc_fork(held_parent);
		if (i == 0)
			held_first_pgd = c->mm.pgd;
		proc_exit(c);
	}
}

static void held_fork(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	(void)ops;
	struct proc *c = proc_fork(held_parent);
	CHECK(pfn_x(c->mm.pgd) == pfn_x(held_first_pgd));
	proc_exit(c);
}

static void held_teardown(void)
{
	proc_exit(held_parent);
}

static void tables_pinned_in_held_frames_flush_nothing(void)
{
	struct workload w = { "held", "fork+exit", 1, 1, held_setup, held_fork, held_teardown, false };
	struct guest_result r;
	CHECK(guest_run(&w, MODE_PV, 16384, 1, &r) == 0);
	CHECK(r.audit_ok && r.leak_free);
	CHECK(r.counts.pins == 1 && r.counts.unpins == 1 && r.counts.flushes == 1);
}

static void each_workload_each_mode(void)
{
	for (unsigned i = 0; i < nr_workloads; i++) {
		const struct workload *w = &workloads[i];
		unsigned ops = w->default_ops / 20 ? w->default_ops / 20 : 1;
		for (int m = 0; m < 3; m++) {
			struct guest_result r;
			CHECK(guest_run(w, (enum guest_mode)m, 32768, ops, &r) == 0);
			if (!r.audit_ok || !r.leak_free)
				printf("  %s mode %d: %s\n", w->name, m, r.leak_free ? r.audit_msg : "frames leaked");
			CHECK(r.audit_ok);
			CHECK(r.leak_free);
			CHECK(r.ops == (uint64_t)ops * w->vcpus);
		}
	}
}

/* Every workload again with a budget of 50 entries per slice, so the
 * guest's batches, pins and unpins are continued all the time. */
static void each_workload_sliced(void)
{
	guest_run_budget = 50;
	for (unsigned i = 0; i < nr_workloads; i++) {
		struct guest_result r;
		const struct workload *w = &workloads[i];
		CHECK(guest_run(w, MODE_PV, 32768, w->default_ops / 50 ? w->default_ops / 50 : 1, &r) == 0);
		if (!r.audit_ok || !r.leak_free)
			printf("  %s sliced: %s\n", w->name, r.leak_free ? r.audit_msg : "frames leaked");
		CHECK(r.audit_ok && r.leak_free);
	}
	guest_run_budget = 0;
}

static struct guest_counts counts(const char *name, enum guest_mode m, unsigned ops)
{
	struct guest_result r;
	CHECK(guest_run(workload_find(name), m, 32768, ops, &r) == 0);
	return r.counts;
}

/* The work-count targets. */
static void targets(void)
{
	struct guest_counts a = counts("mmap-64m", MODE_PV, 1), b = counts("mmap-64m", MODE_NOBATCH, 1);
	CHECK(b.hypercalls >= 10 * a.hypercalls);
	a = counts("mprotect-64m", MODE_PV, 2);
	b = counts("mprotect-64m", MODE_NOBATCH, 2);
	CHECK(b.hypercalls >= 10 * a.hypercalls);
	CHECK(counts("ctxsw-16", MODE_PV, 1000).validated == 0);
	/* fork+exit: 16x the pages costs far less than 16x the hypercalls */
	fork_parent_pages = 256;
	struct guest_counts small = counts("fork-exit", MODE_PV, 10);
	fork_parent_pages = 4096;
	struct guest_counts big = counts("fork-exit", MODE_PV, 10);
	fork_parent_pages = 256;
	CHECK(big.validated > 8 * small.validated);           /* the work did grow */
	CHECK(big.hypercalls <= small.hypercalls + 10 * (4096 / 512) * 2);
}

void test_guest(void)
{
	run_probe(conversions, MODE_PV);
	run_probe(conversions, MODE_NATIVE);
	run_probe(batching, MODE_PV);
	run_probe(failures_reported, MODE_PV);
	run_probe(first_failure_is_the_update, MODE_PV);
	guest_run_budget = 37;
	run_probe(failure_in_a_continued_batch, MODE_PV);
	run_probe(lifecycle, MODE_PV);
	guest_run_budget = 0;
	tables_pinned_in_held_frames_flush_nothing();
	run_probe(lifecycle, MODE_PV);
	run_probe(lifecycle, MODE_NOBATCH);
	run_probe(lifecycle, MODE_NATIVE);
	each_workload_each_mode();
	each_workload_sliced();
	targets();
}

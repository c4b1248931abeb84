/* SPDX-License-Identifier: MIT */
/* The workloads (what each measures: workloads.h and the table below). */
#include "workloads.h"

#define MiB (1ull << 20)
#define TEXT_PAGES 4

unsigned fork_parent_pages = 256;

static struct proc *parent;
static struct proc *spaces[16];
static unsigned nr_spaces;

static void touch_range(struct proc *p, uint64_t start, uint64_t len)
{
	for (uint64_t va = start; va < start + len; va += PAGE_SIZE)
		if (vm_touch(p, va, va, true))
			hostif_panic("touch of a mapped page failed");
}

static void exit_parent(void)
{
	proc_exit(parent);
	parent = NULL;
}

/* fork+exit and fork+exec+exit: a parent with fork_parent_pages written pages. */
static void fork_setup(unsigned ops)
{
	(void)ops;
	parent = proc_spawn(TEXT_PAGES);
	proc_switch(parent);
	vm_mmap(parent, USER_MMAP, (uint64_t)fork_parent_pages * PAGE_SIZE, true, true);
	touch_range(parent, USER_MMAP, (uint64_t)fork_parent_pages * PAGE_SIZE);
}

static void fork_exit_run(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	for (unsigned i = 0; i < ops; i++)
		proc_exit(proc_fork(parent));
}

/* The same on two vCPUs at once, each forking a parent of its own: what
 * several CPUs give (the scaling figure). */
#define WORKERS 2
static struct proc *parents[WORKERS];

static void fork_pair_setup(unsigned ops)
{
	for (unsigned k = 0; k < WORKERS; k++) {
		fork_setup(ops);
		parents[k] = parent;
	}
	parent = NULL;
}

static void fork_pair_run(unsigned vcpu, unsigned ops)
{
	proc_switch(parents[vcpu]);
	for (unsigned i = 0; i < ops; i++)
		proc_exit(proc_fork(parents[vcpu]));
	proc_idle();            /* the teardown on vCPU 0 need not ask us to let go */
}

static void fork_pair_teardown(void)
{
	for (unsigned k = 0; k < WORKERS; k++) {
		proc_exit(parents[k]);
		parents[k] = NULL;
	}
}

static void fork_exec_exit_run(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	for (unsigned i = 0; i < ops; i++) {
		struct proc *child = proc_fork(parent);
		proc_exec(child, TEXT_PAGES);
		proc_exit(child);
	}
}

/* Page-fault storm: one demand-zero fault per operation. */
static void fault_setup(unsigned ops)
{
	parent = proc_spawn(TEXT_PAGES);
	proc_switch(parent);
	vm_mmap(parent, USER_MMAP, (uint64_t)ops * PAGE_SIZE, true, false);
}

static void fault_run(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	for (unsigned i = 0; i < ops; i++)
		if (vm_touch(parent, USER_MMAP + (uint64_t)i * PAGE_SIZE, i, true))
			hostif_panic("demand fault failed");
}

static void plain_setup(unsigned ops)
{
	(void)ops;
	parent = proc_spawn(TEXT_PAGES);
	proc_switch(parent);
}

/* mmap 64 MiB (populated), touch every page, munmap. */
static void mmap_run(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	for (unsigned i = 0; i < ops; i++) {
		vm_mmap(parent, USER_MMAP, 64 * MiB, true, true);
		touch_range(parent, USER_MMAP, 64 * MiB);
		vm_munmap(parent, USER_MMAP, 64 * MiB);
	}
}

/* One TLB flush of a page: invlpg natively, one hypercall in PV, so its PV
 * time is the cost of a crossing into the hypervisor and back. */
static void invlpg_run(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	for (unsigned i = 0; i < ops; i++)
		mmu_ops->flush_one(USER_MMAP + (uint64_t)(i % 16) * PAGE_SIZE);
}

/* mprotect of 64 MiB, read-only and back. */
static void mprotect_setup(unsigned ops)
{
	plain_setup(ops);
	vm_mmap(parent, USER_MMAP, 64 * MiB, true, true);
}

static void mprotect_run(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	for (unsigned i = 0; i < ops; i++)
		vm_mprotect(parent, USER_MMAP, 64 * MiB, i % 2 == 1);
}

/* Context switches round a ring of N pinned address spaces. */
static void ctxsw_setup_n(unsigned n)
{
	nr_spaces = n;
	for (unsigned i = 0; i < n; i++) {
		spaces[i] = proc_spawn(TEXT_PAGES);
		proc_switch(spaces[i]);
		vm_mmap(spaces[i], USER_MMAP, PAGE_SIZE, true, true);
	}
}

static void ctxsw_run(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	for (unsigned i = 0; i < ops; i++) {
		struct proc *p = spaces[i % nr_spaces];
		proc_switch(p);
		if (vm_touch(p, USER_MMAP, i, true))
			hostif_panic("touch after switch failed");
	}
}

static void ctxsw_teardown(void)
{
	for (unsigned i = 0; i < nr_spaces; i++)
		proc_exit(spaces[i]);
	nr_spaces = 0;
}

static void ctxsw2_setup(unsigned ops) { (void)ops; ctxsw_setup_n(2); }
static void ctxsw4_setup(unsigned ops) { (void)ops; ctxsw_setup_n(4); }
static void ctxsw8_setup(unsigned ops) { (void)ops; ctxsw_setup_n(8); }
static void ctxsw16_setup(unsigned ops) { (void)ops; ctxsw_setup_n(16); }

/* Mixed, on 2 vCPUs: processes taken from a shared ring, so they migrate;
 * each turn touches pages, every fourth forks and exits a child, every
 * sixteenth begins with an exec (its space torn down while the other vCPU
 * may still hold it: a cross-vCPU drop, os/proc.c). */
#define MIXED_PROCS 8
static _Atomic int mixed_busy[MIXED_PROCS];
static _Atomic unsigned mixed_next, mixed_done;

static void mixed_setup(unsigned ops)
{
	(void)ops;
	ctxsw_setup_n(MIXED_PROCS);
	for (unsigned i = 0; i < MIXED_PROCS; i++) {
		vm_mmap(spaces[i], USER_MMAP + PAGE_SIZE, 16 * PAGE_SIZE, true, false);
		atomic_store(&mixed_busy[i], 0);
	}
	atomic_store(&mixed_next, 0);
	atomic_store(&mixed_done, 0);
}

static struct proc *mixed_take(unsigned *slot)
{
	for (;;) {
		unsigned i = atomic_fetch_add(&mixed_next, 1) % MIXED_PROCS;
		int idle = 0;
		if (atomic_compare_exchange_strong(&mixed_busy[i], &idle, 1)) {
			*slot = i;
			return spaces[i];
		}
		proc_serve_drops();
	}
}

static void mixed_run(unsigned vcpu, unsigned ops)
{
	(void)vcpu;
	for (unsigned i = 0; i < ops; i++) {
		unsigned slot;
		struct proc *p = mixed_take(&slot);
		if (i % 16 == 15) {
			proc_exec(p, TEXT_PAGES);
			vm_mmap(p, USER_MMAP + PAGE_SIZE, 16 * PAGE_SIZE, true, false);
		}
		proc_switch(p);
		for (unsigned k = 0; k < 16; k++)
			if (vm_touch(p, USER_MMAP + PAGE_SIZE * (1 + k), i, true))
				hostif_panic("mixed touch failed");
		if (i % 4 == 3) {
			struct proc *child = proc_fork(p);
			proc_exit(child);
		}
		atomic_store(&mixed_busy[slot], 0);
		proc_serve_drops();
	}
	/* stay responsive until every vCPU is done: others may ask us to drop */
	atomic_fetch_add(&mixed_done, 1);
	while (atomic_load(&mixed_done) < 2)
		proc_serve_drops();
	proc_idle();
}

const struct workload workloads[] = {
	{ "fork-exit", "fork + exit", 1, 200, fork_setup, fork_exit_run, exit_parent, true },
	{ "fork-exit-2", "fork + exit, on 2 vCPUs at once (each its own parent)", WORKERS, 200, fork_pair_setup,
	  fork_pair_run, fork_pair_teardown, true },
	{ "fork-exec-exit", "fork + exec + exit", 1, 200, fork_setup, fork_exec_exit_run, exit_parent, true },
	{ "fault-storm", "demand-zero page fault", 1, 8192, fault_setup, fault_run, exit_parent, false },
	{ "mmap-64m", "mmap + touch + munmap of 64 MiB", 1, 4, plain_setup, mmap_run, exit_parent, false },
	{ "mprotect-64m", "mprotect of 64 MiB", 1, 16, mprotect_setup, mprotect_run, exit_parent, false },
	{ "invlpg", "TLB flush of one page (PV: one hypercall)", 1, 20000, plain_setup, invlpg_run,
	  exit_parent, true },
	{ "ctxsw-2", "switch between 2 spaces", 1, 20000, ctxsw2_setup, ctxsw_run, ctxsw_teardown, true },
	{ "ctxsw-4", "switch between 4 spaces", 1, 20000, ctxsw4_setup, ctxsw_run, ctxsw_teardown, true },
	{ "ctxsw-8", "switch between 8 spaces", 1, 20000, ctxsw8_setup, ctxsw_run, ctxsw_teardown, true },
	{ "ctxsw-16", "switch between 16 spaces", 1, 20000, ctxsw16_setup, ctxsw_run, ctxsw_teardown, true },
	{ "mixed", "turn of a migrating process (touch 16 pages; fork+exit every 4th, exec every 16th)", 2, 2000,
	  mixed_setup, mixed_run, ctxsw_teardown, true },
};
const unsigned nr_workloads = sizeof(workloads) / sizeof(workloads[0]);

void workload_teardown(const struct workload *w)
{
	w->teardown();
	proc_idle();
	mmu_free_held();
}

const struct workload *workload_find(const char *name)
{
	for (unsigned i = 0; i < nr_workloads; i++) {
		const char *a = workloads[i].name, *b = name;
		while (*a && *a == *b)
			a++, b++;
		if (!*a && !*b)
			return &workloads[i];
	}
	return 0;
}

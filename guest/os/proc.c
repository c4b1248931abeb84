/* SPDX-License-Identifier: MIT */
/*
 * Processes: the table, fork (copy-on-write), exec, exit and switching.
 * Each vCPU keeps the space it last loaded (lazily, after its process has
 * left it); a vCPU tearing down a space asks the others holding it to switch
 * to the kernel's own tables (Linux's drop_mm_ref): a request in the
 * target's slot, then a kick (an IPI, hostif.h) that wakes the target if it
 * waits; the target serves it at its next wait or loop point and kicks the
 * asker back, which waits for that, serving requests to itself meanwhile.
 */
#include "kernel.h"

static struct proc procs[MAX_PROCS];
static atomic_flag procs_lock = ATOMIC_FLAG_INIT;
static struct mm *loaded[MAX_GUEST_VCPUS];
/* Per vCPU: the space it is asked to drop, with the asker's number in the
 * low bits (struct mm is 16-byte aligned), or 0. */
static _Atomic uint64_t drop_request[MAX_GUEST_VCPUS];
#define ASKER_MASK 15u
_Static_assert(MAX_GUEST_VCPUS <= ASKER_MASK + 1, "a vCPU's number fits below a request's address");

struct mm *current_mm(void)
{
	struct mm *m = loaded[hostif_vcpu()];
	return m ? m : &kernel_mm;
}

static void load(struct mm *next)
{
	activate_mm(current_mm(), next);
	loaded[hostif_vcpu()] = next;
}

void proc_serve_drops(void)
{
	unsigned me = hostif_vcpu();
	uint64_t req = atomic_load(&drop_request[me]);
	if (!req)
		return;
	struct mm *m = (struct mm *)(uintptr_t)(req & ~(uint64_t)ASKER_MASK);
	if (current_mm() == m)
		load(&kernel_mm);
	atomic_store(&drop_request[me], 0);
	hostif_kick((unsigned)(req & ASKER_MASK));
}

static void ask_drop(unsigned vcpu, struct mm *mm)
{
	uint64_t none = 0, req = (uint64_t)(uintptr_t)mm | hostif_vcpu();
	while (!atomic_compare_exchange_weak(&drop_request[vcpu], &none, req)) {
		none = 0;
		proc_serve_drops();     /* its slot is taken: a moment, serving ours */
	}
	hostif_kick(vcpu);
	while (atomic_load(&mm->active) & (1u << vcpu)) {
		proc_serve_drops();
		hostif_wait_kick();
	}
}

static void procs_take(void)
{
	while (atomic_flag_test_and_set_explicit(&procs_lock, memory_order_acquire))
		;
}

static void procs_give(void)
{
	atomic_flag_clear_explicit(&procs_lock, memory_order_release);
}

struct proc *proc_alloc(void)
{
	struct proc *p = NULL;
	procs_take();
	for (unsigned i = 0; i < MAX_PROCS && !p; i++)
		if (!procs[i].used)
			p = &procs[i];
	if (p) {
		p->used = true;
		p->nvma = 0;
	}
	procs_give();
	if (!p)
		hostif_panic("process table full");
	return p;
}

unsigned proc_count(void)
{
	unsigned n = 0;
	procs_take();
	for (unsigned i = 0; i < MAX_PROCS; i++)
		n += procs[i].used;
	procs_give();
	return n;
}

static void fresh_space(struct proc *p, unsigned text_pages)
{
	vm_create(&p->mm);
	p->nvma = 0;
	if (vm_mmap(p, USER_TEXT, (uint64_t)text_pages * PAGE_SIZE, false, true))
		hostif_panic("no room for the text");
	mmu_pin(&p->mm);
}

struct proc *proc_spawn(unsigned text_pages)
{
	struct proc *p = proc_alloc();
	fresh_space(p, text_pages);
	return p;
}

/* Share one present page of the parent with the child, read-only. */
static void copy_pte(struct mm *parent, uint64_t va, gva_t entry, uint64_t pte, void *arg)
{
	struct proc *child = arg;
	if (pte & PTE_RW) {
		pte &= ~PTE_RW;
		set_pte(parent, entry, pte);
	}
	set_pte(&child->mm, vm_entry(&child->mm, va, true), pte);
	pget(_pfn((pte & PTE_ADDR_MASK) >> PAGE_SHIFT));
}

struct proc *proc_fork(struct proc *parent)
{
	struct proc *child = proc_alloc();
	vm_create(&child->mm);
	child->nvma = parent->nvma;
	for (unsigned i = 0; i < parent->nvma; i++)
		child->vma[i] = parent->vma[i];
	lazy_mmu_enter();
	vm_for_each_pte(&parent->mm, 0, USER_LIMIT, copy_pte, child);
	mmu_ops->flush_all();
	lazy_mmu_leave();
	dup_mmap_pin(&child->mm);
	return child;
}

/* Nobody may have (p)'s space loaded any more; then take it apart. */
static void drop_space(struct proc *p)
{
	if (current_mm() == &p->mm)
		load(&kernel_mm);
	exit_mmap_drop(&p->mm, &kernel_mm, ask_drop);
	vm_destroy(&p->mm);
}

void proc_exec(struct proc *p, unsigned text_pages)
{
	drop_space(p);
	fresh_space(p, text_pages);
}

void proc_exit(struct proc *p)
{
	drop_space(p);
	procs_take();
	p->used = false;
	procs_give();
}

/* A vCPU that lets go of a space on its own may leave an asker waiting for
 * a kick (it saw our bit set before we cleared it): answer after loading. */
void proc_switch(struct proc *p)
{
	load(&p->mm);
	proc_serve_drops();
}

void proc_idle(void)
{
	load(&kernel_mm);
	proc_serve_drops();
}

void proc_init(void)
{
	for (unsigned i = 0; i < MAX_PROCS; i++)
		procs[i].used = false;
	for (unsigned k = 0; k < MAX_GUEST_VCPUS; k++) {
		loaded[k] = &kernel_mm;
		atomic_store(&drop_request[k], 0);
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * A minimal guest kernel on the PV MMU layer: a frame allocator, address
 * spaces with demand-zero and copy-on-write faults, processes with fork,
 * exec and exit, anonymous mmap/munmap/mprotect, context switches, and the
 * workloads that measure them.
 *
 * Invariants: every pagetable frame of a pinned space is read-only in the
 * kernel's direct map; every user page is mapped read-only in every space
 * that shares it (COW) until a write fault gives its writer a copy; a frame
 * goes back to the allocator only when nothing maps it and the TLB flush
 * that removed its last mapping has been issued.
 */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include "../mmu/mmu.h"

#define MAX_PROCS 64
#define MAX_VMAS 8
#define USER_TEXT 0x400000ull
#define USER_MMAP 0x10000000ull
#define USER_FLAGS (PTE_P | PTE_US | PTE_A)

/* --- frames (palloc.c) ---------------------------------------------- */

void palloc_init(const struct start_info *si);
/* A frame with one reference, or panics when memory is exhausted. */
pfn_t palloc(void);
void pget(pfn_t pfn);
void pput(pfn_t pfn);
unsigned pcount(pfn_t pfn);
uint64_t palloc_nr_free(void);

/* --- start of day (boot.c) ------------------------------------------ */

extern struct mm kernel_mm;
/* Take the p2m and the initial tables, map every frame in the direct map,
 * choose the backend.  On vCPU 0, before anything else. */
void kernel_boot(const struct start_info *si, const struct mmu_ops *ops, bool batching);

/* --- address spaces (vm.c) ------------------------------------------ */

struct vma {
	uint64_t start, end;
	bool write;
};

struct proc {
	bool used;
	struct mm mm;
	struct vma vma[MAX_VMAS];
	unsigned nvma;
};

/* A fresh, empty, unpinned space sharing the kernel's mappings. */
void vm_create(struct mm *mm);
/* The kernel address of the L1 entry for (va), building tables on the way
 * if (alloc); 0 if absent. */
gva_t vm_entry(struct mm *mm, uint64_t va, bool alloc);
/* Call (fn) for every present L1 entry mapping [start, end). */
void vm_for_each_pte(struct mm *mm, uint64_t start, uint64_t end,
		     void (*fn)(struct mm *mm, uint64_t va, gva_t entry, uint64_t pte, void *arg),
		     void *arg);
/* Add a region; map it now if (populate).  -1 if no room. */
int vm_mmap(struct proc *p, uint64_t start, uint64_t len, bool write, bool populate);
void vm_munmap(struct proc *p, uint64_t start, uint64_t len);
void vm_mprotect(struct proc *p, uint64_t start, uint64_t len, bool write);
/* Resolve a fault at (va): 0, or -1 if no region allows the access. */
int vm_fault(struct proc *p, uint64_t va, bool write);
/* Write (val) at user address (va) of the current space, faulting pages in. */
int vm_touch(struct proc *p, uint64_t va, uint64_t val, bool write);
/* Tear down every mapping and table of (mm) (no vCPU may have it loaded). */
void vm_destroy(struct mm *mm);

/* --- processes (proc.c) --------------------------------------------- */

struct proc *proc_alloc(void);
/* A process with a text of (text_pages) pages and nothing else. */
struct proc *proc_spawn(unsigned text_pages);
struct proc *proc_fork(struct proc *parent);
void proc_exec(struct proc *p, unsigned text_pages);
void proc_exit(struct proc *p);
/* Make (p) run on this vCPU: load its space. */
void proc_switch(struct proc *p);
/* What this vCPU has loaded now. */
struct mm *current_mm(void);
/* Load the kernel's own tables on this vCPU (before it goes idle). */
void proc_idle(void);
/* Forget every process and every vCPU's loaded space (start of day). */
void proc_init(void);
/* Serve requests from other vCPUs to drop a space (call it from loops that
 * may wait). */
void proc_serve_drops(void);
unsigned proc_count(void);

#endif

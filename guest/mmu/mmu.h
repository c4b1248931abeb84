/* SPDX-License-Identifier: MIT */
/*
 * The PV MMU layer of a guest kernel (what Linux's arch/x86/xen/mmu.c does):
 *
 *  - Every entry the guest builds or reads converts between pseudo-physical
 *    frames (pfn, the guest's own numbering) and machine frames (mfn, what
 *    the hardware walks): the guest keeps the p2m, the hypervisor the
 *    read-only m2p.  Present entries convert; not-present ones pass through.
 *  - Once an address space is pinned, its pagetable frames are read-only in
 *    the kernel's own mapping, and every change goes through the hypervisor:
 *    mmu_update, update_va_mapping, or a store that it emulates.
 *  - In lazy MMU mode, updates queue in a per-vCPU multicall buffer that is
 *    issued when full, on leaving the mode, or when something needs the
 *    result; callbacks queued with it run after it has landed.
 *
 * Two backends implement struct mmu_ops: "pv" (hypercalls) and "native"
 * (direct stores and cr3 loads, the baseline).
 */
#ifndef GUEST_MMU_H
#define GUEST_MMU_H

#include <stdbool.h>
#include <stdatomic.h>
#include "../hostif.h"

/* The guest's kernel layout: the direct map of every pfn, in L4 slot 272. */
#define DIRECT_BASE   0xffff880000000000ull
#define USER_LIMIT    0x0000800000000000ull
#define KERNEL_L4_SLOT 272u

/* Flags the guest uses. */
#define KERNEL_RW (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX)
#define KERNEL_RO (PTE_P | PTE_A | PTE_NX)
#define TABLE_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A)

static inline gva_t pfn_to_virt(pfn_t p) { return _gva(DIRECT_BASE + (pfn_x(p) << PAGE_SHIFT)); }

/* --- p2m / m2p, entries (p2m.c) ------------------------------------- */

void p2m_init(const struct start_info *si);
mfn_t pfn_to_mfn(pfn_t pfn);
/* (pfn) is now machine frame (mfn): the balloon gave the old one back
 * and populated it anew (Linux's __set_phys_to_machine). */
void p2m_set(pfn_t pfn, mfn_t mfn);
/* The m2p, read through its read-only mapping. */
pfn_t mfn_to_pfn(mfn_t mfn);

/* A pfn-based entry (frame bits hold a pfn) to the machine entry, and
 * back; not-present entries pass untouched.  One pair per level, as Linux
 * names them, all the same conversion. */
uint64_t make_pte(uint64_t pfn_entry);
uint64_t pte_val(uint64_t machine_entry);
static inline uint64_t make_pmd(uint64_t e) { return make_pte(e); }
static inline uint64_t pmd_val(uint64_t e) { return pte_val(e); }
static inline uint64_t make_pud(uint64_t e) { return make_pte(e); }
static inline uint64_t pud_val(uint64_t e) { return pte_val(e); }
static inline uint64_t make_pgd(uint64_t e) { return make_pte(e); }
static inline uint64_t pgd_val(uint64_t e) { return pte_val(e); }

/* The machine address behind a mapped kernel virtual address; 0 if it is
 * not mapped. */
maddr_t virt_to_machine(gva_t va);

/* --- statistics ------------------------------------------------------- */

struct mmu_stats {
	_Alignas(64) uint64_t hypercalls; /* hypercalls issued (a cache line per vCPU's
				     * counts: each is written all the time) */
	uint64_t mc_entries;        /* operations issued inside multicalls */
	uint64_t emulated_stores;   /* stores left to the hypervisor to emulate */
	uint64_t faults;            /* page faults the kernel resolved (vm_fault) */
};
extern struct mmu_stats mmu_stats[MAX_GUEST_VCPUS];

/* --- the operations table (pv.c, native.c) ----------------------------- */

struct mm;

struct mmu_ops {
	const char *name;
	bool readonly_tables;       /* a pinned space's tables are read-only in the
				     * kernel's mapping (and stay so when unpinned) */
	/* Write entry (val, machine form) at (entry), in a table of any
	 * level; (pinned) says whether the table is live in the hypervisor. */
	void (*set_entry)(gva_t entry, uint64_t val, bool pinned);
	/* The same for the L1 entry mapping (va) in the current space. */
	void (*set_pte_current)(uint64_t va, gva_t entry, uint64_t val);
	/* The same for an L1 entry of a pinned space that is not current: a
	 * plain store, which the hypervisor emulates. */
	void (*set_pte_other)(gva_t entry, uint64_t val);
	void (*load_root)(pfn_t pgd);
	void (*flush_all)(void);
	void (*flush_one)(uint64_t va);
	/* Pin (mm): its tables made read-only (if readonly_tables), then the
	 * root pinned (the tables may move: mm->pgd and mm->tables change);
	 * unpin is the unpin alone. */
	void (*pin)(struct mm *mm);
	void (*unpin)(struct mm *mm);
	void (*protect_kernel_page)(pfn_t pfn, bool readonly);
};

extern const struct mmu_ops pv_mmu_ops, native_mmu_ops;
extern const struct mmu_ops *mmu_ops;

/* Choose the backend and whether lazy mode batches (before first use). */
void mmu_init(const struct mmu_ops *ops, bool batching);
void lazy_set_batching(bool on);

/* --- entry updates (mmu.c) --------------------------------------------- */

/* The address space as the MMU layer sees it.  Its tables below the root
 * are listed as they are made (mm_add_table), so pinning, unpinning and
 * teardown visit them without walking 512 entries per table. */
#define MM_MAX_TABLES 4096
struct mm {
	_Alignas(16) pfn_t pgd;     /* aligned: a drop request packs a vCPU below its address */
	bool pinned;
	bool readonly;              /* its tables are read-only in the kernel's mapping */
	_Atomic uint32_t active;    /* vCPUs that have it loaded (bit per vCPU) */
	unsigned nr_tables;
	uint32_t tables[MM_MAX_TABLES];
	uint32_t hooks[MM_MAX_TABLES]; /* where each is linked: its parent's pfn << 9 | slot */
};

/* (mm)'s pagetable frames, the root first: mm_frames of them, frame i
 * mm_frame(mm, i). */
static inline unsigned mm_frames(const struct mm *mm) { return mm->nr_tables + 1; }
static inline pfn_t mm_frame(const struct mm *mm, unsigned i)
{
	return i ? _pfn(mm->tables[i - 1]) : mm->pgd;
}

/* (mm) has a new table (pfn) below its root, linked at kernel address
 * (hook), an entry of its parent; panics past MM_MAX_TABLES. */
void mm_add_table(struct mm *mm, pfn_t pfn, gva_t hook);

/* Write an entry of a table of (mm) at kernel address (entry); pfn-based
 * value, converted here.  set_pte_at is for an L1 entry that maps (va) of
 * (mm): update_va_mapping when (mm) is current, a store else. */
void set_pte(struct mm *mm, gva_t entry, uint64_t pfn_entry);
void set_pmd(struct mm *mm, gva_t entry, uint64_t pfn_entry);
void set_pud(struct mm *mm, gva_t entry, uint64_t pfn_entry);
void set_pgd(struct mm *mm, gva_t entry, uint64_t pfn_entry);
void pte_clear(struct mm *mm, gva_t entry);
void set_pte_at(struct mm *mm, uint64_t va, gva_t entry, uint64_t pfn_entry);

/* Read an entry, converted to pfn form. */
uint64_t read_entry(gva_t entry);

/* --- lazy mode (lazy.c) ----------------------------------------------- */

void lazy_mmu_enter(void);
void lazy_mmu_leave(void);
/* Issue whatever is queued now (something needs the result). */
void lazy_mmu_flush(void);
/* Run (fn)(arg) once everything queued so far has been issued. */
void lazy_mmu_callback(void (*fn)(void *), void *arg);

/* Queue (or issue at once) one operation, described by (what) for error
 * reports. */
void mc_mmu_update(uint64_t ptr, uint64_t val, const char *what);
void mc_mmuext(unsigned cmd, uint64_t arg1, uint64_t arg2, const char *what);
void mc_update_va(uint64_t va, uint64_t val, uint64_t flags, const char *what);

/* A failed operation: what it was, its arguments, the error.  The default
 * handler panics; tests install their own. */
struct mmu_failure {
	const char *what;
	uint64_t a0, a1;
	long rc;
};
void mmu_on_failure(void (*fn)(const struct mmu_failure *f));
/* Report a failure found outside a batch. */
void mmu_report_failure(const struct mmu_failure *f);

/* --- pinning (pin.c) --------------------------------------------------- */

/* Call (fn) on every frame of (mm)'s pagetable: the root, then the tables
 * below it. */
void mm_for_each_table(struct mm *mm, void (*fn)(pfn_t pfn));

/* Make (pfn)'s kernel mapping read-only / writable. */
void make_page_readonly(pfn_t pfn);
void make_page_readwrite(pfn_t pfn);

/* Pin (mm): its tables read-only (or moved into held frames, pv.c), then
 * the root pinned, in one batch.  Unpin: the root unpinned; the tables stay
 * read-only until mmu_free_tables takes them. */
void mmu_pin(struct mm *mm);
void mmu_unpin(struct mm *mm);

/* --- tables between two lives (held.c) ---------------------------------- */

/* (mm), unpinned, is done with: (put) gets each of its table frames, at
 * once if they are writable; read-only ones wait on this vCPU's list for a
 * new space's tables (mmu_take_held), or until the list fills and all of
 * it is made writable and given to (put). */
void mmu_free_tables(struct mm *mm, void (*put)(pfn_t pfn));
/* (n) held frames for a new space's tables, the longest held first, and the
 * (put) for the frames they replace; false, taking none, unless enough
 * others stay held behind them (held.c says why). */
bool mmu_take_held(unsigned n, pfn_t out[], void (**put)(pfn_t pfn));
/* Every vCPU's list made writable and given back (every vCPU quiescent). */
void mmu_free_held(void);

/* Load (next) on this vCPU (the previous space stays loaded on no vCPU). */
void activate_mm(struct mm *prev, struct mm *next);

/* Pin a new child's tables (they were built unpinned). */
void dup_mmap_pin(struct mm *child);

/* Before (mm) is torn down: make sure no vCPU still has it loaded: this one
 * (current, lazily, or in an unissued batch) switches to (kernel); others
 * are asked to, through (ask), which returns once they have. */
void exit_mmap_drop(struct mm *mm, struct mm *kernel, void (*ask)(unsigned vcpu, struct mm *mm));

#endif

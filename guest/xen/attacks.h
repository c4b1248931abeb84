/* SPDX-License-Identifier: MIT */
/*
 * Hostile modes (attack=NAME): what a malicious PV kernel tries against the
 * hypervisor, each attempt with the answer Xen gives.  attacks.c holds the
 * registry and the pagetable rules; ring0.c what reaches hv's ring-0 entry
 * and exit paths.  One line per attempt, then
 * "pvmmu-attacks passed=N failed=N"; the hypervisor must still be running
 * to power us off and audit.
 */
#ifndef GUEST_XEN_ATTACKS_H
#define GUEST_XEN_ATTACKS_H

#include "../os/kernel.h"
#include "xen.h"

#define HV_TEXT  0xffff82d080000000ull
#define HV_DMAP  0xffff830000000000ull
#define PT_RW    (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX)
#define TOP_PAGE 0x00007ffffffff000ull      /* the last user page, below the hole */

struct attack_mode {
	const char *name;
	void (*fn)(void);
};
extern const struct attack_mode attack_modes_mmu[], attack_modes_ring0[], abi_modes[];
extern const unsigned nr_attack_modes_mmu, nr_attack_modes_ring0, nr_abi_modes;

/* Count one attempt: (got) must equal (want). */
void expect(const char *what, long got, long want);
/* As expect, where Xen answers its dom0 otherwise, for the reason (why)
 * (I/O privilege, or Xen under QEMU's TCG): as dom0 (xen_dom0), (got) may
 * be (want_dom0) as well, and the line says so. */
void expect_dom0(const char *what, long got, long want, long want_dom0, const char *why);
/* The same, for a skip: the attempt could not be made here, and why. */
void expect_skip(const char *what, const char *why);
/* The physical CPUs the machine has ("cpus=N" on the command line, which
 * the pvmmu tool passes; default 1). */
extern unsigned attack_cpus;
/* The domain's vCPUs (start_info): the first number it lacks. */
extern unsigned attack_vcpus;
/* Can this run see its vCPUs take turns on one CPU (one physical CPU)?
 * If not, (what) is reported skipped, and false. */
bool turns_seen(const char *what);

/* A page-aligned page of our own for mappings and stores. */
extern uint8_t victim[PAGE_SIZE];

uint64_t mfn_of(pfn_t pfn);
long update_va(uint64_t va, uint64_t val);
long mmu_update(uint64_t ptr, uint64_t val);
long mmuext(unsigned cmd, uint64_t mfn);
long vcpu_op(unsigned cmd, uint64_t id, const void *arg);
/* The L1 entry that maps (va) in the kernel's tables: its kernel address. */
gva_t l1_entry_of(uint64_t va);
/* Map a fresh frame of ours at (va), zeroed, writable and executable;
 * unmap it. */
pfn_t map_page_at(uint64_t va);
void unmap_page_at(uint64_t va, pfn_t f);

/* Hostile modes xstate (xstate.c), evtchn, timers and runstate (events.c). */
void xstate(void);
void evtchn_mode(void);
void timers_mode(void);
void runstate_mode(void);
/* vcpu-churn (churn.c). */
void vcpu_churn(void);
/* The memory_op rules (abi_memory.c), the physdev_op rules (abi_physdev.c). */
void abi_memory(void);
void abi_physdev(void);

/* vCPU 1's loop: run the jobs vCPU 0 posts, one at a time (on vCPUs a
 * stress run started, its workload instead: stress.c). */
void attack_secondary_main(void);
/* Run (fn) on vCPU 1.  Attack runs have vcpus=6 (8 in a stress run), and
 * every mode runs in one boot with --attack all: vCPU 1 takes jobs, 2 to 5
 * stay down for the modes that initialise one (2 vcpu-op, 3 long-work, 4
 * and 5 xstate), 6 and 7 run a stress run's workload. */
void attack_on_secondary(void (*fn)(void));
void attack_wait_secondary(void);

/* This vCPU's recovery slot (xen.h). */
static inline struct xen_recover *recovery(void)
{
	return &xen_recover[hostif_vcpu()];
}

/* asm: arm the slot in operand [slot] so that any trap in what follows
 * resumes at the label "1:" that RECOVER_END places; r11 is clobbered. */
#define RECOVER_ARM "lea 1f(%%rip), %%r11\n\tmov %%r11, (%[slot])\n\t"
#define RECOVER_END "\n1:\n\tmovq $0, (%[slot])"

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The user-space machine: machine memory in one mapping, the hypervisor's
 * own tables, domains with shuffled frames, a software x86-64 MMU with a
 * per-vCPU TLB, and vCPUs as threads.  core/ runs on it unchanged.
 *
 * One sim exists per process at a time (env_frame needs no argument).
 * Guest buffers are host memory: a hypercall pointer is valid only inside a
 * region registered with sim_guest_region, so a bad pointer from a guest
 * gets -EFAULT instead of crashing the host.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "../core/machine.h"

#define SIM_TLB_SIZE 64

struct tlb_entry {
	uint64_t vpn;
	mfn_t mfn;
	bool valid, rw, nx, dirty;
};

struct sim_vcpu {
	struct vcpu *v;
	pthread_mutex_t lock;          /* guards tlb */
	struct tlb_entry tlb[SIM_TLB_SIZE];
	pthread_t thread;
	bool native;                   /* a native guest: ring 0, its own cr3 */
	mfn_t native_root;
};

struct sim_domain {
	struct domain *d;
	uint64_t nr_frames;
	mfn_t *p2m;                    /* the guest's pfn -> mfn table */
	struct sim_vcpu vcpus[MAX_VCPUS];
};

struct sim {
	struct machine *m;
	uint8_t *mem;
	uint64_t nr_hv;                /* frames [0, nr_hv) are the hypervisor's */
	uint64_t seed;                 /* frame shuffle */
	bool contiguous;
	struct sim_domain doms[MAX_DOMAINS];
	void *audit_scratch;
};

struct sim_options {
	uint64_t frames;               /* machine memory in 4 KiB frames */
	uint64_t seed;
	bool l1tf;                     /* crash domains that write L1TF-unsafe entries */
	bool contiguous;               /* hand out frames in machine order, not shuffled */
	bool prefault;                 /* touch all memory up front (fair timings) */
};

/* Build a machine.  Returns NULL with a message on stderr if (frames) is
 * too small or too large or memory cannot be had. */
struct sim *sim_create(const struct sim_options *o);
void sim_destroy(struct sim *s);

/* Create a domain of (frames) frames and (vcpus) vCPUs, frames drawn from
 * the free ones in seeded-shuffle order (or in machine order for a
 * contiguous sim).  NULL if it does not fit. */
struct sim_domain *sim_domain_create(struct sim *s, uint64_t frames, unsigned vcpus);
void sim_domain_destroy(struct sim *s, struct sim_domain *sd);

/* The Nth free frame, or INVALID_MFN. */
mfn_t sim_free_frame(struct sim *s, uint64_t n);

/* Issue a hypercall for (v) and its continuations until it is done: the
 * sim's scheduler is the host's, so there is nothing else to run between
 * slices on this thread. */
long sim_hypercall(struct vcpu *v, uint64_t nr, const uint64_t a[6]);

/* ptwr_write_frame, again until it is done. */
long sim_write_frame(struct vcpu *v, mfn_t mfn, unsigned slot, uint64_t value);

/* Run the audit; false with a message in (msg) on a violation. */
bool sim_audit(struct sim *s, char *msg, size_t len);

/* Let hypercalls read and write host memory [p, p+len) as guest memory. */
void sim_guest_region(const void *p, size_t len);

/* The software MMU: a ring-3 (PV guest kernel) access at (va): a read, a
 * write, or an instruction fetch (which NX forbids). */
enum sim_access { SIM_READ, SIM_WRITE, SIM_FETCH };
enum sim_fault { SIM_OK = 0, SIM_FAULT_NP, SIM_FAULT_PROT, SIM_FAULT_RO };
enum sim_fault sim_translate(struct sim_vcpu *sv, uint64_t va, enum sim_access acc, mfn_t *mfn);
enum sim_fault sim_load(struct sim *s, struct sim_vcpu *sv, uint64_t va, uint64_t *val);
/* A store; one through a read-only mapping of a live pagetable is emulated
 * by core (ptwr) and faults only if the update is refused. */
enum sim_fault sim_store(struct sim *s, struct sim_vcpu *sv, uint64_t va, uint64_t val);

/* Run (fn)(arg) on a thread of its own for vCPU (sv); sim_vcpu_join waits. */
void sim_vcpu_start(struct sim_vcpu *sv, void *(*fn)(void *), void *arg);
void sim_vcpu_join(struct sim_vcpu *sv);

#endif

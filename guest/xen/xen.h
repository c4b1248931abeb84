/* SPDX-License-Identifier: MIT */
/*
 * The guest kernel on a Xen-style hypervisor (hv/): hypercalls by syscall,
 * exceptions delivered by the hypervisor to xen_trap, guest memory as on
 * any x86 machine (../x86/).
 */
#ifndef GUEST_XEN_H
#define GUEST_XEN_H

#include "../x86/x86.h"

/* Issue hypercall (nr); Xen's registers, the continuation's too. */
long xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

/* Power off (SHUTDOWN_poweroff) or crash (SHUTDOWN_crash). */
_Noreturn void xen_shutdown(unsigned reason);

/* Install the trap table; map the shared info page. */
void xen_traps_init(uint64_t shared_info_maddr);
/* The shared_info page, where xen_traps_init mapped it. */
volatile struct shared_info *xen_shared_info(void);

/* Where the last page fault was (vcpu_info.arch.cr2). */
uint64_t xen_last_cr2(void);

/* Recovery from a trap the guest provokes on purpose, per vCPU: while (rip)
 * is set, any exception resumes there (on (rsp) if that is set too, in
 * 64-bit code), and is recorded.  Hostile modes arm it around an attempt
 * (attacks.h, RECOVER). */
struct xen_recover {
	uint64_t rip, rsp;          /* +0, +8: armed */
	uint64_t traps;             /* taken through it so far */
	uint64_t vector, error;     /* the last one taken */
	uint64_t frame[5];          /* its frame: rip, cs, rflags, rsp, ss */
};
extern struct xen_recover xen_recover[MAX_GUEST_VCPUS];

/* The failsafe callback (entry.S): taken as a trap of vector 255, the
 * selectors it was given (ds, es, fs, gs) in xen_failsafe_segs. */
void xen_failsafe(void);
extern uint64_t xen_failsafe_segs[4];

/* The event callback (entry.S), taken as a trap of vector XEN_UPCALL, where
 * xen_upcall_taken counts the upcall in xen_upcalls[vCPU] and clears the
 * vCPU's evtchn_upcall_pending, its pending_sel and its kick port's pending
 * bit (hostif.c); the kick's waiter looks at what it waited for itself. */
#define XEN_UPCALL 254u
void xen_upcall(void);
void xen_upcall_taken(void);
extern uint64_t xen_upcalls[MAX_GUEST_VCPUS];

/* Our trap handlers (entry.S), ended by a zero address: what
 * set_trap_table got at start of day. */
extern struct trap_info xen_trap_table[];
/* We are Xen's dom0 (start_info's SIF_INITDOMAIN): on the xen host.  hv
 * builds an ordinary domain. */
extern bool xen_dom0;
/* start_info's console ring frame (a domU's; a dom0 has none). */
extern uint64_t xen_console_mfn;

/* Run the hostile mode (name), or with (abi) the ABI group (name) (abi.c),
 * or all of them ("all"), on a machine of (cpus) physical CPUs, with
 * workload (beside) running on other vCPUs if it is not NULL (stress.c):
 * 0, with a line per attempt and a summary (then, with (beside), the domain
 * crashes), or -1 if a name is unknown or the domain has too few vCPUs. */
int xen_attacks(const char *name, const struct start_info *si, bool abi, unsigned cpus, const char *beside);

/* event_channel_op(cmd, arg): its result. */
long xen_evtchn_op(unsigned cmd, void *arg);
/* Register (fn) as callback (type) (CALLBACKTYPE_*) of this vCPU: the
 * callback_op's result. */
long xen_register_callback(unsigned type, void (*fn)(void));

/* Start vCPU (k) in x86_secondary on a stack of its own, on root (root). */
void xen_start_vcpu(unsigned k, mfn_t root);

/* Stress (stress.c): set workload (name) up and start it on vCPUs 6 and
 * up: 0, or -1 if there is no such workload, it is not steady
 * (workloads.h), or the domain has too few vCPUs for it. */
int xen_stress_start(const char *name, const struct start_info *si);
/* On a vCPU the stress started: run the workload (never returns); on any
 * other, or with no stress, false. */
bool xen_stress_vcpu(void);
/* Report what the workload did while the modes ran, wait until it is seen
 * running again, and crash the domain under it. */
_Noreturn void xen_stress_crash(void);

/* Run the scenario program the tool wrote into our image (scenario.c): 0,
 * or -1 if there is none or it needs more vCPUs than we have. */
int xen_scenario(const struct start_info *si);

/* Fuzz the hypervisor as "fuzz=SEED ops=N" on (cmdline) asks (fuzz.c):
 * 0 once both fuzzing vCPUs are done, -1 without vcpus=4. */
int xen_fuzz(const char *cmdline, const struct start_info *si);

#endif

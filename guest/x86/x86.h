/* SPDX-License-Identifier: MIT */
/*
 * The guest kernel on a real x86 machine, as a PV guest of hv (guest/xen/)
 * or alone in ring 0 (guest/native/): what both images share.
 *
 *   access.c  hostif's memory accesses as plain loads and stores, each with
 *             an exception-table entry; the image's page-fault handler sends
 *             a faulting one to its fixup (x86_fixup), which reports the
 *             fault to the caller as the sim's software MMU would
 *   run.c     the command line, and one workload run and measured, on as
 *             many vCPUs as it asks for
 *
 * Which vCPU we are: rdtscp's TSC_AUX, which the hypervisor (or the native
 * image's own switch) keeps at the running vCPU's id; 0 until a second vCPU
 * starts.
 */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdbool.h>
#include "../hostif.h"

/* --- what each image provides ------------------------------------------ */

/* Write (s) to the console. */
void x86_puts(const char *s);
/* The hypervisor's counts summed over vCPUs 0 .. (n)-1: validated, pins,
 * unpins, flushes, emulated stores, flushes sent to other physical CPUs.
 * False, and zeros, where there are none to read: no hypervisor, or one
 * without pvmmu's pvmmu_stats (Xen). */
bool x86_hv_counts(uint64_t v[6], unsigned n);
/* Start vCPUs 1 .. (n)-1 in x86_secondary, each on a stack of its own, on
 * the root (root). */
void x86_start_vcpus(unsigned n, mfn_t root);
/* Set kicks up (hostif.h) for vCPUs 0 .. (n)-1, before they start (the
 * native kernel has none: a no-op). */
void x86_kicks_start(unsigned n);
/* Take this vCPU (not the first) off the CPU for good. */
_Noreturn void x86_vcpu_down(void);

/* --- run.c: where vCPUs 1 and up begin ---------------------------------- */

_Noreturn void x86_secondary(void);
/* What x86_secondary runs instead of the workload, if set before vCPUs
 * start; the vCPU goes down if it returns. */
extern void (*x86_secondary_main)(void);

/* --- access.c ---------------------------------------------------------- */

/* Faults absorbed by the exception table so far, and by a recovery slot
 * (xen.h), per vCPU: another vCPU's faults never count in a vCPU's. */
extern uint64_t x86_fixups[MAX_GUEST_VCPUS];
/* Set once a second vCPU runs: hostif_vcpu() asks rdtscp from then on. */
extern bool x86_smp;
/* If (*rip) is an access that may fault, move it to its fixup, count the
 * fault and return true; else false (the fault is a bug). */
bool x86_fixup(uint64_t *rip);

/* --- run.c ------------------------------------------------------------- */

/* "key=value " for a number, and a number alone. */
void x86_put_kv(const char *key, uint64_t n);
void x86_put_u64(uint64_t n);
/* The value of "key" (say "workload=") on (cmdline), or NULL. */
const char *x86_arg(const char *cmdline, const char *key);
/* The number after "key" (say "ops=") on (cmdline), or (dflt). */
uint64_t x86_arg_number(const char *cmdline, const char *key, uint64_t dflt);
/* "vcpus=N" on (cmdline): 1 .. MAX_GUEST_VCPUS, default 1; 0 if it is
 * out of that range. */
unsigned x86_vcpus(const char *cmdline);
/* The workload the command-line word at (name) names, or NULL (none, or
 * (name) is NULL). */
struct workload;
const struct workload *x86_workload(const char *name);
/* Does the command-line word at (p) (ended by a space or the end) equal (w)? */
static inline bool x86_word_is(const char *p, const char *w)
{
	while (*w && *p == *w)
		p++, w++;
	return !*w && (*p == ' ' || !*p);
}
/* Boot the kernel on (si) and run the workload (cmdline) names, with
 * "mode=" pv or nobatch (a PV image) or native (native), "ops=N"; print
 *   pvmmu-result workload=... mode=... ops=N cycles=N hypercalls=N ...
 * with the counts of the measured loop only, as the sim host counts them,
 * or "pvmmu-result workload=... skipped: why".  Panics on any failure. */
void x86_run_workload(const struct start_info *si, const char *cmdline, bool native);

#endif

/* SPDX-License-Identifier: MIT */
/* The qemu host: hv.elf and the guest image booted by QEMU (qemu.c). */
#ifndef TOOLS_QEMU_H
#define TOOLS_QEMU_H

#include <stdbool.h>
#include <stdio.h>
#include "../sim/guest_host.h"

/* The physical CPUs a machine may have: hv's SMP_MAX_CPUS. */
#define QEMU_MAX_CPUS 8u

struct qemu_opts {
	bool xen;                   /* Xen 4.17 with the guest as dom0, not hv (xen.c) */
	const char *accel;          /* "tcg" or "kvm" */
	unsigned cpus;              /* physical CPUs, -smp (0: 1, at most QEMU_MAX_CPUS);
				     * TCG runs them in threads */
	unsigned timeout;           /* seconds */
	FILE *console;              /* where the serial console is streamed (NULL: nowhere) */
	const char *guest;          /* the guest image (NULL: the build's guest.elf) */
	bool interactive;           /* QEMU reads our stdin, its output is passed on raw */
	const char *kernel, *initrd;  /* a Linux kernel and initrd instead of our images: booted
				       * by QEMU itself (native), or as Xen's dom0 (xen) */
};

/* The path of image (name) of the build (build/hv/, or $PVMMU_IMAGES). */
void qemu_image_path(char *buf, size_t len, const char *name);

/* The path of (rel) in the build's directory (build/), beside the pvmmu
 * binary's own: "linux/vmlinuz", "report". */
void build_path(char *buf, size_t len, const char *rel);

/* Boot hv with the guest image, or (native) the native image alone, with
 * (cmdline) appended and memory for (pages) guest pages; give each console
 * line to (fn) (with (arg)) as it arrives.  QEMU's exit status, -1 if QEMU
 * could not be run, -2 if the run passed its time limit (QEMU is killed),
 * -3 if QEMU aborted on an assertion of its own (QEMU 7.2's TCG has one
 * that fires now and then: "tcg_handle_interrupt: assertion failed"). */
typedef void (*qemu_line_fn)(void *arg, const char *line);
int qemu_boot(const struct qemu_opts *o, bool native, const char *cmdline, uint64_t pages,
	      qemu_line_fn fn, void *arg);

/* Is qemu-system-x86_64 on PATH? */
bool qemu_installed(void);

/* The host for a command's --host value (host) (NULL: qemu if installed,
 * else sim, and say which on stderr): 0 and (*qemu) (under QEMU: the qemu
 * and xen hosts) and (*xen) (Xen, not hv), or 2 with a message if QEMU was
 * asked for and is not installed. */
int qemu_choose_host(const char *host, bool *qemu, bool *xen);

/* Boot hv with the guest image, or (native) the native image alone, with
 * (cmdline) appended; stream the console; fill (r) from the guest's result
 * line (counts, leak check) and hv's audit lines.  Returns 0 if the run
 * finished cleanly, 1 if it finished with a failure (the message in
 * r->audit_msg), 2 if the workload was skipped (why in r->audit_msg), -1
 * if QEMU could not be run. */
int qemu_run(const struct qemu_opts *o, bool native, const char *cmdline, uint64_t pages,
	     struct guest_result *r);

/* qemu_run for workload (w) in mode (m) (native boots native.elf), as
 * guest_run does on the sim host: (ops) 0 means the workload's own. */
int qemu_run_workload(const struct qemu_opts *o, const struct workload *w, enum guest_mode m,
		      uint64_t pages, unsigned ops, struct guest_result *r);

/* The attempts of a hostile run: refused as Xen refuses them, not, not
 * made here (the console says why), and of the refused, those answered as
 * Xen answers its dom0 (the xen host; the console says why each differs). */
struct attack_counts {
	unsigned passed, failed, skipped, as_dom0;
	uint64_t beside_hypercalls;  /* stress: what the workload beside made meanwhile */
	uint64_t audits;             /* stress: hv's audits while the domain ran */
};

/* Boot the guest in hostile mode (name) (guest/xen/attacks.h, or "all"),
 * or with (abi) run the ABI group (name) (guest/xen/abi.c): 0 if every
 * attempt got Xen's answer and the hypervisor finished (hv: with a clean
 * audit), 1 if not, -1 if QEMU could not be run; (c) counts the attempts.
 * With (beside) (hv only), workload (beside) runs on vCPUs 6 and up
 * meanwhile (guest/xen/stress.c) and hv audits periodically; at the end
 * the guest crashes the domain with the workload running, and the run
 * passes only if hv crashed it, audited clean throughout, and the workload
 * ran beside the modes. */
int qemu_attacks(const struct qemu_opts *o, bool abi, const char *name, const char *beside,
		 struct attack_counts *c);

/* Run scenario (sc) through real hypercalls by one guest, on hv or on Xen
 * as (o) says (sprog.c), and print how many of its statements ran, how
 * many came out as it expects, which did not and why the rest were
 * skipped: 0 if every statement that ran came out as expected, 1 if not,
 * -1 if QEMU could not be run. */
struct scenario;
int sprog_replay(const struct qemu_opts *o, const struct scenario *sc, unsigned *ran, unsigned *agreed);

/* --- xen.c: the xen host's parts --------------------------------------- */

/* The path of Xen's image (build/xen/xen, or $PVMMU_XEN/xen), fetched from
 * Debian on first use: 0, or -1 with a message if it cannot be had. */
int xen_image(char *path, size_t len);

/* Xen's command line (xen_args) for a dom0 of (pages) pages with the vCPUs
 * (cmdline)'s "vcpus=" asks for, and the module string (module) that gives
 * the guest image at (guest) the command line (cmdline). */
void xen_command_lines(const char *guest, const char *cmdline, uint64_t pages, char *xen_args, size_t xlen,
		       char *module, size_t mlen);

/* Read one console line of Xen's for the run's end: 0 if it goes on, else
 * the exit status hv would have given (1 dom0 powered off, 3 dom0 crashed
 * or was refused, 5 Xen panicked).  (panicking) and (dom0_refused) carry
 * state from line to line, false at the start. */
int xen_verdict(bool *panicking, bool *dom0_refused, const char *line);

#endif

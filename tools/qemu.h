/* SPDX-License-Identifier: MIT */
/* The qemu host: hv.elf and the guest image booted by QEMU (qemu.c). */
#ifndef TOOLS_QEMU_H
#define TOOLS_QEMU_H

#include <stdbool.h>
#include <stdio.h>
#include "../sim/guest_host.h"

struct qemu_opts {
	const char *accel;          /* "tcg" or "kvm" */
	unsigned timeout;           /* seconds */
	FILE *console;              /* where the serial console is streamed (NULL: nowhere) */
};

/* Boot hv with the guest image, or (native) the native image alone, with
 * (cmdline) appended and memory for (pages) guest pages; give each console
 * line to (fn) (with (arg)) as it arrives.  QEMU's exit status, -1 if QEMU
 * could not be run, -2 if the run passed its time limit (QEMU is killed). */
typedef void (*qemu_line_fn)(void *arg, const char *line);
int qemu_boot(const struct qemu_opts *o, bool native, const char *cmdline, uint64_t pages,
	      qemu_line_fn fn, void *arg);

/* Is qemu-system-x86_64 on PATH? */
bool qemu_installed(void);

/* The host for a command's --host value (host) (NULL: qemu if installed,
 * else sim, and say which on stderr): 0 and (*qemu), or 2 with a message if
 * qemu was asked for and is not installed. */
int qemu_choose_host(const char *host, bool *qemu);

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

/* Boot the guest in hostile mode (name) (guest/xen/attacks.h, or "all"):
 * 0 if every attempt was refused as Xen refuses it and hv finished with a
 * clean audit, 1 if not, -1 if QEMU could not be run.  (passed, failed,
 * skipped) count the attempts; a skipped one could not be made on this CPU
 * (the console says why). */
int qemu_attacks(const struct qemu_opts *o, const char *name, unsigned *passed, unsigned *failed,
		 unsigned *skipped);

#endif

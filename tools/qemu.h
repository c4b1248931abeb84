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
	FILE *console;              /* where the serial console is streamed */
};

/* Is qemu-system-x86_64 on PATH? */
bool qemu_installed(void);

/* Boot hv with the guest image and (cmdline) appended; stream the console;
 * fill (r) from the guest's result line (counts, leak check) and hv's
 * audit lines.  Returns 0 if the run finished cleanly, 1 if it finished
 * with a failure (the message in r->audit_msg), 2 if the workload was
 * skipped (why in r->audit_msg), -1 if QEMU could not be run. */
int qemu_run(const struct qemu_opts *o, const char *cmdline, uint64_t pages, struct guest_result *r);

/* Boot the guest in hostile mode (name) (guest/xen/attacks.c, or "all"):
 * 0 if every attempt was refused as Xen refuses it and hv finished with a
 * clean audit, 1 if not, -1 if QEMU could not be run.  (passed, failed)
 * count the attempts. */
int qemu_attacks(const struct qemu_opts *o, const char *name, unsigned *passed, unsigned *failed);

#endif

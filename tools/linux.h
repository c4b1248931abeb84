/* SPDX-License-Identifier: MIT */
/* pvmmu run --kernel: a kernel of anyone's as a PV guest of hv (linux.c). */
#ifndef TOOLS_LINUX_H
#define TOOLS_LINUX_H

#include <stdint.h>
#include "qemu.h"

struct linux_opts {
	char *kernel, *initrd, *append;     /* malloc'd */
	uint64_t memory_mib, vcpus;
};

/* Read the xl-style config file (path) into (o) (kernel, ramdisk, extra,
 * memory, vcpus; other keys are ignored): 0, or 2 with a message naming
 * the line. */
int linux_config(const char *path, struct linux_opts *o);

/* Boot (o) on hv under QEMU as (q) says, each console line to (fn): as
 * qemu_boot returns, or -4 if the kernel or initrd could not be read or the
 * boot module written (said on stderr). */
int linux_boot(const struct linux_opts *o, const struct qemu_opts *q, qemu_line_fn fn, void *arg);

/* Boot (o) on hv under QEMU as (q) says, the console streamed: the exit
 * status pvmmu run gives (linux.c says which). */
int linux_run(const struct linux_opts *o, const struct qemu_opts *q);

/* What pvmmu run --kernel takes, to (f). */
void linux_help(FILE *f);

#endif

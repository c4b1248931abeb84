/* SPDX-License-Identifier: MIT */
/*
 * An initramfs as Linux unpacks it: a "newc" cpio archive (070701 headers
 * of 13 eight-digit hex fields, names and data padded to 4 bytes, ending
 * with "TRAILER!!!").  Written here so that building one needs no cpio
 * tool; entries are added in order, parents before children.
 */
#ifndef TOOLS_CPIO_H
#define TOOLS_CPIO_H

#include <stdint.h>
#include <stdio.h>

struct cpio {
	FILE *f;
	uint32_t ino;
	int err;            /* 0, or the first errno of a failed write */
};

/* Start an archive on (f). */
void cpio_start(struct cpio *c, FILE *f);
/* A directory (mode like 0755), a symlink to (target), a character device
 * (major, minor), a regular file with (len) bytes of (data). */
void cpio_dir(struct cpio *c, const char *name, unsigned mode);
void cpio_symlink(struct cpio *c, const char *name, const char *target);
void cpio_chardev(struct cpio *c, const char *name, unsigned mode, unsigned major, unsigned minor);
void cpio_file(struct cpio *c, const char *name, unsigned mode, const void *data, size_t len);
/* The trailer: 0, or the errno of the first failed write. */
int cpio_finish(struct cpio *c);

#endif

/* SPDX-License-Identifier: MIT */
/* The newc cpio writer (cpio.h). */
#include <errno.h>
#include <string.h>
#include "cpio.h"

#define S_DIR 0040000u
#define S_REG 0100000u
#define S_LNK 0120000u
#define S_CHR 0020000u

void cpio_start(struct cpio *c, FILE *f)
{
	*c = (struct cpio){ .f = f, .ino = 1 };
}

static void put(struct cpio *c, const void *p, size_t n)
{
	if (!c->err && fwrite(p, 1, n, c->f) != n)
		c->err = errno ? errno : EIO;
}

static void pad(struct cpio *c)
{
	static const char zero[4];
	long at = ftell(c->f);
	if (at >= 0 && at % 4)
		put(c, zero, 4 - (size_t)(at % 4));
}

static void entry(struct cpio *c, const char *name, unsigned mode, unsigned nlink, unsigned rdev_major,
		  unsigned rdev_minor, const void *data, size_t len)
{
	char head[160];
	size_t namesize = strlen(name) + 1;
	snprintf(head, sizeof(head), "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
		 c->ino++, mode, 0u, 0u, nlink, 0u, len, 0u, 0u, rdev_major, rdev_minor, namesize, 0u);
	put(c, head, 110);
	put(c, name, namesize);
	pad(c);
	if (len)
		put(c, data, len);
	pad(c);
}

void cpio_dir(struct cpio *c, const char *name, unsigned mode)
{
	entry(c, name, S_DIR | mode, 2, 0, 0, NULL, 0);
}

void cpio_symlink(struct cpio *c, const char *name, const char *target)
{
	entry(c, name, S_LNK | 0777, 1, 0, 0, target, strlen(target));
}

void cpio_chardev(struct cpio *c, const char *name, unsigned mode, unsigned major, unsigned minor)
{
	entry(c, name, S_CHR | mode, 1, major, minor, NULL, 0);
}

void cpio_file(struct cpio *c, const char *name, unsigned mode, const void *data, size_t len)
{
	entry(c, name, S_REG | mode, 1, 0, 0, data, len);
}

int cpio_finish(struct cpio *c)
{
	c->ino = 0;
	entry(c, "TRAILER!!!", 0, 1, 0, 0, NULL, 0);
	if (!c->err && fflush(c->f))
		c->err = errno;
	return c->err;
}

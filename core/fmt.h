/* SPDX-License-Identifier: MIT */
/* A small freestanding formatter for core's messages. */
#ifndef CORE_FMT_H
#define CORE_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Format into (buf) of (len) bytes, always NUL-terminated.  Conversions:
 * %s (string), %u (unsigned), %d (int), %lu (uint64_t decimal), %ld
 * (int64_t), %lx (uint64_t hex, with 0x), %%.  Returns the length written. */
size_t fmt(char *buf, size_t len, const char *f, ...);
size_t vfmt(char *buf, size_t len, const char *f, va_list ap);

#endif

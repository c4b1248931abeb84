/* SPDX-License-Identifier: MIT */
/* A small freestanding formatter for core's messages. */
#ifndef CORE_FMT_H
#define CORE_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Format into (buf) of (len) bytes, always NUL-terminated.  Conversions:
 * %s (string), %u (unsigned), %lu (uint64_t decimal), %lx (uint64_t hex,
 * with 0x), %%.  Returns the length written. */
size_t fmt(char *buf, size_t len, const char *f, ...);

#endif

/* SPDX-License-Identifier: MIT */
/* The machine a benchmark ran on, for its JSON output. */
#ifndef TOOLS_HOSTINFO_H
#define TOOLS_HOSTINFO_H

#include <stdio.h>

/* Write one JSON object naming the machine: the CPU's model, its MHz and
 * logical CPUs, memory, the host's kernel, QEMU's version (or null when it
 * is not installed) and the UTC time of the call.  Fields the host does not
 * say are null; nothing here fails. */
void hostinfo_json(FILE *f);

/* Write (s) as a JSON string, quoted and escaped; NULL as null. */
void json_string(FILE *f, const char *s);

#endif

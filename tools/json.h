/* SPDX-License-Identifier: MIT */
/* The benchmarks' JSON output: strings, figures with their spread, and the
 * machine a benchmark ran on. */
#ifndef TOOLS_JSON_H
#define TOOLS_JSON_H

#include <stdio.h>
#include "stats.h"

/* Write one JSON object naming the machine: the CPU's model, its MHz and
 * logical CPUs, memory, the host's kernel, QEMU's version (or null when it
 * is not installed) and the UTC time of the call.  Fields the host does not
 * say are null; nothing here fails. */
void json_machine(FILE *f);

/* Write (s) as a JSON string, quoted and escaped; NULL as null. */
void json_string(FILE *f, const char *s);

/* Write ,"(name)":{"median":..,"lo":..,"hi":..}: a member that follows
 * another. */
void json_spread(FILE *f, const char *name, const struct spread *s);

#endif

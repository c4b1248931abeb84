/* SPDX-License-Identifier: MIT */
/* The pvmmu command's subcommands and shared command-line helpers. */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>

int cmd_replay(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);
int cmd_initramfs(int argc, char **argv);
struct report;
/* pvmmu bench core, guest, linux and smp (argv[0] is the benchmark's name): the
 * exit status; every figure is also added to (rep) unless it is NULL. */
int bench_core(int argc, char **argv, struct report *rep);
int bench_guest(int argc, char **argv, struct report *rep);
int bench_linux(int argc, char **argv, struct report *rep);
int bench_smp(int argc, char **argv, struct report *rep);

/* Print "pvmmu: (why)" and (usage) to stderr; return exit status 2. */
int cli_usage(const char *usage, const char *why);

/* Parse a decimal or 0x-hex number that is the whole of (s). */
bool cli_number(const char *s, uint64_t *out);

#endif

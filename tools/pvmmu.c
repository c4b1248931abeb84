/* SPDX-License-Identifier: MIT */
/* pvmmu: one command, subcommands dispatched by table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} commands[] = {
	{ "run", cmd_run, "boot the guest kernel and run a workload (pv, unbatched, native)" },
	{ "replay", cmd_replay, "run scenario files against the hypervisor core (sim host)" },
	{ "bench", cmd_bench, "measure: the core (batches, pin/unpin) or a guest kernel PV against native" },
	{ "fuzz", cmd_fuzz, "fuzz hv from inside a guest under QEMU, one seed per boot" },
	{ "initramfs", cmd_initramfs, "write an initramfs for a Linux guest (busybox and files of ours)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pvmmu COMMAND [ARGS...]\n\n"
		   "Paravirtualized direct paging as Xen does it for x86-64 guests.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n'pvmmu COMMAND --help' describes each.\n");
}

int cli_usage(const char *text, const char *why)
{
	fprintf(stderr, "pvmmu: %s\n\n%s", why, text);
	return 2;
}

bool cli_number(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return !*end && !errno;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pvmmu: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}

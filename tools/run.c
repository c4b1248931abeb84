/* SPDX-License-Identifier: MIT */
/*
 * pvmmu run: boot the guest kernel and run a workload, in each mode the user
 * asks for (pv with lazy batching, pv with batching off, native), and print
 * operations per second with the work each operation cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../sim/guest_host.h"
#include "cli.h"

static const char run_usage[] =
	"usage: pvmmu run [--host sim] [--workload NAME|all] [--mode pv|nobatch|native|all]\n"
	"                 [--ops N] [--pages N] [--json]\n"
	"\n"
	"Boot the guest kernel on the sim host and run a workload: pv (hypercalls,\n"
	"lazy MMU batching), nobatch (pv with batching off) and native (the same\n"
	"kernel owning the MMU, no hypervisor).  Prints operations per second and,\n"
	"per operation, hypercalls, multicall entries, entries validated, pins,\n"
	"unpins, TLB flushes and emulated stores; the audit runs at the end.\n"
	"\n"
	"  --host sim       the host (sim is the only one built so far; the default)\n"
	"  --workload NAME  default fork-exit; 'all' runs every workload\n"
	"  --mode M         default all\n"
	"  --ops N          operations (default: the workload's own)\n"
	"  --pages N        guest memory in 4 KiB pages (default 65536, 256 MiB)\n"
	"  --json           one JSON object per run\n"
	"\n"
	"Exit status: 0 if every run finished with a clean audit and no frame leaked.\n";

static const char *const mode_names[] = { "pv", "nobatch", "native" };

static void list_workloads(FILE *f)
{
	fprintf(f, "workloads:");
	for (unsigned i = 0; i < nr_workloads; i++)
		fprintf(f, " %s", workloads[i].name);
	fprintf(f, "\n");
}

static double per(uint64_t n, uint64_t ops)
{
	return ops ? (double)n / (double)ops : 0;
}

static void print_row(const struct workload *w, enum guest_mode m, const struct guest_result *r, bool json)
{
	const struct guest_counts *c = &r->counts;
	double rate = r->seconds > 0 ? (double)r->ops / r->seconds : 0;
	if (json) {
		printf("{\"host\":\"sim\",\"workload\":\"%s\",\"mode\":\"%s\",\"ops\":%llu,\"seconds\":%.6f,"
		       "\"ops_per_sec\":%.1f,\"per_op\":{\"hypercalls\":%.3f,\"multicall_entries\":%.3f,"
		       "\"validated\":%.3f,\"pins\":%.3f,\"unpins\":%.3f,\"tlb_flushes\":%.3f,"
		       "\"emulated_stores\":%.3f},\"audit\":%s,\"leak_free\":%s}\n",
		       w->name, mode_names[m], (unsigned long long)r->ops, r->seconds, rate,
		       per(c->hypercalls, r->ops), per(c->mc_entries, r->ops), per(c->validated, r->ops),
		       per(c->pins, r->ops), per(c->unpins, r->ops), per(c->flushes, r->ops),
		       per(c->emulated, r->ops), r->audit_ok ? "true" : "false",
		       r->leak_free ? "true" : "false");
		return;
	}
	printf("  %-8s %12.0f %10.2f %10.2f %10.2f %7.2f %7.2f %8.2f %9.2f  %s\n", mode_names[m], rate,
	       per(c->hypercalls, r->ops), per(c->mc_entries, r->ops), per(c->validated, r->ops),
	       per(c->pins, r->ops), per(c->unpins, r->ops), per(c->flushes, r->ops),
	       per(c->emulated, r->ops),
	       r->audit_ok && r->leak_free ? "ok" : !r->audit_ok ? r->audit_msg : "frames leaked");
}

static int run_one(const struct workload *w, int mode, uint64_t pages, unsigned ops, bool json)
{
	int status = 0;
	if (!json)
		printf("%s: ops/s and per operation (one operation: %s), sim host\n"
		       "  %-8s %12s %10s %10s %10s %7s %7s %8s %9s\n",
		       w->name, w->op, "mode", "ops/s", "hypercall", "mc-entry", "validated", "pins",
		       "unpins", "flushes", "emulated");
	for (int m = 0; m < 3; m++) {
		struct guest_result r;
		if (mode >= 0 && m != mode)
			continue;
		if (guest_run(w, (enum guest_mode)m, pages, ops, &r))
			return 1;
		print_row(w, (enum guest_mode)m, &r, json);
		if (!r.audit_ok || !r.leak_free)
			status = 1;
	}
	if (!json)
		printf("\n");
	return status;
}

int cmd_run(int argc, char **argv)
{
	const char *name = "fork-exit";
	int mode = -1;
	uint64_t ops = 0, pages = 65536;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(run_usage, stdout);
			list_workloads(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!v) {
			return cli_usage(run_usage, "option needs a value, or is unknown");
		} else if (!strcmp(a, "--host")) {
			if (strcmp(v, "sim"))
				return cli_usage(run_usage, "only the sim host is built so far");
			i++;
		} else if (!strcmp(a, "--workload")) {
			name = v;
			i++;
		} else if (!strcmp(a, "--mode")) {
			mode = !strcmp(v, "all") ? -1 : -2;
			for (int m = 0; m < 3; m++)
				if (!strcmp(v, mode_names[m]))
					mode = m;
			if (mode == -2)
				return cli_usage(run_usage, "--mode is pv, nobatch, native or all");
			i++;
		} else if (!strcmp(a, "--ops")) {
			if (!cli_number(v, &ops) || ops == 0 || ops > 1000000)
				return cli_usage(run_usage, "--ops needs a number from 1 to 1000000");
			i++;
		} else if (!strcmp(a, "--pages")) {
			if (!cli_number(v, &pages) || pages < 8192 || pages > 262144)
				return cli_usage(run_usage, "--pages needs a number from 8192 to 262144");
			i++;
		} else {
			return cli_usage(run_usage, "unknown option");
		}
	}
	if (strcmp(name, "all") && !workload_find(name)) {
		fprintf(stderr, "pvmmu: unknown workload '%s'\n", name);
		list_workloads(stderr);
		return 2;
	}
	int status = 0;
	for (unsigned i = 0; i < nr_workloads; i++)
		if (!strcmp(name, "all") || !strcmp(name, workloads[i].name))
			status |= run_one(&workloads[i], mode, pages, (unsigned)ops, json);
	return status;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvmmu bench smp: what a second physical CPU gives a PV guest on hv,
 * against what it gives the same kernel natively.  The guest kernel's
 * fork+exit loop runs five ways under QEMU, in turns, the order reversed
 * every other round: on hv one worker on one CPU (fork-exit, -smp 1), two
 * workers taking turns on one CPU (fork-exit-2, -smp 1) and two workers
 * side by side on two CPUs (fork-exit-2, -smp 2); natively (native.elf)
 * one worker on one CPU and two on two CPUs, each on a CPU of its own.
 * The figure is throughput: operations of all workers per second.  Scaling
 * is the two-CPU run over the one-worker run of its round, the median of
 * the rounds with their spread, on hv and natively; beside it the TLB
 * flushes and the flush IPIs each operation cost on hv on two CPUs.
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "json.h"
#include "qemu.h"
#include "stats.h"

#define MAX_REPS 100
#define SCALING_TARGET 1.7      /* the several-CPUs issue's, TCG multi-threaded */

static const char bench_smp_usage[] =
	"usage: pvmmu bench smp [--accel tcg|kvm] [--reps N] [--ops N] [--timeout S] [--json]\n"
	"\n"
	"Run the guest kernel's fork+exit loop on hv: one worker on one CPU, two\n"
	"workers in turns on one CPU, two workers on two CPUs; and natively: one\n"
	"worker on one CPU, two on two CPUs; in turns, and print the throughput\n"
	"of each, the two-CPU run over the one-worker run (the scaling) on hv and\n"
	"natively with their spreads, and hv's flushes and flush IPIs per\n"
	"operation.\n"
	"\n"
	"  --accel A     QEMU's accelerator: tcg (default, multi-threaded with two\n"
	"                CPUs) or kvm\n"
	"  --reps N      rounds (default 5, 1..100)\n"
	"  --ops N       operations per worker and run (default 4000: a second or\n"
	"                more per run, which the host's noise needs)\n"
	"  --timeout S   stop a run after S seconds (default 600)\n"
	"  --json        one JSON object, with the machine\n"
	"\n"
	"Exit status: 0 if every run finished cleanly (target met or not), 1 if\n"
	"one did not, 2 for a bad command line.\n";

/* The five ways, as workload, mode and CPUs. */
static const struct way {
	const char *name, *workload, *json;
	enum guest_mode mode;
	unsigned cpus;
} ways[] = {
	{ "1 worker, 1 CPU", "fork-exit", "one_worker", MODE_PV, 1 },
	{ "2 workers in turns, 1 CPU", "fork-exit-2", "two_workers_one_cpu", MODE_PV, 1 },
	{ "2 workers, 2 CPUs", "fork-exit-2", "two_workers_two_cpus", MODE_PV, 2 },
	{ "native: 1 worker, 1 CPU", "fork-exit", "native_one_worker", MODE_NATIVE, 1 },
	{ "native: 2 workers, 2 CPUs", "fork-exit-2", "native_two_workers_two_cpus", MODE_NATIVE, 2 },
};
#define NR_WAYS (sizeof(ways) / sizeof(ways[0]))
enum { HV_ONE = 0, HV_TWO = 2, NATIVE_ONE = 3, NATIVE_TWO = 4 };

struct runs {
	double rate[NR_WAYS][MAX_REPS];
	struct guest_result last[NR_WAYS];
};

/* Round (k) of every way: 0, or 1 with a message. */
static int round_of(const struct qemu_opts *base, unsigned ops, unsigned k, struct runs *x)
{
	for (unsigned i = 0; i < NR_WAYS; i++) {
		unsigned w = k % 2 ? NR_WAYS - 1 - i : i;
		struct qemu_opts q = *base;
		struct guest_result *r = &x->last[w];
		q.cpus = ways[w].cpus;
		if (qemu_run_workload(&q, workload_find(ways[w].workload), ways[w].mode, 65536, ops, r) ||
		    r->seconds <= 0) {
			fprintf(stderr, "pvmmu: bench smp: %s failed: %s\n", ways[w].name, r->audit_msg);
			return 1;
		}
		x->rate[w][k] = (double)r->ops / r->seconds;
	}
	return 0;
}

static double per(uint64_t n, uint64_t ops)
{
	return ops ? (double)n / (double)ops : 0;
}

static void print(const struct qemu_opts *q, unsigned reps, bool json, const struct runs *x)
{
	const struct guest_result *two = &x->last[HV_TWO];
	struct spread scale = spread_of_ratios(x->rate[HV_TWO], x->rate[HV_ONE], reps);
	struct spread native = spread_of_ratios(x->rate[NATIVE_TWO], x->rate[NATIVE_ONE], reps);
	if (json) {
		printf("{\"benchmark\":\"smp\",\"accel\":\"%s\",\"reps\":%u", q->accel, reps);
		for (unsigned w = 0; w < NR_WAYS; w++) {
			struct spread s = spread_of(x->rate[w], reps);
			json_spread(stdout, ways[w].json, &s);
		}
		json_spread(stdout, "scaling", &scale);
		json_spread(stdout, "native_scaling", &native);
		printf(",\"target\":%.1f,\"flushes_per_op\":%.3f,\"flush_ipis_per_op\":%.3f,\"machine\":",
		       SCALING_TARGET, per(two->counts.flushes, two->ops), per(two->counts.flush_ipis, two->ops));
		json_machine(stdout);
		printf("}\n");
		return;
	}
	printf("fork+exit on hv and natively, operations per second of all workers (accelerator %s, %u rounds)\n",
	       q->accel, reps);
	for (unsigned w = 0; w < NR_WAYS; w++) {
		struct spread s = spread_of(x->rate[w], reps);
		printf("  %-28s %8.0f  (%.0f-%.0f)\n", ways[w].name, s.median, s.lo, s.hi);
	}
	printf("scaling, 2 workers on 2 CPUs over 1 worker on 1 CPU: %.2fx (%.2f-%.2f) on hv, target %.1fx;\n"
	       "  %.2fx (%.2f-%.2f) natively\n",
	       scale.median, scale.lo, scale.hi, SCALING_TARGET, native.median, native.lo, native.hi);
	printf("per operation on 2 CPUs: %.2f TLB flushes, %.2f of them IPIs to the other CPU\n",
	       per(two->counts.flushes, two->ops), per(two->counts.flush_ipis, two->ops));
}

int bench_smp(int argc, char **argv, struct report *rep)
{
	struct qemu_opts q = { .accel = "tcg", .timeout = 600 };
	unsigned reps = 5, ops = 4000;
	bool json = false;
	(void)rep;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t n;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(bench_smp_usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage(bench_smp_usage, "an option needs a value");
		const char *v = argv[++i];
		if (!strcmp(a, "--accel")) {
			if (strcmp(v, "tcg") && strcmp(v, "kvm"))
				return cli_usage(bench_smp_usage, "--accel is tcg or kvm");
			q.accel = v;
		} else if (!cli_number(v, &n)) {
			return cli_usage(bench_smp_usage, "option values are numbers");
		} else if (!strcmp(a, "--reps") && n >= 1 && n <= MAX_REPS) {
			reps = (unsigned)n;
		} else if (!strcmp(a, "--ops") && n >= 1 && n <= 1000000) {
			ops = (unsigned)n;
		} else if (!strcmp(a, "--timeout") && n >= 1 && n <= 86400) {
			q.timeout = (unsigned)n;
		} else {
			return cli_usage(bench_smp_usage, "unknown option, or a value out of range");
		}
	}
	if (!qemu_installed()) {
		printf("SKIPPED: qemu-system-x86_64 is not installed: bench smp did not run\n");
		return 0;
	}
	static struct runs x;
	for (unsigned k = 0; k < reps; k++)
		if (round_of(&q, ops, k, &x))
			return 1;
	print(&q, reps, json, &x);
	return 0;
}

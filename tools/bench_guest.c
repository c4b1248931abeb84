/* SPDX-License-Identifier: MIT */
/*
 * pvmmu bench guest: what direct paging costs a guest kernel, in the manner
 * of lmbench's lat_proc (fork+exit, fork+exec+exit), lat_pagefault and
 * lat_ctx.  Each workload runs PV (on hv, lazy batching on) and native (the
 * same kernel owning the MMU) in one invocation, on the same host and
 * accelerator, alternating native and PV run by run so drift in the host's
 * speed lands on both; the median of the repetitions gives microseconds per
 * operation and the PV/native ratio, with the spread of the ratios of
 * adjacent pairs of runs (the host's noise), printed beside the work each
 * PV operation did (hypercalls, multicall entries, entries validated, TLB
 * flushes, page faults) and the target the ratio is held to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "qemu.h"

#define MAX_REPS 100

static const char bench_guest_usage[] =
	"usage: pvmmu bench guest [--host qemu|sim] [--accel tcg|kvm] [--workload NAME|all]\n"
	"                         [--reps N] [--ops N] [--pages N] [--timeout S] [--json]\n"
	"\n"
	"Run each workload PV (on the hypervisor, batched) and native (no\n"
	"hypervisor) side by side and print microseconds per operation, the\n"
	"PV/native ratio and the work per PV operation, lmbench style.\n"
	"\n"
	"  --host H         qemu (default if installed: hv.elf and native.elf under\n"
	"                   QEMU) or sim\n"
	"  --accel A        QEMU's accelerator: tcg (default) or kvm\n"
	"  --workload NAME  default all\n"
	"  --reps N         runs per mode, alternating; the median is reported\n"
	"                   (default 5, 1..100)\n"
	"  --ops N          operations per run (default: the workload's own)\n"
	"  --pages N        guest memory in 4 KiB pages (default 65536)\n"
	"  --timeout S      qemu: stop a run after S seconds (default 600)\n"
	"  --json           one JSON object per workload\n"
	"\n"
	"Exit status: 0 if every run finished cleanly (targets met or not), 1 if\n"
	"one did not, 2 for a bad command line.\n";

/* What lmbench calls each measure, and the ratio PV is held to. */
static const struct target {
	const char *workload, *lmbench;
	double ratio;
} targets[] = {
	{ "fork-exit", "lat_proc fork", 1.5 },
	{ "fork-exec-exit", "lat_proc exec", 1.3 },
	{ "fault-storm", "lat_pagefault", 1.5 },
	{ "ctxsw-2", "lat_ctx 2", 2.0 },
	{ "ctxsw-4", "lat_ctx 4", 2.0 },
	{ "ctxsw-8", "lat_ctx 8", 2.0 },
	{ "ctxsw-16", "lat_ctx 16", 2.0 },
};

struct opts {
	bool qemu, json;
	struct qemu_opts q;
	unsigned reps, ops;
	uint64_t pages;
};

static const struct target *target_of(const struct workload *w)
{
	for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (!strcmp(targets[i].workload, w->name))
			return &targets[i];
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One run: 0 and (r), 2 skipped (why in r->audit_msg), 1 failed. */
static int run(const struct opts *o, const struct workload *w, enum guest_mode m, struct guest_result *r)
{
	if (o->qemu)
		return qemu_run_workload(&o->q, w, m, o->pages, o->ops, r);
	return guest_run(w, m, o->pages, o->ops, r) ? 1 : r->audit_ok && r->leak_free ? 0 : 1;
}

static double per(uint64_t n, uint64_t ops)
{
	return ops ? (double)n / (double)ops : 0;
}

/* The medians of native and PV, and the spread of the ratio of each
 * adjacent pair of runs (lo, hi): how far the host's noise moved it. */
struct summary {
	double native_us, pv_us, lo, hi;
};

static void print(const struct opts *o, const struct workload *w, const struct summary *s,
		  const struct guest_result *pv)
{
	const struct target *t = target_of(w);
	double ratio = s->pv_us / s->native_us;
	const struct guest_counts *c = &pv->counts;
	if (o->json) {
		printf("{\"host\":\"%s\",\"accel\":\"%s\",\"workload\":\"%s\",\"op\":\"%s\",\"reps\":%u,"
		       "\"ops\":%llu,\"native_us\":%.3f,\"pv_us\":%.3f,\"pv_over_native\":%.3f,"
		       "\"pair_ratio_min\":%.3f,\"pair_ratio_max\":%.3f,",
		       o->qemu ? "qemu" : "sim", o->qemu ? o->q.accel : "none", w->name, w->op, o->reps,
		       (unsigned long long)pv->ops, s->native_us, s->pv_us, ratio, s->lo, s->hi);
		if (t)
			printf("\"target\":%.2f,\"met\":%s,", t->ratio, ratio <= t->ratio ? "true" : "false");
		printf("\"pv_per_op\":{\"hypercalls\":%.3f,\"multicall_entries\":%.3f,\"validated\":%.3f,"
		       "\"tlb_flushes\":%.3f,\"page_faults\":%.3f}}\n",
		       per(c->hypercalls, pv->ops), per(c->mc_entries, pv->ops), per(c->validated, pv->ops),
		       per(c->flushes, pv->ops), per(c->faults, pv->ops));
		return;
	}
	char goal[32] = "-";
	if (t)
		snprintf(goal, sizeof(goal), "%.1fx %s", t->ratio, ratio <= t->ratio ? "met" : "MISSED");
	char spread[32];
	snprintf(spread, sizeof(spread), "%.2f-%.2f", s->lo, s->hi);
	printf("%-15s %-14s %10.2f %10.2f %7.2fx %-11s %-12s %7.2f %8.2f %9.1f %7.2f %6.2f\n", w->name,
	       t ? t->lmbench : "", s->native_us, s->pv_us, ratio, spread, goal, per(c->hypercalls, pv->ops),
	       per(c->mc_entries, pv->ops), per(c->validated, pv->ops), per(c->flushes, pv->ops),
	       per(c->faults, pv->ops));
}

/* Native and PV, alternating, (reps) times each; the medians. */
static int bench_one(const struct opts *o, const struct workload *w)
{
	double t[2][MAX_REPS];
	struct summary s = { .lo = 1e300, .hi = 0 };
	struct guest_result r[2];
	static const enum guest_mode modes[2] = { MODE_NATIVE, MODE_PV };
	for (unsigned k = 0; k < o->reps; k++) {
		for (unsigned i = 0; i < 2; i++) {
			int rc = run(o, w, modes[i], &r[i]);
			if (rc == 2) {
				if (!o->json)
					printf("%-15s SKIPPED: %s\n", w->name, r[i].audit_msg);
				return 0;
			}
			if (rc || !r[i].ops || r[i].seconds <= 0) {
				fprintf(stderr, "pvmmu: bench guest: %s (%s) failed: %s\n", w->name,
					i ? "pv" : "native", r[i].audit_msg[0] ? r[i].audit_msg : "no result");
				return 1;
			}
			t[i][k] = r[i].seconds * 1e6 / (double)r[i].ops;
		}
		double pair = t[1][k] / t[0][k];
		s.lo = pair < s.lo ? pair : s.lo;
		s.hi = pair > s.hi ? pair : s.hi;
	}
	qsort(t[0], o->reps, sizeof(double), cmp_double);
	qsort(t[1], o->reps, sizeof(double), cmp_double);
	s.native_us = t[0][o->reps / 2];
	s.pv_us = t[1][o->reps / 2];
	print(o, w, &s, &r[1]);
	fflush(stdout);
	return 0;
}

static int parse(int argc, char **argv, struct opts *o, const char **name)
{
	const char *host = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(bench_guest_usage, stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		} else if (!v) {
			return cli_usage(bench_guest_usage, "option needs a value, or is unknown");
		} else if (!strcmp(a, "--host")) {
			if (strcmp(v, "sim") && strcmp(v, "qemu"))
				return cli_usage(bench_guest_usage, "--host is qemu or sim");
			host = v;
		} else if (!strcmp(a, "--accel")) {
			if (strcmp(v, "tcg") && strcmp(v, "kvm"))
				return cli_usage(bench_guest_usage, "--accel is tcg or kvm");
			o->q.accel = v;
		} else if (!strcmp(a, "--workload")) {
			if (strcmp(v, "all") && !workload_find(v))
				return cli_usage(bench_guest_usage, "no such workload (pvmmu run --help lists them)");
			*name = v;
		} else if (!strcmp(a, "--reps")) {
			if (!cli_number(v, &n) || n < 1 || n > MAX_REPS)
				return cli_usage(bench_guest_usage, "--reps needs a number from 1 to 100");
			o->reps = (unsigned)n;
		} else if (!strcmp(a, "--ops")) {
			if (!cli_number(v, &n) || n < 1 || n > 1000000)
				return cli_usage(bench_guest_usage, "--ops needs a number from 1 to 1000000");
			o->ops = (unsigned)n;
		} else if (!strcmp(a, "--pages")) {
			if (!cli_number(v, &o->pages) || o->pages < 8192 || o->pages > 262144)
				return cli_usage(bench_guest_usage, "--pages needs a number from 8192 to 262144");
		} else if (!strcmp(a, "--timeout")) {
			if (!cli_number(v, &n) || n < 1 || n > 86400)
				return cli_usage(bench_guest_usage, "--timeout needs a number of seconds from 1 to 86400");
			o->q.timeout = (unsigned)n;
		} else {
			return cli_usage(bench_guest_usage, "unknown option");
		}
		i++;
	}
	if (qemu_choose_host(host, &o->qemu))
		return 2;
	if (!o->qemu && strcmp(o->q.accel, "tcg"))
		return cli_usage(bench_guest_usage, "--accel applies to the qemu host only");
	return -1;
}

int bench_guest(int argc, char **argv)
{
	const char *name = "all";
	struct opts o = { .reps = 5, .pages = 65536, .q = { .accel = "tcg", .timeout = 600 } };
	int rc = parse(argc, argv, &o, &name);
	if (rc >= 0)
		return rc;
	if (!o.json)
		printf("pvmmu bench guest: PV (hv, batched) against native, %s host%s%s; median of %u runs "
		       "each, alternating\n"
		       "%-15s %-14s %10s %10s %8s %-11s %-12s %7s %8s %9s %7s %6s\n",
		       o.qemu ? "qemu" : "sim", o.qemu ? ", accelerator " : "", o.qemu ? o.q.accel : "",
		       o.reps, "workload", "lmbench", "native us", "pv us", "pv/nat", "pairs", "target",
		       "hcalls", "mc-ents", "validated", "flushes", "faults");
	int status = 0;
	for (unsigned i = 0; i < nr_workloads; i++)
		if (!strcmp(name, "all") || !strcmp(name, workloads[i].name))
			status |= bench_one(&o, &workloads[i]);
	if (!o.json)
		printf("(us: microseconds per operation, medians; pv/nat: their ratio; pairs: the lowest\n"
		       "and highest ratio of a native run and the PV run next to it; the counts are per\n"
		       "PV operation)\n");
	return status;
}

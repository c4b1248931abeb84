/* SPDX-License-Identifier: MIT */
/*
 * pvmmu bench guest: what direct paging costs a guest kernel, in the manner
 * of lmbench's lat_proc (fork+exit, fork+exec+exit), lat_pagefault and
 * lat_ctx.  Each workload runs on every side the host names, in one
 * invocation, on the same accelerator: native (the same kernel owning the
 * MMU), PV on hv (lazy batching on), and PV on Xen 4.17 (the same guest as
 * its dom0).  The sides take turns run by run, the order reversed every
 * other round, so drift in the host's speed lands on all of them; the
 * median of the repetitions gives microseconds per operation; each ratio is
 * the median of the ratios of the two runs of a round, with their spread
 * (the host's noise), beside the work each PV operation did and the target
 * the PV/native ratio is held to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "json.h"
#include "qemu.h"
#include "report.h"
#include "stats.h"

#define MAX_REPS 100

static const char bench_guest_usage[] =
	"usage: pvmmu bench guest [--host qemu|xen|all|sim] [--accel tcg|kvm] [--workload NAME|all]\n"
	"                         [--reps N] [--ops N] [--pages N] [--timeout S] [--json]\n"
	"\n"
	"Run each workload native (no hypervisor) and PV side by side, in turns,\n"
	"and print microseconds per operation, the ratios with their spread and\n"
	"the work per PV operation, lmbench style.\n"
	"\n"
	"  --host H         qemu (default if installed): native.elf and PV on hv;\n"
	"                   xen: native.elf and PV on Xen 4.17 (the guest as dom0);\n"
	"                   all: native, hv and Xen; sim: the simulator\n"
	"  --accel A        QEMU's accelerator: tcg (default) or kvm\n"
	"  --workload NAME  default all\n"
	"  --reps N         runs per side, in turns; the median is reported\n"
	"                   (default 5, 1..100)\n"
	"  --ops N          operations per run (default: the workload's own)\n"
	"  --pages N        guest memory in 4 KiB pages (default 65536)\n"
	"  --timeout S      qemu: stop a run after S seconds (default 600)\n"
	"  --json           one JSON object per workload\n"
	"\n"
	"Exit status: 0 if every run finished cleanly (targets met or not), 1 if\n"
	"one did not, 2 for a bad command line.\n";

/* What lmbench calls each measure, and the PV/native ratio it is held to
 * (the performance issue's targets, TCG). */
static const struct target {
	const char *workload, *lmbench;
	double ratio;
} targets[] = {
	{ "fork-exit", "lat_proc fork", 1.3 },
	{ "fork-exec-exit", "lat_proc exec", 1.3 },
	{ "fault-storm", "lat_pagefault", 1.4 },
	{ "mmap-64m", "", 1.5 },
	{ "mprotect-64m", "", 1.5 },
	{ "ctxsw-2", "lat_ctx 2", 1.6 },
	{ "ctxsw-4", "lat_ctx 4", 1.6 },
	{ "ctxsw-8", "lat_ctx 8", 1.6 },
	{ "ctxsw-16", "lat_ctx 16", 1.6 },
};

/* The sides a run compares; native always comes first.  On the sim host
 * the PV side is core on the simulator, called "pv". */
enum side { NATIVE, HV, XEN, NR_SIDES };

struct opts {
	bool qemu, json, side[NR_SIDES];
	const char *host;
	struct qemu_opts q;
	unsigned reps, ops;
	uint64_t pages;
};

static const char *side_name(const struct opts *o, enum side s)
{
	return s == NATIVE ? "native" : s == XEN ? "xen" : o->qemu ? "hv" : "pv";
}

static const struct target *target_of(const struct workload *w)
{
	for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (!strcmp(targets[i].workload, w->name))
			return &targets[i];
	return NULL;
}

/* One run of side (s): 0 and (r), 2 skipped (why in r->audit_msg), 1 failed. */
static int run(const struct opts *o, const struct workload *w, enum side s, struct guest_result *r)
{
	enum guest_mode m = s == NATIVE ? MODE_NATIVE : MODE_PV;
	if (!o->qemu)
		return guest_run(w, m, o->pages, o->ops, r) ? 1 : r->audit_ok && r->leak_free ? 0 : 1;
	struct qemu_opts q = o->q;
	q.xen = s == XEN;
	return qemu_run_workload(&q, w, m, o->pages, o->ops, r);
}

static double per(uint64_t n, uint64_t ops)
{
	return ops ? (double)n / (double)ops : 0;
}

/* Per side the spread of its runs; per ratio of two sides its spread over
 * the rounds, each run against the other side's run of its round. */
struct summary {
	struct spread us[NR_SIDES], ratio[NR_SIDES][NR_SIDES];
};

/* The ratios shown: each PV side over native, and Xen over hv. */
static const struct pair {
	enum side top, base;
} pairs[] = { { HV, NATIVE }, { XEN, NATIVE }, { XEN, HV } };
#define NR_PAIRS (sizeof(pairs) / sizeof(pairs[0]))

static bool shown(const struct opts *o, const struct pair *p)
{
	return o->side[p->top] && o->side[p->base];
}

static void print_json(const struct opts *o, const struct workload *w, const struct summary *s,
		       const struct guest_result *pv)
{
	const struct target *t = target_of(w);
	const struct guest_counts *c = &pv->counts;
	printf("{\"host\":\"%s\",\"accel\":\"%s\",\"workload\":\"%s\",\"op\":\"%s\",\"reps\":%u,\"ops\":%llu",
	       o->host, o->qemu ? o->q.accel : "none", w->name, w->op, o->reps, (unsigned long long)pv->ops);
	char name[32];
	for (unsigned i = 0; i < NR_SIDES; i++)
		if (o->side[i]) {
			snprintf(name, sizeof(name), "%s_us", side_name(o, i));
			json_spread(stdout, name, &s->us[i]);
		}
	for (unsigned i = 0; i < NR_PAIRS; i++) {
		const struct pair *p = &pairs[i];
		if (!shown(o, p))
			continue;
		snprintf(name, sizeof(name), "%s_over_%s", side_name(o, p->top), side_name(o, p->base));
		json_spread(stdout, name, &s->ratio[p->top][p->base]);
	}
	if (t)
		printf(",\"target\":%.2f,\"lmbench\":\"%s\"", t->ratio, t->lmbench);
	printf(",\"pv_per_op\":{\"hypercalls\":%.3f,\"multicall_entries\":%.3f,\"page_faults\":%.3f}"
	       ",\"machine\":", per(c->hypercalls, pv->ops), per(c->mc_entries, pv->ops), per(c->faults, pv->ops));
	json_machine(stdout);
	printf("}\n");
}

static void add_rows(const struct opts *o, const struct workload *w, const struct summary *s,
		     const struct guest_result *pv, struct report *rep)
{
	const struct target *t = target_of(w);
	const struct guest_counts *c = &pv->counts;
	const char *label = t && *t->lmbench ? t->lmbench : w->op;
	for (unsigned i = 0; i < NR_SIDES; i++)
		if (o->side[i])
			report_time(rep, "guest", w->name, label, side_name(o, i), "us", s->us[i], 0);
	for (unsigned i = 0; i < NR_PAIRS; i++) {
		const struct pair *p = &pairs[i];
		if (shown(o, p))
			report_ratio(rep, "guest", w->name, label, side_name(o, p->top), side_name(o, p->base),
				     s->ratio[p->top][p->base], t && p->base == NATIVE ? t->ratio : 0);
	}
	char work[160];
	snprintf(work, sizeof(work), "%.2f hypercalls, %.2f mc entries, %.2f faults", per(c->hypercalls, pv->ops),
		 per(c->mc_entries, pv->ops), per(c->faults, pv->ops));
	report_work(rep, "guest", w->name, work,
		    per(c->hypercalls, pv->ops) + per(c->faults, pv->ops) + per(c->emulated, pv->ops));
}

static void print_header(const struct opts *o)
{
	printf("%-15s %-14s", "workload", "lmbench");
	char label[32];
	for (unsigned i = 0; i < NR_SIDES; i++)
		if (o->side[i]) {
			snprintf(label, sizeof(label), "%s us", side_name(o, i));
			printf(" %9s", label);
		}
	for (unsigned i = 0; i < NR_PAIRS; i++)
		if (shown(o, &pairs[i])) {
			snprintf(label, sizeof(label), "%s/%.3s", side_name(o, pairs[i].top),
				 side_name(o, pairs[i].base));
			printf(" %7s %-11s", label, "spread");
		}
	printf(" %-11s %7s %8s %6s\n", "target", "hcalls", "mc-ents", "faults");
}

static void print_row(const struct opts *o, const struct workload *w, const struct summary *s,
		      const struct guest_result *pv)
{
	const struct target *t = target_of(w);
	const struct guest_counts *c = &pv->counts;
	printf("%-15s %-14s", w->name, t ? t->lmbench : "");
	for (unsigned i = 0; i < NR_SIDES; i++)
		if (o->side[i])
			printf(" %9.2f", s->us[i].median);
	for (unsigned i = 0; i < NR_PAIRS; i++) {
		const struct pair *p = &pairs[i];
		if (!shown(o, p))
			continue;
		char spread[32];
		const struct spread *q = &s->ratio[p->top][p->base];
		snprintf(spread, sizeof(spread), "%.2f-%.2f", q->lo, q->hi);
		printf(" %6.2fx %-11s", q->median, spread);
	}
	char goal[32] = "-";
	enum side pv_side = o->side[HV] ? HV : XEN;
	if (t)
		snprintf(goal, sizeof(goal), "%.1fx %s", t->ratio,
			 s->ratio[pv_side][NATIVE].median <= t->ratio ? "met" : "MISSED");
	printf(" %-11s %7.2f %8.2f %6.2f\n", goal, per(c->hypercalls, pv->ops), per(c->mc_entries, pv->ops),
	       per(c->faults, pv->ops));
}

/* Every side (reps) times, in turns; the medians and the spreads. */
static int bench_one(const struct opts *o, const struct workload *w, struct report *rep)
{
	double t[NR_SIDES][MAX_REPS];
	struct summary s = { 0 };
	struct guest_result r, pv = { 0 };
	for (unsigned k = 0; k < o->reps; k++) {
		for (unsigned i = 0; i < NR_SIDES; i++) {
			enum side side = k % 2 ? NR_SIDES - 1 - i : i;  /* every other round backwards */
			if (!o->side[side])
				continue;
			int rc = run(o, w, side, &r);
			if (rc == 2) {
				if (!o->json)
					printf("%-15s SKIPPED: %s\n", w->name, r.audit_msg);
				return 0;
			}
			if (rc || !r.ops || r.seconds <= 0) {
				fprintf(stderr, "pvmmu: bench guest: %s (%s) failed: %s\n", w->name, side_name(o, side),
					r.audit_msg[0] ? r.audit_msg : "no result");
				return 1;
			}
			t[side][k] = r.seconds * 1e6 / (double)r.ops;
			if (side != NATIVE && (side == HV || !o->side[HV]))
				pv = r;
		}
	}
	for (unsigned i = 0; i < NR_SIDES; i++)
		if (o->side[i])
			s.us[i] = spread_of(t[i], o->reps);
	for (unsigned i = 0; i < NR_PAIRS; i++) {
		const struct pair *p = &pairs[i];
		if (shown(o, p))
			s.ratio[p->top][p->base] = spread_of_ratios(t[p->top], t[p->base], o->reps);
	}
	if (o->json)
		print_json(o, w, &s, &pv);
	else
		print_row(o, w, &s, &pv);
	add_rows(o, w, &s, &pv, rep);
	fflush(stdout);
	return 0;
}

static int parse(int argc, char **argv, struct opts *o, const char **name)
{
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
			if (strcmp(v, "sim") && strcmp(v, "qemu") && strcmp(v, "xen") && strcmp(v, "all"))
				return cli_usage(bench_guest_usage, "--host is qemu, xen, all or sim");
			o->host = v;
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
	bool all = o->host && !strcmp(o->host, "all"), xen;
	if (qemu_choose_host(all ? "xen" : o->host, &o->qemu, &xen))
		return 2;
	o->host = all ? "all" : xen ? "xen" : o->qemu ? "qemu" : "sim";
	o->side[NATIVE] = true;
	o->side[HV] = !xen || all;
	o->side[XEN] = xen;
	if (!o->qemu && strcmp(o->q.accel, "tcg"))
		return cli_usage(bench_guest_usage, "--accel applies to the qemu, xen and all hosts only");
	return -1;
}

int bench_guest(int argc, char **argv, struct report *rep)
{
	const char *name = "all";
	struct opts o = { .reps = 5, .pages = 65536, .q = { .accel = "tcg", .timeout = 600 } };
	int rc = parse(argc, argv, &o, &name);
	if (rc >= 0)
		return rc;
	if (!o.json) {
		printf("pvmmu bench guest: %s%s%s against native, %s host%s%s; median of %u runs each, in turns\n",
		       o.side[HV] ? "PV on hv (batched)" : "", o.side[HV] && o.side[XEN] ? " and " : "",
		       o.side[XEN] ? "PV on Xen 4.17 (dom0)" : "", o.host, o.qemu ? ", accelerator " : "",
		       o.qemu ? o.q.accel : "", o.reps);
		print_header(&o);
	}
	int status = 0;
	for (unsigned i = 0; i < nr_workloads; i++)
		if (!strcmp(name, "all") || !strcmp(name, workloads[i].name))
			status |= bench_one(&o, &workloads[i], rep);
	if (!o.json)
		printf("(us: microseconds per operation, medians; a/b: the median of the ratios of the two\n"
		       "runs of each round; spread: the lowest and highest of them; target: PV/native; the\n"
		       "counts are the guest's own per PV operation)\n");
	return status;
}

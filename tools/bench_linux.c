/* SPDX-License-Identifier: MIT */
/*
 * pvmmu bench linux: Debian's Linux measuring itself (guest/linux/
 * pvmmu-linux.c, lmbench's lat_proc, lat_pagefault, lat_mmap, lat_ctx and
 * lat_syscall) on each side, the same kernel and initramfs everywhere:
 * natively (QEMU boots the kernel itself), PV on hv, and PV on Xen 4.17
 * (the kernel as its dom0) with --host all.  The sides take turns, run by
 * run, the order reversed every other round; per operation the median of
 * the runs, each ratio with the spread of the per-round ratios, and hv's
 * own work per operation as the guest read it from hv's counters.  "boot"
 * is the host's wall time from starting QEMU to /init, in ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "json.h"
#include "linux.h"
#include "qemu.h"
#include "report.h"
#include "stats.h"

#define MAX_REPS 20

static const char bench_linux_usage[] =
	"usage: pvmmu bench linux [--host qemu|all] [--reps N] [--cpus N] [--kernel FILE]\n"
	"                         [--initrd FILE] [--memory MiB] [--timeout S] [--accel tcg|kvm]\n"
	"                         [--json]\n"
	"\n"
	"Boot the same Linux kernel and initramfs natively, on hv and (--host all)\n"
	"on Xen 4.17, in turns, run the benchmark inside (pvmmu-linux bench) and\n"
	"print per operation the median time on each side, the PV/native ratios\n"
	"with their spread and hv's work per operation.  The kernel and initramfs\n"
	"default to build/linux/ (make linux).\n"
	"\n"
	"  --reps N     runs per side (default 3, 1..20)\n"
	"  --cpus N     physical CPUs, and the guest's vCPUs, on every side (default\n"
	"               1, 1..8); forks then runs a fork loop on each at once, and\n"
	"               a line gives how many times one loop's rate that is\n"
	"  --memory MiB guest memory (default 256)\n"
	"  --timeout S  per run (default 600)\n"
	"  --json       one JSON object: every figure, its spread and the machine\n";

enum side { NATIVE, HV, XEN, NR_SIDES };
static const char *const side_names[NR_SIDES] = { "native", "hv", "xen" };

/* The operations and the PV/native ratio each is held to (the issue's). */
static const struct op {
	const char *name, *lmbench;
	double target;
} ops[] = {
	{ "boot", "boot to /init", 2.0 },
	{ "fork", "lat_proc fork", 1.5 },
	{ "forks", "fork, every CPU", 0 },
	{ "exec", "lat_proc exec", 1.4 },
	{ "sh", "lat_proc shell", 1.3 },
	{ "fault", "lat_pagefault", 1.6 },
	{ "mmap", "lat_mmap", 1.8 },
	{ "ctx2", "lat_ctx 2", 2.0 },
	{ "ctx16", "lat_ctx 16", 2.0 },
	{ "syscall", "lat_syscall null", 0 },
};
#define NR_OPS (sizeof(ops) / sizeof(ops[0]))
enum { OP_FORK = 1, OP_FORKS = 2 };

struct run {
	double start, us[NR_OPS];
	char counts[NR_OPS][160];
	bool done;
};

static double wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void take(void *arg, const char *line)
{
	struct run *r = arg;
	const char *at;
	if (strstr(line, "pvmmu-linux: init") && !r->us[0])
		r->us[0] = (wall() - r->start) * 1e3;
	if (strstr(line, "pvmmu-linux-bench done"))
		r->done = true;
	if (!(at = strstr(line, "pvmmu-linux-bench op=")))
		return;
	at += 21;
	for (unsigned i = 1; i < NR_OPS; i++) {
		size_t n = strlen(ops[i].name);
		if (strncmp(at, ops[i].name, n) || at[n] != ' ')
			continue;
		const char *us = strstr(at, " us=");
		r->us[i] = us ? strtod(us + 4, NULL) : 0;
		const char *c = strstr(at, " hypercalls=");
		snprintf(r->counts[i], sizeof(r->counts[i]), "%s", c ? c + 1 : "");
	}
}

struct opts {
	struct linux_opts lx;
	struct qemu_opts q;
	unsigned reps;
	bool side[NR_SIDES], json;
};

static int run_side(const struct opts *o, enum side s, struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->start = wall();
	struct qemu_opts q = o->q;
	uint64_t pages = o->lx.memory_mib * 256;
	int code;
	if (s == HV) {
		struct linux_opts lx = o->lx;
		char append[] = "console=hvc0 pvmmu.bench quiet";
		lx.append = append;
		code = linux_boot(&lx, &q, take, r);
	} else {
		q.kernel = o->lx.kernel;
		q.initrd = o->lx.initrd;
		q.xen = s == XEN;
		code = qemu_boot(&q, s == NATIVE, s == NATIVE ? "console=ttyS0 pvmmu.bench quiet" :
			       "console=hvc0 pvmmu.bench quiet", pages, take, r);
	}
	if (!r->done) {
		fprintf(stderr, "pvmmu: bench linux: the %s run ended without its results (QEMU status %d)\n",
			side_names[s], code);
		return 1;
	}
	return 0;
}

/* Per side the spread of its runs; per PV side its ratio to native, pair by
 * pair (each run against the native run of its round). */
struct op_summary {
	struct spread us[NR_SIDES], ratio[NR_SIDES];
};

static struct op_summary summarise(const struct opts *o, double t[NR_SIDES][NR_OPS][MAX_REPS], unsigned i)
{
	struct op_summary m = { 0 };
	for (unsigned s = 0; s < NR_SIDES; s++) {
		if (!o->side[s])
			continue;
		m.us[s] = spread_of(t[s][i], o->reps);
		if (s != NATIVE)
			m.ratio[s] = spread_of_ratios(t[s][i], t[NATIVE][i], o->reps);
	}
	return m;
}

/* forks against fork, run by run: how many times one fork loop's rate the
 * loops on every CPU reach together, on side (s). */
static struct spread scaling(const struct opts *o, double t[NR_SIDES][NR_OPS][MAX_REPS], enum side s)
{
	return spread_of_ratios(t[s][OP_FORK], t[s][OP_FORKS], o->reps);
}

static void print_scaling(const struct opts *o, double t[NR_SIDES][NR_OPS][MAX_REPS])
{
	printf("a fork loop on each of the %u CPUs at once: ", o->q.cpus ? o->q.cpus : 1);
	for (unsigned s = 0; s < NR_SIDES; s++) {
		if (!o->side[s])
			continue;
		struct spread m = scaling(o, t, s);
		printf("%s%.2fx (%.2f-%.2f) one loop's rate %s", s ? ", " : "", m.median, m.lo, m.hi,
		       s == NATIVE ? "natively" : s == HV ? "on hv" : "on Xen");
	}
	printf("\n");
}

static void print_table(const struct opts *o, double t[NR_SIDES][NR_OPS][MAX_REPS], const struct run *hv)
{
	printf("%-8s %-17s", "op", "lmbench");
	for (unsigned s = 0; s < NR_SIDES; s++)
		if (o->side[s])
			printf(" %10s", s == NATIVE ? "native us" : s == HV ? "hv us" : "xen us");
	printf(" %7s %-11s", "hv/nat", "spread");
	if (o->side[XEN])
		printf(" %7s %-11s", "xen/nat", "spread");
	printf(" %-12s %s\n", "target", "hv's work per op");
	for (unsigned i = 0; i < NR_OPS; i++) {
		struct op_summary m = summarise(o, t, i);
		printf("%-8s %-17s", ops[i].name, ops[i].lmbench);
		for (unsigned s = 0; s < NR_SIDES; s++)
			if (o->side[s])
				printf(" %10.2f", m.us[s].median);
		char spread[32];
		for (unsigned s = HV; s < NR_SIDES; s++) {
			if (!o->side[s])
				continue;
			snprintf(spread, sizeof(spread), "%.2f-%.2f", m.ratio[s].lo, m.ratio[s].hi);
			printf(" %6.2fx %-11s", m.ratio[s].median, spread);
		}
		char goal[32] = "-";
		if (ops[i].target > 0)
			snprintf(goal, sizeof(goal), "%.1fx %s", ops[i].target,
				 m.ratio[HV].median <= ops[i].target ? "met" : "MISSED");
		printf(" %-12s %s\n", goal, hv->counts[i]);
	}
	print_scaling(o, t);
	printf("(us: microseconds per operation inside the guest, boot: ms of the host's time to /init;\n"
	       "medians of %u runs per side in turns; a/nat: the median of the ratios of each run to the\n"
	       "native run of its round, spread: the lowest and highest of them; hv's work: counts per\n"
	       "operation of the last hv run, from hv's counters)\n", o->reps);
}

static void print_json(const struct opts *o, double t[NR_SIDES][NR_OPS][MAX_REPS], const struct run *hv)
{
	printf("{\"bench\":\"linux\",\"accel\":\"%s\",\"reps\":%u,\"kernel\":", o->q.accel, o->reps);
	json_string(stdout, o->lx.kernel);
	printf(",\"machine\":");
	json_machine(stdout);
	printf(",\"ops\":[");
	for (unsigned i = 0; i < NR_OPS; i++) {
		struct op_summary m = summarise(o, t, i);
		printf("%s{\"op\":\"%s\",\"lmbench\":\"%s\",\"unit\":\"%s\"", i ? "," : "", ops[i].name,
		       ops[i].lmbench, i ? "us" : "ms");
		for (unsigned s = 0; s < NR_SIDES; s++) {
			char name[32];
			if (!o->side[s])
				continue;
			json_spread(stdout, side_names[s], &m.us[s]);
			snprintf(name, sizeof(name), "%s_over_native", side_names[s]);
			if (s != NATIVE)
				json_spread(stdout, name, &m.ratio[s]);
		}
		if (ops[i].target > 0)
			printf(",\"target\":%.1f", ops[i].target);
		printf(",\"hv_work\":");
		json_string(stdout, hv->counts[i]);
		putchar('}');
	}
	printf("],\"scaling\":{\"cpus\":%u", o->q.cpus ? o->q.cpus : 1);
	for (unsigned s = 0; s < NR_SIDES; s++) {
		struct spread m = scaling(o, t, s);
		if (o->side[s])
			json_spread(stdout, side_names[s], &m);
	}
	printf("}}\n");
}

static void add_rows(const struct opts *o, double t[NR_SIDES][NR_OPS][MAX_REPS], const struct run *hv,
		     struct report *rep)
{
	for (unsigned i = 0; i < NR_OPS; i++) {
		struct op_summary m = summarise(o, t, i);
		for (unsigned s = 0; s < NR_SIDES; s++)
			if (o->side[s])
				report_time(rep, "linux", ops[i].name, ops[i].lmbench, side_names[s], i ? "us" : "ms",
					    m.us[s], 0);
		for (unsigned s = HV; s < NR_SIDES; s++)
			if (o->side[s])
				report_ratio(rep, "linux", ops[i].name, ops[i].lmbench, side_names[s], "native",
					     m.ratio[s], ops[i].target);
		if (hv->counts[i][0])
			report_work(rep, "linux", ops[i].name, hv->counts[i], -1);
	}
}

static int parse(int argc, char **argv, struct opts *o)
{
	const char *host = "qemu";
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(bench_linux_usage, stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
			i--;
			continue;
		} else if (!v) {
			return cli_usage(bench_linux_usage, "option needs a value, or is unknown");
		} else if (!strcmp(a, "--host")) {
			if (strcmp(v, "qemu") && strcmp(v, "all"))
				return cli_usage(bench_linux_usage, "--host is qemu or all");
			host = v;
		} else if (!strcmp(a, "--reps")) {
			if (!cli_number(v, &n) || n < 1 || n > MAX_REPS)
				return cli_usage(bench_linux_usage, "--reps needs a number from 1 to 20");
			o->reps = (unsigned)n;
		} else if (!strcmp(a, "--kernel") || !strcmp(a, "--initrd")) {
			char **to = a[2] == 'k' ? &o->lx.kernel : &o->lx.initrd;
			*to = (char *)v;
		} else if (!strcmp(a, "--memory")) {
			if (!cli_number(v, &o->lx.memory_mib) || o->lx.memory_mib < 64 || o->lx.memory_mib > 4096)
				return cli_usage(bench_linux_usage, "--memory takes MiB from 64 to 4096");
		} else if (!strcmp(a, "--timeout")) {
			if (!cli_number(v, &n) || n < 1 || n > 86400)
				return cli_usage(bench_linux_usage, "--timeout needs a number of seconds from 1 to 86400");
			o->q.timeout = (unsigned)n;
		} else if (!strcmp(a, "--accel")) {
			if (strcmp(v, "tcg") && strcmp(v, "kvm"))
				return cli_usage(bench_linux_usage, "--accel is tcg or kvm");
			o->q.accel = v;
		} else if (!strcmp(a, "--cpus")) {
			if (!cli_number(v, &n) || n < 1 || n > QEMU_MAX_CPUS)
				return cli_usage(bench_linux_usage, "--cpus needs a number from 1 to 8");
			o->q.cpus = (unsigned)n;
			o->lx.vcpus = n;
		} else {
			return cli_usage(bench_linux_usage, "unknown option");
		}
	}
	bool qemu, xen;
	if (qemu_choose_host("qemu", &qemu, &xen))
		return 2;
	o->side[NATIVE] = o->side[HV] = true;
	o->side[XEN] = !strcmp(host, "all");
	return -1;
}

/* The build's own kernel or initramfs: build/linux/NAME. */
static char *build_file(const char *name)
{
	char rel[64], path[4200];
	snprintf(rel, sizeof(rel), "linux/%s", name);
	build_path(path, sizeof(path), rel);
	return strdup(path);
}

int bench_linux(int argc, char **argv, struct report *rep)
{
	static double t[NR_SIDES][NR_OPS][MAX_REPS];
	struct opts o = { .reps = 3, .lx = { .memory_mib = 256, .vcpus = 1 },
			  .q = { .accel = "tcg", .timeout = 600 } };
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	char *kernel = o.lx.kernel ? NULL : build_file("vmlinuz"), *initrd = o.lx.initrd ? NULL : build_file("initramfs.cpio");
	o.lx.kernel = o.lx.kernel ? o.lx.kernel : kernel;
	o.lx.initrd = o.lx.initrd ? o.lx.initrd : initrd;
	if (access(o.lx.kernel, R_OK) || access(o.lx.initrd, R_OK)) {
		fprintf(stderr, "pvmmu: %s is missing: make linux fetches and builds it\n",
			access(o.lx.kernel, R_OK) ? o.lx.kernel : o.lx.initrd);
		free(kernel);
		free(initrd);
		return 1;
	}
	if (!o.json)
		printf("pvmmu bench linux: %s against native, %s, accelerator %s; median of %u runs each, in turns\n",
	       o.side[XEN] ? "PV on hv and on Xen 4.17 (dom0)" : "PV on hv", o.lx.kernel, o.q.accel, o.reps);
	struct run r, hv = { 0 };
	int status = 0;
	for (unsigned k = 0; k < o.reps && !status; k++) {
		for (unsigned i = 0; i < NR_SIDES && !status; i++) {
			enum side s = k % 2 ? NR_SIDES - 1 - i : i;
			if (!o.side[s])
				continue;
			status = run_side(&o, s, &r);
			for (unsigned j = 0; j < NR_OPS; j++)
				t[s][j][k] = r.us[j];
			if (s == HV)
				hv = r;
		}
	}
	if (!status && o.json)
		print_json(&o, t, &hv);
	else if (!status)
		print_table(&o, t, &hv);
	if (!status)
		add_rows(&o, t, &hv, rep);
	free(kernel);
	free(initrd);
	return status;
}

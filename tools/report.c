/* SPDX-License-Identifier: MIT */
/*
 * pvmmu bench report (theory in report.h): the core benchmark on the sim
 * host, the guest kernel's workloads and Debian's Linux on every host there
 * is, then report.json (every row and the machine), report.md (a table per
 * benchmark), report.svg (per-operation time by side) and report-ratio.svg
 * (PV over native by operation, with the targets), each with its spreads,
 * drawn by gnuplot from report-*.dat and report.gp, kept beside them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "json.h"
#include "qemu.h"
#include "report.h"

static void add(struct report *r, const struct report_row *row)
{
	if (!r)
		return;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->rows = realloc(r->rows, r->cap * sizeof(*r->rows));
		if (!r->rows)
			abort();
	}
	r->rows[r->n++] = *row;
}

static struct report_row row_of(enum row_kind kind, const char *bench, const char *op, const char *label)
{
	struct report_row row = { .kind = kind };
	snprintf(row.bench, sizeof(row.bench), "%s", bench);
	snprintf(row.op, sizeof(row.op), "%s", op);
	snprintf(row.label, sizeof(row.label), "%s", label ? label : "");
	return row;
}

void report_time(struct report *r, const char *bench, const char *op, const char *label,
		 const char *side, const char *unit, struct spread s, double target)
{
	struct report_row row = row_of(ROW_TIME, bench, op, label);
	snprintf(row.side, sizeof(row.side), "%s", side);
	snprintf(row.unit, sizeof(row.unit), "%s", unit);
	row.s = s;
	row.target = target;
	add(r, &row);
}

void report_ratio(struct report *r, const char *bench, const char *op, const char *label,
		  const char *top, const char *base, struct spread s, double target)
{
	struct report_row row = row_of(ROW_RATIO, bench, op, label);
	snprintf(row.side, sizeof(row.side), "%s/%s", top, base);
	snprintf(row.unit, sizeof(row.unit), "x");
	row.s = s;
	row.target = target;
	add(r, &row);
}

void report_work(struct report *r, const char *bench, const char *op, const char *work, double crossings)
{
	struct report_row row = row_of(ROW_WORK, bench, op, NULL);
	snprintf(row.work, sizeof(row.work), "%s", work);
	row.crossings = crossings;
	add(r, &row);
}

/* ---- the files ---- */

static const char *const kind_names[] = { "time", "ratio", "work" };
static const char *const benches[] = { "core", "guest", "linux" };
#define NR_BENCHES 3

static void write_json(FILE *f, const struct report *r)
{
	fputs("{\"machine\":", f);
	json_machine(f);
	fputs(",\n\"rows\":[", f);
	for (unsigned i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		fprintf(f, "%s\n{\"bench\":\"%s\",\"op\":\"%s\",\"kind\":\"%s\",\"label\":", i ? "," : "",
			w->bench, w->op, kind_names[w->kind]);
		json_string(f, w->label);
		if (w->kind == ROW_WORK) {
			fputs(",\"work\":", f);
			json_string(f, w->work);
			if (w->crossings >= 0)
				fprintf(f, ",\"crossings\":%.6g", w->crossings);
		} else {
			fprintf(f, ",\"side\":\"%s\",\"unit\":\"%s\",\"median\":%.6g,\"lo\":%.6g,\"hi\":%.6g",
				w->side, w->unit, w->s.median, w->s.lo, w->s.hi);
			if (w->target > 0)
				fprintf(f, ",\"target\":%g,\"met\":%s", w->target,
					w->s.median <= w->target ? "true" : "false");
		}
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* A number in as many digits as its size deserves. */
static void num(char *buf, size_t len, double x)
{
	snprintf(buf, len, x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.2f", x);
}

static void cell(FILE *f, const struct spread *s, const char *suffix)
{
	char m[32], lo[32], hi[32];
	num(m, sizeof(m), s->median);
	num(lo, sizeof(lo), s->lo);
	num(hi, sizeof(hi), s->hi);
	fprintf(f, " %s%s (%s-%s) |", m, suffix, lo, hi);
}

/* Add (v) to the list (out, *n of max) unless it is there. */
static void add_distinct(const char *out[], unsigned *n, unsigned max, const char *v)
{
	unsigned k = 0;
	while (k < *n && strcmp(out[k], v))
		k++;
	if (k == *n && *n < max)
		out[(*n)++] = v;
}

/* The operations (bench) measured, in the order they first appear. */
static unsigned ops_of(const struct report *r, const char *bench, const char *out[], unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].bench, bench) && r->rows[i].kind != ROW_WORK)
			add_distinct(out, &n, max, r->rows[i].op);
	return n;
}

/* The sides (times) or ratios (kind) of (bench) that (keep) keeps, in the
 * order they first appear. */
static unsigned sides_of(const struct report *r, const char *bench, enum row_kind kind,
			 bool (*keep)(const struct report_row *), const char *out[], unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		if (w->kind == kind && !strcmp(w->bench, bench) && (!keep || keep(w)))
			add_distinct(out, &n, max, w->side);
	}
	return n;
}

static const struct report_row *find(const struct report *r, const char *bench, const char *op,
				     enum row_kind kind, const char *side)
{
	for (unsigned i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		if (w->kind == kind && !strcmp(w->bench, bench) && !strcmp(w->op, op) &&
		    (!side || !strcmp(w->side, side)))
			return w;
	}
	return NULL;
}

static void md_target(FILE *f, const struct report *r, const char *bench, const char *op)
{
	bool first = true;
	for (unsigned i = 0; i < r->n; i++) {
		const struct report_row *w = &r->rows[i];
		if (w->target <= 0 || strcmp(w->bench, bench) || strcmp(w->op, op))
			continue;
		fprintf(f, "%s%s <= %g: %s", first ? " " : ", ", w->side, w->target,
			w->s.median <= w->target ? "met" : "**missed**");
		first = false;
	}
	fputs(" |", f);
}

#define MAX_COLS 16
#define MAX_OPS 32

static void md_bench(FILE *f, const struct report *r, const char *bench)
{
	const char *ops[MAX_OPS], *sides[MAX_COLS], *ratios[MAX_COLS];
	unsigned nops = ops_of(r, bench, ops, MAX_OPS);
	unsigned ns = sides_of(r, bench, ROW_TIME, NULL, sides, MAX_COLS);
	unsigned nr = sides_of(r, bench, ROW_RATIO, NULL, ratios, MAX_COLS);
	if (!nops)
		return;
	fprintf(f, "\n### %s\n\n| op | measure | unit |", bench);
	for (unsigned k = 0; k < ns; k++)
		fprintf(f, " %s |", sides[k]);
	for (unsigned k = 0; k < nr; k++)
		fprintf(f, " %s |", ratios[k]);
	fputs(" target | PV work per op |\n|---|---|---|", f);
	for (unsigned k = 0; k < ns + nr + 2; k++)
		fputs("---|", f);
	fputc('\n', f);
	for (unsigned i = 0; i < nops; i++) {
		const struct report_row *any = find(r, bench, ops[i], ROW_TIME, NULL);
		any = any ? any : find(r, bench, ops[i], ROW_RATIO, NULL);
		fprintf(f, "| %s | %s | %s |", ops[i], any->label, any->kind == ROW_TIME ? any->unit : "");
		for (unsigned k = 0; k < ns; k++) {
			const struct report_row *w = find(r, bench, ops[i], ROW_TIME, sides[k]);
			if (w)
				cell(f, &w->s, "");
			else
				fputs(" |", f);
		}
		for (unsigned k = 0; k < nr; k++) {
			const struct report_row *w = find(r, bench, ops[i], ROW_RATIO, ratios[k]);
			if (w)
				cell(f, &w->s, "x");
			else
				fputs(" |", f);
		}
		md_target(f, r, bench, ops[i]);
		const struct report_row *work = find(r, bench, ops[i], ROW_WORK, NULL);
		fprintf(f, " %s |\n", work ? work->work : "");
	}
}

/* What the crossings alone cost (bench guest): one crossing is what the
 * invlpg workload's PV run takes beyond its native run (one hypercall
 * against one instruction); an operation that enters the hypervisor n times
 * cannot take less than native + n crossings, whatever the hypervisor does
 * inside.  A target below that floor cannot be met on this accelerator. */
static void md_crossings(FILE *f, const struct report *r, const char *bench, const char *pv)
{
	const struct report_row *nat = find(r, bench, "invlpg", ROW_TIME, "native");
	const struct report_row *one = find(r, bench, "invlpg", ROW_TIME, pv);
	const char *ops[MAX_OPS];
	unsigned nops = ops_of(r, bench, ops, MAX_OPS);
	char ratio[40], cost[32];
	if (!nat || !one || one->s.median <= nat->s.median)
		return;
	double c = one->s.median - nat->s.median;
	num(cost, sizeof(cost), c);
	snprintf(ratio, sizeof(ratio), "%s/native", pv);
	fprintf(f, "\nWhat the crossings alone cost: one entry into %s and back takes %s us here (invlpg, "
		"%s less native); an operation cannot take less than native + its crossings x that.\n\n"
		"| op | crossings per op | native us | floor us | floor/native | target | %s |\n"
		"|---|---|---|---|---|---|---|\n", pv, cost, pv, ratio);
	for (unsigned i = 0; i < nops; i++) {
		const struct report_row *w = find(r, bench, ops[i], ROW_WORK, NULL);
		const struct report_row *n = find(r, bench, ops[i], ROW_TIME, "native");
		const struct report_row *q = find(r, bench, ops[i], ROW_RATIO, ratio);
		if (!w || !n || !q || w->crossings < 0 || !strcmp(ops[i], "invlpg"))
			continue;
		double floor = n->s.median + w->crossings * c;
		char a[32], b[32], d[32], t[32] = "";
		num(a, sizeof(a), w->crossings);
		num(b, sizeof(b), n->s.median);
		num(d, sizeof(d), floor);
		if (q->target > 0)
			snprintf(t, sizeof(t), "%g%s", q->target, floor / n->s.median > q->target ? ", below the floor" : "");
		fprintf(f, "| %s | %s | %s | %s | %.2fx | %s | %.2fx |\n", ops[i], a, b, d, floor / n->s.median, t,
			q->s.median);
	}
}

static void write_md(FILE *f, const struct report *r, const char *command)
{
	fprintf(f, "## pvmmu bench report\n\n`%s`; each cell is the median of the runs with the lowest "
		"and highest in brackets; a ratio is taken run by run against the run of the other side "
		"next to it, then its median.\n", command);
	for (unsigned b = 0; b < NR_BENCHES; b++) {
		md_bench(f, r, benches[b]);
		if (!strcmp(benches[b], "guest"))   /* a ring crossing: under QEMU only */
			md_crossings(f, r, "guest", "hv");
	}
}

/* Rows plotted: times in us, and ratios against native. */
static bool plotted(const struct report_row *w)
{
	size_t n = strlen(w->side);
	return w->kind == ROW_TIME ? !strcmp(w->unit, "us") : n > 7 && !strcmp(w->side + n - 7, "/native");
}

/* report-BENCH-KIND.dat: per operation, each column's (a side's, or a
 * ratio's) median, lowest and highest; for ratios then the target ("-":
 * none).  Returns the number of columns, 0 when there is nothing to plot. */
static unsigned write_dat(const char *path, const struct report *r, const char *bench, enum row_kind kind,
			  const char *cols[])
{
	const char *ops[MAX_OPS];
	unsigned nops = ops_of(r, bench, ops, MAX_OPS), rows = 0;
	unsigned nc = sides_of(r, bench, kind, plotted, cols, MAX_COLS);
	FILE *f = nc ? fopen(path, "w") : NULL;
	if (!f)
		return 0;
	for (unsigned i = 0; i < nops; i++) {
		double target = 0;
		bool any = false;
		for (unsigned k = 0; k < nc; k++)
			any |= find(r, bench, ops[i], kind, cols[k]) != NULL;
		if (!any)
			continue;
		fprintf(f, "\"%s\"", ops[i]);
		for (unsigned k = 0; k < nc; k++) {
			const struct report_row *w = find(r, bench, ops[i], kind, cols[k]);
			struct spread s = w ? w->s : (struct spread){ 0, 0, 0 };
			fprintf(f, " %g %g %g", s.median, s.lo, s.hi);
			target = w && w->target > 0 ? w->target : target;
		}
		if (kind == ROW_RATIO && target > 0)
			fprintf(f, " %g", target);
		else if (kind == ROW_RATIO)
			fputs(" -", f);
		fputc('\n', f);
		rows++;
	}
	fclose(f);
	return rows ? nc : 0;
}

static const char *const plot_titles[NR_BENCHES] = {
	NULL, "pvmmu's guest kernel, lmbench-style workloads",
	"Debian's Linux measuring itself (pvmmu-linux)",
};

/* One figure (report.svg: times; report-ratio.svg: ratios to native), a
 * panel per benchmark that has rows of (kind). */
static void plot_figure(FILE *f, const char *dir, const struct report *r, enum row_kind kind)
{
	char path[4400];
	const char *cols[NR_BENCHES][MAX_COLS];
	unsigned nc[NR_BENCHES] = { 0 }, panels = 0;
	const char *tag = kind == ROW_TIME ? "time" : "ratio";
	for (unsigned b = 1; b < NR_BENCHES; b++) {
		snprintf(path, sizeof(path), "%.4000s/report-%s-%s.dat", dir, benches[b], tag);
		nc[b] = write_dat(path, r, benches[b], kind, cols[b]);
		panels += nc[b] > 0;
	}
	if (!panels)
		return;
	fprintf(f, "set terminal svg size 1200,%u dynamic font 'sans,12' background '#ffffff'\n"
		"set output '%s'\nset multiplot layout %u,1\n%s\n", 400 * panels,
		kind == ROW_TIME ? "report.svg" : "report-ratio.svg", panels,
		kind == ROW_TIME ? "set logscale y\nset format y '%g'\nset ylabel 'us per operation (log scale)'"
				 : "set logscale y\nset yrange [0.5:*]\nset ytics (0.5, 1, 1.5, 2, 3, 5, 10, 20, 30, 50)\n"
				   "set ylabel 'PV / native (same run)'");
	for (unsigned b = 1; b < NR_BENCHES; b++) {
		if (!nc[b])
			continue;
		fprintf(f, "set title \"%s: %s (median, lowest-highest)\"\nplot", plot_titles[b],
			kind == ROW_TIME ? "time per operation" : "PV over native, run by run");
		for (unsigned k = 0; k < nc[b]; k++)
			fprintf(f, "%s 'report-%s-%s.dat' using %u:%u:%u%s title '%s'", k ? "," : "", benches[b], tag,
				2 + 3 * k, 3 + 3 * k, 4 + 3 * k, k ? "" : ":xtic(1)", cols[b][k]);
		if (kind == ROW_RATIO)
			fprintf(f, ", 'report-%s-%s.dat' using 0:%u with points pt 7 ps 1.2 lc rgb 'black' "
				"title 'target'", benches[b], tag, 2 + 3 * nc[b]);
		fputc('\n', f);
	}
	fputs("unset multiplot\n", f);
}

/* report.gp and the .dat files beside it; then gnuplot draws report.svg
 * and report-ratio.svg.  Returns 0 with the plots (or nothing to plot), 1
 * without them (said on stderr). */
static int write_plot(const char *dir, const struct report *r)
{
	char path[4400];
	snprintf(path, sizeof(path), "%.4000s/report.gp", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return 1;
	fputs("set datafile missing '-'\nset style data histograms\n"
	      "set style histogram errorbars gap 2 lw 1\nset style fill solid 0.7 border -1\n"
	      "set grid ytics\nset key top left\nset xtics nomirror\nset bars 0.5\n", f);
	plot_figure(f, dir, r, ROW_TIME);
	plot_figure(f, dir, r, ROW_RATIO);
	if (fclose(f))
		return 1;
	if (system("command -v gnuplot >/dev/null 2>&1")) {
		fprintf(stderr, "pvmmu: bench report: gnuplot is not installed (apt-get install gnuplot-nox): "
			"no plots (report.gp is written)\n");
		return 1;
	}
	snprintf(path, sizeof(path), "cd '%.4000s' && gnuplot report.gp", dir);
	return system(path) ? 1 : 0;
}

/* ---- the command ---- */

static const char report_usage[] =
	"usage: pvmmu bench report [--host sim|qemu|all] [--reps N] [--ops N] [--out DIR]\n"
	"\n"
	"Run every benchmark on every host this machine has (bench core; bench guest\n"
	"native, on hv and on Xen 4.17; bench linux when make linux has built it) and\n"
	"write DIR/report.json, DIR/report.md, and DIR/report.svg and\n"
	"DIR/report-ratio.svg (drawn by gnuplot).\n"
	"\n"
	"  --host H  sim: the core and the guest kernel on the simulator only; qemu:\n"
	"            native and hv; all (default with QEMU): native, hv and Xen 4.17\n"
	"  --reps N  runs per side of the guest and Linux benchmarks (default 5,\n"
	"            1..20); the core benchmark takes 4N+1\n"
	"  --ops N   operations per guest workload run (default: each workload's own)\n"
	"  --out DIR where the files go (default build/report)\n";

struct report_opts {
	const char *host, *out, *ops;
	char reps[16], core_reps[16];
};

static int parse(int argc, char **argv, struct report_opts *o)
{
	uint64_t n = 5;
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(report_usage, stdout);
			return 0;
		} else if (!v) {
			return cli_usage(report_usage, "option needs a value, or is unknown");
		} else if (!strcmp(a, "--host")) {
			if (strcmp(v, "sim") && strcmp(v, "qemu") && strcmp(v, "all"))
				return cli_usage(report_usage, "--host is sim, qemu or all");
			o->host = v;
		} else if (!strcmp(a, "--reps")) {
			if (!cli_number(v, &n) || n < 1 || n > 20)
				return cli_usage(report_usage, "--reps needs a number from 1 to 20");
		} else if (!strcmp(a, "--ops")) {
			uint64_t ops;
			if (!cli_number(v, &ops) || ops < 1 || ops > 1000000)
				return cli_usage(report_usage, "--ops needs a number from 1 to 1000000");
			o->ops = v;
		} else if (!strcmp(a, "--out")) {
			o->out = v;
		} else {
			return cli_usage(report_usage, "unknown option");
		}
	}
	snprintf(o->reps, sizeof(o->reps), "%u", (unsigned)n);
	snprintf(o->core_reps, sizeof(o->core_reps), "%u", 4 * (unsigned)n + 1);
	char xen[4096];
	if (!o->host && !qemu_installed())
		o->host = "sim";
	else if (!o->host)
		o->host = xen_image(xen, sizeof(xen)) ? "qemu" : "all";
	if (!strcmp(o->host, "all") && xen_image(xen, sizeof(xen)))
		return 1;
	return -1;
}

/* Run benchmark (fn) with the arguments (args, NULL-terminated), its
 * figures added to (rep). */
static int call(int (*fn)(int, char **, struct report *), struct report *rep, const char *const args[])
{
	char buf[8][64], *argv[9];
	int argc = 0;
	for (; args[argc] && argc < 8; argc++) {
		snprintf(buf[argc], sizeof(buf[argc]), "%s", args[argc]);
		argv[argc] = buf[argc];
	}
	argv[argc] = NULL;
	return fn(argc, argv, rep);
}

static int run_benches(const struct report_opts *o, struct report *rep)
{
	const char *const core[] = { "core", "--reps", o->core_reps, NULL };
	const char *const guest[] = { "guest", "--host", o->host, "--reps", o->reps, o->ops ? "--ops" : NULL,
				      o->ops, NULL };
	const char *const lx[] = { "linux", "--host", o->host, "--reps", o->reps, NULL };
	char kernel[4200];
	build_path(kernel, sizeof(kernel), "linux/vmlinuz");
	int status = call(bench_core, rep, core);
	putchar('\n');
	status |= call(bench_guest, rep, guest);
	if (!strcmp(o->host, "sim"))
		return status;
	putchar('\n');
	if (access(kernel, R_OK) == 0)
		status |= call(bench_linux, rep, lx);
	else
		printf("pvmmu bench report: Debian's Linux SKIPPED: %s is missing (make linux fetches it)\n", kernel);
	return status;
}

int bench_report(int argc, char **argv)
{
	struct report_opts o = { 0 };
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	char dir[4096];
	if (o.out) {
		snprintf(dir, sizeof(dir), "%s", o.out);
	} else {
		build_path(dir, sizeof(dir), "report");
	}
	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "pvmmu: bench report: cannot make %s: %s\n", dir, strerror(errno));
		return 1;
	}
	struct report rep = { 0 };
	int status = run_benches(&o, &rep);
	char path[4200], command[256];
	snprintf(command, sizeof(command), "pvmmu bench report --host %s --reps %s%s%s", o.host, o.reps,
		 o.ops ? " --ops " : "", o.ops ? o.ops : "");
	snprintf(path, sizeof(path), "%s/report.json", dir);
	FILE *f = fopen(path, "w");
	if (f) {
		write_json(f, &rep);
		status |= fclose(f) ? 1 : 0;
	}
	snprintf(path, sizeof(path), "%s/report.md", dir);
	FILE *m = fopen(path, "w");
	if (m) {
		write_md(m, &rep, command);
		status |= fclose(m) ? 1 : 0;
	}
	status |= !f || !m;
	int plot = write_plot(dir, &rep);
	printf("\npvmmu bench report: %s/report.json, report.md%s (%u rows)\n", dir,
	       plot ? "; no plots" : ", report.svg, report-ratio.svg", rep.n);
	free(rep.rows);
	return status ? 1 : 0;
}

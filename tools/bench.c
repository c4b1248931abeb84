/* SPDX-License-Identifier: MIT */
/*
 * pvmmu bench core: the speed of the hypervisor core on the sim host.
 *
 *  batch      ns per entry of a 512-entry mmu_update batch mapping data
 *             frames writable into an empty L1 (and of the batch that
 *             unmaps them), issued through the hypercall entry;
 *  pin/unpin  pin and unpin of an L4 whose tree maps 1 GiB with 4 KiB pages
 *             (512 L1 tables, 262144 writable data frames, frames in the
 *             domain builder's shuffled order), which validates and
 *             devalidates the whole tree, in bounded slices (continuations
 *             included; the unpin's queued devalidation is finished by one
 *             more, cheap, hypercall, counted in);
 *  read pass  a plain read of every byte of those 515 tables, the fastest
 *             of five made just before each pin (the tables then warm in
 *             the caches for the pin as for the read), the yardstick each
 *             pin + unpin is divided by, run by run;
 *  locked     the same pin and unpin in shared count mode, every count
 *             change a CAS, to show what the exclusive count mode buys;
 *  contiguous the same with the domain's frames in machine order, as an
 *             allocator hands out a fresh domain's memory (the headline
 *             figure keeps them shuffled: every frame word a cache miss).
 * Each figure is the median of the repetitions, with the lowest and highest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/hypercall.h"
#include "../sim/sim.h"
#include "cli.h"
#include "json.h"
#include "report.h"
#include "stats.h"

#define BATCH 512
#define TREE_L1S 512
#define TREE_DATA (TREE_L1S * PT_ENTRIES)

static uint64_t bench_budget; /* work per hypercall slice; 0: core's default */

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void host_write(mfn_t table, unsigned slot, uint64_t e)
{
	atomic_store(&((_Atomic uint64_t *)env_frame(table))[slot], e);
}

static long ext(struct vcpu *v, unsigned cmd, mfn_t mfn)
{
	static struct mmuext_op op;
	sim_guest_region(&op, sizeof(op));
	op = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = mfn_x(mfn) };
	return sim_hypercall(v, HYPERVISOR_mmuext_op,
			 (uint64_t[6]){ (uint64_t)(uintptr_t)&op, 1, 0, DOMID_SELF });
}

/* Build L4 (pfn 0) -> L3 (1) -> L2 (2) -> (nl1) L1s (3..) mapping data
 * frames from pfn 3 + nl1, writable, in the domain's frames. */
static void build_tree(struct sim_domain *sd, unsigned nl1, unsigned per_l1)
{
	mfn_t *p = sd->p2m;
	host_write(p[0], 0, pte_make(p[1], PTE_P | PTE_RW | PTE_US));
	host_write(p[1], 0, pte_make(p[2], PTE_P | PTE_RW | PTE_US));
	for (unsigned i = 0; i < nl1; i++) {
		host_write(p[2], i, pte_make(p[3 + i], PTE_P | PTE_RW | PTE_US));
		for (unsigned j = 0; j < per_l1; j++)
			host_write(p[3 + i], j, pte_make(p[3 + nl1 + i * PT_ENTRIES + j],
							 PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D));
	}
}

struct tree_results {
	struct spread pin_ms, unpin_ms, read_us, ratio;
};

struct results {
	struct spread map_ns, unmap_ns;
	struct tree_results tree, locked, contiguous;
	unsigned reps;
};

static int bench_batch(struct results *res, unsigned reps)
{
	struct sim *s = sim_create(&(struct sim_options){ .frames = 8192, .seed = 1 });
	struct sim_domain *sd = s ? sim_domain_create(s, 3 + 1 + BATCH, 1) : NULL;
	static struct mmu_update map[BATCH], unmap[BATCH];
	double *tm = calloc(reps, sizeof(double)), *tu = calloc(reps, sizeof(double));
	int rc = 1;

	if (!sd)
		goto out;
	struct vcpu *v = sd->vcpus[0].v;
	build_tree(sd, 1, 0);
	if (ext(v, MMUEXT_PIN_L4_TABLE, sd->p2m[0]))
		goto out;
	sim_guest_region(map, sizeof(map));
	sim_guest_region(unmap, sizeof(unmap));
	uint64_t l1 = mfn_x(sd->p2m[3]) << PAGE_SHIFT;
	for (unsigned i = 0; i < BATCH; i++) {
		map[i] = (struct mmu_update){ l1 + i * 8, pte_make(sd->p2m[4 + i], PTE_P | PTE_RW | PTE_US) };
		unmap[i] = (struct mmu_update){ l1 + i * 8, 0 };
	}
	for (unsigned r = 0; r <= reps; r++) {     /* round 0 untimed, to warm up */
		double t0 = now_ns();
		long a = sim_hypercall(v, HYPERVISOR_mmu_update, (uint64_t[6]){ (uintptr_t)map, BATCH, 0, DOMID_SELF });
		double t1 = now_ns();
		long b = sim_hypercall(v, HYPERVISOR_mmu_update, (uint64_t[6]){ (uintptr_t)unmap, BATCH, 0, DOMID_SELF });
		double t2 = now_ns();
		if (a || b)
			goto out;
		if (r == 0)
			continue;
		tm[r - 1] = (t1 - t0) / BATCH;
		tu[r - 1] = (t2 - t1) / BATCH;
	}
	res->map_ns = spread_of(tm, reps);
	res->unmap_ns = spread_of(tu, reps);
	rc = 0;
out:
	free(tm);
	free(tu);
	if (s)
		sim_destroy(s);
	return rc;
}

/* One pass reading every word of the tables into one running sum, one add
 * after the other: the least a walk that looks at each entry in turn does.
 * The chain of adds, not the loads, sets its pace (about a cycle an entry,
 * the tables warm in the caches), so the yardstick does not move with the
 * memory traffic of the machine's other tenants, nor with where the loop
 * lands in the binary (eight adds a turn leave the front end idle).  The
 * empty asm keeps the compiler from splitting the chain into vectors. */
static double read_once(struct sim_domain *sd)
{
	volatile uint64_t sink;
	uint64_t sum = 0;
	double t0 = now_ns();
	for (unsigned f = 0; f < 3 + TREE_L1S; f++) {
		const uint64_t *t = env_frame(sd->p2m[f]);
		for (unsigned i = 0; i < PT_ENTRIES; i += 8)
#pragma GCC unroll 8
			for (unsigned k = 0; k < 8; k++) {
				sum += t[i + k];
				__asm__("" : "+r"(sum));
			}
	}
	sink = sum;
	(void)sink;
	return now_ns() - t0;
}

/* The floor: the fastest of five passes in a row. */
static double read_pass(struct sim_domain *sd)
{
	double best = read_once(sd);
	for (unsigned k = 0; k < 4; k++) {
		double t = read_once(sd);
		best = t < best ? t : best;
	}
	return best;
}

/* Pin and unpin the 1 GiB tree (reps) times, each next to a read pass; the
 * ratio is taken per repetition, then its median.  With (locked), shared
 * count mode: every count change is a CAS.
 * With (contiguous), the domain's frames are in machine order, as an
 * allocator hands out a fresh domain's memory, instead of shuffled. */
static int bench_tree(struct tree_results *res, unsigned reps, bool locked, bool contiguous)
{
	uint64_t frames = 3 + TREE_L1S + TREE_DATA;
	struct sim *s = sim_create(&(struct sim_options){ .frames = frames + 2048, .seed = 1,
							  .contiguous = contiguous });
	struct sim_domain *sd = s ? sim_domain_create(s, frames, 1) : NULL;
	double *tp = calloc(reps, sizeof(double)), *tu = calloc(reps, sizeof(double));
	double *tr = calloc(reps, sizeof(double)), *tpu = calloc(reps, sizeof(double));
	int rc = 1;

	if (!sd)
		goto out;
	s->m->shared_validation = locked;
	s->m->preempt_budget = bench_budget;
	struct vcpu *v = sd->vcpus[0].v;
	build_tree(sd, TREE_L1S, PT_ENTRIES);
	/* one untimed round first: the host maps the frame table's pages and
	 * the caches fill once, not in the first timed run */
	if (ext(v, MMUEXT_PIN_L4_TABLE, sd->p2m[0]) || ext(v, MMUEXT_UNPIN_TABLE, sd->p2m[0]) ||
	    ext(v, MMUEXT_TLB_FLUSH_LOCAL, _mfn(0)))
		goto out;
	for (unsigned r = 0; r < reps; r++) {
		tr[r] = read_pass(sd);
		double t0 = now_ns();
		long a = ext(v, MMUEXT_PIN_L4_TABLE, sd->p2m[0]);
		double t1 = now_ns();
		/* the unpin returns with devalidation queued beyond its budget;
		 * the next hypercall finishes it first: count that in */
		long b = ext(v, MMUEXT_UNPIN_TABLE, sd->p2m[0]) | ext(v, MMUEXT_TLB_FLUSH_LOCAL, _mfn(0));
		double t2 = now_ns();
		if (a || b)
			goto out;
		tp[r] = (t1 - t0) / 1e6;
		tu[r] = (t2 - t1) / 1e6;
		tpu[r] = tp[r] + tu[r];
		tr[r] /= 1e3;
	}
	res->pin_ms = spread_of(tp, reps);
	res->unpin_ms = spread_of(tu, reps);
	res->read_us = spread_of(tr, reps);
	res->ratio = spread_of_ratios(tpu, tr, reps);
	res->ratio.median *= 1e3, res->ratio.lo *= 1e3, res->ratio.hi *= 1e3;  /* ms over us */
	rc = 0;
out:
	free(tp);
	free(tu);
	free(tr);
	free(tpu);
	if (s)
		sim_destroy(s);
	return rc;
}

/* The figures, in the order they are printed: what, the unit, the target
 * (the most it may be; 0: none). */
struct figure {
	const char *op, *label, *unit;
	const struct spread *s;
	double target;
};

#define NR_FIGURES 14

static void figures(const struct results *r, struct figure f[NR_FIGURES])
{
	const struct figure all[NR_FIGURES] = {
		{ "batch-map", "mmu_update batch of 512 L1 entries: map", "ns/entry", &r->map_ns, 15 },
		{ "batch-unmap", "mmu_update batch of 512 L1 entries: unmap", "ns/entry", &r->unmap_ns, 15 },
		{ "pin", "pin L4 of a 1 GiB address space (4 KiB pages)", "ms", &r->tree.pin_ms, 0 },
		{ "unpin", "unpin it", "ms", &r->tree.unpin_ms, 0 },
		{ "read", "plain read pass over its 515 tables", "us", &r->tree.read_us, 0 },
		{ "pin-unpin/read", "(pin + unpin) / read pass", "x", &r->tree.ratio, 8 },
		{ "locked-pin", "pin, in shared mode: one CAS per count change", "ms", &r->locked.pin_ms, 0 },
		{ "locked-unpin", "unpin, the same", "ms", &r->locked.unpin_ms, 0 },
		{ "locked-read", "read pass, the same", "us", &r->locked.read_us, 0 },
		{ "locked/read", "(pin + unpin) / read pass, the same", "x", &r->locked.ratio, 0 },
		{ "contig-pin", "pin, the frames contiguous", "ms", &r->contiguous.pin_ms, 0 },
		{ "contig-unpin", "unpin, the frames contiguous", "ms", &r->contiguous.unpin_ms, 0 },
		{ "contig-read", "read pass, the frames contiguous", "us", &r->contiguous.read_us, 0 },
		{ "contig/read", "(pin + unpin) / read pass, contiguous", "x", &r->contiguous.ratio, 8 },
	};
	memcpy(f, all, sizeof(all));
}

static void print_table(const struct results *r)
{
	struct figure f[NR_FIGURES];
	figures(r, f);
	printf("pvmmu bench core (sim host, median of %u runs, lowest-highest)\n\n", r->reps);
	for (unsigned i = 0; i < NR_FIGURES; i++) {
		char goal[32] = "";
		if (f[i].target > 0)
			snprintf(goal, sizeof(goal), "target %g: %s", f[i].target,
				 f[i].s->median <= f[i].target ? "met" : "MISSED");
		printf("  %-48s %9.3f %-8s %9.3f-%-9.3f %s\n", f[i].label, f[i].s->median, f[i].unit, f[i].s->lo,
		       f[i].s->hi, goal);
	}
}

static void print_json(const struct results *r)
{
	struct figure f[NR_FIGURES];
	figures(r, f);
	printf("{\"host\":\"sim\",\"reps\":%u,\"machine\":", r->reps);
	json_machine(stdout);
	for (unsigned i = 0; i < NR_FIGURES; i++) {
		printf(",\"%s\":{\"unit\":\"%s\",\"median\":%.6g,\"lo\":%.6g,\"hi\":%.6g", f[i].op,
		       f[i].unit, f[i].s->median, f[i].s->lo, f[i].s->hi);
		if (f[i].target > 0)
			printf(",\"target\":%g", f[i].target);
		putchar('}');
	}
	printf("}\n");
}

static void add_rows(const struct results *r, struct report *rep)
{
	struct figure f[NR_FIGURES];
	figures(r, f);
	for (unsigned i = 0; i < NR_FIGURES; i++)
		report_time(rep, "core", f[i].op, f[i].label, "sim", f[i].unit, *f[i].s, f[i].target);
}

static const char bench_usage[] =
	"usage: pvmmu bench core [--json] [--reps N] [--budget N]\n"
	"       pvmmu bench guest ... (pvmmu bench guest --help)\n"
	"       pvmmu bench linux ... (pvmmu bench linux --help)\n"
	"       pvmmu bench smp ... (pvmmu bench smp --help)\n"
	"       pvmmu bench report ... (pvmmu bench report --help)\n"
	"\n"
	"Measure the hypervisor core on the sim host: ns per entry of a 512-entry\n"
	"mmu_update batch, and pin + unpin of a 1 GiB address space as a ratio to a\n"
	"plain read pass over the same pagetable bytes, measured next to it, run by run.\n"
	"\n"
	"  --json     one JSON object instead of the table, with the machine\n"
	"  --reps N   repetitions, the median is reported (default 11, 1..1000)\n"
	"  --budget N entries of work per hypercall slice (default: the core's, 65536)\n";

int bench_core(int argc, char **argv, struct report *rep)
{
	struct results r = { .reps = 11 };
	bool json = false;

	for (int i = 1; i < argc; i++) {
		uint64_t n;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(bench_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--reps")) {
			if (i + 1 == argc || !cli_number(argv[++i], &n) || n < 1 || n > 1000)
				return cli_usage(bench_usage, "--reps needs a number from 1 to 1000");
			r.reps = (unsigned)n;
		} else if (!strcmp(argv[i], "--budget")) {
			if (i + 1 == argc || !cli_number(argv[++i], &n) || n < 1 || n > (1ull << 40))
				return cli_usage(bench_usage, "--budget needs a number from 1 to 2^40");
			bench_budget = n;
		} else {
			return cli_usage(bench_usage, "unknown argument");
		}
	}
	if (bench_batch(&r, r.reps) || bench_tree(&r.tree, r.reps, false, false) ||
	    bench_tree(&r.locked, r.reps, true, false) ||
	    bench_tree(&r.contiguous, r.reps, false, true)) {
		fprintf(stderr, "pvmmu: bench: a hypercall failed\n");
		return 1;
	}
	if (json)
		print_json(&r);
	else
		print_table(&r);
	add_rows(&r, rep);
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv, struct report *rep);
	} kinds[] = { { "core", bench_core }, { "guest", bench_guest }, { "linux", bench_linux },
		      { "smp", bench_smp } };
	if (argc > 1 && !strcmp(argv[1], "report"))
		return bench_report(argc - 1, argv + 1);
	for (unsigned i = 0; argc > 1 && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(argv[1], kinds[i].name))
			return kinds[i].fn(argc - 1, argv + 1, NULL);
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(bench_usage, stdout);
		return 0;
	}
	return cli_usage(bench_usage, argc > 1 ? "unknown benchmark (core, guest, linux, smp or report)"
					       : "which benchmark? (core, guest, linux, smp or report)");
}

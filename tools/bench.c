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
 *  read pass  a plain read of every byte of those 515 tables, next to each
 *             pin and unpin, the yardstick their time is divided by;
 *  locked     the same pin and unpin with every count change a CAS and no
 *             bulk path, to show what the exclusive count mode buys;
 *  contiguous the same with the domain's frames in machine order, as an
 *             allocator hands out a fresh domain's memory (the headline
 *             figure keeps them shuffled: every frame word a cache miss).
 * Each figure is the median of the repetitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/hypercall.h"
#include "../sim/sim.h"
#include "cli.h"

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
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
	double pin_ms, unpin_ms, read_us, ratio;
};

struct results {
	double map_ns, unmap_ns;
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
	for (unsigned r = 0; r < reps; r++) {
		double t0 = now_ns();
		long a = sim_hypercall(v, HYPERVISOR_mmu_update, (uint64_t[6]){ (uintptr_t)map, BATCH, 0, DOMID_SELF });
		double t1 = now_ns();
		long b = sim_hypercall(v, HYPERVISOR_mmu_update, (uint64_t[6]){ (uintptr_t)unmap, BATCH, 0, DOMID_SELF });
		double t2 = now_ns();
		if (a || b)
			goto out;
		tm[r] = (t1 - t0) / BATCH;
		tu[r] = (t2 - t1) / BATCH;
	}
	res->map_ns = median(tm, reps);
	res->unmap_ns = median(tu, reps);
	rc = 0;
out:
	free(tm);
	free(tu);
	if (s)
		sim_destroy(s);
	return rc;
}

static double read_pass(struct sim_domain *sd)
{
	volatile uint64_t sink;
	uint64_t sum = 0;
	double t0 = now_ns();
	for (unsigned f = 0; f < 3 + TREE_L1S; f++) {
		const uint64_t *t = env_frame(sd->p2m[f]);
		for (unsigned i = 0; i < PT_ENTRIES; i++)
			sum += t[i];
	}
	sink = sum;
	(void)sink;
	return now_ns() - t0;
}

/* Pin and unpin the 1 GiB tree (reps) times, each next to a read pass; the
 * ratio is taken per repetition, then its median.  With (locked), every
 * count change is a CAS and the bulk path is off: the design's yardstick.
 * With (contiguous), the domain's frames are in machine order, as an
 * allocator hands out a fresh domain's memory, instead of shuffled. */
static int bench_tree(struct tree_results *res, unsigned reps, bool locked, bool contiguous)
{
	uint64_t frames = 3 + TREE_L1S + TREE_DATA;
	struct sim *s = sim_create(&(struct sim_options){ .frames = frames + 2048, .seed = 1,
							  .contiguous = contiguous });
	struct sim_domain *sd = s ? sim_domain_create(s, frames, 1) : NULL;
	double *tp = calloc(reps, sizeof(double)), *tu = calloc(reps, sizeof(double));
	double *tr = calloc(reps, sizeof(double)), *ratio = calloc(reps, sizeof(double));
	int rc = 1;

	if (!sd)
		goto out;
	s->m->locked_counts = locked;
	s->m->preempt_budget = bench_budget;
	struct vcpu *v = sd->vcpus[0].v;
	build_tree(sd, TREE_L1S, PT_ENTRIES);
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
		tp[r] = t1 - t0;
		tu[r] = t2 - t1;
		ratio[r] = (tp[r] + tu[r]) / tr[r];
	}
	res->pin_ms = median(tp, reps) / 1e6;
	res->unpin_ms = median(tu, reps) / 1e6;
	res->read_us = median(tr, reps) / 1e3;
	res->ratio = median(ratio, reps);
	rc = 0;
out:
	free(tp);
	free(tu);
	free(tr);
	free(ratio);
	if (s)
		sim_destroy(s);
	return rc;
}

static void print_table(const struct results *r)
{
	printf("pvmmu bench core (sim host, median of %u runs)\n\n", r->reps);
	printf("  %-50s %10.1f ns/entry\n", "mmu_update batch of 512 L1 entries: map", r->map_ns);
	printf("  %-50s %10.1f ns/entry\n", "mmu_update batch of 512 L1 entries: unmap", r->unmap_ns);
	printf("  %-50s %10.3f ms\n", "pin L4 of a 1 GiB address space (4 KiB pages)", r->tree.pin_ms);
	printf("  %-50s %10.3f ms\n", "unpin it", r->tree.unpin_ms);
	printf("  %-50s %10.1f us\n", "plain read pass over its 515 tables", r->tree.read_us);
	printf("  %-50s %10.1f x\n", "(pin + unpin) / read pass", r->tree.ratio);
	printf("\n  for comparison, one CAS per count change and no bulk path:\n");
	printf("  %-50s %10.3f ms\n", "pin", r->locked.pin_ms);
	printf("  %-50s %10.3f ms\n", "unpin", r->locked.unpin_ms);
	printf("  %-50s %10.1f x\n", "(pin + unpin) / read pass", r->locked.ratio);
	printf("\n  the same address space with its frames contiguous, not shuffled:\n");
	printf("  %-50s %10.3f ms\n", "pin", r->contiguous.pin_ms);
	printf("  %-50s %10.3f ms\n", "unpin", r->contiguous.unpin_ms);
	printf("  %-50s %10.1f us\n", "read pass", r->contiguous.read_us);
	printf("  %-50s %10.1f x\n", "(pin + unpin) / read pass", r->contiguous.ratio);
}

static void print_json(const struct results *r)
{
	printf("{\"host\":\"sim\",\"reps\":%u,\"batch_map_ns_per_entry\":%.2f,"
	       "\"batch_unmap_ns_per_entry\":%.2f,\"pin_1gib_ms\":%.4f,\"unpin_1gib_ms\":%.4f,"
	       "\"read_pass_us\":%.2f,\"pin_unpin_over_read\":%.2f,"
	       "\"locked_pin_1gib_ms\":%.4f,\"locked_unpin_1gib_ms\":%.4f,"
	       "\"locked_pin_unpin_over_read\":%.2f,\"contiguous_pin_1gib_ms\":%.4f,"
	       "\"contiguous_unpin_1gib_ms\":%.4f,\"contiguous_read_pass_us\":%.2f,"
	       "\"contiguous_pin_unpin_over_read\":%.2f}\n",
	       r->reps, r->map_ns, r->unmap_ns, r->tree.pin_ms, r->tree.unpin_ms, r->tree.read_us,
	       r->tree.ratio, r->locked.pin_ms, r->locked.unpin_ms, r->locked.ratio,
	       r->contiguous.pin_ms, r->contiguous.unpin_ms, r->contiguous.read_us, r->contiguous.ratio);
}

static const char bench_usage[] =
	"usage: pvmmu bench core [--json] [--reps N]\n"
	"       pvmmu bench guest ... (pvmmu bench guest --help)\n"
	"       pvmmu bench linux ... (pvmmu bench linux --help)\n"
	"\n"
	"Measure the hypervisor core on the sim host: ns per entry of a 512-entry\n"
	"mmu_update batch, and pin + unpin of a 1 GiB address space as a ratio to a\n"
	"plain read pass over the same pagetable bytes, measured in the same run.\n"
	"\n"
	"  --json     one JSON object instead of the table\n"
	"  --reps N   repetitions, the median is reported (default 11, 1..1000)\n"
	"  --budget N entries of work per hypercall slice (default: the core's, 65536)\n";

int cmd_bench(int argc, char **argv)
{
	struct results r = { .reps = 11 };
	bool json = false, core = false;
	if (argc > 1 && !strcmp(argv[1], "guest"))
		return bench_guest(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "linux"))
		return bench_linux(argc - 1, argv + 1);

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
		} else if (!strcmp(argv[i], "core")) {
			core = true;
		} else {
			return cli_usage(bench_usage, "unknown argument");
		}
	}
	if (!core)
		return cli_usage(bench_usage, "which benchmark? (core, guest or linux)");
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
	return 0;
}

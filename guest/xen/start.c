/* SPDX-License-Identifier: MIT */
/*
 * Start of day on hv: check what the builder left (Xen's start_info), take
 * our traps and the shared info page, boot the kernel on the pv backend and
 * run what the command line asks:
 *
 *   workload=NAME [mode=pv|nobatch] [ops=N]   one workload, measured
 *   attack=NAME                               a hostile mode (attacks.c)
 *
 * A workload prints one line the pvmmu tool reads:
 *   pvmmu-result workload=... mode=... ops=N cycles=N hypercalls=N ...
 * with the counts of the measured loop only, as the sim host counts them,
 * then powers off; any failure crashes the domain instead.
 */
#include "../os/workloads.h"
#include "xen.h"

/* The value of "key=" on the command line, or NULL. */
static const char *arg(const char *cmdline, const char *key)
{
	for (const char *p = cmdline; *p; p++) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		const char *k = key, *q = p;
		while (*k && *q == *k)
			k++, q++;
		if (!*k)
			return q;
	}
	return NULL;
}

static uint64_t number(const char *v, uint64_t dflt)
{
	uint64_t n = 0;
	if (!v || *v < '0' || *v > '9')
		return dflt;
	for (; *v >= '0' && *v <= '9'; v++)
		n = n * 10 + (uint64_t)(*v - '0');
	return n;
}

static uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

struct counts {
	uint64_t v[8];   /* hypercalls, mc_entries, validated, pins, unpins, flushes, emulated, faults */
};
static const char *const count_names[8] = { "hypercalls", "mc_entries", "validated", "pins",
					    "unpins", "flushes", "emulated", "faults" };

static void read_counts(struct counts *c)
{
	static struct pvmmu_stats s;
	if (xen_hypercall(HYPERVISOR_pvmmu_stats, (uint64_t)(uintptr_t)&s, 1, 0, 0, 0) != 1)
		hostif_panic("pvmmu_stats refused");
	uint64_t v[8] = { mmu_stats[0].hypercalls, mmu_stats[0].mc_entries, s.validated, s.pins,
			  s.unpins, s.flushes, s.emulated, xen_fixups };
	for (unsigned i = 0; i < 8; i++)
		c->v[i] = v[i];
}

static void run_workload(const struct start_info *si, const char *cmdline)
{
	const char *name = arg(cmdline, "workload="), *mode = arg(cmdline, "mode=");
	const struct workload *w = NULL;
	for (unsigned i = 0; name && i < nr_workloads && !w; i++)
		if (xen_word_is(name, workloads[i].name))
			w = &workloads[i];
	if (!w)
		hostif_panic("no such workload (workload=NAME on the command line)");
	bool batching = !mode || xen_word_is(mode, "pv");
	if (mode && !batching && !xen_word_is(mode, "nobatch"))
		hostif_panic("mode must be pv or nobatch on hv");
	if (w->vcpus > si->nr_vcpus) {
		xen_puts("pvmmu-result workload=");
		xen_puts(w->name);
		xen_puts(" skipped: it needs more vCPUs than hv gives a guest (1)\n");
		xen_shutdown(SHUTDOWN_poweroff);
	}
	unsigned ops = (unsigned)number(arg(cmdline, "ops="), w->default_ops);
	kernel_boot(si, &pv_mmu_ops, batching);
	uint64_t free_after_boot = palloc_nr_free();
	w->setup(ops);
	struct counts before, after;
	read_counts(&before);
	uint64_t t0 = tsc();
	w->run(0, ops);
	uint64_t t1 = tsc();
	read_counts(&after);
	w->teardown();
	proc_idle();
	bool leak_free = palloc_nr_free() == free_after_boot && proc_count() == 0;
	xen_puts("pvmmu-result workload=");
	xen_puts(w->name);
	xen_puts(batching ? " mode=pv " : " mode=nobatch ");
	xen_put_kv("ops", ops);
	xen_put_kv("cycles", t1 - t0);
	for (unsigned i = 0; i < 8; i++)
		xen_put_kv(count_names[i], after.v[i] - before.v[i]);
	xen_put_kv("leak_free", leak_free);
	xen_puts("\n");
	if (!leak_free)
		hostif_panic("frames leaked");
}

void xen_start(const struct xen_start_info *xsi);

void xen_start(const struct xen_start_info *xsi)
{
	static struct start_info si;
	extern const char xen_entry[];
	uint64_t base = (uint64_t)(uintptr_t)xen_entry & ~((4ull << 20) - 1);
	for (unsigned i = 0; XEN_START_MAGIC[i]; i++)
		if (xsi->magic[i] != XEN_START_MAGIC[i])
			xen_shutdown(SHUTDOWN_crash);
	xen_traps_init(xsi->shared_info);
	if (base != DIRECT_BASE || xsi->pt_base < base || xsi->mfn_list < base)
		hostif_panic("the builder did not map us at our direct map's base");
	si.nr_pages = xsi->nr_pages;
	si.p2m = (const uint64_t *)(uintptr_t)xsi->mfn_list;
	si.pt_base_pfn = (xsi->pt_base - base) >> PAGE_SHIFT;
	si.nr_pt_frames = xsi->nr_pt_frames;
	/* xen.h's contract: the boot stack page follows the tables, and the
	 * mapping runs on to a 4 MiB boundary with 512 KiB to spare */
	si.first_free_pfn = si.pt_base_pfn + si.nr_pt_frames + 1;
	si.mapped_pfns = (si.first_free_pfn + 128 + 1023) / 1024 * 1024;
	si.nr_vcpus = 1;
	const char *cmdline = xsi->cmd_line;
	const char *attack = arg(cmdline, "attack=");
	if (attack) {
		kernel_boot(&si, &pv_mmu_ops, true);
		if (xen_attacks(attack, &si))
			hostif_panic("no such attack mode");
		xen_shutdown(SHUTDOWN_poweroff);
	}
	run_workload(&si, cmdline);
	xen_shutdown(SHUTDOWN_poweroff);
}

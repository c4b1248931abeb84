/* SPDX-License-Identifier: MIT */
/*
 * One workload, run and measured the way the sim host does it: boot the
 * kernel, the workload's setup, then the measured loop between two reads
 * of the TSC and of the counts, then teardown and a leak check.  The
 * result is one line on the console, which the pvmmu tool reads.
 */
#include <stdatomic.h>
#include "../os/workloads.h"
#include "x86.h"

void x86_put_u64(uint64_t n)
{
	char b[24];
	int i = 23;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	x86_puts(b + i);
}

void x86_put_kv(const char *key, uint64_t n)
{
	x86_puts(key);
	x86_puts("=");
	x86_put_u64(n);
	x86_puts(" ");
}

const char *x86_arg(const char *cmdline, const char *key)
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
	for (; *v >= '0' && *v <= '9' && n < (1ull << 40); v++)
		n = n * 10 + (uint64_t)(*v - '0');
	return n;
}

uint64_t x86_arg_number(const char *cmdline, const char *key, uint64_t dflt)
{
	return number(x86_arg(cmdline, key), dflt);
}

unsigned x86_vcpus(const char *cmdline)
{
	uint64_t n = x86_arg_number(cmdline, "vcpus=", 1);
	return n >= 1 && n <= MAX_GUEST_VCPUS ? (unsigned)n : 0;
}

static uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define NR_COUNTS 9
static const char *const count_names[NR_COUNTS] = { "hypercalls", "mc_entries", "validated", "pins",
						    "unpins", "flushes", "emulated", "flush_ipis",
						    "faults" };

/* The counts now; false if the hypervisor's own (v[2..7]) are not there. */
static bool read_counts(uint64_t v[NR_COUNTS], unsigned n)
{
	v[0] = v[1] = v[8] = 0;
	for (unsigned k = 0; k < n; k++) {
		v[0] += mmu_stats[k].hypercalls;
		v[1] += mmu_stats[k].mc_entries;
		v[8] += mmu_stats[k].faults;
	}
	return x86_hv_counts(&v[2], n);
}

/* The measured run on every vCPU: the first sets it going, the others
 * wait for it, and the first waits for all to finish. */
static const struct workload *running;
static unsigned running_ops;
static _Atomic unsigned go, done;

void (*x86_secondary_main)(void);

_Noreturn void x86_secondary(void)
{
	if (x86_secondary_main) {
		x86_secondary_main();
		x86_vcpu_down();
	}
	while (!atomic_load(&go))
		__builtin_ia32_pause();
	running->run(hostif_vcpu(), running_ops);
	atomic_fetch_add(&done, 1);
	x86_vcpu_down();
}

static void run_everywhere(const struct workload *w, unsigned ops)
{
	running = w;
	running_ops = ops;
	atomic_store(&go, 1);
	w->run(0, ops);
	atomic_fetch_add(&done, 1);
	while (atomic_load(&done) < w->vcpus)
		__builtin_ia32_pause();
}

const struct workload *x86_workload(const char *name)
{
	for (unsigned i = 0; name && i < nr_workloads; i++)
		if (x86_word_is(name, workloads[i].name))
			return &workloads[i];
	return NULL;
}

static const char *mode_of(const char *mode, bool native)
{
	if (native && (!mode || x86_word_is(mode, "native")))
		return "native";
	if (!native && (!mode || x86_word_is(mode, "pv")))
		return "pv";
	if (!native && x86_word_is(mode, "nobatch"))
		return "nobatch";
	hostif_panic(native ? "mode must be native on the native image" : "mode must be pv or nobatch on hv");
}

static void print_result(const struct workload *w, const char *mode, unsigned ops, uint64_t cycles,
			 const uint64_t before[NR_COUNTS], const uint64_t after[NR_COUNTS], bool hv_counts,
			 bool leak_free)
{
	x86_puts("pvmmu-result workload=");
	x86_puts(w->name);
	x86_puts(" mode=");
	x86_puts(mode);
	x86_puts(" ");
	x86_put_kv("ops", ops);
	x86_put_kv("cycles", cycles);
	for (unsigned i = 0; i < NR_COUNTS; i++)
		x86_put_kv(count_names[i], after[i] - before[i]);
	x86_put_kv("hv_counts", hv_counts);
	x86_put_kv("leak_free", leak_free);
	x86_puts("\n");
}

void x86_run_workload(const struct start_info *si, const char *cmdline, bool native)
{
	const struct workload *w = x86_workload(x86_arg(cmdline, "workload="));
	if (!w)
		hostif_panic("no such workload (workload=NAME on the command line)");
	const char *mode = mode_of(x86_arg(cmdline, "mode="), native);
	if (w->vcpus > si->nr_vcpus) {
		x86_puts("pvmmu-result workload=");
		x86_puts(w->name);
		x86_puts(" skipped: it needs more vCPUs than the command line gives (vcpus=N)\n");
		return;
	}
	unsigned ops = (unsigned)number(x86_arg(cmdline, "ops="), w->default_ops);
	kernel_boot(si, native ? &native_mmu_ops : &pv_mmu_ops, mode[0] == 'p');
	uint64_t free_after_boot = palloc_nr_free();
	w->setup(ops);
	if (w->vcpus > 1) {
		x86_smp = true;
		x86_kicks_start(w->vcpus);
		x86_start_vcpus(w->vcpus, pfn_to_mfn(kernel_mm.pgd));
	}
	uint64_t before[NR_COUNTS], after[NR_COUNTS];
	read_counts(before, w->vcpus);
	uint64_t t0 = tsc();
	run_everywhere(w, ops);
	uint64_t t1 = tsc();
	bool hv_counts = read_counts(after, w->vcpus);
	workload_teardown(w);
	bool leak_free = palloc_nr_free() == free_after_boot && proc_count() == 0;
	print_result(w, mode, ops * w->vcpus, t1 - t0, before, after, hv_counts, leak_free);
	if (!leak_free)
		hostif_panic("frames leaked");
}

/* SPDX-License-Identifier: MIT */
/*
 * Stress (attack=NAME beside=WORKLOAD, vcpus=8): one vCPU hostile while
 * others work.  vCPU 0 sets the workload up, lets go of every space it
 * loaded, and starts it on vCPUs STRESS_FIRST and up (as many as the
 * workload asks for), which run it with no end, each operation checking
 * its own result (a failure panics the domain).  vCPU 0 then runs the
 * hostile modes (vCPU 1 helping, 2 to 5 theirs, as in any attack run), and
 * at the end crashes the domain with an exception on a stack hv cannot
 * use, the workload still running on the other CPUs: hv must stop those
 * vCPUs wherever they are, and audit clean before and after it destroys
 * the domain.  hv audits every AUDIT_PERIOD_MS meanwhile (the tool asks for
 * audit=periodic).  Our one line: "pvmmu-stress workload=NAME
 * hypercalls=N", what the workload's vCPUs made while the modes ran.
 */
#include "../os/workloads.h"
#include "xen.h"

#define STRESS_FIRST 6u
#define STRESS_OPS   (1u << 30)      /* more than a run can do before the crash */

static const struct workload *beside;

int xen_stress_start(const char *name, const struct start_info *si)
{
	const struct workload *w = x86_workload(name);
	if (!w || !w->steady || STRESS_FIRST + w->vcpus > si->nr_vcpus)
		return -1;
	beside = w;
	w->setup(STRESS_OPS);
	proc_idle();            /* vCPU 0 keeps none of the workload's spaces: none asks it to drop one */
	for (unsigned k = 0; k < w->vcpus; k++)
		xen_start_vcpu(STRESS_FIRST + k, pfn_to_mfn(kernel_mm.pgd));
	return 0;
}

bool xen_stress_vcpu(void)
{
	unsigned me = hostif_vcpu();
	if (!beside || me < STRESS_FIRST)
		return false;
	beside->run(me - STRESS_FIRST, STRESS_OPS);
	hostif_panic("the stress workload came to an end");
}

static uint64_t workload_hypercalls(void)
{
	uint64_t n = 0;
	for (unsigned k = 0; k < beside->vcpus; k++)
		n += mmu_stats[STRESS_FIRST + k].hypercalls;
	return n;
}

_Noreturn void xen_stress_crash(void)
{
	uint64_t during = workload_hypercalls();
	x86_puts("pvmmu-stress workload=");
	x86_puts(beside->name);
	x86_puts(" ");
	x86_put_kv("hypercalls", during);
	x86_puts("\n");
	/* crash only once the workload is seen running, mid-operation */
	while (workload_hypercalls() < during + 100)
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	x86_puts("pvmmu-stress: the domain crashes now, its workload running on other vCPUs\n");
	__asm__ volatile("mov $0x1000, %%rsp\n\tud2" ::: "memory");
	__builtin_unreachable();
}

/* SPDX-License-Identifier: MIT */
/*
 * vcpu-churn (attacks.h): what a guest with several vCPUs may do to the
 * others, each answered as Xen answers it, and none may stall another CPU:
 * vCPU 1 taken down and brought up again 200 times while it runs a job
 * that counts; TLB flushes of every vCPU a mask can name (absent ones and
 * ones that are down included); 10000 events sent to vCPU 1, whose upcall
 * stays masked, so it never takes them.  After each, vCPU 1 must still run.
 */
#include "attacks.h"

#define ROUNDS 200
#define SENDS  10000

static _Atomic uint64_t counted;
static _Atomic bool stop;

static void count(void)
{
	while (!atomic_load(&stop))
		atomic_fetch_add(&counted, 1);
}

/* Does vCPU 1 count on?  We yield meanwhile, for a run on one CPU. */
static bool counts_on(void)
{
	uint64_t from = atomic_load(&counted);
	for (unsigned i = 0; i < 100000 && atomic_load(&counted) < from + 1000; i++)
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	return atomic_load(&counted) >= from + 1000;
}

static long flush_multi(unsigned cmd, const uint64_t *mask)
{
	static struct mmuext_op op;
	op = (struct mmuext_op){ .cmd = cmd, .arg1.linear_addr = (uintptr_t)victim,
				 .arg2.vcpumask = (uintptr_t)mask };
	return xen_hypercall(HYPERVISOR_mmuext_op, (uintptr_t)&op, 1, 0, DOMID_SELF, 0);
}

/* Events sent to vCPU 1 with its upcall masked: never taken. */
static void unheard_events(void)
{
	static uint32_t ipi[2], port[1];
	volatile struct vcpu_info *vi = &xen_shared_info()->vcpu_info[1];
	vi->evtchn_upcall_mask = 1;
	ipi[0] = 1;
	expect("bind_ipi to vCPU 1", xen_evtchn_op(EVTCHNOP_bind_ipi, ipi), 0);
	port[0] = ipi[1];
	expect("unmask it", xen_evtchn_op(EVTCHNOP_unmask, port), 0);
	long rc = 0;
	for (unsigned i = 0; i < SENDS && !rc; i++)
		rc = xen_evtchn_op(EVTCHNOP_send, port);
	expect("10000 sends to vCPU 1, which never takes them: each answered 0", rc, 0);
	expect("... its upcall pending, and it counts on", vi->evtchn_upcall_pending == 1 && counts_on(), 1);
	expect("close the port", xen_evtchn_op(EVTCHNOP_close, port), 0);
	vi->evtchn_upcall_pending = 0;
}

void vcpu_churn(void)
{
	static const uint64_t all = ~0ull, down = 0x3cull;         /* vCPUs 2-5: down in attack runs */
	atomic_store(&stop, false);
	attack_on_secondary(count);
	expect("vCPU 1 counts", counts_on(), 1);
	long rc = 0;
	for (unsigned i = 0; i < ROUNDS && !rc; i++)
		rc = vcpu_op(VCPUOP_down, 1, NULL) | vcpu_op(VCPUOP_up, 1, NULL);
	expect("200 rounds of VCPUOP_down and VCPUOP_up of vCPU 1 as it runs: each answered 0", rc, 0);
	expect("... vCPU 1 is up and counts on", vcpu_op(VCPUOP_is_up, 1, NULL) == 1 && counts_on(), 1);
	expect("TLB_FLUSH_MULTI of every vCPU a mask names, absent ones too", flush_multi(MMUEXT_TLB_FLUSH_MULTI, &all),
	       0);
	expect("INVLPG_MULTI of the same", flush_multi(MMUEXT_INVLPG_MULTI, &all), 0);
	expect("TLB_FLUSH_MULTI of vCPUs that are down", flush_multi(MMUEXT_TLB_FLUSH_MULTI, &down), 0);
	expect("... vCPU 1 counts on", counts_on(), 1);
	unheard_events();
	atomic_store(&stop, true);
	attack_wait_secondary();
}

/* SPDX-License-Identifier: MIT */
/*
 * Start of day on hv: check what the builder left (Xen's start_info), take
 * our traps and the shared info page, boot the kernel on the pv backend and
 * run what the command line asks:
 *
 *   workload=NAME [mode=pv|nobatch] [ops=N]   one workload (../x86/run.c)
 *   attack=NAME [beside=WORKLOAD]             a hostile mode (attacks.h), with a
 *                                             workload beside it (stress.c)
 *   abi=NAME                                  ABI rules, one group (abi.c)
 *   scenario=1                                the scenario program in our image (scenario.c)
 *   fuzz=SEED [ops=N]                         hv fuzzed from inside (fuzz.c)
 *
 * then power off; any failure crashes the domain instead.
 */
#include "../os/kernel.h"
#include "xen.h"

void xen_start(const struct xen_start_info *xsi);

bool xen_dom0;
uint64_t xen_console_mfn;

void xen_start(const struct xen_start_info *xsi)
{
	static struct start_info si;
	extern const char xen_entry[];
	uint64_t base = (uint64_t)(uintptr_t)xen_entry & ~((4ull << 20) - 1);
	for (unsigned i = 0; XEN_START_MAGIC[i]; i++)
		if (xsi->magic[i] != XEN_START_MAGIC[i])
			xen_shutdown(SHUTDOWN_crash);
	xen_traps_init(xsi->shared_info);
	xen_dom0 = xsi->flags & SIF_INITDOMAIN;
	xen_console_mfn = xen_dom0 ? 0 : xsi->console.mfn;
	if (base != DIRECT_BASE || xsi->pt_base < base || xsi->mfn_list < base)
		hostif_panic("the builder did not map us at our direct map's base");
	si.nr_pages = xsi->nr_pages;
	si.p2m = (uint64_t *)(uintptr_t)xsi->mfn_list;
	si.pt_base_pfn = (xsi->pt_base - base) >> PAGE_SHIFT;
	si.nr_pt_frames = xsi->nr_pt_frames;
	/* xen.h's contract: the boot stack page follows the tables, and the
	 * mapping runs on to a 4 MiB boundary with 512 KiB to spare */
	si.first_free_pfn = si.pt_base_pfn + si.nr_pt_frames + 1;
	si.mapped_pfns = (si.first_free_pfn + 128 + 1023) / 1024 * 1024;
	const char *cmdline = xsi->cmd_line;
	si.nr_vcpus = x86_vcpus(cmdline);
	if (!si.nr_vcpus)
		hostif_panic("vcpus= out of range (hv should have refused it)");
	const char *attack = x86_arg(cmdline, "attack="), *abi = x86_arg(cmdline, "abi=");
	if (x86_arg(cmdline, "fuzz=")) {
		kernel_boot(&si, &pv_mmu_ops, true);
		if (xen_fuzz(cmdline, &si))
			hostif_panic("fuzz=SEED needs vcpus=4");
		xen_shutdown(SHUTDOWN_poweroff);
	}
	if (x86_arg(cmdline, "scenario=")) {
		kernel_boot(&si, &pv_mmu_ops, true);
		if (xen_scenario(&si))
			hostif_panic("no scenario program in the image, or too few vCPUs");
		xen_shutdown(SHUTDOWN_poweroff);
	}
	if (attack || abi) {
		kernel_boot(&si, &pv_mmu_ops, true);
		unsigned cpus = (unsigned)x86_arg_number(cmdline, "cpus=", 1);
		if (xen_attacks(attack ? attack : abi, &si, !attack, cpus, x86_arg(cmdline, "beside=")))
			hostif_panic(attack ? "no such attack mode, or beside= names no workload this domain's "
					      "vCPUs can run beside it" : "no such ABI group");
		xen_shutdown(SHUTDOWN_poweroff);
	}
	x86_run_workload(&si, cmdline, false);
	xen_shutdown(SHUTDOWN_poweroff);
}

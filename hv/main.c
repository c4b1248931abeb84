/* SPDX-License-Identifier: MIT */
/*
 * hv_main: from the PVH entry to the guest, in this order.  The command
 * line (QEMU's -append) is hv's options, then " -- " and the guest's
 * command line; without " -- " the guest is given the whole line (the
 * project's own guest reads its workload from it).  hv's options:
 * "pages=N", the guest's memory in 4 KiB pages; "vcpus=N" (default 1);
 * "initrd_offset=N initrd_size=N", where in the boot module the initrd
 * is (bytes; the kernel's ELF image comes first); "audit=each",
 * "audit=periodic" and "timer=off" (hv.h).  The boot module is the first (QEMU's -initrd).
 */
#include "hv.h"

_Noreturn void hv_main(uint64_t start_info);

enum hv_audit_when hv_audit_when;

/* hv's options (the line up to " -- ") into (opts); the guest's command
 * line (after it, or the whole line without one). */
static const char *split_cmdline(const char *line, char *opts, size_t len)
{
	size_t n = 0;
	for (; line[n]; n++) {
		bool sep = (n == 0 || line[n - 1] == ' ') && line[n] == '-' && line[n + 1] == '-' &&
			   (line[n + 2] == ' ' || !line[n + 2]);
		if (sep)
			break;
	}
	size_t keep = n < len ? n : len - 1;
	memcpy(opts, line, keep);
	opts[keep] = 0;
	if (!line[n])
		return line;
	return line[n + 2] ? line + n + 3 : line + n + 2;
}

_Noreturn void hv_main(uint64_t start_info)
{
	console_init();
	printk("pvmmu hv: booting (PVH)\n");
	cpu_init();
	uint64_t khz = pc_tsc_khz();
	printk("hv: tsc %lu kHz\n", khz);
	time_init(khz);
	hv_hypercalls_init();
	mem_init((const struct hvm_start_info *)(uintptr_t)start_info);
	const struct hvm_start_info *si = maddr_virt(start_info);
	mem_reserve_holes(si);
	smp_init(si->rsdp_paddr);
	pci_scan();
	const char *cmdline = si->cmdline_paddr ? maddr_virt(si->cmdline_paddr) : "";
	printk("hv: %lu MiB of machine memory, command line \"%s\"\n",
	       machine.nr_frames * PAGE_SIZE >> 20, cmdline);
	if (si->nr_modules < 1) {
		printk("hv: no guest image: pass one as the first module (qemu -initrd guest.elf)\n");
		pc_exit(EXIT_GUEST);
	}
	const struct hvm_modlist_entry *mod = maddr_virt(si->modlist_paddr);
	char opts[1024];
	const char *guest_cmdline = split_cmdline(cmdline, opts, sizeof(opts));
	uint64_t pages = pc_arg_number(opts, "pages=", 16384);
	uint64_t vcpus = pc_arg_number(opts, "vcpus=", 1);
	uint64_t initrd_offset = pc_arg_number(opts, "initrd_offset=", 0);
	uint64_t initrd_size = pc_arg_number(opts, "initrd_size=", 0);
	hv_audit_when = pc_arg_word(opts, "audit=each")       ? AUDIT_EACH
			: pc_arg_word(opts, "audit=periodic") ? AUDIT_PERIODIC
							      : AUDIT_AT_END;
	sched_no_timer = pc_arg_word(opts, "timer=off");
	if (initrd_offset == PC_ARG_BAD || initrd_size == PC_ARG_BAD) {
		printk("hv: initrd_offset= and initrd_size= take numbers of bytes\n");
		pc_exit(EXIT_GUEST);
	}
	if (vcpus < 1 || vcpus > MAX_VCPUS) {
		printk("hv: vcpus= takes a number from 1 to %u\n", MAX_VCPUS);
		pc_exit(EXIT_GUEST);
	}
	if (pages < 1 || pages >= machine.nr_frames) {
		printk("hv: pages= takes a number from 1 to %lu (the machine's frames, less one)\n",
		       machine.nr_frames - 1);
		pc_exit(EXIT_GUEST);
	}
	struct regs r;
	struct domain_request q = { .module = mod->paddr, .module_len = mod->size,
				    .initrd_offset = initrd_offset, .initrd_len = initrd_size,
				    .nr_pages = pages, .nr_vcpus = (unsigned)vcpus, .cmdline = guest_cmdline };
	xenstore_init();
	struct domain *d = build_domain(&q, &r);
	if (!d)
		pc_exit(EXIT_GUEST);
	this_cpu()->cur = &d->vcpus[0];
	sched_start(this_vcpu());
	cpu_enter_guest(&r);
}

/* core's invariants: a broken one is ours, never the guest's. */
_Noreturn void env_panic(const char *file, int line, const char *what)
{
	printk("hv: invariant broken at %s:%d: %s\n", file, line, what);
	hv_backtrace((uint64_t)(uintptr_t)__builtin_frame_address(0));
	pc_exit(EXIT_HV);
}

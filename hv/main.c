/* SPDX-License-Identifier: MIT */
/*
 * hv_main: from the PVH entry to the guest, in this order.  The command line (QEMU's
 * -append) is given to the guest whole; we read "pages=N" from it, the
 * guest's memory in 4 KiB pages, "vcpus=N" (default 1), "audit=each" and
 * "timer=off" (hv.h).  The guest image is the first boot module
 * (QEMU's -initrd).
 */
#include "hv.h"

_Noreturn void hv_main(uint64_t start_info);

bool hv_audit_each;

_Noreturn void hv_main(uint64_t start_info)
{
	console_init();
	printk("pvmmu hv: booting (PVH)\n");
	cpu_init();
	printk("hv: tsc %lu kHz\n", pc_tsc_khz());
	hv_hypercalls_init();
	mem_init((const struct hvm_start_info *)(uintptr_t)start_info);
	const struct hvm_start_info *si = maddr_virt(start_info);
	mem_reserve_holes(si);
	const char *cmdline = si->cmdline_paddr ? maddr_virt(si->cmdline_paddr) : "";
	printk("hv: %lu MiB of machine memory, command line \"%s\"\n",
	       machine.nr_frames * PAGE_SIZE >> 20, cmdline);
	if (si->nr_modules < 1) {
		printk("hv: no guest image: pass one as the first module (qemu -initrd guest.elf)\n");
		pc_exit(EXIT_GUEST);
	}
	const struct hvm_modlist_entry *mod = maddr_virt(si->modlist_paddr);
	uint64_t pages = pc_arg_number(cmdline, "pages=", 16384);
	uint64_t vcpus = pc_arg_number(cmdline, "vcpus=", 1);
	hv_audit_each = pc_arg_word(cmdline, "audit=each");
	sched_no_timer = pc_arg_word(cmdline, "timer=off");
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
	struct domain *d = build_domain(mod->paddr, mod->size, pages, (unsigned)vcpus, cmdline, &r);
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

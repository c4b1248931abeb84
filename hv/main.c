/* SPDX-License-Identifier: MIT */
/*
 * hv_main: from the PVH entry to the guest.  The command line (QEMU's
 * -append) is given to the guest whole; we read "pages=N" from it, the
 * guest's memory in 4 KiB pages.  The guest image is the first boot module
 * (QEMU's -initrd).
 */
#include "hv.h"

static uint64_t arg_number(const char *cmdline, const char *key, uint64_t dflt)
{
	size_t k = strlen(key);
	for (const char *p = cmdline; *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || memcmp(p, key, k))
			continue;
		uint64_t n = 0;
		const char *q = p + k;
		for (; *q >= '0' && *q <= '9' && n < (1ull << 40); q++)
			n = n * 10 + (uint64_t)(*q - '0');
		return q != p + k && (*q == ' ' || !*q) ? n : dflt;
	}
	return dflt;
}

/* The TSC's rate, against 10 ms of the PIT's channel 2 (1193182 Hz). */
static uint64_t tsc_khz(void)
{
	const unsigned count = 11932;
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));     /* gate on, speaker off */
	outb(0x43, 0xb0);                                       /* channel 2, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	uint64_t t0 = rdtsc();
	for (unsigned spin = 0; spin < 100000000 && !(inb(0x61) & 0x20); spin++)
		;
	return (rdtsc() - t0) / 10;
}

_Noreturn void hv_main(uint64_t start_info);

_Noreturn void hv_main(uint64_t start_info)
{
	console_init();
	printk("pvmmu hv: booting (PVH)\n");
	cpu_init();
	printk("hv: tsc %lu kHz\n", tsc_khz());
	mem_init((const struct hvm_start_info *)(uintptr_t)start_info);
	const struct hvm_start_info *si = maddr_virt(start_info);
	mem_reserve_holes(si);
	const char *cmdline = si->cmdline_paddr ? maddr_virt(si->cmdline_paddr) : "";
	printk("hv: %lu MiB of machine memory, command line \"%s\"\n",
	       machine.nr_frames * PAGE_SIZE >> 20, cmdline);
	if (si->nr_modules < 1) {
		printk("hv: no guest image: pass one as the first module (qemu -initrd guest.elf)\n");
		hv_exit(EXIT_GUEST);
	}
	const struct hvm_modlist_entry *mod = maddr_virt(si->modlist_paddr);
	uint64_t pages = arg_number(cmdline, "pages=", 16384);
	struct regs r;
	struct domain *d = build_domain(mod->paddr, mod->size, pages, cmdline, &r);
	if (!d)
		hv_exit(EXIT_GUEST);
	pcpu0.cur = &d->vcpus[0];
	mem_load_root(d->vcpus[0].kernel_root);
	cpu_enter_guest(&r);
}

/* core's invariants: a broken one is ours, never the guest's. */
_Noreturn void env_panic(const char *file, int line, const char *what)
{
	printk("hv: invariant broken at %s:%d: %s\n", file, line, what);
	hv_backtrace((uint64_t)(uintptr_t)__builtin_frame_address(0));
	hv_exit(EXIT_HV);
}

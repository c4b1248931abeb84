/* SPDX-License-Identifier: MIT */
/*
 * Start of day without a hypervisor.  We play the domain builder for
 * ourselves and leave what guest/os/boot.c expects, so the kernel boots the
 * same way it does on hv and on the sim:
 *
 *   pfn = mfn (the machine's own frame numbers); pfns below the end of our
 *   image are the firmware's and ours, the rest up to pages=N are free;
 *   after the image: the initial L4, the L3 and L2 of the direct map (slot
 *   272, DIRECT_BASE) and the L1s that map pfns 0 .. mapped_pfns-1 (text
 *   read-only and executable, the rest writable and NX); then the tables of
 *   the m2p at MACH2PHYS_VIRT_START (slot 256, read-only, as Xen maps it for
 *   its guests) and the m2p itself, which for pfn = mfn is the p2m as well.
 *
 * We check the loader's start info and that pages=N fits in RAM, switch to
 * these tables, run the workload the command line names and power off.
 */
#include "../mmu/mmu.h"
#include "native.h"

#define PHYS_BASE 0x100000ull
#define TABLE     (PTE_P | PTE_RW | PTE_A)
#define TEXT      (PTE_P | PTE_A)
#define M2P       (PTE_P | PTE_A | PTE_NX)

struct layout {
	uint64_t nr_pages;
	uint64_t l4, l3, l2, l1, nl1;          /* the direct map's tables */
	uint64_t m2p_l3, m2p_l2, m2p_l1, m2p_nl1;
	uint64_t m2p, m2p_frames;
	uint64_t first_free, mapped;
};

static uint64_t *frame(uint64_t pfn)
{
	return (uint64_t *)(uintptr_t)(DIRECT_BASE + (pfn << PAGE_SHIFT));
}

static uint64_t pfn_of(const void *p)
{
	return ((uint64_t)(uintptr_t)p - DIRECT_BASE) >> PAGE_SHIFT;
}

/* Frames in order from the end of the image; the initial mapping runs on
 * to a 4 MiB boundary with 512 KiB to spare, as the PV builder's does. */
static void plan(struct layout *l, uint64_t nr_pages)
{
	extern const char native_end[];
	l->nr_pages = nr_pages;
	l->m2p_frames = (nr_pages * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	l->m2p_nl1 = (l->m2p_frames + PT_ENTRIES - 1) / PT_ENTRIES;
	l->nl1 = 0;
	for (uint64_t was = ~0ull; was != l->nl1;) {
		was = l->nl1;
		l->l4 = pfn_of(native_end);
		l->l3 = l->l4 + 1;
		l->l2 = l->l3 + 1;
		l->l1 = l->l2 + 1;
		l->m2p_l3 = l->l1 + l->nl1;
		l->m2p_l2 = l->m2p_l3 + 1;
		l->m2p_l1 = l->m2p_l2 + 1;
		l->m2p = l->m2p_l1 + l->m2p_nl1;
		l->first_free = l->m2p + l->m2p_frames;
		l->mapped = (l->first_free + 128 + 1023) / 1024 * 1024;
		l->nl1 = l->mapped / PT_ENTRIES;
	}
}

static void clear(uint64_t pfn, uint64_t n)
{
	memset(frame(pfn), 0, n * PAGE_SIZE);
}

/* Map frames (first) .. (first + n - 1) with (flags) from the start of
 * what L4 slot (slot) covers: through an L3 (l3), an L2 (l2) and the
 * consecutive L1s from (l1). */
static void map_frames(const struct layout *l, unsigned slot, uint64_t l3, uint64_t l2, uint64_t l1,
		       uint64_t first, uint64_t n, uint64_t flags)
{
	frame(l->l4)[slot] = (l3 << PAGE_SHIFT) | TABLE;
	frame(l3)[0] = (l2 << PAGE_SHIFT) | TABLE;
	for (uint64_t i = 0; i < n; i++) {
		if (i % PT_ENTRIES == 0)
			frame(l2)[i / PT_ENTRIES] = ((l1 + i / PT_ENTRIES) << PAGE_SHIFT) | TABLE;
		frame(l1)[i] = ((first + i) << PAGE_SHIFT) | flags;
	}
}

static void build(const struct layout *l)
{
	extern const char native_text_start[], native_text_end[];
	clear(l->l4, l->first_free - l->l4);
	map_frames(l, KERNEL_L4_SLOT, l->l3, l->l2, l->l1, 0, l->mapped, KERNEL_RW);
	for (uint64_t pfn = pfn_of(native_text_start); pfn < pfn_of(native_text_end); pfn++)
		frame(l->l1)[pfn] = (pfn << PAGE_SHIFT) | TEXT;
	map_frames(l, HV_L4_FIRST_SLOT, l->m2p_l3, l->m2p_l2, l->m2p_l1, l->m2p, l->m2p_frames, M2P);
	for (uint64_t pfn = 0; pfn < l->nr_pages; pfn++)
		frame(l->m2p)[pfn] = pfn;
}

/* Is [lo, hi) inside one RAM range of the loader's memory map? */
static bool ram_covers(const struct hvm_start_info *si, uint64_t lo, uint64_t hi)
{
	const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	for (unsigned i = 0; i < si->memmap_entries; i++)
		if (e[i].type == XEN_HVM_MEMMAP_TYPE_RAM && e[i].addr <= lo && e[i].addr + e[i].size >= hi)
			return true;
	return false;
}

_Noreturn void native_main(uint64_t start_info);

_Noreturn void native_main(uint64_t start_info)
{
	static char cmdline[MAX_GUEST_CMDLINE];
	static struct layout l;
	console_init();
	printk("pvmmu native: booting (PVH)\n");
	printk("native: tsc %lu kHz\n", pc_tsc_khz());
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info;
	if (si->magic != XEN_HVM_START_MAGIC || si->version < 1 || !si->memmap_entries) {
		printk("native: the loader's start info is missing or has no memory map\n");
		pc_exit(1);
	}
	const char *line = si->cmdline_paddr ? (const char *)(uintptr_t)si->cmdline_paddr : "";
	for (size_t i = 0; i + 1 < sizeof(cmdline) && line[i]; i++)
		cmdline[i] = line[i];
	uint64_t pages = pc_arg_number(cmdline, "pages=", 16384);
	plan(&l, pages);
	printk("native: %lu MiB for the kernel, command line \"%s\"\n", pages >> 8, cmdline);
	if (pages > PT_ENTRIES * PT_ENTRIES || pages < l.mapped ||
	    !ram_covers(si, PHYS_BASE, pages << PAGE_SHIFT)) {
		printk("native: pages=%lu does not fit: it must cover our first %lu frames, stay within "
		       "the direct map's 1 GiB and within RAM\n", pages, l.mapped);
		pc_exit(1);
	}
	if (!x86_vcpus(cmdline)) {
		printk("native: vcpus= takes 1 to %u\n", MAX_GUEST_VCPUS);
		pc_exit(1);
	}
	build(&l);
	native_smp_boot(si->rsdp_paddr, x86_vcpus(cmdline));
	native_cpu_init();
	native_load_cr3(l.l4 << PAGE_SHIFT);
	pc_set_tsc_aux(0);
	static struct start_info ksi;
	ksi = (struct start_info){ .nr_pages = pages, .p2m = frame(l.m2p), .pt_base_pfn = l.l4,
				   .nr_pt_frames = l.m2p - l.l4, .first_free_pfn = l.first_free,
				   .mapped_pfns = l.mapped, .nr_vcpus = x86_vcpus(cmdline) };
	x86_run_workload(&ksi, cmdline, true);
	pc_exit(0);
}

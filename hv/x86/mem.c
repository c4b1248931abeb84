/* SPDX-License-Identifier: MIT */
/*
 * Machine memory.  From the PVH memory map we take the RAM's top as the
 * machine's frame count; everything that is not RAM, and the boot modules,
 * stay the hypervisor's frames, so no guest can ever be given them.
 *
 * Our own allocations come from a bump pointer above hv.elf, made once at
 * boot: the tables of the three L4 slots we use (hv.h), the frame table's
 * per-frame arrays and the m2p.  All of it is below machine_init's nr_hv,
 * which makes it the hypervisor's.  While we build our tables the boot
 * tables identity-map the first 4 GiB; afterwards we reach every frame
 * through the direct map.
 *
 * Guest memory is reached as Xen reaches it (copy_guest below): through the
 * guest's own mappings while its root is in cr3, after a range check that
 * keeps hv's own slots out, with SMAP opened for the copy alone and a fault
 * turned into -EFAULT by the exception table; for a vCPU whose root is not
 * loaded, by a software walk of its tables and the direct map.
 */
#include "../../core/audit.h"
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/m2p.h"
#include "../../core/tlb.h"
#include "../hv.h"

struct machine machine;
mfn_t hv_l4;
void *audit_scratch;
mfn_t *mem_p2m_index;
uint64_t mem_p2m_index_size;

extern uint8_t hv_text_start[], hv_data_start[], hv_end[];

static uint64_t bump;           /* next free machine address of ours */
static uint64_t ram_top;
static uint64_t mod_lo, mod_hi; /* the boot modules' frames */
static bool dmap_on;

/* A frame we can write: through the identity map until ours is loaded. */
static void *frame_ptr(uint64_t pa)
{
	return dmap_on ? maddr_virt(pa) : (void *)(uintptr_t)pa;
}

static uint64_t alloc_frames(uint64_t n)
{
	uint64_t pa = bump;
	bump += n * PAGE_SIZE;
	if (bump > ram_top || (bump > mod_lo && pa < mod_hi)) {
		printk("hv: not enough memory below the boot modules for our tables\n");
		pc_exit(EXIT_HV);
	}
	memset(frame_ptr(pa), 0, n * PAGE_SIZE);
	return pa;
}

static void set(uint64_t table, unsigned slot, uint64_t e)
{
	((uint64_t *)frame_ptr(table))[slot] = e;
}

static void read_memmap(const struct hvm_start_info *si)
{
	if (si->magic != XEN_HVM_START_MAGIC || si->version < 1 || !si->memmap_entries) {
		printk("hv: the loader gave no PVH memory map (start info version %u)\n", si->version);
		pc_exit(EXIT_HV);
	}
	const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	for (unsigned i = 0; i < si->memmap_entries; i++)
		if (e[i].type == XEN_HVM_MEMMAP_TYPE_RAM && e[i].addr + e[i].size > ram_top &&
		    e[i].addr + e[i].size <= (64ull << 30))
			ram_top = (e[i].addr + e[i].size) & ~(PAGE_SIZE - 1);
	mod_lo = mod_hi = ram_top;
	const struct hvm_modlist_entry *m = (const void *)(uintptr_t)si->modlist_paddr;
	for (unsigned i = 0; i < si->nr_modules; i++) {
		uint64_t lo = m[i].paddr & ~(PAGE_SIZE - 1), hi = (m[i].paddr + m[i].size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		mod_lo = lo < mod_lo ? lo : mod_lo;
		mod_hi = i == 0 || hi > mod_hi ? hi : mod_hi;
	}
}

/* hv.elf at HV_TEXT_VIRT + paddr: text and rodata executable, data not. */
static uint64_t map_text(void)
{
	uint64_t virt = (uintptr_t)hv_text_start, end = (uintptr_t)hv_end;
	uint64_t l3 = alloc_frames(1), l2 = alloc_frames(1);
	set(l3, (HV_TEXT_VIRT >> 30) & 511, l2 | PTE_P | PTE_RW | PTE_A);
	uint64_t l1 = 0;
	for (uint64_t va = virt; va < end; va += PAGE_SIZE) {
		unsigned i2 = (va >> 21) & 511, i1 = (va >> 12) & 511;
		if (!l1 || i1 == 0) {
			l1 = alloc_frames(1);
			set(l2, i2, l1 | PTE_P | PTE_RW | PTE_A);
		}
		bool text = va < (uintptr_t)hv_data_start;
		set(l1, i1, (va - HV_TEXT_VIRT) | PTE_P | PTE_A | PTE_D | (text ? 0 : PTE_RW | PTE_NX));
	}
	return l3;
}

/* Every frame, with 2 MiB pages, supervisor only; and the rest of the low
 * 4 GiB, uncached, where the firmware's tables and the devices are (the
 * local APIC at 0xfee00000). */
static uint64_t map_direct(void)
{
	uint64_t l3 = alloc_frames(1);
	for (uint64_t gib = 0; gib < mem_direct_top() >> 30; gib++) {
		uint64_t l2 = alloc_frames(1);
		set(l3, (unsigned)gib, l2 | PTE_P | PTE_RW | PTE_A);
		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			uint64_t pa = (gib << 30) + ((uint64_t)i << 21);
			uint64_t uc = pa >= ram_top ? PTE_PCD | PTE_PWT : 0;
			set(l2, i, pa | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PSE | PTE_NX | uc);
		}
	}
	return l3;
}

uint64_t mem_direct_top(void)
{
	uint64_t top = (ram_top + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	return top > (4ull << 30) ? top : 4ull << 30;
}

/* The m2p (n frames from pa), read-only and user, at MACH2PHYS_VIRT_START. */
static uint64_t map_m2p(uint64_t pa, uint64_t n)
{
	uint64_t l3 = alloc_frames(1), l2 = alloc_frames(1);
	set(l3, 0, l2 | PTE_P | PTE_US | PTE_A);
	for (uint64_t i = 0; i < n; i += PT_ENTRIES) {
		uint64_t l1 = alloc_frames(1);
		set(l2, (unsigned)(i / PT_ENTRIES), l1 | PTE_P | PTE_US | PTE_A);
		for (uint64_t j = i; j < n && j < i + PT_ENTRIES; j++)
			set(l1, (unsigned)(j % PT_ENTRIES), (pa + j * PAGE_SIZE) | PTE_P | PTE_US | PTE_A | PTE_NX);
	}
	return l3;
}

static void *table(uint64_t bytes)
{
	uint64_t pa = alloc_frames((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
	return maddr_virt(pa);
}

void mem_init(const struct hvm_start_info *si)
{
	struct machine *m = &machine;
	read_memmap(si);
	bump = ((uintptr_t)hv_end - HV_TEXT_VIRT + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	m->nr_frames = ram_top / PAGE_SIZE;
	uint64_t m2p_n = m2p_frames_for(m->nr_frames);
	uint64_t m2p = alloc_frames(m2p_n);

	m->l4_template[0] = map_m2p(m2p, m2p_n) | PTE_P | PTE_US | PTE_A;
	m->l4_template[HV_TEXT_SLOT - HV_L4_FIRST_SLOT] = map_text() | PTE_P | PTE_RW | PTE_A;
	m->l4_template[HV_DMAP_SLOT - HV_L4_FIRST_SLOT] = map_direct() | PTE_P | PTE_RW | PTE_A;
	uint64_t l4 = alloc_frames(1);
	for (unsigned i = 0; i < HV_L4_NR_SLOTS; i++)
		set(l4, HV_L4_FIRST_SLOT + i, m->l4_template[i]);
	hv_l4 = _mfn(l4 >> PAGE_SHIFT);
	write_cr3(l4);
	dmap_on = true;

	m->ft = table(m->nr_frames * sizeof(*m->ft));
	m->linear = table(m->nr_frames * sizeof(*m->linear));
	m->progress = table(m->nr_frames * sizeof(*m->progress));
	m->queue_next = table(m->nr_frames * sizeof(*m->queue_next));
	m->drop_time = table(m->nr_frames * sizeof(*m->drop_time));
	audit_scratch = table(audit_scratch_size(m));
	mem_p2m_index_size = m->nr_frames / PT_ENTRIES + 1;
	mem_p2m_index = table(mem_p2m_index_size * sizeof(mfn_t));
	m->m2p_start = _mfn(m2p >> PAGE_SHIFT);
	m->m2p_frames = m2p_n;
	machine_init(m, bump / PAGE_SIZE);
	for (uint64_t i = 0; i < m->nr_frames; i++)
		m2p_set(m, _mfn(i), M2P_INVALID);
	for (uint64_t pa = mod_lo; pa < mod_hi; pa += PAGE_SIZE)
		frame_assign(m, _mfn(pa >> PAGE_SHIFT), OWNER_HV);
}

/* Frames the memory map does not call RAM stay ours (after mem_init, with
 * the map reachable through the direct map). */
void mem_reserve_holes(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *e = maddr_virt(si->memmap_paddr);
	for (uint64_t f = bump / PAGE_SIZE; f < machine.nr_frames; f++) {
		uint64_t pa = f * PAGE_SIZE;
		bool ram = false;
		for (unsigned i = 0; i < si->memmap_entries && !ram; i++)
			ram = e[i].type == XEN_HVM_MEMMAP_TYPE_RAM && pa >= e[i].addr &&
			      pa + PAGE_SIZE <= e[i].addr + e[i].size;
		if (!ram)
			frame_assign(&machine, _mfn(f), OWNER_HV);
	}
}

uint64_t *mem_hv_pte(uint64_t va)
{
	uint64_t t = mfn_x(hv_l4) << PAGE_SHIFT;
	for (int level = 4; level > 1; level--)
		t = ((uint64_t *)maddr_virt(t))[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511] & PTE_ADDR_MASK;
	return (uint64_t *)maddr_virt(t) + ((va >> PAGE_SHIFT) & 511);
}

int mem_translate(struct vcpu *v, uint64_t va, bool write, uint64_t *pa)
{
	mfn_t t = v->kernel_root;
	if (mfn_eq(t, INVALID_MFN) || !canonical(va))
		return -XEN_EFAULT;
	for (int level = 4; level >= 1; level--) {
		unsigned idx = (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
		uint64_t e = ((volatile uint64_t *)env_frame(t))[idx];
		if (!(e & PTE_P) || !(e & PTE_US) || (write && !(e & PTE_RW)) ||
		    (level > 1 && (e & PTE_PSE)) || ((e & PTE_ADDR_MASK) >> PAGE_SHIFT) >= machine.nr_frames)
			return -XEN_EFAULT;
		t = _mfn((e & PTE_ADDR_MASK) >> PAGE_SHIFT);
	}
	*pa = (mfn_x(t) << PAGE_SHIFT) | (va & (PAGE_SIZE - 1));
	return 0;
}

/* --- core's platform interface ---------------------------------------- */

void *env_frame(mfn_t mfn)
{
	return maddr_virt(mfn_x(mfn) << PAGE_SHIFT);
}

/* Guest memory by a software walk of (v)'s tables and the direct map. */
static int copy_walked(struct vcpu *v, uint64_t gptr, void *buf, size_t len, bool write)
{
	uint8_t *b = buf;
	while (len) {
		uint64_t pa;
		size_t n = PAGE_SIZE - (gptr & (PAGE_SIZE - 1));
		n = n < len ? n : len;
		if (mem_translate(v, gptr, write, &pa))
			return -XEN_EFAULT;
		if (write)
			memcpy(maddr_virt(pa), b, n);
		else
			memcpy(b, maddr_virt(pa), n);
		gptr += n;
		b += n;
		len -= n;
	}
	return 0;
}

/* Copy (len) bytes with faults caught: 0, or non-zero if an access faulted
 * (hv_exception sends a fault at 1: or 2: to 4:, or in x86/copy.S to its
 * fixup).  stac/clac open the guest's pages (all user pages, core sets US)
 * to ring 0 for this alone. */
static int copy_caught(void *dst, const void *src, size_t len)
{
	int err = 0;
	size_t words = len / 8, bytes = len % 8;
	if (cpu_smap)
		__asm__ volatile("stac" ::: "memory");
	if (!bytes && words < 32)       /* a frame: straight-line blocks (x86/copy.S) */
		err = copy_words_caught(dst, src, words);
	else
		__asm__ volatile("1: rep movsq\n\t"
				 "mov %[bytes], %%rcx\n"
				 "2: rep movsb\n"
				 "3:\n"
				 ".pushsection .text.fixup, \"ax\"\n"
				 "4: movl $1, %[err]\n\t"
				 "jmp 3b\n"
				 ".popsection\n"
				 ".pushsection .extable, \"a\"\n"
				 ".quad 1b, 4b\n\t.quad 2b, 4b\n"
				 ".popsection"
				 : [err] "+r"(err), "+D"(dst), "+S"(src), "+c"(words)
				 : [bytes] "r"(bytes)
				 : "memory");
	if (cpu_smap)
		__asm__ volatile("clac" ::: "memory");
	return err;
}

/* Guest memory at (g) through the guest's mappings: 0 or -XEN_EFAULT. */
static inline int copy_direct(void *g, void *buf, size_t len, bool write)
{
	return (write ? copy_caught(g, buf, len) : copy_caught(buf, g, len)) ? -XEN_EFAULT : 0;
}

/* copy_direct with several CPUs up: through the guest's translations, so
 * with the flushes asked of this CPU done first (x86/smp.c). */
static __attribute__((noinline)) int copy_lent(void *g, void *buf, size_t len, bool write)
{
	bool lent = atomic_load_explicit(&this_cpu()->guest_tlb, memory_order_relaxed);
	if (!lent)
		smp_guest_tlb_mark();
	int rc = copy_direct(g, buf, len, write);
	if (!lent)
		smp_guest_tlb_off();
	return rc;
}

/* Does [p, p + len) lie in one half of the guest's address space, clear of
 * hv's slots? */
static inline bool guest_range(uint64_t p, size_t len)
{
	uint64_t last = p + len - 1;       /* branch-free: it is on every crossing */
	bool first_ok = canonical(p), last_ok = canonical(last);
	return (len != 0) & (last >= p) & first_ok & last_ok & ((p >> 47) == (last >> 47)) &
	       ((last < HV_VIRT_START) | (p >= HV_VIRT_END));
}

/* Guest memory as Xen reaches it: through the guest's own mappings, live in
 * cr3 while its vCPU runs (hv's slots are in every guest L4).  A range that
 * touches hv's slots is refused before any access; with CR0.WP a read-only
 * mapping stays read-only to ring 0; a fault is -EFAULT.  Another vCPU's
 * memory, or a root not loaded, takes the software walk. */
static inline __attribute__((always_inline)) int copy_guest(struct vcpu *v, uint64_t gptr, void *buf, size_t len,
								bool write)
{
	if (!len)
		return 0;
	if (!guest_range(gptr, len))
		return -XEN_EFAULT;
	if (this_vcpu() == v && read_cr3() >> PAGE_SHIFT == mfn_x(v->kernel_root)) {
		void *g = (void *)(uintptr_t)gptr;
		if (__builtin_expect(smp_cpus_up > 1, 0))
			return copy_lent(g, buf, len, write);
		return copy_direct(g, buf, len, write);
	}
	return copy_walked(v, gptr, buf, len, write);
}

int env_copy_from_guest(struct vcpu *v, void *dst, uint64_t gptr, size_t len)
{
	return copy_guest(v, gptr, dst, len, false);
}

int env_copy_to_guest(struct vcpu *v, uint64_t gptr, const void *src, size_t len)
{
	return copy_guest(v, gptr, (void *)(uintptr_t)src, len, true);
}

/* The CPU (v) runs on if it is another, else -1.  The fence orders the
 * caller's changes to the tables before the look: a CPU that takes (v)
 * after it loads (v)'s root after them (sched.c), and one that let go of
 * it flushed first. */
static int runs_elsewhere(struct vcpu *v)
{
	atomic_thread_fence(memory_order_seq_cst);
	int on = atomic_load(&hv_vcpu(v)->on_cpu);
	return on == (int)this_cpu()->id ? -1 : on;
}

/* (v) runs on another CPU: flush it there (x86/smp.c), an IPI counted for
 * the asker. */
static void flush_remote(struct vcpu *v)
{
	int on = runs_elsewhere(v);
	if (on >= 0 && smp_flush((unsigned)on) && this_vcpu())
		this_vcpu()->stats.flush_ipis++;
}

void mem_load_guest_root(struct vcpu *v, mfn_t root)
{
	uint64_t tick = tlb_tick(v);
	mem_load_root(root);
	tlb_flushed(v, tick);
}

/* At once, never on the way out: the old root must leave cr3 before the
 * rest of the hypercall can retype and rewrite it (a multicall may unpin it,
 * pin it as an L1 and update its entries, hv's slots among them).  Another
 * vCPU's TLB is on the CPU it runs on, if any (sched.c). */
void env_flush_tlb(struct vcpu *v)
{
	if (this_vcpu() == v)
		mem_load_root(mfn_eq(v->kernel_root, INVALID_MFN) ? hv_l4 : v->kernel_root);
	else
		flush_remote(v);
}

void env_invlpg(struct vcpu *v, uint64_t va)
{
	if (this_vcpu() == v)
		invlpg(va);
	else
		flush_remote(v);
}

void env_tlb_for_each(struct vcpu *v, tlb_visit_fn fn, void *arg)
{
	(void)v, (void)fn, (void)arg;       /* the hardware's TLB is not ours to list */
}

void env_relax(void)
{
	smp_relax();
}

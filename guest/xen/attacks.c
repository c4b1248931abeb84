/* SPDX-License-Identifier: MIT */
/*
 * Hostile modes (attack=NAME on the command line): what a malicious PV
 * kernel tries against the hypervisor's pagetable rules, each attempt with
 * the answer Xen gives.  Hypercalls must fail with the error; direct stores
 * and jumps must fault (the hypervisor refuses to emulate, and bounces the
 * page fault to us).  After each attempt we check that nothing changed.
 * One line per attempt, then "pvmmu-attacks passed=N failed=N"; the
 * hypervisor must still be running to power us off and audit.
 */
#include "../os/kernel.h"
#include "xen.h"

#define HV_TEXT  0xffff82d080000000ull
#define HV_DMAP  0xffff830000000000ull
#define PT_RW    (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX)

static unsigned passed, failed;
static uint8_t victim[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static void expect(const char *what, long got, long want)
{
	bool ok = got == want;
	x86_puts(ok ? "attack refused as Xen refuses it: " : "ATTACK NOT REFUSED AS EXPECTED: ");
	x86_puts(what);
	x86_puts(got < 0 ? " (-" : " (");
	x86_put_u64((uint64_t)(got < 0 ? -got : got));
	x86_puts(")\n");
	ok ? passed++ : failed++;
}

static uint64_t mfn_of(pfn_t pfn)
{
	return mfn_x(pfn_to_mfn(pfn));
}

static long update_va(uint64_t va, uint64_t val)
{
	return xen_hypercall(HYPERVISOR_update_va_mapping, va, val, UVMF_INVLPG, 0, 0);
}

static long mmu_update(uint64_t ptr, uint64_t val)
{
	static struct mmu_update req;
	req = (struct mmu_update){ ptr | MMU_NORMAL_PT_UPDATE, val };
	return xen_hypercall(HYPERVISOR_mmu_update, (uint64_t)(uintptr_t)&req, 1, 0, DOMID_SELF, 0);
}

static long mmuext(unsigned cmd, uint64_t mfn)
{
	static struct mmuext_op op;
	op = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = mfn };
	return xen_hypercall(HYPERVISOR_mmuext_op, (uint64_t)(uintptr_t)&op, 1, 0, DOMID_SELF, 0);
}

/* The L1 entry that maps (va) in the kernel's tables: its kernel address. */
static gva_t l1_entry_of(uint64_t va)
{
	gva_t e = vm_entry(&kernel_mm, va, false);
	if (!gva_x(e))
		hostif_panic("our own L1 entry is not mapped");
	return e;
}

static void map_pagetable_writable(void)
{
	uint64_t l4 = mfn_of(kernel_mm.pgd) << PAGE_SHIFT;
	expect("update_va_mapping of our pinned L4 writable", update_va((uintptr_t)victim, l4 | PT_RW),
	       -XEN_EBUSY);
	expect("mmu_update of an L1 entry mapping our L4 writable",
	       mmu_update(maddr_x(virt_to_machine(l1_entry_of((uintptr_t)victim))), l4 | PT_RW),
	       -XEN_EBUSY);
}

static void map_foreign_frame(void)
{
	expect("update_va_mapping of machine frame 0 (the hypervisor's)",
	       update_va((uintptr_t)victim, 0 | PT_RW), -XEN_EBUSY);
	expect("update_va_mapping of a frame beyond machine memory (I/O space, no permission)",
	       update_va((uintptr_t)victim, (1ull << 38) | PT_RW), -XEN_EPERM);
}

static void write_reserved_slots(void)
{
	uint64_t l4 = mfn_of(kernel_mm.pgd) << PAGE_SHIFT;
	expect("mmu_update of L4 slot 256 (the m2p)", mmu_update(l4 + 256 * 8, 0), -XEN_EINVAL);
	expect("mmu_update of L4 slot 262 (the direct map)", mmu_update(l4 + 262 * 8, 0), -XEN_EINVAL);
	gva_t slot = _gva(gva_x(pfn_to_virt(kernel_mm.pgd)) + 261 * 8);
	expect("a store into L4 slot 261 (hv's text) faults", hostif_store(slot, 0), 1);
}

static void load_bad_root(void)
{
	pfn_t junk = palloc();
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (hostif_store(_gva(gva_x(pfn_to_virt(junk)) + i * 8), PT_RW))
			hostif_panic("cannot fill a scratch page");
	expect("NEW_BASEPTR of a page of junk entries", mmuext(MMUEXT_NEW_BASEPTR, mfn_of(junk)),
	       -XEN_EINVAL);
	expect("NEW_BASEPTR of machine frame 0 (not ours)", mmuext(MMUEXT_NEW_BASEPTR, 0), -XEN_EINVAL);
	expect("PIN_L4_TABLE of machine frame 0 (not ours)", mmuext(MMUEXT_PIN_L4_TABLE, 0), -XEN_EINVAL);
	pput(junk);
}

static void store_bad_entry(void)
{
	gva_t entry = l1_entry_of((uintptr_t)victim);
	uint64_t before, after;
	uint64_t l4 = mfn_of(kernel_mm.pgd) << PAGE_SHIFT;
	hostif_load(entry, &before);
	expect("a store into our pinned L1 mapping our L4 writable faults",
	       hostif_store(entry, l4 | PT_RW), 1);
	expect("a store into our pinned L1 mapping frame 0 faults", hostif_store(entry, PT_RW), 1);
	hostif_load(entry, &after);
	expect("the L1 entry is unchanged afterwards", after != before, 0);
}

uint64_t xen_recover_rip;

static void touch_hypervisor(void)
{
	uint64_t v;
	expect("a load from the hypervisor's direct map faults", hostif_load(_gva(HV_DMAP + 0x100000), &v), 1);
	uint64_t faults = x86_fixups;
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, xen_recover_rip(%%rip)\n\t"
			 "jmp *%0\n"
			 "1:\n\t"
			 "movq $0, xen_recover_rip(%%rip)"
			 :: "r"(HV_TEXT + 0x1000) : "rax", "memory");
	expect("a jump into the hypervisor's text faults", (long)(x86_fixups - faults), 1);
	expect("and the fault was at the hypervisor's address", xen_last_cr2() == HV_TEXT + 0x1000, 1);
}

/* A hypercall from the last two bytes below the canonical hole: syscall
 * leaves rcx at 0x800000000000, where no return may go (the SYSRET attack,
 * XSA-7): we must get a #GP, the hypervisor must not fault itself.  Intel
 * CPUs fault such a sysretq in ring 0, which hv's check prevents; QEMU's
 * TCG, like AMD CPUs, faults in ring 3, so there this passes either way. */
/* lock cmpxchg of (val) at (va) with (*rax) expected; (*zf) as the CPU
 * leaves it.  Returns the faults it took (0 or 1). */
static uint64_t cmpxchg_at(uint64_t va, uint64_t *rax, uint64_t val, bool *zf)
{
	uint64_t faults = x86_fixups;
	uint8_t z = 0;
	__asm__ volatile("lea 1f(%%rip), %%r11\n\t"
			 "mov %%r11, xen_recover_rip(%%rip)\n\t"
			 "lock cmpxchgq %3, (%2)\n"
			 "1:\n\t"
			 "sete %1\n\t"
			 "movq $0, xen_recover_rip(%%rip)"
			 : "+a"(*rax), "=q"(z) : "r"(va), "r"(val) : "r11", "cc", "memory");
	*zf = z;
	return x86_fixups - faults;
}

/* cmpxchg on an entry of our pinned L1, as Linux updates entries: hv
 * emulates it with the CPU's semantics and validates what it would store. */
static void cmpxchg_entries(void)
{
	gva_t entry = l1_entry_of((uintptr_t)victim);
	uint64_t l4 = mfn_of(kernel_mm.pgd) << PAGE_SHIFT, cur, now, after, rax;
	bool zf;
	hostif_load(entry, &cur);
	rax = cur ^ PTE_D;
	expect("cmpxchg with a stale expected value is emulated (allowed)",
	       (long)cmpxchg_at(gva_x(entry), &rax, cur & ~PTE_RW, &zf), 0);
	hostif_load(entry, &now);
	expect("and stores nothing, hands back the entry, clears ZF", now == cur && rax == cur && !zf, 1);
	rax = cur;
	expect("cmpxchg making our page read-only is emulated (allowed)",
	       (long)cmpxchg_at(gva_x(entry), &rax, cur & ~PTE_RW, &zf), 0);
	hostif_load(entry, &now);
	expect("and lands, with ZF set", now == (cur & ~PTE_RW) && zf, 1);
	rax = now;
	expect("cmpxchg mapping our L4 writable faults",
	       (long)cmpxchg_at(gva_x(entry), &rax, l4 | PT_RW, &zf), 1);
	hostif_load(entry, &after);
	expect("and the entry is unchanged", after == now, 1);
	expect("making our page writable again", update_va((uintptr_t)victim, cur), 0);
}

#define TOP_PAGE 0x00007ffffffff000ull

/* Map a fresh frame at the last user page, just below the canonical hole. */
static pfn_t map_top_page(void)
{
	pfn_t f = palloc();
	if (!gva_x(vm_entry(&kernel_mm, TOP_PAGE, true)))
		hostif_panic("no table for the top user page");
	uint64_t pte = make_pte((pfn_x(f) << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	expect("mapping the top user page (allowed)", update_va(TOP_PAGE, pte), 0);
	return f;
}

static void unmap_top_page(pfn_t f)
{
	expect("unmapping the top user page", update_va(TOP_PAGE, 0), 0);
	pput(f);
}

static void syscall_at_the_hole(void)
{
	const uint64_t page = TOP_PAGE;
	pfn_t f = map_top_page();
	expect("writing syscall into its last two bytes (allowed)",
	       hostif_store(_gva(page + PAGE_SIZE - 8), 0x050f000000000000ull), 0);
	uint64_t faults = x86_fixups;
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, xen_recover_rip(%%rip)\n\t"
			 "mov %1, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "xor %%esi, %%esi\n\t"
			 "jmp *%0\n"
			 "1:\n\t"
			 "movq $0, xen_recover_rip(%%rip)"
			 :: "r"(page + PAGE_SIZE - 2), "i"(HYPERVISOR_console_io)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	expect("a hypercall returning beyond the canonical hole gets #GP", (long)(x86_fixups - faults), 1);
	unmap_top_page(f);
}

/* Hypercall buffers the hypervisor must not reach for us, which it reads
 * and writes through our own mappings: inside its area (the m2p too, though
 * we may read it ourselves, as Xen's range check has it), not mapped,
 * read-only for its output, or running across the canonical hole. */
static long mmuext_at(uint64_t ops)
{
	return xen_hypercall(HYPERVISOR_mmuext_op, ops, 1, 0, DOMID_SELF, 0);
}

static void bad_buffers(void)
{
	expect("mmuext_op reading its request from the hypervisor's direct map",
	       mmuext_at(HV_DMAP + 0x100000), -XEN_EFAULT);
	expect("mmuext_op reading its request from the hypervisor's text", mmuext_at(HV_TEXT),
	       -XEN_EFAULT);
	expect("mmuext_op reading its request from the m2p", mmuext_at(MACH2PHYS_VIRT_START),
	       -XEN_EFAULT);
	expect("mmuext_op reading its request from an unmapped address", mmuext_at(0x1000),
	       -XEN_EFAULT);
	pfn_t f = map_top_page();
	expect("mmuext_op reading its request across the canonical hole",
	       mmuext_at(TOP_PAGE + PAGE_SIZE - 8), -XEN_EFAULT);
	unmap_top_page(f);
	gva_t l4 = pfn_to_virt(kernel_mm.pgd);
	uint64_t before, after;
	hostif_load(l4, &before);
	expect("pvmmu_stats writing into our read-only L4",
	       xen_hypercall(HYPERVISOR_pvmmu_stats, gva_x(l4), 1, 0, 0, 0), -XEN_EFAULT);
	hostif_load(l4, &after);
	expect("the L4 is unchanged afterwards", after != before, 0);
	expect("pvmmu_stats writing into the hypervisor's direct map",
	       xen_hypercall(HYPERVISOR_pvmmu_stats, HV_DMAP + 0x100000, 1, 0, 0, 0), -XEN_EFAULT);
}

/* vcpu_op against the rules (run with vcpus=2: vCPU 1 exists, not up):
 * another domain's vCPU number, a root that is not an L4 or not ours, a
 * context hv cannot read or whose rip is not canonical, bringing up what
 * was never initialised, taking down another vCPU or the last one. */
static long vcpu_op(unsigned cmd, uint64_t id, const void *arg)
{
	return xen_hypercall(HYPERVISOR_vcpu_op, cmd, id, (uint64_t)(uintptr_t)arg, 0, 0);
}

static void bad_vcpu_ops(void)
{
	static struct vcpu_guest_context c;
	c.user_regs.rip = (uint64_t)(uintptr_t)bad_vcpu_ops;
	c.user_regs.rsp = (uint64_t)(uintptr_t)victim + PAGE_SIZE;
	expect("vcpu_op on a vCPU the domain does not have", vcpu_op(VCPUOP_is_up, 16, NULL), -XEN_ENOENT);
	expect("bringing up a vCPU never initialised", vcpu_op(VCPUOP_up, 1, NULL), -XEN_EINVAL);
	c.ctrlreg[3] = mfn_of(_pfn(((uint64_t)(uintptr_t)victim - DIRECT_BASE) >> PAGE_SHIFT)) << PAGE_SHIFT;
	expect("initialise with a root that is not a pagetable", vcpu_op(VCPUOP_initialise, 1, &c),
	       -XEN_EINVAL);
	c.ctrlreg[3] = 0;
	expect("initialise with machine frame 0 (the hypervisor's) as the root",
	       vcpu_op(VCPUOP_initialise, 1, &c), -XEN_EINVAL);
	c.ctrlreg[3] = mfn_of(kernel_mm.pgd) << PAGE_SHIFT;
	expect("initialise from a context in the hypervisor's area",
	       xen_hypercall(HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, HV_DMAP + 0x100000, 0, 0),
	       -XEN_EFAULT);
	c.user_regs.rip = 0x0000800000000000ull;
	expect("initialise with a non-canonical rip", vcpu_op(VCPUOP_initialise, 1, &c), -XEN_EINVAL);
	expect("vCPU 1 is still down", vcpu_op(VCPUOP_is_up, 1, NULL), 0);
	expect("taking down another vCPU", vcpu_op(VCPUOP_down, 1, NULL), -XEN_EINVAL);
	expect("taking down the last vCPU up", vcpu_op(VCPUOP_down, 0, NULL), -XEN_EINVAL);
}

static const struct {
	const char *name;
	void (*fn)(void);
} modes[] = {
	{ "writable-pt", map_pagetable_writable },
	{ "foreign-frame", map_foreign_frame },
	{ "reserved-slots", write_reserved_slots },
	{ "bad-root", load_bad_root },
	{ "bad-store", store_bad_entry },
	{ "hv-area", touch_hypervisor },
	{ "sysret-hole", syscall_at_the_hole },
	{ "bad-buffer", bad_buffers },
	{ "vcpu-op", bad_vcpu_ops },
	{ "cmpxchg-pt", cmpxchg_entries },
};

int xen_attacks(const char *name, const struct start_info *si)
{
	(void)si;
	bool all = x86_word_is(name, "all"), any = all;
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!all && !x86_word_is(name, modes[i].name))
			continue;
		any = true;
		x86_puts("attack mode ");
		x86_puts(modes[i].name);
		x86_puts("\n");
		modes[i].fn();
	}
	if (!any)
		return -1;
	x86_puts("pvmmu-attacks ");
	x86_put_kv("passed", passed);
	x86_put_kv("failed", failed);
	x86_puts("\n");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Hostile modes against the pagetable rules (attacks.h): mapping our own
 * tables writable, pinning the frames the hypervisor writes, foreign and
 * hypervisor frames, the hypervisor's L4
 * slots, bad roots, refused stores, the hypervisor's area, buffers it must
 * not reach for us, vcpu_op against its rules, cmpxchg into a table.
 * Hypercalls must fail with Xen's error; direct stores and jumps must fault
 * (the hypervisor refuses to emulate, and bounces the fault to us).  After
 * each attempt we check that nothing changed.  Also the registry and
 * xen_attacks, which runs the modes a command line names.
 */
#include "attacks.h"

static unsigned passed, failed, skipped, as_dom0;
uint8_t victim[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static void say(const char *verdict, const char *what, long got)
{
	x86_puts(verdict);
	x86_puts(what);
	x86_puts(got < 0 ? " (-" : " (");
	x86_put_u64((uint64_t)(got < 0 ? -got : got));
	x86_puts(")\n");
}

void expect(const char *what, long got, long want)
{
	bool ok = got == want;
	say(ok ? "attack refused as Xen refuses it: " : "ATTACK NOT REFUSED AS EXPECTED: ", what, got);
	ok ? passed++ : failed++;
}

void expect_dom0(const char *what, long got, long want, long want_dom0, const char *why)
{
	if (!xen_dom0 || got == want || got != want_dom0) {
		expect(what, got, want);
		return;
	}
	x86_puts("as Xen answers its dom0 (");
	x86_puts(why);
	say("): ", what, got);
	as_dom0++;
	passed++;
}

void expect_skip(const char *what, const char *why)
{
	x86_puts("SKIP: ");
	x86_puts(what);
	x86_puts(": ");
	x86_puts(why);
	x86_puts("\n");
	skipped++;
}

unsigned attack_cpus = 1, attack_vcpus = 1;

bool turns_seen(const char *what)
{
	if (attack_cpus <= 1)
		return true;
	expect_skip(what, "the machine has several CPUs, so vCPUs run side by side and take no turns "
			  "to watch (the run on one CPU checks it)");
	return false;
}

uint64_t mfn_of(pfn_t pfn)
{
	return mfn_x(pfn_to_mfn(pfn));
}

long update_va(uint64_t va, uint64_t val)
{
	return xen_hypercall(HYPERVISOR_update_va_mapping, va, val, UVMF_INVLPG, 0, 0);
}

long mmu_update(uint64_t ptr, uint64_t val)
{
	static struct mmu_update req[MAX_GUEST_VCPUS];
	struct mmu_update *r = &req[hostif_vcpu()];
	*r = (struct mmu_update){ ptr | MMU_NORMAL_PT_UPDATE, val };
	return xen_hypercall(HYPERVISOR_mmu_update, (uint64_t)(uintptr_t)r, 1, 0, DOMID_SELF, 0);
}

long mmuext(unsigned cmd, uint64_t mfn)
{
	static struct mmuext_op op[MAX_GUEST_VCPUS];
	struct mmuext_op *o = &op[hostif_vcpu()];
	*o = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = mfn };
	return xen_hypercall(HYPERVISOR_mmuext_op, (uint64_t)(uintptr_t)o, 1, 0, DOMID_SELF, 0);
}

long vcpu_op(unsigned cmd, uint64_t id, const void *arg)
{
	return xen_hypercall(HYPERVISOR_vcpu_op, cmd, id, (uint64_t)(uintptr_t)arg, 0, 0);
}

gva_t l1_entry_of(uint64_t va)
{
	gva_t e = vm_entry(&kernel_mm, va, false);
	if (!gva_x(e))
		hostif_panic("our own L1 entry is not mapped");
	return e;
}

pfn_t map_page_at(uint64_t va)
{
	pfn_t f = palloc();
	hostif_zero_page(pfn_to_virt(f));       /* a page others used holds what they left */
	if (!gva_x(vm_entry(&kernel_mm, va, true)))
		hostif_panic("no table for a page of the attacks");
	uint64_t pte = make_pte((pfn_x(f) << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	if (update_va(va, pte))
		hostif_panic("cannot map a page of the attacks");
	return f;
}

void unmap_page_at(uint64_t va, pfn_t f)
{
	if (update_va(va, 0))
		hostif_panic("cannot unmap a page of the attacks");
	pput(f);
}

/* The frames hv writes by machine address (the shared info page, the grant
 * table's, the console ring) are held writable for the domain's life, as
 * Xen holds its shared pages and a console backend its mapping: none can
 * become a pagetable whose entries hv would then write. */
static void pin_written_frames(void)
{
	static uint64_t frame;
	static struct gnttab_setup_table t;
	t = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1, .frame_list = (uintptr_t)&frame };
	expect("grant table frame 0 set up",
	       xen_hypercall(HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (uintptr_t)&t, 1, 0, 0) == 0 &&
	       t.status == GNTST_okay, 1);
	expect("PIN_L1_TABLE of grant table frame 0", mmuext(MMUEXT_PIN_L1_TABLE, frame), -XEN_EINVAL);
	if (xen_dom0) {
		expect_skip("PIN_L1_TABLE of the console ring, emptied and read-only",
			    "a dom0 has no console ring: Xen's console is its own");
		return;
	}
	uint64_t va = DIRECT_BASE + pfn_x(mfn_to_pfn(_mfn(xen_console_mfn))) * PAGE_SIZE;
	uint64_t pte = *(volatile uint64_t *)gva_x(l1_entry_of(va));
	hostif_zero_page(_gva(va));             /* zeros: a valid L1 */
	expect("the console ring's mapping made read-only", update_va(va, pte & ~(uint64_t)PTE_RW), 0);
	expect("PIN_L1_TABLE of the console ring, emptied and read-only",
	       mmuext(MMUEXT_PIN_L1_TABLE, xen_console_mfn), -XEN_EINVAL);
	expect("the console ring's mapping writable again", update_va(va, pte), 0);
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

#define DOM0_IO "dom0 may map I/O memory; frame 0 is I/O memory to Xen"
#define PVMMU_OWN "pvmmu_stats is pvmmu's own hypercall: Xen has none"

/* victim's own frame, back in its place after a dom0 mapped another. */
static void remap_victim(void)
{
	uint64_t pfn = ((uint64_t)(uintptr_t)victim - DIRECT_BASE) >> PAGE_SHIFT;
	if (update_va((uintptr_t)victim, mfn_of(_pfn(pfn)) << PAGE_SHIFT | PT_RW))
		hostif_panic("cannot map victim back");
}

static void map_foreign_frame(void)
{
	expect_dom0("update_va_mapping of machine frame 0 (the hypervisor's)",
		    update_va((uintptr_t)victim, 0 | PT_RW), -XEN_EBUSY, 0, DOM0_IO);
	expect_dom0("update_va_mapping of a frame beyond machine memory (I/O space, no permission)",
		    update_va((uintptr_t)victim, (1ull << 38) | PT_RW), -XEN_EPERM, 0, DOM0_IO);
	remap_victim();
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
	expect_dom0("a store into our pinned L1 mapping frame 0 faults", hostif_store(entry, PT_RW), 1, 0,
		    DOM0_IO);
	hostif_load(entry, &after);
	expect_dom0("the L1 entry is unchanged afterwards", after != before, 0, 1, DOM0_IO);
	remap_victim();
}

static void touch_hypervisor(void)
{
	uint64_t v;
	expect("a load from the hypervisor's direct map faults", hostif_load(_gva(HV_DMAP + 0x100000), &v), 1);
	uint64_t faults = x86_fixups[hostif_vcpu()];
	__asm__ volatile(RECOVER_ARM "jmp *%[to]" RECOVER_END
			 :: [to] "r"(HV_TEXT + 0x1000), [slot] "r"(&recovery()->rip) : "r11", "memory");
	expect("a jump into the hypervisor's text faults", (long)(x86_fixups[hostif_vcpu()] - faults), 1);
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
	uint64_t faults = x86_fixups[hostif_vcpu()];
	uint8_t z = 0;
	__asm__ volatile(RECOVER_ARM "lock cmpxchgq %[val], (%[va])" RECOVER_END "\n\tsete %[z]"
			 : "+a"(*rax), [z] "=q"(z)
			 : [va] "r"(va), [val] "r"(val), [slot] "r"(&recovery()->rip)
			 : "r11", "cc", "memory");
	*zf = z;
	return x86_fixups[hostif_vcpu()] - faults;
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


static void syscall_at_the_hole(void)
{
	const uint64_t page = TOP_PAGE;
	pfn_t f = map_page_at(TOP_PAGE);
	expect("writing syscall into its last two bytes (allowed)",
	       hostif_store(_gva(page + PAGE_SIZE - 8), 0x050f000000000000ull), 0);
	uint64_t faults = x86_fixups[hostif_vcpu()];
	__asm__ volatile(RECOVER_ARM
			 "mov %[nr], %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "xor %%esi, %%esi\n\t"
			 "jmp *%[to]"
			 RECOVER_END
			 :: [to] "r"(page + PAGE_SIZE - 2), [nr] "i"(HYPERVISOR_console_io),
			    [slot] "r"(&recovery()->rip)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	expect("a hypercall returning beyond the canonical hole gets #GP", (long)(x86_fixups[hostif_vcpu()] - faults), 1);
	unmap_page_at(TOP_PAGE, f);
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
	pfn_t f = map_page_at(TOP_PAGE);
	expect("mmuext_op reading its request across the canonical hole",
	       mmuext_at(TOP_PAGE + PAGE_SIZE - 8), -XEN_EFAULT);
	unmap_page_at(TOP_PAGE, f);
	gva_t l4 = pfn_to_virt(kernel_mm.pgd);
	uint64_t before, after;
	hostif_load(l4, &before);
	expect_dom0("pvmmu_stats writing into our read-only L4",
		    xen_hypercall(HYPERVISOR_pvmmu_stats, gva_x(l4), 1, 0, 0, 0), -XEN_EFAULT, -XEN_ENOSYS,
		    PVMMU_OWN);
	hostif_load(l4, &after);
	expect("the L4 is unchanged afterwards", after != before, 0);
	expect_dom0("pvmmu_stats writing into the hypervisor's direct map",
		    xen_hypercall(HYPERVISOR_pvmmu_stats, HV_DMAP + 0x100000, 1, 0, 0, 0), -XEN_EFAULT,
		    -XEN_ENOSYS, PVMMU_OWN);
}

/* vcpu_op against Xen's rules (run with vcpus=6: vCPU 2 exists, never
 * initialised): another domain's vCPU number, bringing up what was never
 * initialised, contexts Xen refuses (a root that is not an L4 or not ours,
 * one it cannot read, a non-canonical rip or trap handler, no kernel mode
 * without a user root, LDT and GDT sizes), initialising twice, taking down
 * a vCPU that is down. */
#define SPARE_VCPU 2

static void bad_vcpu_ops(void)
{
	static struct vcpu_guest_context c;
	c.flags = VGCF_in_kernel;
	c.user_regs.rip = (uint64_t)(uintptr_t)bad_vcpu_ops;
	c.user_regs.rsp = (uint64_t)(uintptr_t)victim + PAGE_SIZE;
	c.user_regs.cs = FLAT_KERNEL_CS64;
	c.user_regs.ss = FLAT_KERNEL_SS64;
	expect("vcpu_op on a vCPU the domain does not have", vcpu_op(VCPUOP_is_up, 16, NULL), -XEN_ENOENT);
	expect("bringing up a vCPU never initialised", vcpu_op(VCPUOP_up, SPARE_VCPU, NULL), -XEN_EINVAL);
	c.ctrlreg[3] = mfn_of(_pfn(((uint64_t)(uintptr_t)victim - DIRECT_BASE) >> PAGE_SHIFT)) << PAGE_SHIFT;
	expect("initialise with a root that is not a pagetable", vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c),
	       -XEN_EINVAL);
	c.ctrlreg[3] = 0;
	expect("initialise with machine frame 0 (not ours) as the root",
	       vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c), -XEN_EINVAL);
	c.ctrlreg[3] = mfn_of(kernel_mm.pgd) << PAGE_SHIFT;
	expect("initialise from a context in the hypervisor's area",
	       xen_hypercall(HYPERVISOR_vcpu_op, VCPUOP_initialise, SPARE_VCPU, HV_DMAP + 0x100000, 0, 0),
	       -XEN_EFAULT);
	c.user_regs.rip = 0x0000800000000000ull;
	expect("initialise with a non-canonical rip", vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c), -XEN_EINVAL);
	c.user_regs.rip = (uint64_t)(uintptr_t)bad_vcpu_ops;
	c.trap_ctxt[3].address = 0x0000800000000000ull;
	expect("initialise with a non-canonical trap handler", vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c),
	       -XEN_EINVAL);
	c.trap_ctxt[3].address = 0;
	c.flags = 0;
	expect("initialise outside kernel mode with no user root", vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c),
	       -XEN_EINVAL);
	c.flags = VGCF_in_kernel;
	c.ldt_ents = 8193;
	expect("initialise with an LDT of 8193 entries", vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c), -XEN_EINVAL);
	c.ldt_ents = 0;
	c.gdt_ents = 16 * 512 + 1;
	expect("initialise with a GDT of 17 frames", vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c), -XEN_EINVAL);
	c.gdt_ents = 0;
	expect("vCPU 2 is still down", vcpu_op(VCPUOP_is_up, SPARE_VCPU, NULL), 0);
	expect("initialise it with a good context (allowed)", vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c), 0);
	expect("initialise it again", vcpu_op(VCPUOP_initialise, SPARE_VCPU, &c), -XEN_EEXIST);
	expect("it is still down", vcpu_op(VCPUOP_is_up, SPARE_VCPU, NULL), 0);
	expect("taking down a vCPU that is down (allowed, as on Xen)", vcpu_op(VCPUOP_down, SPARE_VCPU, NULL), 0);
}

const struct attack_mode attack_modes_mmu[] = {
	{ "writable-pt", map_pagetable_writable },
	{ "written-frames", pin_written_frames },
	{ "foreign-frame", map_foreign_frame },
	{ "reserved-slots", write_reserved_slots },
	{ "bad-root", load_bad_root },
	{ "bad-store", store_bad_entry },
	{ "hv-area", touch_hypervisor },
	{ "sysret-hole", syscall_at_the_hole },
	{ "bad-buffer", bad_buffers },
	{ "vcpu-op", bad_vcpu_ops },
	{ "vcpu-churn", vcpu_churn },
	{ "cmpxchg-pt", cmpxchg_entries },
};
const unsigned nr_attack_modes_mmu = sizeof(attack_modes_mmu) / sizeof(attack_modes_mmu[0]);

/* --- vCPU 1: runs what a mode gives it, one job at a time ------------------ */

static void (*volatile job)(void);
static _Atomic unsigned job_posted, job_finished;

void attack_secondary_main(void)
{
	unsigned seen = 0;
	if (xen_stress_vcpu())
		return;
	for (;;) {
		while (atomic_load(&job_posted) == seen)
			xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
		seen = atomic_load(&job_posted);
		job();
		atomic_store(&job_finished, seen);
	}
}

void attack_on_secondary(void (*fn)(void))
{
	job = fn;
	atomic_fetch_add(&job_posted, 1);
}

void attack_wait_secondary(void)
{
	while (atomic_load(&job_finished) != atomic_load(&job_posted))
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

static bool run_modes(const struct attack_mode *m, unsigned n, const char *name)
{
	bool all = x86_word_is(name, "all"), any = false;
	for (unsigned i = 0; i < n; i++) {
		if (!all && !x86_word_is(name, m[i].name))
			continue;
		any = true;
		x86_puts("attack mode ");
		x86_puts(m[i].name);
		x86_puts("\n");
		m[i].fn();
	}
	return any;
}

int xen_attacks(const char *name, const struct start_info *si, bool abi, unsigned cpus, const char *beside)
{
	attack_cpus = cpus;
	attack_vcpus = si->nr_vcpus;
	if (si->nr_vcpus >= 2) {
		x86_smp = true;         /* before any vCPU but 0 runs */
		x86_secondary_main = attack_secondary_main;
		x86_start_vcpus(2, pfn_to_mfn(kernel_mm.pgd));
	}
	if (beside && xen_stress_start(beside, si))
		return -1;
	bool any = false;
	if (abi) {
		any = run_modes(abi_modes, nr_abi_modes, name);
	} else {
		any = run_modes(attack_modes_mmu, nr_attack_modes_mmu, name);
		any = run_modes(attack_modes_ring0, nr_attack_modes_ring0, name) || any;
	}
	if (!any && !x86_word_is(name, "all"))
		return -1;
	x86_puts("pvmmu-attacks ");
	x86_put_kv("passed", passed);
	x86_put_kv("failed", failed);
	x86_put_kv("skipped", skipped);
	x86_put_kv("as_dom0", as_dom0);
	x86_puts("\n");
	if (beside)
		xen_stress_crash();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The ABI, rule by rule (abi=NAME): each hypercall and sub-op the
 * hypervisor serves, called the way a PV kernel may call it, rightly and
 * wrongly, with the answer Xen 4.17 gives: the result, the partial result
 * (how many requests of a batch ran, what they changed) and the state
 * after.  One group per hypercall, the way Xen's own test framework groups
 * its tests; the same guest runs them on hv and, as dom0, on Xen
 * (tools/xen.c), where the answers must be the same or differ for a reason
 * each says (expect_dom0).
 */
#include "attacks.h"

static struct mmu_update reqs[4];
static struct mmuext_op ops[4];
static uint32_t done;

static long mmu_updates(unsigned n, uint64_t done_at, unsigned domid)
{
	return xen_hypercall(HYPERVISOR_mmu_update, (uintptr_t)reqs, n, done_at, domid, 0);
}

static long mmuext_ops(unsigned n, uint64_t done_at)
{
	return xen_hypercall(HYPERVISOR_mmuext_op, (uintptr_t)ops, n, done_at, DOMID_SELF, 0);
}

/* A zeroed frame of ours, mapped read-only in the direct map, so it can
 * become a table. */
static pfn_t table_frame(void)
{
	pfn_t p = palloc();
	hostif_zero_page(pfn_to_virt(p));
	mmu_ops->protect_kernel_page(p, true);
	return p;
}

static void free_table_frame(pfn_t p)
{
	mmu_ops->protect_kernel_page(p, false);
	pput(p);
}

static uint64_t entry_of(pfn_t table, unsigned slot)
{
	uint64_t v = 0;
	hostif_load(_gva(gva_x(pfn_to_virt(table)) + slot * 8), &v);
	return v;
}

#define RO_ENTRY(p) (mfn_of(p) << PAGE_SHIFT | PTE_P | PTE_A | PTE_NX)

/* --- mmu_update ------------------------------------------------------------ */

static void abi_mmu_update(void)
{
	pfn_t l1 = table_frame(), data = palloc(), other = palloc();
	uint64_t l1m = mfn_of(l1) << PAGE_SHIFT;
	expect("pin a fresh L1 to update", mmuext(MMUEXT_PIN_L1_TABLE, mfn_of(l1)), 0);
	expect("mmu_update of no requests", mmu_updates(0, (uintptr_t)&done, DOMID_SELF), 0);
	reqs[0] = (struct mmu_update){ l1m | 4, 0 };
	expect("a request with command 4 (there is none)", mmu_updates(1, 0, DOMID_SELF), -XEN_ENOSYS);
	/* a batch whose second request is refused */
	reqs[0] = (struct mmu_update){ l1m + 0 * 8, RO_ENTRY(data) };
	reqs[1] = (struct mmu_update){ l1m + 1 * 8, mfn_of(l1) << PAGE_SHIFT | PT_RW };
	reqs[2] = (struct mmu_update){ l1m + 2 * 8, RO_ENTRY(other) };
	done = 99;
	expect("three requests, the second maps the L1 itself writable",
	       mmu_updates(3, (uintptr_t)&done, DOMID_SELF), -XEN_EBUSY);
	expect("done counts the one before it", done, 1);
	expect("the first landed", (entry_of(l1, 0) & PTE_ADDR_MASK) == mfn_of(data) << PAGE_SHIFT, 1);
	expect("the third did not run", entry_of(l1, 2), 0);
	/* done where it cannot be written: Xen writes it if it can, and the
	 * result is the requests' */
	reqs[0] = (struct mmu_update){ l1m + 3 * 8, RO_ENTRY(other) };
	expect("a request with done in the hypervisor's area", mmu_updates(1, HV_DMAP + 0x1000, DOMID_SELF), 0);
	expect("it ran", (entry_of(l1, 3) & PTE_ADDR_MASK) == mfn_of(other) << PAGE_SHIFT, 1);
	expect("requests that cannot be read", xen_hypercall(HYPERVISOR_mmu_update, HV_DMAP, 1, 0, DOMID_SELF, 0),
	       -XEN_EFAULT);
	/* PRESERVE_AD keeps the A and D bits the entry had */
	reqs[0] = (struct mmu_update){ l1m + 4 * 8, RO_ENTRY(data) | PTE_D };
	mmu_updates(1, 0, DOMID_SELF);
	reqs[0] = (struct mmu_update){ (l1m + 4 * 8) | MMU_PT_UPDATE_PRESERVE_AD, RO_ENTRY(data) & ~PTE_A };
	expect("PRESERVE_AD of an entry without A or D", mmu_updates(1, 0, DOMID_SELF), 0);
	expect("keeps the A and D it had", entry_of(l1, 4) & (PTE_A | PTE_D), PTE_A | PTE_D);
	/* the m2p */
	reqs[0] = (struct mmu_update){ mfn_of(data) << PAGE_SHIFT | MMU_MACHPHYS_UPDATE, pfn_x(data) };
	expect("MACHPHYS_UPDATE of our own frame", mmu_updates(1, 0, DOMID_SELF), 0);
	reqs[0] = (struct mmu_update){ 0 | MMU_MACHPHYS_UPDATE, 5 };
	expect("MACHPHYS_UPDATE of machine frame 0 (not ours)", mmu_updates(1, 0, DOMID_SELF), -XEN_EINVAL);
	/* foreign domains */
	reqs[0] = (struct mmu_update){ l1m + 5 * 8, RO_ENTRY(data) };
	expect("an unknown foreign domain", mmu_updates(1, 0, 1000), -XEN_ESRCH);
	expect_dom0("DOMID_IO as the foreign domain, no requests", mmu_updates(0, 0, DOMID_IO), -XEN_EPERM, 0,
		    "dom0 has privilege over I/O frames");
	/* a plain store into a frame that is no table */
	reqs[0] = (struct mmu_update){ mfn_of(other) << PAGE_SHIFT | 8, 0x1234 };
	expect("mmu_update of a frame that is no table: a plain store", mmu_updates(1, 0, DOMID_SELF), 0);
	expect("the store landed", entry_of(other, 1), 0x1234);
	expect("unpin the L1", mmuext(MMUEXT_UNPIN_TABLE, mfn_of(l1)), 0);
	free_table_frame(l1);
	pput(data);
	pput(other);
}

/* --- mmuext_op ------------------------------------------------------------- */

static long mmuext2(unsigned cmd, uint64_t arg1, uint64_t arg2)
{
	ops[0] = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = arg1, .arg2.vcpumask = arg2 };
	return mmuext_ops(1, 0);
}

static void abi_mmuext(void)
{
	pfn_t t = table_frame(), p = palloc(), q = palloc();
	expect("PIN_L1_TABLE of a zeroed frame", mmuext(MMUEXT_PIN_L1_TABLE, mfn_of(t)), 0);
	expect("pinning it again", mmuext(MMUEXT_PIN_L1_TABLE, mfn_of(t)), -XEN_EINVAL);
	expect("pinning it as an L2 too", mmuext(MMUEXT_PIN_L2_TABLE, mfn_of(t)), -XEN_EINVAL);
	expect("UNPIN_TABLE", mmuext(MMUEXT_UNPIN_TABLE, mfn_of(t)), 0);
	expect("unpinning what is not pinned", mmuext(MMUEXT_UNPIN_TABLE, mfn_of(t)), -XEN_EINVAL);
	expect("PIN_L2_TABLE of a frame mapped writable", mmuext(MMUEXT_PIN_L2_TABLE, mfn_of(p)), -XEN_EINVAL);
	for (unsigned level = 2; level <= 4; level++)
		expect(level == 2 ? "PIN_L2_TABLE of a zeroed frame" : level == 3 ? "PIN_L3_TABLE" : "PIN_L4_TABLE",
		       mmuext(MMUEXT_PIN_L1_TABLE + level - 1, mfn_of(t)) ||
			       mmuext(MMUEXT_UNPIN_TABLE, mfn_of(t)), 0);
	/* validated as an L4, the frame holds the hypervisor's slots: as an
	 * L1 they would map its frames */
	expect("PIN_L1_TABLE of a frame that was an L4", mmuext(MMUEXT_PIN_L1_TABLE, mfn_of(t)), -XEN_EBUSY);
	/* a batch whose second op is refused */
	pfn_t u = table_frame();
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = mfn_of(u) };
	ops[1] = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = mfn_of(u) };
	ops[2] = (struct mmuext_op){ .cmd = MMUEXT_UNPIN_TABLE, .arg1.mfn = mfn_of(u) };
	done = 99;
	expect("pin, pin again, unpin", mmuext_ops(3, (uintptr_t)&done), -XEN_EINVAL);
	expect("done counts the one before it", done, 1);
	expect("the third did not run: unpin now", mmuext(MMUEXT_UNPIN_TABLE, mfn_of(u)), 0);
	free_table_frame(u);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	expect("an op with done in the hypervisor's area", mmuext_ops(1, HV_DMAP + 0x1000), 0);
	expect("ops that cannot be read", xen_hypercall(HYPERVISOR_mmuext_op, HV_DMAP, 1, 0, DOMID_SELF, 0),
	       -XEN_EFAULT);
	expect("an unknown command (50)", mmuext2(50, 0, 0), -XEN_ENOSYS);
	/* the roots */
	uint64_t root = mfn_of(kernel_mm.pgd);
	expect("NEW_BASEPTR of the root in use", mmuext(MMUEXT_NEW_BASEPTR, root), 0);
	expect("NEW_USER_BASEPTR of none (0)", mmuext(MMUEXT_NEW_USER_BASEPTR, 0), 0);
	expect("NEW_BASEPTR of ~0", mmuext(MMUEXT_NEW_BASEPTR, ~0ull), -XEN_EINVAL);
	expect("NEW_USER_BASEPTR of ~0", mmuext(MMUEXT_NEW_USER_BASEPTR, ~0ull), -XEN_EINVAL);
	/* flushes */
	static uint64_t mask = 1, *unmapped = (uint64_t *)0x1000;
	expect("TLB_FLUSH_LOCAL", mmuext2(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), 0);
	expect("TLB_FLUSH_ALL", mmuext2(MMUEXT_TLB_FLUSH_ALL, 0, 0), 0);
	expect("TLB_FLUSH_MULTI of vCPU 0", mmuext2(MMUEXT_TLB_FLUSH_MULTI, 0, (uintptr_t)&mask), 0);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_MULTI, .arg2.vcpumask = (uintptr_t)unmapped };
	expect("TLB_FLUSH_MULTI with its mask unmapped", mmuext_ops(1, 0), -XEN_EINVAL);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = (uintptr_t)victim };
	expect("INVLPG_LOCAL", mmuext_ops(1, 0), 0);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = 0x0000800000000000ull };
	expect("INVLPG_LOCAL of a non-canonical address", mmuext_ops(1, 0), 0);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_INVLPG_ALL, .arg1.linear_addr = (uintptr_t)victim };
	expect("INVLPG_ALL", mmuext_ops(1, 0), 0);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_INVLPG_MULTI, .arg1.linear_addr = (uintptr_t)victim,
				     .arg2.vcpumask = (uintptr_t)&mask };
	expect("INVLPG_MULTI of vCPU 0", mmuext_ops(1, 0), 0);
	expect_dom0("FLUSH_CACHE", mmuext2(MMUEXT_FLUSH_CACHE, 0, 0), -XEN_EACCES, 0,
		    "dom0 may flush caches (it has I/O memory)");
	expect_dom0("FLUSH_CACHE_GLOBAL", mmuext2(MMUEXT_FLUSH_CACHE_GLOBAL, 0, 0), -XEN_EACCES, 0,
		    "dom0 may flush caches (it has I/O memory)");
	/* the LDT */
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = 0, .arg2.nr_ents = 0 };
	expect("SET_LDT of none", mmuext_ops(1, 0), 0);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = 0x1008, .arg2.nr_ents = 1 };
	expect("SET_LDT of an address not page-aligned", mmuext_ops(1, 0), -XEN_EINVAL);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = 0x1000, .arg2.nr_ents = 8193 };
	expect("SET_LDT of 8193 entries", mmuext_ops(1, 0), -XEN_EINVAL);
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = HV_DMAP, .arg2.nr_ents = 1 };
	expect("SET_LDT in the hypervisor's area", mmuext_ops(1, 0), -XEN_EINVAL);
	/* pages */
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_COPY_PAGE, .arg1.mfn = mfn_of(p), .arg2.src_mfn = mfn_of(q) };
	hostif_store(pfn_to_virt(q), 0x5a5a);
	expect("COPY_PAGE between frames of ours", mmuext_ops(1, 0), 0);
	expect("it copied", entry_of(p, 0), 0x5a5a);
	expect("CLEAR_PAGE of a frame of ours", mmuext(MMUEXT_CLEAR_PAGE, mfn_of(p)), 0);
	expect("it cleared", entry_of(p, 0), 0);
	expect("CLEAR_PAGE of machine frame 0 (not ours)", mmuext(MMUEXT_CLEAR_PAGE, 0), -XEN_EINVAL);
	expect("CLEAR_PAGE of our root", mmuext(MMUEXT_CLEAR_PAGE, root), -XEN_EINVAL);
	expect("MARK_SUPER", mmuext(MMUEXT_MARK_SUPER, mfn_of(p)), -XEN_EOPNOTSUPP);
	expect("UNMARK_SUPER", mmuext(MMUEXT_UNMARK_SUPER, mfn_of(p)), -XEN_EOPNOTSUPP);
	free_table_frame(t);
	pput(p);
	pput(q);
}

/* --- update_va_mapping ----------------------------------------------------- */

static long uva(uint64_t va, uint64_t val, uint64_t flags)
{
	return xen_hypercall(HYPERVISOR_update_va_mapping, va, val, flags, 0, 0);
}

static void abi_update_va_mapping(void)
{
	static uint64_t mask = 1;
	uint64_t pfn = ((uint64_t)(uintptr_t)victim - DIRECT_BASE) >> PAGE_SHIFT;
	uint64_t e = mfn_of(_pfn(pfn)) << PAGE_SHIFT | PT_RW, va = (uintptr_t)victim;
	expect("update_va_mapping, no flush", uva(va, e, UVMF_NONE), 0);
	expect("with INVLPG, this vCPU", uva(va, e, UVMF_INVLPG | UVMF_LOCAL), 0);
	expect("with TLB_FLUSH, every vCPU", uva(va, e, UVMF_TLB_FLUSH | UVMF_ALL), 0);
	expect("with INVLPG, vCPUs by mask", uva(va, e, UVMF_INVLPG | (uintptr_t)&mask), 0);
	expect("with INVLPG and its mask unmapped", uva(va, e, UVMF_INVLPG | 0x1000), -XEN_EFAULT);
	expect("flush type 3", uva(va, e, 3), 0);
	expect("of a non-canonical address", uva(0x0000800000000000ull, 0, UVMF_INVLPG), -XEN_EINVAL);
	expect("in the hypervisor's area", uva(HV_DMAP, 0, UVMF_INVLPG), -XEN_EINVAL);
	expect("of an address with no L1", uva(0x0000700000000000ull, 0, UVMF_INVLPG), -XEN_EINVAL);
	expect_dom0("of machine frame 0 (not ours)", uva(va, 0 | PT_RW, UVMF_INVLPG), -XEN_EBUSY, 0,
		    "dom0 may map I/O memory; frame 0 is I/O memory to Xen");
	expect("update_va_mapping_otherdomain of ourselves (DOMID_SELF)",
	       xen_hypercall(HYPERVISOR_update_va_mapping_otherdomain, va, e, UVMF_INVLPG, DOMID_SELF, 0), 0);
	expect("update_va_mapping_otherdomain of an unknown domain",
	       xen_hypercall(HYPERVISOR_update_va_mapping_otherdomain, va, e, UVMF_INVLPG, 1000, 0), -XEN_ESRCH);
	expect("victim is mapped as before", uva(va, e, UVMF_INVLPG), 0);
}

/* --- multicall ------------------------------------------------------------- */

static void abi_multicall(void)
{
	static struct multicall_entry mc[4], inner[1];
	mc[0] = (struct multicall_entry){ .op = HYPERVISOR_mmuext_op,
					  .args = { (uintptr_t)&ops[0], 1, 0, DOMID_SELF } };
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	mc[1] = (struct multicall_entry){ .op = 60 };
	inner[0] = (struct multicall_entry){ .op = HYPERVISOR_sched_op, .args = { SCHEDOP_yield } };
	mc[2] = (struct multicall_entry){ .op = HYPERVISOR_multicall, .args = { (uintptr_t)inner, 1 } };
	mc[3] = (struct multicall_entry){ .op = HYPERVISOR_mmuext_op, .args = { HV_DMAP, 1, 0, DOMID_SELF } };
	expect("a multicall of four", xen_hypercall(HYPERVISOR_multicall, (uintptr_t)mc, 4, 0, 0, 0), 0);
	expect("the first's result", (long)mc[0].result, 0);
	expect("an unknown hypercall's", (long)mc[1].result, -XEN_ENOSYS);
	expect("a nested multicall's", (long)mc[2].result, -XEN_EINVAL);
	expect("a failed one's", (long)mc[3].result, -XEN_EFAULT);
	expect("a multicall of none", xen_hypercall(HYPERVISOR_multicall, (uintptr_t)mc, 0, 0, 0, 0), 0);
	expect("entries that cannot be read", xen_hypercall(HYPERVISOR_multicall, HV_DMAP, 1, 0, 0, 0),
	       -XEN_EFAULT);
}

/* --- the rest: console_io, sched_op, vcpu_op, set_trap_table, numbers ------ */

static void abi_misc(void)
{
	static const char c = '\n';
	expect("hypercall 60 (none)", xen_hypercall(60, 0, 0, 0, 0, 0), -XEN_ENOSYS);
	expect("console_io write of one byte", xen_hypercall(HYPERVISOR_console_io, CONSOLEIO_write, 1,
							      (uintptr_t)&c, 0, 0), 0);
	expect("console_io write from the hypervisor's area",
	       xen_hypercall(HYPERVISOR_console_io, CONSOLEIO_write, 1, HV_DMAP, 0, 0), -XEN_EFAULT);
	expect("console_io command 7 (none)", xen_hypercall(HYPERVISOR_console_io, 7, 0, 0, 0, 0), -XEN_ENOSYS);
	expect("sched_op yield", xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0), 0);
	expect("sched_op command 99 (none)", xen_hypercall(HYPERVISOR_sched_op, 99, 0, 0, 0, 0), -XEN_ENOSYS);
	expect("vcpu_op command 99 (none)", vcpu_op(99, 0, NULL), -XEN_ENOSYS);
	expect("VCPUOP_is_up of ourselves", vcpu_op(VCPUOP_is_up, 0, NULL), 1);
	expect("set_trap_table of our table", xen_hypercall(HYPERVISOR_set_trap_table,
							      (uintptr_t)xen_trap_table, 0, 0, 0, 0), 0);
	expect("set_trap_table from the hypervisor's area",
	       xen_hypercall(HYPERVISOR_set_trap_table, HV_DMAP, 0, 0, 0, 0), -XEN_EFAULT);
}

/* --- the platform a PV kernel asks of at boot (answered alike by a domU
 * and dom0: what differs for dom0, such as memory_map, is left out) ------- */

static long hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return xen_hypercall(nr, a0, a1, a2, 0, 0);
}

static void abi_platform(void)
{
	static uint32_t feat[2], ev[6];
	static uint64_t arg[3];
	expect("xen_version: 4.17", hc(HYPERVISOR_xen_version, 0, 0, 0), 0x40011);
	feat[0] = 1;
	expect("xen_version: features submap 1", hc(HYPERVISOR_xen_version, 6, (uintptr_t)feat, 0), -XEN_EINVAL);
	expect("xen_version: pagesize", hc(HYPERVISOR_xen_version, 7, 0, 0), 4096);
	expect("xen_version: command 99", hc(HYPERVISOR_xen_version, 99, 0, 0), -XEN_ENOSYS);
	expect("set_segment_base: which 99", hc(HYPERVISOR_set_segment_base, 99, 0, 0), -XEN_EINVAL);
	expect("set_segment_base: a non-canonical FS base",
	       hc(HYPERVISOR_set_segment_base, SEGBASE_FS, 1ull << 63 | 1, 0), -XEN_EINVAL);
	expect("fpu_taskswitch(0)", hc(HYPERVISOR_fpu_taskswitch, 0, 0, 0), 0);
	expect("set_debugreg: dr7 wider than 32 bits", hc(HYPERVISOR_set_debugreg, 7, 1ull << 32, 0), -XEN_EINVAL);
	expect("set_debugreg: dr0 in the hypervisor's area", hc(HYPERVISOR_set_debugreg, 0, HV_DMAP, 0), -XEN_EPERM);
	expect("get_debugreg: register 8", hc(HYPERVISOR_get_debugreg, 8, 0, 0), -XEN_ENODEV);
	expect("set_debugreg: dr7 with GD", hc(HYPERVISOR_set_debugreg, 7, 1u << 13, 0), -XEN_EPERM);
	expect("vm_assist: type 63", hc(HYPERVISOR_vm_assist, 0, 63, 0), -XEN_EINVAL);
	expect("update_descriptor: misaligned", hc(HYPERVISOR_update_descriptor, 1, 0, 0), -XEN_EINVAL);
	expect("set_gdt: 8000 entries", hc(HYPERVISOR_set_gdt, (uintptr_t)arg, 8000, 0), -XEN_EINVAL);
	expect("event_channel_op: command 99", hc(HYPERVISOR_event_channel_op, 99, (uintptr_t)ev, 0), -XEN_ENOSYS);
	ev[0] = 99;
	expect("bind_virq: VIRQ 99", hc(HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (uintptr_t)ev, 0), -XEN_EINVAL);
	ev[0] = 5000;
	expect("unmask: port 5000", hc(HYPERVISOR_event_channel_op, EVTCHNOP_unmask, (uintptr_t)ev, 0), -XEN_EINVAL);
	ev[0] = DOMID_SELF | DOMID_SELF << 16;
	expect("alloc_unbound", hc(HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (uintptr_t)ev, 0), 0);
	uint32_t port = ev[1];
	ev[0] = DOMID_SELF, ev[1] = port;
	expect("status of the new port", hc(HYPERVISOR_event_channel_op, EVTCHNOP_status, (uintptr_t)ev, 0), 0);
	expect("... is unbound", ev[2], 1);
	ev[0] = port;
	expect("close it", hc(HYPERVISOR_event_channel_op, EVTCHNOP_close, (uintptr_t)ev, 0), 0);
	expect("close it again", hc(HYPERVISOR_event_channel_op, EVTCHNOP_close, (uintptr_t)ev, 0), -XEN_EINVAL);
	arg[0] = 100;
	expect("VCPUOP_set_periodic_timer: 100 ns", vcpu_op(VCPUOP_set_periodic_timer, 0, arg), -XEN_EINVAL);
	arg[0] = 1, arg[1] = 1;
	expect("VCPUOP_set_singleshot_timer: in the past, future only (4.17 ignores the flag)",
	       vcpu_op(VCPUOP_set_singleshot_timer, 0, arg), 0);
	expect("VCPUOP_stop_singleshot_timer", vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
	expect("memory_op: machphys_mapping", hc(HYPERVISOR_memory_op, 12, (uintptr_t)arg, 0), 0);
	expect("... starts at 0xffff800000000000", (long)(arg[0] >> 32), 0xffff8000);
	expect("memory_op: command 63", hc(HYPERVISOR_memory_op, 63, 0, 0), -XEN_ENOSYS);
	expect("set_timer_op(0)", hc(HYPERVISOR_set_timer_op, 0, 0, 0), 0);
}

const struct attack_mode abi_modes[] = {
	{ "mmu-update", abi_mmu_update },
	{ "mmuext", abi_mmuext },
	{ "update-va-mapping", abi_update_va_mapping },
	{ "multicall", abi_multicall },
	{ "misc", abi_misc },
	{ "platform", abi_platform },
	{ "memory", abi_memory },
	{ "physdev", abi_physdev },
};
const unsigned nr_abi_modes = sizeof(abi_modes) / sizeof(abi_modes[0]);

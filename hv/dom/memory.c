/* SPDX-License-Identifier: MIT */
/*
 * memory_op(cmd, arg) for a PV domain, as Xen 4.17 answers an unprivileged
 * one (common/memory.c, arch/x86/mm.c, x86_64/mm.c).  cmd's low 6 bits are
 * the operation, the rest a continuation's start extent.
 *
 *   machphys_mapping        where the read-only m2p is: 0xffff800000000000
 *                           to 0xffff804000000000, max_mfn 2^35 - 1
 *   current_reservation     pages the domain has
 *   maximum_reservation     pages it may have (the same: hv does not grow
 *                           a domain)
 *   maximum_gpfn            from shared_info.arch.max_pfn, as Xen has it
 *   maximum_ram_page        the machine's frame count
 *   (the three with a domain argument: DOMID_SELF or the domain's own id;
 *   any other -ESRCH; a start extent -EINVAL)
 *   memory_map              -ENOSYS: the domain has no memory map of its
 *                           own, as xl gives a PV domU none, so the guest
 *                           takes one RAM range of nr_pages
 *   get_vnumainfo           -EOPNOTSUPP (no virtual NUMA)
 * Everything else is -ENOSYS.  Not done: increase_reservation,
 * decrease_reservation, populate_physmap and exchange (ballooning), which
 * need core/ to let a frame go once its last reference does.
 */
#include "../hv.h"

#define XENMEM_maximum_ram_page     2
#define XENMEM_current_reservation  3
#define XENMEM_maximum_reservation  4
#define XENMEM_memory_map           9
#define XENMEM_machphys_mapping     12
#define XENMEM_maximum_gpfn         14
#define XENMEM_get_vnumainfo        26
#define MEMOP_CMD_MASK              0x3f

#define MACH2PHYS_VIRT_START 0xffff800000000000ull
#define MACH2PHYS_VIRT_END   0xffff804000000000ull

/* The domain a struct xen_memory_domain at (arg) names: 0, or an error. */
static long own_domain(struct vcpu *v, uint64_t arg)
{
	uint16_t domid;
	if (env_copy_from_guest(v, &domid, arg, sizeof(domid)))
		return -XEN_EFAULT;
	return domid == DOMID_SELF || domid == v->d->domid ? 0 : -XEN_ESRCH;
}

static long reservation(struct vcpu *v, unsigned op, uint64_t start, uint64_t arg)
{
	if (start)
		return -XEN_EINVAL;
	long rc = own_domain(v, arg);
	if (rc)
		return rc;
	const struct hv_domain *hd = hv_domain(v->d);
	if (op != XENMEM_maximum_gpfn)
		return (long)hd->nr_pages;
	uint64_t max_pfn = ((struct shared_info *)maddr_virt(hd->shared_info))->arch.max_pfn;
	return (long)((max_pfn ? max_pfn : 1) - 1);
}

long do_memory_op(struct vcpu *v, const uint64_t a[6])
{
	unsigned op = (unsigned)(a[0] & MEMOP_CMD_MASK);
	uint64_t start = a[0] >> 6;
	switch (op) {
	case XENMEM_maximum_ram_page:
		return (long)machine.nr_frames;
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
	case XENMEM_maximum_gpfn:
		return reservation(v, op, start, a[1]);
	case XENMEM_machphys_mapping: {
		const uint64_t map[3] = { MACH2PHYS_VIRT_START, MACH2PHYS_VIRT_END,
					  ((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> 3) - 1 };
		return env_copy_to_guest(v, a[1], map, sizeof(map)) ? -XEN_EFAULT : 0;
	}
	case XENMEM_get_vnumainfo:
		return -XEN_EOPNOTSUPP;
	default:
		return -XEN_ENOSYS;
	}
}

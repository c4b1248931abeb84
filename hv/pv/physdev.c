/* SPDX-License-Identifier: MIT */
/*
 * physdev_op, as Xen 4.17's arch/x86/physdev.c (and drivers/pci/physdev.c)
 * answers an unprivileged PV domain under XSM's default policy, which
 * refuses it everything XSM_PRIV or XSM_DM_PRIV guards (-EPERM).  A domain
 * here owns no device, so its pirqs are numbers only: nothing is ever
 * bound to one or delivered.  Each command copies its argument in first
 * (-EFAULT) unless said otherwise:
 *
 *   set_iopl            0-3 (else -EINVAL): the vCPU's virtual IOPL
 *   set_iobitmap        a bitmap that starts where a guest handle may and
 *                       at most 65536 ports (else -EINVAL), not consulted:
 *                       only the virtual IOPL opens ports, none is ours
 *   pirq_eoi_gmfn v1/v2 our frame, held writable for the domain's life as
 *                       the pirq EOI bitmap (else -EINVAL); a second time
 *                       -EBUSY; v1 asks for EOIs to unmask
 *   IRQ_UNMASK_NOTIFY   0
 *   irq_status_query    a pirq below nr_pirqs: needs_eoi, else -EINVAL
 *   get_free_pirq       a pirq for the domain: of type GSI the lowest free
 *                       from 16 below nr_irqs_gsi, then (any type) the
 *                       highest free from nr_pirqs - 1 down to nr_irqs_gsi;
 *                       none left -ENOSPC
 *   eoi                 0 for a pirq get_free_pirq gave, else -EINVAL
 *   map_pirq            -EINVAL for MULTI_MSI with a table base (nothing
 *                       written back); an unknown domain -ESRCH, else
 *                       -EPERM; the struct written back (-EFAULT), an
 *                       MSI_SEG type as MSI
 *   pci_device_add      its proximity domain read too if asked, then -EPERM
 *   unmap_pirq          an unknown domain -ESRCH, else -EPERM
 *   apic_read/write, alloc_irq_vector, manage_pci_add/remove,
 *   prepare/release_msix, pci_device_add/remove  -EPERM
 *   manage_pci_add_ext  -EINVAL for is_extfn or is_virtfn above 1, else -EPERM
 *   setup_gsi           -EINVAL for a GSI outside nr_irqs_gsi, else -EPERM
 *   restore_msi(_ext)   a function the machine has (x86/pci.c, as Xen
 *                       lists every domain's) -EPERM (not the hardware
 *                       domain's to restore), else -ENODEV
 *   pci_mmcfg_reserved, dbgp_op  -EPERM before anything is read
 *   anything else       -ENOSYS
 *
 * nr_irqs_gsi is the machine's (x86/apic.c); nr_pirqs is nr_irqs_gsi plus
 * Xen's 32 extra for a domU.
 */
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../hv.h"

#define EXTRA_DOMU_PIRQS 32u        /* Xen's extra_domU_irqs */

typedef long (*physdev_fn)(struct vcpu *v, unsigned cmd, uint64_t arg);

static unsigned nr_pirqs(void)
{
	unsigned n = irq_gsis + EXTRA_DOMU_PIRQS;
	return n < PIRQ_MAX ? n : PIRQ_MAX;
}

/* Copy (len) bytes of the argument in: 0 or -EFAULT. */
static long arg_in(struct vcpu *v, void *to, uint64_t arg, size_t len)
{
	return env_copy_from_guest(v, to, arg, len) ? -XEN_EFAULT : 0;
}

static long arg_out(struct vcpu *v, uint64_t arg, const void *from, size_t len)
{
	return env_copy_to_guest(v, arg, from, len) ? -XEN_EFAULT : 0;
}

static bool pirq_taken(const struct hv_domain *hd, unsigned p)
{
	return hd->pirq.taken[p / 64] >> (p % 64) & 1;
}

static long set_iopl(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	uint32_t iopl;
	long rc = arg_in(v, &iopl, arg, sizeof(iopl));
	if (rc)
		return rc;
	if (iopl > 3)
		return -XEN_EINVAL;
	hv_vcpu(v)->iopl = (uint64_t)iopl << 12;
	return 0;
}

static long set_iobitmap(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	struct { uint64_t bitmap; uint32_t nr_ports; } b;
	long rc = arg_in(v, &b, arg, 12);
	if (rc)
		return rc;
	if (!guest_addr_ok(b.bitmap) || b.nr_ports > 65536)
		return -XEN_EINVAL;     /* Xen's guest_handle_okay: where it starts */
	return 0;
}

static long pirq_eoi_gmfn(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	struct hv_domain *hd = hv_domain(v->d);
	uint64_t gmfn;
	long rc = arg_in(v, &gmfn, arg, sizeof(gmfn));
	if (rc)
		return rc;
	mfn_t m = _mfn(gmfn);
	if (hd->pirq.eoi_map_set) {
		/* Xen takes the frame first, then finds the map set */
		if (!frame_valid(&machine, m) || frame_get_type(v, m, FT_WRITABLE, true))
			return -XEN_EINVAL;
		frame_put_type(v, m, true);
		return -XEN_EBUSY;
	}
	if (!frame_valid(&machine, m) || dom_hold_writable(v, m))
		return -XEN_EINVAL;
	hd->pirq.eoi_map_set = true;
	hd->pirq.auto_unmask = cmd == PHYSDEVOP_pirq_eoi_gmfn_v1;
	return 0;
}

static long irq_unmask_notify(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)v, (void)cmd, (void)arg;
	return 0;
}

static long irq_status_query(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	struct physdev_irq_status_query q;
	long rc = arg_in(v, &q, arg, sizeof(q));
	if (rc)
		return rc;
	if ((int32_t)q.irq < 0 || q.irq >= nr_pirqs())
		return -XEN_EINVAL;
	q.flags = XENIRQSTAT_needs_eoi;         /* never shared: nothing is bound */
	return arg_out(v, arg, &q, sizeof(q));
}

/* Xen's get_free_pirq: the pirq handed out, or -ENOSPC. */
static long take_pirq(struct hv_domain *hd, int32_t type)
{
	unsigned n = nr_pirqs(), gsis = irq_gsis < n ? irq_gsis : n;
	long p = -XEN_ENOSPC;
	for (unsigned i = 16; type == MAP_PIRQ_TYPE_GSI && i < gsis && p < 0; i++)
		if (!pirq_taken(hd, i))
			p = i;
	for (unsigned i = n; p < 0 && i-- > gsis;)
		if (!pirq_taken(hd, i))
			p = i;
	if (p >= 0)
		hd->pirq.taken[p / 64] |= 1ull << (p % 64);
	return p;
}

static long get_free_pirq(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	struct physdev_get_free_pirq out;
	long rc = arg_in(v, &out, arg, sizeof(out));
	if (rc)
		return rc;
	rc = take_pirq(hv_domain(v->d), out.type);
	if (rc < 0)
		return rc;
	out.pirq = (uint32_t)rc;
	return arg_out(v, arg, &out, sizeof(out));
}

static long eoi(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	uint32_t irq;
	long rc = arg_in(v, &irq, arg, sizeof(irq));
	if (rc)
		return rc;
	return irq < nr_pirqs() && pirq_taken(hv_domain(v->d), irq) ? 0 : -XEN_EINVAL;
}

/* rcu_lock_domain_by_any_id, then XSM_DM_PRIV: -ESRCH or -EPERM. */
static long pirq_domain_refused(uint16_t domid)
{
	return domid == DOMID_SELF || domain_by_id(&machine, domid) ? -XEN_EPERM : -XEN_ESRCH;
}

static long map_pirq(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	struct physdev_map_pirq map;
	long rc = arg_in(v, &map, arg, sizeof(map));
	if (rc)
		return rc;
	if (map.type == MAP_PIRQ_TYPE_MULTI_MSI && map.table_base)
		return -XEN_EINVAL;
	if (map.type == MAP_PIRQ_TYPE_MSI_SEG)
		map.type = MAP_PIRQ_TYPE_MSI;   /* and so it is written back */
	rc = pirq_domain_refused(map.domid);
	return arg_out(v, arg, &map, sizeof(map)) ? -XEN_EFAULT : rc;
}

static long unmap_pirq(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	struct physdev_unmap_pirq unmap;
	long rc = arg_in(v, &unmap, arg, sizeof(unmap));
	return rc ? rc : pirq_domain_refused(unmap.domid);
}

/* The argument's size for the commands that read it and then are refused
 * by XSM_PRIV. */
static const uint8_t priv_arg[32] = {
	[PHYSDEVOP_apic_read] = 16, [PHYSDEVOP_apic_write] = 16, [PHYSDEVOP_alloc_irq_vector] = 8,
	[PHYSDEVOP_manage_pci_add] = 2, [PHYSDEVOP_manage_pci_remove] = 2,
	[PHYSDEVOP_prepare_msix] = 4, [PHYSDEVOP_release_msix] = 4, [PHYSDEVOP_pci_device_remove] = 4,
};

static long privileged(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	uint8_t buf[16];
	long rc = arg_in(v, buf, arg, priv_arg[cmd]);
	return rc ? rc : -XEN_EPERM;
}

/* pci_device_add reads its proximity domain too when its flags say so. */
static long pci_device_add(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	struct { uint16_t seg; uint8_t bus, devfn; uint32_t flags; uint8_t physfn[2]; uint32_t pxm; } add;
	long rc = arg_in(v, &add, arg, 12);
	if (!rc && (add.flags & XEN_PCI_DEV_PXM))
		rc = arg_in(v, &add.pxm, arg + 12, sizeof(add.pxm));
	return rc ? rc : -XEN_EPERM;
}

static long manage_pci_add_ext(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	struct { uint8_t bus, devfn; uint32_t is_extfn, is_virtfn; uint8_t physfn[2]; } ext;
	long rc = arg_in(v, &ext, arg, sizeof(ext));
	if (rc)
		return rc;
	return ext.is_extfn > 1 || ext.is_virtfn > 1 ? -XEN_EINVAL : -XEN_EPERM;
}

static long setup_gsi(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)cmd;
	struct { int32_t gsi; uint8_t triggering, polarity; } g;
	long rc = arg_in(v, &g, arg, sizeof(g));
	if (rc)
		return rc;
	return g.gsi < 0 || (unsigned)g.gsi >= irq_gsis ? -XEN_EINVAL : -XEN_EPERM;
}

static long restore_msi(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	uint8_t dev[4];
	bool ext = cmd == PHYSDEVOP_restore_msi_ext;
	long rc = arg_in(v, dev, arg, ext ? 4 : 2);
	if (rc)
		return rc;
	uint16_t seg = ext ? (uint16_t)(dev[0] | dev[1] << 8) : 0;
	return pci_present(seg, dev[ext ? 2 : 0], dev[ext ? 3 : 1]) ? -XEN_EPERM : -XEN_ENODEV;
}

static long refused_unread(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	(void)v, (void)cmd, (void)arg;
	return -XEN_EPERM;
}

static const physdev_fn physdev_ops[32] = {
	[PHYSDEVOP_IRQ_UNMASK_NOTIFY] = irq_unmask_notify,
	[PHYSDEVOP_irq_status_query] = irq_status_query,
	[PHYSDEVOP_set_iopl] = set_iopl,
	[PHYSDEVOP_set_iobitmap] = set_iobitmap,
	[PHYSDEVOP_apic_read] = privileged,
	[PHYSDEVOP_apic_write] = privileged,
	[PHYSDEVOP_alloc_irq_vector] = privileged,
	[PHYSDEVOP_eoi] = eoi,
	[PHYSDEVOP_map_pirq] = map_pirq,
	[PHYSDEVOP_unmap_pirq] = unmap_pirq,
	[PHYSDEVOP_manage_pci_add] = privileged,
	[PHYSDEVOP_manage_pci_remove] = privileged,
	[PHYSDEVOP_pirq_eoi_gmfn_v1] = pirq_eoi_gmfn,
	[PHYSDEVOP_restore_msi] = restore_msi,
	[PHYSDEVOP_manage_pci_add_ext] = manage_pci_add_ext,
	[PHYSDEVOP_setup_gsi] = setup_gsi,
	[PHYSDEVOP_get_free_pirq] = get_free_pirq,
	[PHYSDEVOP_pci_mmcfg_reserved] = refused_unread,
	[PHYSDEVOP_pci_device_add] = pci_device_add,
	[PHYSDEVOP_pci_device_remove] = privileged,
	[PHYSDEVOP_restore_msi_ext] = restore_msi,
	[PHYSDEVOP_pirq_eoi_gmfn_v2] = pirq_eoi_gmfn,
	[PHYSDEVOP_dbgp_op] = refused_unread,
	[PHYSDEVOP_prepare_msix] = privileged,
	[PHYSDEVOP_release_msix] = privileged,
};

long do_physdev_op(struct vcpu *v, const uint64_t a[6])
{
	int cmd = (int)a[0];
	if (cmd < 0 || cmd >= 32 || !physdev_ops[cmd])
		return -XEN_ENOSYS;
	return physdev_ops[cmd](v, (unsigned)cmd, a[1]);
}

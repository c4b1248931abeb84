/* SPDX-License-Identifier: MIT */
/*
 * The physdev_op rules (abi=physdev), each with the answer Xen 4.17 gives a
 * PV domU (and, where it differs, its dom0): the virtual IOPL and I/O
 * bitmap; the pirq commands of a domain that owns no device (the EOI
 * bitmap's frame, status queries, pirqs handed out and EOIed); and the
 * commands only a privileged domain may make.
 */
#include "attacks.h"

static long physdev(unsigned cmd, const void *arg)
{
	return xen_hypercall(HYPERVISOR_physdev_op, cmd, (uintptr_t)arg, 0, 0, 0);
}

/* set_iopl and set_iobitmap, and what they refuse. */
static void abi_io(void)
{
	static struct iobitmap { uint64_t bitmap; uint32_t nr_ports, pad; } iobmp;
	static uint32_t iopl[1] = { 4 };
	expect("set_iopl: 4", physdev(PHYSDEVOP_set_iopl, iopl), -XEN_EINVAL);
	expect("set_iopl: its argument in the hypervisor's area",
	       physdev(PHYSDEVOP_set_iopl, (const void *)HV_DMAP), -XEN_EFAULT);
	iobmp = (struct iobitmap){ (uintptr_t)victim, 65537, 0 };
	expect("set_iobitmap: 65537 ports", physdev(PHYSDEVOP_set_iobitmap, &iobmp), -XEN_EINVAL);
	iobmp = (struct iobitmap){ HV_DMAP, 16, 0 };
	expect("set_iobitmap: a bitmap in the hypervisor's area", physdev(PHYSDEVOP_set_iobitmap, &iobmp),
	       -XEN_EINVAL);
	iobmp = (struct iobitmap){ 0x0000800000000000ull, 16, 0 };
	expect("set_iobitmap: a non-canonical bitmap", physdev(PHYSDEVOP_set_iobitmap, &iobmp), -XEN_EINVAL);
	iobmp = (struct iobitmap){ (uintptr_t)victim, 0, 0 };
	expect("set_iobitmap: none (no ports)", physdev(PHYSDEVOP_set_iobitmap, &iobmp), 0);
	expect("command 99", physdev(99, NULL), -XEN_ENOSYS);
	expect("free_irq_vector: not a command of x86's", physdev(PHYSDEVOP_free_irq_vector, NULL), -XEN_ENOSYS);
}

/* The pirq EOI bitmap's frame: one of ours, once. */
static void abi_eoi_map(void)
{
	static uint64_t gmfn[1];
	gmfn[0] = 0;
	expect("pirq_eoi_gmfn_v2: machine frame 0 (not ours)", physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, gmfn),
	       -XEN_EINVAL);
	expect("pirq_eoi_gmfn_v2: its argument in the hypervisor's area",
	       physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, (const void *)HV_DMAP), -XEN_EFAULT);
	gmfn[0] = mfn_of(palloc());     /* kept: the domain holds it from now on */
	expect("pirq_eoi_gmfn_v2: a frame of ours", physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, gmfn), 0);
	expect("... again: the map is set", physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, gmfn), -XEN_EBUSY);
	expect("... v1 too", physdev(PHYSDEVOP_pirq_eoi_gmfn_v1, gmfn), -XEN_EBUSY);
	gmfn[0] = 0;
	expect("... v1 of a frame not ours: that first", physdev(PHYSDEVOP_pirq_eoi_gmfn_v1, gmfn), -XEN_EINVAL);
	expect("IRQ_UNMASK_NOTIFY", physdev(PHYSDEVOP_IRQ_UNMASK_NOTIFY, NULL), 0);
}

/* Status queries, pirqs handed out, EOIs. */
static void abi_pirqs(void)
{
	static struct physdev_irq_status_query q;
	static struct physdev_get_free_pirq fp;
	static uint32_t irq[1];
	q = (struct physdev_irq_status_query){ 0, 0 };
	expect("irq_status_query: pirq 0", physdev(PHYSDEVOP_irq_status_query, &q), 0);
	expect("... needs an EOI, not shared", q.flags, XENIRQSTAT_needs_eoi);
	q.irq = 0xffffffffu;
	expect("irq_status_query: pirq -1", physdev(PHYSDEVOP_irq_status_query, &q), -XEN_EINVAL);
	q.irq = 0x7fffffffu;
	expect("irq_status_query: pirq 2^31 - 1", physdev(PHYSDEVOP_irq_status_query, &q), -XEN_EINVAL);
	q.irq = 55;
	expect("irq_status_query: pirq 55 (a domU's last: 24 GSIs + 32)", physdev(PHYSDEVOP_irq_status_query, &q),
	       0);
	q.irq = 56;
	expect_dom0("irq_status_query: pirq 56 (past a domU's)", physdev(PHYSDEVOP_irq_status_query, &q),
		    -XEN_EINVAL, 0, "a dom0 has more pirqs");
	expect("irq_status_query: its argument in the hypervisor's area",
	       physdev(PHYSDEVOP_irq_status_query, (const void *)HV_DMAP), -XEN_EFAULT);
	irq[0] = 16;
	expect("eoi: pirq 16, not ours yet", physdev(PHYSDEVOP_eoi, irq), -XEN_EINVAL);
	fp = (struct physdev_get_free_pirq){ MAP_PIRQ_TYPE_GSI, 0 };
	expect("get_free_pirq of type GSI", physdev(PHYSDEVOP_get_free_pirq, &fp), 0);
	expect("... the lowest from 16", fp.pirq, 16);
	expect("... again: the next", physdev(PHYSDEVOP_get_free_pirq, &fp) == 0 && fp.pirq == 17, 1);
	fp.type = MAP_PIRQ_TYPE_MSI;
	expect("get_free_pirq of type MSI", physdev(PHYSDEVOP_get_free_pirq, &fp), 0);
	expect_dom0("... the highest: 55", fp.pirq, 55, 207, "a dom0 has more pirqs (208 here)");
	expect("eoi: pirq 16, ours now", physdev(PHYSDEVOP_eoi, irq), 0);
	irq[0] = 18;
	expect("eoi: pirq 18, not ours", physdev(PHYSDEVOP_eoi, irq), -XEN_EINVAL);
	irq[0] = 1u << 20;
	expect("eoi: pirq 2^20", physdev(PHYSDEVOP_eoi, irq), -XEN_EINVAL);
}

/* What only a privileged domain (or a domain's device model) may do. */
static void abi_privileged(void)
{
	static struct physdev_map_pirq map;
	static struct physdev_unmap_pirq unmap;
	static uint8_t buf[16];
	static int32_t gsi[2];
	static const void *const bad = (const void *)HV_DMAP;
	static struct pci_add { uint16_t seg; uint8_t bus, devfn; uint32_t flags; uint8_t physfn[2], pad[2];
				 uint32_t pxm; } pci_add;
	map = (struct physdev_map_pirq){ .domid = 7, .type = MAP_PIRQ_TYPE_GSI, .index = 9, .pirq = -1 };
	expect("map_pirq for domain 7 (none)", physdev(PHYSDEVOP_map_pirq, &map), -XEN_ESRCH);
	map = (struct physdev_map_pirq){ .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_MULTI_MSI, .table_base = 1 };
	expect("map_pirq: multi-MSI with a table base", physdev(PHYSDEVOP_map_pirq, &map), -XEN_EINVAL);
	expect("map_pirq: its argument in the hypervisor's area", physdev(PHYSDEVOP_map_pirq, bad), -XEN_EFAULT);
	map = (struct physdev_map_pirq){ .domid = 7, .type = MAP_PIRQ_TYPE_MSI_SEG, .pirq = -1 };
	expect("map_pirq: MSI_SEG for domain 7 (none)", physdev(PHYSDEVOP_map_pirq, &map), -XEN_ESRCH);
	expect("... written back as MSI", map.type, MAP_PIRQ_TYPE_MSI);
	unmap = (struct physdev_unmap_pirq){ 7, 40 };
	expect("unmap_pirq for domain 7 (none)", physdev(PHYSDEVOP_unmap_pirq, &unmap), -XEN_ESRCH);
	unmap.domid = DOMID_SELF;
	expect_dom0("unmap_pirq: ours, 40 (never mapped)", physdev(PHYSDEVOP_unmap_pirq, &unmap), -XEN_EPERM,
		    -XEN_EINVAL, "a dom0 may unmap");
	expect_dom0("alloc_irq_vector", physdev(PHYSDEVOP_alloc_irq_vector, buf), -XEN_EPERM, 0,
		    "a dom0 programs the I/O APIC");
	expect("apic_read: its argument in the hypervisor's area", physdev(PHYSDEVOP_apic_read, bad),
	       -XEN_EFAULT);
	gsi[0] = 1000;
	expect("setup_gsi: GSI 1000 (none such)", physdev(PHYSDEVOP_setup_gsi, gsi), -XEN_EINVAL);
	gsi[0] = -1;
	expect("setup_gsi: GSI -1", physdev(PHYSDEVOP_setup_gsi, gsi), -XEN_EINVAL);
	expect_dom0("pci_mmcfg_reserved: refused before its argument is read", physdev(PHYSDEVOP_pci_mmcfg_reserved, bad),
		    -XEN_EPERM, -XEN_EFAULT, "a dom0 may report MMCFG");
	expect_dom0("dbgp_op: likewise", physdev(PHYSDEVOP_dbgp_op, bad), -XEN_EPERM, -XEN_EFAULT,
		    "a dom0 is the hardware domain");
	buf[0] = 0xff, buf[1] = 0xff;
	expect("restore_msi: bus 255, device 31.7 (none such)", physdev(PHYSDEVOP_restore_msi, buf), -XEN_ENODEV);
	pci_add = (struct pci_add){ 0 };
	expect_dom0("pci_device_add: 00:00.0, the host bridge (as a dom0 reports it)",
		    physdev(PHYSDEVOP_pci_device_add, &pci_add), -XEN_EPERM, 0, "a dom0 may add devices");
	buf[0] = 0, buf[1] = 0;
	expect_dom0("restore_msi: 00:00.0", physdev(PHYSDEVOP_restore_msi, buf), -XEN_EPERM, 0,
		    "the hardware domain's to restore");
	static uint16_t ext[2];
	expect_dom0("restore_msi_ext: 0000:00:00.0", physdev(PHYSDEVOP_restore_msi_ext, ext), -XEN_EPERM, 0,
		    "the hardware domain's to restore");
	ext[0] = 1;
	expect("restore_msi_ext: segment 1 (none such)", physdev(PHYSDEVOP_restore_msi_ext, ext), -XEN_ENODEV);
	expect("manage_pci_add: its argument in the hypervisor's area", physdev(PHYSDEVOP_manage_pci_add, bad),
	       -XEN_EFAULT);
	pci_add = (struct pci_add){ .bus = 0xff, .devfn = 0xff, .flags = XEN_PCI_DEV_PXM };
	expect_dom0("pci_device_add: bus 255, device 31.7", physdev(PHYSDEVOP_pci_device_add, &pci_add), -XEN_EPERM,
		    0, "a dom0 may add devices");
}

void abi_physdev(void)
{
	abi_io();
	abi_eoi_map();
	abi_pirqs();
	abi_privileged();
}

/* SPDX-License-Identifier: MIT */
/*
 * The PV MMU ABI: the subset of Xen's public interface (xen/include/public/
 * xen.h, errno.h, arch-x86/xen-x86_64.h) that pvmmu implements.  Every number
 * and layout here is Xen's own, so that a guest built for Xen's 64-bit PV ABI
 * can issue these hypercalls unchanged.  Shared by core, guest, sim, hv and
 * the tests.
 *
 * 64-bit PV calling convention: hypercall number in rax, arguments in rdi,
 * rsi, rdx, r10, r8 (r9); result in rax.  Errors are negative errno values.
 */
#ifndef PVMMU_ABI_H
#define PVMMU_ABI_H

#include <stddef.h>
#include <stdint.h>

#define PVMMU_ABI_VERSION 1

/* Hypercall numbers. */
#define HYPERVISOR_set_trap_table                0
#define HYPERVISOR_mmu_update                    1
#define HYPERVISOR_set_gdt                       2
#define HYPERVISOR_stack_switch                  3
#define HYPERVISOR_set_callbacks                 4
#define HYPERVISOR_fpu_taskswitch                5
#define HYPERVISOR_set_debugreg                  8
#define HYPERVISOR_get_debugreg                  9
#define HYPERVISOR_update_descriptor             10
#define HYPERVISOR_memory_op                     12
#define HYPERVISOR_multicall                     13
#define HYPERVISOR_update_va_mapping             14
#define HYPERVISOR_set_timer_op                  15
#define HYPERVISOR_xen_version                   17
#define HYPERVISOR_console_io                    18
#define HYPERVISOR_grant_table_op                20
#define HYPERVISOR_vm_assist                     21
#define HYPERVISOR_update_va_mapping_otherdomain 22
#define HYPERVISOR_iret                          23
#define HYPERVISOR_vcpu_op                       24
#define HYPERVISOR_set_segment_base              25
#define HYPERVISOR_mmuext_op                     26
#define HYPERVISOR_sched_op                      29
#define HYPERVISOR_callback_op                   30
#define HYPERVISOR_event_channel_op              32
#define HYPERVISOR_physdev_op                    33
#define HYPERVISOR_xenpmu_op                     40
#define HYPERVISOR_NR                            64 /* size of dispatch tables */

/*
 * mmu_update(const struct mmu_update *reqs, unsigned count,
 *            unsigned *done, unsigned foreigndom)
 * The command is in the low 3 bits of ptr; the rest is a machine address:
 *   MMU_NORMAL_PT_UPDATE      checked *ptr = val, ptr = maddr of an entry
 *   MMU_MACHPHYS_UPDATE       m2p[ptr >> 12] = val (a pfn)
 *   MMU_PT_UPDATE_PRESERVE_AD as NORMAL, keeping the entry's A and D bits
 *   MMU_PT_UPDATE_NO_TRANSLATE as NORMAL (val is never translated for PV)
 * foreigndom: bits 0-15 the owner of the frames mapped (DOMID_SELF),
 * bits 16-31 the owner of the pagetable plus one (0 = self).
 * count with MMU_UPDATE_PREEMPTED set marks a continuation.
 */
#define MMU_NORMAL_PT_UPDATE       0
#define MMU_MACHPHYS_UPDATE        1
#define MMU_PT_UPDATE_PRESERVE_AD  2
#define MMU_PT_UPDATE_NO_TRANSLATE 3
#define MMU_UPDATE_CMD_MASK        7ull
#define MMU_UPDATE_PREEMPTED       0x80000000u

struct mmu_update {
	uint64_t ptr;
	uint64_t val;
};

/*
 * mmuext_op(struct mmuext_op *ops, unsigned count, unsigned *done,
 *           unsigned foreigndom)
 *   cmd                     arg1          arg2
 *   PIN_L1..L4_TABLE        mfn           -
 *   UNPIN_TABLE             mfn           -
 *   NEW_BASEPTR             mfn (kernel)  -
 *   TLB_FLUSH_LOCAL         -             -
 *   INVLPG_LOCAL            linear_addr   -
 *   TLB_FLUSH_MULTI         -             vcpumask (pointer to a bitmap)
 *   INVLPG_MULTI            linear_addr   vcpumask
 *   TLB_FLUSH_ALL           -             -
 *   INVLPG_ALL              linear_addr   -
 *   FLUSH_CACHE             -             -
 *   SET_LDT                 linear_addr   nr_ents
 *   NEW_USER_BASEPTR        mfn (0: none) -
 *   CLEAR_PAGE              mfn           -
 *   COPY_PAGE               mfn (dst)     src_mfn
 *   FLUSH_CACHE_GLOBAL      -             -
 *   MARK_SUPER/UNMARK_SUPER mfn           - (obsolete: -EOPNOTSUPP)
 */
#define MMUEXT_PIN_L1_TABLE      0
#define MMUEXT_PIN_L2_TABLE      1
#define MMUEXT_PIN_L3_TABLE      2
#define MMUEXT_PIN_L4_TABLE      3
#define MMUEXT_UNPIN_TABLE       4
#define MMUEXT_NEW_BASEPTR       5
#define MMUEXT_TLB_FLUSH_LOCAL   6
#define MMUEXT_INVLPG_LOCAL      7
#define MMUEXT_TLB_FLUSH_MULTI   8
#define MMUEXT_INVLPG_MULTI      9
#define MMUEXT_TLB_FLUSH_ALL     10
#define MMUEXT_INVLPG_ALL        11
#define MMUEXT_FLUSH_CACHE       12
#define MMUEXT_SET_LDT           13
#define MMUEXT_NEW_USER_BASEPTR  15
#define MMUEXT_CLEAR_PAGE        16
#define MMUEXT_COPY_PAGE         17
#define MMUEXT_FLUSH_CACHE_GLOBAL 18
#define MMUEXT_MARK_SUPER        19
#define MMUEXT_UNMARK_SUPER      20
#define MMUEXT_NR                21

struct mmuext_op {
	uint32_t cmd;
	uint32_t pad;
	union {
		uint64_t mfn;
		uint64_t linear_addr;
	} arg1;
	union {
		uint32_t nr_ents;
		uint64_t vcpumask;
		uint64_t src_mfn;
	} arg2;
};

/*
 * update_va_mapping(unsigned long va, uint64_t val, unsigned long flags)
 * update_va_mapping_otherdomain(va, val, flags, domid_t domid)
 * flags & UVMF_FLUSHTYPE_MASK: what to flush after a successful update;
 * flags & ~UVMF_FLUSHTYPE_MASK: where: LOCAL, ALL, or else a pointer to a
 * vCPU bitmap (UVMF_MULTI | ptr).
 */
#define UVMF_NONE           0ull
#define UVMF_TLB_FLUSH      1ull
#define UVMF_INVLPG         2ull
#define UVMF_FLUSHTYPE_MASK 3ull
#define UVMF_MULTI          0ull
#define UVMF_LOCAL          0ull
#define UVMF_ALL            4ull

/* multicall(struct multicall_entry *list, unsigned long nr) */
struct multicall_entry {
	uint64_t op;
	uint64_t result;
	uint64_t args[6];
};

/* grant_table_op(cmd, args, count): the operations hv answers. */
#define GNTTABOP_setup_table 2
#define GNTTABOP_query_size  6
#define GNTTABOP_set_version 8
#define GNTTABOP_get_version 10
#define GNTST_okay           0
#define GNTST_general_error  (-1)
#define GNTST_bad_domain     (-2)
/* setup_table's argument (struct gnttab_setup_table) */
struct gnttab_setup_table {
	uint16_t dom;
	uint32_t nr_frames;
	int16_t status;
	uint64_t frame_list;        /* guest address of nr_frames mfns, written back */
};
_Static_assert(__builtin_offsetof(struct gnttab_setup_table, status) == 8 &&
	       __builtin_offsetof(struct gnttab_setup_table, frame_list) == 16, "Xen's layout");

/* memory_op(cmd, arg): the operations hv serves that take a reservation
 * or an exchange; cmd's bits above MEMOP_EXTENT_SHIFT carry a
 * continuation's start extent */
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_current_reservation  3
#define XENMEM_populate_physmap     6
#define XENMEM_exchange             11
#define MEMOP_EXTENT_SHIFT          6
#define XENMEMF_exact_node_request  (1u << 17)
struct xen_memory_reservation {
	uint64_t extent_start;      /* a guest array of nr_extents pfns or mfns, 0: none */
	uint64_t nr_extents;
	uint32_t extent_order;
	uint32_t mem_flags;         /* bits 0-7: the highest address bit + 1 a frame may have;
				     * 8-15: NUMA node + 1; XENMEMF_exact_node_request */
	uint16_t domid;
};
struct xen_memory_exchange {
	struct xen_memory_reservation in, out;
	uint64_t nr_exchanged;      /* in-extents done so far: in and out */
};
_Static_assert(sizeof(struct xen_memory_reservation) == 32 &&
	       __builtin_offsetof(struct xen_memory_exchange, nr_exchanged) == 64, "Xen's layout");

/* callback_op(cmd, struct callback_register *) */
#define CALLBACKOP_register    0
#define CALLBACKOP_unregister  1
#define CALLBACKTYPE_event     0
#define CALLBACKTYPE_failsafe  1
#define CALLBACKTYPE_syscall   2
#define CALLBACKTYPE_sysenter  3
#define CALLBACKTYPE_nmi       4
#define CALLBACKTYPE_syscall32 7
#define CALLBACKF_mask_events  1u
struct callback_register {
	uint16_t type, flags;
	uint32_t pad;
	uint64_t address;
};

/* console_io(int cmd, int count, char *buffer) */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/* sched_op(int cmd, void *arg) */
#define SCHEDOP_yield    0
#define SCHEDOP_block    1
#define SCHEDOP_shutdown 2
#define SCHEDOP_poll     3
struct sched_shutdown {
	uint32_t reason;
};
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot   1
#define SHUTDOWN_suspend  2
#define SHUTDOWN_crash    3


/* set_trap_table(const struct trap_info *traps): a list ended by a zero
 * address; NULL clears the table. */
struct trap_info {
	uint8_t vector;
	uint8_t flags;              /* bits 0-1: DPL that may raise it by int; bit 2: mask events */
	uint16_t cs;
	uint64_t address;           /* 0 ends the list */
};
#define TI_DPL(flags) ((flags) & 3u)
#define TI_IF(flags)  (((flags) >> 2) & 1u) /* deliver with events masked (an interrupt gate) */

/* iret(void): the guest's stack holds, from rsp up: */
struct iret_context {
	uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};
#define VGCF_I387_VALID (1ull << 0)
#define VGCF_in_syscall (1ull << 8)
#define VGCF_in_kernel  (1ull << 2)

/* The flat selectors a 64-bit PV guest runs with (Xen's FLAT_RING3_*):
 * kernel and user both in ring 3, the same 64-bit code and stack segments;
 * FLAT_USER_CS32 for 32-bit user code. */
#define FLAT_KERNEL_CS64 0xe033u
#define FLAT_KERNEL_SS64 0xe02bu
#define FLAT_USER_CS32   0xe023u
#define FLAT_USER_DS64   0xe02bu

/* vcpu_op(cmd, vcpuid, arg): bring up the vCPUs after the first. */
#define VCPUOP_initialise 0   /* arg: struct vcpu_guest_context */
#define VCPUOP_up         1
#define VCPUOP_down       2
#define VCPUOP_is_up      3
#define VCPUOP_get_runstate_info           4
#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_set_periodic_timer          6
#define VCPUOP_stop_periodic_timer         7
#define VCPUOP_set_singleshot_timer        8
#define VCPUOP_stop_singleshot_timer       9
#define VCPUOP_register_vcpu_info          10

/* Virtual IRQs a domain may bind to event channels. */
#define VIRQ_TIMER 0u
#define NR_VIRQS   24u

/* event_channel_op(cmd, arg): the 2-level ABI's operations. */
#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq        1
#define EVTCHNOP_bind_pirq        2
#define EVTCHNOP_close            3
#define EVTCHNOP_send             4
#define EVTCHNOP_status           5
#define EVTCHNOP_alloc_unbound    6
#define EVTCHNOP_bind_ipi         7
#define EVTCHNOP_bind_vcpu        8
#define EVTCHNOP_unmask           9

/* physdev_op's commands (public/physdev.h) and the structs its PIRQ
 * commands take (the others: set_iopl { uint32 iopl }, set_iobitmap
 * { uint64 bitmap; uint32 nr_ports }, apic { uint64 apic_physbase; uint32
 * reg, value }, irq { uint32 irq, vector }, manage_pci { uint8 bus, devfn },
 * manage_pci_ext { uint8 bus, devfn; uint32 is_extfn, is_virtfn; uint8
 * physfn_bus, physfn_devfn }, setup_gsi { int32 gsi; uint8 triggering,
 * polarity }, pci_device { uint16 seg; uint8 bus, devfn }, pci_device_add
 * { uint16 seg; uint8 bus, devfn; uint32 flags; uint8 physfn_bus,
 * physfn_devfn }, pci_mmcfg_reserved { uint64 address; uint16 segment;
 * uint8 start_bus, end_bus; uint32 flags }) */
#define PHYSDEVOP_IRQ_UNMASK_NOTIFY 4
#define PHYSDEVOP_irq_status_query  5
#define PHYSDEVOP_set_iopl          6
#define PHYSDEVOP_set_iobitmap      7
#define PHYSDEVOP_apic_read         8
#define PHYSDEVOP_apic_write        9
#define PHYSDEVOP_alloc_irq_vector  10
#define PHYSDEVOP_free_irq_vector   11
#define PHYSDEVOP_eoi               12
#define PHYSDEVOP_map_pirq          13
#define PHYSDEVOP_unmap_pirq        14
#define PHYSDEVOP_manage_pci_add    15
#define PHYSDEVOP_manage_pci_remove 16
#define PHYSDEVOP_pirq_eoi_gmfn_v1  17
#define PHYSDEVOP_restore_msi       19
#define PHYSDEVOP_manage_pci_add_ext 20
#define PHYSDEVOP_setup_gsi         21
#define PHYSDEVOP_get_free_pirq     23
#define PHYSDEVOP_pci_mmcfg_reserved 24
#define PHYSDEVOP_pci_device_add    25
#define PHYSDEVOP_pci_device_remove 26
#define PHYSDEVOP_restore_msi_ext   27
#define PHYSDEVOP_pirq_eoi_gmfn_v2  28
#define PHYSDEVOP_dbgp_op           29
#define PHYSDEVOP_prepare_msix      30
#define PHYSDEVOP_release_msix      31

#define MAP_PIRQ_TYPE_MSI       0
#define MAP_PIRQ_TYPE_GSI       1
#define MAP_PIRQ_TYPE_MSI_SEG   3
#define MAP_PIRQ_TYPE_MULTI_MSI 4
#define XENIRQSTAT_needs_eoi    1u
#define XEN_PCI_DEV_PXM         4u  /* pci_device_add: a proximity domain follows */

struct physdev_irq_status_query {
	uint32_t irq;
	uint32_t flags;             /* XENIRQSTAT_*, out */
};

struct physdev_map_pirq {
	uint16_t domid;             /* a domid_t */
	int32_t type;
	int32_t index;
	int32_t pirq;
	int32_t bus;
	int32_t devfn;
	int32_t entry_nr;
	uint64_t table_base;
};

struct physdev_unmap_pirq {
	uint16_t domid;             /* a domid_t */
	int32_t pirq;
};

struct physdev_get_free_pirq {
	int32_t type;
	uint32_t pirq;              /* out */
};

/* A vCPU's registers as Xen's x86-64 ABI lays them out. */
struct cpu_user_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint32_t error_code, entry_vector;
	uint64_t rip;
	uint16_t cs, pad0;
	uint8_t saved_upcall_mask, pad1[3];
	uint64_t rflags, rsp;
	uint16_t ss, pad2[3], es, pad3[3], ds, pad4[3], fs, pad5[3], gs, pad6[3];
};

/* VCPUOP_initialise's argument (x86-64). */
struct vcpu_guest_context {
	uint8_t fpu_ctxt[512];
	uint64_t flags;
	struct cpu_user_regs user_regs;
	struct trap_info trap_ctxt[256];
	uint64_t ldt_base, ldt_ents;
	uint64_t gdt_frames[16], gdt_ents;
	uint64_t kernel_ss, kernel_sp;
	uint64_t ctrlreg[8];        /* ctrlreg[3]: the L4's mfn << 12 */
	uint64_t debugreg[8];
	uint64_t event_callback_eip, failsafe_callback_eip, syscall_callback_eip;
	uint64_t vm_assist;
	uint64_t fs_base, gs_base_kernel, gs_base_user;
};

/* The frame an exception is delivered with, on the guest kernel's stack,
 * from the new rsp up: rcx, r11, [error code], rip, cs, rflags, rsp, ss.
 * cs carries the saved upcall mask in bits 32-39, and its RPL is 0 when the
 * guest kernel was interrupted; rflags.IF is the virtual one (!mask).  The
 * faulting address of a page fault is in vcpu_info[vcpu].arch.cr2. */
struct vcpu_time_info {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift, flags;
	uint8_t pad1[2];
};
struct vcpu_info {
	uint8_t evtchn_upcall_pending;
	uint8_t evtchn_upcall_mask;     /* events masked: the virtual IF, inverted */
	uint8_t pad[6];
	uint64_t evtchn_pending_sel;
	uint64_t cr2, arch_pad;         /* struct arch_vcpu_info */
	struct vcpu_time_info time;
};
#define XEN_VCPU_INFO_SIZE 64u
#define XEN_VCPU_INFO_CR2  16u  /* offset in a vcpu_info */
#define XEN_LEGACY_MAX_VCPUS 32u /* vcpu_info slots in the shared info page */

/* The shared info page: every vCPU's vcpu_info, the 2-level event channel
 * words (64 x 64 ports), the wall clock, and what the guest tells the
 * toolstack. */
struct shared_info {
	struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
	uint64_t evtchn_pending[64];
	uint64_t evtchn_mask[64];
	uint32_t wc_version, wc_sec, wc_nsec, wc_sec_hi;
	struct {
		uint64_t max_pfn, pfn_to_mfn_frame_list_list, nmi_reason;
		uint64_t p2m_cr3, p2m_vaddr, p2m_generation;
	} arch;
};

/* pvmmu's own hypercall, in the range Xen leaves to architectures
 * (arch_7): copy this domain's per-vCPU counters (struct pvmmu_stats, one
 * per vCPU) to a guest buffer.  pvmmu_stats(struct pvmmu_stats *buf, unsigned nr) */
#define HYPERVISOR_pvmmu_stats 55
struct pvmmu_stats {
	uint64_t hypercalls, validated, pins, unpins, flushes, emulated;
	uint64_t flush_ipis;        /* flushes sent to other physical CPUs */
};

/* --- start of day -------------------------------------------------------- */

/* A PV guest's ELF notes (name "Xen"). */
#define XEN_ELFNOTE_ENTRY          1
#define XEN_ELFNOTE_HYPERCALL_PAGE 2
#define XEN_ELFNOTE_VIRT_BASE      3
#define XEN_ELFNOTE_XEN_VERSION    5
#define XEN_ELFNOTE_GUEST_OS       6
#define XEN_ELFNOTE_PHYS32_ENTRY   18

/* What the domain builder leaves for a PV guest; rsi points at it. */
#define XEN_START_MAGIC "xen-3.0-x86_64"
/* vm_assist(cmd, type): the types hv acts on */
#define VMASST_TYPE_pae_extended_cr3   3u
#define VMASST_TYPE_architectural_iopl 4u

/* set_segment_base(which, base) */
#define SEGBASE_FS          0u
#define SEGBASE_GS_USER     1u
#define SEGBASE_GS_KERNEL   2u
#define SEGBASE_GS_USER_SEL 3u

#define SIF_PRIVILEGED  (1u << 0)   /* start_info.flags: a privileged domain */
#define SIF_INITDOMAIN  (1u << 1)   /* ... the initial (hardware) domain: Xen's dom0 */
#define SIF_MOD_START_PFN (1u << 3) /* ... mod_start is the initrd's first pfn, not its address */
#define MAX_GUEST_CMDLINE 1024
struct xen_start_info {
	char magic[32];
	uint64_t nr_pages;
	uint64_t shared_info;       /* machine address */
	uint32_t flags;
	uint64_t store_mfn;
	uint32_t store_evtchn;
	struct {
		uint64_t mfn;
		uint32_t evtchn;
	} console;
	uint64_t pt_base;           /* virtual address of the initial L4 */
	uint64_t nr_pt_frames;
	uint64_t mfn_list;          /* virtual address of the p2m */
	uint64_t mod_start, mod_len;
	char cmd_line[MAX_GUEST_CMDLINE];
	uint64_t first_p2m_pfn, nr_p2m_frames;
};

/* The xenstore wire protocol (public/io/xs_wire.h): a message is this
 * header and (len) bytes of payload, NUL-terminated strings mostly. */
enum xsd_sockmsg_type {
	XS_CONTROL, XS_DIRECTORY, XS_READ, XS_GET_PERMS, XS_WATCH, XS_UNWATCH,
	XS_TRANSACTION_START, XS_TRANSACTION_END, XS_INTRODUCE, XS_RELEASE,
	XS_GET_DOMAIN_PATH, XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS, XS_WATCH_EVENT,
	XS_ERROR, XS_IS_DOMAIN_INTRODUCED, XS_RESUME, XS_SET_TARGET,
	XS_RESET_WATCHES = XS_SET_TARGET + 2, XS_DIRECTORY_PART,
	XS_TYPE_COUNT,
};
struct xsd_sockmsg {
	uint32_t type;              /* XS_* */
	uint32_t req_id;            /* echoed in the reply */
	uint32_t tx_id;             /* the transaction, 0 for none */
	uint32_t len;               /* bytes of payload that follow */
};
#define XENSTORE_RING_SIZE    1024u
#define XENSTORE_PAYLOAD_MAX  4096u
#define XENSTORE_ABS_PATH_MAX 3072u
#define XENSTORE_REL_PATH_MAX 2048u
/* The ring page: requests from the guest, replies and watch events to it;
 * each side writes its producer index and the other's consumer index. */
struct xenstore_domain_interface {
	char req[XENSTORE_RING_SIZE];
	char rsp[XENSTORE_RING_SIZE];
	uint32_t req_cons, req_prod;
	uint32_t rsp_cons, rsp_prod;
	uint32_t server_features;
	uint32_t connection;        /* XENSTORE_CONNECTED */
	uint32_t error;             /* why the server stopped serving the ring */
};
#define XENSTORE_CONNECTED     0u
#define XENSTORE_ERROR_NONE    0u
#define XENSTORE_ERROR_COMM    1u
#define XENSTORE_ERROR_RINGIDX 2u
#define XENSTORE_ERROR_PROTO   3u

/* PVH: what the loader leaves for a PVH kernel; ebx points at it. */
#define XEN_HVM_START_MAGIC 0x336ec578u
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;      /* version 1 and up */
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};
#define XEN_HVM_MEMMAP_TYPE_RAM 1

/* Domain ids. */
typedef uint16_t domid_t;
#define DOMID_FIRST_RESERVED 0x7ff0u
#define DOMID_SELF           0x7ff0u
#define DOMID_IO             0x7ff1u
#define DOMID_XEN            0x7ff2u
#define DOMID_COW            0x7ff3u
#define DOMID_INVALID        0x7ff4u

/* Xen's errno values (returned negated). */
#define XEN_EPERM      1
#define XEN_ENOENT     2
#define XEN_ESRCH      3
#define XEN_EINTR      4
#define XEN_E2BIG      7
#define XEN_ENOMEM     12
#define XEN_EACCES     13
#define XEN_EFAULT     14
#define XEN_EBUSY      16
#define XEN_EEXIST     17
#define XEN_ENXIO      6
#define XEN_EAGAIN     11 /* internal: an emulated store found its entry changed; it runs again */
#define XEN_ENODEV     19
#define XEN_EINVAL     22
#define XEN_ENOSPC     28
#define XEN_ERANGE     34
#define XEN_ENOSYS     38
#define XEN_ERESTART   85 /* internal: the hypercall continues later, never seen by guests */
#define XEN_EOPNOTSUPP 95

/* The 64-bit PV virtual layout: L4 slots 256..271 belong to the hypervisor. */
#define HV_L4_FIRST_SLOT      256u
#define HV_L4_LAST_SLOT       271u
#define HV_L4_NR_SLOTS        16u
#define HV_VIRT_START         0xffff800000000000ull
#define HV_VIRT_END           0xffff880000000000ull
#define MACH2PHYS_VIRT_START  0xffff800000000000ull
#define MACH2PHYS_VIRT_END    0xffff804000000000ull

_Static_assert(sizeof(struct mmu_update) == 16, "mmu_update is 16 bytes");
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op is 24 bytes on x86-64");
_Static_assert(__builtin_offsetof(struct mmuext_op, arg1) == 8, "arg1 at +8");
_Static_assert(__builtin_offsetof(struct mmuext_op, arg2) == 16, "arg2 at +16");
_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry is 64 bytes");
_Static_assert(__builtin_offsetof(struct multicall_entry, result) == 8, "result at +8");

_Static_assert(sizeof(struct trap_info) == 16, "trap_info is 16 bytes");
_Static_assert(__builtin_offsetof(struct xen_start_info, pt_base) == 88, "start_info pt_base at +88");
_Static_assert(__builtin_offsetof(struct xen_start_info, cmd_line) == 128, "start_info cmd_line at +128");
_Static_assert(sizeof(struct xen_start_info) == 1168, "start_info is 1168 bytes");
_Static_assert(offsetof(struct xenstore_domain_interface, server_features) == 2064, "xenstore ring features at 2064");
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info is 56 bytes");
_Static_assert(sizeof(struct cpu_user_regs) == 200, "cpu_user_regs is 200 bytes");
_Static_assert(sizeof(struct vcpu_guest_context) == 5168, "vcpu_guest_context is 5168 bytes");
_Static_assert(offsetof(struct vcpu_guest_context, trap_ctxt) == 720, "trap_ctxt at 720");
_Static_assert(offsetof(struct vcpu_guest_context, ctrlreg) == 4984, "ctrlreg at 4984");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry is 24 bytes");
_Static_assert(sizeof(struct vcpu_info) == XEN_VCPU_INFO_SIZE, "vcpu_info is 64 bytes");
_Static_assert(offsetof(struct vcpu_info, cr2) == XEN_VCPU_INFO_CR2, "arch.cr2 at 16");
_Static_assert(offsetof(struct vcpu_info, time) == 32, "time at 32");
_Static_assert(offsetof(struct shared_info, evtchn_pending) == 2048, "evtchn_pending at 2048");
_Static_assert(offsetof(struct shared_info, wc_version) == 3072, "wc_version at 3072");
_Static_assert(offsetof(struct shared_info, arch) == 3088, "arch_shared_info at 3088");

#endif

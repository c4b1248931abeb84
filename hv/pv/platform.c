/* SPDX-License-Identifier: MIT */
/*
 * What a PV kernel asks of the platform at boot, answered as Xen 4.17
 * answers an unprivileged PV domain (common/kernel.c, common/domain.c,
 * XSM's default policy):
 *
 * xen_version(cmd, arg):
 *   version           4.17, as (major << 16) | minor
 *   extraversion      "-pvmmu"; changeset "pvmmu"; compile_info: who built hv
 *   capabilities      "xen-3.0-x86_64" (64-bit PV guests only)
 *   platform_parameters  virt_start = 0xffff800000000000
 *   get_features      submap 0: memory_op_vnode_supported, the PV trio
 *                     (mmu_pt_update_preserve_ad, highmem_assist,
 *                     gnttab_map_avail_bits), direct_mapped, and
 *                     pae_pgdir_above_4gb once vm_assist(pae_extended_cr3);
 *                     other submaps -EINVAL
 *   pagesize          4096 (with a null argument, else -EINVAL)
 *   guest_handle      the domain's handle (16 zero bytes)
 *   commandline       "<denied>" (XSM: privileged domains only)
 *   build_id          -EPERM (likewise); anything else -ENOSYS
 *
 * vm_assist(cmd, type): enable (0) or disable (1) one of 4gb_segments,
 *   4gb_segments_notify, writable_pagetables, pae_extended_cr3,
 *   architectural_iopl, runstate_update_flag, m2p_strict; another type is
 *   -EINVAL, another cmd -ENOSYS.  hv acts on architectural_iopl (the
 *   guest kernel counts as ring 0 for the virtual IOPL, pv/emul_priv.c)
 *   and pae_extended_cr3 (the feature bit); the others are recorded.
 *
 * physdev_op: pv/physdev.c.
 */
#include "../hv.h"

#define XENVER_version             0
#define XENVER_extraversion        1
#define XENVER_compile_info        2
#define XENVER_capabilities        3
#define XENVER_changeset           4
#define XENVER_platform_parameters 5
#define XENVER_get_features        6
#define XENVER_pagesize            7
#define XENVER_guest_handle        8
#define XENVER_commandline         9
#define XENVER_build_id            10

#define XENFEAT_pae_pgdir_above_4gb        4
#define XENFEAT_mmu_pt_update_preserve_ad  5
#define XENFEAT_highmem_assist             6
#define XENFEAT_gnttab_map_avail_bits      7
#define XENFEAT_memory_op_vnode_supported  13
#define XENFEAT_direct_mapped              16

#define VMASST_VALID    0x10000003full  /* types 0-5 and 32 (m2p_strict) */

/* Copy the string (s) out as a zero-filled field of (len) bytes. */
static long put_string(struct vcpu *v, uint64_t to, const char *s, size_t len)
{
	char buf[1024] = { 0 };
	size_t n = strlen(s);
	memcpy(buf, s, n < len ? n : len - 1);
	return env_copy_to_guest(v, to, buf, len) ? -XEN_EFAULT : 0;
}

static long get_features(struct vcpu *v, uint64_t arg)
{
	struct { uint32_t submap_idx, submap; } fi;
	if (env_copy_from_guest(v, &fi, arg, sizeof(fi)))
		return -XEN_EFAULT;
	if (fi.submap_idx != 0)
		return -XEN_EINVAL;
	fi.submap = 1u << XENFEAT_memory_op_vnode_supported | 1u << XENFEAT_mmu_pt_update_preserve_ad |
		    1u << XENFEAT_highmem_assist | 1u << XENFEAT_gnttab_map_avail_bits |
		    1u << XENFEAT_direct_mapped;
	if (hv_domain(v->d)->vm_assist & 1ull << VMASST_TYPE_pae_extended_cr3)
		fi.submap |= 1u << XENFEAT_pae_pgdir_above_4gb;
	return env_copy_to_guest(v, arg, &fi, sizeof(fi)) ? -XEN_EFAULT : 0;
}

long do_xen_version(struct vcpu *v, const uint64_t a[6])
{
	uint64_t arg = a[1];
	switch ((int)a[0]) {
	case XENVER_version:
		return XEN_VERSION_MAJOR << 16 | XEN_VERSION_MINOR;
	case XENVER_extraversion:
		return put_string(v, arg, "-pvmmu", 16);
	case XENVER_compile_info: {
		long rc = put_string(v, arg, "gcc or clang, C11", 64);
		rc = rc ? rc : put_string(v, arg + 64, "pvmmu", 16);
		rc = rc ? rc : put_string(v, arg + 80, "", 32);
		return rc ? rc : put_string(v, arg + 112, "", 32);
	}
	case XENVER_capabilities:
		return put_string(v, arg, "xen-3.0-x86_64", 1024);
	case XENVER_changeset:
		return put_string(v, arg, "pvmmu", 64);
	case XENVER_platform_parameters: {
		uint64_t virt_start = HV_VIRT_START;
		return env_copy_to_guest(v, arg, &virt_start, sizeof(virt_start)) ? -XEN_EFAULT : 0;
	}
	case XENVER_get_features:
		return get_features(v, arg);
	case XENVER_pagesize:
		return arg ? -XEN_EINVAL : (long)PAGE_SIZE;
	case XENVER_guest_handle:
		return put_string(v, arg, "", 16);
	case XENVER_commandline:
		return put_string(v, arg, "<denied>", 9);
	case XENVER_build_id:
		return -XEN_EPERM;
	default:
		return -XEN_ENOSYS;
	}
}

long do_vm_assist(struct vcpu *v, const uint64_t a[6])
{
	uint64_t cmd = (uint32_t)a[0], type = (uint32_t)a[1];
	uint64_t *set = &hv_domain(v->d)->vm_assist;
	if (type >= 64 || !(VMASST_VALID >> type & 1))
		return -XEN_EINVAL;
	if (cmd == 0)
		*set |= 1ull << type;
	else if (cmd == 1)
		*set &= ~(1ull << type);
	else
		return -XEN_ENOSYS;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * grant_table_op for the domain's own table, version 1, as Xen 4.17
 * answers a domU (common/grant_table.c).  The table's frames are the
 * domain's own (given at build, like the shared info page, outside its
 * p2m), so it maps them by machine frame number as Xen's PV guests do;
 * with no other domain here, no grant is ever used.
 *
 *   query_size(1 op)   nr_frames in use, max_nr_frames (64, xl's default)
 *   setup_table        up to max_nr_frames frames: their mfns into
 *                      frame_list; more: GNTST_general_error
 *   get_version        1; set_version: 1 is accepted, 2 -EINVAL (hv keeps
 *                      version 1 tables only)
 *   other domains      GNTST_bad_domain; anything else -ENOSYS
 */
#include "../hv.h"

static bool own(const struct vcpu *v, uint16_t dom)
{
	return dom == DOMID_SELF || dom == v->d->domid;
}

static long query_size(struct vcpu *v, uint64_t arg)
{
	struct { uint16_t dom, pad; uint32_t nr_frames, max_nr_frames; int16_t status, pad2; } q;
	if (env_copy_from_guest(v, &q, arg, sizeof(q)))
		return -XEN_EFAULT;
	q.nr_frames = hv_domain(v->d)->grant_frames;
	q.max_nr_frames = GRANT_MAX_FRAMES;
	q.status = own(v, q.dom) ? GNTST_okay : GNTST_bad_domain;
	return env_copy_to_guest(v, arg, &q, sizeof(q)) ? -XEN_EFAULT : 0;
}

static long setup_table(struct vcpu *v, uint64_t arg)
{
	struct hv_domain *hd = hv_domain(v->d);
	struct gnttab_setup_table t;
	if (env_copy_from_guest(v, &t, arg, sizeof(t)))
		return -XEN_EFAULT;
	t.status = !own(v, t.dom) ? GNTST_bad_domain : t.nr_frames > GRANT_MAX_FRAMES ? GNTST_general_error
										: GNTST_okay;
	for (uint32_t i = 0; t.status == GNTST_okay && i < t.nr_frames; i++) {
		uint64_t mfn = mfn_x(hd->grant_mfn[i]);
		if (env_copy_to_guest(v, t.frame_list + i * 8, &mfn, 8))
			return -XEN_EFAULT;
	}
	if (t.status == GNTST_okay && t.nr_frames > hd->grant_frames)
		hd->grant_frames = t.nr_frames;
	return env_copy_to_guest(v, arg + offsetof(struct gnttab_setup_table, status), &t.status,
				 sizeof(t.status)) ? -XEN_EFAULT : 0;
}

long do_grant_table_op(struct vcpu *v, const uint64_t a[6])
{
	uint32_t word[2];
	switch ((uint32_t)a[0]) {
	case GNTTABOP_query_size:
		return a[2] != 1 ? -XEN_EINVAL : query_size(v, a[1]);
	case GNTTABOP_setup_table:
		return a[2] != 1 ? -XEN_EINVAL : setup_table(v, a[1]);
	case GNTTABOP_get_version:
		if (a[2] != 1 || env_copy_from_guest(v, word, a[1], 8))
			return a[2] != 1 ? -XEN_EINVAL : -XEN_EFAULT;
		if (!own(v, (uint16_t)word[0]))
			return -XEN_ESRCH;
		word[1] = 1;
		return env_copy_to_guest(v, a[1], word, 8) ? -XEN_EFAULT : 0;
	case GNTTABOP_set_version:
		if (a[2] != 1 || env_copy_from_guest(v, word, a[1], 4))
			return a[2] != 1 ? -XEN_EINVAL : -XEN_EFAULT;
		if (word[0] != 1)
			return -XEN_EINVAL;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

long do_xenpmu_op(struct vcpu *v, const uint64_t a[6])
{
	(void)v, (void)a;
	return -XEN_EOPNOTSUPP;         /* Xen without vPMU (its default) */
}

/* SPDX-License-Identifier: MIT */
/*
 * The audit: recompute every reference and type count from the pagetables
 * themselves and compare with the frame table, and check the safety
 * properties directly:
 *  - every entry of every live table obeys its level's rules now, and
 *    reaches only frames of the table's owner (the hypervisor's slots of an
 *    L4 excepted, which must equal the machine's template);
 *  - no frame in use as a pagetable is writable through any entry or any
 *    vCPU's cached translation;
 *  - no vCPU caches a translation of a frame its domain does not own (the
 *    m2p and the tables that map it excepted, read-only: Xen lets a guest
 *    read those through a read-only linear entry);
 *  - linear-pagetable counts match the linear entries, never both ways;
 *  - every frame the host writes by machine address (vcpu_info frames, the
 *    domain's held frames) is writable and holds its two references, so
 *    it is no pagetable.
 * Run it only while no hypercall is in progress.
 */
#ifndef CORE_AUDIT_H
#define CORE_AUDIT_H

#include "machine.h"

/* Bytes of scratch memory audit_run needs for machine (m). */
size_t audit_scratch_size(const struct machine *m);

/* Audit (m) using (scratch).  Returns true if everything holds; otherwise
 * false with the first violation described in (msg). */
bool audit_run(struct machine *m, void *scratch, char *msg, size_t len);

#endif

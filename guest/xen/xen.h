/* SPDX-License-Identifier: MIT */
/*
 * The guest kernel on a Xen-style hypervisor (hv/): hypercalls by syscall,
 * exceptions delivered by the hypervisor to xen_trap, guest memory as on
 * any x86 machine (../x86/).
 */
#ifndef GUEST_XEN_H
#define GUEST_XEN_H

#include "../x86/x86.h"

/* Issue hypercall (nr); Xen's registers, the continuation's too. */
long xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

/* Power off (SHUTDOWN_poweroff) or crash (SHUTDOWN_crash). */
_Noreturn void xen_shutdown(unsigned reason);

/* Install the trap table; map the shared info page. */
void xen_traps_init(uint64_t shared_info_maddr);

/* Where the last page fault was (vcpu_info.arch.cr2). */
uint64_t xen_last_cr2(void);

/* Run the hostile mode (name): 0 if every attack was refused as Xen
 * refuses it, or -1 if the name is unknown. */
int xen_attacks(const char *name, const struct start_info *si);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The guest kernel on a Xen-style hypervisor (hv/): hypercalls by syscall,
 * guest memory by plain loads and stores whose faults are caught through an
 * exception table, exceptions delivered by the hypervisor to xen_trap.
 */
#ifndef GUEST_XEN_H
#define GUEST_XEN_H

#include "../hostif.h"

/* Issue hypercall (nr); Xen's registers, the continuation's too. */
long xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

/* The console (console_io write). */
void xen_puts(const char *s);
void xen_put_u64(uint64_t n);
/* "key=value " for a number. */
void xen_put_kv(const char *key, uint64_t n);

/* Power off (SHUTDOWN_poweroff) or crash (SHUTDOWN_crash). */
_Noreturn void xen_shutdown(unsigned reason);

/* Install the trap table; map the shared info page. */
void xen_traps_init(uint64_t shared_info_maddr);

/* Where the last page fault was (vcpu_info.arch.cr2), and how many
 * faults the exception table has absorbed. */
uint64_t xen_last_cr2(void);
extern uint64_t xen_fixups;

/* A store of (val) at (va) that reports a fault instead of taking it. */
int xen_store(uint64_t va, uint64_t val);

/* Does the command-line word at (p) (ended by a space or the end) equal (w)? */
static inline bool xen_word_is(const char *p, const char *w)
{
	while (*w && *p == *w)
		p++, w++;
	return !*w && (*p == ' ' || !*p);
}

/* Run the hostile mode (name): 0 if every attack was refused as Xen
 * refuses it, or -1 if the name is unknown. */
int xen_attacks(const char *name, const struct start_info *si);

#endif

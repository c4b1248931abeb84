/* SPDX-License-Identifier: MIT */
/*
 * A minimal unit-test harness: CHECK counts a pass or prints the failing
 * condition; every test ends with the audit of the machine it used.
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <stdio.h>
#include "../../sim/sim.h"

extern unsigned checks_passed, checks_failed;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (cond) {                                                           \
			checks_passed++;                                              \
		} else {                                                              \
			checks_failed++;                                              \
			printf("%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, __func__, #cond); \
		}                                                                     \
	} while (0)

/* The audit of (s) holds; print its message if not. */
void check_audit(struct sim *s, const char *where);

/* A fresh machine of (frames) frames and one domain of (dframes) frames and
 * (vcpus) vCPUs. */
struct sim *test_machine(uint64_t frames, uint64_t dframes, unsigned vcpus, struct sim_domain **sd);

/* The usual fixture: a machine of 4096 frames, one domain of (dframes)
 * frames and 2 vCPUs whose tree L4 p0 -> L3 p1 -> L2 p2 -> L1 p3 maps
 * 0x400000 to p8 writable and 0x401000 to the L1 itself read-only, pinned
 * and loaded on both vCPUs. */
struct sim *test_tree(uint64_t dframes, struct sim_domain **sd);

/* Issue one hypercall from (v). */
long hc_update(struct vcpu *v, mfn_t table, unsigned slot, uint64_t val);
long hc_ext(struct vcpu *v, unsigned cmd, uint64_t arg1);

/* Store (e) into slot (slot) of frame (mfn) as the domain builder does. */
void raw_write(mfn_t mfn, unsigned slot, uint64_t e);

void test_frame(void);
void test_mmu(void);
void test_concurrency(void);
void test_hypercall(void);
void test_guest(void);
void test_attacks(void);
void test_preempt(void);
void test_insn(void);
void test_elf(void);
void test_xenstore(void);
void test_acpi(void);
void test_kernel(void);
void test_desc(void);
void test_priv(void);

#endif

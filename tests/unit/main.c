/* SPDX-License-Identifier: MIT */
/* The unit tests' driver and shared helpers. */
#include <stdlib.h>
#include "../../core/hypercall.h"
#include "check.h"

unsigned checks_passed, checks_failed;

void check_audit(struct sim *s, const char *where)
{
	char msg[256];
	bool ok = sim_audit(s, msg, sizeof(msg));
	if (!ok)
		printf("%s: audit failed: %s\n", where, msg);
	CHECK(ok);
}

struct sim *test_machine(uint64_t frames, uint64_t dframes, unsigned vcpus, struct sim_domain **sd)
{
	struct sim *s = sim_create(&(struct sim_options){ .frames = frames, .seed = 7, .l1tf = true });
	if (!s)
		abort();
	*sd = sim_domain_create(s, dframes, vcpus);
	if (!*sd)
		abort();
	return s;
}

struct sim *test_tree(uint64_t dframes, struct sim_domain **sd)
{
	struct sim *s = test_machine(4096, dframes, 2, sd);
	mfn_t *p = (*sd)->p2m;
	raw_write(p[0], 0, pte_make(p[1], PTE_P | PTE_RW | PTE_US));
	raw_write(p[1], 0, pte_make(p[2], PTE_P | PTE_RW | PTE_US));
	raw_write(p[2], 2, pte_make(p[3], PTE_P | PTE_RW | PTE_US));
	raw_write(p[3], 0, pte_make(p[8], PTE_P | PTE_RW | PTE_US));
	raw_write(p[3], 1, pte_make(p[3], PTE_P | PTE_US));
	CHECK(hc_ext((*sd)->vcpus[0].v, MMUEXT_PIN_L4_TABLE, mfn_x(p[0])) == 0);
	for (unsigned k = 0; k < 2; k++)
		CHECK(hc_ext((*sd)->vcpus[k].v, MMUEXT_NEW_BASEPTR, mfn_x(p[0])) == 0);
	return s;
}

long hc_update(struct vcpu *v, mfn_t table, unsigned slot, uint64_t val)
{
	static struct mmu_update u;
	sim_guest_region(&u, sizeof(u));
	u = (struct mmu_update){ (mfn_x(table) << PAGE_SHIFT) + slot * 8, val };
	return sim_hypercall(v, HYPERVISOR_mmu_update, (uint64_t[6]){ (uintptr_t)&u, 1, 0, DOMID_SELF });
}

long hc_ext(struct vcpu *v, unsigned cmd, uint64_t arg1)
{
	static struct mmuext_op op;
	sim_guest_region(&op, sizeof(op));
	op = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = arg1 };
	return sim_hypercall(v, HYPERVISOR_mmuext_op, (uint64_t[6]){ (uintptr_t)&op, 1, 0, DOMID_SELF });
}

void raw_write(mfn_t mfn, unsigned slot, uint64_t e)
{
	atomic_store(&((_Atomic uint64_t *)env_frame(mfn))[slot], e);
}

int main(void)
{
	test_frame();
	test_mmu();
	test_hypercall();
	test_guest();
	test_attacks();
	test_preempt();
	test_insn();
	test_elf();
	test_xenstore();
	test_acpi();
	test_kernel();
	test_desc();
	test_priv();
	test_concurrency();
	printf("unit: %u passed, %u failed\n", checks_passed, checks_failed);
	return checks_failed ? 1 : 0;
}

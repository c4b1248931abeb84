/* SPDX-License-Identifier: MIT */
/*
 * Guest memory by plain loads and stores.  An access that may fault (a
 * user address, or a pagetable the hypervisor refuses to update) carries
 * an entry in the exception table (.extable: the access, its fixup); the
 * page-fault handler asks x86_fixup, which resumes at the fixup, and the
 * caller sees a non-zero return instead of the fault.
 */
#include "x86.h"

uint64_t x86_fixups[MAX_GUEST_VCPUS];

/* "1:" may fault; its fixup sets (err) and continues after it. */
#define EXTABLE(insn, err)                                                  \
	"1: " insn "\n2:\n"                                                 \
	".pushsection .text.fixup, \"ax\"\n"                                \
	"3: movl $1, %" err "\n jmp 2b\n"                                   \
	".popsection\n"                                                     \
	".pushsection .extable, \"a\"\n .quad 1b, 3b\n .popsection\n"

struct extable_entry {
	uint64_t insn, fixup;
};
extern const struct extable_entry __start_extable[], __stop_extable[];

bool x86_fixup(uint64_t *rip)
{
	for (const struct extable_entry *e = __start_extable; e < __stop_extable; e++) {
		if (e->insn == *rip) {
			*rip = e->fixup;
			x86_fixups[hostif_vcpu()]++;
			return true;
		}
	}
	return false;
}

bool x86_smp;

unsigned hostif_vcpu(void)
{
	uint32_t aux;
	if (!x86_smp)
		return 0;
	__asm__ volatile("rdtscp" : "=c"(aux) : : "rax", "rdx");
	return aux;
}

void hostif_guest_buffer(const void *p, size_t len)
{
	(void)p, (void)len;
}

int hostif_load(gva_t va, uint64_t *val)
{
	int err = 0;
	uint64_t v = 0;
	__asm__ volatile(EXTABLE("movq (%2), %1", "0") : "+r"(err), "+r"(v) : "r"(gva_x(va)) : "memory");
	*val = v;
	return err;
}

int hostif_store(gva_t va, uint64_t val)
{
	int err = 0;
	__asm__ volatile(EXTABLE("movq %2, (%1)", "0") : "+r"(err) : "r"(gva_x(va)), "r"(val) : "memory");
	return err;
}

int hostif_zero_page(gva_t va)
{
	int err = 0;
	uint64_t p = gva_x(va), n = PAGE_SIZE / 8;
	__asm__ volatile(EXTABLE("rep stosq", "0") : "+r"(err), "+D"(p), "+c"(n) : "a"(0ull) : "memory");
	return err;
}

int hostif_copy_page(gva_t dst, gva_t src)
{
	int err = 0;
	uint64_t d = gva_x(dst), s = gva_x(src), n = PAGE_SIZE / 8;
	__asm__ volatile(EXTABLE("rep movsq", "0") : "+r"(err), "+D"(d), "+S"(s), "+c"(n) :: "memory");
	return err;
}

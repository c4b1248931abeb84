/* SPDX-License-Identifier: MIT */
/*
 * hostif on hv: one vCPU, hypercalls by syscall, guest memory by plain
 * accesses.  An access that may fault (a user address, or a pagetable the
 * hypervisor refuses to update) carries an entry in the exception table: the
 * page-fault handler sends it to its fixup, which reports the fault to the
 * caller as the sim's software MMU would.
 */
#include "../mmu/mmu.h"
#include "xen.h"

uint64_t xen_fixups;

/* "1:" may fault; its fixup sets (err) and continues after it. */
#define EXTABLE(insn, err)                                                  \
	"1: " insn "\n2:\n"                                                 \
	".pushsection .text.fixup, \"ax\"\n"                                \
	"3: movl $1, %" err "\n jmp 2b\n"                                   \
	".popsection\n"                                                     \
	".pushsection .extable, \"a\"\n .quad 1b, 3b\n .popsection\n"

long xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	register uint64_t r9 __asm__("r9") = 0;
	__asm__ volatile("syscall"
			 : "+a"(nr), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8), "+r"(r9)
			 : : "rcx", "r11", "memory");
	return (long)nr;
}

unsigned hostif_vcpu(void)
{
	return 0;
}

long hostif_hypercall(uint64_t nr, const uint64_t a[6])
{
	return xen_hypercall(nr, a[0], a[1], a[2], a[3], a[4]);
}

void hostif_guest_buffer(const void *p, size_t len)
{
	(void)p, (void)len;
}

int xen_store(uint64_t va, uint64_t val)
{
	int err = 0;
	__asm__ volatile(EXTABLE("movq %2, (%1)", "0") : "+r"(err) : "r"(va), "r"(val) : "memory");
	return err;
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
	return xen_store(gva_x(va), val);
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

void hostif_native_load_cr3(mfn_t root)
{
	(void)root;
	hostif_panic("a PV guest cannot load cr3");
}

void hostif_native_invlpg(uint64_t va)
{
	(void)va;
	hostif_panic("a PV guest cannot invlpg");
}

void hostif_native_flush(void)
{
	hostif_panic("a PV guest cannot flush its TLB itself");
}

_Noreturn void hostif_panic(const char *why)
{
	xen_puts("guest panic: ");
	xen_puts(why);
	xen_puts("\n");
	xen_shutdown(SHUTDOWN_crash);
}

/* --- console and shutdown --------------------------------------------- */

void xen_puts(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	xen_hypercall(HYPERVISOR_console_io, CONSOLEIO_write, n, (uint64_t)(uintptr_t)s, 0, 0);
}

void xen_put_u64(uint64_t n)
{
	char b[24];
	int i = 23;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	xen_puts(b + i);
}

void xen_put_kv(const char *key, uint64_t n)
{
	xen_puts(key);
	xen_puts("=");
	xen_put_u64(n);
	xen_puts(" ");
}

_Noreturn void xen_shutdown(unsigned reason)
{
	struct sched_shutdown s = { reason };
	for (;;)
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)(uintptr_t)&s, 0, 0, 0);
}

/* --- exceptions --------------------------------------------------------- */

static uint8_t shared_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

extern void xen_trap_0(void), xen_trap_1(void), xen_trap_3(void), xen_trap_4(void);
extern void xen_trap_5(void), xen_trap_6(void), xen_trap_7(void), xen_trap_13(void);
extern void xen_trap_14(void), xen_trap_16(void), xen_trap_17(void), xen_trap_19(void);

void xen_traps_init(uint64_t shared_info_maddr)
{
	static const struct { uint8_t vec; void (*fn)(void); } handlers[] = {
		{ 0, xen_trap_0 }, { 1, xen_trap_1 }, { 3, xen_trap_3 }, { 4, xen_trap_4 },
		{ 5, xen_trap_5 }, { 6, xen_trap_6 }, { 7, xen_trap_7 }, { 13, xen_trap_13 },
		{ 14, xen_trap_14 }, { 16, xen_trap_16 }, { 17, xen_trap_17 }, { 19, xen_trap_19 },
	};
	static struct trap_info table[sizeof(handlers) / sizeof(handlers[0]) + 1];
	for (unsigned i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		table[i] = (struct trap_info){ handlers[i].vec, 0, 0xe033, (uint64_t)(uintptr_t)handlers[i].fn };
	if (xen_hypercall(HYPERVISOR_set_trap_table, (uint64_t)(uintptr_t)table, 0, 0, 0, 0))
		hostif_panic("set_trap_table refused");
	uint64_t e = shared_info_maddr | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX;
	if (xen_hypercall(HYPERVISOR_update_va_mapping, (uint64_t)(uintptr_t)shared_page, e, UVMF_INVLPG, 0, 0))
		hostif_panic("cannot map the shared info page");
}

uint64_t xen_last_cr2(void)
{
	uint64_t v;
	__builtin_memcpy(&v, shared_page + XEN_VCPU_INFO_CR2, 8);
	return v;
}

struct extable_entry {
	uint64_t insn, fixup;
};
extern const struct extable_entry __start_extable[], __stop_extable[];

void xen_trap(unsigned vec, uint64_t *frame);

/* frame: error code, rip, cs, rflags, rsp, ss. */
void xen_trap(unsigned vec, uint64_t *frame)
{
	extern uint64_t xen_recover_rip;
	if (vec == 14 && xen_recover_rip) {
		frame[1] = xen_recover_rip;
		xen_fixups++;
		return;
	}
	for (const struct extable_entry *e = __start_extable; vec == 14 && e < __stop_extable; e++) {
		if (e->insn == frame[1]) {
			frame[1] = e->fixup;
			xen_fixups++;
			return;
		}
	}
	xen_puts("guest: unexpected exception ");
	xen_put_kv("vector", vec);
	xen_put_kv("error", frame[0]);
	xen_put_kv("rip", frame[1]);
	xen_put_kv("cr2", xen_last_cr2());
	xen_puts("\n");
	xen_shutdown(SHUTDOWN_crash);
}

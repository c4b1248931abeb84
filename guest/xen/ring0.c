/* SPDX-License-Identifier: MIT */
/*
 * Hostile modes against hv's ring-0 surface (attacks.h): guest state that
 * reaches hv on an entry, and frames hv must not return to.  Each one is a
 * rule of docs/SECURITY.md ("hv's ring-0 surface") and failed on hv before
 * the rule was kept:
 *
 *   flags-entry     DF and AC set on exceptions, interrupts and
 *                   hypercalls, on one vCPU while the timer switches to
 *                   another: frames and registers come through intact
 *   exit-checks     an emulated store that steps rip onto the canonical
 *                   hole, iret to a non-canonical rip or with selectors
 *                   that are not ours: the guest gets the #GP, as on Xen;
 *                   a syscall's frame goes back by sysret whatever it names
 *   compat-cs       an exception in 32-bit code reaches the 64-bit handler
 *                   in 64-bit code, the compat cs in its frame
 *   iret-rax        an iret whose frame holds -ERESTART in rax returns it
 *   ptwr-insns      stores into our own tables the way Linux makes them
 *                   (xchg of every size, cmpxchg, lock/ds and/or, bts/btr/
 *                   btc): registers and flags as the CPU leaves them
 *   int-n           int $n delivered when the trap table allows it
 *   trap-table      set_trap_table with more than 256 entries
 *   umip            sgdt, sidt, sldt, str, smsw fault (where the CPU has
 *                   UMIP)
 *   long-work       a console write and a vCPU's root validation too long
 *                   for one slice are preempted: another vCPU runs meanwhile
 *   gdt             a GDT of our own: set_gdt refuses a frame mapped
 *                   writable or holding a system descriptor; a clean one
 *                   cannot then be mapped writable, update_descriptor
 *                   refuses a TSS and raises a DPL 0 code segment to 3, a
 *                   selector of it loads, and set_gdt of none lets it go
 *   ldt             a guest LDT: a selector loaded from a page mapped
 *                   writable faults at the guest's LDT address; mapped
 *                   read-only it loads, and the page cannot be made
 *                   writable while the CPU has it; past the limit or with
 *                   no LDT a load is #GP; hv's own load of the user GS
 *                   selector maps the page as the guest's would; a
 *                   selector the LDT lost while loaded is, at the next
 *                   switch back, the failsafe callback with the selectors
 *   xstate          xsetbv, XCR0 and AVX registers per vCPU (xstate.c)
 *   evtchn          event channel operations at their limits (events.c)
 *   timers          timer operations and SCHEDOP_poll at theirs (events.c)
 *   runstate        runstate areas where hv must not write (events.c)
 */
#include "attacks.h"

#define FLAT_KERNEL_CS0 (FLAT_KERNEL_CS64 & ~3u)    /* cs in a frame from the kernel */
#define RFLAGS_DF  (1ull << 10)
#define RFLAGS_AC  (1ull << 18)
#define NONCANON   0x0000800000000000ull
#define LOW_PAGE   0x40000000ull                    /* 32-bit code and stack */

/* Did the last recovered trap have (vec), (error) and frame rip (rip)? */
static bool trapped(const struct xen_recover *r, uint64_t traps, unsigned vec, uint64_t error,
		    uint64_t rip)
{
	return r->traps == traps + 1 && r->vector == vec && r->error == error && r->frame[0] == rip;
}

/* --- flags-entry ------------------------------------------------------------ */

/* int3 with (set) in RFLAGS: the frame must say exactly where we were, and
 * the flags must come back. */
static void trap_with_flags(const char *what, uint64_t set)
{
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps, at, sp, after;
	__asm__ volatile(RECOVER_ARM
			 "lea 1f(%%rip), %[at]\n\t"
			 "pushfq\n\t"
			 "orq %[set], (%%rsp)\n\t"
			 "popfq\n\t"
			 "mov %%rsp, %[sp]\n\t"
			 "int3"
			 RECOVER_END "\n\t"
			 "pushfq\n\t"
			 "popq %[after]\n\t"
			 "cld\n\t"
			 "pushfq\n\t"
			 "andq %[clear], (%%rsp)\n\t"
			 "popfq"
			 : [at] "=&r"(at), [sp] "=&r"(sp), [after] "=&r"(after)
			 : [set] "r"(set), [clear] "r"(~RFLAGS_AC), [slot] "r"(&r->rip)
			 : "r11", "cc", "memory");
	bool frame = trapped(r, traps, 3, 0, at) && (uint16_t)r->frame[1] == FLAT_KERNEL_CS0 &&
		     (r->frame[2] & set) == set && r->frame[3] == sp && r->frame[4] == FLAT_KERNEL_SS64;
	expect(what, frame && (after & set) == set, 1);
}

static _Atomic unsigned spinning;

/* vCPU 1: DF set for long enough that the timer switches vCPUs several
 * times; callee-saved registers hold values that must survive. */
static void spin_with_df(void)
{
	uint64_t r12 = 0x1212121212121212ull, r13 = 0x1313131313131313ull, ok;
	atomic_store(&spinning, 1);
	__asm__ volatile("std\n\t"
			 "rdtsc\n\t"
			 "shl $32, %%rdx\n\t"
			 "or %%rdx, %%rax\n\t"
			 "lea 200000000(%%rax), %%rcx\n"
			 "2:\n\t"
			 "pause\n\t"
			 "rdtsc\n\t"
			 "shl $32, %%rdx\n\t"
			 "or %%rdx, %%rax\n\t"
			 "cmp %%rcx, %%rax\n\t"
			 "jb 2b\n\t"
			 "pushfq\n\t"
			 "popq %[ok]\n\t"
			 "cld"
			 : [ok] "=&r"(ok), "+r"(r12), "+r"(r13)
			 :: "rax", "rcx", "rdx", "cc", "memory");
	atomic_store(&spinning, (ok & RFLAGS_DF) && r12 == 0x1212121212121212ull &&
					 r13 == 0x1313131313131313ull ? 2 : 3);
}

static void flags_entry(void)
{
	trap_with_flags("int3 with DF set: a true frame, DF kept", RFLAGS_DF);
	trap_with_flags("int3 with AC set: a true frame, AC kept", RFLAGS_AC);
	trap_with_flags("int3 with DF and AC set", RFLAGS_DF | RFLAGS_AC);
	uint64_t after, rc = HYPERVISOR_console_io, cmd = CONSOLEIO_write, n = 1;
	uint64_t buf = (uint64_t)(uintptr_t)"\n";
	__asm__ volatile("std\n\t"
			 "syscall\n\t"
			 "pushfq\n\t"
			 "popq %[after]\n\t"
			 "cld"
			 : "+a"(rc), [after] "=r"(after), "+D"(cmd), "+S"(n), "+d"(buf)
			 :: "rcx", "r11", "r8", "r9", "r10", "cc", "memory");
	expect("a hypercall with DF set works and DF comes back", rc == 0 && (after & RFLAGS_DF), 1);
	atomic_store(&spinning, 0);
	attack_on_secondary(spin_with_df);
	attack_wait_secondary();
	expect("vCPU 1 spun with DF set through timer switches, registers intact",
	       atomic_load(&spinning), 2);
}

/* --- exit-checks ------------------------------------------------------------- */

/* The iret hypercall from a context of our own: rip 0 means "right after
 * the hypercall", rsp 0 "the stack we are on".  Returns rax as it comes
 * back. */
static uint64_t iret_with(struct iret_context *c)
{
	struct xen_recover *r = recovery();
	uint64_t rax;
	__asm__ volatile(RECOVER_ARM
			 "mov %%rsp, 8(%[slot])\n\t"
			 "cmpq $0, 56(%[c])\n\t"
			 "jne 3f\n\t"
			 "mov %%rsp, 56(%[c])\n"
			 "3:\n\t"
			 "cmpq $0, 32(%[c])\n\t"
			 "jne 2f\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, 32(%[c])\n"
			 "2:\n\t"
			 "mov %[c], %%rsp\n\t"
			 "mov %[nr], %%eax\n\t"
			 "syscall"
			 RECOVER_END
			 : "=&a"(rax)
			 : [c] "r"(c), [nr] "i"(HYPERVISOR_iret), [slot] "r"(&r->rip)
			 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "cc", "memory");
	r->rsp = 0;
	return rax;
}

static void iret_faults(const char *what, uint64_t rip, uint64_t cs, uint64_t ss, unsigned vec,
			uint64_t error)
{
	static struct iret_context c[MAX_GUEST_VCPUS];
	struct iret_context *ctx = &c[hostif_vcpu()];
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps;
	*ctx = (struct iret_context){ .rip = rip, .cs = cs, .rflags = 0x202, .ss = ss };
	iret_with(ctx);
	expect(what, r->traps == traps + 1 && r->vector == vec && r->error == error &&
		     (!rip || r->frame[0] == rip), 1);
}

/* mov %rax, (%rbx) in the last three bytes below the canonical hole, into
 * an entry of our pinned L1: emulated, then rip is beyond the hole. */
static void store_at_the_hole(void)
{
	pfn_t f = map_page_at(TOP_PAGE);
	gva_t entry = l1_entry_of((uintptr_t)victim);
	uint64_t cur, now;
	hostif_load(entry, &cur);
	hostif_store(_gva(TOP_PAGE + PAGE_SIZE - 8), 0x038948ull << 40);  /* 48 89 03 */
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps;
	__asm__ volatile(RECOVER_ARM "jmp *%[to]" RECOVER_END
			 :: [to] "r"(TOP_PAGE + PAGE_SIZE - 3), "a"(cur ^ PTE_D), "b"(gva_x(entry)),
			    [slot] "r"(&r->rip)
			 : "r11", "memory");
	hostif_load(entry, &now);
	expect("an emulated store that ends at the canonical hole lands, then #GP beyond it",
	       trapped(r, traps, 13, 0, NONCANON) && now == (cur ^ PTE_D), 1);
	update_va((uintptr_t)victim, cur);
	unmap_page_at(TOP_PAGE, f);
}

/* An iret frame that came from a syscall (VGCF_in_syscall) goes back by
 * sysret: the flat 64-bit selectors, whatever cs and ss it names. */
static void iret_as_sysret(void)
{
	static struct iret_context c[MAX_GUEST_VCPUS];
	struct iret_context *ctx = &c[hostif_vcpu()];
	uint64_t traps = recovery()->traps;
	uint16_t cs, ss;
	*ctx = (struct iret_context){ .flags = VGCF_in_syscall, .cs = 0xe010, .rflags = 0x202, .ss = 0x1230 };
	iret_with(ctx);
	__asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
	expect("iret of a syscall's frame naming hv's data selector as cs: sysret, flat selectors",
	       recovery()->traps == traps && cs == FLAT_KERNEL_CS64 && ss == FLAT_KERNEL_SS64, 1);
}

static void exit_checks(void)
{
	store_at_the_hole();
	iret_as_sysret();
	iret_faults("iret to a non-canonical rip: #GP there, as on Xen", NONCANON, FLAT_KERNEL_CS0,
		    FLAT_KERNEL_SS64, 13, 0);
	iret_faults("iret with a stack selector that is not ours: #GP(selector)", 0, FLAT_KERNEL_CS0,
		    0x1230, 13, 0x1230);
	iret_faults("iret with hv's own data selector as cs: #GP(selector)", 0, 0xe010, FLAT_KERNEL_SS64,
		    13, 0xe010);
}

/* --- compat-cs ------------------------------------------------------------- */

/* Far return to 32-bit code at (to) with its stack at (stack); a trap
 * there comes back to us on our own stack. */
static void run_compat(uint64_t to, uint64_t stack)
{
	struct xen_recover *r = recovery();
	__asm__ volatile(RECOVER_ARM
			 "mov %%rsp, 8(%[slot])\n\t"
			 "mov %[stack], %%rsp\n\t"
			 "pushq %[cs]\n\t"
			 "pushq %[to]\n\t"
			 "lretq"
			 RECOVER_END
			 :: [to] "r"(to), [stack] "r"(stack), [cs] "i"(FLAT_USER_CS32), [slot] "r"(&r->rip)
			 : "r11", "memory");
	r->rsp = 0;
}

static void compat_cs(void)
{
	pfn_t f = map_page_at(LOW_PAGE);
	hostif_store(_gva(LOW_PAGE), 0x0b0f);                 /* ud2 */
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps;
	run_compat(LOW_PAGE, LOW_PAGE + PAGE_SIZE - 16);
	expect("#UD in 32-bit code reaches our 64-bit handler, the compat cs in its frame",
	       trapped(r, traps, 6, 0, LOW_PAGE) && (uint16_t)r->frame[1] == (FLAT_USER_CS32 & ~3u) &&
	       r->frame[4] == FLAT_KERNEL_SS64, 1);
	static struct iret_context c[MAX_GUEST_VCPUS];
	struct iret_context *ctx = &c[hostif_vcpu()];
	*ctx = (struct iret_context){ .rip = LOW_PAGE, .cs = FLAT_USER_CS32 & ~3u, .rflags = 0x202,
				      .rsp = LOW_PAGE + PAGE_SIZE - 16, .ss = FLAT_KERNEL_SS64 & ~3u };
	traps = r->traps;
	iret_with(ctx);
	expect("iret to the compat cs runs 32-bit code there",
	       trapped(r, traps, 6, 0, LOW_PAGE) && (uint16_t)r->frame[1] == (FLAT_USER_CS32 & ~3u), 1);
	unmap_page_at(LOW_PAGE, f);
}

/* --- iret-rax ---------------------------------------------------------------- */

static void iret_rax(void)
{
	struct xen_recover *r = recovery();
	uint64_t rax, traps = r->traps, at;
	__asm__ volatile(RECOVER_ARM
			 "lea 1f(%%rip), %[at]\n\t"
			 "mov $-85, %%rax\n\t"
			 "int3"
			 RECOVER_END
			 : "=&a"(rax), [at] "=&r"(at) : [slot] "r"(&r->rip) : "r11", "memory");
	expect("an exception return with -ERESTART in rax keeps rax and rip",
	       trapped(r, traps, 3, 0, at) && rax == (uint64_t)-85, 1);
	static struct iret_context c[MAX_GUEST_VCPUS];
	struct iret_context *ctx = &c[hostif_vcpu()];
	*ctx = (struct iret_context){ .rax = (uint64_t)-85, .cs = FLAT_KERNEL_CS0, .rflags = 0x202,
				      .ss = FLAT_KERNEL_SS64 };
	traps = r->traps;
	expect("the iret hypercall returns the frame's rax, -ERESTART too",
	       iret_with(ctx) == (uint64_t)-85 && r->traps == traps, 1);
}

/* --- ptwr-insns -------------------------------------------------------------- */

/* asm around one store into our pinned L1 entry (operand %[e]), with rax
 * in and out and the carry flag after. */
#define PT_STORE(insn_, ent_, rax_, cf_, val_)                                                \
	__asm__ volatile(RECOVER_ARM insn_ RECOVER_END "\n\tsetc %[cf]"                       \
			 : "+a"(rax_), [cf] "=q"(cf_)                                         \
			 : [e] "Q"(gva_x(ent_)), [n] "r"(val_), [slot] "r"(&recovery()->rip) \
			 : "r11", "cc", "memory")

static uint64_t entry_now(gva_t e)
{
	uint64_t v;
	hostif_load(e, &v);
	return v;
}

static void ptwr_insns(void)
{
	gva_t e = l1_entry_of((uintptr_t)victim);
	uint64_t cur = entry_now(e), rax, traps = recovery()->traps;
	uint8_t cf;

	rax = (0xdeadbeefcafeull << 16) | ((cur ^ PTE_D) & 0xffff);
	PT_STORE("xchg %%ax, (%[e])", e, rax, cf, 0ull);
	expect("xchg of 16 bits: the entry changes, rax keeps its upper 48 bits",
	       entry_now(e) == (cur ^ PTE_D) && rax == ((0xdeadbeefcafeull << 16) | (cur & 0xffff)), 1);
	rax = 0xdeadbeef00000000ull | (cur & 0xffffffffull);
	PT_STORE("xchg %%eax, (%[e])", e, rax, cf, 0ull);
	expect("xchg of 32 bits zero-extends rax",
	       entry_now(e) == cur && rax == ((cur ^ PTE_D) & 0xffffffffull), 1);
	rax = 0x1122334455660077ull | ((((cur >> 8) ^ 2) & 0xff) << 8);
	PT_STORE("xchg %%ah, 1(%[e])", e, rax, cf, 0ull);
	expect("xchg of ah: bits 8-15 only, the rest of rax kept",
	       entry_now(e) == (cur ^ 0x200) && rax == (0x1122334455660077ull | (((cur >> 8) & 0xff) << 8)), 1);
	update_va((uintptr_t)victim, cur);
	rax = 0xffffffff00000000ull | (~cur & 0xffffffffull);
	PT_STORE("lock cmpxchg %k[n], (%[e])", e, rax, cf, (uint64_t)(uint32_t)(cur ^ PTE_D));
	expect("a failing 32-bit cmpxchg loads eax zero-extended, stores nothing",
	       entry_now(e) == cur && rax == (cur & 0xffffffffull), 1);
	PT_STORE(".byte 0x3e\n\tandb $0xfd, (%[e])", e, rax, cf, 0ull);
	expect("ds andb (Linux's clear_bit with its lock patched away) clears RW",
	       entry_now(e) == (cur & ~PTE_RW), 1);
	PT_STORE("lock orb $2, (%[e])", e, rax, cf, 0ull);
	expect("lock orb sets RW again", entry_now(e) == cur, 1);
	PT_STORE("lock btrq $1, (%[e])", e, rax, cf, 0ull);
	expect("lock btr clears RW, CF the old bit", entry_now(e) == (cur & ~PTE_RW) && cf == 1, 1);
	PT_STORE("lock btsq $1, (%[e])", e, rax, cf, 0ull);
	expect("lock bts sets it, CF clear", entry_now(e) == cur && cf == 0, 1);
	PT_STORE("lock btcq %[n], (%[e])", e, rax, cf, 9ull);
	expect("lock btc by register toggles bit 9", entry_now(e) == (cur ^ 0x200) && cf == 0, 1);
	PT_STORE("lock xorq %[n], (%[e])", e, rax, cf, 0x200ull);
	expect("lock xor toggles it back", entry_now(e) == cur, 1);
	expect("and none of them faulted", (long)(recovery()->traps - traps), 0);
	update_va((uintptr_t)victim, cur);
}

/* --- int-n ------------------------------------------------------------------- */

static void set_traps(const struct trap_info *t)
{
	if (xen_hypercall(HYPERVISOR_set_trap_table, (uint64_t)(uintptr_t)t, 0, 0, 0, 0))
		hostif_panic("set_trap_table refused our own table");
}

/* The #GP error code of an int $n the IDT refuses: n * 8 + 2 on a CPU,
 * n * 16 + 2 under QEMU's TCG. */
static uint64_t idt_error(const struct xen_recover *r, unsigned n)
{
	return r->error == (n << 4 | 2) ? r->error : n << 3 | 2;
}

#define INT_N(n, at)                                                                          \
	__asm__ volatile(RECOVER_ARM "lea 1f(%%rip), %[at]\n\tint $" #n RECOVER_END              \
			 : [at] "=&r"(at) : [slot] "r"(&recovery()->rip) : "r11", "memory")

static void int_n(void)
{
	extern void xen_trap_128(void);
	uint64_t h = (uint64_t)(uintptr_t)xen_trap_128, at, traps;
	struct trap_info extra[] = { { 0x81, 0, FLAT_KERNEL_CS64, h }, { 0x82, 3, FLAT_KERNEL_CS64, h },
				     { 0, 0, 0, 0 } };
	struct xen_recover *r = recovery();
	set_traps(extra);
	traps = r->traps;
	INT_N(0x80, at);
	expect("int $0x80 with a DPL-1 handler is delivered after the int", trapped(r, traps, 128, 0, at), 1);
	traps = r->traps;
	INT_N(0x82, at);
	expect_dom0("int $0x82 with a DPL-3 handler is delivered",
		    trapped(r, traps, 128, 0, at) ? 1 : trapped(r, traps, 13, 0x82 << 4 | 2, at - 2) ? 2 : 0, 1, 2,
		    "Xen takes n from #GP's error code, which QEMU's TCG gives as n * 16 + 2: it reads vector "
		    "4, DPL 0, and the guest gets #GP; hv reads the instruction");
	traps = r->traps;
	INT_N(0x81, at);
	expect("int $0x81 with a DPL-0 handler is #GP(vector, IDT)",
	       trapped(r, traps, 13, idt_error(r, 0x81), at - 2), 1);
	traps = r->traps;
	INT_N(0x20, at);
	expect("int $0x20 (hv's timer vector, no handler) is #GP",
	       trapped(r, traps, 13, idt_error(r, 0x20), at - 2), 1);
	set_traps(xen_trap_table);
}

/* --- trap-table ------------------------------------------------------------- */

static void trap_table(void)
{
	static struct trap_info list[301];
	unsigned n = 0;
	while (xen_trap_table[n].address)
		n++;
	for (unsigned i = 0; i < 300; i++)
		list[i] = xen_trap_table[i % n];
	list[300] = (struct trap_info){ 0, 0, 0, 0 };
	expect("set_trap_table with 300 entries, later ones winning",
	       xen_hypercall(HYPERVISOR_set_trap_table, (uint64_t)(uintptr_t)list, 0, 0, 0, 0), 0);
	list[5].address = NONCANON;
	expect("set_trap_table with a non-canonical handler",
	       xen_hypercall(HYPERVISOR_set_trap_table, (uint64_t)(uintptr_t)list, 0, 0, 0, 0), -XEN_EINVAL);
	set_traps(xen_trap_table);
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps, at;
	__asm__ volatile(RECOVER_ARM "lea 1f(%%rip), %[at]\n\tint3" RECOVER_END
			 : [at] "=&r"(at) : [slot] "r"(&r->rip) : "r11", "memory");
	expect("and the handlers work", trapped(r, traps, 3, 0, at), 1);
}

/* --- umip -------------------------------------------------------------------- */

#define UMIP_INSN(insn, what)                                                                 \
	do {                                                                                  \
		static uint8_t buf[16];                                                       \
		uint64_t t_ = r->traps, at_;                                                  \
		__asm__ volatile(RECOVER_ARM "lea 2f(%%rip), %[at]\n2:\t" insn RECOVER_END     \
				 : [at] "=&r"(at_) : [m] "r"(buf), [slot] "r"(&r->rip)         \
				 : "r11", "rax", "memory");                                    \
		expect_dom0(what, trapped(r, t_, 13, 0, at_), 1, 0,                           \
			    "Xen 4.17 leaves these to a PV guest; hv turns UMIP on (deliberate)");  \
	} while (0)

static void umip(void)
{
	uint32_t a = 7, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (!(c & (1u << 2))) {
		expect_skip("sgdt, sidt, sldt, str, smsw", "this CPU has no UMIP");
		return;
	}
	struct xen_recover *r = recovery();
	UMIP_INSN("sgdt (%[m])", "sgdt faults: hv's GDT stays hidden");
	UMIP_INSN("sidt (%[m])", "sidt faults: hv's IDT stays hidden");
	UMIP_INSN("sldt %%ax", "sldt faults");
	UMIP_INSN("str %%ax", "str faults");
	UMIP_INSN("smsw %%ax", "smsw faults");
}

/* --- long-work --------------------------------------------------------------- */

static _Atomic unsigned phase, resumed, watching;

static uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* vCPU 1: count the times it is switched back in (a gap of over a million
 * cycles in its loop: the timer gave vCPU 0 at least a tick) while vCPU 0
 * is inside one hypercall.  Once may be right after the hypercall, before
 * vCPU 0 says it is over; more than once, the hypercall was preempted. */
static void watch(void)
{
	uint64_t last = tsc();
	atomic_store(&watching, 1);
	while (atomic_load(&phase) != 2) {
		uint64_t now = tsc();
		if (now - last > 1000000 && atomic_load(&phase) == 1)
			atomic_fetch_add(&resumed, 1);
		last = now;
		__builtin_ia32_pause();
	}
}

static long during_watch(long (*call)(void))
{
	atomic_store(&phase, 0);
	atomic_store(&resumed, 0);
	atomic_store(&watching, 0);
	attack_on_secondary(watch);
	while (!atomic_load(&watching))
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	atomic_store(&phase, 1);
	long rc = call();
	atomic_store(&phase, 2);
	attack_wait_secondary();
	return rc;
}

#define TEXT_PAGES 16
#define TEXT_AT    0x50000000ull     /* 16 mappings of one page */

/* console_io of 2^31 - 1 bytes at 64 KiB of NULs and then nothing: Xen
 * writes the 64 KiB in preemptible slices and then answers -EFAULT. */
static long long_write(void)
{
	return xen_hypercall(HYPERVISOR_console_io, CONSOLEIO_write, 0x7fffffff, TEXT_AT, 0, 0);
}

#define TREE_L1S 500
#define LONG_VCPU 3
static pfn_t tree_l4;

/* VCPUOP_initialise of vCPU 3 with a root of 500 full L1 tables: four
 * times the entries one slice may validate. */
static long long_initialise(void)
{
	static struct vcpu_guest_context c;
	c.flags = VGCF_in_kernel;
	c.user_regs.rip = (uint64_t)(uintptr_t)long_initialise;
	c.user_regs.rsp = (uint64_t)(uintptr_t)victim + PAGE_SIZE;
	c.user_regs.cs = FLAT_KERNEL_CS64;
	c.user_regs.ss = FLAT_KERNEL_SS64;
	c.ctrlreg[3] = mfn_of(tree_l4) << PAGE_SHIFT;
	return vcpu_op(VCPUOP_initialise, LONG_VCPU, &c);
}

static pfn_t zeroed(void)
{
	pfn_t p = palloc();
	hostif_zero_page(pfn_to_virt(p));
	return p;
}

static void build_tree(void)
{
	pfn_t l3 = zeroed(), l2 = zeroed(), data = zeroed(), l1;
	tree_l4 = zeroed();
	lazy_mmu_enter();
	for (unsigned k = 0; k < TREE_L1S; k++) {
		l1 = zeroed();
		for (unsigned j = 0; j < PT_ENTRIES; j++)
			hostif_store(_gva(gva_x(pfn_to_virt(l1)) + j * 8),
				     make_pte((pfn_x(data) << PAGE_SHIFT) | PTE_P | PTE_A));
		hostif_store(_gva(gva_x(pfn_to_virt(l2)) + k * 8), make_pmd((pfn_x(l1) << PAGE_SHIFT) | TABLE_FLAGS));
		make_page_readonly(l1);
	}
	hostif_store(pfn_to_virt(l3), make_pud((pfn_x(l2) << PAGE_SHIFT) | TABLE_FLAGS));
	hostif_store(pfn_to_virt(tree_l4), make_pgd((pfn_x(l3) << PAGE_SHIFT) | TABLE_FLAGS));
	make_page_readonly(l2);
	make_page_readonly(l3);
	make_page_readonly(tree_l4);
	lazy_mmu_leave();
}

static void long_work(void)
{
	pfn_t text = zeroed();          /* NULs: the pvmmu tool drops them from the console */
	for (unsigned i = 0; i < TEXT_PAGES; i++) {
		if (!gva_x(vm_entry(&kernel_mm, TEXT_AT + i * PAGE_SIZE, true)))
			hostif_panic("no table for the text");
		update_va(TEXT_AT + i * PAGE_SIZE, make_pte((pfn_x(text) << PAGE_SHIFT) | PTE_P | PTE_A | PTE_NX));
	}
	long rc = during_watch(long_write);
	expect("console_io of 2^31-1 bytes: 64 KiB written, then -EFAULT, as Xen", rc, -XEN_EFAULT);
	if (turns_seen("vCPU 1 ran while it was being written (the write is preempted)"))
		expect("vCPU 1 ran while it was being written (the write is preempted)", atomic_load(&resumed) > 1, 1);
	for (unsigned i = 0; i < TEXT_PAGES; i++)
		update_va(TEXT_AT + i * PAGE_SIZE, 0);
	pput(text);
	build_tree();
	rc = during_watch(long_initialise);
	expect("VCPUOP_initialise with a root of 256000 entries to validate", rc, 0);
	if (turns_seen("vCPU 1 ran while it was validated (the validation is preempted)"))
		expect("vCPU 1 ran while it was validated (the validation is preempted)", atomic_load(&resumed) > 1, 1);
}

/* --- vm86-iret and mov-ss ---------------------------------------------------- */

/* A 32-bit iret from ring 3 with VM set in the flags it pops: a CPU in long
 * mode refuses it (#GP), QEMU's TCG enters virtual-8086 mode, where the
 * next fault arrives with a real-mode cs.  Either way the fault is ours,
 * and hv must know it came from us (its gs, its exit checks). */
static void vm86_iret(void)
{
	if (xen_dom0) {
		/* on Xen 4.17 under QEMU's TCG this panics the machine
		 * ("GENERAL PROTECTION FAULT" at restore_all_xen's iretq): a
		 * long-mode CPU never enters virtual-8086 mode, TCG does */
		expect_skip("an iretd into virtual-8086 mode",
			    "QEMU's TCG enters virtual-8086 mode from long mode, which no CPU does; "
			    "Xen 4.17 panics on it");
		return;
	}
	/* the frame below 4 GiB: TCG reads a 32-bit iret's stack through esp */
	pfn_t p = map_page_at(LOW_PAGE);
	const uint32_t frame[10] = { 0x100, 0x10, 0x20202, LOW_PAGE + 0xf00, 0x10, 0, 0, 0, 0, 0 };
	uint32_t *f = (uint32_t *)(uintptr_t)(LOW_PAGE + 0x800);
	for (unsigned i = 0; i < 10; i += 2)
		hostif_store(_gva((uintptr_t)&f[i]), (uint64_t)frame[i + 1] << 32 | frame[i]);
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps;
	__asm__ volatile(RECOVER_ARM
			 "mov %%rsp, 8(%[slot])\n\t"
			 "mov %[f], %%rsp\n\t"
			 "iretl"
			 RECOVER_END
			 :: [f] "r"(f), [slot] "r"(&r->rip) : "r11", "memory");
	r->rsp = 0;
	expect("an iretd into virtual-8086 mode traps to us, and hv goes on", r->traps == traps + 1, 1);
	unmap_page_at(LOW_PAGE, p);
}

/* A single step deferred by MOV SS into hv's syscall entry (and into an
 * int3's gate): the debug trap arrives in ring 0 on the guest's stack and
 * gs (XSA-260); hv must take it on a stack of its own and drop it. */
static void mov_ss(void)
{
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps, rc = HYPERVISOR_console_io, cmd = CONSOLEIO_write, n = 0, buf = 0;
	__asm__ volatile(RECOVER_ARM
			 "pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "mov %%ss, %%r11\n\t"
			 "popfq\n\t"
			 "mov %%r11w, %%ss\n\t"
			 "syscall\n\t"
			 "nop"
			 RECOVER_END
			 : "+a"(rc), "+D"(cmd), "+S"(n), "+d"(buf)
			 : [slot] "r"(&r->rip) : "rcx", "r8", "r9", "r10", "r11", "cc", "memory");
	expect("mov ss; syscall with TF: the hypercall works, the step traps after it",
	       rc == 0 && r->traps == traps + 1 && r->vector == 1, 1);
	traps = r->traps;
	__asm__ volatile(RECOVER_ARM
			 "pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "mov %%ss, %%r11\n\t"
			 "popfq\n\t"
			 "mov %%r11w, %%ss\n\t"
			 "int3"
			 RECOVER_END
			 :: [slot] "r"(&r->rip) : "r11", "cc", "memory");
	expect("mov ss; int3 with TF: the breakpoint is ours", r->traps == traps + 1, 1);
}

/* --- gdt --------------------------------------------------------------------- */

#define GDT_PAGE  0x40400000ull
#define GDT_DATA  0x00cff3000000ffffull     /* flat 32-bit data, DPL 3, accessed */
#define GDT_CODE0 0x00209b0000000000ull     /* 64-bit code, DPL 0, accessed */
#define GDT_TSS   0x0000890000000067ull

static long set_gdt(pfn_t f, unsigned entries)
{
	static uint64_t list[MAX_GUEST_VCPUS][1];
	uint64_t *l = list[hostif_vcpu()];
	l[0] = mfn_of(f);
	return xen_hypercall(HYPERVISOR_set_gdt, (uint64_t)(uintptr_t)l, entries, 0, 0, 0);
}

static void gdt(void)
{
	pfn_t f = map_page_at(GDT_PAGE);
	uint64_t rw = make_pte((pfn_x(f) << PAGE_SHIFT) | PT_RW), ro = rw & ~(uint64_t)PTE_RW, got, at;
	uint64_t maddr = mfn_of(f) << PAGE_SHIFT;
	hostif_store(_gva(GDT_PAGE + 8), GDT_TSS);
	expect("set_gdt of a frame mapped writable", set_gdt(f, 16), -XEN_EINVAL);
	make_page_readonly(f);                  /* our direct map's view too */
	lazy_mmu_flush();
	expect("the frame read-only", update_va(GDT_PAGE, ro), 0);
	expect("set_gdt of a frame holding a TSS descriptor", set_gdt(f, 16), -XEN_EINVAL);
	expect("cleared through update_descriptor (not a descriptor page yet)",
	       xen_hypercall(HYPERVISOR_update_descriptor, maddr + 8, 0, 0, 0, 0), 0);
	expect("set_gdt of it, clean", set_gdt(f, 16), 0);
	expect("it cannot be mapped writable now", update_va(GDT_PAGE, rw), -XEN_EBUSY);
	expect("update_descriptor of a TSS into it",
	       xen_hypercall(HYPERVISOR_update_descriptor, maddr + 16, GDT_TSS, 0, 0, 0), -XEN_EINVAL);
	expect("update_descriptor of a DPL 0 code segment",
	       xen_hypercall(HYPERVISOR_update_descriptor, maddr + 16, GDT_CODE0, 0, 0, 0), 0);
	hostif_load(_gva(GDT_PAGE + 16), &got);
	expect("... stored with DPL 3", (long)(got >> 45 & 3), 3);
	expect("update_descriptor of a data segment",
	       xen_hypercall(HYPERVISOR_update_descriptor, maddr + 24, GDT_DATA, 0, 0, 0), 0);
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps, sel = 3 << 3 | 3, fs = 0;
	__asm__ volatile(RECOVER_ARM "lea 2f(%%rip), %[at]\n2:\tmov %w[sel], %%fs\n\tmov %%fs, %[fs]"
			 RECOVER_END
			 : [at] "=&r"(at), [fs] "+r"(fs) : [sel] "r"(sel), [slot] "r"(&r->rip)
			 : "r11", "memory");
	__asm__ volatile("mov %w0, %%fs" :: "r"(0));
	expect("a selector of it loads", r->traps == traps && fs == sel, 1);
	expect("set_gdt of none", set_gdt(f, 0), 0);
	expect("lets the frame go: it may be writable again", update_va(GDT_PAGE, rw), 0);
	make_page_readwrite(f);
	lazy_mmu_flush();
	unmap_page_at(GDT_PAGE, f);
}

/* --- ldt --------------------------------------------------------------------- */

#define LDT_PAGE   0x40200000ull
#define LDT_MARK   0x00001234deadbeefull            /* entry 0: not present, anything goes */
#define LDT_SEL    0x0full                          /* entry 1, the LDT, RPL 3 */
/* entry 1: a 32-bit data segment, DPL 3, accessed, based at the LDT itself */
#define LDT_DATA   (0xffffull | (LDT_PAGE & 0xffffff) << 16 | 0xf3ull << 40 | 0xcfull << 48 | \
		    (LDT_PAGE >> 24) << 56)

static long set_ldt(uint64_t base, unsigned ents)
{
	static struct mmuext_op op[MAX_GUEST_VCPUS];
	struct mmuext_op *o = &op[hostif_vcpu()];
	*o = (struct mmuext_op){ .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = base, .arg2.nr_ents = ents };
	return xen_hypercall(HYPERVISOR_mmuext_op, (uint64_t)(uintptr_t)o, 1, 0, DOMID_SELF, 0);
}

/* mov (sel) to %fs and read %fs:0: the trap count it took, the value in (*got). */
static uint64_t load_fs(uint64_t sel, uint64_t *got, uint64_t *at)
{
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps;
	*got = 0;
	__asm__ volatile(RECOVER_ARM "lea 2f(%%rip), %[at]\n2:\tmov %w[sel], %%fs\n\tmov %%fs:0, %[got]"
			 RECOVER_END
			 : [at] "=&r"(*at), [got] "+r"(*got) : [sel] "r"(sel), [slot] "r"(&r->rip)
			 : "r11", "memory");
	__asm__ volatile("mov %w0, %%fs" :: "r"(0));
	return r->traps - traps;
}

/* fs loaded from the LDT, then the LDT gone (the CPU keeps what it
 * loaded), then yields until a switch back to us cannot load fs again. */
static void failsafe(uint64_t ro)
{
	static struct mmuext_op none = { .cmd = MMUEXT_SET_LDT };
	expect("the failsafe callback registered", xen_register_callback(CALLBACKTYPE_failsafe, xen_failsafe), 0);
	expect("the LDT read-only", update_va(LDT_PAGE, ro) | set_ldt(LDT_PAGE, 2), 0);
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps, left = 200;
	xen_failsafe_segs[2] = 0;
	__asm__ volatile(RECOVER_ARM
			 "mov %w[sel], %%fs\n\t"
			 "mov %[mmuext], %%eax\n\t"
			 "mov %[op], %%rdi\n\t"
			 "mov $1, %%esi\n\t"
			 "xor %%edx, %%edx\n\t"
			 "mov %[self], %%r10\n\t"
			 "syscall\n"
			 "2:\n\t"
			 "mov %[sched], %%eax\n\t"
			 "mov %[yield], %%edi\n\t"
			 "xor %%esi, %%esi\n\t"
			 "syscall\n\t"
			 "decq %[left]\n\t"
			 "jnz 2b"
			 RECOVER_END
			 : [left] "+m"(left)
			 : [sel] "r"(LDT_SEL), [mmuext] "i"(HYPERVISOR_mmuext_op), [op] "r"(&none),
			   [self] "i"(DOMID_SELF), [sched] "i"(HYPERVISOR_sched_op), [yield] "i"(SCHEDOP_yield),
			   [slot] "r"(&r->rip)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r10", "r11", "memory");
	__asm__ volatile("mov %w0, %%fs" :: "r"(0));
	if (turns_seen("a switch back that cannot load fs enters the failsafe callback, fs as it was"))
		expect("a switch back that cannot load fs enters the failsafe callback, fs as it was",
		       r->traps == traps + 1 && r->vector == 255 && xen_failsafe_segs[2] == LDT_SEL, 1);
}

static void ldt(void)
{
	struct xen_recover *r = recovery();
	pfn_t f = map_page_at(LDT_PAGE);
	uint64_t rw = make_pte((pfn_x(f) << PAGE_SHIFT) | PT_RW), ro = rw & ~(uint64_t)PTE_RW, got, at;
	hostif_store(_gva(LDT_PAGE), LDT_MARK);
	hostif_store(_gva(LDT_PAGE + 8), LDT_DATA);
	make_page_readonly(f);                  /* our direct map's view; as Linux's xen_alloc_ldt */
	lazy_mmu_flush();
	expect("SET_LDT of two entries in a page mapped writable", set_ldt(LDT_PAGE, 2), 0);
	expect("a selector of it faults: #PF at the LDT's own address",
	       load_fs(LDT_SEL, &got, &at) == 1 && trapped(r, r->traps - 1, 14, 0, at) &&
	       xen_last_cr2() == LDT_PAGE + 8, 1);
	expect("the page made read-only", update_va(LDT_PAGE, ro), 0);
	expect("now the selector loads, based where it says",
	       load_fs(LDT_SEL, &got, &at) == 0 && got == LDT_MARK, 1);
	expect("the page cannot be made writable while the CPU has it", update_va(LDT_PAGE, rw),
	       -XEN_EBUSY);
	expect("a selector past the LDT's limit: #GP(selector)",
	       load_fs(0x17, &got, &at) == 1 && trapped(r, r->traps - 1, 13, 0x14, at), 1);
	expect("SET_LDT of the same LDT keeps it", set_ldt(LDT_PAGE, 2) == 0 && update_va(LDT_PAGE, rw), 1);
	expect("SET_LDT of none", set_ldt(0, 0), 0);
	expect("lets the page go: it may be writable again", update_va(LDT_PAGE, rw), 0);
	expect("with no LDT a selector of it is #GP(selector)",
	       load_fs(LDT_SEL, &got, &at) == 1 && trapped(r, r->traps - 1, 13, LDT_SEL & ~3ull, at), 1);
	expect("the LDT again, read-only", update_va(LDT_PAGE, ro) | set_ldt(LDT_PAGE, 2), 0);
	expect("set_segment_base of the user GS selector from it",
	       xen_hypercall(HYPERVISOR_set_segment_base, SEGBASE_GS_USER_SEL, LDT_SEL, 0, 0, 0), 0);
	expect("which mapped the page as a load of ours would", update_va(LDT_PAGE, rw), -XEN_EBUSY);
	expect("the user GS selector back to none",
	       xen_hypercall(HYPERVISOR_set_segment_base, SEGBASE_GS_USER_SEL, 0, 0, 0, 0), 0);
	failsafe(ro);
	expect("SET_LDT of none, the page writable", set_ldt(0, 0) | update_va(LDT_PAGE, rw), 0);
	make_page_readwrite(f);
	lazy_mmu_flush();
	unmap_page_at(LDT_PAGE, f);
}

/* --- stale-tlb ---------------------------------------------------------------- */

/* A frame we wrote through our direct map (a writable translation cached),
 * made read-only there without a flush, then pinned as an L3, in a domain
 * whose vCPUs have not flushed since they were made: the pin must flush
 * the stale translation, so a store through our view of the table is
 * emulated and refused, never written.  (Found by the fuzzer: every new
 * vCPU counted as flushed a tick ahead of the clock.) */
static void stale_tlb(void)
{
	pfn_t f = palloc();
	gva_t at = _gva(gva_x(pfn_to_virt(f)) + 425 * 8);
	hostif_zero_page(pfn_to_virt(f));
	make_page_readonly(f);
	lazy_mmu_flush();
	expect("pinning a frame we just wrote as an L3 (allowed)", mmuext(MMUEXT_PIN_L3_TABLE, mfn_of(f)), 0);
	struct xen_recover *r = recovery();
	uint64_t traps = r->traps, rax = 0x4a41503, e;
	__asm__ volatile(RECOVER_ARM "xchg %%ax, (%[e])" RECOVER_END
			 : "+a"(rax) : [e] "r"(gva_x(at)), [slot] "r"(&r->rip) : "r11", "memory");
	hostif_load(at, &e);
	expect("a store of a bad entry into it through the stale translation faults",
	       r->traps == traps + 1 && r->vector == 14 && e == 0, 1);
	expect("unpinning it", mmuext(MMUEXT_UNPIN_TABLE, mfn_of(f)), 0);
}

const struct attack_mode attack_modes_ring0[] = {
	{ "flags-entry", flags_entry },
	{ "exit-checks", exit_checks },
	{ "compat-cs", compat_cs },
	{ "iret-rax", iret_rax },
	{ "ptwr-insns", ptwr_insns },
	{ "int-n", int_n },
	{ "trap-table", trap_table },
	{ "umip", umip },
	{ "long-work", long_work },
	{ "vm86-iret", vm86_iret },
	{ "mov-ss", mov_ss },
	{ "stale-tlb", stale_tlb },
	{ "gdt", gdt },
	{ "ldt", ldt },
	{ "xstate", xstate },
	{ "evtchn", evtchn_mode },
	{ "timers", timers_mode },
	{ "runstate", runstate_mode },
};
const unsigned nr_attack_modes_ring0 = sizeof(attack_modes_ring0) / sizeof(attack_modes_ring0[0]);

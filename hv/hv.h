/* SPDX-License-Identifier: MIT */
/*
 * hv/: core/ as a ring-0 x86-64 kernel.  The parts and their one job each:
 *
 *   main.c           boot order, nothing else
 *   x86/entry.S      the ways into ring 0 and back: syscall, exception
 *                    stubs, the exit through exit_to_guest
 *   x86/cpu.c        GDT (Xen's selectors), IDT, TSS, control registers,
 *                    syscall MSRs, per-CPU data
 *   x86/mem.c        the memory map, the hypervisor's tables (text, direct
 *                    map, m2p), the frame table, core's env_* over them
 *   x86/insn.c       a pure decoder of the instructions hv emulates, and
 *                    their effect (insn.h; host-tested and fuzzed)
 *   dom/builder.c    the guest domain from an ELF image, as Xen's builder
 *                    lays it out
 *   pv/hypercall.c   the one hypercall table (core's and hv's) and the
 *                    syscall entry; shutdown and crash
 *   pv/traps.c       what a PV vCPU sees of exceptions: bounce frames, int
 *                    $n, the checks on every way back to the guest
 *   pv/ptwr.c        stores into the guest's own pagetables, emulated
 *   pv/iret.c        the iret hypercall and set_trap_table
 *   event/console.c  console_io
 *   sched/sched.c    several vCPUs on one CPU: the timer, switches
 *   sched/vcpu_op.c  vcpu_op
 * and from pc/: the PVH entry, the serial console, the TSC's rate, the
 * exit code QEMU reports.
 *
 * Layout of the hypervisor's L4 slots (present in every guest L4, from
 * m->l4_template):
 *   256  0xffff800000000000  the m2p, read-only to guests (Xen's RO_MPT)
 *   261  0xffff82d080000000  hv.elf: text, data, stacks (HV_TEXT_VIRT + paddr)
 *   262  0xffff830000000000  every machine frame (the direct map), supervisor
 *
 * What guest state may reach ring 0 and what leaves it is docs/SECURITY.md's
 * "hv's ring-0 surface": every entry normalises RFLAGS before C runs
 * (x86/entry.S), every exit is checked in one place (pv/traps.c, hv_exit).
 */
#ifndef HV_HV_H
#define HV_HV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../core/machine.h"
#include "../pc/pc.h"

#define HV_TEXT_VIRT  0xffff82d080000000ull
#define HV_DIRECTMAP  0xffff830000000000ull
#define HV_TEXT_SLOT  261u
#define HV_DMAP_SLOT  262u

/* Xen's flat selectors for 64-bit PV guests (abi.h), and ours. */
#define HV_CS        0xe008u
#define HV_DS        0xe010u
#define GUEST_SS     FLAT_KERNEL_SS64
#define GUEST_CS     FLAT_KERNEL_CS64
#define GUEST_CS32   FLAT_USER_CS32
#define HV_TSS_SEL   0xe040u

#define RFLAGS_CF    (1ull << 0)
#define RFLAGS_ZF    (1ull << 6)
#define RFLAGS_TF    (1ull << 8)
#define RFLAGS_IF    (1ull << 9)
#define RFLAGS_DF    (1ull << 10)
#define RFLAGS_IOPL  (3ull << 12)
#define RFLAGS_NT    (1ull << 14)
#define RFLAGS_RF    (1ull << 16)
#define RFLAGS_VM    (1ull << 17)
#define RFLAGS_AC    (1ull << 18)
#define RFLAGS_ARITH 0x8d5ull       /* CF PF AF ZF SF OF */

#define VEC_SYSCALL  0x100u   /* the frame came from syscall, not an exception */

/* What entry.S saves: general registers, then vector and error code, then
 * the hardware's frame (built by entry.S for syscall). */
struct regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Per physical CPU; gs points at it in ring 0.  entry.S knows the first
 * three fields' offsets. */
struct pcpu {
	uint64_t stack_top;         /* +0: ring-0 stack for entries from ring 3 */
	uint64_t guest_rsp;         /* +8: scratch for the syscall entry */
	struct pcpu *self;          /* +16: this struct, for this_cpu() */
	struct vcpu *cur;           /* the vCPU running here */
	unsigned id;
	bool ticking;               /* the timer runs (sched.c) */
	bool resched;               /* switch vCPUs on the way out (sched.c) */
};

static inline struct pcpu *this_cpu(void)
{
	struct pcpu *p;
	__asm__ volatile("mov %%gs:16, %0" : "=r"(p));
	return p;
}

/* The hypervisor's side of a vCPU (v->host). */
struct hv_vcpu {
	struct trap_info traps[256];  /* the virtual IDT; address 0: no handler */
	struct regs regs;           /* the registers while another vCPU runs */
	struct regs *frame;         /* while it runs: its frame on the ring-0 stack */
	uint32_t tsc_aux;           /* MSR TSC_AUX while it runs (pv/emul_priv.c) */
	bool initialised, up;
};

/* ... and of a domain (d->host). */
struct hv_domain {
	uint64_t shared_info;       /* machine address of its shared_info page */
	bool shutting_down;         /* SCHEDOP_shutdown asked, with: */
	unsigned shutdown_reason;
	bool console_line_start;    /* console.c: the next byte starts a line */
	unsigned reports;           /* refusals shown on the console so far */
	struct hv_vcpu vcpus[MAX_VCPUS];
};

static inline struct hv_vcpu *hv_vcpu(const struct vcpu *v) { return v->host; }
static inline struct hv_domain *hv_domain(const struct domain *d) { return d->host; }

/* The exit codes (pc_exit): */
#define EXIT_OK     0u   /* QEMU exits 1 */
#define EXIT_GUEST  1u   /* the guest failed or crashed: QEMU exits 3 */
#define EXIT_HV     2u   /* the hypervisor stopped itself: QEMU exits 5 */

/* --- x86/cpu.c ---------------------------------------------------------- */

extern struct pcpu pcpu0;
/* SMAP is on: ring 0 reaches user pages only between stac and clac. */
extern bool cpu_smap;
/* UMIP is on: sgdt, sidt, sldt, smsw and str fault in ring 3. */
extern bool cpu_umip;
void cpu_init(void);
/* Leave ring 0 into the guest with (r), through hv_exit; does not return. */
_Noreturn void cpu_enter_guest(struct regs *r);

/* --- x86/mem.c ---------------------------------------------------------- */

struct hvm_start_info;
extern struct machine machine;
/* Read the memory map, build our tables and switch to them, set up the
 * frame table and the m2p.  Frames outside RAM and the boot modules stay
 * the hypervisor's. */
void mem_init(const struct hvm_start_info *si);
/* Keep frames the memory map does not call RAM (after mem_init). */
void mem_reserve_holes(const struct hvm_start_info *si);
/* Scratch memory for core's audit. */
extern void *audit_scratch;
/* Room for the frames of one guest's p2m list while the builder fills it:
 * one per 512 pages, enough for a guest as large as the machine. */
extern mfn_t *mem_p2m_index;
extern uint64_t mem_p2m_index_size;
/* The direct-map address of machine address (pa). */
static inline void *maddr_virt(uint64_t pa) { return (void *)(uintptr_t)(HV_DIRECTMAP + pa); }
/* The hypervisor's own L4 (slots 256..271 only). */
extern mfn_t hv_l4;
/* Load (root) as cr3 (flushing the TLB). */
void mem_load_root(mfn_t root);
/* Where guest address (va) lands for vCPU (v), walking its current tables
 * as the MMU would for a ring-3 access: 0 and the machine address, or
 * -XEN_EFAULT if not present, not user, or (write) and not writable. */
int mem_translate(struct vcpu *v, uint64_t va, bool write, uint64_t *pa);

/* --- dom/builder.c ------------------------------------------------------ */

/* Build the one guest domain from the ELF image at machine address (image)
 * of (len) bytes with (nr_pages) pages, (nr_vcpus) vCPUs and command line
 * (cmdline); fill (r) with vCPU 0's entry registers.  NULL and a message if
 * the image is bad. */
struct domain *build_domain(uint64_t image, uint64_t len, uint64_t nr_pages, unsigned nr_vcpus,
			    const char *cmdline, struct regs *r);

/* --- pv/hypercall.c ----------------------------------------------------- */

/* Entered from entry.S with the guest's registers (a syscall from ring 3). */
void hv_syscall(struct regs *r);
/* Make this machine's hypercall table the one table (before any guest runs). */
void hv_hypercalls_init(void);
/* Shut the machine down for the domain: audit, report, exit. */
_Noreturn void hv_shutdown(struct domain *d, unsigned reason);
/* Crash the running domain with (why) and stop. */
_Noreturn void hv_crash_guest(struct vcpu *v, const char *why);
/* Run the audit and print its verdict "hv: audit (when): ..." */
bool hv_audit(const char *when);
/* Run the audit; if it fails, print why and stop (audit=each). */
void hv_audit_or_stop(void);
/* Report a refused request of vCPU (v) on the console, with core's reason
 * (the first 64 of each domain). */
void hv_report(struct vcpu *v, const char *what, uint64_t which, long rc);

/* --- main.c ------------------------------------------------------------ */

/* "audit=each" on hv's command line: audit after every hypercall and
 * exception, and stop at the first one that breaks an invariant (slow: for
 * finding where a fuzzing run went wrong). */
extern bool hv_audit_each;

/* --- pv/traps.c --------------------------------------------------------- */

/* Entered from entry.S with the interrupted registers (an exception or an
 * interrupt, from the guest or from ourselves). */
void hv_exception(struct regs *r);
/* Stop hv if RFLAGS.DF or AC reached C code: entry.S clears them on every
 * entry (the syscall mask on a syscall), and everything after relies on it. */
void pv_entry_check(const struct regs *r);
/* Every way back to ring 3 ends here (entry.S, exit_to_guest): switch vCPUs
 * if asked, load the running vCPU's root, and make (r) safe to iretq or
 * sysretq to: RFLAGS as Xen leaves them, a selector of ours, a canonical
 * rip; what is not is bounced to the guest as the CPU would fault, or
 * crashes the domain. */
void hv_exit(struct regs *r);
/* Deliver exception (vec) to the guest's handler in Xen's frame, with error
 * code (ec) if (has_ec): 0, or -1 if it has no handler or its stack cannot
 * take the frame (the caller crashes the domain). */
int pv_bounce(struct vcpu *v, struct regs *r, unsigned vec, bool has_ec, uint64_t ec);
/* The vcpu_info of (v) in its domain's shared info page. */
struct vcpu_info *pv_vcpu_info(const struct vcpu *v);
/* Print the frame-pointer chain from (rbp), within hv.elf. */
void hv_backtrace(uint64_t rbp);

/* --- pv/ptwr.c ---------------------------------------------------------- */

/* A write fault at (cr2) by the guest: if it is a store into one of the
 * domain's live pagetables that hv emulates, emulate it and step over it
 * (or leave rip on it to run again, for a continuation).  True if the
 * guest goes on; false if the fault is the guest's to take. */
bool pv_ptwr_fault(struct vcpu *v, struct regs *r, uint64_t cr2);

/* A #GP(0) of vCPU (v) at (r)->rip: if it is a privileged instruction Xen
 * emulates for a PV kernel (pv/emul_priv.c), emulate it, step past it and
 * return true; else false, and (r) is unchanged. */
bool pv_emulate_priv(struct vcpu *v, struct regs *r);

/* --- pv/iret.c, event/console.c, sched/ --------------------------------- */

/* The hypercalls hv serves, in core's table signature (core/hypercall.h):
 * they reach the caller's registers through hv_vcpu(v)->frame. */
long do_set_trap_table(struct vcpu *v, const uint64_t a[6]);
long do_iret(struct vcpu *v, const uint64_t a[6]);
long do_console_io(struct vcpu *v, const uint64_t a[6]);
long do_sched_op(struct vcpu *v, const uint64_t a[6]);
long do_vcpu_op(struct vcpu *v, const uint64_t a[6]);

/* (v) is the first to run. */
void sched_start(struct vcpu *v);
/* Ask for a switch on the way back to the guest. */
void sched_yield(void);
/* The timer's interrupt: acknowledge it and ask for a switch. */
void sched_interrupt(void);
/* On the way back to the guest (hv_exit): if a switch was asked for and
 * another vCPU is up, (r) becomes that vCPU's registers and this_cpu()->cur
 * that vCPU. */
void sched_run(struct regs *r);
/* Start the timer (once), unless (sched_no_timer): "timer=off". */
void sched_tick_start(void);
extern bool sched_no_timer;
/* The next vCPU of the running one's domain that is up, or NULL. */
struct vcpu *sched_next_up(void);

/* --- small things ------------------------------------------------------- */

static inline struct vcpu *this_vcpu(void) { return this_cpu()->cur; }
static inline void wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
static inline uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static inline bool canonical(uint64_t va) { return (uint64_t)(((int64_t)va << 16) >> 16) == va; }
static inline uint64_t read_rflags(void) { uint64_t f; __asm__ volatile("pushfq; popq %0" : "=r"(f)); return f; }

#endif

/* SPDX-License-Identifier: MIT */
/*
 * hv/: core/ as a ring-0 x86-64 kernel that runs Xen PV guests (its own
 * and Debian's Linux).  The parts and their one job each:
 *
 *   main.c           boot order, nothing else
 *   x86/entry.S      the ways into ring 0 and back: syscall, exception
 *                    stubs, the exit through exit_to_guest
 *   x86/cpu.c        GDT (Xen's layout: the guest's pages, then ours from
 *                    0xe000), IDT, TSS, control registers, syscall MSRs
 *   x86/fpu.c        FXSAVE/SSE state per vCPU, the virtual CR0.TS
 *   x86/mem.c        the memory map, the hypervisor's tables (text, direct
 *                    map, m2p), the frame table, core's env_* over them
 *   x86/smp.c        the other CPUs started; IPIs, remote flushes, locks,
 *                    holding the other CPUs still
 *   x86/apic.c       the local APIC: IPIs, end of interrupt, the timer
 *   x86/pci.c        the machine's PCI functions, as Xen lists them
 *   x86/insn.c       a pure decoder of the stores hv emulates (insn.h)
 *   x86/priv.c       a pure decoder of the privileged instructions (priv.h)
 *   dom/elf.c        the image as Xen's loader reads it (pure)
 *   dom/builder.c    the domain laid out as Xen's builder lays it out
 *   dom/memory.c     memory_op
 *   dom/exchange.c   memory_op's XENMEM_exchange
 *   pv/hypercall.c   the one hypercall table (core's and hv's) and the
 *                    syscall entry; shutdown and crash
 *   pv/traps.c       bounce frames, int $n, the checks on every way back
 *   pv/mode.c        kernel and user mode, segment bases, stack_switch
 *   pv/emul_priv.c   privileged instructions on #GP, the MSR policy
 *   pv/cpuid.c       the CPUID policy, forced-emulation cpuid on #UD
 *   pv/descriptor.c  set_gdt, update_descriptor (core/desc.c decides)
 *   pv/debugreg.c    set_debugreg, get_debugreg
 *   pv/callback.c    callbacks, the event upcall
 *   pv/platform.c    xen_version, vm_assist, physdev_op
 *   pv/grant.c       grant_table_op (the domain's own table), xenpmu_op
 *   pv/ptwr.c        stores into the guest's own pagetables, emulated
 *   pv/iret.c        the iret hypercall and set_trap_table
 *   event/evtchn.c   2-level event channels
 *   event/time.c     system time, pvclock, wall clock, guest timers
 *   event/console.c  console_io and the console ring's backend
 *   event/xenstore.c the xenstore ring's backend; the store itself in xs/
 *   sched/sched.c    vCPUs on CPUs: run queues, switches, idle
 *   sched/timer.c    when each CPU's one-shot timer goes off
 *   sched/sched_op.c sched_op (block, poll), runstates
 *   sched/vcpu_op.c  vcpu_op
 * and from pc/: the PVH entry, the serial console, the TSC's rate, the CMOS
 * clock, the exit code QEMU reports.
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
#include "xs/xs.h"

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
static inline uint64_t read_rflags(void) { uint64_t f; __asm__ volatile("pushfq; popq %0" : "=r"(f)); return f; }

#define XEN_VERSION_MAJOR 4u     /* the Xen whose ABI hv answers as */
#define XEN_VERSION_MINOR 17u

#define MSR_EFER       0xc0000080u
#define MSR_FS_BASE    0xc0000100u
#define MSR_GS_BASE    0xc0000101u
#define MSR_KERNEL_GS  0xc0000102u   /* Xen's MSR_SHADOW_GS_BASE */

#define VEC_SYSCALL  0x100u   /* the frame came from syscall, not an exception */

/* What entry.S saves: general registers, then vector and error code, then
 * the hardware's frame (built by entry.S for syscall). */
struct regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* A lock hv's own state is kept under (x86/smp.c).  hv runs with
 * interrupts off, so a holder is never interrupted; a waiter serves other
 * CPUs' flush requests while it spins, so a holder may wait for a flush. */
struct spinlock {
	_Atomic uint32_t held;
};
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

/* Per physical CPU; gs points at it in ring 0.  entry.S knows the first
 * three fields' offsets.  Fields other CPUs touch are atomic. */
struct pcpu {
	_Alignas(64) uint64_t stack_top; /* +0: ring-0 stack for entries from ring 3 (each
				     * CPU's on cache lines of its own) */
	uint64_t guest_rsp;         /* +8: scratch for the syscall entry */
	struct pcpu *self;          /* +16: this struct, for this_cpu() */
	struct vcpu *cur;           /* the vCPU running here, NULL while idle */
	unsigned id;
	uint32_t apic_id;
	bool up;                    /* started (x86/smp.c) */
	uint64_t timer_at;          /* system time the timer is set for, ~0: none (sched.c) */
	_Atomic bool resched;       /* switch vCPUs on the way out (sched.c) */
	_Atomic bool idle;          /* halted, waiting for a vCPU (sched.c) */
	_Atomic bool parked;        /* held still by another CPU (x86/smp.c) */
	_Atomic uint64_t flush_req, flush_done;  /* remote TLB flushes asked, done */
	_Atomic bool guest_tlb;     /* it may use the guest's translations now: it runs the
				     * guest, or hv copies through them (x86/smp.c) */
	uint64_t spin_since;        /* TSC when this CPU began to spin, 0 if it is not
				     * spinning (x86/smp.c, the watchdog) */
	uint64_t xcr0;              /* what the CPU's XCR0 holds (x86/fpu.c) */
};

static inline struct pcpu *this_cpu(void)
{
	struct pcpu *p;
	__asm__ volatile("mov %%gs:16, %0" : "=r"(p));
	return p;
}

/* An event channel port of a domain (event/evtchn.c). */
enum evtchn_state {
	EVTCHN_FREE, EVTCHN_UNBOUND, EVTCHN_INTERDOMAIN, EVTCHN_VIRQ, EVTCHN_IPI,
	EVTCHN_BACKEND,             /* bound to a backend of hv's: */
};
enum evtchn_backend { BACKEND_CONSOLE, BACKEND_STORE };
#define EVTCHN_PORTS 1024u
#define GRANT_MAX_FRAMES 64u
struct evtchn {
	uint8_t state, virq, backend;
	uint16_t vcpu;              /* the vCPU it notifies */
	uint16_t remote_dom, remote_port;
};

/* The runstate Xen keeps per vCPU (vcpu_runstate_info). */
struct runstate {
	int32_t state;              /* RUNSTATE_running, _runnable, _blocked, _offline */
	uint64_t entry_time;        /* system time it entered the state */
	uint64_t time[4];           /* ns spent in each state */
};
#define RUNSTATE_running  0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked  2
#define RUNSTATE_offline  3

#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_YMM (1ull << 2)
#define XSTATE_FP_SSE (XCR0_X87 | XCR0_SSE)
#define CR4_OSXSAVE (1ull << 18)
#define FPU_AREA_SIZE 1024u         /* an XSAVE image of x87, SSE and AVX (832 bytes) fits */

/* The hypervisor's side of a vCPU (v->host). */
struct hv_vcpu {
	struct trap_info traps[256];  /* the virtual IDT; address 0: no handler */
	struct regs regs;           /* the registers while another vCPU runs */
	struct regs *frame;         /* while it runs: its frame on the ring-0 stack */
	uint32_t tsc_aux;           /* MSR TSC_AUX while it runs (pv/emul_priv.c) */
	bool initialised, up;
	unsigned cpu;               /* the physical CPU whose run queue it is on (sched.c) */
	_Atomic int on_cpu;         /* the one it runs on, -1 if none */
	/* What the guest sees of a CPU's privileged state (pv/emul_priv.c,
	 * pv/mode.c): */
	struct seg_state {
		uint64_t fs_base, gs_base_kernel, gs_base_user;
		uint16_t ds, es, fs, gs;
	} seg;                      /* in the CPU while it runs, here while not */
	uint64_t iopl;              /* the virtual IOPL, as RFLAGS bits 12-13 */
	uint64_t cr4;               /* the guest's own CR4 bits (Xen's PV_CR4_GUEST_MASK) */
	uint64_t dr[8];             /* debug registers as the guest set them */
	bool fpu_ts;                /* the virtual CR0.TS (fpu_taskswitch) */
	bool user_mode;             /* guest user space runs, not its kernel */
	uint16_t kernel_ss;         /* stack_switch: the kernel stack for entries from user */
	uint64_t kernel_sp;
	bool blocked;               /* SCHEDOP_block or _poll: waits for an event */
	bool polling;               /* SCHEDOP_poll: any event wakes it, masked or not */
	uint64_t poll_deadline;     /* SCHEDOP_poll's timeout, system time; 0: none */
	struct vcpu_info *vcpu_info;  /* where its vcpu_info is (direct map) */
	uint16_t virq_port[NR_VIRQS];
	uint64_t timer_deadline;    /* single-shot, system time; 0: none */
	uint64_t timer_period, timer_next;  /* periodic; period 0: none */
	uint64_t event_callback, failsafe_callback, syscall_callback;
	bool syscall_masks;         /* the syscall callback masks events */
	uint64_t runstate_area;     /* guest address of its runstate copy, 0: none */
	bool runstate_pending;      /* the last copy could not be written (user mode) */
	struct runstate runstate;
	uint64_t xcr0, xcr0_accum;  /* its XCR0 (0: never set) and every one it had (x86/fpu.c) */
	uint8_t fpu[FPU_AREA_SIZE] __attribute__((aligned(64)));  /* xsave image while not running */
};

/* ... and of a domain (d->host). */
#define PIRQ_MAX 1024u               /* pirqs a domain may have (pv/physdev.c) */

struct hv_domain {
	struct spinlock lock;       /* event channels, timers, vcpu_op, memory_op, grants,
				     * the console: hv's state a vCPU may touch for another */
	uint64_t shared_info;       /* machine address of its shared_info page */
	uint64_t vm_assist;         /* vm_assist types enabled (pv/platform.c) */
	uint64_t nr_pages;          /* the pages it has (dom/memory.c) */
	uint64_t max_pages;         /* and may have: those it was built with */
	uint64_t alloc_hint;        /* where the next search for free frames starts */
	uint64_t console_ring;      /* machine address of its console page */
	unsigned console_port;      /* its console's event channel */
	uint64_t store_ring;        /* machine address of its xenstore page */
	unsigned store_port;        /* its xenstore's event channel */
	struct xs_conn xs;          /* its connection to the store (event/xenstore.c) */
	struct evtchn evtchn[EVTCHN_PORTS];
	mfn_t grant_mfn[GRANT_MAX_FRAMES];  /* its grant table's frames (pv/grant.c) */
	uint32_t grant_frames;      /* how many it has set up */
	_Atomic bool crash_told;    /* its crash reported on the console (once: vCPUs on
				     * other CPUs meet it too) */
	bool shutting_down;         /* SCHEDOP_shutdown asked, with: */
	unsigned shutdown_reason;
	bool console_line_start;    /* console.c: the next byte starts a line */
	_Atomic unsigned reports;   /* refusals shown on the console so far */
	struct {
		uint64_t taken[PIRQ_MAX / 64]; /* pirqs get_free_pirq gave (pv/physdev.c) */
		bool eoi_map_set;   /* pirq_eoi_gmfn's frame held */
		bool auto_unmask;   /* asked with its v1 */
	} pirq;
	struct hv_vcpu vcpus[MAX_VCPUS];
};

static inline struct hv_vcpu *hv_vcpu(const struct vcpu *v) { return v->host; }
static inline struct hv_domain *hv_domain(const struct domain *d) { return d->host; }

/* The exit codes (pc_exit): */
#define EXIT_OK     0u   /* QEMU exits 1 */
#define EXIT_GUEST  1u   /* the guest failed or crashed: QEMU exits 3 */
#define EXIT_HV     2u   /* the hypervisor stopped itself: QEMU exits 5 */
#define EXIT_REBOOT 3u   /* the guest asked for a reboot: QEMU exits 7 */

/* --- x86/cpu.c ---------------------------------------------------------- */

/* The physical CPUs hv keeps state for; CPU 0 is the bootstrap CPU. */
#define SMP_MAX_CPUS 8u
extern struct pcpu pcpus[SMP_MAX_CPUS];
/* The physical CPUs the firmware lists (x86/smp.c, at least 1, at most
 * SMP_MAX_CPUS kept) and how many are up, numbered 0 to smp_cpus_up - 1.
 * smp_init finds them from the RSDP at (rsdp) (0: the BIOS area) and
 * starts the others, after mem_init and time_init; they idle until the
 * scheduler gives them a vCPU (sched_idle_start). */
extern unsigned smp_cpus_found, smp_cpus_up;
void smp_init(uint64_t rsdp);
/* An IPI to CPU (cpu), nothing if it is this one: it takes it on its way
 * back to the guest (events, a choice asked for) or wakes from idle. */
void smp_kick(unsigned cpu);
/* CPU (cpu)'s TLB is flushed of the guest's translations: when this
 * returns, it has, or it will before it uses them again.  True if that
 * took an IPI (it was using them). */
bool smp_flush(unsigned cpu);
/* In a spin loop: pause, and do the flushes other CPUs ask of this one. */
void smp_relax(void);
/* The IPI's interrupt (sched_interrupt): the flushes asked of this CPU. */
void smp_interrupt(void);
/* This CPU is about to use the guest's translations (return to the guest,
 * or copy through them): the flushes asked of it are done first, and a
 * flush asked from now on waits for its answer.  smp_guest_tlb_off: it
 * will not use them until the next smp_guest_tlb_on (it entered hv), so a
 * flush asked meanwhile need not wait: it is done by that call.  With one
 * CPU up nobody asks, and both cost one test (they are on every crossing). */
void smp_guest_tlb_mark(void);
static inline void smp_guest_tlb_on(void)
{
	if (__builtin_expect(smp_cpus_up > 1, 0))
		smp_guest_tlb_mark();
}
static inline void smp_guest_tlb_off(void)
{
	if (__builtin_expect(smp_cpus_up > 1, 0))
		atomic_store_explicit(&this_cpu()->guest_tlb, false, memory_order_relaxed);
}
/* A quiescent point (outside core, no lock held, on the way back to the
 * guest or idle): if another CPU holds the others still, wait here, on
 * hv's own tables, until it lets go. */
void smp_quiescent(void);
/* Hold every other CPU still at a quiescent point (for an audit, or for
 * good at shutdown); returns when they all are.  smp_release lets them go. */
void smp_hold_others(void);
void smp_release_others(void);
/* The local APIC (x86/apic.c): this CPU's on, the timer's rate measured
 * on the first; the timer, one-shot at PC_TIMER_VECTOR, set to go off
 * (ns) from now (at least one of its counts, at most 60 s; 0 stops it);
 * end of interrupt; this CPU's APIC ID; an ICR command to (apic_id); a
 * busy wait. */
#define APIC_IPI_VECTOR      0xf0u
#define APIC_SPURIOUS_VECTOR 0xffu
void apic_init_cpu(void);
void apic_timer_in(uint64_t ns);
void apic_eoi(void);
uint32_t apic_id(void);
void apic_send(uint32_t apic_id, uint32_t icr);
/* This CPU's local APIC as pc/smp.c takes it. */
struct pc_lapic apic_this(void);
void apic_delay_us(uint64_t us);
/* The GSIs the machine's I/O APICs have, as Xen counts them (nr_irqs_gsi:
 * the sum of their pins, at least the highest GSI + 1, at least 16), from
 * the MADT (madt, len), NULL for none; irq_gsis holds it once smp_init has
 * run. */
unsigned ioapic_gsis(const uint8_t *madt, uint32_t len);
extern unsigned irq_gsis;
/* The machine's PCI functions (x86/pci.c): found once at boot, before any
 * guest; is (seg, bus, devfn) one of them? */
void pci_scan(void);
bool pci_present(uint16_t seg, uint8_t bus, uint8_t devfn);
/* Set up the CPU running this as CPU (id), entries from ring 3 landing on
 * (stack): what cpu_init does for CPU 0 (x86/cpu.c). */
void cpu_init_ap(unsigned id, uint64_t stack);
/* SMAP is on: ring 0 reaches user pages only between stac and clac. */
extern bool cpu_smap;
/* UMIP is on: sgdt, sidt, sldt, smsw and str fault in ring 3. */
extern bool cpu_umip;
/* Spin loops use pause (not under QEMU's TCG, where it costs a trip
 * through QEMU's CPU loop). */
extern bool cpu_spin_pause;
void cpu_init(void);
/* The GDT's first 14 pages become the (n) frames (a guest's GDT, rest
 * empty); n = 0 gives back hv's own empty pages.  After mem_init. */
void cpu_load_guest_gdt(const mfn_t frames[], unsigned n);
/* The CPU's LDT becomes (ents) descriptors (none: no LDT) in its window
 * whose 16 pages map (frames), INVALID_MFN leaving a page empty. */
void cpu_load_guest_ldt(const mfn_t frames[16], unsigned ents);
/* This CPU shows no guest's GDT or LDT pages any more (it idles). */
void cpu_unload_guest_tables(void);
/* Is (va) in this CPU's LDT window?  If so, its offset there in (*offset). */
bool cpu_ldt_offset(uint64_t va, unsigned *offset);
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
/* x86/copy.S: (n) 8-byte words (n < 32) from (src) to (dst), every access
 * in the exception table: 0, or 1 if one faulted (the words before it are
 * copied).  SMAP, if on, must be open. */
int copy_words_caught(void *dst, const void *src, size_t n);
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
/* The hypervisor's own L1 entry that maps (va), an address of hv.elf. */
/* The end of the direct map: every GiB RAM touches, and at least 4 GiB. */
uint64_t mem_direct_top(void);
uint64_t *mem_hv_pte(uint64_t va);
/* Load (root) as cr3 (flushing the TLB). */
static inline void mem_load_root(mfn_t root) { write_cr3(mfn_x(root) << PAGE_SHIFT); }
/* Load (root) of vCPU (v), running here, into cr3: a flush of all of v's
 * TLB (no global pages), which core's flush clock is told of, so that it
 * need not flush v again for what was dropped before (x86/mem.c). */
void mem_load_guest_root(struct vcpu *v, mfn_t root);
/* Where guest address (va) lands for vCPU (v), walking its current tables
 * as the MMU would for a ring-3 access: 0 and the machine address, or
 * -XEN_EFAULT if not present, not user, or (write) and not writable. */
int mem_translate(struct vcpu *v, uint64_t va, bool write, uint64_t *pa);

/* --- dom/builder.c ------------------------------------------------------ */

/* What to build: the boot module at machine address (module) of
 * (module_len) bytes holds the kernel's ELF image, and if (initrd_len) the
 * initrd at (initrd_offset), after the image. */
struct domain_request {
	uint64_t module, module_len, initrd_offset, initrd_len;
	uint64_t nr_pages;
	unsigned nr_vcpus;
	const char *cmdline;        /* the guest's */
};
/* Build the one guest domain (q); fill (r) with vCPU 0's entry registers.
 * NULL and a message if the image, the initrd or a size is bad. */
struct domain *build_domain(const struct domain_request *q, struct regs *r);

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
/* Run the audit with the other CPUs held still; if it fails, print why and
 * stop. */
void hv_audit_or_stop(void);
/* On the way out of hv after (vector): audit if hv_audit_when asks for it
 * now (main.c). */
void hv_audit_point(unsigned vector);
/* Report a refused request of vCPU (v) on the console, with core's reason
 * (the first 64 of each domain). */
void hv_report(struct vcpu *v, const char *what, uint64_t which, long rc);

/* --- main.c ------------------------------------------------------------ */

/* When hv audits besides at shutdown, from its command line, stopping at
 * the first audit that fails: "audit=each" after every hypercall and
 * exception of every vCPU (slow: for finding where a fuzzing run went
 * wrong); "audit=periodic" every AUDIT_PERIOD_MS while the domain runs, when
 * CPU 0's timer goes off (a quiescent point: the other CPUs held still wherever
 * they are outside hv's critical sections), for stress runs. */
enum hv_audit_when { AUDIT_AT_END, AUDIT_EACH, AUDIT_PERIODIC };
#define AUDIT_PERIOD_MS 100u
extern enum hv_audit_when hv_audit_when;

/* --- pv/traps.c --------------------------------------------------------- */

/* Entered from entry.S with the interrupted registers (an exception or an
 * interrupt, from the guest or from ourselves). */
void hv_exception(struct regs *r);
/* Stop hv if RFLAGS.DF or AC reached C code: entry.S clears them on every
 * entry (the syscall mask on a syscall), and everything after relies on it. */
_Noreturn void pv_entry_failed(const struct regs *r);
static inline void pv_entry_check(const struct regs *r)
{
	if (__builtin_expect(read_rflags() & (RFLAGS_DF | RFLAGS_AC), 0))
		pv_entry_failed(r);
}
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
/* The same to handler (address), masking events if (mask_events). */
int pv_bounce_to(struct vcpu *v, struct regs *r, uint64_t address, bool mask_events, bool has_ec, uint64_t ec);
/* The vcpu_info of (v): in its domain's shared info page, or where it
 * registered it. */
static inline struct vcpu_info *pv_vcpu_info(const struct vcpu *v) { return hv_vcpu(v)->vcpu_info; }
/* The instruction bytes at guest (rip), as many as can be read up to 15
 * (the rest of its page, then the next page's part) into (code): how many. */
unsigned pv_fetch_insn(struct vcpu *v, uint64_t rip, uint8_t code[15]);
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
 * return 0; else the exception the guest takes instead (13 for its #GP, 6
 * for #UD), and (r) is unchanged. */
unsigned pv_emulate_priv(struct vcpu *v, struct regs *r);

/* --- pv/mode.c: segment state, guest kernel and user mode --------------- */

/* Is (v) running its user space (not its kernel)? */
static inline bool pv_in_user_mode(const struct vcpu *v) { return hv_vcpu(v)->user_mode; }
/* The root of (v)'s mode. */
static inline mfn_t pv_root(const struct vcpu *v)
{
	return hv_vcpu(v)->user_mode ? v->user_root : v->kernel_root;
}
/* Switch the running vCPU (v) between kernel and user mode: GS bases, root. */
void pv_toggle_mode(struct vcpu *v);
/* The running vCPU (v)'s segment base SEGBASE_FS, _GS_KERNEL or _GS_USER. */
uint64_t pv_get_segbase(const struct vcpu *v, unsigned which);
/* Set it to (base), which the caller has checked is canonical. */
void pv_set_segbase(struct vcpu *v, unsigned which, uint64_t base);
/* A switch: the outgoing vCPU's selectors and bases from the CPU into its
 * hv_vcpu; the incoming one's into the CPU. */
void pv_seg_save(struct vcpu *v);
/* Load (v)'s selectors and bases into the CPU (a switch to it), each
 * selector the CPU refuses as null; the selectors asked for in (asked):
 * ds, es, fs, gs.  True if every one loaded as asked. */
bool pv_seg_load(struct vcpu *v, uint16_t asked[4]);
/* (v), switched to with frame (r), had selectors (asked) the CPU refused:
 * enter its failsafe callback as Xen's load_segments does. */
void pv_failsafe(struct vcpu *v, struct regs *r, const uint16_t asked[4]);
/* (mfn) becomes (v)'s kernel root, as NEW_BASEPTR: 0, core's error, or
 * -XEN_ERESTART to be asked again. */
long pv_new_baseptr(struct vcpu *v, mfn_t mfn);

/* --- pv/emul_priv.c, pv/cpuid.c, pv/debugreg.c, x86/fpu.c --------------- */

/* The guest's view of cr0: the CPU's, with the virtual TS. */
uint64_t pv_read_cr0(const struct vcpu *v);
/* The CPUID policy's answer for (leaf, sub) to vCPU (v) in (r). */
void cpuid_guest(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4]);
/* The CR4 bits the policy lets a guest set. */
uint64_t cpuid_guest_cr4_bits(void);
/* An #UD of (v) at (r)->rip: if it is Xen's forced-emulation cpuid, answer
 * it and step past it: true; else false and (r) unchanged. */
bool pv_emulate_cpuid(struct vcpu *v, struct regs *r);
/* Debug register (reg) of (v), as set_debugreg / get_debugreg: 0 or Xen's
 * error. */
long pv_set_debugreg(struct vcpu *v, unsigned reg, uint64_t val);
long pv_get_debugreg(const struct vcpu *v, unsigned reg, uint64_t *val);
/* A new vCPU's debug registers; the running one's into the CPU; a debug
 * trap of the guest: the CPU's dr6 into (v)'s. */
void pv_debugreg_init(struct vcpu *v);
void pv_debugreg_load(const struct vcpu *v);
void pv_debugreg_trap(struct vcpu *v);
/* FXSAVE, SSE and XSAVE on for CPU (c) (cpu_init); a new vCPU's state; a
 * switch's save of the outgoing vCPU's registers and load of the incoming
 * one's, with its virtual TS and XCR0. */
void fpu_init_cpu(struct pcpu *c);
void fpu_init_vcpu(struct hv_vcpu *h);
void fpu_save(struct hv_vcpu *h);
void fpu_load(struct hv_vcpu *h);
/* (h)'s x87 and SSE state becomes (image), an fxsave image
 * (VCPUOP_initialise with VGCF_I387_VALID); (h) is not running. */
void fpu_set_image(struct hv_vcpu *h, const uint8_t image[512]);
/* The XCR0 bits a guest may set (0: no XSAVE), and the bytes an XSAVE
 * image of components (xcr0) takes, standard or (compacted) (CPUID 0xd). */
uint64_t fpu_xcr0_max(void);
uint32_t fpu_xsave_size(uint64_t xcr0, bool compacted);
/* xsetbv(idx, val) by (v), the running vCPU, whose virtual CR4.OSXSAVE is
 * set: 0, its XCR0 now (val); -1 if Xen's handle_xsetbv refuses it (the
 * guest's #GP), nothing changed. */
int pv_xsetbv(struct vcpu *v, uint32_t idx, uint64_t val);
/* Set or clear (v)'s virtual CR0.TS. */
void pv_fpu_taskswitch(struct vcpu *v, bool set);
/* An #NM of (v): true if it is the guest's (its virtual TS was set, now
 * clear), false if hv's TS alone caused it (now clear). */
bool pv_fpu_trap(struct vcpu *v);
/* rdmsr that survives an MSR the CPU lacks: 0, or -1. */
int cpu_rdmsr_safe(uint32_t msr, uint64_t *val);
/* Step (r) past an emulated instruction of (len) bytes, and deliver the
 * single-step trap the CPU would raise after it (crashing the domain if it
 * has no handler for it). */
void pv_retire(struct vcpu *v, struct regs *r, unsigned len);

/* --- event/: time, event channels, the console -------------------------- */

/* System time: ns since boot from the TSC at (tsc_khz) (time.c). */
void time_init(uint64_t tsc_khz);
uint64_t time_now(void);
/* The TSC's rate time_init was given. */
uint64_t time_tsc_khz(void);
/* (v)'s pvclock record, rewritten now. */
void time_update_vcpu(struct vcpu *v);
/* A new domain's wall clock and pvclocks. */
void time_init_domain(struct domain *d);
/* Raise VIRQ_TIMER for every timer of (v) due at (now); under the
 * domain's lock. */
void time_tick(struct vcpu *v, uint64_t now);
/* The timer sub-ops of vcpu_op, by (v) on (t). */
long time_vcpu_op(struct vcpu *v, struct vcpu *t, unsigned cmd, uint64_t arg);
/* Make port (p) of (d) pending, and tell its vCPU if not masked. */
void evtchn_set_pending(struct domain *d, unsigned p);
/* Raise (virq) on (v), if it is bound. */
void evtchn_send_virq(struct vcpu *v, unsigned virq);
/* A port of (d) bound to hv's backend (b): its number, 0 if none free. */
unsigned evtchn_bind_backend(struct domain *d, enum evtchn_backend b);
/* The console backend: the guest sent on its port (drain the ring); and
 * input from COM1 into the ring of (d). */
void console_kick(struct domain *d);
void console_poll(struct domain *d);
/* The xenstore backend (event/xenstore.c): the store made, at boot; a
 * domain's part of it written and its ring (ring) served, false if the
 * store had no room; the guest sent on its port (serve the ring); and, when
 * CPU 0's timer goes off, what the store has queued for it sent. */
void xenstore_init(void);
bool xenstore_init_domain(struct domain *d, mfn_t ring);
void xenstore_kick(struct domain *d);
void xenstore_poll(struct domain *d);

/* --- pv/callback.c ---------------------------------------------------- */

/* On the way back to (v)'s guest: deliver a pending, unmasked upcall to
 * its event callback. */
void pv_deliver_events(struct vcpu *v, struct regs *r);

/* --- the rest of the hypercall table ------------------------------------ */

/* The hypercalls hv serves, in core's table signature (core/hypercall.h):
 * they reach the caller's registers through hv_vcpu(v)->frame. */
long do_set_trap_table(struct vcpu *v, const uint64_t a[6]);
long do_iret(struct vcpu *v, const uint64_t a[6]);
long do_console_io(struct vcpu *v, const uint64_t a[6]);
long do_sched_op(struct vcpu *v, const uint64_t a[6]);
long do_vcpu_op(struct vcpu *v, const uint64_t a[6]);
long do_set_segment_base(struct vcpu *v, const uint64_t a[6]);
long do_stack_switch(struct vcpu *v, const uint64_t a[6]);
long do_set_gdt(struct vcpu *v, const uint64_t a[6]);
long do_update_descriptor(struct vcpu *v, const uint64_t a[6]);
/* Would iretq load (cs) and (ss) without a fault: hv's flat ring-3 ones,
 * or from the running vCPU's GDT a present DPL-3 code segment and
 * writable data segment, RPL 3? */
bool cpu_selectors_ok(uint64_t cs, uint64_t ss);
/* (v)'s GDT and LDT into the CPU's (a switch, or a change to the running
 * vCPU's). */
void pv_desc_load(const struct vcpu *v);
/* A page fault at (cr2) in the LDT window, on (v): map the page of v's LDT
 * the CPU wanted, as Xen's pv_map_ldt_shadow_page.  0: not in the window;
 * 1: mapped, run the access again; -1: the guest's LDT has no descriptor
 * page there (in (*guest_va) the address it wanted). */
int pv_ldt_fault(struct vcpu *v, uint64_t cr2, uint64_t *guest_va);
long do_xen_version(struct vcpu *v, const uint64_t a[6]);
long do_grant_table_op(struct vcpu *v, const uint64_t a[6]);
long do_xenpmu_op(struct vcpu *v, const uint64_t a[6]);
long do_memory_op(struct vcpu *v, const uint64_t a[6]);

/* --- dom/memory.c, dom/exchange.c ---------------------------------------- */

#define DOMU_MAX_ORDER 9u           /* Xen's CONFIG_DOMU_MAX_ORDER */
/* A free, aligned run of 2^(order) frames below frame (top), given to
 * (v)'s domain with its m2p entries invalid, which may take the domain
 * (credit) frames past its maximum reservation: its first frame, or
 * INVALID_MFN.  The domain's lock is held. */
mfn_t mem_alloc_run(struct vcpu *v, unsigned order, uint64_t top, uint64_t credit);
/* The frame limit the address bits in (mem_flags) ask for (bits 0-7: the
 * highest address bit + 1; 0: none), at most (top). */
uint64_t mem_frame_limit(uint32_t mem_flags, uint64_t top);
/* XENMEM_exchange with the struct at guest (arg) (dom/exchange.c). */
long mem_exchange(struct vcpu *v, uint64_t arg);
long do_set_timer_op(struct vcpu *v, const uint64_t a[6]);
long do_event_channel_op(struct vcpu *v, const uint64_t a[6]);
long do_callback_op(struct vcpu *v, const uint64_t a[6]);
long do_set_callbacks(struct vcpu *v, const uint64_t a[6]);
long do_vm_assist(struct vcpu *v, const uint64_t a[6]);
long do_physdev_op(struct vcpu *v, const uint64_t a[6]);
long do_fpu_taskswitch(struct vcpu *v, const uint64_t a[6]);
long do_set_debugreg(struct vcpu *v, const uint64_t a[6]);
long do_get_debugreg(struct vcpu *v, const uint64_t a[6]);

/* --- sched/: vCPUs on CPUs (sched.c), sched_op and runstates (sched_op.c) */

/* (v) is the first to run, on this CPU; vCPUs may now be taken. */
void sched_start(struct vcpu *v);
/* A CPU other than the first, once up: idle until a vCPU can be taken,
 * then run it. */
_Noreturn void sched_idle_start(void);
/* Ask for a choice of vCPU on the way back to the guest. */
void sched_yield(void);
/* An interrupt at (vector): the timer (timers, console input, a choice
 * asked for), or an IPI (x86/smp.c). */
void sched_interrupt(unsigned vector);
/* On the way back to the guest (hv_exit), if a choice was asked for or
 * the running vCPU cannot run (sched_runnable): (r) becomes the registers
 * of the vCPU this CPU runs next, and this_cpu()->cur that vCPU; if none
 * can run, the CPU idles until one can. */
void sched_run(struct regs *r);
static inline bool sched_runnable(const struct vcpu *v)
{
	const struct hv_vcpu *h = hv_vcpu(v);
	return h->up & !h->blocked;
}
/* (v)'s timers changed: its CPU sets its timer for them (told by IPI if
 * it is another).  With (sched_no_timer), "timer=off", the timer never
 * switches vCPUs. */
void sched_timer_changed(struct vcpu *v);
extern bool sched_no_timer;
/* Set CPU (c)'s timer, c being this CPU, for its next event, unless it is
 * set for no later and still ahead (sched/timer.c). */
void sched_timer_update(struct pcpu *c);
/* An event for (v): if it blocked, it may run again; if it runs on another
 * CPU, that CPU is told. */
void sched_wake(struct vcpu *v);
/* (v), running here, blocks (a poll if (poll), with timeout (deadline),
 * 0: none) unless (ready)(v, arg) says its event is there, looked at after
 * it is marked blocked: true if it blocked. */
bool sched_block(struct vcpu *v, bool poll, uint64_t deadline, bool (*ready)(struct vcpu *, const void *),
		 const void *arg);
/* (v), initialised, comes up: on CPU (its id mod the CPUs up) or one idle. */
void sched_up(struct vcpu *v);
/* (v) goes down; its CPU lets go of it on its way back. */
void sched_down(struct vcpu *v);
/* (v)'s runstate becomes (state) now, and its guest copy follows. */
void sched_runstate(struct vcpu *v, int state);
/* Write (v)'s runstate to its guest copy, or mark it pending. */
void sched_runstate_copy(struct vcpu *v);

/* --- small things ------------------------------------------------------- */

/* General register (n) of (r) in the hardware's numbering (ModRM, REX). */
static inline uint64_t *regs_gpr(struct regs *r, unsigned n)
{
	uint64_t *const g[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
				  &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
	return g[n & 15];
}

static inline struct vcpu *this_vcpu(void) { return this_cpu()->cur; }
static inline void wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
static inline uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static inline bool canonical(uint64_t va) { return (uint64_t)(((int64_t)va << 16) >> 16) == va; }
/* Xen's access_ok for a guest handle: where (va) starts, below the
 * non-canonical hole or above hv's slots (its length is not looked at). */
static inline bool guest_addr_ok(uint64_t va) { return va < (1ull << 47) || va >= HV_VIRT_END; }

#endif

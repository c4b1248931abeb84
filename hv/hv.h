/* SPDX-License-Identifier: MIT */
/*
 * hv/: core/ as a ring-0 x86-64 kernel.  The pieces and their one job each:
 *
 *   entry.S    the syscall entry, exception stubs, the way back to ring 3
 *   cpu.c      GDT (Xen's selectors), IDT, TSS, syscall MSRs, per-CPU data
 *   mem.c      the memory map, the hypervisor's tables (text, direct map,
 *              m2p), the frame table, core's env_* over them
 *   builder.c  the guest domain from an ELF image, as Xen's builder lays it out
 *   hcall.c    syscall -> hypercall: core's, and console, sched, traps, iret
 *   traps.c    guest exceptions: emulated pagetable stores, bounces to the
 *              guest's handlers; our own exceptions: registers, backtrace, stop
 *   sched.c    several vCPUs on one CPU: the timer, switches, vcpu_op
 * and from pc/: the PVH entry, the serial console, the TSC's rate, the
 * exit code QEMU reports.
 *
 * Layout of the hypervisor's L4 slots (present in every guest L4, from
 * m->l4_template):
 *   256  0xffff800000000000  the m2p, read-only to guests (Xen's RO_MPT)
 *   261  0xffff82d080000000  hv.elf: text, data, stacks (HV_TEXT_VIRT + paddr)
 *   262  0xffff830000000000  every machine frame (the direct map), supervisor
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

/* Xen's flat selectors for 64-bit PV guests, and ours. */
#define HV_CS        0xe008u
#define HV_DS        0xe010u
#define GUEST_CS32   0xe023u
#define GUEST_SS     FLAT_KERNEL_SS64
#define GUEST_CS     FLAT_KERNEL_CS64
#define HV_TSS_SEL   0xe040u

#define RFLAGS_IF    (1ull << 9)
#define RFLAGS_TF    (1ull << 8)
#define RFLAGS_NT    (1ull << 14)
#define RFLAGS_RF    (1ull << 16)
#define RFLAGS_VM    (1ull << 17)
#define RFLAGS_IOPL  (3ull << 12)

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
 * two fields' offsets. */
struct pcpu {
	uint64_t stack_top;         /* +0: ring-0 stack for entries from ring 3 */
	uint64_t guest_rsp;         /* +8: scratch for the syscall entry */
	struct vcpu *cur;           /* the vCPU running here */
	unsigned id;
};

/* The hypervisor's side of a vCPU (v->host). */
struct trap_entry {
	uint64_t address;           /* 0: none registered */
	uint8_t flags;
};
struct hv_vcpu {
	struct trap_entry traps[256];
	uint64_t shared_info;       /* machine address of the domain's shared_info */
	struct regs regs;           /* while another vCPU runs (sched.c) */
	bool initialised, up;
};

/* The exit codes (pc_exit): */
#define EXIT_OK     0u   /* QEMU exits 1 */
#define EXIT_GUEST  1u   /* the guest failed or crashed: QEMU exits 3 */
#define EXIT_HV     2u   /* the hypervisor stopped itself: QEMU exits 5 */

/* --- cpu.c ------------------------------------------------------------ */

extern struct pcpu pcpu0;
/* SMAP is on: ring 0 reaches user pages only between stac and clac. */
extern bool cpu_smap;
void cpu_init(void);
/* Leave ring 0 into the guest with (r); does not return. */
_Noreturn void cpu_enter_guest(struct regs *r);

/* --- mem.c ------------------------------------------------------------ */

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

/* --- builder.c -------------------------------------------------------- */

/* Build the one guest domain from the ELF image at machine address (image)
 * of (len) bytes with (nr_pages) pages, (nr_vcpus) vCPUs and command line
 * (cmdline); fill (r) with vCPU 0's entry registers.  NULL and a message if
 * the image is bad. */
struct domain *build_domain(uint64_t image, uint64_t len, uint64_t nr_pages, unsigned nr_vcpus,
			    const char *cmdline, struct regs *r);
/* Validate (and if (pin), pin) (l4) and make it vCPU (v)'s root, in slices
 * as the guest's PIN_L4_TABLE and NEW_BASEPTR would: 0 or core's error. */
long vcpu_take_root(struct vcpu *v, mfn_t l4, bool pin);

/* --- sched.c ---------------------------------------------------------- */

/* (v) is the first to run. */
void sched_start(struct vcpu *v);
/* Ask for a switch on the way back to the guest: the running vCPU yields,
 * or the timer (sched_interrupt, which also acknowledges it) says so. */
void sched_yield(void);
void sched_interrupt(void);
/* On the way back to the guest, after the result is in (r): if a switch
 * was asked for and another vCPU is up, (r) becomes that vCPU's registers
 * and pcpu0.cur that vCPU. */
void sched_run(struct regs *r);
/* vcpu_op(cmd, vcpuid, arg). */
long hc_vcpu_op(struct vcpu *v, struct regs *r);

/* --- hcall.c / traps.c ------------------------------------------------ */

/* Entered from entry.S with the guest's registers; returning goes back to
 * the guest (the vCPU's root loaded). */
void hv_syscall(struct regs *r);
void hv_exception(struct regs *r);
/* Shut the machine down for the domain: audit, report, exit. */
_Noreturn void hv_shutdown(struct domain *d, unsigned reason);
/* Crash the running domain with (why) and stop. */
_Noreturn void hv_crash_guest(struct vcpu *v, const char *why);
/* Deliver exception (vec) with (error) (if the vector has one) to the
 * guest's handler: 0, or -1 if it has none or its stack is unusable. */
int bounce_exception(struct vcpu *v, struct regs *r, unsigned vec, uint64_t error);
/* Report a refused request of vCPU (v) on the console, with core's reason
 * (the first 64 of them). */
void hv_report(struct vcpu *v, const char *what, uint64_t which, long rc);
/* Print the frame-pointer chain from (rbp), within hv.elf. */
void hv_backtrace(uint64_t rbp);
/* Load the vCPU's root if it changed; called on every way back to ring 3. */
void return_to_guest(struct vcpu *v);

/* --- small things ----------------------------------------------------- */

static inline void wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
static inline uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static inline bool canonical(uint64_t va) { return (uint64_t)(((int64_t)va << 16) >> 16) == va; }

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Exceptions, and the way back to the guest.
 *
 * From the guest (ring 3): a write fault that is a store into one of the
 * domain's live pagetables is emulated (ptwr.c).  A #GP raised by `int $n`
 * through one of our DPL-0 gates is the guest's software interrupt: if its
 * trap table lets the guest kernel raise vector n (DPL >= 1), n is
 * delivered after the int, as Xen does; int3 and into have DPL-3 gates of
 * their own.  Everything else goes to the handler the guest registered, on
 * the guest's stack, in Xen's 64-bit frame (pv_bounce), with the faulting
 * address of a page fault in vcpu_info.arch.cr2 and the error code's user
 * bit clear (the guest kernel was running).  A guest with no handler for
 * what it raised, or whose stack cannot take the frame, is crashed.
 *
 * Every way back to ring 3 ends in hv_exit, which switches vCPUs if asked,
 * loads the running vCPU's root, and checks the frame it is about to
 * iretq or sysretq to: RFLAGS as Xen leaves them (IF on, IOPL 0, no
 * virtual-8086), a selector of ours, a canonical rip.  A frame that is not
 * safe becomes the fault the CPU would give the guest there (Xen's iretq
 * fixup does the same); no guest value reaches the hardware unchecked.
 *
 * From ourselves (ring 0): a fault the exception table expects (a guest
 * copy) resumes at its fixup; anything else prints the registers and a
 * backtrace (frame pointers) and stops with EXIT_HV.  No guest input
 * reaches that.
 */
#include "../../core/fmt.h"
#include "../hv.h"

#define PF_PRESENT (1u << 0)
#define PF_WRITE   (1u << 1)
#define PF_USER    (1u << 2)
#define GP_EXT     (1u << 0)
#define GP_IDT     (1u << 1)

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound", "invalid opcode",
	"device not available", "double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection", "page fault", "reserved",
	"x87 error", "alignment check", "machine check", "SIMD error", "virtualization",
	"control protection",
};

static bool has_error_code(unsigned vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30;
}

int pv_bounce_to(struct vcpu *v, struct regs *r, uint64_t address, bool mask_events, bool has_ec, uint64_t ec)
{
	struct vcpu_info *vi = pv_vcpu_info(v);
	uint64_t mask = vi->evtchn_upcall_mask, frame[8], n = 0, rsp = r->rsp;
	bool from_user = pv_in_user_mode(v);
	if (!address)
		return -1;
	if (from_user) {
		pv_toggle_mode(v);      /* the kernel's stack, root and GS base */
		rsp = hv_vcpu(v)->kernel_sp;
	}
	frame[n++] = r->rcx;
	frame[n++] = r->r11;
	if (has_ec)
		frame[n++] = (uint32_t)ec;
	frame[n++] = r->rip;
	frame[n++] = (from_user ? r->cs : r->cs & 0xfffc) | mask << 32;    /* RPL 0: the guest kernel */
	frame[n++] = (r->rflags & ~(RFLAGS_IF | RFLAGS_IOPL)) | (mask ? 0 : RFLAGS_IF);
	frame[n++] = r->rsp;
	frame[n++] = r->ss;
	uint64_t sp = (rsp & ~15ull) - n * 8;
	if (env_copy_to_guest(v, sp, frame, n * 8))
		return -1;
	if (mask_events)
		vi->evtchn_upcall_mask = 1;
	r->rsp = sp;
	r->rip = address;
	r->cs = GUEST_CS;
	r->ss = GUEST_SS;
	r->rflags &= ~(RFLAGS_AC | RFLAGS_VM | RFLAGS_RF | RFLAGS_NT | RFLAGS_TF);
	r->vector = VEC_SYSCALL;        /* rcx and r11 are in the frame: sysretq may return */
	return 0;
}

void pv_failsafe(struct vcpu *v, struct regs *r, const uint16_t asked[4])
{
	struct hv_vcpu *h = hv_vcpu(v);
	struct vcpu_info *vi = pv_vcpu_info(v);
	uint64_t mask = vi->evtchn_upcall_mask;
	uint64_t sp = (h->user_mode ? h->kernel_sp : r->rsp) & ~15ull;
	uint64_t frame[11] = { r->rcx, r->r11, asked[0], asked[1], asked[2], asked[3], r->rip,
			       r->cs | mask << 32,
			       (r->rflags & ~(RFLAGS_IF | RFLAGS_IOPL)) | (mask ? 0 : RFLAGS_IF),
			       r->rsp, r->ss };
	if (env_copy_to_guest(v, sp - sizeof(frame), frame, sizeof(frame))) {
		hv_crash_guest(v, "a failsafe callback frame its stack cannot take");
		return;
	}
	if (h->user_mode)
		pv_toggle_mode(v);
	vi->evtchn_upcall_mask = 1;
	r->vector = VEC_SYSCALL;        /* rcx and r11 are in the frame: sysretq may return */
	r->rflags &= ~(RFLAGS_AC | RFLAGS_VM | RFLAGS_RF | RFLAGS_NT | RFLAGS_IOPL | RFLAGS_TF);
	r->ss = GUEST_SS;
	r->rsp = sp - sizeof(frame);
	r->cs = GUEST_CS;
	r->rip = h->failsafe_callback;
}

int pv_bounce(struct vcpu *v, struct regs *r, unsigned vec, bool has_ec, uint64_t ec)
{
	const struct trap_info *t = &hv_vcpu(v)->traps[vec & 255];
	return pv_bounce_to(v, r, t->address, TI_IF(t->flags), has_ec, ec);
}

/* Deliver (vec) or crash the domain trying. */
static void deliver(struct vcpu *v, struct regs *r, unsigned vec, bool has_ec, uint64_t ec)
{
	if (pv_bounce(v, r, vec, has_ec, ec)) {
		bool handler = hv_vcpu(v)->traps[vec & 255].address != 0;
		printk("hv: d%uv%u: %s (vector %u, error %lx) at %lx, rsp %lx\n", v->d->domid, v->id,
		       vec < 32 && names[vec] ? names[vec] : "interrupt", vec, ec, r->rip, r->rsp);
		hv_crash_guest(v, handler ? "an exception its stack cannot take" :
			       "an exception it has no handler for");
	}
}

static void page_fault(struct vcpu *v, struct regs *r)
{
	uint64_t cr2 = read_cr2();
	bool user = pv_in_user_mode(v);
	int ldt = pv_ldt_fault(v, cr2, &cr2);
	if (ldt > 0)
		return;
	if (ldt < 0 && !va_canonical(cr2)) {
		unsigned offset = (unsigned)(cr2 - v->ldt_base);
		deliver(v, r, 13, true, (offset & ~3u) | 4);    /* #GP[the LDT selector] */
		return;
	}
	if (!user && (r->error & (PF_PRESENT | PF_WRITE | PF_USER)) == (PF_PRESENT | PF_WRITE | PF_USER) &&
	    pv_ptwr_fault(v, r, cr2))
		return;
	pv_vcpu_info(v)->cr2 = cr2;
	deliver(v, r, 14, true, user ? r->error : r->error & ~(uint64_t)PF_USER);
}

/* The vector of an `int $n` our IDT refused: n from the instruction (cd
 * ib) where it can be read, else from the error code.  QEMU's TCG reports
 * n * 16 in the error code where a CPU reports n * 8; the bytes are the
 * guest's to change, but the DPL check applies to whatever they say. */
static unsigned softint_vector(struct vcpu *v, const struct regs *r)
{
	uint8_t insn[2];
	if (!env_copy_from_guest(v, insn, r->rip, sizeof(insn)) && insn[0] == 0xcd)
		return insn[1];
	return (r->error >> 3) & 255;
}

static void gp_fault(struct vcpu *v, struct regs *r)
{
	if ((r->error & (GP_EXT | GP_IDT)) == GP_IDT) {
		/* int $n through one of our DPL-0 gates */
		unsigned vec = softint_vector(v, r);
		if (TI_DPL(hv_vcpu(v)->traps[vec].flags) >= 1) {
			r->rip += 2;
			deliver(v, r, vec, false, 0);
			return;
		}
	}
	unsigned vec = pv_emulate_priv(v, r);
	if (vec)
		deliver(v, r, vec, vec == 13, vec == 13 ? r->error : 0);
}

static _Noreturn void fatal(const struct regs *r, const char *what)
{
	unsigned vec = (unsigned)r->vector;
	printk("hv: %s: %s (vector %u, error %lx) at rip %lx, cr2 %lx\n", what,
	       vec < 32 && names[vec] ? names[vec] : vec == VEC_SYSCALL ? "syscall" : "interrupt",
	       vec, r->error, r->rip, read_cr2());
	printk("  rax %lx rbx %lx rcx %lx rdx %lx\n  rsi %lx rdi %lx rbp %lx rsp %lx\n",
	       r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp);
	printk("  r8 %lx r9 %lx r10 %lx r11 %lx\n  r12 %lx r13 %lx r14 %lx r15 %lx\n",
	       r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15);
	printk("  cs %lx ss %lx rflags %lx cr3 %lx\n", r->cs, r->ss, r->rflags, read_cr3());
	hv_backtrace(r->rbp);
	pc_exit(EXIT_HV);
}

void pv_retire(struct vcpu *v, struct regs *r, unsigned len)
{
	r->rip += len;
	if ((r->rflags & RFLAGS_TF) && pv_bounce(v, r, 1, false, 0))
		hv_crash_guest(v, "a single step after an emulated instruction, with no debug handler");
}

unsigned pv_fetch_insn(struct vcpu *v, uint64_t rip, uint8_t code[15])
{
	unsigned first = (unsigned)(PAGE_SIZE - (rip & (PAGE_SIZE - 1)));
	first = first < 15 ? first : 15;
	if (env_copy_from_guest(v, code, rip, first))
		return 0;
	if (first == 15 || env_copy_from_guest(v, code + first, rip + first, 15 - first))
		return first;
	return 15;
}

void hv_backtrace(uint64_t rbp)
{
	extern uint8_t hv_text_start[], hv_end[];
	printk("  backtrace:");
	for (unsigned i = 0; i < 16 && rbp >= (uintptr_t)hv_text_start && rbp < (uintptr_t)hv_end - 16 &&
			     rbp % 8 == 0; i++) {
		const uint64_t *f = (const uint64_t *)(uintptr_t)rbp;
		printk(" %lx", f[1]);
		rbp = f[0];
	}
	printk("\n");
}

/* A fault of ours that the exception table expects (a guest copy: a page
 * fault, or a general protection fault should an address be bad in a way
 * the range check missed): resume at its fixup. */
static bool fixup(struct regs *r)
{
	struct extable_entry {
		uint64_t insn, fixup;
	};
	extern const struct extable_entry __start_extable[], __stop_extable[];
	bool may = r->vector == 14 || r->vector == 13 || r->vector == 11;   /* 11: a selector load */
	for (const struct extable_entry *e = __start_extable; may && e < __stop_extable; e++) {
		if (e->insn == r->rip) {
			r->rip = e->fixup;
			return true;
		}
	}
	return false;
}

void pv_entry_failed(const struct regs *r)
{
	fatal(r, "entry with DF or AC set (the entry path failed to normalise RFLAGS)");
}

void hv_exception(struct regs *r)
{
	pv_entry_check(r);
	if (!(r->cs & 3) && !(r->rflags & RFLAGS_VM)) {
		/* A debug trap in ring 0 is a guest's single step deferred by a
		 * MOV SS into the first instruction of one of our entries (with
		 * the guest's gs, and for syscall its stack): nothing of ours
		 * single-steps or sets a breakpoint, so it is dropped, as Xen
		 * drops it (XSA-260).  It arrived on a stack of its own. */
		if (r->vector == 1) {
			write_dr6(0);
			return;
		}
		if (r->vector >= 32) {  /* a tick or an IPI while hv idles (sched.c) */
			sched_interrupt((unsigned)r->vector);
			return;
		}
		uint64_t va;
		if (r->vector == 14 && pv_ldt_fault(this_vcpu(), read_cr2(), &va) > 0)
			return;         /* a selector of the guest's LDT, loaded by us */
		if (!fixup(r))
			fatal(r, "exception in the hypervisor");
		return;
	}
	smp_guest_tlb_off();
	struct vcpu *v = this_vcpu();
	unsigned vec = (unsigned)r->vector;
	hv_vcpu(v)->frame = r;
	if (vec == 1)
		pv_debugreg_trap(v);
	if (vec >= 32)                  /* interrupts reach us from ring 3, or while idle */
		sched_interrupt(vec);
	else if (vec == 14)
		page_fault(v, r);
	else if (vec == 13)
		gp_fault(v, r);
	else if (vec == 6 && pv_emulate_cpuid(v, r))
		return;
	else if (vec == 7 && !pv_fpu_trap(v))
		return;
	else
		deliver(v, r, vec, has_error_code(vec), r->error);
}

/* The running vCPU's root in cr3. */
static void load_root(struct vcpu *v)
{
	mfn_t root = pv_root(v);
	if (read_cr3() >> PAGE_SHIFT != mfn_x(root)) {     /* never INVALID_MFN */
		if (mfn_eq(root, INVALID_MFN))
			hv_crash_guest(v, "no pagetable loaded");
		mem_load_guest_root(v, root);
	}
}

/* The #GP error code iretq would raise for the frame's selectors, or -1 if
 * they are ours to return to: our 64-bit or 32-bit ring-3 code segment and
 * ring-3 stack segment, or 32/64-bit ones of the guest's GDT with DPL 3. */
static int64_t check_selectors(const struct regs *r)
{
	if (cpu_selectors_ok(r->cs, r->ss))
		return -1;
	return (int64_t)((cpu_selectors_ok(r->cs, GUEST_SS) ? r->ss : r->cs) & 0xfffc);
}

void hv_exit(struct regs *r)
{
	if (hv_audit_when)
		hv_audit_point(r->vector);
	/* The common case in few branches (under TCG each ends a block). */
	struct pcpu *c = this_cpu();
	c->spin_since = 0;              /* the watchdog (x86/smp.c): out of hv, no spin */
	if (c->resched | !sched_runnable(c->cur))
		sched_run(r);
	struct vcpu *v = c->cur;
	load_root(v);
	const struct vcpu_info *vi = pv_vcpu_info(v);
	if (vi->evtchn_upcall_pending & !vi->evtchn_upcall_mask)
		pv_deliver_events(v, r);
	for (unsigned bounced = 0;; bounced++) {
		r->rflags = (r->rflags & ~(RFLAGS_IOPL | RFLAGS_VM)) | RFLAGS_IF | 2;
		/* A frame still a syscall's goes back by sysretq, to 64-bit code
		 * with our flat selectors whatever it names, as Xen's
		 * restore_all_guest does (the 32-bit one by iretq). */
		if ((r->vector == VEC_SYSCALL) & (r->cs != GUEST_CS32)) {
			r->cs = GUEST_CS;
			r->ss = GUEST_SS;
		}
		int64_t sel = check_selectors(r);
		if ((sel < 0) & canonical(r->rip)) {
			if ((r->vector == VEC_SYSCALL) & (r->cs != GUEST_CS))
				r->vector = 0;
			smp_guest_tlb_on();     /* flushes asked while in hv, done */
			return;
		}
		if (bounced)
			hv_crash_guest(v, "a frame hv cannot return to, even after a fault");
		deliver(v, r, 13, true, sel < 0 ? 0 : (uint64_t)sel);
	}
}

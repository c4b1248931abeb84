/* SPDX-License-Identifier: MIT */
/*
 * vcpu_op(cmd, vcpuid, arg): bringing a domain's other vCPUs up and down,
 * with Xen's rules (common/domain.c do_vcpu_op, arch_set_info_guest).
 *
 *   VCPUOP_initialise  once per vCPU (-EEXIST after): the context is
 *                      checked whole before anything changes (every
 *                      address canonical, LDT and GDT sizes, a guest
 *                      starting outside its kernel needs a user root);
 *                      then its roots are taken as new_baseptr takes them,
 *                      in slices that continue the hypercall, and its
 *                      registers and virtual IDT set.  It stays down.
 *   VCPUOP_up          an initialised vCPU becomes runnable
 *   VCPUOP_down        any vCPU of the domain; the last one up going down
 *                      shuts the domain down (poweroff), as on Xen
 *   VCPUOP_is_up
 *   VCPUOP_register_vcpu_info  once, on itself or a vCPU that is down: the
 *                      vcpu_info moves into a frame of the guest's, which
 *                      holds a writable type reference while it is there
 *                      (offset beyond the page or misaligned -ENXIO), and
 *                      every event is made pending on it
 *   VCPUOP_register_runstate_memory_area, VCPUOP_get_runstate_info
 *   the timer sub-ops (event/time.c)
 *
 * The context gives the vCPU its GDT (taken first, as Xen takes it), its
 * roots, registers, data selectors, segment bases, kernel stack and
 * callbacks, its LDT, and its mode (VGCF_in_kernel); its FPU state starts
 * as after fninit, or from the context's fxsave image with
 * VGCF_I387_VALID (x86/fpu.c), as Xen's vcpu_setup_fpu.
 */
#include "../../core/desc.h"
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "../../core/preempt.h"
#include "../hv.h"

/* What Xen refuses of a 64-bit context for a vCPU never initialised. */
static long check_context(struct vcpu *v, const struct vcpu_guest_context *c)
{
	const struct cpu_user_regs *u = &c->user_regs;
	const uint64_t addrs[] = { u->rip, u->rsp, c->kernel_sp, c->fs_base, c->gs_base_kernel,
				   c->gs_base_user, c->event_callback_eip, c->syscall_callback_eip,
				   c->failsafe_callback_eip, c->ldt_ents ? c->ldt_base : 0 };
	for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		if (!canonical(addrs[i]))
			return refuse(v, XEN_EINVAL, "an address in the context is not canonical");
	for (unsigned i = 0; i < 256; i++)
		if (!canonical(c->trap_ctxt[i].address))
			return refuse(v, XEN_EINVAL, "a trap handler in the context is not canonical");
	if (!guest_addr_ok(c->ldt_base) || c->ldt_base % PAGE_SIZE || c->ldt_ents > 8192 ||
	    desc_frames(c->gdt_ents) > 16)
		return refuse(v, XEN_EINVAL, "the context's LDT or GDT is out of bounds");
	if (!(c->flags & VGCF_in_kernel) && !c->ctrlreg[1])
		return refuse(v, XEN_EINVAL, "a context outside the kernel needs a user root");
	return 0;
}

/* Take the context's roots for (t): the kernel root, then the user root if
 * it names one (undoing the kernel root if that fails). */
static long take_roots(struct vcpu *v, struct vcpu *t, const struct vcpu_guest_context *c)
{
	mfn_t k = _mfn(c->ctrlreg[3] >> PAGE_SHIFT), u = _mfn(c->ctrlreg[1] >> PAGE_SHIFT);
	long rc = mfn_eq(k, t->kernel_root) ? 0 : hc_set_root(v, &t->kernel_root, k);
	if (rc || !c->ctrlreg[1] || mfn_eq(u, t->user_root))
		return rc;
	rc = hc_set_root(v, &t->user_root, u);
	if (rc && rc != -XEN_ERESTART)
		hc_set_root(v, &t->kernel_root, INVALID_MFN);
	return rc;
}

static long initialise(struct vcpu *v, struct vcpu *t, const uint64_t a[6])
{
	struct vcpu_guest_context c;
	struct hv_vcpu *h = hv_vcpu(t);
	if (h->initialised)
		return -XEN_EEXIST;
	if (env_copy_from_guest(v, &c, a[2], sizeof(c)))
		return -XEN_EFAULT;
	long rc = check_context(v, &c);
	mfn_t gdt[GDT_MAX_FRAMES];
	for (unsigned i = 0; i < GDT_MAX_FRAMES; i++)
		gdt[i] = _mfn(c.gdt_frames[i]);
	if (!rc)        /* the GDT first, as Xen's arch_set_info_guest */
		rc = desc_set_gdt(v, t, gdt, (unsigned)(c.gdt_ents < GDT_MAX_ENTRIES + 1 ? c.gdt_ents : ~0u));
	if (!rc)
		rc = take_roots(v, t, &c);
	if (rc == -XEN_ERESTART)
		return preempt_continue(v, HYPERVISOR_vcpu_op, a[0], a[1], a[2], 0);
	if (rc) {
		desc_destroy_gdt(v, t);
		return rc;
	}
	const struct cpu_user_regs *u = &c.user_regs;
	for (unsigned i = 0; i < 256; i++) {
		h->traps[i] = c.trap_ctxt[i];
		h->traps[i].cs |= 3;
	}
	h->regs = (struct regs){ .r15 = u->r15, .r14 = u->r14, .r13 = u->r13, .r12 = u->r12,
				 .rbp = u->rbp, .rbx = u->rbx, .r11 = u->r11, .r10 = u->r10,
				 .r9 = u->r9, .r8 = u->r8, .rax = u->rax, .rcx = u->rcx,
				 .rdx = u->rdx, .rsi = u->rsi, .rdi = u->rdi, .rip = u->rip,
				 .cs = u->cs | 3u, .ss = u->ss | 3u, .rsp = u->rsp,
				 .rflags = (u->rflags & ~RFLAGS_IOPL) | RFLAGS_IF };
	h->seg = (struct seg_state){ .fs_base = c.fs_base, .gs_base_kernel = c.gs_base_kernel,
				     .gs_base_user = c.gs_base_user, .ds = (uint16_t)u->ds,
				     .es = (uint16_t)u->es, .fs = (uint16_t)u->fs, .gs = (uint16_t)u->gs };
	h->user_mode = !(c.flags & VGCF_in_kernel);
	h->iopl = u->rflags & RFLAGS_IOPL;      /* the virtual IOPL, as Xen takes it */
	h->kernel_ss = (uint16_t)c.kernel_ss | 3;
	h->kernel_sp = c.kernel_sp;
	h->event_callback = c.event_callback_eip;
	h->failsafe_callback = c.failsafe_callback_eip;
	h->syscall_callback = c.syscall_callback_eip;
	t->ldt_base = c.ldt_ents ? c.ldt_base : 0;      /* never initialised: nothing mapped */
	t->ldt_ents = (unsigned)c.ldt_ents;
	if (c.flags & VGCF_I387_VALID)
		fpu_set_image(h, c.fpu_ctxt);
	h->initialised = true;
	return 0;
}

/* VCPUOP_down: (t) stops; if no other vCPU is up, the domain powers off. */
static long down(struct vcpu *v, struct vcpu *t)
{
	struct domain *d = v->d;
	bool others = false;
	for (unsigned i = 0; i < d->nr_vcpus; i++)
		others |= i != t->id && hv_vcpu(&d->vcpus[i])->up;
	if (!others) {
		hv_domain(d)->shutting_down = true;
		hv_domain(d)->shutdown_reason = SHUTDOWN_poweroff;
		return 0;
	}
	sched_down(t);
	return 0;
}

/* VCPUOP_register_vcpu_info: (t)'s vcpu_info moves to (mfn, offset), once,
 * as Xen's map_vcpu_info: the frame stays writable while it is there. */
static long register_vcpu_info(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct { uint64_t mfn; uint32_t offset, rsvd; } info;
	if (env_copy_from_guest(v, &info, arg, sizeof(info)))
		return -XEN_EFAULT;
	if (info.offset > PAGE_SIZE - sizeof(struct vcpu_info) || info.offset % 8)
		return -XEN_ENXIO;
	if (!mfn_eq(t->info_frame, INVALID_MFN) || (t != v && hv_vcpu(t)->up))
		return -XEN_EINVAL;
	mfn_t mfn = _mfn(info.mfn);
	if (!frame_valid(&machine, mfn) || frame_get_type(v, mfn, FT_WRITABLE, true))
		return -XEN_EINVAL;
	struct vcpu_info *to = (struct vcpu_info *)((uint8_t *)env_frame(mfn) + info.offset);
	memcpy(to, pv_vcpu_info(t), sizeof(*to));
	hv_vcpu(t)->vcpu_info = to;
	t->info_frame = mfn;
	__atomic_store_n(&to->evtchn_pending_sel, ~0ull, __ATOMIC_SEQ_CST);
	to->evtchn_upcall_pending = 1;      /* a spurious event, so none is lost */
	sched_wake(t);
	return 0;
}

/* VCPUOP_register_runstate_memory_area: where (t)'s runstate is copied. */
static long register_runstate(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	uint64_t addr;
	if (env_copy_from_guest(v, &addr, arg, sizeof(addr)))
		return -XEN_EFAULT;
	if (!guest_addr_ok(addr))
		return -XEN_EFAULT;     /* Xen checks where it starts; each copy checks the rest */
	hv_vcpu(t)->runstate_area = addr;
	sched_runstate(t, hv_vcpu(t)->runstate.state);
	return 0;
}

static long get_runstate(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	struct runstate r = hv_vcpu(t)->runstate;
	uint64_t now = time_now();
	if (now > r.entry_time)
		r.time[r.state] += now - r.entry_time;
	return env_copy_to_guest(v, arg, &r, sizeof(r)) ? -XEN_EFAULT : 0;
}

long do_vcpu_op(struct vcpu *v, const uint64_t a[6])
{
	struct domain *d = v->d;
	if ((uint32_t)a[1] >= d->nr_vcpus)
		return -XEN_ENOENT;
	struct vcpu *t = &d->vcpus[(uint32_t)a[1]];
	struct hv_vcpu *h = hv_vcpu(t);
	switch ((uint32_t)a[0]) {
	case VCPUOP_initialise:
		return initialise(v, t, a);
	case VCPUOP_up:
		if (!h->initialised)
			return -XEN_EINVAL;
		sched_up(t);
		return 0;
	case VCPUOP_down:
		return down(v, t);
	case VCPUOP_is_up:
		return h->up;
	case VCPUOP_get_runstate_info:
		return get_runstate(v, t, a[2]);
	case VCPUOP_register_runstate_memory_area:
		return register_runstate(v, t, a[2]);
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(v, t, a[2]);
	default:
		return time_vcpu_op(v, t, (unsigned)a[0], a[2]);
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * Exceptions.
 *
 * From the guest (ring 3): a write fault on a present read-only mapping
 * may be a store into one of the guest's own pagetables; we decode the
 * store (mov or xchg of 1-8 bytes to memory, or cmpxchg of 2-8 bytes, as
 * Linux updates entries), hand it to core's writable-pagetable emulation,
 * and step over it.  With one physical CPU and hv not preemptible, a
 * cmpxchg's compare and store are atomic to every vCPU.  Everything else, and a
 * store the emulation refuses, goes to the handler the guest registered
 * with set_trap_table, on the guest's stack, in Xen's 64-bit frame; the
 * faulting address of a page fault goes in vcpu_info.arch.cr2.  A guest
 * with no handler for what it raised, or whose stack cannot take the frame,
 * is crashed with the reason.
 *
 * From ourselves (ring 0): print the registers and a backtrace (frame
 * pointers), and stop with EXIT_HV.  No guest input reaches this.
 */
#include "../core/fmt.h"
#include "../core/frame.h"
#include "../core/ptwr.h"
#include "hv.h"

#define PF_PRESENT (1u << 0)
#define PF_WRITE   (1u << 1)
#define PF_USER    (1u << 2)

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

static uint64_t *reg_slot(struct regs *r, unsigned n)
{
	uint64_t *order[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
				&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
	return order[n & 15];
}

struct store {
	unsigned len;               /* instruction bytes */
	unsigned bytes;             /* operand size */
	uint64_t value;
	uint64_t *xchg;             /* the register that gets the old value, for xchg */
	bool cmpxchg;               /* store only if rax holds the old value */
};

/* The length of a ModRM memory operand's bytes after the opcode; 0 if the
 * operand is a register (not a store). */
static unsigned modrm_len(const uint8_t *p)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
	if (mod == 3)
		return 0;
	if (rm == 4) {
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	}
	if (mod == 0 && rm == 5)
		n += 4;
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/* Decode the store at (code): false if it is not one we emulate. */
static bool decode_store(const uint8_t *code, unsigned avail, struct regs *r, struct store *s)
{
	unsigned i = 0, opsize = 4, rex = 0;
	for (; i < 4 && i < avail && (code[i] == 0x66 || code[i] == 0xf0); i++)
		opsize = code[i] == 0x66 ? 2 : opsize;
	if (i < avail && (code[i] & 0xf0) == 0x40)
		rex = code[i++];
	if (rex & 8)
		opsize = 8;
	uint8_t op = code[i++];
	s->cmpxchg = op == 0x0f && i < avail && code[i] == 0xb1;
	if (s->cmpxchg)
		i++;
	unsigned m = modrm_len(code + i), reg = ((code[i] >> 3) & 7) | (rex & 4 ? 8 : 0);
	if (!m)
		return false;
	s->xchg = NULL;
	if (s->cmpxchg) {
		s->bytes = opsize;
		s->value = *reg_slot(r, reg);
		s->len = i + m;
	} else if (op == 0x89 || op == 0x87 || op == 0x88) {
		s->bytes = op == 0x88 ? 1 : opsize;
		if (op == 0x88 && !rex && reg >= 4)
			s->value = *reg_slot(r, reg - 4) >> 8;      /* ah, ch, dh, bh */
		else
			s->value = *reg_slot(r, reg);
		s->xchg = op == 0x87 ? reg_slot(r, reg) : NULL;
		s->len = i + m;
	} else if (op == 0xc7 && !(reg & 7)) {
		int32_t imm;
		memcpy(&imm, code + i + m, 4);
		s->bytes = opsize;
		s->value = (uint64_t)(int64_t)imm;
		s->len = i + m + (opsize == 2 ? 2 : 4);
		if (opsize == 2)
			s->value &= 0xffff;
	} else {
		return false;
	}
	if (s->bytes < 8)
		s->value &= (1ull << (8 * s->bytes)) - 1;
	return s->len <= avail;
}

#define RFLAGS_ARITH 0x8d5ull       /* CF PF AF ZF SF OF */
#define RFLAGS_ZF    0x40ull

/* cmpxchg's compare of the accumulator (acc) with the old value (old) of
 * (bytes): the arithmetic flags of acc - old, as the CPU sets them. */
static uint64_t compare_flags(uint64_t acc, uint64_t old, unsigned bytes)
{
	uint64_t f;
	switch (bytes) {
	case 2:
		__asm__("cmpw %w2, %w1\n\tpushfq\n\tpopq %0" : "=r"(f) : "r"(acc), "r"(old) : "cc");
		break;
	case 4:
		__asm__("cmpl %k2, %k1\n\tpushfq\n\tpopq %0" : "=r"(f) : "r"(acc), "r"(old) : "cc");
		break;
	default:
		__asm__("cmpq %2, %1\n\tpushfq\n\tpopq %0" : "=r"(f) : "r"(acc), "r"(old) : "cc");
		break;
	}
	return f & RFLAGS_ARITH;
}

/* Is (va) mapped, for vCPU (v), onto one of the machine's live pagetables?
 * (A copy-on-write fault, say, is not: it goes to the guest unreported.) */
static bool on_pagetable(struct vcpu *v, uint64_t va)
{
	uint64_t pa;
	return !mem_translate(v, va, false, &pa) &&
	       fw_live_table(frame_word(&machine, _mfn(pa >> PAGE_SHIFT)));
}

/* A write fault at (cr2): emulate it if it is a pagetable store.  True if
 * the guest goes on (stepped over, or to run the store again). */
static bool emulate_pt_store(struct vcpu *v, struct regs *r, uint64_t cr2)
{
	if (!on_pagetable(v, cr2))
		return false;
	uint8_t code[24] = { 0 };
	unsigned avail = 0;
	while (avail < 15 && !env_copy_from_guest(v, code + avail, r->rip + avail, 1))
		avail++;
	struct store s;
	if (!decode_store(code, avail, r, &s) || cr2 % s.bytes)
		return false;
	uint64_t old = 0;
	if ((s.xchg || s.cmpxchg) && env_copy_from_guest(v, &old, cr2, s.bytes))
		return false;
	uint64_t flags = s.cmpxchg ? compare_flags(r->rax, old, s.bytes) : 0;
	if (s.cmpxchg && !(flags & RFLAGS_ZF)) {
		/* no store: the accumulator takes the old value (a 32-bit
		 * one zero-extended, a 16-bit one merged) */
		r->rax = s.bytes == 2 ? (r->rax & ~0xffffull) | old : old;
		r->rflags = (r->rflags & ~RFLAGS_ARITH) | flags;
		r->rip += s.len;
		return true;
	}
	v->reason = NULL;
	long rc = ptwr_emulate(v, cr2, s.value, s.bytes);
	if (rc == -XEN_ERESTART)
		return true;
	if (rc) {
		hv_report(v, "pagetable store at", cr2, rc);
		return false;
	}
	if (s.xchg)
		*s.xchg = old;
	if (s.cmpxchg)
		r->rflags = (r->rflags & ~RFLAGS_ARITH) | flags;
	r->rip += s.len;
	return true;
}

int bounce_exception(struct vcpu *v, struct regs *r, unsigned vec, uint64_t error)
{
	struct hv_vcpu *h = v->host;
	if (vec >= 256 || !h->traps[vec].address)
		return -1;
	uint64_t frame[8], n = 0;
	frame[n++] = r->rcx;
	frame[n++] = r->r11;
	if (has_error_code(vec))
		frame[n++] = error;
	frame[n++] = r->rip;
	frame[n++] = r->cs;
	frame[n++] = r->rflags;
	frame[n++] = r->rsp;
	frame[n++] = r->ss;
	uint64_t sp = (r->rsp & ~15ull) - n * 8;
	if (env_copy_to_guest(v, sp, frame, n * 8))
		return -1;
	r->rsp = sp;
	r->rip = h->traps[vec].address;
	r->rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	return 0;
}

static _Noreturn void fatal(const struct regs *r)
{
	unsigned vec = (unsigned)r->vector;
	printk("hv: exception in the hypervisor: %s (vector %u, error %lx) at rip %lx, cr2 %lx\n",
	       vec < 32 && names[vec] ? names[vec] : "interrupt", vec, r->error, r->rip, read_cr2());
	printk("  rax %lx rbx %lx rcx %lx rdx %lx\n  rsi %lx rdi %lx rbp %lx rsp %lx\n",
	       r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp);
	printk("  r8 %lx r9 %lx r10 %lx r11 %lx\n  r12 %lx r13 %lx r14 %lx r15 %lx\n",
	       r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15);
	printk("  cs %lx ss %lx rflags %lx cr3 %lx\n", r->cs, r->ss, r->rflags, read_cr3());
	hv_backtrace(r->rbp);
	pc_exit(EXIT_HV);
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
	bool may = r->vector == 14 || r->vector == 13;
	for (const struct extable_entry *e = __start_extable; may && e < __stop_extable; e++) {
		if (e->insn == r->rip) {
			r->rip = e->fixup;
			return true;
		}
	}
	return false;
}

void hv_exception(struct regs *r)
{
	if (!(r->cs & 3)) {
		if (!fixup(r))
			fatal(r);
		return;
	}
	struct vcpu *v = pcpu0.cur;
	unsigned vec = (unsigned)r->vector;
	if (vec >= 32) {                /* the timer: hardware interrupts reach us from ring 3 only */
		sched_interrupt();
		sched_run(r);
		return_to_guest(pcpu0.cur);
		return;
	}
	if (vec == 14) {
		uint64_t cr2 = read_cr2();
		if ((r->error & (PF_PRESENT | PF_WRITE | PF_USER)) == (PF_PRESENT | PF_WRITE | PF_USER) &&
		    emulate_pt_store(v, r, cr2)) {
			return_to_guest(v);
			return;
		}
		struct hv_vcpu *h = v->host;
		uint8_t *vi = maddr_virt(h->shared_info + v->id * XEN_VCPU_INFO_SIZE);
		memcpy(vi + XEN_VCPU_INFO_CR2, &cr2, 8);
	}
	if (vec >= 32 || bounce_exception(v, r, vec, r->error)) {
		static char why[96];
		fmt(why, sizeof(why), "%s (vector %u) at %lx with no way to deliver it",
		    vec < 32 && names[vec] ? names[vec] : "interrupt", vec, r->rip);
		hv_crash_guest(v, why);
	}
	return_to_guest(v);
}

/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor fuzzed from inside a guest (fuzz=SEED ops=N, vcpus=4):
 * vCPUs 0 and 1 each run N operations drawn from their own stream of the
 * seed, at the same time, with hv's timer switching between them:
 *
 *   hypercalls    every one hv serves and numbers it does not, with
 *                 arguments from a pool of the interesting (our sandbox's
 *                 frames and entries, the kernel's root, frame 0, frames
 *                 beyond memory, hv's area, non-canonical and unmapped
 *                 addresses, read-only buffers, huge and preempted counts;
 *                 memory_op's reservations and exchange built from them)
 *   stores        into the sandbox's tables through our read-only view of
 *                 them, in every form hv emulates
 *   instructions  privileged and odd ones, and random bytes, run with
 *                 random registers and single-stepped (TF)
 *   exceptions    with DF, AC and TF set; rarely with a stack hv cannot
 *                 use, which must crash the domain and nothing else
 *
 * The sandbox: 16 frames read-only in our direct map (tables to be), 16
 * writable ones, L4 slot 200 of our own root for the sandbox's tables to
 * hang from, and per vCPU a code page and a stack below it.  Every
 * operation runs with this vCPU's recovery armed, so any exception comes
 * back to the fuzzer.  The operations avoid only what would stop the
 * fuzzer itself rather than test hv: taking vCPUs 0 and 1 down, loading a
 * root without our kernel, unmapping the kernel.
 *
 * hv must never stop itself (exception in ring 0, broken invariant,
 * failed audit) and never hang: the tool (pvmmu fuzz) checks.  The domain
 * may crash; each vCPU watches the other's progress, so a guest that
 * stalls itself powers off and says so instead of looking like a hang.
 */
#include "attacks.h"

#define SB_SLOT   200u
#define SB_BASE   ((uint64_t)SB_SLOT << 39)
#define NR_T      16
#define NR_D      16
#define CODE_VA(k) (0x61000000ull + (uint64_t)(k) * 0x100000)
#define STACK_PAGES 32
#define FILL(k)   (CODE_VA(k) + 0x900)          /* int3 there; as RFLAGS: TF set */
enum { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX };  /* in xen_fuzz_run's context */

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return next(r) % n;
}

static bool one_in(struct rng *r, uint64_t n)
{
	return below(r, n) == 0;
}

static pfn_t t_frame[NR_T], d_frame[NR_D];
static pfn_t code_frame[2], stack_frame[2];     /* per fuzzing vCPU */
/* Per vCPU: buffers for hypercall arguments, each followed by one that
 * takes what hv writes past a buffer that runs off its page. */
static uint8_t scratch[2][6][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static _Atomic uint64_t progress[2];
static _Atomic unsigned finished;
static uint64_t fuzz_seed, fuzz_ops;
static bool fuzz_trace;             /* trace=1: a line per operation */

/* --- the pool of arguments ------------------------------------------------ */

/* A frame for an entry to name.  Never our own root: a mapping of it,
 * even read-only, lets our stores reach it through hv's emulation, and
 * the fuzzer would rewrite its own address space. */
static uint64_t any_mfn(struct rng *r)
{
	switch (below(r, 10)) {
	case 0: case 1: case 2: case 3: case 6: return mfn_of(t_frame[below(r, NR_T)]);
	case 4: case 5: return mfn_of(d_frame[below(r, NR_D)]);
	case 7: return below(r, 4) ? 0 : (1ull << 40) - 1;     /* frame 0, the all-ones frame */
	case 8: return (1ull << 26) + below(r, 1024);           /* beyond memory */
	default: return next(r) & ((1ull << 40) - 1);
	}
}

static uint64_t any_flags(struct rng *r)
{
	static const uint64_t bits[] = { PTE_P, PTE_RW, PTE_US, PTE_PWT, PTE_PCD, PTE_A, PTE_D, PTE_PSE,
					 PTE_G, 1ull << 9, 1ull << 10, 1ull << 11, PTE_NX, 1ull << 52,
					 1ull << 62 };
	uint64_t f = PTE_P | (one_in(r, 2) ? PTE_RW : 0);
	for (unsigned n = (unsigned)below(r, 4); n; n--)
		f ^= bits[below(r, sizeof(bits) / sizeof(bits[0]))];
	return f;
}

static uint64_t any_pte(struct rng *r)
{
	return one_in(r, 16) ? next(r) : any_mfn(r) << PAGE_SHIFT | any_flags(r);
}

/* The machine address of an entry: mostly of a sandbox frame; of our own
 * root only the sandbox's slot, hv's (refused) and slots we do not use. */
static uint64_t any_ptr(struct rng *r)
{
	uint64_t slot = one_in(r, 8) ? SB_SLOT : below(r, PT_ENTRIES);
	uint64_t base = one_in(r, 16) ? any_mfn(r) : mfn_of(t_frame[below(r, NR_T)]);
	if (one_in(r, 32)) {
		base = mfn_of(kernel_mm.pgd);
		slot = one_in(r, 2) ? SB_SLOT : one_in(r, 2) ? HV_L4_FIRST_SLOT + below(r, HV_L4_NR_SLOTS)
							    : 300 + below(r, 200);
	}
	return base << PAGE_SHIFT | slot * 8 | (one_in(r, 8) ? below(r, 8) : below(r, 4));
}

static uint64_t any_va(struct rng *r)
{
	switch (below(r, 8)) {
	case 0: case 1: case 2: case 3: return SB_BASE + (below(r, 1u << 18) << PAGE_SHIFT);
	case 4: return gva_x(pfn_to_virt(t_frame[below(r, NR_T)]));
	case 5: return HV_DMAP + (below(r, 1024) << PAGE_SHIFT);
	case 6: return 0x0000800000000000ull + (below(r, 16) << PAGE_SHIFT);
	default: return next(r);
	}
}

/* A guest buffer: one of ours (filled by the caller), or one hv must refuse. */
static uint64_t any_buffer(struct rng *r, uint64_t ours)
{
	switch (below(r, 16)) {
	case 0: return 0;
	case 1: return HV_DMAP + 0x100000;
	case 2: return HV_TEXT;
	case 3: return MACH2PHYS_VIRT_START;
	case 4: return 0x0000800000000000ull;
	case 5: return gva_x(pfn_to_virt(kernel_mm.pgd));       /* read-only to us */
	case 6: return ours + PAGE_SIZE - 8 * below(r, 4);     /* runs off our page */
	case 7: return 0x1000;
	default: return ours;
	}
}

/* A multicall list: ours, or one hv must refuse to read at all (a list
 * read from memory we do not control could take our own vCPUs down). */
static uint64_t any_list(struct rng *r, uint64_t ours)
{
	static const uint64_t refused[] = { 0, 0x1000, HV_DMAP + 0x100000, HV_TEXT, 0x0000800000000000ull };
	return one_in(r, 8) ? refused[below(r, sizeof(refused) / sizeof(refused[0]))] : ours;
}

static uint64_t any_count(struct rng *r)
{
	static const uint64_t counts[] = { 0, 1, 2, 7, 16, 512, 513, 65536, 0x7fffffff, 0x80000001,
					   0xffffffff, ~0ull };
	return one_in(r, 3) ? counts[below(r, sizeof(counts) / sizeof(counts[0]))] : 1 + below(r, 8);
}

static void fill_random(struct rng *r, void *p, size_t n)
{
	uint64_t *w = p;
	for (size_t i = 0; i < n / 8; i++)
		w[i] = next(r);
}

/* --- hypercalls ---------------------------------------------------------- */

static long call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return xen_hypercall(nr, a0, a1, a2, a3, 0);
}

static void mmu_updates(struct rng *r, uint8_t *buf)
{
	struct mmu_update *u = (void *)buf;
	unsigned n = 1 + (unsigned)below(r, 8);
	for (unsigned i = 0; i < n; i++)
		u[i] = (struct mmu_update){ any_ptr(r), any_pte(r) };
	uint64_t done = one_in(r, 2) ? (uint64_t)(uintptr_t)(buf + 2048) : any_buffer(r, (uintptr_t)buf);
	call(HYPERVISOR_mmu_update, any_buffer(r, (uintptr_t)buf), one_in(r, 4) ? any_count(r) : n, done,
	     one_in(r, 8) ? next(r) & 0xffff : DOMID_SELF);
}

static void mmuext_ops(struct rng *r, uint8_t *buf)
{
	struct mmuext_op *o = (void *)buf;
	unsigned n = 1 + (unsigned)below(r, 6);
	for (unsigned i = 0; i < n; i++) {
		o[i] = (struct mmuext_op){ .cmd = (uint32_t)below(r, 24) };
		o[i].arg1.mfn = one_in(r, 3) ? any_va(r) : one_in(r, 8) ? mfn_of(kernel_mm.pgd) : any_mfn(r);
		o[i].arg2.vcpumask = one_in(r, 2) ? (uint64_t)(uintptr_t)(buf + 2048) : any_mfn(r);
		/* a root without our kernel would stop the fuzzer, not test hv */
		if (o[i].cmd == MMUEXT_NEW_BASEPTR && !one_in(r, 4096))
			o[i].arg1.mfn = one_in(r, 2) ? mfn_of(kernel_mm.pgd) : (1ull << 40) - 1;
	}
	fill_random(r, buf + 2048, 8);
	call(HYPERVISOR_mmuext_op, any_buffer(r, (uintptr_t)buf), one_in(r, 4) ? any_count(r) : n,
	     one_in(r, 2) ? (uint64_t)(uintptr_t)(buf + 2056) : 0, DOMID_SELF);
}

static void update_va_mappings(struct rng *r, uint8_t *buf)
{
	uint64_t flags = below(r, 8) | (one_in(r, 4) ? (uint64_t)(uintptr_t)buf : 0);
	fill_random(r, buf, 8);
	call(one_in(r, 8) ? HYPERVISOR_update_va_mapping_otherdomain : HYPERVISOR_update_va_mapping,
	     any_va(r), any_pte(r), flags, one_in(r, 2) ? DOMID_SELF : next(r) & 0xffff);
}

/* A multicall of entries drawn from the calls hv serves; never iret (its
 * frame would be wherever our stack is). */
static void multicalls(struct rng *r, uint8_t *buf, uint8_t *args)
{
	static const uint64_t ops[] = { HYPERVISOR_mmu_update, HYPERVISOR_mmuext_op,
					HYPERVISOR_update_va_mapping, HYPERVISOR_multicall,
					HYPERVISOR_console_io, HYPERVISOR_sched_op, HYPERVISOR_vcpu_op,
					HYPERVISOR_set_trap_table, HYPERVISOR_pvmmu_stats, 63, 100 };
	struct multicall_entry *e = (void *)buf;
	unsigned n = 1 + (unsigned)below(r, 6);
	struct mmu_update *u = (void *)args;
	for (unsigned i = 0; i < 8; i++)
		u[i] = (struct mmu_update){ any_ptr(r), any_pte(r) };
	for (unsigned i = 0; i < n; i++) {
		e[i] = (struct multicall_entry){ .op = ops[below(r, sizeof(ops) / sizeof(ops[0]))] };
		e[i].args[0] = one_in(r, 2) ? (uint64_t)(uintptr_t)args : any_buffer(r, (uintptr_t)args);
		e[i].args[1] = one_in(r, 2) ? 1 + below(r, 8) : any_count(r);
		e[i].args[2] = one_in(r, 2) ? 0 : any_buffer(r, (uintptr_t)args);
		e[i].args[3] = DOMID_SELF;
		if (e[i].op == HYPERVISOR_sched_op)
			e[i].args[0] = SCHEDOP_yield;
		if (e[i].op == HYPERVISOR_vcpu_op)
			e[i].args[1] = 2 + below(r, 2);
		if (e[i].op == HYPERVISOR_set_trap_table)
			e[i].args[0] = (uint64_t)(uintptr_t)xen_trap_table;
		if (e[i].op == HYPERVISOR_console_io) {
			e[i].args[0] = below(r, 3);
			e[i].args[1] = below(r, 2);
			e[i].args[2] = (uint64_t)(uintptr_t)"";         /* a NUL: the tool drops it */
		}
		if (e[i].op == HYPERVISOR_update_va_mapping) {
			e[i].args[0] = any_va(r);
			e[i].args[1] = any_pte(r);
			e[i].args[2] = below(r, 8);
		}
	}
	/* past our entries is memory we do not control: a longer count only
	 * with a list hv must refuse to read */
	uint64_t list = any_list(r, (uintptr_t)buf);
	uint64_t count = list != (uintptr_t)buf ? any_count(r) : one_in(r, 8) ? 0 : n;
	call(HYPERVISOR_multicall, list, count, 0, 0);
}

/* vCPUs 2 and 3, if a context brings them up: yield for ever (entry.S). */
void xen_fuzz_idle(void);

static void vcpu_ops(struct rng *r, uint8_t *buf)
{
	struct vcpu_guest_context *c = (void *)buf;
	unsigned cmd = (unsigned)below(r, 14);
	uint64_t id = one_in(r, 8) ? below(r, 20) : 2 + below(r, 2);
	if (id < 2 && (cmd == VCPUOP_down || one_in(r, 2)))
		id = 2;         /* vCPUs 0 and 1 are the fuzzer */
	fill_random(r, c, PAGE_SIZE);
	if (!one_in(r, 8)) {
		c->flags = VGCF_in_kernel;
		c->user_regs.rip = (uint64_t)(uintptr_t)xen_fuzz_idle;
		c->user_regs.rdi = id;          /* its number, for TSC_AUX */
		c->user_regs.rsp = 0;
		c->user_regs.cs = FLAT_KERNEL_CS64;
		c->user_regs.ss = FLAT_KERNEL_SS64;
		c->user_regs.rflags = 0x202;
		/* null data selectors: one its GDT lacks would take it to its
		 * failsafe callback at each switch, and it has none */
		c->user_regs.ds = c->user_regs.es = c->user_regs.fs = c->user_regs.gs = 0;
		c->ctrlreg[3] = (one_in(r, 4) ? any_mfn(r) : mfn_of(kernel_mm.pgd)) << PAGE_SHIFT;
		c->ctrlreg[1] = one_in(r, 4) ? any_mfn(r) << PAGE_SHIFT : 0;
		c->gdt_ents = c->ldt_ents = 0;
		for (unsigned i = 0; i < 256; i++)
			c->trap_ctxt[i] = (struct trap_info){ 0, 0, 0, 0 };
		for (unsigned i = 0; xen_trap_table[i].address; i++)
			c->trap_ctxt[xen_trap_table[i].vector] = xen_trap_table[i];
		if (one_in(r, 16))
			c->trap_ctxt[below(r, 256)].address = next(r);
		c->kernel_sp = c->fs_base = c->gs_base_kernel = c->gs_base_user = 0;
		c->event_callback_eip = c->syscall_callback_eip = c->failsafe_callback_eip = 0;
		c->ldt_base = 0;
	}
	if (cmd == VCPUOP_register_vcpu_info)
		cmd = VCPUOP_is_up;     /* it could move a vcpu_info over the fuzzer's own memory */
	if (cmd == VCPUOP_register_runstate_memory_area)
		*(uint64_t *)buf = (uintptr_t)buf + 512;        /* runstates land in scratch */
	call(HYPERVISOR_vcpu_op, cmd, id, any_buffer(r, (uintptr_t)buf), 0);
}

/* memory_op's balloon and exchange: reservations (an exchange's two and
 * its nr_exchanged) whose lists hold our frames (every one mapped, so none
 * can go), frames not ours and addresses hv must refuse, orders past the
 * limit, counts that do not match, other domains, address bits and NUMA
 * nodes, and continuations' start extents. */
static void memory_ops(struct rng *r, uint8_t *buf)
{
	static const unsigned cmds[] = { XENMEM_increase_reservation, XENMEM_decrease_reservation,
					 XENMEM_populate_physmap, XENMEM_exchange };
	struct xen_memory_exchange *x = (void *)buf;
	struct xen_memory_reservation *res[2] = { &x->in, &x->out };
	uint64_t *list = (uint64_t *)(uintptr_t)(buf + 1024);
	for (unsigned i = 0; i < 64; i++)
		list[i] = any_mfn(r);
	for (unsigned k = 0; k < 2; k++) {      /* one draw after another: a seed replays */
		*res[k] = (struct xen_memory_reservation){ .domid = DOMID_SELF };
		res[k]->extent_start = any_list(r, (uintptr_t)list);
		res[k]->nr_extents = one_in(r, 2) ? below(r, 8) : any_count(r);
		res[k]->extent_order = (uint32_t)(one_in(r, 4) ? below(r, 24) : below(r, 3));
		res[k]->mem_flags = (uint32_t)(one_in(r, 4) ? next(r) : below(r, 48));
		if (one_in(r, 8))
			res[k]->domid = (uint16_t)next(r);
	}
	x->nr_exchanged = one_in(r, 2) ? below(r, 3) : any_count(r);
	uint64_t cmd = cmds[below(r, 4)];
	if (one_in(r, 8))
		cmd |= below(r, 4) << MEMOP_EXTENT_SHIFT;
	call(HYPERVISOR_memory_op, cmd, one_in(r, 8) ? any_buffer(r, (uintptr_t)buf) : (uintptr_t)buf, 0, 0);
}

static void other_calls(struct rng *r, uint8_t *buf)
{
	fill_random(r, buf, 256);
	switch (below(r, 7)) {
	case 0:
		/* what is written must be printable: the console is read */
		call(HYPERVISOR_console_io, one_in(r, 2) ? CONSOLEIO_write : below(r, 4), below(r, 2),
		     one_in(r, 8) ? any_buffer(r, (uintptr_t)"") : (uintptr_t)"", 0);
		break;
	case 1:
		call(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0);
		break;
	case 2:
		/* a random table, then ours again before anything can trap */
		call(HYPERVISOR_set_trap_table, any_buffer(r, (uintptr_t)buf), 0, 0, 0);
		call(HYPERVISOR_set_trap_table, (uint64_t)(uintptr_t)xen_trap_table, 0, 0, 0);
		break;
	case 3:
		call(HYPERVISOR_pvmmu_stats, any_buffer(r, (uintptr_t)buf), any_count(r), 0, 0);
		break;
	case 4: {
		/* poll only with a timeout already past: a poll that waits would
		 * stop the fuzzer, not test hv */
		uint64_t cmd = 3 + below(r, 16);
		if (cmd == SCHEDOP_poll)
			((uint64_t *)buf)[2] = 1;
		call(HYPERVISOR_sched_op, cmd, cmd == SCHEDOP_poll ? (uintptr_t)buf : any_buffer(r, (uintptr_t)buf),
		     0, 0);
		break;
	}
	case 5:
		memory_ops(r, buf);
		break;
	default: {
		uint64_t nr = below(r, 128);
		/* not what could take the fuzzer's own state away: its frame,
		 * vCPUs, handlers, GS base, memory (a descriptor written
		 * anywhere), events (upcalls to anywhere), breakpoints */
		static const uint8_t mine[] = { HYPERVISOR_iret, HYPERVISOR_sched_op, HYPERVISOR_vcpu_op,
						HYPERVISOR_set_trap_table, HYPERVISOR_set_segment_base,
						HYPERVISOR_callback_op, HYPERVISOR_set_callbacks,
						HYPERVISOR_update_descriptor, HYPERVISOR_event_channel_op,
						HYPERVISOR_set_debugreg };
		for (unsigned i = 0; i < sizeof(mine); i++)
			if (nr == mine[i])
				nr = 64 + below(r, 64);
		call(nr, next(r), next(r), any_buffer(r, (uintptr_t)buf), next(r));
	}
	}
}

/* --- running code --------------------------------------------------------- */

void xen_fuzz_run(uint64_t *ctx);

/* Random registers, pointing into this vCPU's stack pages where a pointer
 * is wanted, so what the code touches is its own. */
static void random_regs(struct rng *r, unsigned k, uint64_t ctx[19])
{
	for (unsigned i = 0; i < 16; i++) {
		switch (below(r, 6)) {
		case 0: ctx[i] = next(r); break;
		case 1: ctx[i] = below(r, 0x10000); break;
		case 2: ctx[i] = gva_x(pfn_to_virt(t_frame[below(r, NR_T)])) + below(r, PT_ENTRIES) * 8; break;
		default: ctx[i] = CODE_VA(k) - 0x4000 + below(r, 0x2000); break;
		}
	}
	ctx[4] = CODE_VA(k) - STACK_PAGES / 2 * PAGE_SIZE - 8 * (1 + below(r, 4));
	ctx[5] = ctx[4] + 8 * below(r, 64);             /* rbp: leave takes it as rsp */
	ctx[16] = 0x202 | (below(r, 2) ? 0x400 : 0) | (below(r, 2) ? 1ull << 18 : 0) | (next(r) & 0x8d5);
	ctx[17] = CODE_VA(k) + 0x100;
	ctx[18] = (uint64_t)(uintptr_t)&recovery()->rip;
}

/* Put (n) bytes of (code) at the code page's +0x100, then (pad) up to
 * +0x200 and int3 from there on, and fill the stack with FILL(k) again
 * (exception frames land there). */
static void place_code(unsigned k, const uint8_t *code, unsigned n, uint8_t pad)
{
	uint8_t *p = (uint8_t *)gva_x(pfn_to_virt(code_frame[k]));
	uint64_t *s = (uint64_t *)gva_x(pfn_to_virt(stack_frame[k]));
	for (unsigned i = 0x100; i < PAGE_SIZE; i++)
		p[i] = i - 0x100 < n ? code[i - 0x100] : i < 0x200 ? pad : 0xcc;
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		s[i] = FILL(k);
}

/* Privileged and odd instructions, each run with random registers. */
static const struct {
	uint8_t n, b[8];
} snippets[] = {
	{ 1, { 0xfa } }, { 1, { 0xfb } }, { 1, { 0xf4 } },                     /* cli sti hlt */
	{ 2, { 0xe4, 0x80 } }, { 2, { 0xe6, 0x80 } }, { 1, { 0xec } }, { 1, { 0xee } },
	{ 1, { 0x6c } }, { 1, { 0x6e } },                                       /* in out ins outs */
	{ 2, { 0x0f, 0x32 } }, { 2, { 0x0f, 0x30 } }, { 2, { 0x0f, 0x33 } },  /* rdmsr wrmsr rdpmc */
	{ 2, { 0x0f, 0x31 } }, { 3, { 0x0f, 0x01, 0xf9 } }, { 2, { 0x0f, 0xa2 } },
	{ 7, { 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2 } },                  /* ud2 "xen" cpuid */
	{ 3, { 0x0f, 0x20, 0xc0 } }, { 3, { 0x0f, 0x22, 0xc0 } }, { 3, { 0x0f, 0x20, 0xd8 } },
	{ 3, { 0x0f, 0x22, 0xd8 } }, { 3, { 0x0f, 0x20, 0xe0 } }, { 3, { 0x0f, 0x22, 0xe0 } },
	{ 3, { 0x0f, 0x21, 0xc0 } }, { 3, { 0x0f, 0x23, 0xf8 } }, { 4, { 0x44, 0x0f, 0x20, 0xc0 } },
	{ 2, { 0x0f, 0x06 } }, { 2, { 0x0f, 0x09 } }, { 2, { 0x0f, 0x08 } },  /* clts wbinvd invd */
	{ 3, { 0x0f, 0x01, 0xf8 } }, { 3, { 0x48, 0x0f, 0x07 } }, { 2, { 0x0f, 0x35 } },
	{ 2, { 0x0f, 0x34 } }, { 2, { 0x0f, 0x05 } },                          /* swapgs sysret.. syscall */
	{ 3, { 0x0f, 0x01, 0x10 } }, { 3, { 0x0f, 0x01, 0x18 } }, { 3, { 0x0f, 0x00, 0xd0 } },
	{ 3, { 0x0f, 0x00, 0xd8 } }, { 3, { 0x0f, 0x01, 0x00 } }, { 3, { 0x0f, 0x01, 0x08 } },
	{ 3, { 0x0f, 0x00, 0xc0 } }, { 3, { 0x0f, 0x00, 0xc8 } }, { 3, { 0x0f, 0x01, 0xe0 } },
	{ 3, { 0x0f, 0x01, 0xc1 } }, { 3, { 0x0f, 0x01, 0xd9 } }, { 3, { 0x0f, 0x01, 0xd0 } },
	{ 3, { 0x0f, 0x01, 0xd1 } }, { 3, { 0x0f, 0x01, 0xca } }, { 3, { 0x0f, 0x01, 0xcb } },
	{ 3, { 0x0f, 0x01, 0xc8 } }, { 3, { 0x0f, 0x01, 0xc9 } },
	{ 1, { 0xcc } }, { 2, { 0xcd, 0x80 } }, { 2, { 0xcd, 0x0e } }, { 2, { 0xcd, 0x20 } },
	{ 1, { 0xce } }, { 1, { 0xf1 } }, { 2, { 0x0f, 0x0b } },
	{ 2, { 0x8e, 0xd0 } }, { 2, { 0x8e, 0xd8 } }, { 2, { 0x8e, 0xc0 } }, { 2, { 0x8e, 0xe0 } },
	{ 2, { 0x8e, 0xe8 } },                                                  /* segment loads */
	{ 2, { 0x48, 0xcf } }, { 1, { 0xcb } }, { 2, { 0xff, 0x18 } }, { 2, { 0xff, 0x28 } },
	{ 1, { 0x9d } }, { 2, { 0xf3, 0xab } },
	{ 3, { 0x48, 0x89, 0x03 } }, { 3, { 0x48, 0x87, 0x03 } }, { 4, { 0xf0, 0x48, 0x0f, 0xb1 } },
	{ 4, { 0xf0, 0x80, 0x23, 0xfd } }, { 5, { 0xf0, 0x48, 0x0f, 0xba, 0x2b } },
	{ 4, { 0x66, 0x87, 0x03, 0x90 } }, { 2, { 0x86, 0x23 } },                /* stores via rbx */
};

/* Might the first instruction of (code) load rsp with a register's value
 * or an immediate?  An exception then has no stack, and the domain crashes
 * on the next one: a way for the fuzzer to end itself, not a test of hv.
 * (Only the first instruction runs: TF stops it.)  Rough, on purpose:
 * opcodes that load rsp, and any byte among the first few that reads as a
 * ModRM naming rsp. */
static bool loads_rsp(const uint8_t *code, unsigned n)
{
	static const uint8_t ops[] = { 0x5c, 0x94, 0xbc, 0xc8, 0xc9, 0x17 };
	for (unsigned i = 0; i < sizeof(ops); i++)
		if (code[0] == ops[i])
			return true;
	for (unsigned i = 1; i < n && i < 5; i++)
		if (((code[i] >> 3) & 7) == 4 || (code[i] & 0xc7) == 0xc4 || code[i] == 0x5c || code[i] == 0x94 ||
		    code[i] == 0xbc)
			return true;
	return false;
}

static void run_code(struct rng *r, unsigned k, bool random_bytes)
{
	uint64_t ctx[19];
	uint8_t code[15];
	unsigned n;
	if (random_bytes) {
		do {
			n = 1 + (unsigned)below(r, 15);
			for (unsigned i = 0; i < n; i++)
				code[i] = (uint8_t)next(r);
		} while (loads_rsp(code, n));
	} else {
		unsigned s = (unsigned)below(r, sizeof(snippets) / sizeof(snippets[0]));
		n = snippets[s].n;
		for (unsigned i = 0; i < n; i++)
			code[i] = snippets[s].b[i];
		if (code[0] == 0xcd && one_in(r, 2))
			code[1] = (uint8_t)next(r);
	}
	/* random bytes run one instruction (TF): nops after them, so no int3
	 * can be read as part of it */
	place_code(k, code, n, random_bytes ? 0x90 : 0xcc);
	random_regs(r, k, ctx);
	if (n == 2 && code[0] == 0x0f && code[1] == 0x05) {
		/* a hypercall from odd registers; not one that reads a list of
		 * hypercalls or traps from them (it could take our vCPUs down or
		 * our handlers away) or ends the run */
		static const uint8_t safe[] = { HYPERVISOR_mmu_update, HYPERVISOR_update_va_mapping,
						HYPERVISOR_mmuext_op, HYPERVISOR_update_va_mapping_otherdomain,
						HYPERVISOR_pvmmu_stats, 2, 5, 40, 63 };
		ctx[GPR_RAX] = safe[below(r, sizeof(safe))];
		/* rdi: requests of ours (ones read from a sandbox table could
		 * name our root's entries), or an address that is not our own
		 * stack or code page */
		struct mmu_update *u = (void *)scratch[k][2];
		for (unsigned i = 0; i < 8; i++)
			u[i] = (struct mmu_update){ any_ptr(r), any_pte(r) };
		ctx[7] = ctx[GPR_RAX] == HYPERVISOR_update_va_mapping ||
			 ctx[GPR_RAX] == HYPERVISOR_update_va_mapping_otherdomain ? any_va(r)
										  : (uintptr_t)u;
	}
	if (n == 2 && code[0] == 0xf3 && code[1] == 0xab)
		ctx[GPR_RCX] = below(r, 256);   /* not over its own code and stack */
	if (n == 2 && code[0] == 0x0f && (code[1] == 0x30 || code[1] == 0x32) && one_in(r, 2)) {
		/* the one MSR hv emulates: this vCPU's own number stays in it
		 * (hostif_vcpu), or a value wider than 32 bits is refused */
		ctx[GPR_RCX] = 0xc0000103;
		ctx[GPR_RAX] = k;
		ctx[GPR_RDX] = one_in(r, 4);
	}
	if (random_bytes || one_in(r, 4))
		ctx[16] |= 0x100;               /* TF: one instruction, then #DB */
	if (fuzz_trace) {
		x86_puts("pvmmu-fuzz trace code=");
		for (unsigned i = 0; i < n; i++) {
			x86_put_u64(code[i]);
			x86_puts(",");
		}
		x86_put_kv(" rsp", ctx[4]);
		x86_put_kv("rflags", ctx[16]);
		x86_put_kv("rax", ctx[0]);
		x86_put_kv("rcx", ctx[1]);
		x86_put_kv("rdi", ctx[7]);
		x86_puts("\n");
	}
	xen_fuzz_run(ctx);
}

/* An exception on a stack hv cannot write the frame to: the domain must
 * crash, and nothing else happen. */
static void hostile_stack(struct rng *r, unsigned k)
{
	static const uint64_t stacks[] = { 0x1000, HV_DMAP + 0x100000, HV_TEXT + 0x2000,
					   0x0000800000000040ull, MACH2PHYS_VIRT_START + 0x1000 };
	uint64_t ctx[19];
	static const uint8_t ud2[2] = { 0x0f, 0x0b };
	place_code(k, ud2, 2, 0xcc);
	random_regs(r, k, ctx);
	ctx[4] = one_in(r, 2) ? stacks[below(r, sizeof(stacks) / sizeof(stacks[0]))]
			      : gva_x(pfn_to_virt(kernel_mm.pgd)) + 0x800;     /* read-only */
	x86_puts("pvmmu-fuzz: an exception on a stack hv cannot use: the domain crashes now\n");
	xen_fuzz_run(ctx);
	hostif_panic("an exception on an unusable stack came back");
}

/* A store into a sandbox table through our read-only view of it. */
static void table_store(struct rng *r, unsigned k)
{
	static const struct {
		uint8_t n, b[6];
	} forms[] = {
		{ 3, { 0x48, 0x89, 0x03 } }, { 2, { 0x89, 0x03 } }, { 3, { 0x48, 0x87, 0x03 } },
		{ 4, { 0xf0, 0x48, 0x0f, 0xb1 } }, { 4, { 0xf0, 0x48, 0x09, 0x03 } },
		{ 4, { 0xf0, 0x80, 0x23, 0xfd } }, { 6, { 0xf0, 0x48, 0x0f, 0xba, 0x2b, 0x01 } },
		{ 6, { 0xf0, 0x48, 0x0f, 0xba, 0x33, 0x01 } }, { 3, { 0x66, 0x87, 0x03 } },
	};
	unsigned f = (unsigned)below(r, sizeof(forms) / sizeof(forms[0]));
	uint64_t ctx[19];
	uint8_t code[8];
	for (unsigned i = 0; i < forms[f].n; i++)
		code[i] = forms[f].b[i];
	unsigned n = forms[f].n;
	if (code[3] == 0xb1 && n == 4)
		code[n++] = 0x03;
	place_code(k, code, n, 0xcc);
	random_regs(r, k, ctx);
	ctx[GPR_RAX] = any_pte(r);
	ctx[GPR_RBX] = gva_x(pfn_to_virt(t_frame[below(r, NR_T)])) + below(r, PT_ENTRIES) * 8 +
		       (one_in(r, 16) ? below(r, 8) : 0);
	ctx[16] &= ~0x100ull;
	xen_fuzz_run(ctx);
}

/* Loads and stores in the sandbox's mappings. */
static void sandbox_access(struct rng *r)
{
	uint64_t v, va = SB_BASE + (below(r, 1u << 18) << PAGE_SHIFT) + below(r, PAGE_SIZE / 8) * 8;
	if (one_in(r, 2))
		hostif_load(_gva(va), &v);
	else
		hostif_store(_gva(va), next(r));
}

/* --- the loop ------------------------------------------------------------------ */

struct fuzzer {
	struct rng r;
	unsigned k;
	uint64_t ops;
};

/* Our trap table again: a multicall read from memory we do not control,
 * or a hypercall from random registers, may have replaced or cleared it,
 * which would stop the fuzzer at its next trap rather than test hv. */
static void our_traps(void)
{
	if (call(HYPERVISOR_set_trap_table, (uint64_t)(uintptr_t)xen_trap_table, 0, 0, 0))
		hostif_panic("set_trap_table refused our own table");
}

static void one_op(struct fuzzer *f)
{
	struct rng *r = &f->r;
	uint8_t *buf = scratch[f->k][0], *args = scratch[f->k][2];
	unsigned kind = (unsigned)below(r, 24);
	if (fuzz_trace) {
		x86_puts("pvmmu-fuzz trace ");
		x86_put_kv("vcpu", f->k);
		x86_put_kv("op", f->ops);
		x86_put_kv("kind", kind);
		x86_puts("\n");
	}
	switch (kind) {
	case 0: case 1: case 2: case 3: mmu_updates(r, buf); break;
	case 4: case 5: mmuext_ops(r, buf); break;
	case 6: case 7: update_va_mappings(r, buf); break;
	case 8: case 9: multicalls(r, buf, args); break;
	case 10: vcpu_ops(r, scratch[f->k][4]); break;
	case 11: case 12: other_calls(r, buf); break;
	case 13: case 14: case 15: run_code(r, f->k, false); break;
	case 16: case 17: run_code(r, f->k, true); break;
	case 18: case 19: case 20: table_store(r, f->k); break;
	default: sandbox_access(r); break;
	}
	if (kind >= 8 && kind <= 17)
		our_traps();

	if (below(r, 2000000) == 0)
		hostile_stack(r, f->k);
	if (below(r, 2000000) == 0) {
		x86_puts("pvmmu-fuzz: a shutdown with a random reason\n");
		call(HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)(uintptr_t)"\x05\0\0\0", 0, 0);
	}
}

static uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Wait for the other fuzzing vCPU to finish; if it makes no progress for
 * ten billion cycles (seconds), the guest has stalled itself: say so and
 * power off. */
static void wait_other(unsigned k)
{
	uint64_t seen = atomic_load(&progress[!k]), since = tsc();
	while (atomic_load(&finished) < 2) {
		uint64_t now = atomic_load(&progress[!k]);
		if (now != seen) {
			seen = now;
			since = tsc();
		} else if (tsc() - since > 10000000000ull) {
			x86_puts("pvmmu-fuzz stalled ");
			x86_put_kv("vcpu", !k);
			x86_put_kv("ops", now);
			x86_puts("\n");
			xen_shutdown(SHUTDOWN_poweroff);
		}
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	}
}


/* vCPU (k)'s code page (writable and executable: FILL(k) may become rsp)
 * and the stack pages below it (writable, not executable, one frame
 * filled with FILL(k)); made by vCPU 0 for both, before vCPU 1 runs, as
 * they share tables. */
static void code_and_stack(unsigned k)
{
	code_frame[k] = palloc();
	if (!gva_x(vm_entry(&kernel_mm, CODE_VA(k), true)))
		hostif_panic("no table for the fuzzer's code page");
	update_va(CODE_VA(k), make_pte((pfn_x(code_frame[k]) << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D));
	pfn_t stack = stack_frame[k] = palloc();
	for (unsigned i = 1; i <= STACK_PAGES; i++) {
		if (!gva_x(vm_entry(&kernel_mm, CODE_VA(k) - i * PAGE_SIZE, true)))
			hostif_panic("no table for the fuzzer's stack");
		update_va(CODE_VA(k) - i * PAGE_SIZE,
			  make_pte((pfn_x(stack) << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX));
	}
}

static void fuzz_vcpu(unsigned k)
{
	struct fuzzer f = { .r = { fuzz_seed * 0x9e3779b97f4a7c15ull + k + 1 }, .k = k };
	for (; f.ops < fuzz_ops; f.ops++) {
		one_op(&f);
		atomic_store(&progress[k], f.ops + 1);
		/* the other fuzzing vCPU's turn: with hv's timer=off the only
		 * interleaving, so a seed replays exactly */
		call(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0);
	}
	x86_puts("pvmmu-fuzz ");
	x86_put_kv("vcpu", k);
	x86_put_kv("ops", f.ops);
	x86_puts("\n");
	atomic_fetch_add(&finished, 1);
	wait_other(k);
}

static void fuzz_secondary(void)
{
	fuzz_vcpu(1);
	for (;;)
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

/* The sandbox: its frames, and L4 slot SB_SLOT of our root for its
 * tables. */
static void sandbox_init(void)
{
	for (unsigned i = 0; i < NR_T; i++) {
		t_frame[i] = palloc();
		hostif_zero_page(pfn_to_virt(t_frame[i]));
	}
	for (unsigned i = 0; i < NR_D; i++) {
		d_frame[i] = palloc();
		hostif_zero_page(pfn_to_virt(d_frame[i]));
	}
	lazy_mmu_enter();
	for (unsigned i = 0; i < NR_T; i++)
		make_page_readonly(t_frame[i]);
	lazy_mmu_leave();
	uint64_t l4 = mfn_of(kernel_mm.pgd) << PAGE_SHIFT;
	if (mmu_update(l4 + SB_SLOT * 8, mfn_of(t_frame[0]) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_US | PTE_A))
		hostif_panic("cannot hang the sandbox from our root");
}

int xen_fuzz(const char *cmdline, const struct start_info *si)
{
	const char *s = x86_arg(cmdline, "fuzz="), *o = x86_arg(cmdline, "ops=");
	if (!s || si->nr_vcpus < 4)
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		fuzz_seed = fuzz_seed * 10 + (uint64_t)(*s - '0');
	for (fuzz_ops = 0; o && *o >= '0' && *o <= '9'; o++)
		fuzz_ops = fuzz_ops * 10 + (uint64_t)(*o - '0');
	fuzz_ops = fuzz_ops ? fuzz_ops : 10000;
	fuzz_trace = x86_arg(cmdline, "trace=1") != NULL;
	sandbox_init();
	code_and_stack(0);
	code_and_stack(1);
	x86_puts("pvmmu-fuzz start ");
	x86_put_kv("seed", fuzz_seed);
	x86_put_kv("ops", fuzz_ops);
	x86_puts("\n");
	x86_smp = true;
	x86_secondary_main = fuzz_secondary;
	x86_start_vcpus(2, pfn_to_mfn(kernel_mm.pgd));
	fuzz_vcpu(0);
	x86_puts("pvmmu-fuzz done ");
	x86_put_kv("seed", fuzz_seed);
	x86_put_kv("ops", atomic_load(&progress[0]) + atomic_load(&progress[1]));
	x86_puts("\n");
	return 0;
}

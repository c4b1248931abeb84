/* SPDX-License-Identifier: MIT */
/*
 * hv's instruction decoder and its effects (hv/x86/insn.c), with the CPU
 * as the oracle: each encoding below is run natively on a word of memory
 * with random registers, flags and memory, and through insn_decode and
 * insn_apply on the same values; memory, all sixteen registers and the
 * arithmetic flags must come out the same.  Then the encodings hv must
 * refuse: register destinations, lock where the CPU raises #UD, unknown
 * opcodes, more than 15 bytes, fewer bytes than the instruction needs.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "../../hv/x86/insn.h"
#include "check.h"

#define F_ARITH 0x8d5ull
#define F_DF    0x400ull

/* Run (code) with all sixteen registers and RFLAGS from (ctx) and put them
 * back there: ctx[0..15] the registers in the hardware's order (rsp is
 * not loaded), ctx[16] RFLAGS. */
void insn_run_native(uint64_t *ctx, const void *code);
__asm__(".pushsection .text\n"
	".globl insn_run_native\n"
	"insn_run_native:\n\t"
	"push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
	"push %rdi\n\tpush %rsi\n\t"
	"pushq 128(%rdi)\n\tpopfq\n\t"
	"mov 0(%rdi), %rax\n\tmov 8(%rdi), %rcx\n\tmov 16(%rdi), %rdx\n\tmov 24(%rdi), %rbx\n\t"
	"mov 40(%rdi), %rbp\n\tmov 48(%rdi), %rsi\n\tmov 64(%rdi), %r8\n\tmov 72(%rdi), %r9\n\t"
	"mov 80(%rdi), %r10\n\tmov 88(%rdi), %r11\n\tmov 96(%rdi), %r12\n\tmov 104(%rdi), %r13\n\t"
	"mov 112(%rdi), %r14\n\tmov 120(%rdi), %r15\n\tmov 56(%rdi), %rdi\n\t"
	"call *(%rsp)\n\t"
	"pushfq\n\tpush %rdi\n\tmov 24(%rsp), %rdi\n\t"
	"mov %rax, 0(%rdi)\n\tmov %rcx, 8(%rdi)\n\tmov %rdx, 16(%rdi)\n\tmov %rbx, 24(%rdi)\n\t"
	"mov %rbp, 40(%rdi)\n\tmov %rsi, 48(%rdi)\n\tmov %r8, 64(%rdi)\n\tmov %r9, 72(%rdi)\n\t"
	"mov %r10, 80(%rdi)\n\tmov %r11, 88(%rdi)\n\tmov %r12, 96(%rdi)\n\tmov %r13, 104(%rdi)\n\t"
	"mov %r14, 112(%rdi)\n\tmov %r15, 120(%rdi)\n\t"
	"pop %rax\n\tmov %rax, 56(%rdi)\n\tpop %rax\n\tmov %rax, 128(%rdi)\n\tcld\n\t"
	"add $16, %rsp\n\t"
	"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
	"ret\n"
	".popsection");

struct encoding {
	const char *what;
	uint8_t len, bytes[15];
	unsigned disp;              /* the operand is at rbx + disp */
	unsigned bit_reg;           /* a bit offset in this register: keep it within the operand */
};

/* Every one takes its memory operand at (%rbx) + disp. */
static const struct encoding encodings[] = {
	{ "mov %rax,(%rbx)", 3, { 0x48, 0x89, 0x03 }, 0, 0 },
	{ "mov %eax,(%rbx)", 2, { 0x89, 0x03 }, 0, 0 },
	{ "mov %ax,2(%rbx)", 4, { 0x66, 0x89, 0x43, 0x02 }, 2, 0 },
	{ "mov %ah,1(%rbx)", 3, { 0x88, 0x63, 0x01 }, 1, 0 },
	{ "mov %sil,(%rbx) (REX: sil, not dh)", 3, { 0x40, 0x88, 0x33 }, 0, 0 },
	{ "mov %r9,(%rbx)", 3, { 0x4c, 0x89, 0x0b }, 0, 0 },
	{ "movq $-2,(%rbx)", 7, { 0x48, 0xc7, 0x03, 0xfe, 0xff, 0xff, 0xff }, 0, 0 },
	{ "movl $0x80000001,4(%rbx)", 7, { 0xc7, 0x43, 0x04, 0x01, 0x00, 0x00, 0x80 }, 4, 0 },
	{ "movw $0x1234,(%rbx)", 5, { 0x66, 0xc7, 0x03, 0x34, 0x12 }, 0, 0 },
	{ "movb $0x7f,(%rbx)", 3, { 0xc6, 0x03, 0x7f }, 0, 0 },
	{ "xchg %rax,(%rbx)", 3, { 0x48, 0x87, 0x03 }, 0, 0 },
	{ "xchg %eax,(%rbx)", 2, { 0x87, 0x03 }, 0, 0 },
	{ "xchg %ax,(%rbx)", 3, { 0x66, 0x87, 0x03 }, 0, 0 },
	{ "xchg %ah,1(%rbx)", 3, { 0x86, 0x63, 0x01 }, 1, 0 },
	{ "xchg %r10,(%rbx)", 3, { 0x4c, 0x87, 0x13 }, 0, 0 },
	{ "lock cmpxchg %rcx,(%rbx)", 5, { 0xf0, 0x48, 0x0f, 0xb1, 0x0b }, 0, 0 },
	{ "lock cmpxchg %ecx,(%rbx)", 4, { 0xf0, 0x0f, 0xb1, 0x0b }, 0, 0 },
	{ "lock cmpxchg %cx,(%rbx)", 5, { 0x66, 0xf0, 0x0f, 0xb1, 0x0b }, 0, 0 },
	{ "lock cmpxchg %cl,(%rbx)", 4, { 0xf0, 0x0f, 0xb0, 0x0b }, 0, 0 },
	{ "ds andb $0xfd,(%r12) (Linux's clear_bit)", 6, { 0x3e, 0x41, 0x80, 0x24, 0x24, 0xfd }, 0, 0 },
	{ "lock orb $2,(%rbx)", 4, { 0xf0, 0x80, 0x0b, 0x02 }, 0, 0 },
	{ "lock orq %rcx,(%rbx)", 4, { 0xf0, 0x48, 0x09, 0x0b }, 0, 0 },
	{ "lock andl $-3,(%rbx)", 4, { 0xf0, 0x83, 0x23, 0xfd }, 0, 0 },
	{ "lock andq $0x7ffffff0,(%rbx)", 8, { 0xf0, 0x48, 0x81, 0x23, 0xf0, 0xff, 0xff, 0x7f }, 0, 0 },
	{ "lock xorw %cx,(%rbx)", 4, { 0x66, 0xf0, 0x31, 0x0b }, 0, 0 },
	{ "xorb %cl,(%rbx)", 2, { 0x30, 0x0b }, 0, 0 },
	{ "andb %ch,(%rbx)", 2, { 0x20, 0x2b }, 0, 0 },
	{ "lock btsq $1,(%rbx)", 6, { 0xf0, 0x48, 0x0f, 0xba, 0x2b, 0x01 }, 0, 0 },
	{ "lock btrl $31,(%rbx)", 5, { 0xf0, 0x0f, 0xba, 0x33, 0x1f }, 0, 0 },
	{ "btcw $17,(%rbx) (offset mod 16)", 5, { 0x66, 0x0f, 0xba, 0x3b, 0x11 }, 0, 0 },
	{ "lock btsq %rcx,(%rbx)", 5, { 0xf0, 0x48, 0x0f, 0xab, 0x0b }, 0, 1 },
	{ "lock btrq %rcx,(%rbx)", 5, { 0xf0, 0x48, 0x0f, 0xb3, 0x0b }, 0, 1 },
	{ "btcl %ecx,(%rbx)", 3, { 0x0f, 0xbb, 0x0b }, 0, 1 },
	{ "mov %rax,(%rbx) with a SIB and disp32: 0x0(%rbx,%riz)", 8, { 0x48, 0x89, 0x84, 0x23, 0, 0, 0, 0 }, 0, 0 },
	{ "xrelease lock or %rcx,(%rbx)", 5, { 0xf3, 0xf0, 0x48, 0x09, 0x0b }, 0, 0 },
};

static uint64_t rnd(void)
{
	return (uint64_t)random() << 40 ^ (uint64_t)random() << 20 ^ (uint64_t)random();
}

/* One encoding on random state, natively and emulated: the same? */
static bool same_as_cpu(const struct encoding *e, void *code, uint64_t *mem, unsigned trial)
{
	uint64_t ctx[17], g[GPR_NR], flags, value;
	for (unsigned i = 0; i < GPR_NR; i++)
		ctx[i] = rnd();
	ctx[GPR_RBX] = ctx[12] = (uint64_t)(uintptr_t)mem;      /* (%rbx) and (%r12) */
	if (e->bit_reg)
		ctx[e->bit_reg] %= 16;
	ctx[16] = 0x202 | (rnd() & (F_ARITH | F_DF));
	mem[0] = rnd();
	mem[1] = rnd();
	if (trial % 2)  /* half the cmpxchgs succeed */
		memcpy(&ctx[GPR_RAX], (uint8_t *)mem + e->disp, 8);
	memcpy(g, ctx, sizeof(g));
	flags = ctx[16];
	uint64_t before[2] = { mem[0], mem[1] };
	memcpy(code, e->bytes, e->len);
	((uint8_t *)code)[e->len] = 0xc3;
	insn_run_native(ctx, code);

	struct insn in;
	uint64_t old = 0, emu[2] = { before[0], before[1] };
	if (insn_decode(e->bytes, e->len, &in) || in.len != e->len)
		return false;
	memcpy(&old, (uint8_t *)emu + e->disp, in.bytes);
	if (insn_apply(&in, old, g, &flags, &value))
		memcpy((uint8_t *)emu + e->disp, &value, in.bytes);
	bool regs = !memcmp(g, ctx, sizeof(g));
	bool fl = (flags & (F_ARITH | F_DF)) == (ctx[16] & (F_ARITH | F_DF));
	bool m = emu[0] == mem[0] && emu[1] == mem[1];
	if (!regs || !fl || !m)
		printf("  %s: registers %s, flags %s (%lx, CPU %lx), memory %s\n", e->what,
		       regs ? "same" : "differ", fl ? "same" : "differ", (unsigned long)flags,
		       (unsigned long)ctx[16], m ? "same" : "differ");
	return regs && fl && m;
}

static void the_cpu_agrees(void)
{
	void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static uint64_t mem[2] __attribute__((aligned(16)));
	CHECK(code != MAP_FAILED);
	if (code == MAP_FAILED)
		return;
	srandom(14);
	for (unsigned k = 0; k < sizeof(encodings) / sizeof(encodings[0]); k++) {
		bool all = true;
		for (unsigned t = 0; t < 200 && all; t++)
			all = same_as_cpu(&encodings[k], code, mem, t);
		CHECK(all);
	}
	munmap(code, 4096);
}

/* What must not decode: (len) bytes of (bytes), or the same with one byte
 * fewer than the instruction needs. */
static void refused(void)
{
	static const struct {
		uint8_t len, bytes[16];
	} bad[] = {
		{ 3, { 0x48, 0x89, 0xc3 } },        /* mov %rax,%rbx: a register destination */
		{ 3, { 0xf0, 0x89, 0x03 } },        /* lock mov: #UD */
		{ 4, { 0xf0, 0xc7, 0x03, 0 } },     /* lock mov imm: #UD */
		{ 3, { 0xc7, 0x0b, 0 } },           /* c7 /1: not a mov */
		{ 3, { 0x80, 0x03, 1 } },           /* add: not one of ours */
		{ 2, { 0x8b, 0x03 } },              /* a load */
		{ 2, { 0x0f, 0x0b } },              /* ud2 */
		{ 2, { 0xcd, 0x80 } },              /* int $0x80 */
		{ 5, { 0x0f, 0xba, 0x23, 1 } },     /* bt: reads only */
		{ 16, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			0x48, 0x89, 0x03 } },       /* 16 bytes */
		{ 15, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			0x66, 0x66 } },             /* prefixes only */
		{ 0, { 0 } },
	};
	struct insn in;
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		CHECK(insn_decode(bad[k].bytes, bad[k].len, &in) == -1);
	for (unsigned k = 0; k < sizeof(encodings) / sizeof(encodings[0]); k++) {
		bool cut = insn_decode(encodings[k].bytes, encodings[k].len - 1u, &in) == -1;
		if (!cut)
			printf("  %s decodes from %u bytes\n", encodings[k].what, encodings[k].len - 1u);
		CHECK(cut);
	}
	/* prefixes that change only the address, which comes from cr2 */
	static const uint8_t fs[4] = { 0x64, 0x48, 0x89, 0x03 }, a32[4] = { 0x67, 0x48, 0x89, 0x03 };
	CHECK(insn_decode(fs, 4, &in) == 0 && in.len == 4 && in.op == INSN_MOV && in.bytes == 8);
	CHECK(insn_decode(a32, 4, &in) == 0 && in.len == 4 && in.op == INSN_MOV && in.bytes == 8);
	/* a REX before a legacy prefix is ignored: 48 66 89 03 is a 16-bit mov */
	static const uint8_t rex_lost[4] = { 0x48, 0x66, 0x89, 0x03 };
	CHECK(insn_decode(rex_lost, 4, &in) == 0 && in.bytes == 2);
	/* the longest that decodes: 15 bytes */
	static const uint8_t longest[15] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					     0x66, 0x66, 0x48, 0x89, 0x03 };
	CHECK(insn_decode(longest, 15, &in) == 0 && in.len == 15 && in.bytes == 8);
}

void test_insn(void)
{
	the_cpu_agrees();
	refused();
}

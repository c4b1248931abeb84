/* SPDX-License-Identifier: MIT */
/*
 * Decoding and applying the stores of insn.h.  The decoder reads at most
 * 15 bytes of a zero-padded copy, so no encoding can make it read beyond
 * its buffer; an instruction is accepted only if it ends within the bytes
 * that could really be read.  The arithmetic flags come from running the
 * same operation on the CPU we run on, on registers, from the guest's
 * flags, so they are exactly a CPU's, undefined ones included (as Xen's
 * emulator does it).
 */
#include "insn.h"

#define F_ZF     0x40ull
#define F_ARITH  0x8d5ull   /* CF PF AF ZF SF OF */

/* What an opcode is, for the ones we decode. */
struct opdesc {
	uint8_t op;         /* enum insn_op; 0: by ModRM.reg (group), or none */
	uint8_t size;       /* 1: a byte operation, 0: by prefixes */
	uint8_t imm;        /* 0, 1 (ib), or 4 (iz: iw with 66, else id) */
	uint8_t sext;       /* the immediate is sign-extended to the operand */
};

static struct opdesc one_byte(uint8_t b)
{
	switch (b) {
	case 0x08: return (struct opdesc){ INSN_OR, 1, 0, 0 };
	case 0x09: return (struct opdesc){ INSN_OR, 0, 0, 0 };
	case 0x20: return (struct opdesc){ INSN_AND, 1, 0, 0 };
	case 0x21: return (struct opdesc){ INSN_AND, 0, 0, 0 };
	case 0x30: return (struct opdesc){ INSN_XOR, 1, 0, 0 };
	case 0x31: return (struct opdesc){ INSN_XOR, 0, 0, 0 };
	case 0x86: return (struct opdesc){ INSN_XCHG, 1, 0, 0 };
	case 0x87: return (struct opdesc){ INSN_XCHG, 0, 0, 0 };
	case 0x88: return (struct opdesc){ INSN_MOV, 1, 0, 0 };
	case 0x89: return (struct opdesc){ INSN_MOV, 0, 0, 0 };
	case 0xc6: return (struct opdesc){ INSN_MOV, 1, 1, 0 };
	case 0xc7: return (struct opdesc){ INSN_MOV, 0, 4, 1 };
	case 0x80: return (struct opdesc){ 0, 1, 1, 0 };
	case 0x81: return (struct opdesc){ 0, 0, 4, 1 };
	case 0x83: return (struct opdesc){ 0, 0, 1, 1 };
	default: return (struct opdesc){ 0, 0, 0, 0 };
	}
}

static struct opdesc two_byte(uint8_t b)
{
	switch (b) {
	case 0xb0: return (struct opdesc){ INSN_CMPXCHG, 1, 0, 0 };
	case 0xb1: return (struct opdesc){ INSN_CMPXCHG, 0, 0, 0 };
	case 0xab: return (struct opdesc){ INSN_BTS, 0, 0, 0 };
	case 0xb3: return (struct opdesc){ INSN_BTR, 0, 0, 0 };
	case 0xbb: return (struct opdesc){ INSN_BTC, 0, 0, 0 };
	case 0xba: return (struct opdesc){ 0, 0, 1, 0 };
	default: return (struct opdesc){ 0, 0, 0, 0 };
	}
}

/* The operation a group opcode (80 81 83, 0f ba) selects by ModRM.reg. */
static uint8_t group_op(bool two, unsigned reg)
{
	static const uint8_t alu[8] = { [1] = INSN_OR, [4] = INSN_AND, [6] = INSN_XOR };
	static const uint8_t bt[8] = { [5] = INSN_BTS, [6] = INSN_BTR, [7] = INSN_BTC };
	return two ? bt[reg] : alu[reg];
}

static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0: case 0xf2: case 0xf3: case 0x66: case 0x67:
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		return true;
	default:
		return false;
	}
}

/* The bytes of a memory operand from its ModRM byte on (ModRM, SIB,
 * displacement); 0 for a register operand. */
static unsigned memop_len(const uint8_t *p)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
	if (mod == 3)
		return 0;
	if (rm == 4) {
		n++;                            /* SIB */
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;                 /* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		n += 4;                         /* rip-relative disp32 */
	}
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

static uint64_t read_imm(const uint8_t *p, unsigned n, bool sext, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < n; k++)
		v |= (uint64_t)p[k] << (8 * k);
	if (sext && n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ull << (8 * n);
	return bytes == 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

static bool lockable(uint8_t op)
{
	return op != INSN_MOV;
}

int insn_decode(const uint8_t *code, unsigned avail, struct insn *i)
{
	uint8_t b[INSN_MAX_LEN + 16] = { 0 };
	unsigned n = avail < INSN_MAX_LEN ? avail : INSN_MAX_LEN, at = 0, rex = 0, opsize = 4;
	bool lock = false;
	for (unsigned k = 0; k < n; k++)
		b[k] = code[k];
	for (; at < INSN_MAX_LEN && (legacy_prefix(b[at]) || (b[at] & 0xf0) == 0x40); at++) {
		if ((b[at] & 0xf0) == 0x40) {
			rex = b[at];        /* effective only right before the opcode */
			continue;
		}
		rex = 0;
		lock |= b[at] == 0xf0;
		opsize = b[at] == 0x66 ? 2 : opsize;
	}
	if (at >= INSN_MAX_LEN)
		return -1;
	bool two = b[at] == 0x0f;
	at += two;
	struct opdesc d = two ? two_byte(b[at]) : one_byte(b[at]);
	at++;
	unsigned reg = ((b[at] >> 3) & 7) | (rex & 4 ? 8 : 0), mlen = memop_len(&b[at]);
	uint8_t op = d.op ? d.op : (d.imm ? group_op(two, reg & 7) : 0);
	if (!op || !mlen || (lock && !lockable(op)) || (op == INSN_MOV && d.imm && (reg & 7)))
		return -1;
	*i = (struct insn){ .op = op, .lock = lock, .reg = (uint8_t)reg };
	i->bytes = (uint8_t)(d.size ? 1 : rex & 8 ? 8 : opsize);
	i->high_byte = i->bytes == 1 && !rex && reg >= 4 && reg < 8;
	at += mlen;
	if (d.imm) {
		unsigned ilen = d.imm == 4 ? (i->bytes == 2 ? 2 : 4) : 1;
		i->src_imm = true;
		i->imm = read_imm(&b[at], ilen, d.sext, two ? 8 : i->bytes);
		at += ilen;
	}
	if (at > n)
		return -1;
	i->len = (uint8_t)at;
	return 0;
}

/* --- applying ------------------------------------------------------------ */

static uint64_t mask_of(unsigned bytes)
{
	return bytes == 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

static uint64_t reg_read(const uint64_t gpr[GPR_NR], unsigned reg, bool high, unsigned bytes)
{
	return high ? (gpr[reg - 4] >> 8) & 0xff : gpr[reg] & mask_of(bytes);
}

static void reg_write(uint64_t gpr[GPR_NR], unsigned reg, bool high, unsigned bytes, uint64_t v)
{
	if (high)
		gpr[reg - 4] = (gpr[reg - 4] & ~0xff00ull) | ((v & 0xff) << 8);
	else if (bytes == 4)
		gpr[reg] = v & 0xffffffffull;
	else
		gpr[reg] = (gpr[reg] & ~mask_of(bytes)) | (v & mask_of(bytes));
}

/* Run (mn) on (d, s) at one operand size, with the arithmetic flags of
 * (f) loaded first and read back after, so even the flags the manual
 * leaves undefined are what this CPU leaves.  The stack is moved past
 * the red zone hosted builds keep below rsp. */
#define HOST_OP1(mn, sfx, op0, op2, d, s, f)                                                  \
	__asm__("lea -128(%%rsp), %%rsp\n\t"                                                  \
		"pushq %[fl]\n\t"                                                              \
		"popfq\n\t"                                                                    \
		mn sfx " %" op2 "[src], %" op0 "[dst]\n\t"                                     \
		"pushfq\n\t"                                                                   \
		"popq %[fl]\n\t"                                                               \
		"lea 128(%%rsp), %%rsp"                                                         \
		: [dst] "+r"(d), [fl] "+r"(f) : [src] "r"(s) : "cc", "memory")

/* ... at each size (the bit tests have no byte form). */
#define HOST_OP(mn, d, s, bytes, f)                                                           \
	do {                                                                                  \
		if (bytes == 2)                                                               \
			HOST_OP1(mn, "w", "w", "w", d, s, f);                                 \
		else if (bytes == 4)                                                          \
			HOST_OP1(mn, "l", "k", "k", d, s, f);                                 \
		else                                                                          \
			HOST_OP1(mn, "q", "q", "q", d, s, f);                                 \
	} while (0)
#define HOST_OP_B(mn, d, s, bytes, f)                                                         \
	do {                                                                                  \
		if (bytes == 1)                                                               \
			HOST_OP1(mn, "b", "b", "b", d, s, f);                                 \
		else                                                                          \
			HOST_OP(mn, d, s, bytes, f);                                          \
	} while (0)

/* (d) op= (s) as the CPU does it at (bytes), starting from the arithmetic
 * flags of (flags); the arithmetic flags it leaves. */
static uint64_t host_op(uint8_t op, unsigned bytes, uint64_t *d, uint64_t s, uint64_t flags)
{
	uint64_t x = *d, f = 2 | (flags & F_ARITH);
	switch (op) {
	case INSN_OR: HOST_OP_B("or", x, s, bytes, f); break;
	case INSN_AND: HOST_OP_B("and", x, s, bytes, f); break;
	case INSN_XOR: HOST_OP_B("xor", x, s, bytes, f); break;
	case INSN_CMPXCHG: HOST_OP_B("cmp", x, s, bytes, f); x = *d; break;
	case INSN_BTS: HOST_OP("bts", x, s, bytes, f); break;
	case INSN_BTR: HOST_OP("btr", x, s, bytes, f); break;
	case INSN_BTC: HOST_OP("btc", x, s, bytes, f); break;
	default: break;
	}
	*d = x & mask_of(bytes);
	return f & F_ARITH;
}

bool insn_apply(const struct insn *i, uint64_t old, uint64_t gpr[GPR_NR], uint64_t *rflags,
		uint64_t *value)
{
	uint64_t m = mask_of(i->bytes), flags = 0, touched = F_ARITH;
	uint64_t src = i->src_imm ? i->imm : reg_read(gpr, i->reg, i->high_byte, i->bytes);
	bool store = true;
	old &= m;
	switch (i->op) {
	case INSN_MOV:
		*value = src & m;
		touched = 0;
		break;
	case INSN_XCHG:
		*value = src & m;
		reg_write(gpr, i->reg, i->high_byte, i->bytes, old);
		touched = 0;
		break;
	case INSN_CMPXCHG: {
		uint64_t acc = gpr[GPR_RAX] & m;
		flags = host_op(INSN_CMPXCHG, i->bytes, &acc, old, *rflags);
		store = flags & F_ZF;
		*value = src & m;
		if (!store)
			reg_write(gpr, GPR_RAX, false, i->bytes, old);
		break;
	}
	case INSN_BTS:
	case INSN_BTR:
	case INSN_BTC:
		/* the bit within the operand cr2 names */
		*value = old;
		flags = host_op(i->op, i->bytes, value, src & (8u * i->bytes - 1), *rflags);
		break;
	default:
		*value = old;
		flags = host_op(i->op, i->bytes, value, src & m, *rflags);
		break;
	}
	*rflags = (*rflags & ~touched) | (flags & touched);
	return store;
}

/* SPDX-License-Identifier: MIT */
/*
 * Decoding the privileged instructions of priv.h.  The decoder reads a
 * zero-padded copy of at most 15 bytes and accepts an instruction only if
 * it ends within the bytes that could be read.
 */
#include "priv.h"

#define MAX_LEN 15

/* A prefix that changes nothing for these instructions, or 66. */
static bool allowed_prefix(uint8_t b)
{
	switch (b) {
	case 0x66: case 0x67: case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		return true;
	default:
		return false;
	}
}

/* One-byte opcodes: cli, sti, in, out. */
static bool one_byte(uint8_t b, bool opsize16, struct priv_insn *p)
{
	if (b == 0xfa || b == 0xfb) {
		p->op = b == 0xfa ? PRIV_CLI : PRIV_STI;
		return true;
	}
	bool imm = b >= 0xe4 && b <= 0xe7, dx = b >= 0xec && b <= 0xef;
	if (!imm && !dx)
		return false;
	p->op = b & 2 ? PRIV_OUT : PRIV_IN;
	p->bytes = !(b & 1) ? 1 : opsize16 ? 2 : 4;
	p->port_dx = dx;
	return true;
}

/* Two-byte opcodes (after 0f): 0 if not one of ours, else how many bytes
 * follow the opcode (a ModRM byte for the movs). */
static int two_byte(uint8_t b, struct priv_insn *p)
{
	static const uint8_t plain[256] = { [0x30] = PRIV_WRMSR, [0x32] = PRIV_RDMSR,
					    [0x06] = PRIV_CLTS, [0x09] = PRIV_WBINVD };
	static const uint8_t mov[4] = { PRIV_READ_CR, PRIV_READ_DR, PRIV_WRITE_CR, PRIV_WRITE_DR };
	if (plain[b]) {
		p->op = plain[b];
		return 1;
	}
	if (b >= 0x20 && b <= 0x23) {
		p->op = mov[b - 0x20];
		return 2;
	}
	return 0;
}

int priv_decode(const uint8_t *code, unsigned avail, struct priv_insn *p)
{
	uint8_t b[MAX_LEN + 4] = { 0 };
	unsigned n = avail < MAX_LEN ? avail : MAX_LEN, at = 0, rex = 0;
	bool opsize16 = false;
	for (unsigned k = 0; k < n; k++)
		b[k] = code[k];
	*p = (struct priv_insn){ 0 };
	for (; at < MAX_LEN && (allowed_prefix(b[at]) || (b[at] & 0xf0) == 0x40); at++) {
		rex = (b[at] & 0xf0) == 0x40 ? b[at] : 0;   /* REX counts only last */
		opsize16 |= b[at] == 0x66;
	}
	if (at >= MAX_LEN)
		return -1;
	unsigned len = at + 1;
	if (b[at] == 0x0f && b[at + 1] == 0x01) {
		if (b[at + 2] != 0xd1 || opsize16)
			return -1;      /* only xsetbv, and 66 makes it #UD */
		p->op = PRIV_XSETBV;
		len = at + 3;
	} else if (b[at] == 0x0f) {
		int more = two_byte(b[at + 1], p);
		if (!more)
			return -1;
		len = at + 1 + (unsigned)more;
		if (more == 2) {
			uint8_t modrm = b[at + 2];
			/* the CPU takes these as register forms whatever mod says */
			p->ctl = (uint8_t)(((modrm >> 3) & 7) | (rex & 4 ? 8 : 0));
			p->gpr = (uint8_t)((modrm & 7) | (rex & 1 ? 8 : 0));
		}
	} else if (!one_byte(b[at], opsize16, p)) {
		return -1;
	} else if (p->op == PRIV_IN || p->op == PRIV_OUT) {
		if (!p->port_dx) {
			p->port = b[at + 1];
			len++;
		}
	}
	if (len > n)
		return -1;
	p->len = (uint8_t)len;
	return 0;
}

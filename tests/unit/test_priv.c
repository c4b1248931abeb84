/* SPDX-License-Identifier: MIT */
/*
 * The decoder of the privileged instructions hv emulates (hv/x86/priv.c):
 * each encoding a PV kernel uses decodes to its operation, registers and
 * length; prefixes that change nothing are skipped, REX extends the
 * registers, 66 narrows I/O (and is refused on xsetbv); lock, rep, unknown opcodes, more than 15
 * bytes and fewer bytes than the instruction needs do not decode.
 */
#include <string.h>
#include "../../hv/x86/priv.h"
#include "check.h"

struct want {
	const char *what;
	uint8_t len, bytes[15];
	uint8_t op, ctl, gpr, io_bytes;
	bool port_dx;
	uint8_t port;
};

static const struct want good[] = {
	{ "wrmsr", 2, { 0x0f, 0x30 }, PRIV_WRMSR, 0, 0, 0, false, 0 },
	{ "rdmsr", 2, { 0x0f, 0x32 }, PRIV_RDMSR, 0, 0, 0, false, 0 },
	{ "clts", 2, { 0x0f, 0x06 }, PRIV_CLTS, 0, 0, 0, false, 0 },
	{ "wbinvd", 2, { 0x0f, 0x09 }, PRIV_WBINVD, 0, 0, 0, false, 0 },
	{ "mov %cr4,%rax", 3, { 0x0f, 0x20, 0xe0 }, PRIV_READ_CR, 4, 0, 0, false, 0 },
	{ "mov %rdi,%cr3", 3, { 0x0f, 0x22, 0xdf }, PRIV_WRITE_CR, 3, 7, 0, false, 0 },
	{ "mov %cr0,%r9 (REX.B)", 4, { 0x41, 0x0f, 0x20, 0xc1 }, PRIV_READ_CR, 0, 9, 0, false, 0 },
	{ "mov %cr8,%rax (REX.R)", 4, { 0x44, 0x0f, 0x20, 0xc0 }, PRIV_READ_CR, 8, 0, 0, false, 0 },
	{ "mov %rax,%dr7", 3, { 0x0f, 0x23, 0xf8 }, PRIV_WRITE_DR, 7, 0, 0, false, 0 },
	{ "mov %dr6,%rcx", 3, { 0x0f, 0x21, 0xf1 }, PRIV_READ_DR, 6, 1, 0, false, 0 },
	{ "cli", 1, { 0xfa }, PRIV_CLI, 0, 0, 0, false, 0 },
	{ "sti", 1, { 0xfb }, PRIV_STI, 0, 0, 0, false, 0 },
	{ "in $0x61,%al", 2, { 0xe4, 0x61 }, PRIV_IN, 0, 0, 1, false, 0x61 },
	{ "in (%dx),%eax", 1, { 0xed }, PRIV_IN, 0, 0, 4, true, 0 },
	{ "in (%dx),%ax", 2, { 0x66, 0xed }, PRIV_IN, 0, 0, 2, true, 0 },
	{ "out %al,$0x80", 2, { 0xe6, 0x80 }, PRIV_OUT, 0, 0, 1, false, 0x80 },
	{ "out %eax,(%dx)", 1, { 0xef }, PRIV_OUT, 0, 0, 4, true, 0 },
	{ "ds wrmsr", 3, { 0x3e, 0x0f, 0x30 }, PRIV_WRMSR, 0, 0, 0, false, 0 },
	{ "xsetbv", 3, { 0x0f, 0x01, 0xd1 }, PRIV_XSETBV, 0, 0, 0, false, 0 },
	{ "rex.w xsetbv", 4, { 0x48, 0x0f, 0x01, 0xd1 }, PRIV_XSETBV, 0, 0, 0, false, 0 },
};

static const struct {
	const char *what;
	uint8_t len, bytes[16];
} bad[] = {
	{ "lock cli", 2, { 0xf0, 0xfa } },
	{ "rep outsb", 2, { 0xf3, 0x6e } },
	{ "hlt", 1, { 0xf4 } },
	{ "rdtsc", 2, { 0x0f, 0x31 } },
	{ "invd", 2, { 0x0f, 0x08 } },
	{ "wrmsr cut short", 1, { 0x0f } },
	{ "mov to cr without ModRM", 2, { 0x0f, 0x22 } },
	{ "in imm without its port", 1, { 0xe4 } },
	{ "xgetbv (it runs in ring 3)", 3, { 0x0f, 0x01, 0xd0 } },
	{ "lgdt", 3, { 0x0f, 0x01, 0x10 } },
	{ "66 xsetbv (#UD)", 4, { 0x66, 0x0f, 0x01, 0xd1 } },
	{ "xsetbv cut short", 2, { 0x0f, 0x01 } },
	{ "15 prefixes, then cli", 16, { 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
					  0x3e, 0x3e, 0x3e, 0xfa } },
};

void test_priv(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct want *w = &good[i];
		struct priv_insn p;
		int rc = priv_decode(w->bytes, w->len, &p);
		CHECK(rc == 0 && p.len == w->len && p.op == w->op);
		if (rc == 0 && (p.op == PRIV_READ_CR || p.op == PRIV_WRITE_CR || p.op == PRIV_READ_DR ||
				p.op == PRIV_WRITE_DR))
			CHECK(p.ctl == w->ctl && p.gpr == w->gpr);
		if (rc == 0 && (p.op == PRIV_IN || p.op == PRIV_OUT))
			CHECK(p.bytes == w->io_bytes && p.port_dx == w->port_dx && p.port == w->port);
		if (rc || p.len != w->len)
			printf("  (%s)\n", w->what);
		CHECK(priv_decode(w->bytes, w->len - 1u, &p) == -1);    /* one byte short */
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct priv_insn p;
		CHECK(priv_decode(bad[i].bytes, bad[i].len, &p) == -1);
	}
}

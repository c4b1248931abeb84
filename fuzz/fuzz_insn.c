/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for hv's instruction decoders (hv/x86/insn.c and
 * priv.c), the parsers of guest instruction bytes: any bytes either decode or are
 * refused; what decodes fits within what was given and 15 bytes, decodes
 * the same from exactly its own length and not from one byte fewer, and
 * applied to registers taken from the input changes only the registers it
 * names. */
#include <stdlib.h>
#include <string.h>
#include "../hv/x86/insn.h"
#include "../hv/x86/priv.h"

/* Two decodings alike, field by field (struct insn has a padding byte,
 * which a compound literal leaves as it was: memcmp would compare it). */
static bool same_insn(const struct insn *a, const struct insn *b)
{
	return a->len == b->len && a->op == b->op && a->bytes == b->bytes && a->reg == b->reg &&
	       a->high_byte == b->high_byte && a->src_imm == b->src_imm && a->lock == b->lock && a->imm == b->imm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct insn in, again;
	struct priv_insn p, p2;
	unsigned avail = size > 64 ? 64 : (unsigned)size;
	/* the privileged-instruction decoder: within bounds, and the same
	 * from exactly its own length, not from one byte fewer */
	if (!priv_decode(data, avail, &p)) {
		if (!p.len || p.len > avail || p.len > 15 || !p.op || p.op > PRIV_LAST || p.ctl > 15 || p.gpr > 15 ||
		    priv_decode(data, p.len, &p2) || memcmp(&p, &p2, sizeof(p)) || !priv_decode(data, p.len - 1u, &p2))
			abort();
	}
	if (insn_decode(data, avail, &in))
		return 0;
	if (!in.len || in.len > avail || in.len > INSN_MAX_LEN || !in.op ||
	    (in.bytes != 1 && in.bytes != 2 && in.bytes != 4 && in.bytes != 8) || in.reg >= GPR_NR)
		abort();
	if (insn_decode(data, in.len, &again) || !same_insn(&in, &again) ||
	    !insn_decode(data, in.len - 1u, &again))
		abort();
	uint64_t g[GPR_NR], before[GPR_NR], flags = 0x202, old = 0, value = 0;
	for (unsigned i = 0; i < GPR_NR; i++)
		g[i] = before[i] = 0x0101010101010101ull * (uint8_t)(i + (size > i ? data[size - 1 - i] : 0));
	if (size >= 8)
		memcpy(&old, data + size - 8, 8);
	bool store = insn_apply(&in, old, g, &flags, &value);
	unsigned written = in.op == INSN_CMPXCHG ? GPR_RAX : in.high_byte ? in.reg - 4u : in.reg;
	for (unsigned i = 0; i < GPR_NR; i++)
		if (g[i] != before[i] && (i != written || (in.op != INSN_XCHG && in.op != INSN_CMPXCHG)))
			abort();
	if (!store && in.op != INSN_CMPXCHG)
		abort();
	if (in.bytes < 8 && (value >> (8 * in.bytes)))
		abort();
	if ((flags & ~0x8d5ull) != 0x202)
		abort();
	return 0;
}

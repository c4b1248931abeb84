/* SPDX-License-Identifier: MIT */
/*
 * The instructions hv emulates for a guest, decoded from bytes the guest
 * controls, and what they do.  Pure: no guest access, no hypervisor state;
 * compiled into hv.elf and, unchanged, into the host's unit tests and a
 * fuzz target (fuzz/fuzz_insn.c).
 *
 * The stores Linux and our guest kernel make into their own pagetables,
 * whose write fault hv turns into a checked update (pv/ptwr.c):
 *
 *   mov  r/m, reg | imm        88 89 c6/0 c7/0
 *   xchg r/m, reg              86 87
 *   cmpxchg r/m, reg           0f b0, 0f b1
 *   or, and, xor r/m, reg|imm  08 09 20 21 30 31, 80 81 83 /1 /4 /6
 *   bts, btr, btc r/m, reg|imm 0f ab 0f b3 0f bb, 0f ba /5 /6 /7
 *
 * with the prefixes 66 (16-bit operand), REX (64-bit operand, r8-r15),
 * lock (f0, only where the CPU allows it), the segment overrides and 67
 * (the faulting address comes from cr2, so neither matters) and f2/f3
 * (ignored by the CPU for these, or lock hints).  Only memory destinations
 * decode: a register destination never faults on a store.  Anything else,
 * and anything longer than 15 bytes or than what could be read, does not
 * decode.
 */
#ifndef HV_X86_INSN_H
#define HV_X86_INSN_H

#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX_LEN 15

enum insn_op {
	INSN_MOV = 1,
	INSN_XCHG,
	INSN_CMPXCHG,
	INSN_OR,
	INSN_AND,
	INSN_XOR,
	INSN_BTS,
	INSN_BTR,
	INSN_BTC,
};

/* Registers in the hardware's numbering (ModRM), as gpr[] is indexed. */
enum { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI, GPR_NR = 16 };

struct insn {
	uint8_t len;        /* bytes, prefixes included */
	uint8_t op;         /* enum insn_op */
	uint8_t bytes;      /* operand size: 1, 2, 4 or 8 */
	uint8_t reg;        /* the register operand, 0-15 */
	bool high_byte;     /* reg 4-7 of a byte operand without REX: ah, ch, dh, bh */
	bool src_imm;       /* the source is imm, not reg */
	bool lock;
	uint64_t imm;       /* the immediate as the CPU extends it to the operand */
};

/* Decode the instruction at (code), of which (avail) bytes could be read.
 * 0 and (*i) if it is one of the stores above, complete within (avail) and
 * 15 bytes; -1 if not. */
int insn_decode(const uint8_t *code, unsigned avail, struct insn *i);

/* What (i) does to the (i->bytes)-byte value (old) it finds in memory, with
 * registers (gpr) and flags (*rflags): returns whether it stores, and the
 * value it stores in (*value); (gpr) and (*rflags) are left as the CPU
 * leaves them (an exchanged register, a failed cmpxchg's accumulator, the
 * arithmetic flags).  Register writes follow the CPU: a byte or word merges,
 * a doubleword zero-extends. */
bool insn_apply(const struct insn *i, uint64_t old, uint64_t gpr[GPR_NR], uint64_t *rflags,
		uint64_t *value);

#endif

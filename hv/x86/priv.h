/* SPDX-License-Identifier: MIT */
/*
 * The privileged instructions a PV kernel runs in ring 3 and hv emulates
 * on their #GP, as Xen's emulate_privileged_op accepts them, decoded from
 * bytes the guest controls.  Pure: compiled into hv.elf and, unchanged,
 * into the host's unit tests and a fuzz target (fuzz/fuzz_insn.c).
 *
 *   0f 30 wrmsr, 0f 32 rdmsr, 0f 06 clts, 0f 09 wbinvd
 *   0f 20 / 0f 22  mov from / to a control register (ModRM.reg, REX.R)
 *   0f 21 / 0f 23  mov from / to a debug register
 *   0f 01 d1       xsetbv (not with 66)
 *   fa cli, fb sti
 *   e4 e5 ec ed in, e6 e7 ee ef out (port imm8 or dx; 1, 2 or 4 bytes)
 *
 * Prefixes: 66 (I/O operand size), REX (control and debug register and
 * GPR extension; the last byte before the opcode), the segment overrides
 * and 67, which change nothing here.  lock, f2 and f3 make an instruction
 * we do not emulate (the CPU's #UD or a string form).  Anything longer
 * than 15 bytes or than could be read does not decode.
 */
#ifndef HV_X86_PRIV_H
#define HV_X86_PRIV_H

#include <stdbool.h>
#include <stdint.h>

enum priv_op {
	PRIV_WRMSR = 1,
	PRIV_RDMSR,
	PRIV_CLTS,
	PRIV_WBINVD,
	PRIV_READ_CR,
	PRIV_WRITE_CR,
	PRIV_READ_DR,
	PRIV_WRITE_DR,
	PRIV_CLI,
	PRIV_STI,
	PRIV_IN,
	PRIV_OUT,
	PRIV_XSETBV,
	PRIV_LAST = PRIV_XSETBV
};

struct priv_insn {
	uint8_t len;        /* bytes, prefixes included */
	uint8_t op;         /* enum priv_op */
	uint8_t ctl;        /* the control or debug register, 0-15 */
	uint8_t gpr;        /* the general register of a mov, 0-15 */
	uint8_t bytes;      /* in/out: 1, 2 or 4 */
	bool port_dx;       /* in/out: the port is dx, not (port) */
	uint8_t port;
};

/* Decode the instruction at (code), of which (avail) bytes could be read:
 * 0 and (*p) if it is one of the above, complete within (avail) and 15
 * bytes; -1 if not. */
int priv_decode(const uint8_t *code, unsigned avail, struct priv_insn *p);

#endif

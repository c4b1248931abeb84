/* SPDX-License-Identifier: MIT */
/*
 * A scenario file as a program one guest runs through real hypercalls: the
 * contract between the tool that compiles it (tools/sprog.c, from the
 * statements one guest can make) and the guest that runs it
 * (guest/xen/scenario.c).  The guest image carries an empty program in its
 * data, marked by SPROG_EMPTY; the tool writes a copy of the image with the
 * program in its place.  Fixed-size records, little-endian, as x86-64 lays
 * them out.
 */
#ifndef PVMMU_SPROG_H
#define PVMMU_SPROG_H

#include <stdint.h>

#define SPROG_EMPTY   0x7974706d6573656eull /* "nesempty": the place, not yet filled */
#define SPROG_MAGIC   0x676f72706f76766dull /* "mvvoprog": a program */
#define SPROG_MAX     256                   /* statements */
#define SPROG_FRAMES  1024                  /* the domain's frames at most */
#define SPROG_VCPUS   2                     /* vCPUs a statement may name */
#define SPROG_GUEST_SLOT 272                /* the guest's direct map's L4 slot: its own */

enum sprog_op {
	SP_WRITE, SP_UPDATE, SP_MACHPHYS, SP_PIN, SP_UNPIN, SP_BASEPTR, SP_USER_BASEPTR,
	SP_UVA, SP_FLUSH, SP_INVLPG, SP_LOAD, SP_STORE, SP_MULTICALL, SP_END,
};

/* An operand: a frame of the domain's (by its number), a machine frame, a
 * frame the domain does not own (SK_FOREIGN: the guest finds one; for
 * another domain's, the hypervisor's and free frames, which the rules
 * treat alike), or a raw value; as an entry, the frame's address with
 * (bits) added. */
enum sprog_kind { SK_ZERO, SK_PFN, SK_MFN, SK_RAW, SK_FOREIGN };
struct sprog_val {
	uint32_t kind, pad;
	uint64_t n;                 /* SK_PFN, SK_MFN: the frame number */
	uint64_t bits;              /* an entry's flags, or SK_RAW's value */
};

/* What the statement must give. */
enum sprog_expect { SX_OK, SX_ERRNO, SX_FAIL, SX_FAULT, SX_ANY };

#define SPF_PRESERVE_AD 1u          /* update: PRESERVE_AD */
#define SPF_ALL         2u          /* uva, flush, invlpg: every vCPU */
#define SPF_HAS_VALUE   4u          /* load: (want) is the value read */

struct sprog_insn {
	uint32_t line;              /* in the scenario file */
	uint8_t op, vcpu, expect, flags;
	int32_t err;                /* SX_ERRNO: the negative errno */
	uint32_t idx;               /* a slot; pin: the level; uva: the flush type */
	uint64_t va;
	struct sprog_val frame, value, want;
};

struct sprog {
	uint64_t magic;
	uint32_t n, frames, vcpus, pad;
	struct sprog_insn insn[SPROG_MAX];
};

_Static_assert(sizeof(struct sprog_insn) == 96, "sprog_insn is 96 bytes");

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Scenario files (*.pvs), parsed: the format is the contract in the
 * project's scenario spec (docs/SCENARIOS.md).  Parsing checks everything
 * that can be checked without running: syntax, names declared before use,
 * vCPU and frame numbers within what the domain was declared with.
 */
#ifndef TOOLS_SCENARIO_H
#define TOOLS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_LEN 32

enum op {
	OP_MACHINE, OP_DOMAIN, OP_CHECK, OP_WRITE, OP_UPDATE, OP_MACHPHYS, OP_PIN, OP_UNPIN,
	OP_BASEPTR, OP_USER_BASEPTR, OP_UVA, OP_FLUSH, OP_INVLPG, OP_LOAD, OP_STORE,
	OP_MULTICALL, OP_END, OP_TYPE, OP_DESTROY,
};

enum frame_kind { FR_DOMAIN, FR_HV, FR_FREE, FR_MFN, FR_NONE };

struct frame_ref {
	enum frame_kind kind;
	int dom;                 /* index into the scenario's domain names */
	uint64_t n;
};

enum entry_kind { EV_ZERO, EV_FRAME, EV_RAW };

struct entry_val {
	enum entry_kind kind;
	struct frame_ref frame;
	uint64_t flags;          /* EV_FRAME */
	uint64_t raw;            /* EV_RAW */
};

enum expect_kind { EX_OK, EX_ERRNO, EX_FAIL, EX_FAULT, EX_CRASH, EX_ANY, EX_TYPE };

struct expect {
	enum expect_kind kind;
	int err;                 /* EX_ERRNO: positive Xen errno */
	bool has_value;          /* EX_OK on load: the value read */
	struct entry_val value;
	int type;                /* EX_TYPE: -1 if not given, else enum frame_type */
	bool pinned;
	bool has_count;
	uint64_t count;
};

struct stmt {
	int line;
	enum op op;
	int dom;                 /* actor's domain index, or -1 */
	unsigned vcpu;
	bool in_multicall;
	struct frame_ref frame;
	unsigned idx;            /* slot for write/update */
	unsigned level;          /* pin */
	struct entry_val entry;  /* write, update, uva, store */
	uint64_t va;
	uint64_t num;            /* machphys pfn; machine/domain frames */
	unsigned vcpus;          /* domain */
	bool flag;               /* update: preserve-ad; machine: l1tf */
	unsigned flush;          /* uva: UVMF_NONE/TLB_FLUSH/INVLPG */
	bool all;                /* uva, flush, invlpg */
	struct expect ex;
};

struct scenario {
	const char *file;
	struct stmt *stmts;
	size_t n;
	char names[64][NAME_MAX_LEN];
	unsigned nr_names;
};

/* Parse (text) of file (file).  Returns 0, or -1 with "FILE:LINE: what"
 * in (err).  The scenario keeps a pointer to (file). */
int scenario_parse(struct scenario *sc, const char *file, const char *text,
		   char *err, size_t errlen);
void scenario_free(struct scenario *sc);

/* Which statements of (sc) come out as it expects on a machine whose vCPUs
 * keep every translation they made (the sim's) but not on one whose vCPUs
 * keep none, or the other way round: those depend on what a CPU's TLB
 * holds, which a real CPU may or may not keep.  (depends) has sc->n
 * entries.  Runs the file twice on the sim host (replay.c). */
void replay_tlb_dependence(const struct scenario *sc, bool *depends);

/* The name of Xen errno (err), or NULL; and the reverse. */
const char *errno_name(int err);
int errno_by_name(const char *name);

#endif

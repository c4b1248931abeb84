/* SPDX-License-Identifier: MIT */
/*
 * pvmmu replay --host qemu|xen: a scenario file run through real
 * hypercalls by one guest, on hv or on Xen 4.17.  The statements one guest
 * can make as the scenario's first domain are compiled into a program
 * (pvmmu/sprog.h) and written into a copy of the guest image; the guest
 * runs them and says how each came out.  Every other statement is skipped,
 * with the reason, and counted: what a second domain does, frames a guest
 * cannot name (another domain's, the hypervisor's, free ones; on Xen any
 * machine frame by number, which is I/O memory to its dom0), what a guest
 * cannot see (a frame's type and counts, the audit), a crash and what
 * follows it, vCPUs past the second, and on Xen whatever a statement Xen
 * answered otherwise left behind (none so far).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pvmmu/sprog.h>
#include "qemu.h"
#include "scenario.h"

/* Why statement i does not run, or NULL. */
static const char *skip_reason(const struct stmt *st, bool xen, bool *crashed)
{
	const struct frame_ref *refs[3] = { &st->frame, &st->entry.frame, &st->ex.value.frame };
	bool has[3] = { st->op == OP_WRITE || st->op == OP_UPDATE || st->op == OP_MACHPHYS || st->op == OP_PIN ||
				st->op == OP_UNPIN || st->op == OP_BASEPTR || st->op == OP_USER_BASEPTR,
			st->entry.kind == EV_FRAME, st->ex.has_value && st->ex.value.kind == EV_FRAME };
	if (*crashed)
		return "after a crash";
	if (st->ex.kind == EX_CRASH) {
		*crashed = true;
		return "a crash, which ends the guest";
	}
	switch (st->op) {
	case OP_MACHINE: return "the machine's size and options (the host's)";
	case OP_DOMAIN: return st->dom ? "a second domain (one guest is one domain)" : NULL;
	case OP_TYPE: return "a frame's type and counts (not visible to a guest)";
	case OP_CHECK: return "the audit (hv's own)";
	case OP_DESTROY: return "destroying the domain";
	default: break;
	}
	if (st->dom > 0)
		return "a second domain (one guest is one domain)";
	if (st->vcpu >= SPROG_VCPUS)
		return "vCPU 2 and up";
	/* the guest's own direct map: L4 slot 272, 0xffff880000000000 on */
	if (((st->op == OP_WRITE || st->op == OP_UPDATE) && st->idx == SPROG_GUEST_SLOT) ||
	    ((st->op == OP_LOAD || st->op == OP_STORE || st->op == OP_UVA || st->op == OP_INVLPG) &&
	     (st->va >> 39) == (0x1ffffull << 9 | SPROG_GUEST_SLOT)))
		return "the guest's own L4 slot (272, its direct map, where it runs)";
	for (unsigned i = 0; i < 3; i++) {
		if (!has[i] || (st->op == OP_USER_BASEPTR && refs[i]->kind == FR_NONE))
			continue;
		bool foreign = (refs[i]->kind == FR_DOMAIN && refs[i]->dom > 0) || refs[i]->kind == FR_HV ||
			       refs[i]->kind == FR_FREE;
		if (xen && (foreign || refs[i]->kind == FR_MFN))
			return "a frame not its own (any of them a dom0 of Xen's may map)";
	}
	return NULL;
}

static uint32_t kind_of(const struct frame_ref *f)
{
	switch (f->kind) {
	case FR_NONE: return SK_ZERO;
	case FR_MFN: return SK_MFN;
	case FR_DOMAIN: return f->dom ? SK_FOREIGN : SK_PFN;
	default: return SK_FOREIGN;
	}
}

static struct sprog_val val_of(const struct entry_val *e)
{
	switch (e->kind) {
	case EV_RAW: return (struct sprog_val){ SK_RAW, 0, 0, e->raw };
	case EV_FRAME: return (struct sprog_val){ kind_of(&e->frame), 0, e->frame.n, e->flags };
	default: return (struct sprog_val){ SK_ZERO, 0, 0, 0 };
	}
}

static struct sprog_val frame_of(const struct frame_ref *f)
{
	return (struct sprog_val){ kind_of(f), 0, f->n, 0 };
}

static const uint8_t op_of[] = {
	[OP_WRITE] = SP_WRITE, [OP_UPDATE] = SP_UPDATE, [OP_MACHPHYS] = SP_MACHPHYS, [OP_PIN] = SP_PIN,
	[OP_UNPIN] = SP_UNPIN, [OP_BASEPTR] = SP_BASEPTR, [OP_USER_BASEPTR] = SP_USER_BASEPTR,
	[OP_UVA] = SP_UVA, [OP_FLUSH] = SP_FLUSH, [OP_INVLPG] = SP_INVLPG, [OP_LOAD] = SP_LOAD,
	[OP_STORE] = SP_STORE, [OP_MULTICALL] = SP_MULTICALL, [OP_END] = SP_END,
};

static struct sprog_insn insn_of(const struct stmt *st)
{
	struct sprog_insn in = { .line = (uint32_t)st->line, .op = op_of[st->op], .vcpu = (uint8_t)st->vcpu,
				 .va = st->va, .frame = frame_of(&st->frame), .value = val_of(&st->entry) };
	static const uint8_t expect_of[] = { [EX_OK] = SX_OK, [EX_ERRNO] = SX_ERRNO, [EX_FAIL] = SX_FAIL,
					     [EX_FAULT] = SX_FAULT, [EX_ANY] = SX_ANY };
	in.expect = expect_of[st->ex.kind];
	in.err = -st->ex.err;
	in.idx = st->op == OP_PIN ? st->level : st->op == OP_UVA ? st->flush : st->idx;
	in.flags = (uint8_t)((st->op == OP_UPDATE && st->flag ? SPF_PRESERVE_AD : 0) | (st->all ? SPF_ALL : 0) |
			     (st->ex.has_value ? SPF_HAS_VALUE : 0));
	if (st->op == OP_MACHPHYS)
		in.value = (struct sprog_val){ SK_RAW, 0, 0, st->num };
	if (st->ex.has_value)
		in.want = val_of(&st->ex.value);
	return in;
}

struct compiled {
	struct sprog prog;
	const char *why[SPROG_MAX * 2];  /* per statement: why skipped, or NULL */
};

/* A multicall runs whole or not at all: every statement in it must run
 * and be a hypercall. */
static void skip_partial_multicalls(const struct scenario *sc, struct compiled *c)
{
	for (size_t i = 0; i < sc->n; i++) {
		if (sc->stmts[i].op != OP_MULTICALL)
			continue;
		size_t end = i + 1;
		bool whole = !c->why[i];
		for (; end < sc->n && sc->stmts[end].op != OP_END; end++)
			whole &= !c->why[end] && sc->stmts[end].op != OP_WRITE && sc->stmts[end].op != OP_LOAD &&
				 sc->stmts[end].op != OP_STORE;
		for (size_t k = i; !whole && k <= end && k < sc->n; k++)
			c->why[k] = c->why[k] ? c->why[k] : "part of a multicall that cannot run whole";
		i = end;
	}
}

/* Does (st), made as the file expects, change what later statements see? */
static bool changes_state(const struct stmt *st)
{
	return st->ex.kind == EX_OK && st->op != OP_TYPE && st->op != OP_CHECK && st->op != OP_LOAD &&
	       st->op != OP_FLUSH && st->op != OP_INVLPG;
}

/* Compile (sc): 0, or -1 with why in (err) if it cannot run at all. */
static int compile(const struct scenario *sc, bool xen, struct compiled *c, char *err, size_t len)
{
	static bool depends[SPROG_MAX * 2];
	bool crashed = false, tainted = false;
	memset(c, 0, sizeof(*c));
	if (sc->n > SPROG_MAX * 2) {
		snprintf(err, len, "more statements than a program holds");
		return -1;
	}
	replay_tlb_dependence(sc, depends);
	for (size_t i = 0; i < sc->n; i++) {
		const struct stmt *st = &sc->stmts[i];
		c->why[i] = tainted ? "after a change it could not make" : skip_reason(st, xen, &crashed);
		if (!c->why[i] && depends[i])
			c->why[i] = "depends on what the CPU's TLB kept, which a CPU may or may not keep";
		/* what the first domain would have changed and did not: the rest
		 * may see another state than the file means */
		tainted |= c->why[i] && st->dom == 0 && changes_state(st) && st->op != OP_DOMAIN;
		if (st->op == OP_DOMAIN && st->dom == 0) {
			c->prog.frames = (uint32_t)st->num;
			c->prog.vcpus = st->vcpus ? st->vcpus : 1;
		}
	}
	if (c->prog.frames > SPROG_FRAMES || c->prog.vcpus > SPROG_VCPUS) {
		snprintf(err, len, "its domain has more frames or vCPUs than a program takes");
		return -1;
	}
	skip_partial_multicalls(sc, c);
	c->prog.magic = SPROG_MAGIC;
	for (size_t i = 0; i < sc->n; i++) {
		if (c->why[i] || sc->stmts[i].op == OP_DOMAIN)
			continue;
		if (c->prog.n == SPROG_MAX) {
			snprintf(err, len, "more statements than a program holds");
			return -1;
		}
		c->prog.insn[c->prog.n++] = insn_of(&sc->stmts[i]);
	}
	return 0;
}

/* A copy of the guest image at (from) with (p) in place of its empty
 * program, at (to): 0 or -1. */
static int write_image(const char *from, const char *to, const struct sprog *p)
{
	FILE *f = fopen(from, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	uint8_t *img = malloc((size_t)n);
	bool read_ok = fread(img, 1, (size_t)n, f) == (size_t)n;
	fclose(f);
	const uint64_t empty = SPROG_EMPTY;
	long at = -1;
	for (long i = 0; read_ok && i + (long)sizeof(*p) <= n; i += 8)
		if (!memcmp(img + i, &empty, 8)) {
			at = i;
			break;
		}
	int rc = -1;
	if (at >= 0 && (f = fopen(to, "wb"))) {
		memcpy(img + at, p, sizeof(*p));
		rc = fwrite(img, 1, (size_t)n, f) == (size_t)n ? 0 : -1;
		rc |= fclose(f);
	}
	free(img);
	return rc;
}

/* What the guest said: per statement that ran, its line, result and
 * whether it came out as the file expects. */
struct results {
	unsigned n;
	struct {
		int line;
		long got;
		bool ok;
	} r[SPROG_MAX];
	bool done;
};

static void on_line(void *arg, const char *line)
{
	struct results *r = arg;
	const char *at;
	if ((at = strstr(line, "pvmmu-scenario-done ")))
		r->done = true;
	else if ((at = strstr(line, "pvmmu-scenario line=")) && r->n < SPROG_MAX) {
		const char *got = strstr(at, " got=");
		r->r[r->n].line = atoi(at + 20);
		r->r[r->n].got = got ? strtol(got + 5, NULL, 10) : 0;
		r->r[r->n].ok = strstr(at, " ok=1") != NULL;
		r->n++;
	}
}

static const struct stmt *stmt_at(const struct scenario *sc, int line)
{
	for (size_t i = 0; i < sc->n; i++)
		if (sc->stmts[i].line == line)
			return &sc->stmts[i];
	return NULL;
}

/* An entry with cache attributes (PWT, PCD, or PAT at L1), which Xen lets
 * its dom0 set (l1_disallow_mask: it has I/O memory). */
static bool cache_attributes(const struct stmt *st)
{
	const uint64_t attrs = (1u << 3) | (1u << 4) | (1u << 7);
	return st && ((st->entry.kind == EV_FRAME && (st->entry.flags & attrs)) ||
		      (st->entry.kind == EV_RAW && (st->entry.raw & 1) && (st->entry.raw & attrs)));
}

struct tally {
	unsigned ran, ok, as_dom0, after_dom0;
	char bad[1024];
};

/* Judge what ran: on Xen a refusal the file expects that its dom0 is not
 * given (cache attributes) is Xen's dom0 answer, and what follows it saw
 * another state than the file means. */
static void judge(const struct scenario *sc, const struct results *r, bool xen, struct tally *t)
{
	bool after = false;
	for (unsigned i = 0; i < r->n; i++) {
		const struct stmt *st = stmt_at(sc, r->r[i].line);
		if (after) {
			t->after_dom0++;
			continue;
		}
		t->ran++;
		if (r->r[i].ok) {
			t->ok++;
			continue;
		}
		if (xen && r->r[i].got == 0 && st && st->ex.kind != EX_OK && cache_attributes(st)) {
			t->as_dom0++;
			after = true;
			continue;
		}
		char one[96];
		snprintf(one, sizeof(one), "\n    line %d: got %ld", r->r[i].line, r->r[i].got);
		if (strlen(t->bad) + strlen(one) < sizeof(t->bad))
			strcat(t->bad, one);
	}
}

/* Print the skipped statements of (sc) by reason. */
static void print_skips(const struct scenario *sc, const struct compiled *c)
{
	const char *seen[16];
	unsigned count[16], n = 0;
	for (size_t i = 0; i < sc->n; i++) {
		if (!c->why[i] || sc->stmts[i].op == OP_MACHINE || sc->stmts[i].op == OP_DOMAIN)
			continue;
		unsigned k = 0;
		while (k < n && strcmp(seen[k], c->why[i]))
			k++;
		if (k == n && n < 16)
			seen[n] = c->why[i], count[n++] = 0;
		if (k < n)
			count[k]++;
	}
	for (unsigned k = 0; k < n; k++)
		printf("%s%u %s", k ? ", " : "; skipped: ", count[k], seen[k]);
}

int sprog_replay(const struct qemu_opts *o, const struct scenario *sc, unsigned *ran, unsigned *agreed)
{
	static struct compiled c;
	char err[256], dir[] = "/tmp/pvmmu-sprog.XXXXXX", image[64], cmdline[64];
	const char *host = o->xen ? "Xen 4.17" : "hv";
	if (compile(sc, o->xen, &c, err, sizeof(err))) {
		printf("%s: not run on %s: %s\n", sc->file, host, err);
		return 0;
	}
	unsigned statements = 0;
	for (size_t i = 0; i < sc->n; i++)
		statements += sc->stmts[i].op != OP_MACHINE && sc->stmts[i].op != OP_DOMAIN;
	static struct results r;
	struct tally t = { 0 };
	memset(&r, 0, sizeof(r));
	if (c.prog.n) {
		char guest[4096];
		qemu_image_path(guest, sizeof(guest), "guest.elf");
		if (!mkdtemp(dir))
			return -1;
		snprintf(image, sizeof(image), "%s/guest.elf", dir);
		if (write_image(guest, image, &c.prog)) {
			fprintf(stderr, "pvmmu: %s has no room for a scenario program\n", guest);
			rmdir(dir);
			return -1;
		}
		struct qemu_opts q = *o;
		q.guest = image;
		snprintf(cmdline, sizeof(cmdline), "pages=16384 vcpus=%u scenario=1", c.prog.vcpus);
		int code = qemu_boot(&q, false, cmdline, 16384, on_line, &r);
		remove(image);
		rmdir(dir);
		if (code == -1)
			return -1;
		judge(sc, &r, o->xen, &t);
		if (!r.done && strlen(t.bad) + 40 < sizeof(t.bad))
			strcat(t.bad, "\n    the guest did not finish the program");
	}
	printf("%s: %u of %u statements ran on %s, %u as the file expects", sc->file, t.ran, statements, host,
	       t.ok);
	if (t.as_dom0)
		printf(", %u as Xen answers its dom0 (cache attributes) and %u after it, not judged", t.as_dom0,
		       t.after_dom0);
	print_skips(sc, &c);
	printf("%s\n", t.bad);
	*ran += t.ran - t.as_dom0;
	*agreed += t.ok;
	return t.ok + t.as_dom0 == t.ran && (r.done || !c.prog.n) ? 0 : 1;
}

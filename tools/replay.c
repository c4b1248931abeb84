/* SPDX-License-Identifier: MIT */
/*
 * pvmmu replay: run scenario files against the hypervisor core on the sim
 * host, each file on a fresh machine, the audit after every statement.
 *
 * A statement's outcome is one of ok (with a value for load), an errno,
 * fault, crash, or "bad" (the statement could not be carried out: a frame
 * that does not exist at run time, a domain that crashed).  It passes if it
 * matches the expectation and the audit holds afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/env.h"
#include "../core/frame.h"
#include "../core/hypercall.h"
#include "../core/ptwr.h"
#include "../sim/sim.h"
#include "cli.h"
#include "qemu.h"
#include "scenario.h"

#define MC_MAX 256

/* Request buffers the runner hands to hypercalls: guest memory. */
static struct {
	struct mmu_update mu[MC_MAX];
	struct mmuext_op mo[MC_MAX];
	struct multicall_entry mc[MC_MAX];
} arena;

enum outcome_kind { O_OK, O_ERR, O_FAULT, O_CRASH, O_BAD };

struct outcome {
	enum outcome_kind kind;
	int err;
	bool has_value;
	uint64_t value;
	char text[160];
};

struct runner {
	const struct scenario *sc;
	struct sim_options opt;
	struct sim *s;
	struct sim_domain *dom[64];
	unsigned passed, failed;
	const struct stmt *mc[MC_MAX];
	unsigned mc_n;
	bool uncached;           /* no translation kept from one access to the next */
	bool *agreed;            /* if set: per statement, whether it came out as expected;
				  * nothing printed */
};

static bool resolve(struct runner *r, const struct frame_ref *f, mfn_t *out, struct outcome *o)
{
	switch (f->kind) {
	case FR_DOMAIN:
		if (!r->dom[f->dom]) {
			*o = (struct outcome){ .kind = O_BAD };
			snprintf(o->text, sizeof(o->text), "domain %s is gone", r->sc->names[f->dom]);
			return false;
		}
		*out = r->dom[f->dom]->p2m[f->n];
		return true;
	case FR_HV:
		*out = _mfn(f->n);
		if (f->n < r->s->nr_hv)
			return true;
		break;
	case FR_FREE:
		*out = sim_free_frame(r->s, f->n);
		if (!mfn_eq(*out, INVALID_MFN))
			return true;
		break;
	case FR_MFN:
		*out = _mfn(f->n);
		return true;
	case FR_NONE:
		*out = _mfn(0);
		return true;
	}
	*o = (struct outcome){ .kind = O_BAD };
	snprintf(o->text, sizeof(o->text), "no such frame %s:%llu", f->kind == FR_HV ? "hv" : "free",
		 (unsigned long long)f->n);
	return false;
}

static bool entry_value(struct runner *r, const struct entry_val *e, uint64_t *v, struct outcome *o)
{
	mfn_t mfn;
	if (e->kind == EV_ZERO)
		*v = 0;
	else if (e->kind == EV_RAW)
		*v = e->raw;
	else if (!resolve(r, &e->frame, &mfn, o))
		return false;
	else
		*v = pte_make(mfn, e->flags);
	return true;
}

static void from_rc(struct outcome *o, long rc, const struct vcpu *v)
{
	*o = (struct outcome){ .kind = rc ? O_ERR : O_OK, .err = (int)-rc };
	if (rc && v->reason)
		snprintf(o->text, sizeof(o->text), "%s", v->reason);
}

static struct outcome fault(const char *why)
{
	struct outcome o = { .kind = O_FAULT };
	snprintf(o.text, sizeof(o.text), "%s", why);
	return o;
}

static void mmuext(struct multicall_entry *e, struct mmuext_op *op, unsigned cmd, uint64_t arg1)
{
	*op = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = arg1 };
	*e = (struct multicall_entry){ .op = HYPERVISOR_mmuext_op,
				       .args = { (uint64_t)(uintptr_t)op, 1, 0, DOMID_SELF } };
}

/* Turn a hypercall statement into a multicall entry using buffers (slot). */
static bool build_call(struct runner *r, const struct stmt *st, unsigned slot, struct outcome *o)
{
	struct multicall_entry *e = &arena.mc[slot];
	struct mmu_update *mu = &arena.mu[slot];
	struct mmuext_op *mo = &arena.mo[slot];
	mfn_t mfn = _mfn(0);
	uint64_t val = 0;

	if ((st->op == OP_UPDATE || st->op == OP_MACHPHYS || st->op == OP_PIN || st->op == OP_UNPIN ||
	     st->op == OP_BASEPTR || st->op == OP_USER_BASEPTR) &&
	    !resolve(r, &st->frame, &mfn, o))
		return false;
	if ((st->op == OP_UPDATE || st->op == OP_UVA) && !entry_value(r, &st->entry, &val, o))
		return false;
	uint64_t maddr = mfn_x(mfn) << PAGE_SHIFT;
	switch (st->op) {
	case OP_UPDATE:
	case OP_MACHPHYS:
		*mu = (struct mmu_update){ maddr + st->idx * 8, st->op == OP_MACHPHYS ? st->num : val };
		mu->ptr |= st->op == OP_MACHPHYS ? MMU_MACHPHYS_UPDATE
			   : st->flag ? MMU_PT_UPDATE_PRESERVE_AD : MMU_NORMAL_PT_UPDATE;
		*e = (struct multicall_entry){ .op = HYPERVISOR_mmu_update,
					       .args = { (uint64_t)(uintptr_t)mu, 1, 0, DOMID_SELF } };
		break;
	case OP_PIN:
		mmuext(e, mo, MMUEXT_PIN_L1_TABLE + st->level - 1, mfn_x(mfn));
		break;
	case OP_UNPIN:
		mmuext(e, mo, MMUEXT_UNPIN_TABLE, mfn_x(mfn));
		break;
	case OP_BASEPTR:
		mmuext(e, mo, MMUEXT_NEW_BASEPTR, mfn_x(mfn));
		break;
	case OP_USER_BASEPTR:
		mmuext(e, mo, MMUEXT_NEW_USER_BASEPTR, mfn_x(mfn));
		break;
	case OP_FLUSH:
		mmuext(e, mo, st->all ? MMUEXT_TLB_FLUSH_ALL : MMUEXT_TLB_FLUSH_LOCAL, 0);
		break;
	case OP_INVLPG:
		mmuext(e, mo, st->all ? MMUEXT_INVLPG_ALL : MMUEXT_INVLPG_LOCAL, st->va);
		break;
	case OP_UVA:
		*e = (struct multicall_entry){ .op = HYPERVISOR_update_va_mapping,
					       .args = { st->va, val, st->flush | (st->all ? UVMF_ALL : 0) } };
		break;
	default:
		return false;
	}
	return true;
}

static struct vcpu *actor(struct runner *r, const struct stmt *st)
{
	struct sim_domain *sd = st->dom >= 0 ? r->dom[st->dom] : NULL;
	return sd ? sd->vcpus[st->vcpu].v : NULL;
}

static const char *type_name(unsigned t)
{
	static const char *const names[] = { "none", "l1", "l2", "l3", "l4", "?", "?", "writable" };
	return names[t & 7];
}

static struct outcome run_type(struct runner *r, const struct stmt *st)
{
	struct outcome o = { .kind = O_OK };
	mfn_t mfn;
	if (!resolve(r, &st->frame, &mfn, &o))
		return o;
	if (!frame_valid(r->s->m, mfn)) {
		snprintf(o.text, sizeof(o.text), "none count=0");
		return o;
	}
	uint64_t x = frame_word(r->s->m, mfn);
	snprintf(o.text, sizeof(o.text), "%s%s count=%llu", fw_tc(x) ? type_name(fw_type(x)) : "none",
		 (x & FW_PINNED) ? " pinned" : "", (unsigned long long)fw_tc(x));
	o.value = x;
	return o;
}

static struct outcome run_memory(struct runner *r, const struct stmt *st, struct vcpu *v)
{
	struct sim_vcpu *sv = v->host;
	struct outcome o = { .kind = O_OK };
	uint64_t val = 0;
	mfn_t mfn;

	if (st->op != OP_LOAD && !entry_value(r, &st->entry, &val, &o))
		return o;
	if (st->op == OP_WRITE) {
		if (!resolve(r, &st->frame, &mfn, &o))
			return o;
		long rc = sim_write_frame(v, mfn, st->idx, val);
		return rc ? fault(v->reason) : o;
	}
	if (st->va & 7)
		return fault("address is not 8-byte aligned");
	if (r->uncached)
		env_flush_tlb(v);
	enum sim_fault f = st->op == OP_LOAD ? sim_load(r->s, sv, st->va, &o.value)
					     : sim_store(r->s, sv, st->va, val);
	if (f != SIM_OK)
		return fault(f == SIM_FAULT_NP ? "page not present" : f == SIM_FAULT_PROT ? "page not accessible from the guest kernel" : "write to a read-only page");
	o.has_value = st->op == OP_LOAD;
	return o;
}


static struct outcome run_machine_stmt(struct runner *r, const struct stmt *st)
{
	struct outcome o = { .kind = O_OK };
	if (st->op == OP_MACHINE) {
		r->opt.frames = st->num;
		r->opt.l1tf = st->flag;
		if (r->s)
			sim_destroy(r->s);
		r->s = sim_create(&r->opt);
		if (!r->s) {
			o.kind = O_BAD;
			snprintf(o.text, sizeof(o.text), "machine cannot be built");
		}
		return o;
	}
	if (st->op == OP_DOMAIN) {
		r->dom[st->dom] = sim_domain_create(r->s, st->num, st->vcpus);
		if (!r->dom[st->dom]) {
			o = (struct outcome){ .kind = O_ERR, .err = XEN_ENOMEM };
			snprintf(o.text, sizeof(o.text), "machine has too few free frames or domain slots");
		}
	}
	return o;
}

static struct outcome run_one(struct runner *r, const struct stmt *st)
{
	struct outcome o = { .kind = O_OK };
	struct vcpu *v = actor(r, st);

	if (st->op == OP_MACHINE || st->op == OP_DOMAIN || st->op == OP_CHECK)
		return run_machine_stmt(r, st);
	if (st->op == OP_TYPE)
		return run_type(r, st);
	if (!v) {
		o.kind = O_BAD;
		snprintf(o.text, sizeof(o.text), "domain %s is gone", r->sc->names[st->dom]);
		return o;
	}
	switch (st->op) {
	case OP_DESTROY:
		sim_domain_destroy(r->s, r->dom[st->dom]);
		r->dom[st->dom] = NULL;
		return o;
	case OP_MULTICALL:
		r->mc_n = 0;
		return o;
	case OP_WRITE:
	case OP_LOAD:
	case OP_STORE:
		return run_memory(r, st, v);
	default:
		break;
	}
	if (!build_call(r, st, 0, &o))
		return o;
	long rc = sim_hypercall(v, arena.mc[0].op, arena.mc[0].args);
	from_rc(&o, rc, v);
	return o;
}

static void describe_expect(struct runner *r, const struct expect *ex, char *buf, size_t len)
{
	struct outcome scratch;
	uint64_t want;
	switch (ex->kind) {
	case EX_OK:
		if (ex->has_value && entry_value(r, &ex->value, &want, &scratch))
			snprintf(buf, len, "ok 0x%llx", (unsigned long long)want);
		else
			snprintf(buf, len, "ok");
		break;
	case EX_ERRNO:
		snprintf(buf, len, "%s", errno_name(ex->err));
		break;
	case EX_FAIL:
		snprintf(buf, len, "fail");
		break;
	case EX_FAULT:
		snprintf(buf, len, "fault");
		break;
	case EX_CRASH:
		snprintf(buf, len, "crash");
		break;
	case EX_ANY:
		snprintf(buf, len, "any");
		break;
	case EX_TYPE:
		snprintf(buf, len, "%s%s", ex->type >= 0 ? type_name((unsigned)ex->type) : "",
			 ex->pinned ? " pinned" : "");
		if (ex->has_count)
			snprintf(buf + strlen(buf), len - strlen(buf), " count=%llu",
				 (unsigned long long)ex->count);
		break;
	}
}

static void describe_outcome(const struct outcome *o, char *buf, size_t len)
{
	const char *name = errno_name(o->err);
	switch (o->kind) {
	case O_OK:
		if (o->has_value)
			snprintf(buf, len, "ok 0x%llx", (unsigned long long)o->value);
		else
			snprintf(buf, len, "%s", *o->text ? o->text : "ok");
		return;
	case O_ERR:
		if (name)
			snprintf(buf, len, "%s (%s)", name, *o->text ? o->text : "no reason given");
		else
			snprintf(buf, len, "error %d (%s)", o->err, o->text);
		return;
	case O_FAULT:
		snprintf(buf, len, "fault (%s)", o->text);
		return;
	case O_CRASH:
		snprintf(buf, len, "crash (%s)", o->text);
		return;
	case O_BAD:
		snprintf(buf, len, "nothing done: %s", o->text);
		return;
	}
}

static bool type_matches(const struct expect *ex, const struct outcome *o)
{
	uint64_t x = o->value;
	unsigned t = fw_tc(x) ? fw_type(x) : FT_NONE;
	return (ex->type < 0 || (unsigned)ex->type == t) && (!ex->pinned || (x & FW_PINNED)) &&
	       (!ex->has_count || ex->count == fw_tc(x));
}

static bool matches(struct runner *r, const struct expect *ex, const struct outcome *o)
{
	struct outcome scratch;
	uint64_t want;
	if (o->kind == O_BAD)
		return false;
	switch (ex->kind) {
	case EX_OK:
		if (o->kind != O_OK)
			return false;
		return !ex->has_value || (entry_value(r, &ex->value, &want, &scratch) && want == o->value);
	case EX_ERRNO:
		return o->kind == O_ERR && o->err == ex->err;
	case EX_FAIL:
		return o->kind == O_ERR;
	case EX_FAULT:
		return o->kind == O_FAULT;
	case EX_CRASH:
		return o->kind == O_CRASH;
	case EX_ANY:
		return true;
	case EX_TYPE:
		return o->kind == O_OK && type_matches(ex, o);
	}
	return false;
}

/* Judge one statement: its outcome, then the audit. */
static void judge(struct runner *r, const struct stmt *st, const struct outcome *o)
{
	char want[96], got[256], msg[256];
	bool ok = matches(r, &st->ex, o);

	if (r->agreed) {
		r->agreed[st - r->sc->stmts] = ok;
		return;
	}
	if (!ok) {
		describe_expect(r, &st->ex, want, sizeof(want));
		describe_outcome(o, got, sizeof(got));
		printf("%s:%d: expected %s, got %s\n", r->sc->file, st->line, want, got);
	}
	if (r->s && !sim_audit(r->s, msg, sizeof(msg))) {
		printf("%s:%d: audit failed: %s\n", r->sc->file, st->line, msg);
		ok = false;
	}
	if (ok)
		r->passed++;
	else
		r->failed++;
}

/* If the actor's domain crashed, say so and reclaim it. */
static bool reap_crash(struct runner *r, const struct stmt *st, struct outcome *o)
{
	struct sim_domain *sd = st->dom >= 0 ? r->dom[st->dom] : NULL;
	if (!sd || !sd->d->crashed)
		return false;
	*o = (struct outcome){ .kind = O_CRASH };
	snprintf(o->text, sizeof(o->text), "%s", sd->d->crash_reason);
	sim_domain_destroy(r->s, sd);
	r->dom[st->dom] = NULL;
	return true;
}

static void run_multicall(struct runner *r, const struct stmt *end)
{
	struct vcpu *v = actor(r, end);
	struct outcome o[MC_MAX + 1];
	unsigned n = 0, last = 0;
	bool built = true;

	for (unsigned i = 0; i < r->mc_n; i++) {
		built = built && build_call(r, r->mc[i], i, &o[i]);
		arena.mc[i].result = 0xdeadbeefull;
	}
	if (!v || !built) {
		struct outcome bad = { .kind = O_BAD };
		snprintf(bad.text, sizeof(bad.text), v ? "an entry could not be built" : "domain is gone");
		for (unsigned i = 0; i < r->mc_n; i++)
			judge(r, r->mc[i], &bad);
		judge(r, end, &bad);
		return;
	}
	long rc = sim_hypercall(v, HYPERVISOR_multicall, (uint64_t[6]){ (uint64_t)(uintptr_t)arena.mc, r->mc_n });
	for (unsigned i = 0; i < r->mc_n; i++)
		if (arena.mc[i].result != 0xdeadbeefull)
			last = i + 1;
	from_rc(&o[MC_MAX], rc, v);
	bool crashed = reap_crash(r, end, &o[MC_MAX]);
	for (n = 0; n < r->mc_n; n++) {
		if (n >= last) {
			o[n] = (struct outcome){ .kind = O_BAD };
			snprintf(o[n].text, sizeof(o[n].text), "entry not run");
		} else if (crashed && n + 1 == last) {
			o[n] = o[MC_MAX];
		} else {
			o[n] = (struct outcome){ .kind = arena.mc[n].result ? O_ERR : O_OK,
						 .err = (int)-(long)arena.mc[n].result };
		}
		judge(r, r->mc[n], &o[n]);
	}
	judge(r, end, &o[MC_MAX]);
}

static void run_scenario(struct runner *r, const struct scenario *sc)
{
	r->sc = sc;
	memset(r->dom, 0, sizeof(r->dom));
	r->s = (sc->n && sc->stmts[0].op == OP_MACHINE) ? NULL : sim_create(&r->opt);
	for (size_t i = 0; i < sc->n; i++) {
		const struct stmt *st = &sc->stmts[i];
		struct outcome o;
		if (st->in_multicall) {
			r->mc[r->mc_n++] = st;
			continue;
		}
		if (st->op == OP_END) {
			run_multicall(r, st);
			continue;
		}
		if (!r->s && st->op != OP_MACHINE) {
			o = (struct outcome){ .kind = O_BAD };
			snprintf(o.text, sizeof(o.text), "no machine");
		} else {
			o = run_one(r, st);
			reap_crash(r, st, &o);
		}
		judge(r, st, &o);
	}
	if (r->s)
		sim_destroy(r->s);
	r->s = NULL;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = 0;
	if (strlen(buf) != n) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;
}

static const char replay_usage[] =
	"usage: pvmmu replay [--seed N] FILE...\n"
	"       pvmmu replay --host qemu|xen [--timeout S] FILE...\n"
	"\n"
	"Run scenario files against the hypervisor core on the sim host, each on a\n"
	"fresh machine, with the audit after every statement.  Prints one line per\n"
	"failed statement and a closing 'replay: N passed, N failed'.\n"
	"\n"
	"With --host, run each file through real hypercalls instead: one guest,\n"
	"the file's first domain, makes the statements it can, on hv (qemu) or on\n"
	"Xen 4.17 as its dom0 (xen).  Prints per file how many statements ran, how\n"
	"many came out as the file expects, which did not, and why the others were\n"
	"skipped.\n"
	"\n"
	"  --seed N     seed of the pfn -> mfn shuffle (default 1; sim)\n"
	"  --host H     qemu or xen: through a guest under QEMU\n"
	"  --timeout S  stop a guest after S seconds (default 120)\n"
	"\n"
	"Exit status: 0 all passed, 1 some failed, 2 usage or a file that cannot be parsed.\n";

void replay_tlb_dependence(const struct scenario *sc, bool *depends)
{
	bool *cached = calloc(sc->n + 1, sizeof(bool)), *uncached = calloc(sc->n + 1, sizeof(bool));
	for (unsigned pass = 0; pass < 2; pass++) {
		struct runner r = { .opt = { .frames = 16384, .seed = 1, .l1tf = true }, .uncached = pass,
				    .agreed = pass ? uncached : cached };
		run_scenario(&r, sc);
	}
	for (size_t i = 0; i < sc->n; i++)
		depends[i] = cached[i] != uncached[i];
	free(cached);
	free(uncached);
}

/* The files through a guest on hv or Xen (tools/sprog.c). */
static int replay_in_guest(const char *host, unsigned timeout, struct scenario *sc, int nfiles)
{
	bool qemu, xen;
	if (qemu_choose_host(host, &qemu, &xen))
		return 2;
	struct qemu_opts q = { .xen = xen, .accel = "tcg", .timeout = timeout };
	unsigned ran = 0, agreed = 0;
	int status = 0;
	for (int i = 0; i < nfiles && status >= 0; i++) {
		int rc = sprog_replay(&q, &sc[i], &ran, &agreed);
		status = rc < 0 ? -1 : status | rc;
	}
	if (status < 0)
		return 1;
	printf("replay on %s: %u passed, %u failed (of the statements one guest can make)\n",
	       xen ? "Xen 4.17" : "hv", agreed, ran - agreed);
	return status;
}

int cmd_replay(int argc, char **argv)
{
	struct runner r = { .opt = { .frames = 16384, .seed = 1, .l1tf = true } };
	const char *host = NULL;
	uint64_t timeout = 120;
	struct scenario *sc = calloc((size_t)argc, sizeof(*sc));
	int nfiles = 0, status = 0;
	char err[512];

	sim_guest_region(&arena, sizeof(arena));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(replay_usage, stdout);
			free(sc);
			return 0;
		}
		if (!strcmp(argv[i], "--seed")) {
			if (i + 1 == argc || !cli_number(argv[++i], &r.opt.seed)) {
				free(sc);
				return cli_usage(replay_usage, "--seed needs a number");
			}
			continue;
		}
		if (!strcmp(argv[i], "--host") || !strcmp(argv[i], "--timeout")) {
			bool h = !strcmp(argv[i], "--host");
			const char *v = i + 1 < argc ? argv[++i] : "";
			if (h ? strcmp(v, "qemu") && strcmp(v, "xen") : !cli_number(v, &timeout) || !timeout ||
									  timeout > 86400) {
				free(sc);
				return cli_usage(replay_usage, h ? "--host is qemu or xen" : "--timeout needs 1 to 86400");
			}
			host = h ? v : host;
			continue;
		}
		if (argv[i][0] == '-') {
			free(sc);
			return cli_usage(replay_usage, "unknown option");
		}
		char *text = read_file(argv[i], err, sizeof(err));
		if (!text || scenario_parse(&sc[nfiles], argv[i], text, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			status = 2;
		} else {
			nfiles++;
		}
		free(text);
	}
	if (!nfiles && !status)
		status = cli_usage(replay_usage, "no scenario files given");
	if (host && !status)
		status = replay_in_guest(host, (unsigned)timeout, sc, nfiles);
	for (int i = 0; i < nfiles && !status && !host; i++)
		run_scenario(&r, &sc[i]);
	for (int i = 0; i < nfiles; i++)
		scenario_free(&sc[i]);
	free(sc);
	if (status || host)
		return status;
	printf("replay: %u passed, %u failed\n", r.passed, r.failed);
	return r.failed ? 1 : 0;
}

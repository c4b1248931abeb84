/* SPDX-License-Identifier: MIT */
/*
 * The scenario parser.  One line at a time: strip the comment, split the
 * expectation off at "=>", then read the statement token by token.  Every
 * refusal names the line and what is wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvmmu/abi.h>
#include <pvmmu/pte.h>
#include "scenario.h"

#define MAX_TOKENS 16

struct parser {
	struct scenario *sc;
	int line;
	char *err;
	size_t errlen;
	bool in_multicall;
	unsigned mc_vcpu;
	int mc_dom;
	bool seen_statement;
	uint64_t dom_frames[64];
	unsigned dom_vcpus[64];
	bool dom_live[64];
};

static int perr(struct parser *p, const char *f, ...)
{
	int n = snprintf(p->err, p->errlen, "%s:%d: ", p->sc->file, p->line);
	va_list ap;
	va_start(ap, f);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, f, ap);
	va_end(ap);
	return -1;
}

static const struct { const char *name; int err; } errnos[] = {
	{ "EPERM", XEN_EPERM }, { "ENOENT", XEN_ENOENT }, { "ESRCH", XEN_ESRCH },
	{ "EINTR", XEN_EINTR }, { "ENOMEM", XEN_ENOMEM }, { "EACCES", XEN_EACCES },
	{ "EFAULT", XEN_EFAULT }, { "EBUSY", XEN_EBUSY }, { "EINVAL", XEN_EINVAL },
	{ "ERANGE", XEN_ERANGE }, { "ENOSYS", XEN_ENOSYS }, { "EOPNOTSUPP", XEN_EOPNOTSUPP },
};

const char *errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return NULL;
}

int errno_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(errnos[i].name, name))
			return errnos[i].err;
	return 0;
}

static bool parse_num(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10);
	if (*end || errno)
		return false;
	*out = v;
	return true;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= NAME_MAX_LEN || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int find_name(struct parser *p, const char *name)
{
	for (unsigned i = 0; i < p->sc->nr_names; i++)
		if (!strcmp(p->sc->names[i], name))
			return (int)i;
	return -1;
}

static int live_domain(struct parser *p, const char *name)
{
	int d = find_name(p, name);
	if (d < 0 || !p->dom_live[d])
		return perr(p, "unknown domain '%s' (declare it with 'domain %s frames=N')", name, name), -1;
	return d;
}

/* FRAME: NAME:N, hv:N, free:N or mfn:N */
static int parse_frame(struct parser *p, const char *s, struct frame_ref *f)
{
	const char *colon = strchr(s, ':');
	char name[NAME_MAX_LEN];
	if (!colon || (size_t)(colon - s) >= sizeof(name))
		return perr(p, "'%s' is not a frame (NAME:N, hv:N, free:N or mfn:N)", s);
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = 0;
	if (!parse_num(colon + 1, &f->n))
		return perr(p, "'%s' has no frame number", s);
	f->dom = -1;
	if (!strcmp(name, "hv"))
		f->kind = FR_HV;
	else if (!strcmp(name, "free"))
		f->kind = FR_FREE;
	else if (!strcmp(name, "mfn"))
		f->kind = FR_MFN;
	else {
		f->kind = FR_DOMAIN;
		f->dom = live_domain(p, name);
		if (f->dom < 0)
			return -1;
		if (f->n >= p->dom_frames[f->dom])
			return perr(p, "'%s': domain %s has only %llu frames", s, name,
				    (unsigned long long)p->dom_frames[f->dom]);
	}
	return 0;
}

static const struct { const char *name; uint64_t bit; } flag_names[] = {
	{ "P", PTE_P }, { "RW", PTE_RW }, { "US", PTE_US }, { "PWT", PTE_PWT },
	{ "PCD", PTE_PCD }, { "A", PTE_A }, { "D", PTE_D }, { "PSE", PTE_PSE },
	{ "G", PTE_G }, { "NX", PTE_NX }, { "AVL0", 1ull << 9 }, { "AVL1", 1ull << 10 },
	{ "AVL2", 1ull << 11 },
};

static int parse_flags(struct parser *p, const char *s, uint64_t *flags)
{
	char buf[128];
	if (strlen(s) >= sizeof(buf))
		return perr(p, "flags '%s' too long", s);
	strcpy(buf, s);
	*flags = 0;
	for (char *save, *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		size_t i, n = sizeof(flag_names) / sizeof(flag_names[0]);
		for (i = 0; i < n && strcmp(flag_names[i].name, t); i++)
			;
		if (i == n)
			return perr(p, "unknown flag '%s' (P RW US PWT PCD A D PSE G NX AVL0-2)", t);
		*flags |= flag_names[i].bit;
	}
	return 0;
}

/* ENTRY: 0, raw:VALUE or FRAME/FLAGS; (number_ok) also takes a plain number */
static int parse_entry(struct parser *p, const char *s, struct entry_val *e, bool number_ok)
{
	uint64_t n;
	if (!strcmp(s, "0")) {
		*e = (struct entry_val){ .kind = EV_ZERO };
		return 0;
	}
	if (!strncmp(s, "raw:", 4)) {
		if (!parse_num(s + 4, &e->raw))
			return perr(p, "'%s' is not raw:NUMBER", s);
		e->kind = EV_RAW;
		return 0;
	}
	if (number_ok && parse_num(s, &n)) {
		*e = (struct entry_val){ .kind = EV_RAW, .raw = n };
		return 0;
	}
	const char *slash = strchr(s, '/');
	char frame[64];
	if (!slash || (size_t)(slash - s) >= sizeof(frame))
		return perr(p, "'%s' is not an entry (0, raw:VALUE or FRAME/FLAGS)", s);
	memcpy(frame, s, (size_t)(slash - s));
	frame[slash - s] = 0;
	e->kind = EV_FRAME;
	if (parse_frame(p, frame, &e->frame) || parse_flags(p, slash + 1, &e->flags))
		return -1;
	return 0;
}

/* FRAME[IDX] */
static int parse_slot(struct parser *p, const char *s, struct frame_ref *f, unsigned *idx)
{
	char buf[64];
	const char *br = strchr(s, '[');
	size_t len = strlen(s);
	uint64_t n;
	if (!br || len < 4 || s[len - 1] != ']' || (size_t)(br - s) >= sizeof(buf))
		return perr(p, "'%s' is not FRAME[INDEX]", s);
	memcpy(buf, s, (size_t)(br - s));
	buf[br - s] = 0;
	if (parse_frame(p, buf, f))
		return -1;
	size_t idx_len = len - (size_t)(br - s) - 2;
	if (idx_len >= sizeof(buf))
		return perr(p, "index in '%s' must be 0..511", s);
	memcpy(buf, br + 1, idx_len);
	buf[idx_len] = 0;
	if (!parse_num(buf, &n) || n >= 512)
		return perr(p, "index in '%s' must be 0..511", s);
	*idx = (unsigned)n;
	return 0;
}

static int parse_va(struct parser *p, const char *s, uint64_t *va)
{
	if (!parse_num(s, va))
		return perr(p, "'%s' is not an address", s);
	return 0;
}

/* key=NUMBER */
static int parse_kv(struct parser *p, const char *tok, const char *key, uint64_t *v)
{
	size_t k = strlen(key);
	if (strncmp(tok, key, k) || tok[k] != '=' || !parse_num(tok + k + 1, v))
		return perr(p, "expected %s=NUMBER, got '%s'", key, tok);
	return 0;
}


static int parse_expect(struct parser *p, struct stmt *st, char **t, int n)
{
	struct expect *ex = &st->ex;
	*ex = (struct expect){ .kind = EX_OK, .type = -1 };
	if (n == 0)
		return 0;
	if (st->op == OP_TYPE) {
		static const char *const types[] = { "none", "l1", "l2", "l3", "l4", "", "", "writable" };
		ex->kind = EX_TYPE;
		for (int i = 0; i < n; i++) {
			int k;
			for (k = 0; k < 8 && strcmp(types[k], t[i]); k++)
				;
			if (k < 8 && *types[k])
				ex->type = k;
			else if (!strcmp(t[i], "pinned"))
				ex->pinned = true;
			else if (!strncmp(t[i], "count=", 6) && parse_num(t[i] + 6, &ex->count))
				ex->has_count = true;
			else
				return perr(p, "'%s' is not a type word (none writable l1..l4 pinned count=N)", t[i]);
		}
		return 0;
	}
	if (!strcmp(t[0], "ok")) {
		if (n == 2 && st->op == OP_LOAD) {
			ex->has_value = true;
			return parse_entry(p, t[1], &ex->value, true);
		}
	} else if (errno_by_name(t[0])) {
		ex->kind = EX_ERRNO;
		ex->err = errno_by_name(t[0]);
	} else if (!strcmp(t[0], "fail")) {
		ex->kind = EX_FAIL;
	} else if (!strcmp(t[0], "fault")) {
		ex->kind = EX_FAULT;
	} else if (!strcmp(t[0], "crash")) {
		ex->kind = EX_CRASH;
	} else if (!strcmp(t[0], "any")) {
		ex->kind = EX_ANY;
	} else {
		return perr(p, "unknown expectation '%s'", t[0]);
	}
	if (n > 1)
		return perr(p, "unexpected '%s' after the expectation", t[1]);
	return 0;
}

/* Optional trailing words: [invlpg|flush] [local|all] */
static int parse_scope(struct parser *p, struct stmt *st, char **t, int n, bool flush_kind)
{
	for (int i = 0; i < n; i++) {
		if (flush_kind && !strcmp(t[i], "invlpg"))
			st->flush = (unsigned)UVMF_INVLPG;
		else if (flush_kind && !strcmp(t[i], "flush"))
			st->flush = (unsigned)UVMF_TLB_FLUSH;
		else if (!strcmp(t[i], "local"))
			st->all = false;
		else if (!strcmp(t[i], "all"))
			st->all = true;
		else
			return perr(p, "unexpected '%s'", t[i]);
	}
	return 0;
}

static int need(struct parser *p, const char *op, int n, int lo, int hi)
{
	if (n < lo || n > hi)
		return perr(p, "'%s' takes %d to %d arguments, got %d", op, lo, hi, n);
	return 0;
}

/* The operation of an actor (or multicall-inner) statement. */
static int parse_op(struct parser *p, struct stmt *st, char **t, int n)
{
	const char *op = t[0];
	t++;
	n--;
	if (!strcmp(op, "write") || !strcmp(op, "update")) {
		st->op = op[0] == 'w' ? OP_WRITE : OP_UPDATE;
		if (need(p, op, n, 2, st->op == OP_UPDATE ? 3 : 2) || parse_slot(p, t[0], &st->frame, &st->idx) ||
		    parse_entry(p, t[1], &st->entry, false))
			return -1;
		if (n == 3 && strcmp(t[2], "preserve-ad"))
			return perr(p, "unexpected '%s' (preserve-ad?)", t[2]);
		st->flag = n == 3;
		return 0;
	}
	if (!strcmp(op, "machphys")) {
		st->op = OP_MACHPHYS;
		if (need(p, op, n, 2, 2) || parse_frame(p, t[0], &st->frame))
			return -1;
		return parse_num(t[1], &st->num) ? 0 : perr(p, "'%s' is not a pfn", t[1]);
	}
	if (!strcmp(op, "pin")) {
		st->op = OP_PIN;
		if (need(p, op, n, 2, 2))
			return -1;
		if (strlen(t[0]) != 2 || t[0][0] != 'l' || t[0][1] < '1' || t[0][1] > '4')
			return perr(p, "pin level must be l1..l4, got '%s'", t[0]);
		st->level = (unsigned)(t[0][1] - '0');
		return parse_frame(p, t[1], &st->frame);
	}
	if (!strcmp(op, "unpin") || !strcmp(op, "baseptr") || !strcmp(op, "type")) {
		st->op = op[0] == 'u' ? OP_UNPIN : op[0] == 'b' ? OP_BASEPTR : OP_TYPE;
		return need(p, op, n, 1, 1) ? -1 : parse_frame(p, t[0], &st->frame);
	}
	if (!strcmp(op, "user-baseptr")) {
		st->op = OP_USER_BASEPTR;
		if (need(p, op, n, 1, 1))
			return -1;
		if (!strcmp(t[0], "0")) {
			st->frame.kind = FR_NONE;
			return 0;
		}
		return parse_frame(p, t[0], &st->frame);
	}
	if (!strcmp(op, "uva")) {
		st->op = OP_UVA;
		if (need(p, op, n, 2, 4) || parse_va(p, t[0], &st->va) || parse_entry(p, t[1], &st->entry, false))
			return -1;
		return parse_scope(p, st, t + 2, n - 2, true);
	}
	if (!strcmp(op, "flush")) {
		st->op = OP_FLUSH;
		return need(p, op, n, 0, 1) ? -1 : parse_scope(p, st, t, n, false);
	}
	if (!strcmp(op, "invlpg")) {
		st->op = OP_INVLPG;
		if (need(p, op, n, 1, 2) || parse_va(p, t[0], &st->va))
			return -1;
		return parse_scope(p, st, t + 1, n - 1, false);
	}
	if (!strcmp(op, "load")) {
		st->op = OP_LOAD;
		return need(p, op, n, 1, 1) ? -1 : parse_va(p, t[0], &st->va);
	}
	if (!strcmp(op, "store")) {
		st->op = OP_STORE;
		if (need(p, op, n, 2, 2) || parse_va(p, t[0], &st->va))
			return -1;
		return parse_entry(p, t[1], &st->entry, true);
	}
	if (!strcmp(op, "multicall") || !strcmp(op, "destroy")) {
		st->op = op[0] == 'm' ? OP_MULTICALL : OP_DESTROY;
		return need(p, op, n, 0, 0);
	}
	return perr(p, "unknown operation '%s'", op);
}

static bool is_hypercall(enum op op)
{
	return op == OP_UPDATE || op == OP_MACHPHYS || op == OP_PIN || op == OP_UNPIN ||
	       op == OP_BASEPTR || op == OP_USER_BASEPTR || op == OP_UVA || op == OP_FLUSH ||
	       op == OP_INVLPG;
}

static int parse_machine(struct parser *p, struct stmt *st, char **t, int n)
{
	st->op = OP_MACHINE;
	st->num = 16384;
	st->flag = true;
	if (p->seen_statement)
		return perr(p, "'machine' must be the first statement");
	for (int i = 1; i < n; i++) {
		if (!strcmp(t[i], "l1tf=on") || !strcmp(t[i], "l1tf=off"))
			st->flag = !strcmp(t[i], "l1tf=on");
		else if (parse_kv(p, t[i], "frames", &st->num))
			return -1;
	}
	return 0;
}

static int parse_domain(struct parser *p, struct stmt *st, char **t, int n)
{
	uint64_t frames = 0, vcpus = 1;
	st->op = OP_DOMAIN;
	if (n < 3 || n > 4 || !valid_name(t[1]))
		return perr(p, "expected 'domain NAME frames=N [vcpus=K]'");
	static const char *const reserved[] = { "hv", "free", "mfn", "raw", "machine", "domain", "check", "end" };
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcmp(t[1], reserved[i]))
			return perr(p, "'%s' cannot name a domain", t[1]);
	if (parse_kv(p, t[2], "frames", &frames) || (n == 4 && parse_kv(p, t[3], "vcpus", &vcpus)))
		return -1;
	if (frames == 0 || frames > (1ull << 24))
		return perr(p, "frames must be 1..16777216");
	if (vcpus == 0 || vcpus > 16)
		return perr(p, "vcpus must be 1..16");
	int d = find_name(p, t[1]);
	if (d >= 0 && p->dom_live[d])
		return perr(p, "domain '%s' exists already", t[1]);
	if (d < 0) {
		if (p->sc->nr_names == 64)
			return perr(p, "too many domains");
		d = (int)p->sc->nr_names++;
		strcpy(p->sc->names[d], t[1]);
	}
	p->dom_live[d] = true;
	p->dom_frames[d] = frames;
	p->dom_vcpus[d] = (unsigned)vcpus;
	st->dom = d;
	st->num = frames;
	st->vcpus = (unsigned)vcpus;
	return 0;
}

/* ACTOR: NAME or NAME.N */
static int parse_actor(struct parser *p, struct stmt *st, const char *s)
{
	char name[NAME_MAX_LEN];
	const char *dot = strchr(s, '.');
	size_t len = dot ? (size_t)(dot - s) : strlen(s);
	uint64_t v = 0;
	if (len >= sizeof(name))
		return perr(p, "'%s' is not an actor", s);
	memcpy(name, s, len);
	name[len] = 0;
	if (dot && !parse_num(dot + 1, &v))
		return perr(p, "'%s' is not an actor (NAME or NAME.VCPU)", s);
	st->dom = live_domain(p, name);
	if (st->dom < 0)
		return -1;
	if (v >= p->dom_vcpus[st->dom])
		return perr(p, "domain %s has no vCPU %llu", name, (unsigned long long)v);
	st->vcpu = (unsigned)v;
	return 0;
}

static int parse_statement(struct parser *p, struct stmt *st, char **t, int n)
{
	st->dom = -1;
	if (p->in_multicall) {
		if (!strcmp(t[0], "end")) {
			if (n != 1)
				return perr(p, "'end' takes no arguments");
			st->op = OP_END;
			st->dom = p->mc_dom;
			st->vcpu = p->mc_vcpu;
			p->in_multicall = false;
			return 0;
		}
		st->dom = p->mc_dom;
		st->vcpu = p->mc_vcpu;
		st->in_multicall = true;
		if (parse_op(p, st, t, n))
			return -1;
		if (!is_hypercall(st->op))
			return perr(p, "'%s' cannot be part of a multicall", t[0]);
		return 0;
	}
	if (!strcmp(t[0], "machine"))
		return parse_machine(p, st, t, n);
	p->seen_statement = true;
	if (!strcmp(t[0], "domain"))
		return parse_domain(p, st, t, n);
	if (!strcmp(t[0], "check")) {
		st->op = OP_CHECK;
		return n == 1 ? 0 : perr(p, "'check' takes no arguments");
	}
	if (!strcmp(t[0], "end"))
		return perr(p, "'end' without 'multicall'");
	if (n < 2)
		return perr(p, "'%s' is not a statement", t[0]);
	if (parse_actor(p, st, t[0]) || parse_op(p, st, t + 1, n - 1))
		return -1;
	if (st->op == OP_MULTICALL) {
		p->in_multicall = true;
		p->mc_dom = st->dom;
		p->mc_vcpu = st->vcpu;
	}
	if (st->op == OP_DESTROY)
		p->dom_live[st->dom] = false;
	return 0;
}

static int parse_line(struct parser *p, char *line, struct stmt *st, bool *empty)
{
	char *tok[MAX_TOKENS + 1], *save;
	int n = 0, arrow = -1;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_TOKENS)
			return perr(p, "too many words on one line");
		if (!strcmp(t, "=>")) {
			if (arrow >= 0)
				return perr(p, "two '=>' on one line");
			arrow = n;
		}
		tok[n++] = t;
	}
	*empty = n == 0;
	if (*empty)
		return 0;
	if (arrow == 0)
		return perr(p, "expectation without a statement");
	memset(st, 0, sizeof(*st));
	st->line = p->line;
	if (parse_statement(p, st, tok, arrow < 0 ? n : arrow))
		return -1;
	if ((st->op == OP_MACHINE || st->op == OP_DOMAIN || st->op == OP_MULTICALL) && arrow >= 0)
		return perr(p, "'%s' takes no expectation", tok[0]);
	if (arrow < 0)
		return parse_expect(p, st, tok + n, 0);
	return parse_expect(p, st, tok + arrow + 1, n - arrow - 1);
}

int scenario_parse(struct scenario *sc, const char *file, const char *text,
		   char *err, size_t errlen)
{
	struct parser p = { .sc = sc, .err = err, .errlen = errlen };
	size_t cap = 64;
	memset(sc, 0, sizeof(*sc));
	sc->file = file;
	sc->stmts = malloc(cap * sizeof(*sc->stmts));
	for (const char *at = text; *at;) {
		const char *nl = strchr(at, '\n');
		size_t len = nl ? (size_t)(nl - at) : strlen(at);
		char *line = strndup(at, len);
		bool empty;
		p.line++;
		if (sc->n == cap)
			sc->stmts = realloc(sc->stmts, (cap *= 2) * sizeof(*sc->stmts));
		int rc = strlen(line) != len ? perr(&p, "NUL byte in line")
					     : parse_line(&p, line, &sc->stmts[sc->n], &empty);
		free(line);
		if (rc) {
			scenario_free(sc);
			return -1;
		}
		sc->n += !empty;
		at += len + (nl != NULL);
	}
	if (p.in_multicall) {
		p.line++;
		perr(&p, "multicall without 'end'");
		scenario_free(sc);
		return -1;
	}
	return 0;
}

void scenario_free(struct scenario *sc)
{
	free(sc->stmts);
	sc->stmts = NULL;
	sc->n = 0;
}

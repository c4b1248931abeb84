/* SPDX-License-Identifier: MIT */
/*
 * pvmmu fuzz: boot hv under QEMU again and again with the guest in its
 * fuzzing mode (guest/xen/fuzz.c, "fuzz=SEED ops=N"), one seed per boot,
 * and judge each run by what hv says:
 *
 *   a failure    hv stopped itself (an exception in ring 0, a broken
 *                invariant, a failed audit; QEMU's status 5), the machine
 *                reset, or nothing ended the run in time (hv hung)
 *   fine         the fuzzer finished and powered off, or the domain
 *                crashed (its own doing: hv crashed it and audited clean),
 *                or the guest stalled itself and said so
 *
 * A failure keeps the console in build/fuzz/hv/seed-N.log and prints the
 * command that runs the seed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli.h"
#include "qemu.h"

static const char fuzz_usage[] =
	"usage: pvmmu fuzz [--seed N] [--runs N | --seconds S] [--ops N] [--accel tcg|kvm]\n"
	"                  [--cpus N] [--timeout S] [--timer on|off]\n"
	"\n"
	"Fuzz hv from inside a guest: boot it under QEMU with the guest kernel in\n"
	"its fuzzing mode, two vCPUs each running N random operations (hypercalls\n"
	"with hostile arguments, stores into its own pagetables, privileged and\n"
	"random instructions single-stepped, exceptions with DF, AC and TF set),\n"
	"one seed per boot.  hv must never stop itself, reset the machine or hang,\n"
	"and every audit must be clean; the domain may crash.\n"
	"\n"
	"  --seed N      the first seed (default 1); each run takes the next\n"
	"  --runs N      boots (default 10)\n"
	"  --seconds S   boot again until S seconds have passed, instead of --runs\n"
	"  --ops N       operations per fuzzing vCPU and boot (default 20000)\n"
	"  --accel A     QEMU's accelerator: tcg (default) or kvm\n"
	"  --cpus N      physical CPUs, 1 to 8 (default 1): with more than one the\n"
	"                two fuzzing vCPUs run side by side, each on a CPU of its\n"
	"                own, and a crash of the domain stops the other mid-run\n"
	"  --timeout S   a boot that runs longer is a hang (default 120)\n"
	"  --timer T     on (default): hv's timer switches the fuzzing vCPUs at any\n"
	"                instruction; off: only where they yield or a hypercall\n"
	"                continues, so a seed replays exactly\n"
	"\n"
	"A failing seed's console is kept in build/fuzz/hv/seed-N.log.  Exit status:\n"
	"0 if no run failed, 1 if one did, 2 for a bad command line.\n";

struct outcome {
	FILE *log;
	bool done, stalled, hv_stopped, audit_failed;
	uint64_t ops;
	char crash[160];
};

static void on_line(void *arg, const char *line)
{
	struct outcome *o = arg;
	const char *at;
	fprintf(o->log, "%s\n", line);
	if ((at = strstr(line, "pvmmu-fuzz done "))) {
		o->done = true;
		if ((at = strstr(at, " ops=")))
			o->ops = strtoull(at + 5, NULL, 10);
	}
	o->stalled |= strstr(line, "pvmmu-fuzz stalled") != NULL;
	o->hv_stopped |= strstr(line, "hv: exception in the hypervisor") != NULL ||
			 strstr(line, "hv: invariant broken") != NULL || strstr(line, "hv: entry with") != NULL;
	if ((at = strstr(line, "hv: audit ")) && !strstr(at, ": ok"))
		o->audit_failed = true;
	if ((at = strstr(line, " crashed: ")) && !o->crash[0])
		snprintf(o->crash, sizeof(o->crash), "the domain crashed: %s", at + 10);
	if ((at = strstr(line, " shut down: ")) && !o->crash[0] && !o->done && !o->stalled)
		snprintf(o->crash, sizeof(o->crash), "the domain shut down: %s", at + 12);
}

struct fuzz_opts {
	uint64_t seed, runs, seconds, ops;
	bool timer;
	struct qemu_opts q;
};

/* QEMU 7.2's TCG aborts on an assertion of its own now and then, about one
 * run in 200 here (tcg_handle_interrupt: the interrupt raised without the
 * I/O thread's lock), and its translator crashes on some random bytes the
 * guest runs in ring 3 (a NULL handler in its decoder's tables, the same
 * seed every time).  A run QEMU cut short says nothing about hv: it is run
 * again once; one that QEMU cuts short again is listed, as no verdict. */
static const char QEMU_ABORTED[] = "QEMU itself died (an assertion or a crash of its own, not a finding in hv)";

/* One boot: NULL if hv came through, else why not. */
static const char *one_run(const struct fuzz_opts *f, uint64_t seed, struct outcome *o, const char *path)
{
	char cmdline[160];
	memset(o, 0, sizeof(*o));
	o->log = fopen(path, "w");
	if (!o->log)
		return "cannot write the console log";
	snprintf(cmdline, sizeof(cmdline), "pages=16384 vcpus=4 fuzz=%llu ops=%llu%s", (unsigned long long)seed,
		 (unsigned long long)f->ops, f->timer ? "" : " timer=off");
	int code = qemu_boot(&f->q, false, cmdline, 16384, on_line, o);
	fclose(o->log);
	if (code == -1)
		return "QEMU could not be run";
	if (code == -3)
		return QEMU_ABORTED;
	if (code == -2)
		return "hv hung: the run passed its time limit";
	if (o->hv_stopped || code == 5)
		return "hv stopped itself";
	if (o->audit_failed)
		return "an audit failed";
	if (code != 1 && code != 3)
		return "the machine reset or QEMU failed";
	if (code == 1 && !o->done && !o->stalled)
		return "the domain powered off without finishing";
	return NULL;
}


static int parse(int argc, char **argv, struct fuzz_opts *f)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(fuzz_usage, stdout);
			return 0;
		}
		if (i + 1 >= argc)
			return cli_usage(fuzz_usage, "an option needs a value");
		const char *v = argv[++i];
		uint64_t n;
		if (!strcmp(a, "--timer")) {
			if (strcmp(v, "on") && strcmp(v, "off"))
				return cli_usage(fuzz_usage, "--timer is on or off");
			f->timer = !strcmp(v, "on");
			continue;
		}
		if (!strcmp(a, "--accel")) {
			if (strcmp(v, "tcg") && strcmp(v, "kvm"))
				return cli_usage(fuzz_usage, "--accel is tcg or kvm");
			f->q.accel = v;
			continue;
		}
		if (!cli_number(v, &n))
			return cli_usage(fuzz_usage, "option values are numbers");
		if (!strcmp(a, "--seed"))
			f->seed = n;
		else if (!strcmp(a, "--runs") && n)
			f->runs = n;
		else if (!strcmp(a, "--seconds") && n)
			f->seconds = n;
		else if (!strcmp(a, "--ops") && n && n <= 100000000)
			f->ops = n;
		else if (!strcmp(a, "--cpus") && n && n <= QEMU_MAX_CPUS)
			f->q.cpus = (unsigned)n;
		else if (!strcmp(a, "--timeout") && n && n <= 86400)
			f->q.timeout = (unsigned)n;
		else
			return cli_usage(fuzz_usage, "unknown option, or a value out of range");
	}
	return -1;
}

int cmd_fuzz(int argc, char **argv)
{
	struct fuzz_opts f = { .seed = 1, .runs = 10, .ops = 20000, .timer = true,
			       .q = { .accel = "tcg", .timeout = 120 } };
	int rc = parse(argc, argv, &f);
	if (rc >= 0)
		return rc;
	if (!qemu_installed()) {
		fprintf(stderr, "pvmmu: fuzz needs qemu-system-x86_64 (apt-get install qemu-system-x86)\n");
		return 2;
	}
	mkdir("build", 0755);
	mkdir("build/fuzz", 0755);
	mkdir("build/fuzz/hv", 0755);
	time_t t0 = time(NULL);
	uint64_t runs = 0, failures = 0, ops = 0, ended = 0, stalled = 0, qemu_aborts = 0, no_verdict = 0;
	for (uint64_t seed = f.seed;; seed++) {
		if (f.seconds ? (uint64_t)(time(NULL) - t0) >= f.seconds : runs >= f.runs)
			break;
		char path[128];
		struct outcome o;
		snprintf(path, sizeof(path), "build/fuzz/hv/seed-%llu.log", (unsigned long long)seed);
		const char *why = one_run(&f, seed, &o, path);
		if (why == QEMU_ABORTED) {
			qemu_aborts++;
			printf("seed %llu: %s; running it again\n", (unsigned long long)seed, why);
			why = one_run(&f, seed, &o, path);
		}
		if (why == QEMU_ABORTED) {
			no_verdict++;
			printf("seed %llu: QEMU died again: no verdict on hv for this seed; its console is in %s\n",
			       (unsigned long long)seed, path);
			continue;
		}
		runs++;
		ops += o.done ? o.ops : 0;
		ended += o.crash[0] != 0;
		stalled += o.stalled;
		if (why) {
			failures++;
			printf("FAIL seed %llu: %s; its console is in %s; again: pvmmu fuzz --seed %llu --runs 1%s\n",
			       (unsigned long long)seed, why, path, (unsigned long long)seed,
			       f.timer ? "" : " --timer off");
			continue;
		}
		remove(path);
		printf("seed %llu: %s\n", (unsigned long long)seed,
		       o.done ? "finished, powered off" : o.stalled ? "the guest stalled itself" : o.crash);
		fflush(stdout);
	}
	double secs = difftime(time(NULL), t0);
	printf("pvmmu fuzz: %llu runs (seeds %llu-%llu), %llu operations in finished runs, %.0f s: "
	       "%llu ended early by the guest, %llu stalls, %llu failures; QEMU died on its own %llu times, "
	       "%llu seeds without a verdict\n",
	       (unsigned long long)runs, (unsigned long long)f.seed,
	       (unsigned long long)(f.seed + runs + no_verdict - 1), (unsigned long long)ops, secs,
	       (unsigned long long)ended, (unsigned long long)stalled, (unsigned long long)failures,
	       (unsigned long long)qemu_aborts, (unsigned long long)no_verdict);
	return failures ? 1 : 0;
}

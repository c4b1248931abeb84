/* SPDX-License-Identifier: MIT */
/*
 * pvmmu run: boot the guest kernel and run a workload, in each mode the user
 * asks for (pv with lazy batching, pv with batching off, native), on the sim
 * host or under QEMU, and print operations per second with the work each
 * operation cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "linux.h"
#include "qemu.h"

static const char run_usage[] =
	"usage: pvmmu run [--host qemu|xen|sim] [--accel tcg|kvm] [--cpus N] [--workload NAME|all]\n"
	"                 [--mode pv|nobatch|native|all] [--ops N] [--pages N] [--timeout S] [--json]\n"
	"       pvmmu run --host qemu|xen --attack NAME|all [--cpus N] [--workload NAME]\n"
	"       pvmmu run --host qemu|xen --abi NAME|all\n"
	"       pvmmu run --host qemu --kernel FILE [--initrd FILE] [--append S] [--memory MiB]\n"
	"                 [--vcpus N] [--config FILE]   (below)\n"
	"\n"
	"Boot the guest kernel and run a workload: pv (hypercalls, lazy MMU\n"
	"batching), nobatch (pv with batching off) and native (the same kernel\n"
	"owning the MMU, no hypervisor).  Prints operations per second and, per\n"
	"operation, hypercalls, multicall entries, entries validated, pins,\n"
	"unpins, TLB flushes, emulated stores, flushes sent to other physical\n"
	"CPUs (IPIs) and page faults; the audit runs at the end.\n"
	"\n"
	"  --host H         qemu: hv/ booted by QEMU, the guest in ring 3 on QEMU's\n"
	"                   MMU (native: the kernel booted by QEMU alone, ring 0);\n"
	"                   xen: Debian's Xen 4.17 under the same QEMU, the guest\n"
	"                   as its dom0 (fetched with apt-get download on first\n"
	"                   use; pv and nobatch, and native as for qemu);\n"
	"                   sim: the user-space simulator.  Default: qemu if\n"
	"                   qemu-system-x86_64 is installed, else sim\n"
	"  --accel A        QEMU's accelerator: tcg (default) or kvm (hardware\n"
	"                   virtualization only)\n"
	"  --cpus N         qemu, xen: physical CPUs QEMU gives the machine, 1 to 8\n"
	"                   (default 1; TCG then runs them in host threads); hv\n"
	"                   finds them in the firmware's MADT, starts them and runs\n"
	"                   the vCPUs on them side by side\n"
	"  --workload NAME  default fork-exit; 'all' runs every workload\n"
	"  --mode M         default all\n"
	"  --ops N          operations (default: the workload's own)\n"
	"  --pages N        guest memory in 4 KiB pages (default 65536, 256 MiB)\n"
	"  --timeout S      qemu: stop a run after S seconds (default 600)\n"
	"  --json           one JSON object per run (qemu: the console goes to stderr)\n"
	"  --attack NAME    qemu: boot the guest in a hostile mode instead; the\n"
	"                   pagetable rules: writable-pt, written-frames, foreign-frame,\n"
	"                   reserved-slots, bad-root, bad-store, hv-area,\n"
	"                   sysret-hole, bad-buffer, vcpu-op, vcpu-churn,\n"
	"                   cmpxchg-pt; hv's\n"
	"                   ring-0 surface: flags-entry, exit-checks, compat-cs,\n"
	"                   iret-rax, ptwr-insns, int-n, trap-table, umip,\n"
	"                   long-work; or all.  Every attempt must be refused as\n"
	"                   Xen refuses it, and hv must go on to a clean audit\n"
	"                   (on Xen: as a dom0 is refused, docs/ARCHITECTURE.md).\n"
	"                   With --workload (qemu; a steady one: fork-exit,\n"
	"                   fork-exit-2, fork-exec-exit, invlpg, ctxsw-N, mixed),\n"
	"                   a stress run: the workload runs on vCPUs 6 and up,\n"
	"                   with no end, beside the hostile modes, hv audits every\n"
	"                   100 ms, and at the end the guest crashes the domain\n"
	"                   with the workload running: hv must crash it and audit\n"
	"                   clean\n"
	"  --abi NAME       qemu, xen: run the ABI rules instead, one group per\n"
	"                   hypercall: mmu-update, mmuext, update-va-mapping,\n"
	"                   multicall, misc, platform, memory; or all.  Every call\n"
	"                   must get Xen's answer (as dom0 on Xen, where one\n"
	"                   differs, it says why)\n"
	"\n"
	"Exit status: 0 if every run finished with a clean audit and no frame\n"
	"leaked; 1 if one did not; 2 for a bad command line.\n";

static const char *const mode_names[] = { "pv", "nobatch", "native" };

struct run_opts {
	bool qemu, json;
	struct qemu_opts q;
	int mode;
	uint64_t ops, pages;
	struct linux_opts lx;       /* --kernel or --config: a kernel of anyone's */
	bool linux;
};

static const char *host_name(const struct run_opts *o)
{
	return o->q.xen ? "xen" : o->qemu ? "qemu" : "sim";
}

static void list_workloads(FILE *f)
{
	fprintf(f, "workloads:");
	for (unsigned i = 0; i < nr_workloads; i++)
		fprintf(f, " %s", workloads[i].name);
	fprintf(f, "\n");
}

static double per(uint64_t n, uint64_t ops)
{
	return ops ? (double)n / (double)ops : 0;
}

static void print_row(const struct run_opts *o, const struct workload *w, int m,
		      const struct guest_result *r)
{
	const struct guest_counts *c = &r->counts;
	double rate = r->seconds > 0 ? (double)r->ops / r->seconds : 0;
	if (o->json) {
		printf("{\"host\":\"%s\",\"workload\":\"%s\",\"mode\":\"%s\",\"ops\":%llu,\"seconds\":%.6f,"
		       "\"ops_per_sec\":%.1f,\"per_op\":{\"hypercalls\":%.3f,\"multicall_entries\":%.3f,"
		       "\"validated\":%.3f,\"pins\":%.3f,\"unpins\":%.3f,\"tlb_flushes\":%.3f,"
		       "\"emulated_stores\":%.3f,\"flush_ipis\":%.3f,\"page_faults\":%.3f},\"audit\":%s,"
		       "\"leak_free\":%s}\n",
		       host_name(o), w->name, mode_names[m], (unsigned long long)r->ops,
		       r->seconds, rate, per(c->hypercalls, r->ops), per(c->mc_entries, r->ops),
		       per(c->validated, r->ops), per(c->pins, r->ops), per(c->unpins, r->ops),
		       per(c->flushes, r->ops), per(c->emulated, r->ops), per(c->flush_ipis, r->ops),
		       per(c->faults, r->ops),
		       r->audit_ok ? "true" : "false",
		       r->leak_free ? "true" : "false");
		return;
	}
	char hv[6][16];             /* the hypervisor's own counts, "-" where there are none */
	const uint64_t hvc[6] = { c->validated, c->pins, c->unpins, c->flushes, c->emulated, c->flush_ipis };
	for (unsigned i = 0; i < 6; i++)
		snprintf(hv[i], sizeof(hv[i]), r->no_hv_counts ? "-" : "%.2f", per(hvc[i], r->ops));
	printf("  %-8s %12.0f %10.2f %10.2f %10s %7s %7s %8s %9s %9s %7.2f  %s\n", mode_names[m], rate,
	       per(c->hypercalls, r->ops), per(c->mc_entries, r->ops), hv[0], hv[1], hv[2], hv[3], hv[4],
	       hv[5], per(c->faults, r->ops),
	       r->audit_ok && r->leak_free ? "ok" : !r->audit_ok ? r->audit_msg : "frames leaked");
}

/* One workload in one mode under QEMU: 0 ok, 1 failed, 2 skipped (said
 * why), -1 QEMU could not run. */
static int run_qemu(const struct run_opts *o, const struct workload *w, int m, struct guest_result *r)
{
	FILE *say = o->json ? stderr : stdout;
	int rc = qemu_run_workload(&o->q, w, (enum guest_mode)m, o->pages, (unsigned)o->ops, r);
	if (rc == 2)
		fprintf(say, "  %-8s SKIPPED: %s\n", mode_names[m], r->audit_msg);
	else if (rc == 1 && !r->ops)
		fprintf(say, "  %-8s FAILED: %s\n", mode_names[m], r->audit_msg);
	return rc;
}

static int run_one(const struct run_opts *o, const struct workload *w)
{
	int status = 0;
	if (!o->json)
		printf("%s: ops/s and per operation (one operation: %s), %s host\n"
		       "  %-8s %12s %10s %10s %10s %7s %7s %8s %9s %9s %7s\n",
		       w->name, w->op, host_name(o), "mode", "ops/s", "hypercall", "mc-entry",
		       "validated", "pins", "unpins", "flushes", "emulated", "flush-ipi", "faults");
	for (int m = 0; m < 3; m++) {
		struct guest_result r;
		if (o->mode >= 0 && m != o->mode)
			continue;
		if (o->qemu) {
			int rc = run_qemu(o, w, m, &r);
			if (rc < 0)
				return 1;
			if (rc == 2 || (rc == 1 && !r.ops)) {
				status |= rc == 1;
				continue;
			}
		} else if (guest_run(w, (enum guest_mode)m, o->pages, (unsigned)o->ops, &r)) {
			return 1;
		}
		print_row(o, w, m, &r);
		if (!r.audit_ok || !r.leak_free)
			status = 1;
	}
	if (!o->json)
		printf("\n");
	return status;
}

static int parse(int argc, char **argv, struct run_opts *o, const char **name, const char **attack,
		 bool *abi)
{
	const char *host = NULL;
	uint64_t timeout = 600;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(run_usage, stdout);
			linux_help(stdout);
			list_workloads(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		} else if (!v) {
			return cli_usage(run_usage, "option needs a value, or is unknown");
		} else if (!strcmp(a, "--host")) {
			if (strcmp(v, "sim") && strcmp(v, "qemu") && strcmp(v, "xen"))
				return cli_usage(run_usage, "--host is qemu, xen or sim");
			host = v;
		} else if (!strcmp(a, "--accel")) {
			if (strcmp(v, "tcg") && strcmp(v, "kvm"))
				return cli_usage(run_usage, "--accel is tcg or kvm");
			o->q.accel = v;
		} else if (!strcmp(a, "--kernel") || !strcmp(a, "--initrd") || !strcmp(a, "--append")) {
			char **to = a[2] == 'k' ? &o->lx.kernel : a[2] == 'i' ? &o->lx.initrd : &o->lx.append;
			free(*to);
			*to = strdup(v);
			o->linux = true;
		} else if (!strcmp(a, "--config")) {
			if (linux_config(v, &o->lx))
				return 2;
			o->linux = true;
		} else if (!strcmp(a, "--memory")) {
			if (!cli_number(v, &o->lx.memory_mib))
				return cli_usage(run_usage, "--memory takes a number of MiB");
		} else if (!strcmp(a, "--vcpus")) {
			if (!cli_number(v, &o->lx.vcpus))
				return cli_usage(run_usage, "--vcpus takes a number");
		} else if (!strcmp(a, "--cpus")) {
			uint64_t n;
			if (!cli_number(v, &n) || n < 1 || n > QEMU_MAX_CPUS)
				return cli_usage(run_usage, "--cpus needs a number from 1 to 8");
			o->q.cpus = (unsigned)n;
		} else if (!strcmp(a, "--workload")) {
			*name = v;
		} else if (!strcmp(a, "--attack") || !strcmp(a, "--abi")) {
			*attack = v;
			*abi = !strcmp(a, "--abi");
		} else if (!strcmp(a, "--mode")) {
			o->mode = !strcmp(v, "all") ? -1 : -2;
			for (int m = 0; m < 3; m++)
				if (!strcmp(v, mode_names[m]))
					o->mode = m;
			if (o->mode == -2)
				return cli_usage(run_usage, "--mode is pv, nobatch, native or all");
		} else if (!strcmp(a, "--ops")) {
			if (!cli_number(v, &o->ops) || o->ops == 0 || o->ops > 1000000)
				return cli_usage(run_usage, "--ops needs a number from 1 to 1000000");
		} else if (!strcmp(a, "--pages")) {
			if (!cli_number(v, &o->pages) || o->pages < 8192 || o->pages > 262144)
				return cli_usage(run_usage, "--pages needs a number from 8192 to 262144");
		} else if (!strcmp(a, "--timeout")) {
			if (!cli_number(v, &timeout) || timeout == 0 || timeout > 86400)
				return cli_usage(run_usage, "--timeout needs a number of seconds from 1 to 86400");
		} else {
			return cli_usage(run_usage, "unknown option");
		}
		i++;
	}
	o->q.timeout = (unsigned)timeout;
	if (qemu_choose_host(host, &o->qemu, &o->q.xen))
		return 2;
	if (!o->qemu && strcmp(o->q.accel, "tcg"))
		return cli_usage(run_usage, "--accel applies to the qemu host only");
	if (!o->qemu && o->q.cpus > 1)
		return cli_usage(run_usage, "--cpus applies to the qemu and xen hosts only");
	if (!o->qemu && *attack)
		return cli_usage(run_usage, "--attack and --abi need the qemu or xen host (the sim's attacks are scenario files: pvmmu replay tests/attacks/*.pvs)");
	o->q.console = o->json ? stderr : stdout;
	if (*attack && *name && (*abi || o->q.xen))
		return cli_usage(run_usage, "--workload beside --attack is a stress run of hv (the qemu host), not of --abi");
	if (o->linux && (!o->qemu || *attack))
		return cli_usage(run_usage, "--kernel and --config boot on the qemu host (hv) or as Xen's dom0, alone");
	return -1;
}

int cmd_run(int argc, char **argv)
{
	const char *name = NULL, *attack = NULL;
	bool abi = false;
	struct run_opts o = { .mode = -1, .pages = 65536, .q = { .accel = "tcg" },
			      .lx = { .memory_mib = 256, .vcpus = 1 } };
	int rc = parse(argc, argv, &o, &name, &attack, &abi);
	if (rc < 0 && o.linux)
		rc = linux_run(&o.lx, &o.q);
	free(o.lx.kernel);
	free(o.lx.initrd);
	free(o.lx.append);
	if (rc >= 0)
		return rc;
	if (attack && name && (!workload_find(name) || !workload_find(name)->steady)) {
		fprintf(stderr, "pvmmu: a stress run needs a steady workload (one that runs any number of "
				"operations in a few pages):");
		for (unsigned i = 0; i < nr_workloads; i++)
			if (workloads[i].steady)
				fprintf(stderr, " %s", workloads[i].name);
		fprintf(stderr, "\n");
		return 2;
	}
	if (attack) {
		struct attack_counts c = { 0 };
		rc = qemu_attacks(&o.q, abi, attack, name, &c);
		printf("%s (%s) on %s: %u answered as Xen answers them (%u as Xen answers its dom0), "
		       "%u not, %u SKIPPED here%s\n",
		       abi ? "abi" : "attacks", attack, o.q.xen ? "Xen 4.17" : "hv", c.passed, c.as_dom0, c.failed,
		       c.skipped,
		       name ? "" : rc == 0 ? (o.q.xen ? "; Xen went on" : "; hv went on to a clean audit")
				 : rc > 0 ? "; FAILED (see the console)" : "");
		if (name)
			printf("beside them, workload %s on vCPUs 6 and up: %llu hypercalls meanwhile; hv audited %llu "
			       "times while it ran; %s\n",
			       name, (unsigned long long)c.beside_hypercalls, (unsigned long long)c.audits,
			       rc == 0 ? "the domain crashed under it, and hv audited clean"
				       : rc > 0 ? "FAILED (see the console)" : "");
		return rc == 0 ? 0 : 1;
	}
	if (!name)
		name = "fork-exit";
	if (strcmp(name, "all") && !workload_find(name)) {
		fprintf(stderr, "pvmmu: unknown workload '%s'\n", name);
		list_workloads(stderr);
		return 2;
	}
	int status = 0;
	for (unsigned i = 0; i < nr_workloads; i++)
		if (!strcmp(name, "all") || !strcmp(name, workloads[i].name))
			status |= run_one(&o, &workloads[i]);
	return status;
}

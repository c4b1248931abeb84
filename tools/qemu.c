/* SPDX-License-Identifier: MIT */
/*
 * The qemu host.  We build QEMU's command line ourselves: hv.elf by PVH
 * (-kernel), the guest image as its module (-initrd), or for a native run
 * native.elf alone; the run's parameters as the command line (-append), the
 * serial console on a pipe, and QEMU's isa-debug-exit device, which turns
 * the image's exit code c into QEMU's status (c << 1) | 1.  The console is
 * streamed as it arrives and read for the lines the images print for us:
 *
 *   hv: tsc N kHz, native: tsc N kHz   the TSC's rate, to turn cycles into time
 *   (XEN) Detected N MHz processor     the same, measured by Xen
 *   [(d1) ]pvmmu-result ...            the guest's counts (guest/x86/run.c)
 *   hv: audit ...: ok | message        hv's audit at shutdown and after teardown
 *
 * A run that passes its time limit is killed and reported as such.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "qemu.h"

#define QEMU "qemu-system-x86_64"

bool qemu_installed(void)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	for (const char *p = path ? path : ""; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, QEMU);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

int qemu_choose_host(const char *host, bool *qemu, bool *xen)
{
	*xen = host && !strcmp(host, "xen");
	if (!host) {
		*qemu = qemu_installed();
		fprintf(stderr, "pvmmu: host %s (%s)\n", *qemu ? "qemu" : "sim",
			*qemu ? QEMU " is installed" : QEMU " is not installed");
		return 0;
	}
	*qemu = !strcmp(host, "qemu") || *xen;
	if (*qemu && !qemu_installed()) {
		fprintf(stderr, "pvmmu: --host %s: " QEMU " is not installed (apt-get install qemu-system-x86)\n",
			host);
		return 2;
	}
	return 0;
}

/* The directory of the pvmmu binary (build/VARIANT), into (buf). */
static void self_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = 0;
}

/* The images sit beside the pvmmu binary's build directory: build/hv/. */
void qemu_image_path(char *buf, size_t len, const char *name)
{
	char self[PATH_MAX - 64];
	self_dir(self, sizeof(self));
	const char *dir = getenv("PVMMU_IMAGES");
	if (dir)
		snprintf(buf, len, "%.3000s/%.32s", dir, name);
	else
		snprintf(buf, len, "%.3000s/../hv/%.32s", self, name);
}

void build_path(char *buf, size_t len, const char *rel)
{
	char self[PATH_MAX - 64];
	self_dir(self, sizeof(self));
	snprintf(buf, len, "%.3000s/../%.64s", self, rel);
}

static uint64_t field(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

struct parse {
	double tsc_khz;
	bool result, skipped, audit_failed, attacks, stress_crash, crashed, guest_panic;
	uint64_t cycles, attacks_passed, attacks_failed, attacks_skipped, attacks_as_dom0;
	uint64_t beside_hypercalls, audits;
};

static void parse_line(const char *line, struct parse *p, struct guest_result *r)
{
	const char *at;
	if ((at = strstr(line, ": tsc ")) && strstr(line, " kHz"))
		p->tsc_khz = strtod(at + 6, NULL);
	if ((at = strstr(line, "(XEN) Detected ")) && strstr(line, " MHz processor"))
		p->tsc_khz = strtod(at + 15, NULL) * 1000.0;    /* Xen's, against its platform timer */
	if ((at = strstr(line, "pvmmu-result "))) {
		if (strstr(at, " skipped: ")) {
			p->skipped = true;
			snprintf(r->audit_msg, sizeof(r->audit_msg), "%s", strstr(at, " skipped: ") + 10);
			return;
		}
		p->result = true;
		r->ops = field(at, " ops=");
		p->cycles = field(at, " cycles=");
		r->counts = (struct guest_counts){
			field(at, " hypercalls="), field(at, " mc_entries="), field(at, " validated="),
			field(at, " pins="), field(at, " unpins="), field(at, " flushes="),
			field(at, " emulated="), field(at, " flush_ipis="), field(at, " faults=") };
		r->leak_free = field(at, " leak_free=") == 1;
		r->no_hv_counts = strstr(at, " hv_counts=0") != NULL;
	}
	if ((at = strstr(line, "pvmmu-attacks "))) {
		p->attacks = true;
		p->attacks_passed = field(at, " passed=");
		p->attacks_failed = field(at, " failed=");
		p->attacks_skipped = field(at, " skipped=");
		p->attacks_as_dom0 = field(at, " as_dom0=");
	}
	if ((at = strstr(line, "pvmmu-stress workload=")))
		p->beside_hypercalls = field(at, " hypercalls=");
	p->stress_crash |= strstr(line, "pvmmu-stress: the domain crashes now") != NULL;
	p->crashed |= strstr(line, "hv: d1 crashed: ") != NULL;
	p->guest_panic |= strstr(line, "guest panic: ") != NULL;
	if ((at = strstr(line, "hv: audits while the domain ran, ")) && (at = strstr(at, " point: ")))
		p->audits = strtoull(at + 8, NULL, 10);
	if ((at = strstr(line, "hv: audit ")) && !strstr(at, ": ok")) {
		p->audit_failed = true;
		snprintf(r->audit_msg, sizeof(r->audit_msg), "%s", at);
	}
}

static pid_t start(const struct qemu_opts *o, bool native, const char *cmdline, uint64_t pages, int *out)
{
	char hv[PATH_MAX], guest[PATH_MAX], mem[32], xen_args[256], module[2 * PATH_MAX + 512];
	if (o->guest)
		snprintf(guest, sizeof(guest), "%.4000s", o->guest);
	else
		qemu_image_path(guest, sizeof(guest), "guest.elf");
	if (o->kernel)
		snprintf(guest, sizeof(guest), "%.4000s", o->kernel);
	if (o->xen && !native) {
		if (xen_image(hv, sizeof(hv)))
			return -1;
		xen_command_lines(guest, cmdline, pages, xen_args, sizeof(xen_args), module, sizeof(module));
		if (o->initrd)          /* a second module; QEMU's multiboot list is comma-separated */
			snprintf(module + strlen(module), sizeof(module) - strlen(module), ",%.3000s", o->initrd);
	} else if (native && o->kernel) {
		snprintf(hv, sizeof(hv), "%.4000s", o->kernel);
	} else {
		qemu_image_path(hv, sizeof(hv), native ? "native.elf" : "hv.elf");
	}
	if (access(hv, R_OK) || (!native && access(guest, R_OK))) {
		fprintf(stderr, "pvmmu: %s is missing: run make first\n", access(hv, R_OK) ? hv : guest);
		return -1;
	}
	bool xen = o->xen && !native;
	/* Xen keeps some memory for itself beside dom0's; the module needs room too */
	struct stat st;
	uint64_t module_mib = !native && o->guest && !stat(guest, &st) ? (uint64_t)st.st_size >> 20 : 0;
	snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)(pages / 256 + module_mib + (xen ? 384 : 96)));
	bool kvm = !strcmp(o->accel, "kvm");
	char smp[16], accel[32];
	unsigned cpus = o->cpus ? o->cpus : 1;
	snprintf(smp, sizeof(smp), "%u", cpus);
	/* several CPUs under TCG: one host thread each, really in parallel */
	snprintf(accel, sizeof(accel), "%s%s", o->accel, !kvm && cpus > 1 ? ",thread=multi" : "");
	/* TCG: QEMU 7.2's emulated iret and far return read the stack of a
	 * ring-3 caller as a supervisor access, which SMAP refuses: a guest's
	 * own iretq (Linux's sync_core) or lretq would fault under hv.  The
	 * same CPU model for every image keeps the runs comparable. */
	const char *argv[] = { QEMU, "-machine", "q35", "-accel", accel, "-cpu", kvm ? "host" : "max,-smap",
			       "-m", mem, "-smp", smp, "-nodefaults", "-display", "none", "-no-reboot",
			       "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "stdio",
			       "-kernel", hv, "-append", xen ? xen_args : cmdline,
			       native && !o->initrd ? NULL : "-initrd", xen ? module : native ? o->initrd : guest, NULL };
	int fd[2];
	if (pipe(fd))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		int devnull = o->interactive ? -1 : open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		execvp(QEMU, (char *const *)argv);
		fprintf(stderr, "pvmmu: cannot run %s: %s\n", QEMU, strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	*out = fd[0];
	return pid;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Stream QEMU's output to (fn), line by line, until it closes (0), time
 * runs out (-2) or, under Xen, a line says the run is over (the status hv
 * would have given). */
static int stream(const struct qemu_opts *o, bool xen, int fd, qemu_line_fn fn, void *arg)
{
	char line[4096], buf[4096];
	size_t len = 0;
	bool panicking = false, dom0_refused = false;
	double deadline = now() + o->timeout;
	for (;;) {
		int left = (int)((deadline - now()) * 1000);
		struct pollfd pf = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&pf, 1, left) == 0)
			return -2;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return 0;
		if (o->interactive && o->console) {
			fwrite(buf, 1, (size_t)n, o->console);     /* a prompt has no newline */
			fflush(o->console);
		}
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			if (c == '\r' || c == 0)
				continue;
			if (c != '\n' && len < sizeof(line) - 1) {
				line[len++] = c;
				continue;
			}
			line[len] = 0;
			if (o->console && !o->interactive)
				fprintf(o->console, "  | %s\n", line);
			fn(arg, line);
			len = 0;
			int verdict = xen ? xen_verdict(&panicking, &dom0_refused, line) : 0;
			if (verdict)
				return verdict;
		}
	}
}

int qemu_boot(const struct qemu_opts *o, bool native, const char *cmdline, uint64_t pages,
	      qemu_line_fn fn, void *arg)
{
	int fd, status = 0;
	pid_t pid = start(o, native, cmdline, pages, &fd);
	if (pid < 0)
		return -1;
	int end = stream(o, o->xen && !native, fd, fn, arg);
	if (end)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fd);
	if (end)
		return end;
	/* QEMU killed by a signal of its own: an assertion (SIGABRT), or its
	 * TCG translator's crash on guest bytes it cannot decode (SIGSEGV) */
	if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGABRT || WTERMSIG(status) == SIGSEGV))
		return -3;
	if (o->xen && !native) {
		/* Xen halts the machine; QEMU ending by itself means it never ran
		 * Xen to the end (a bad image, a reset) */
		fprintf(stderr, "pvmmu: QEMU ended before Xen said how dom0 ended (see the console)\n");
		return -1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return code == 127 ? -1 : code;
}

struct parsed {
	struct parse *p;
	struct guest_result *r;
};

static void parse_cb(void *arg, const char *line)
{
	struct parsed *x = arg;
	parse_line(line, x->p, x->r);
}

/* Run QEMU to the end, reading the lines we know: its exit status, or -1
 * if it could not run, or -2 if it passed its time limit. */
static int boot(const struct qemu_opts *o, bool native, const char *cmdline, uint64_t pages,
		struct parse *p, struct guest_result *r)
{
	struct parsed x = { p, r };
	memset(r, 0, sizeof(*r));
	int code = qemu_boot(o, native, cmdline, pages, parse_cb, &x);
	if (code == -2)
		snprintf(r->audit_msg, sizeof(r->audit_msg), "stopped: the run passed its time limit of %u s",
			 o->timeout);
	if (code == -3)
		snprintf(r->audit_msg, sizeof(r->audit_msg), "QEMU itself died (an assertion or a crash of its own)");
	return code;
}

int qemu_attacks(const struct qemu_opts *o, bool abi, const char *name, const char *beside,
		 struct attack_counts *c)
{
	struct parse p = { 0 };
	struct guest_result r;
	char cmdline[192];
	snprintf(cmdline, sizeof(cmdline), "pages=16384 vcpus=%u cpus=%u %s%s=%.40s%s%.40s", beside ? 8 : 6,
		 o->cpus ? o->cpus : 1, beside ? "audit=periodic " : "", abi ? "abi" : "attack", name,
		 beside ? " beside=" : "", beside ? beside : "");
	int code = boot(o, false, cmdline, 16384, &p, &r);
	if (code == -1)
		return -1;
	*c = (struct attack_counts){ (unsigned)p.attacks_passed, (unsigned)p.attacks_failed,
				     (unsigned)p.attacks_skipped, (unsigned)p.attacks_as_dom0,
				     p.beside_hypercalls, p.audits };
	bool answered = p.attacks && !p.audit_failed && !p.attacks_failed && (p.attacks_passed || p.attacks_skipped);
	if (beside)         /* crashed by hv under the running workload, which did its share */
		return answered && code == 3 && p.stress_crash && p.crashed && !p.guest_panic &&
			       p.beside_hypercalls > 0 && p.audits > 0 ? 0 : 1;
	return answered && code == 1 ? 0 : 1;
}

int qemu_run(const struct qemu_opts *o, bool native, const char *cmdline, uint64_t pages,
	     struct guest_result *r)
{
	struct parse p = { 0 };
	int code = boot(o, native, cmdline, pages, &p, r);
	if (code == -1)
		return -1;
	if (code == -2 || code == -3)
		return 1;
	if (p.skipped && code == 1)
		return 2;
	r->audit_ok = code == 1 && !p.audit_failed;
	if (p.result && p.tsc_khz > 0)
		r->seconds = (double)p.cycles / (p.tsc_khz * 1000.0);
	if (code == 1 && p.result && !p.audit_failed)
		return r->leak_free ? 0 : 1;
	if (!r->audit_msg[0])
		snprintf(r->audit_msg, sizeof(r->audit_msg), "%s",
			 code == 3 ? "the guest failed or was crashed (see the console)" :
			 code == 5 ? "hv stopped itself (see the console)" :
			 code == 7 ? "the guest asked for a reboot" :
			 code == 0 ? "the machine reset without hv's exit (a triple fault?)" :
			 code == 1 ? "the guest finished without a result" : "QEMU failed");
	return 1;
}

int qemu_run_workload(const struct qemu_opts *o, const struct workload *w, enum guest_mode m,
		      uint64_t pages, unsigned ops, struct guest_result *r)
{
	static const char *const modes[] = { "pv", "nobatch", "native" };
	char cmdline[256];
	snprintf(cmdline, sizeof(cmdline), "pages=%llu vcpus=%u workload=%s mode=%s ops=%u",
		 (unsigned long long)pages, w->vcpus, w->name, modes[m], ops ? ops : w->default_ops);
	return qemu_run(o, m == MODE_NATIVE, cmdline, pages, r);
}

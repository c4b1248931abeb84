/* SPDX-License-Identifier: MIT */
/*
 * pvmmu-linux: the project's program inside a Linux guest (static, in the
 * initramfs that pvmmu initramfs writes).  It runs on whatever Linux boots
 * it, under hv, under Xen or natively, and does not know which.
 *
 *   pvmmu-linux test   loops that check their own results: fork and exit
 *                      codes, copy-on-write after fork, exec, anonymous
 *                      memory touched, protected and unmapped, pipes
 *                      between processes, a segment of the process's own
 *                      LDT (modify_ldt) read through %gs, across a fork
 *                      and context switches, vector registers (AVX where
 *                      the CPU has it, then enabled in XCR0) kept by each
 *                      of two processes across their switches, and (under a Xen-ABI
 *                      hypervisor) the balloon giving 16 MiB back and
 *                      taking it again, and (under pvmmu's hv, whose
 *                      domains have a xenstore: xenbus.c) the xenstore.  Prints one line per check and
 *                      "pvmmu-linux-test passed=N failed=M".
 *   pvmmu-linux bench [OP]  what lmbench measures (OP alone, if named), per
 *                      operation in µs, one line each:
 *                      "pvmmu-linux-bench op=NAME us=X iters=N".
 *                        fork      fork + exit + wait (lat_proc fork), the
 *                                  process and its children kept on CPU 0
 *                        forks     the same on every CPU at once, each loop
 *                                  kept on its CPU, per fork of them all (the
 *                                  throughput of N workers)
 *                        exec      fork + execve of this program + wait (lat_proc exec)
 *                        sh        fork + /bin/sh -c 'exit' + wait (lat_proc shell)
 *                        fault     a page fault on a mapped file's page (lat_pagefault)
 *                        mmap      mmap + touch + munmap of 4 MiB of a file (lat_mmap)
 *                        ctx2, ctx16  a token passed round 2 or 16 processes by
 *                                  pipes, per switch (lat_ctx -s 0)
 *                        syscall   getppid (lat_syscall null)
 *   pvmmu-linux exit   exits at once (the exec benchmark's child)
 *
 * Under a Xen-ABI hypervisor (/sys/hypervisor/type says "xen") each bench
 * line also carries the hypervisor's work per operation where it counts it:
 * pvmmu's hv answers CPUID leaf 0x4000ff00 (asked with Xen's forced-
 * emulation prefix, which works from user space) with its counters; Xen
 * answers zeros, and the line then says hv_counts=0.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "xenbus.h"

static unsigned passed, failed;

static void check(int ok, const char *what)
{
	printf("pvmmu-linux-check %s: %s\n", ok ? "ok" : "FAILED", what);
	ok ? passed++ : failed++;
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* hv's counters (hv/pv/cpuid.c): hypercalls, validated, pins, unpins,
 * flushes, emulated stores, flushes sent to other CPUs; false where there
 * are none. */
enum { NR_COUNTERS = 7 };
static bool under_xen, have_counts;

static bool counters(uint64_t c[NR_COUNTERS])
{
	for (unsigned i = 0; i < NR_COUNTERS; i++) {
		uint32_t a = 0x4000ff00, b = 0, cx = i, d = 0;
		if (under_xen)
			__asm__ volatile("ud2; .ascii \"xen\"; cpuid" : "+a"(a), "=b"(b), "+c"(cx), "=d"(d));
		if (b != 0x706d7670)
			return false;
		c[i] = (uint64_t)d << 32 | a;
	}
	return true;
}

static uint64_t before[NR_COUNTERS];

static void start_counts(void)
{
	have_counts = counters(before);
}

/* fork (n) children; child i exits with (i * 7) % 251: every status right? */
static int fork_codes(unsigned n)
{
	int ok = 1;
	for (unsigned i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit((int)((i * 7) % 251));
		int st;
		ok &= p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == (int)((i * 7) % 251);
	}
	return ok;
}

/* Keep this process, and the children it forks from now on, on CPU (cpu)
 * (or, with -1, let them run on any). */
static void pin_to(long cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	for (long k = 0; k < CPU_SETSIZE; k++)
		if (cpu < 0 ? k < sysconf(_SC_NPROCESSORS_ONLN) : k == cpu)
			CPU_SET(k, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A fork loop on every CPU the kernel has, at once, each worker and its
 * children kept on a CPU of its own (their page tables pinned and unpinned
 * side by side): each worker sees its (n) children's exit codes, and the
 * parent sees every worker's. */
static int parallel_forks(unsigned n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int ok = cpus >= 1;
	for (long k = 0; k < cpus; k++) {
		pid_t p = fork();
		if (p == 0) {
			pin_to(k);
			_exit(fork_codes(n) ? 0 : 1);
		}
		ok &= p > 0;
	}
	for (long k = 0; k < cpus; k++) {
		int st;
		ok &= wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	return ok;
}

/* The child writes its copy of a buffer; the parent's stays as it was. */
static int cow(size_t bytes)
{
	unsigned char *b = malloc(bytes);
	if (!b)
		return 0;
	for (size_t i = 0; i < bytes; i++)
		b[i] = (unsigned char)(i * 31);
	pid_t p = fork();
	if (p == 0) {
		for (size_t i = 0; i < bytes; i++)
			b[i] ^= 0xff;
		for (size_t i = 0; i < bytes; i++)
			if (b[i] != (unsigned char)((i * 31) ^ 0xff))
				_exit(1);
		_exit(0);
	}
	int st, ok = p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	for (size_t i = 0; i < bytes; i++)
		ok &= b[i] == (unsigned char)(i * 31);
	free(b);
	return ok;
}

static int exec_loop(unsigned n, const char *self)
{
	int ok = 1;
	for (unsigned i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			execl(self, self, "exit", (char *)NULL);
			_exit(127);
		}
		int st;
		ok &= p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 42;
	}
	return ok;
}

/* Map (mib) MiB, write every page, check, make it read-only and check,
 * unmap; (rounds) times. */
static int mmap_loop(unsigned rounds, size_t mib)
{
	size_t len = mib << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	int ok = 1;
	for (unsigned r = 0; r < rounds && ok; r++) {
		unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return 0;
		for (size_t i = 0; i < len; i += page)
			m[i] = (unsigned char)(i / page + r);
		ok &= mprotect(m, len, PROT_READ) == 0;
		for (size_t i = 0; i < len; i += page)
			ok &= m[i] == (unsigned char)(i / page + r);
		ok &= munmap(m, len) == 0;
	}
	return ok;
}

/* A token round (n) processes joined by pipes, (laps) times; the token
 * counts every hop. */
static int pipe_ring(unsigned n, unsigned laps, double *us_per_switch)
{
	int fd[16][2];
	for (unsigned i = 0; i < n; i++)
		if (pipe(fd[i]))
			return 0;
	for (unsigned i = 1; i < n; i++) {
		if (fork() == 0) {
			for (unsigned k = 0; k < n; k++) {      /* only its own two ends */
				if (k != i - 1)
					close(fd[k][0]);
				if (k != i)
					close(fd[k][1]);
			}
			uint32_t t;
			while (read(fd[i - 1][0], &t, 4) == 4) {
				t++;
				if (write(fd[i][1], &t, 4) != 4)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (unsigned k = 0; k < n; k++) {
		if (k != n - 1)
			close(fd[k][0]);
		if (k != 0)
			close(fd[k][1]);
	}
	uint32_t t = 0;
	start_counts();
	double start = now_us();
	for (unsigned l = 0; l < laps; l++) {
		if (write(fd[0][1], &t, 4) != 4 || read(fd[n - 1][0], &t, 4) != 4)
			return 0;
		t++;
	}
	double end = now_us();
	close(fd[0][1]);
	close(fd[n - 1][0]);
	while (wait(NULL) > 0)
		;
	*us_per_switch = (end - start) / ((double)laps * n);
	return t == laps * n;
}

/* What %gs:0 reads with %gs holding (sel). */
static uint32_t read_gs(uint16_t sel)
{
	uint32_t v;
	__asm__ volatile("mov %w1, %%gs\n\tmovl %%gs:0, %0" : "=r"(v) : "r"(sel) : "memory");
	return v;
}

/* An LDT entry based at a page below 4 GiB, read through %gs; a child
 * inherits the LDT and %gs and reads it after sleeping (its %gs reloaded
 * by the kernel's context switches), and so does the parent after it. */
static int ldt_segment(void)
{
	const uint16_t sel = 0 << 3 | 4 | 3;             /* entry 0, the LDT, RPL 3 */
	uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			   -1, 0);
	if (p == MAP_FAILED)
		return 0;
	p[0] = 0x2a4c4454;
	struct user_desc d = { .entry_number = 0, .base_addr = (uint32_t)(uintptr_t)p, .limit = 0xfff,
			       .seg_32bit = 1, .useable = 1 };
	if (syscall(SYS_modify_ldt, 1, &d, sizeof(d)))
		return 0;
	bool ok = read_gs(sel) == 0x2a4c4454;
	pid_t pid = fork();
	if (pid == 0) {
		read_gs(sel);
		usleep(20000);
		uint32_t v;
		__asm__ volatile("movl %%gs:0, %0" : "=r"(v) :: "memory");
		_exit(v == 0x2a4c4454 ? 7 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	uint32_t v;
	__asm__ volatile("movl %%gs:0, %0" : "=r"(v) :: "memory");
	__asm__ volatile("mov %w0, %%gs" :: "r"(0));
	munmap(p, 4096);
	return ok && v == 0x2a4c4454 && WIFEXITED(st) && WEXITSTATUS(st) == 7;
}

/* Two vector registers loaded from (pat), then (rounds) times a byte
 * written to (out) and one read from (in), then the registers stored into
 * (got): ymm8 and ymm15 with (avx), else xmm8 and xmm15 (16 bytes each). */
static void vectors_across(bool avx, int in, int out, unsigned rounds, const uint8_t pat[64], uint8_t got[64])
{
	char byte = 'v';
	uint64_t fds[2] = { (uint64_t)in, (uint64_t)out };
#define ROUNDS_LOOP                                                          \
	"1:\n\tmov $1, %%eax\n\tmov 8(%[fds]), %%rdi\n\tmov %[b], %%rsi\n\t"     \
	"mov $1, %%edx\n\tsyscall\n\t"                                           \
	"xor %%eax, %%eax\n\tmov (%[fds]), %%rdi\n\tmov %[b], %%rsi\n\t"            \
	"mov $1, %%edx\n\tsyscall\n\t"                                           \
	"dec %[n]\n\tjnz 1b\n\t"
	if (avx)
		__asm__ volatile("vmovdqu (%[p]), %%ymm8\n\tvmovdqu 32(%[p]), %%ymm15\n\t" ROUNDS_LOOP
				 "vmovdqu %%ymm8, (%[g])\n\tvmovdqu %%ymm15, 32(%[g])\n\tvzeroupper"
				 : [n] "+r"(rounds)
				 : [p] "r"(pat), [g] "r"(got), [fds] "r"(fds), [b] "r"(&byte)
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r11", "xmm8", "xmm15", "memory");
	else
		__asm__ volatile("movdqu (%[p]), %%xmm8\n\tmovdqu 32(%[p]), %%xmm15\n\t" ROUNDS_LOOP
				 "movdqu %%xmm8, (%[g])\n\tmovdqu %%xmm15, 32(%[g])"
				 : [n] "+r"(rounds)
				 : [p] "r"(pat), [g] "r"(got), [fds] "r"(fds), [b] "r"(&byte)
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r11", "xmm8", "xmm15", "memory");
#undef ROUNDS_LOOP
}

/* Each of two processes, passing a byte back and forth 2000 times by
 * pipes, finds its own values in its vector registers afterwards.  Where
 * the CPU has AVX, the kernel must have enabled it (XCR0 has x87, SSE and
 * AVX) and the registers are ymm; else xmm. */
static int vector_registers(void)
{
	uint32_t a = 1, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	bool avx = c >> 28 & 1;
	if (avx) {
		uint32_t lo, hi;
		if (!(c >> 27 & 1))
			return 0;       /* AVX, but XSAVE not enabled (no OSXSAVE): xgetbv is #UD */
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		if ((lo & 7) != 7)
			return 0;
	}
	int to_child[2], to_parent[2];
	if (pipe(to_child) || pipe(to_parent))
		return 0;
	uint8_t mine[64], theirs[64], got[64] = { 0 };
	for (unsigned i = 0; i < 64; i++)
		mine[i] = (uint8_t)(0x11 * i + 1), theirs[i] = (uint8_t)(0x35 * i + 7);
	size_t n = avx ? 32 : 16;       /* the bytes of each register */
	pid_t pid = fork();
	if (pid == 0) {
		vectors_across(avx, to_child[0], to_parent[1], 2000, theirs, got);
		_exit(!memcmp(got, theirs, n) && !memcmp(got + 32, theirs + 32, n) ? 7 : 1);
	}
	vectors_across(avx, to_parent[0], to_child[1], 2000, mine, got);
	int st = 0;
	waitpid(pid, &st, 0);
	for (unsigned i = 0; i < 2; i++)
		close(to_child[i]), close(to_parent[i]);
	return !memcmp(got, mine, n) && !memcmp(got + 32, mine + 32, n) &&
	       WIFEXITED(st) && WEXITSTATUS(st) == 7;
}

#define BALLOON "/sys/devices/system/xen_memory/xen_memory0/"

/* A number from the balloon's sysfs file (name): -1 if none. */
static long balloon_kb(const char *name)
{
	char path[128];
	long kb = -1;
	snprintf(path, sizeof(path), BALLOON "%s", name);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &kb) != 1)
			kb = -1;
		fclose(f);
	}
	return kb;
}

/* Ask the balloon for (kb) and wait (up to 20 s) until the domain has it. */
static bool balloon_to(long kb)
{
	FILE *f = fopen(BALLOON "target_kb", "w");
	if (!f)
		return false;
	fprintf(f, "%ld\n", kb);
	fclose(f);
	for (unsigned i = 0; i < 400; i++) {
		if (balloon_kb("info/current_kb") == kb)
			return true;
		usleep(50000);
	}
	return false;
}

/* The balloon gives 16 MiB back to the hypervisor (decrease_reservation)
 * and takes it again (populate_physmap). */
static int balloon(void)
{
	long kb = balloon_kb("info/current_kb");
	return kb > 32768 && balloon_to(kb - 16384) && balloon_to(kb);
}

static int test(const char *self)
{
	double us;
	check(fork_codes(200), "200 forks, each child's exit code seen by its parent");
	check(parallel_forks(100), "a loop of 100 forks on each CPU at once, every exit code seen");
	check(cow(1 << 20), "copy-on-write: a child's writes to 1 MiB leave the parent's copy alone");
	check(exec_loop(50, self), "50 fork+exec of a static program, exit code 42");
	check(mmap_loop(8, 16), "16 MiB mapped, every page written, read back read-only, unmapped, 8 times");
	check(pipe_ring(16, 200, &us), "a token passed 3200 times round 16 processes by pipes");
	check(ldt_segment(), "a segment of the process's LDT, read through %gs, in a child and after it");
	check(vector_registers(), "vector registers (AVX where the CPU has it) are each process's own");
	if (under_xen)
		check(balloon(), "the balloon gives 16 MiB back and takes it again");
	if (under_xen && counters(before))
		check(xenstore_checks(), "xenstore: read, written, watched, a transaction; what is not ours refused");
	check(system("/bin/sh -c 'x=$((6*7)); [ $x = 42 ]'") == 0, "sh -c arithmetic");
	printf("pvmmu-linux-test passed=%u failed=%u\n", passed, failed);
	return failed != 0;
}

static void report(const char *op, double us, unsigned iters)
{
	uint64_t after[NR_COUNTERS];
	printf("pvmmu-linux-bench op=%s us=%.3f iters=%u", op, us, iters);
	if (have_counts && counters(after))
		printf(" hypercalls=%.2f validated=%.2f pins=%.2f unpins=%.2f flushes=%.2f emulated=%.2f"
		       " flush_ipis=%.2f",
		       (double)(after[0] - before[0]) / iters, (double)(after[1] - before[1]) / iters,
		       (double)(after[2] - before[2]) / iters, (double)(after[3] - before[3]) / iters,
		       (double)(after[4] - before[4]) / iters, (double)(after[5] - before[5]) / iters,
		       (double)(after[6] - before[6]) / iters);
	else
		printf(" hv_counts=0");
	printf("\n");
	fflush(stdout);
	start_counts();
}

static const char *only;        /* bench OP: that operation alone */

static bool want(const char *op)
{
	return !only || !strcmp(only, op);
}

static void bench_proc(const char *self)
{
	unsigned n = 300;
	double t;
	if (want("fork")) {
		pin_to(0);              /* one CPU's loop: no child woken on another */
		start_counts();
		t = now_us();
		fork_codes(n);
		report("fork", (now_us() - t) / n, n);
		pin_to(-1);
	}
	if (want("forks")) {
		unsigned cpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
		start_counts();
		t = now_us();
		parallel_forks(n);
		report("forks", (now_us() - t) / (n * cpus), n * cpus);
	}
	if (want("exec")) {
		n = 150;
		start_counts();
		t = now_us();
		exec_loop(n, self);
		report("exec", (now_us() - t) / n, n);
	}
	if (want("sh")) {
		n = 100;
		start_counts();
		t = now_us();
		for (unsigned i = 0; i < n; i++)
			if (system("exit") != 0)
				break;
		report("sh", (now_us() - t) / n, n);
	}
}

/* A (mib) MiB file in /tmp (tmpfs), mapped. */
static void *file_map(size_t len, int *fd)
{
	*fd = open("/tmp/pvmmu-bench", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (*fd < 0 || ftruncate(*fd, (off_t)len))
		return MAP_FAILED;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (m != MAP_FAILED)
		memset(m, 1, len);      /* the file's pages exist; the faults only map them */
	return m;
}

static void bench_memory(void)
{
	size_t len = 16u << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	int fd;
	unsigned char *m = file_map(len, &fd);
	if (m == MAP_FAILED)
		return;
	munmap(m, len);
	unsigned sum = 0, rounds = want("fault") ? 4 : 0, pages = 0;
	start_counts();
	double t = now_us();
	for (unsigned r = 0; r < rounds; r++) {
		m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		for (size_t i = 0; i < len; i += page, pages++)
			sum += m[i];
		munmap(m, len);
	}
	if (rounds)
		report("fault", (now_us() - t) / pages, pages);
	size_t mlen = 4u << 20;
	unsigned n = want("mmap") ? 50 : 0;
	start_counts();
	t = now_us();
	for (unsigned i = 0; i < n; i++) {
		m = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, 0);
		for (size_t k = 0; k < mlen; k += 16384)
			sum += m[k];
		munmap(m, mlen);
	}
	if (n)
		report("mmap", (now_us() - t) / n, n);
	close(fd);
	unlink("/tmp/pvmmu-bench");
	if (sum == 42)
		puts("");
}

static void bench(const char *self)
{
	double us;
	start_counts();
	bench_proc(self);
	if (want("fault") || want("mmap"))
		bench_memory();
	if (want("ctx2") && pipe_ring(2, 2000, &us))
		report("ctx2", us, 4000);
	if (want("ctx16") && pipe_ring(16, 300, &us))
		report("ctx16", us, 4800);
	unsigned n = want("syscall") ? 200000 : 0;
	start_counts();
	double t = now_us();
	for (unsigned i = 0; i < n; i++)
		getppid();
	if (n)
		report("syscall", (now_us() - t) / n, n);
	printf("pvmmu-linux-bench done\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exit"))
		return 42;
	char type[16] = "";
	FILE *f = fopen("/sys/hypervisor/type", "r");
	if (f) {
		under_xen = fgets(type, sizeof(type), f) && !strncmp(type, "xen", 3);
		fclose(f);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "test"))
		return test(argv[0]);
	if (argc > 1 && !strcmp(argv[1], "bench")) {
		static const char *const ops[] = { "fork", "forks", "exec", "sh", "fault", "mmap", "ctx2", "ctx16",
						   "syscall" };
		only = argc > 2 ? argv[2] : NULL;
		bool known = !only;
		for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			known |= only && !strcmp(only, ops[i]);
		if (!known) {
			fprintf(stderr, "pvmmu-linux: no benchmark operation '%s' (fork forks exec sh fault mmap ctx2 ctx16 "
					"syscall)\n", only);
			return 2;
		}
		bench(argv[0]);
		return 0;
	}
	fprintf(stderr, "usage: pvmmu-linux test|bench [OP]|exit\n");
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvmmu run --kernel: boot a kernel nobody here wrote (Debian's Linux, any
 * image Xen's loader takes) as a PV guest of hv under QEMU, with an initrd
 * and a command line of its own, as xl boots a domU.
 *
 * The kernel file is an ELF or a bzImage (unpacked here, tools/kernel.c).
 * QEMU's PVH boot carries one module, so the module is built here: the ELF,
 * padded to a page, then the initrd; hv is told where the initrd starts
 * and how long it is (initrd_offset=, initrd_size=), and is given the
 * guest's command line after " -- " (hv/main.c).  The same settings may
 * come from an xl-style config file (kernel, ramdisk, extra, memory,
 * vcpus), the command line's options overriding it.
 *
 * With a terminal on stdin the run is interactive: the terminal is the
 * guest's console (console=hvc0, through hv's console ring), its output
 * passed on as it comes.  The run ends as the guest ends: exit status 0 if it powered off and hv's
 * audits were clean, 1 if it crashed, rebooted or hv refused it, 3 if hv
 * itself failed, 4 if it passed the time limit, 2 for bad input (a command
 * line, a file that is missing or not a kernel).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "cpio.h"
#include "kernel.h"
#include "linux.h"
#include "qemu.h"

static const char linux_usage[] =
	"usage: pvmmu run --host qemu|xen --kernel FILE [--initrd FILE] [--append STRING]\n"
	"                 [--memory MiB] [--vcpus N] [--timeout S] [--accel tcg|kvm]\n"
	"       pvmmu run --host qemu --config FILE [the options above, which override it]\n"
	"\n"
	"Boot a kernel as a Xen PV guest of hv under QEMU (Debian's Linux, or any\n"
	"image Xen's loader accepts: an ELF with Xen's notes, or a bzImage whose\n"
	"payload is one), with an initrd and the guest's command line, until the\n"
	"guest powers off.  The serial console is the guest's console (console=hvc0).\n"
	"--host xen boots the same kernel as dom0 of Xen 4.17 instead, to compare.\n"
	"\n"
	"  --kernel FILE    the kernel: ELF, or bzImage (xz payload)\n"
	"  --initrd FILE    the initial ramdisk (Linux: a cpio archive)\n"
	"  --append STRING  the guest's command line\n"
	"  --memory MiB     the guest's memory (default 256, 16 to 16384)\n"
	"  --vcpus N        virtual CPUs (default 1, 1 to 16)\n"
	"  --config FILE    an xl-style file: kernel = \"...\", ramdisk = \"...\",\n"
	"                   extra = \"...\", memory = N, vcpus = N\n"
	"  --timeout S      stop the run after S seconds (default 600)\n"
	"\n"
	"Exit status: 0 the guest powered off and hv's audits were clean; 1 it\n"
	"crashed or was refused; 2 bad input; 3 hv failed; 4 time ran out; 5 it rebooted.\n";

/* Read all of (path): malloc'd bytes and (*len), or NULL with errno. */
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap) {
			uint8_t *more = cap < (1u << 30) ? realloc(buf, cap *= 2) : NULL;
			if (!more) {
				free(buf);
				buf = NULL;
				errno = EFBIG;
			}
			buf = more;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

/* One "key = value" line of an xl config into (o): 0, or -1 with (why). */
static int config_line(char *line, struct linux_opts *o, const char **why)
{
	char *eq = strchr(line, '='), *key = line, *val;
	if (!eq) {
		*why = "a line that is not key = value";
		return -1;
	}
	*eq = 0;
	val = eq + 1;
	while (isspace((unsigned char)*key))
		key++;
	for (char *e = key + strlen(key); e > key && isspace((unsigned char)e[-1]);)
		*--e = 0;
	while (isspace((unsigned char)*val))
		val++;
	for (char *e = val + strlen(val); e > val && isspace((unsigned char)e[-1]);)
		*--e = 0;
	size_t n = strlen(val);
	bool quoted = n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0];
	if (quoted) {
		val[n - 1] = 0;
		val++;
	}
	char **str = !strcmp(key, "kernel") ? &o->kernel : !strcmp(key, "ramdisk") ? &o->initrd :
		     !strcmp(key, "extra") ? &o->append : NULL;
	uint64_t *num = !strcmp(key, "memory") ? &o->memory_mib : !strcmp(key, "vcpus") ? &o->vcpus : NULL;
	if (str && quoted) {
		free(*str);
		*str = strdup(val);
		return 0;
	}
	if (num && !quoted && cli_number(val, num))
		return 0;
	*why = str ? "kernel, ramdisk and extra take a quoted string" :
	       num ? "memory and vcpus take a number" : NULL;
	return *why ? -1 : 0;       /* other keys (name, on_crash...) are xl's, not ours */
}

int linux_config(const char *path, struct linux_opts *o)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "pvmmu: %s: %s\n", path, strerror(errno));
		return 2;
	}
	char line[4096];
	for (unsigned nr = 1; fgets(line, sizeof(line), f); nr++) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		const char *why = NULL;
		bool blank = strspn(line, " \t\r\n") == strlen(line);
		if (!blank && config_line(line, o, &why)) {
			fprintf(stderr, "pvmmu: %s:%u: %s\n", path, nr, why);
			fclose(f);
			return 2;
		}
	}
	fclose(f);
	return 0;
}

/* The boot module for (o) written to (path): the ELF padded to a page,
 * then the initrd.  0 with (*initrd_offset, *initrd_size), or 2 with a
 * message. */
static int write_module(const struct linux_opts *o, const char *path, uint64_t *initrd_offset,
			uint64_t *initrd_size)
{
	size_t klen, elf_len, ilen = 0;
	uint8_t *kernel = read_file(o->kernel, &klen), *elf = NULL, *initrd = NULL;
	if (!kernel) {
		fprintf(stderr, "pvmmu: --kernel %s: %s\n", o->kernel, strerror(errno));
		return 2;
	}
	const char *why = kernel_elf(kernel, klen, &elf, &elf_len);
	free(kernel);
	if (why) {
		fprintf(stderr, "pvmmu: --kernel %s: %s\n", o->kernel, why);
		return 2;
	}
	if (o->initrd && !(initrd = read_file(o->initrd, &ilen))) {
		fprintf(stderr, "pvmmu: --initrd %s: %s\n", o->initrd, strerror(errno));
		free(elf);
		return 2;
	}
	if (o->initrd && !ilen) {
		fprintf(stderr, "pvmmu: --initrd %s: the file is empty\n", o->initrd);
		free(elf);
		free(initrd);
		return 2;
	}
	*initrd_offset = (elf_len + 4095) & ~(size_t)4095;
	*initrd_size = ilen;
	FILE *f = fopen(path, "wb");
	static const uint8_t zeros[4096];
	bool ok = f && fwrite(elf, 1, elf_len, f) == elf_len &&
		  fwrite(zeros, 1, *initrd_offset - elf_len, f) == *initrd_offset - elf_len &&
		  fwrite(initrd ? initrd : zeros, 1, ilen, f) == ilen;
	ok = f && !fclose(f) && ok;
	free(elf);
	free(initrd);
	if (!ok) {
		fprintf(stderr, "pvmmu: cannot write %s: %s\n", path, strerror(errno));
		return 2;
	}
	return 0;
}

/* What the console said about the end of the run. */
struct verdict {
	bool exit_ok, shut_down, audit_failed;
	unsigned refusals;
	char shutdown[32];
};

static void watch(void *arg, const char *line)
{
	struct verdict *v = arg;
	const char *at;
	if (strstr(line, "pvmmu-hv: exit ok"))
		v->exit_ok = true;
	if ((at = strstr(line, " shut down: "))) {
		v->shut_down = true;
		snprintf(v->shutdown, sizeof(v->shutdown), "%s", at + 12);
	}
	if ((at = strstr(line, "hv: audit ")) && !strstr(at, ": ok"))
		v->audit_failed = true;
	if (strstr(line, " refused (") && strstr(line, "hv: d"))
		v->refusals++;
}

int linux_boot(const struct linux_opts *o, const struct qemu_opts *q, qemu_line_fn fn, void *arg)
{
	char dir[] = "/tmp/pvmmu-linux-XXXXXX", module[64], cmdline[4096];
	if (!mkdtemp(dir)) {
		fprintf(stderr, "pvmmu: cannot make a directory in /tmp: %s\n", strerror(errno));
		return -4;
	}
	snprintf(module, sizeof(module), "%s/module", dir);
	uint64_t off, size, pages = o->memory_mib * 256;
	int code = write_module(o, module, &off, &size) ? -4 : 0;
	if (!code) {
		snprintf(cmdline, sizeof(cmdline), "pages=%llu vcpus=%llu initrd_offset=%llu initrd_size=%llu -- %.3000s",
			 (unsigned long long)pages, (unsigned long long)o->vcpus, (unsigned long long)off,
			 (unsigned long long)size, o->append ? o->append : "");
		struct qemu_opts qo = *q;
		qo.guest = module;
		code = qemu_boot(&qo, false, cmdline, pages, fn, arg);
	}
	unlink(module);
	rmdir(dir);
	return code;
}

int linux_run(const struct linux_opts *o, const struct qemu_opts *q)
{
	if (!o->kernel)
		return cli_usage(linux_usage, "--kernel (or kernel = in --config) is needed");
	if (o->memory_mib < 16 || o->memory_mib > 16384)
		return cli_usage(linux_usage, "--memory takes MiB from 16 to 16384");
	if (o->vcpus < 1 || o->vcpus > 16)
		return cli_usage(linux_usage, "--vcpus takes a number from 1 to 16");
	struct qemu_opts qo = *q;
	struct verdict v = { 0 };
	qo.interactive = isatty(0);     /* the serial port is the guest's console */
	if (qo.interactive)
		fprintf(stderr, "pvmmu: the console is the guest's; 'poweroff -f' in it ends the run (Ctrl-C kills QEMU)\n");
	int code;
	if (q->xen) {           /* the same kernel as Xen's dom0: the oracle */
		char cmdline[4096];
		snprintf(cmdline, sizeof(cmdline), "vcpus=%llu %.3000s", (unsigned long long)o->vcpus,
			 o->append ? o->append : "");
		qo.kernel = o->kernel;
		qo.initrd = o->initrd;
		code = qemu_boot(&qo, false, cmdline, o->memory_mib * 256, watch, &v);
		v.exit_ok = code == 1;  /* Xen's verdict: dom0 powered off */
	} else {
		code = linux_boot(o, &qo, watch, &v);
	}
	fflush(stdout);
	if (code == -4)
		return 2;
	int rc = code == -1 ? 2 : code == -2 ? 4 : code == 5 || v.audit_failed ? 3 : code == 7 ? 5 :
		 code == 1 && v.exit_ok ? 0 : 1;
	if (q->xen) {
		fprintf(stderr, "pvmmu: Xen's dom0 %s\n", rc == 0 ? "powered off" : rc == 4 ? "passed the time limit" :
			rc == 3 ? "stopped Xen (see the console)" : "crashed or was refused (see the console)");
		return rc;
	}
	fprintf(stderr, "pvmmu: the guest %s%s; %u refused requests shown%s\n",
		v.shut_down ? "shut down: " : code == -2 ? "passed the time limit" : "ended without shutting down",
		v.shut_down ? v.shutdown : "", v.refusals,
		rc == 0 ? "; hv's audits clean" : rc == 3 ? "; hv FAILED (see the console)" : "");
	return rc;
}

void linux_help(FILE *f)
{
	fprintf(f, "\n%s", linux_usage);
}

static const char initramfs_usage[] =
	"usage: pvmmu initramfs --out FILE --busybox FILE [--file PATH=HOSTFILE]...\n"
	"\n"
	"Write an initramfs (a newc cpio archive) for a Linux guest: the usual\n"
	"directories, /dev/console, a static busybox as /bin/busybox with /bin/sh,\n"
	"and each HOSTFILE at PATH (executable), for example --file init=guest/linux/init.\n";

/* Add the host file (host) at (path) of the archive, executable. */
static int add_file(struct cpio *c, const char *path, const char *host)
{
	size_t len;
	uint8_t *data = read_file(host, &len);
	if (!data) {
		fprintf(stderr, "pvmmu: %s: %s\n", host, strerror(errno));
		return 2;
	}
	cpio_file(c, path, 0755, data, len);
	free(data);
	return 0;
}

int cmd_initramfs(int argc, char **argv)
{
	const char *out = NULL, *busybox = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(initramfs_usage, stdout);
			return 0;
		}
		if (i + 1 >= argc)
			return cli_usage(initramfs_usage, "option needs a value, or is unknown");
		if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else if (!strcmp(argv[i], "--busybox"))
			busybox = argv[++i];
		else if (strcmp(argv[i], "--file") || !strchr(argv[++i], '='))
			return cli_usage(initramfs_usage, "unknown option, or --file without PATH=HOSTFILE");
	}
	if (!out || !busybox)
		return cli_usage(initramfs_usage, "--out and --busybox are needed");
	FILE *f = fopen(out, "wb");
	if (!f) {
		fprintf(stderr, "pvmmu: %s: %s\n", out, strerror(errno));
		return 2;
	}
	struct cpio c;
	cpio_start(&c, f);
	static const char *const dirs[] = { "bin", "sbin", "dev", "proc", "sys", "tmp", "etc", "root",
					    "usr", "usr/bin", "usr/sbin", "mnt" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		cpio_dir(&c, dirs[i], 0755);
	cpio_chardev(&c, "dev/console", 0600, 5, 1);
	cpio_chardev(&c, "dev/null", 0666, 1, 3);
	int rc = add_file(&c, "bin/busybox", busybox);
	cpio_symlink(&c, "bin/sh", "busybox");
	for (int i = 1; !rc && i < argc; i++) {
		if (strcmp(argv[i], "--file"))
			continue;
		char *eq = strchr(argv[++i], '=');
		*eq = 0;
		rc = add_file(&c, argv[i], eq + 1);
		*eq = '=';
	}
	int err = cpio_finish(&c);
	if (fclose(f) && !err)
		err = errno;
	if (!rc && err) {
		fprintf(stderr, "pvmmu: writing %s: %s\n", out, strerror(err));
		rc = 2;
	}
	if (rc)
		remove(out);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The xen host: Debian's Xen 4.17 (xen-hypervisor-4.17-amd64) under the
 * same QEMU, the guest image as its dom0.  QEMU's multiboot loader starts
 * Xen (-kernel, the image gunzipped) with the guest as the first module
 * (-initrd "guest.elf ARGS": Xen drops the first word and hands the rest to
 * the guest as its command line).  Xen's own command line gives dom0 the
 * run's memory and vCPUs and sends everything to COM1.
 *
 * Xen does not end QEMU when dom0 shuts down: it halts the machine
 * ("noreboot").  The console says what happened, and that line is the
 * run's end (xen_verdict).
 *
 * The package is fetched on first use (tools/debian-fetch.sh, apt-get
 * download and dpkg -x, no install) into build/xen beside the images.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "qemu.h"

#define XEN_PACKAGE "xen-hypervisor-4.17-amd64"
#define XEN_GZ      "root/boot/xen-4.17-amd64.gz"

int xen_image(char *path, size_t len)
{
	char root[PATH_MAX - 128], dir[PATH_MAX], cmd[4 * PATH_MAX];
	build_path(root, sizeof(root), "..");      /* the source tree: build/.. */
	const char *env = getenv("PVMMU_XEN");
	if (env)
		snprintf(dir, sizeof(dir), "%.3000s", env);
	else
		snprintf(dir, sizeof(dir), "%s/build/xen", root);
	snprintf(path, len, "%.3000s/xen", dir);
	if (access(path, R_OK) == 0)
		return 0;
	fprintf(stderr, "pvmmu: fetching Debian's %s into %s\n", XEN_PACKAGE, dir);
	snprintf(cmd, sizeof(cmd),
		 "'%s/tools/debian-fetch.sh' %s '%s' >&2 && gzip -dc '%s/" XEN_GZ "' > '%s.tmp' && mv '%s.tmp' '%s'",
		 root, XEN_PACKAGE, dir, dir, path, path, path);
	if (system(cmd) != 0 || access(path, R_OK) != 0) {
		fprintf(stderr, "pvmmu: the xen host needs Debian's %s (apt-get download %s); it could not be "
			"had\n", XEN_PACKAGE, XEN_PACKAGE);
		return -1;
	}
	return 0;
}

void xen_command_lines(const char *guest, const char *cmdline, uint64_t pages, char *xen_args, size_t xlen,
		       char *module, size_t mlen)
{
	const char *v = strstr(cmdline, "vcpus=");
	unsigned vcpus = v ? (unsigned)strtoul(v + 6, NULL, 10) : 1;
	unsigned long long kib = (unsigned long long)pages * 4;
	snprintf(xen_args, xlen,
		 "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot dom0_mem=%lluK,max:%lluK "
		 "dom0_max_vcpus=%u", kib, kib, vcpus ? vcpus : 1);
	snprintf(module, mlen, "%s %s", guest, cmdline);
}

int xen_verdict(bool *panicking, bool *dom0_refused, const char *line)
{
	if (strstr(line, "Hardware Dom0 halted") || strstr(line, "(XEN) Entering ACPI S5 state"))
		return 1;       /* dom0 powered off (Linux's by ACPI S5): as hv's clean exit */
	if (strstr(line, "Hardware Dom0 crashed") || strstr(line, "Hardware Dom0 shutdown"))
		return 3;       /* as hv's "the guest failed" */
	*panicking |= strstr(line, "Panic on CPU") != NULL;
	*dom0_refused |= *panicking && strstr(line, "Could not construct domain 0") != NULL;
	if (*panicking && (strstr(line, "Manual reset required") || strstr(line, "Reboot in five seconds")))
		return *dom0_refused ? 3 : 5;   /* a refused image, as on hv; else Xen stopped itself */
	return 0;
}

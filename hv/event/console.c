/* SPDX-License-Identifier: MIT */
/*
 * console_io(cmd, count, buffer): the guest's bytes to the serial console,
 * each line after "(dN) ", as Xen prints a guest's.  A write of any length
 * is taken in slices of the hypercall budget (core/preempt.h) and continued
 * as Xen continues it, so no guest keeps hv busy for long.  There is no
 * console input yet: a read returns nothing.
 */
#include "../../core/preempt.h"
#include "../hv.h"

/* Work charged per byte written: a polled UART is slow. */
#define BYTE_COST 16

static long write_guest(struct vcpu *v, uint64_t at, uint32_t count)
{
	struct hv_domain *hd = hv_domain(v->d);
	char buf[127];
	while (count) {
		if (preempt_due(v))
			return preempt_continue(v, HYPERVISOR_console_io, CONSOLEIO_write, count, at, 0);
		uint32_t n = count < sizeof(buf) ? count : (uint32_t)sizeof(buf);
		if (env_copy_from_guest(v, buf, at, n))
			return -XEN_EFAULT;
		for (uint32_t i = 0; i < n; i++) {
			if (hd->console_line_start)
				printk("(d%u) ", v->d->domid);
			console_write(&buf[i], 1);
			hd->console_line_start = buf[i] == '\n';
		}
		preempt_spend(v, (uint64_t)n * BYTE_COST);
		at += n;
		count -= n;
	}
	return 0;
}

long do_console_io(struct vcpu *v, const uint64_t a[6])
{
	switch ((uint32_t)a[0]) {
	case CONSOLEIO_write:
		return write_guest(v, a[2], (uint32_t)a[1]);
	case CONSOLEIO_read:
		return (int32_t)a[1] < 0 ? -XEN_E2BIG : 0;
	default:
		return -XEN_ENOSYS;
	}
}

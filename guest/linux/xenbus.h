/* SPDX-License-Identifier: MIT */
#ifndef GUEST_LINUX_XENBUS_H
#define GUEST_LINUX_XENBUS_H
#include <stdbool.h>
/* The domain's xenstore, through Linux's xenbus device: its own part read
 * (and what Linux's xenbus wrote there at boot), written, watched, a
 * transaction committed, what is not its own refused.  True if all held. */
bool xenstore_checks(void);
#endif

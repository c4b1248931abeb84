/* SPDX-License-Identifier: MIT */
/*
 * The TSC's rate, for turning the guest's cycle counts into time.
 *
 * Against the HPET where the machine has one (q35 does, at its usual
 * 0xfed00000; Xen calibrates against it too): five windows of 10 ms, each
 * end a TSC read on either side of an HPET read, kept only if the two TSC
 * reads are close (nothing came between them), the median of the five.
 * A window a descheduled QEMU thread stretches only moves one of five.
 *
 * Without an HPET, against the PIT's channel 2 (10 ms, mode 0), five times,
 * the smallest: a late look at the PIT only ever makes a window longer.
 *
 * Called early, while the boot tables still map the low 4 GiB one to one.
 */
#include "pc.h"

#define HPET_BASE      0xfed00000ull
#define HPET_CAP       0x000        /* bits 63-32: the counter's period in fs */
#define HPET_CONFIG    0x010        /* bit 0: the main counter runs */
#define HPET_COUNTER   0x0f0
#define WINDOWS        5
#define WINDOW_FS      10000000000000ull   /* 10 ms in femtoseconds */

static volatile uint64_t *hpet(unsigned reg)
{
	return (volatile uint64_t *)(uintptr_t)(HPET_BASE + reg);
}

static uint64_t median(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* A TSC reading taken with an HPET one (*h): 0 if they were not together. */
static uint64_t paired(uint64_t *h)
{
	for (unsigned tries = 0; tries < 100; tries++) {
		uint64_t a = rdtsc();
		*h = *hpet(HPET_COUNTER);
		uint64_t b = rdtsc();
		if (b - a < 100000)
			return a + (b - a) / 2;
	}
	return 0;
}

static uint64_t against_hpet(void)
{
	uint64_t period = *hpet(HPET_CAP) >> 32, rates[WINDOWS];
	if (period == 0 || period > 100000000)      /* no HPET: 0 or all ones */
		return 0;
	*hpet(HPET_CONFIG) |= 1;
	uint64_t ticks = WINDOW_FS / period;
	for (unsigned w = 0; w < WINDOWS; w++) {
		uint64_t h0, h1, t0 = paired(&h0), t1;
		do
			t1 = paired(&h1);
		while (h1 - h0 < ticks && t1);
		if (!t0 || !t1 || h1 == h0)
			return 0;
		uint64_t ns = (h1 - h0) * period / 1000000;     /* about 10^7 */
		if (!ns)
			return 0;
		rates[w] = (t1 - t0) * 1000000 / ns;           /* cycles per ns, in kHz */
	}
	return median(rates, WINDOWS);
}

static uint64_t against_pit(void)
{
	const unsigned count = 11932;                           /* 10 ms at 1193182 Hz */
	uint64_t best = ~0ull;
	for (unsigned w = 0; w < WINDOWS; w++) {
		outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));     /* gate on, speaker off */
		outb(0x43, 0xb0);                                       /* channel 2, mode 0 */
		outb(0x42, count & 0xff);
		outb(0x42, count >> 8);
		uint64_t t0 = rdtsc();
		for (unsigned spin = 0; spin < 100000000 && !(inb(0x61) & 0x20); spin++)
			;
		uint64_t khz = (rdtsc() - t0) / 10;
		best = khz < best ? khz : best;
	}
	return best;
}

uint64_t pc_tsc_khz(void)
{
	uint64_t khz = against_hpet();
	return khz ? khz : against_pit();
}

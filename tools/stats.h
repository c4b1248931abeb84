/* SPDX-License-Identifier: MIT */
/*
 * Repeated measurements and their spread.  A figure is the median of its
 * runs with the lowest and highest run beside it.  A ratio of two sides is
 * taken run by run, each run of one side against the run of the other made
 * next to it, and only then summarised: drift in the host's speed between
 * rounds moves both runs of a pair and cancels in their ratio.
 */
#ifndef TOOLS_STATS_H
#define TOOLS_STATS_H

struct spread {
	double median, lo, hi;
};

/* The median (of the two middle values when n is even), lowest and highest
 * of v[0..n); v is left as it was.  n >= 1. */
struct spread spread_of(const double *v, unsigned n);

/* spread_of over the pairs' ratios top[k] / base[k], k < n.  n >= 1. */
struct spread spread_of_ratios(const double *top, const double *base, unsigned n);

#endif

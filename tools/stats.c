/* SPDX-License-Identifier: MIT */
/* Medians and spreads of repeated measurements (theory in stats.h). */
#include <stdlib.h>
#include <string.h>
#include "stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static struct spread spread_sorted(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	double mid = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return (struct spread){ mid, v[0], v[n - 1] };
}

struct spread spread_of(const double *v, unsigned n)
{
	double *c = malloc(n * sizeof(*c));
	if (!c)
		abort();
	memcpy(c, v, n * sizeof(*c));
	struct spread s = spread_sorted(c, n);
	free(c);
	return s;
}

struct spread spread_of_ratios(const double *top, const double *base, unsigned n)
{
	double *c = malloc(n * sizeof(*c));
	if (!c)
		abort();
	for (unsigned k = 0; k < n; k++)
		c[k] = top[k] / base[k];
	struct spread s = spread_sorted(c, n);
	free(c);
	return s;
}

/* SPDX-License-Identifier: MIT */
/*
 * pvmmu bench report: every benchmark on every host the machine has, kept
 * as rows and written out as JSON, a Markdown table and a plot.
 *
 * A row is one figure of one benchmark: a time (or other measure) of one
 * operation on one side, or a ratio of two sides taken pair by pair, each
 * with its spread over the runs, or the work one PV operation did.  The
 * benchmarks add rows as they print; with no report (NULL) adding does
 * nothing, so they run alike alone and under the report.
 */
#ifndef TOOLS_REPORT_H
#define TOOLS_REPORT_H

#include "stats.h"

enum row_kind { ROW_TIME, ROW_RATIO, ROW_WORK };

struct report_row {
	enum row_kind kind;
	char bench[8];          /* core, guest, linux */
	char op[24];            /* the operation's short name */
	char label[56];         /* what lmbench or the reader calls it */
	char side[24];          /* a time: native, hv, xen, sim; a ratio: "hv/native" */
	char unit[12];          /* a time's unit: us, ms, ns/entry, x */
	struct spread s;
	double target;          /* the most the figure may be; 0: none */
	char work[160];         /* ROW_WORK: the PV side's work per operation */
	double crossings;       /* ROW_WORK: its entries into the hypervisor (hypercalls,
				 * bounced faults, emulated stores); < 0: not known */
};

struct report {
	struct report_row *rows;
	unsigned n, cap;
};

/* Add a time of (op) on (side), in (unit), with a (target) or 0. */
void report_time(struct report *r, const char *bench, const char *op, const char *label,
		 const char *side, const char *unit, struct spread s, double target);

/* Add the ratio (top)/(base) of (op), pair by pair, with a (target) or 0. */
void report_ratio(struct report *r, const char *bench, const char *op, const char *label,
		  const char *top, const char *base, struct spread s, double target);

/* Add what one PV operation of (op) did (hypercalls, validations...) and
 * how many times it entered the hypervisor (< 0: not known). */
void report_work(struct report *r, const char *bench, const char *op, const char *work, double crossings);

/* pvmmu bench report (argv[0] is "report"). */
int bench_report(int argc, char **argv);

#endif

/* SPDX-License-Identifier: MIT */
/* The benchmarks' JSON output (contract in json.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "json.h"

void json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_spread(FILE *f, const char *name, const struct spread *s)
{
	fputs(",", f);
	json_string(f, name);
	fprintf(f, ":{\"median\":%.6g,\"lo\":%.6g,\"hi\":%.6g}", s->median, s->lo, s->hi);
}

/* The value of the first line of (path) that starts with (key), after its
 * colon and spaces, without the newline; NULL when there is none. */
static char *field(const char *path, const char *key, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	char line[512];
	char *found = NULL;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, key, strlen(key)) || !colon)
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = 0;
		snprintf(out, size, "%s", colon);
		found = out;
	}
	if (f)
		fclose(f);
	return found;
}

/* The first line QEMU prints for --version, or NULL. */
static char *qemu_version(char *out, size_t size)
{
	FILE *p = popen("qemu-system-x86_64 --version 2>/dev/null", "r");
	char *got = p && fgets(out, (int)size, p) ? out : NULL;
	if (p)
		pclose(p);
	if (got)
		got[strcspn(got, "\n")] = 0;
	return got && *got ? got : NULL;
}

void json_machine(FILE *f)
{
	char model[256], mhz[64], mem[64], qemu[256], when[32];
	struct utsname u;
	time_t now = time(NULL);
	bool have_uname = uname(&u) == 0;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fputs("{\"cpu\":", f);
	json_string(f, field("/proc/cpuinfo", "model name", model, sizeof(model)));
	fputs(",\"cpu_mhz\":", f);
	json_string(f, field("/proc/cpuinfo", "cpu MHz", mhz, sizeof(mhz)));
	fprintf(f, ",\"cpus\":%ld,\"memory\":", sysconf(_SC_NPROCESSORS_ONLN));
	json_string(f, field("/proc/meminfo", "MemTotal", mem, sizeof(mem)));
	fputs(",\"kernel\":", f);
	json_string(f, have_uname ? u.release : NULL);
	fputs(",\"qemu\":", f);
	json_string(f, qemu_version(qemu, sizeof(qemu)));
	fputs(",\"utc\":", f);
	json_string(f, when);
	fputc('}', f);
}

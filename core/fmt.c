/* SPDX-License-Identifier: MIT */
/* A small freestanding formatter (contract in fmt.h). */
#include <stdint.h>
#include "fmt.h"

struct out {
	char *buf;
	size_t len, at;
};

static void put(struct out *o, char c)
{
	if (o->at + 1 < o->len)
		o->buf[o->at++] = c;
}

static void put_num(struct out *o, uint64_t n, unsigned base)
{
	char digits[24];
	int i = 0;
	if (base == 16) {
		put(o, '0');
		put(o, 'x');
	}
	do {
		digits[i++] = "0123456789abcdef"[n % base];
		n /= base;
	} while (n);
	while (i--)
		put(o, digits[i]);
}

size_t vfmt(char *buf, size_t len, const char *f, va_list ap)
{
	struct out o = { buf, len, 0 };

	for (; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		if (*f == 's') {
			for (const char *s = va_arg(ap, const char *); s && *s; s++)
				put(&o, *s);
		} else if (*f == 'u') {
			put_num(&o, va_arg(ap, unsigned), 10);
		} else if (*f == 'd' || (*f == 'l' && f[1] == 'd')) {
			int64_t n = *f == 'd' ? va_arg(ap, int) : va_arg(ap, int64_t);
			if (n < 0)
				put(&o, '-');
			put_num(&o, n < 0 ? -(uint64_t)n : (uint64_t)n, 10);
			f += *f == 'l';
		} else if (*f == 'l' && (f[1] == 'u' || f[1] == 'x')) {
			put_num(&o, va_arg(ap, uint64_t), f[1] == 'x' ? 16 : 10);
			f++;
		} else if (*f == '%') {
			put(&o, '%');
		} else {
			break;
		}
	}
	if (len)
		buf[o.at] = 0;
	return o.at;
}

size_t fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	size_t n = vfmt(buf, len, f, ap);
	va_end(ap);
	return n;
}

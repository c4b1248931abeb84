/* SPDX-License-Identifier: MIT */
/*
 * The console: COM1 at 115200 8N1, written by polling; and the way out:
 * QEMU's isa-debug-exit device at port 0xf4 turns a byte (code) into QEMU's
 * exit status (code << 1) | 1.  On a machine without that device the write
 * does nothing and we halt.
 */
#include "../core/fmt.h"
#include "hv.h"

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

void console_init(void)
{
	outb(COM1 + 1, 0x00);   /* no interrupts */
	outb(COM1 + 3, 0x80);   /* divisor latch */
	outb(COM1 + 0, 0x01);   /* 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);   /* 8N1 */
	outb(COM1 + 2, 0xc7);   /* FIFO on */
	outb(COM1 + 4, 0x03);
}

static void put(char c)
{
	for (unsigned spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
		;
	outb(COM1, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put('\r');
		put(s[i]);
	}
}

void printk(const char *f, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, f);
	size_t n = vfmt(buf, sizeof(buf), f, ap);
	va_end(ap);
	console_write(buf, n);
}

_Noreturn void hv_exit(unsigned code)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* The compiler may call these for struct copies and initialisers. */
void *memset(void *d, int c, size_t n)
{
	void *r = d;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *r = d;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
	return r;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

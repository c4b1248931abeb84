/* SPDX-License-Identifier: MIT */
/*
 * The PC's few devices, as pc.h describes them.  The console polls COM1's
 * line status (bounded, so a missing UART cannot hang us); the exit writes
 * its code to port 0xf4, which does nothing on a machine without QEMU's
 * isa-debug-exit, so we halt after it.
 */
#include "../core/fmt.h"
#include <stdatomic.h>
#include "pc.h"

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

/* One writer at a time, so the lines of several CPUs do not interleave. */
static atomic_flag console_busy = ATOMIC_FLAG_INIT;

static void write(const char *s, size_t n, bool cooked)
{
	while (atomic_flag_test_and_set_explicit(&console_busy, memory_order_acquire))
		__asm__ volatile("pause");
	for (size_t i = 0; i < n; i++) {
		if (cooked && s[i] == '\n')
			put('\r');
		put(s[i]);
	}
	atomic_flag_clear_explicit(&console_busy, memory_order_release);
}

void console_write_raw(const char *s, size_t n)
{
	write(s, n, false);
}

void console_write(const char *s, size_t n)
{
	write(s, n, true);
}

int console_read(void)
{
	return inb(COM1 + 5) & 1 ? inb(COM1) : -1;
}

/* One CMOS RTC register, in binary (bits in (keep) only). */
static unsigned rtc(uint8_t reg, bool bcd, unsigned keep)
{
	outb(0x70, reg);
	unsigned v = inb(0x71) & keep;
	return bcd ? (v & 15) + (v >> 4) * 10 : v;
}

/* Days from 1970-01-01 to (y, m, d), proleptic Gregorian. */
static uint64_t days_from_civil(uint64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	uint64_t era = y / 400, yoe = y - era * 400;
	uint64_t doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

uint64_t pc_rtc_seconds(void)
{
	for (unsigned spin = 0; spin < 1000000; spin++) {     /* not mid-update */
		outb(0x70, 0x0a);
		if (!(inb(0x71) & 0x80))
			break;
	}
	outb(0x70, 0x0b);
	uint8_t b = inb(0x71);
	bool bcd = !(b & 4);
	unsigned sec = rtc(0, bcd, 0xff), min = rtc(2, bcd, 0xff), hour = rtc(4, bcd, 0x7f);
	unsigned day = rtc(7, bcd, 0xff), mon = rtc(8, bcd, 0xff), year = rtc(9, bcd, 0xff);
	if (!(b & 2))                                      /* a 12-hour clock */
		hour = hour % 12 + (rtc(4, false, 0x80) ? 12 : 0);
	if (mon < 1 || mon > 12 || day < 1 || day > 31)
		return 0;
	return days_from_civil(2000 + year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
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

void pc_load_gdt(const uint64_t *gdt, size_t bytes, uint16_t cs, uint16_t ds)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d = { (uint16_t)(bytes - 1), (uint64_t)(uintptr_t)gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %q1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss"
			 :: "m"(d), "r"((uint64_t)cs), "r"((uint32_t)ds) : "rax", "memory");
}

bool pc_has_rdtscp(void)
{
	uint32_t r[4];
	pc_cpuid(0x80000000u, 0, r);
	if (r[0] < 0x80000001u)
		return false;
	pc_cpuid(0x80000001u, 0, r);
	return r[3] & (1u << 27);
}

void pc_set_tsc_aux(uint32_t v)
{
	static int has = -1;
	if (has < 0)
		has = pc_has_rdtscp();
	if (has)
		__asm__ volatile("wrmsr" :: "c"(MSR_TSC_AUX), "a"(v), "d"(0));
}

#define PIC1 0x20
#define PIC2 0xa0

void pc_timer_start(void)
{
	static const uint8_t icw[2][4] = { { 0x11, PC_TIMER_VECTOR, 0x04, 0x01 },
					   { 0x11, PC_TIMER_VECTOR + 8, 0x02, 0x01 } };
	for (unsigned k = 0; k < 4; k++) {
		outb(PIC1 + (k ? 1 : 0), icw[0][k]);
		outb(PIC2 + (k ? 1 : 0), icw[1][k]);
	}
	outb(PIC1 + 1, 0xfe);
	outb(PIC2 + 1, 0xff);
	const unsigned div = 1193182u / 1000u;
	outb(0x43, 0x34);                       /* channel 0, lo/hi bytes, rate generator */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
}

void pc_timer_eoi(void)
{
	outb(PIC1, 0x20);
}

uint64_t pc_arg_number(const char *cmdline, const char *key, uint64_t dflt)
{
	size_t k = strlen(key);
	for (const char *p = cmdline; *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || memcmp(p, key, k))
			continue;
		uint64_t n = 0;
		const char *q = p + k;
		for (; *q >= '0' && *q <= '9' && n < (1ull << 40); q++)
			n = n * 10 + (uint64_t)(*q - '0');
		return q != p + k && (*q == ' ' || !*q) && n < (1ull << 40) ? n : PC_ARG_BAD;
	}
	return dflt;
}

bool pc_arg_word(const char *cmdline, const char *word)
{
	size_t k = strlen(word);
	for (const char *p = cmdline; *p; p++)
		if ((p == cmdline || p[-1] == ' ') && !memcmp(p, word, k) && (p[k] == ' ' || !p[k]))
			return true;
	return false;
}

_Noreturn void pc_exit(unsigned code)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* The compiler may call these for struct copies and initialisers.  Whole
 * words first, then the bytes left: a string instruction is a loop of
 * single steps under emulation (TCG), so eight times fewer steps count. */
void *memset(void *d, int c, size_t n)
{
	void *r = d;
	size_t words = n / 8, bytes = n % 8;
	uint64_t v = 0x0101010101010101ull * (uint8_t)c;
	__asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(bytes) : "a"(v) : "memory");
	return r;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *r = d;
	size_t words = n / 8, bytes = n % 8;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words) :: "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(bytes) :: "memory");
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

/* SPDX-License-Identifier: MIT */
/*
 * The PC that both ring-0 images stand on (hv.elf, and native.elf, the
 * guest kernel booted without a hypervisor): the PVH entry (pvh.S), port
 * I/O, COM1 as the console, the TSC and its rate against the PIT, and
 * QEMU's isa-debug-exit device as the way out with a status.
 */
#ifndef PC_PC_H
#define PC_PC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

/* COM1 at 115200 8N1, polled.  Write (n) bytes of (s), "\n" as "\r\n". */
void console_init(void);
void console_write(const char *s, size_t n);
/* printf through core's formatter (core/fmt.h conversions). */
void printk(const char *f, ...);

/* The TSC's rate in kHz, measured against 10 ms of the PIT's channel 2. */
uint64_t pc_tsc_khz(void);

/* Stop the machine: QEMU's isa-debug-exit reports (code << 1) | 1; where
 * the device is absent, halt. */
_Noreturn void pc_exit(unsigned code);

/* A number after "key" (say "pages=") as a word of (cmdline), or (dflt). */
uint64_t pc_arg_number(const char *cmdline, const char *key, uint64_t dflt);

/* The compiler may call these for struct copies and initialisers. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif

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
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_dr6(uint64_t v) { __asm__ volatile("mov %0, %%dr6" :: "r"(v)); }
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

/* COM1 at 115200 8N1, polled.  Write (n) bytes of (s), "\n" as "\r\n". */
void console_init(void);
void console_write(const char *s, size_t n);
/* The same without turning "\n" into "\r\n" (a guest's terminal output). */
void console_write_raw(const char *s, size_t n);
/* A byte typed on COM1, or -1 if none waits. */
int console_read(void);
/* The CMOS clock as seconds since 1970 (years 2000-2099), 0 if unreadable. */
uint64_t pc_rtc_seconds(void);
/* printf through core's formatter (core/fmt.h conversions). */
void printk(const char *f, ...);

/* The TSC's rate in kHz, measured against the HPET, or the PIT's channel 2
 * where there is no HPET (pc/tsc.c).  Only while the boot tables map the
 * low 4 GiB one to one. */
uint64_t pc_tsc_khz(void);

/* The PIT's channel 0 as a rate generator at 1 kHz, through the PIC with
 * its vectors moved to 0x20 (IRQ0) and 0x28 and only IRQ0 unmasked. */
#define PC_TIMER_VECTOR 0x20u
void pc_timer_start(void);
/* Acknowledge the timer's interrupt. */
void pc_timer_eoi(void);

/* An IDT entry: an interrupt gate (interrupts off on entry) to (handler)
 * in code segment (sel), raised by int from rings <= (dpl), on IST stack
 * (ist) (0: none). */
struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, reserved;
};
static inline struct idt_gate pc_idt_gate(uint64_t handler, uint16_t sel, unsigned dpl, uint8_t ist)
{
	return (struct idt_gate){ (uint16_t)handler, sel, ist, (uint8_t)(0x8e | dpl << 5),
				  (uint16_t)(handler >> 16), (uint32_t)(handler >> 32), 0 };
}

/* Load the GDT (gdt) of (bytes), then cs (cs) by a far return, and ds, es
 * and ss (ds). */
void pc_load_gdt(const uint64_t *gdt, size_t bytes, uint16_t cs, uint16_t ds);

static inline void pc_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* MSR TSC_AUX: what rdtscp returns in ecx (a CPU's or vCPU's number).
 * pc_set_tsc_aux does nothing on a CPU without rdtscp; pc_has_rdtscp
 * says whether it has it. */
#define MSR_TSC_AUX 0xc0000103u
bool pc_has_rdtscp(void);
void pc_set_tsc_aux(uint32_t v);

/* Starting another CPU (pc/smp.c, pc/ap.S).  The caller copies ap.S's
 * 16-bit start (ap_real_where: its physical address and size) to
 * PC_AP_TRAMPOLINE, below 1 MiB, and leaves the new CPU's stack in
 * ap_boot_stack; the CPU climbs to long mode on pvh.S's boot tables and
 * calls the image's ap_start64 there, which counts itself in.  (regs): the
 * local APIC's page as the caller maps it; (tsc_khz): the TSC's rate. */
#define PC_AP_TRAMPOLINE 0x8000u
struct pc_lapic {
	volatile uint32_t *regs;
	uint64_t tsc_khz;
};
extern const uint64_t ap_real_where[2];
extern uint64_t ap_boot_stack;
_Noreturn void ap_start64(void);
/* The physical address of this CPU's local APIC page. */
uint64_t pc_lapic_base(void);
/* The APIC ID of the CPU whose local APIC (l) is. */
uint32_t pc_lapic_id(const struct pc_lapic *l);
/* Busy-wait (us) microseconds. */
void pc_delay_us(const struct pc_lapic *l, uint64_t us);
/* Send (icr) to the CPU with (apic_id), waiting for the delivery. */
void pc_lapic_send(const struct pc_lapic *l, uint32_t apic_id, uint32_t icr);
/* INIT-SIPI-SIPI to (apic_id): true once it counted itself in (*arrived). */
bool pc_start_cpu(const struct pc_lapic *l, uint32_t apic_id, _Atomic unsigned *arrived);

/* Stop the machine: QEMU's isa-debug-exit reports (code << 1) | 1; where
 * the device is absent, halt. */
_Noreturn void pc_exit(unsigned code);

/* A number after "key" (say "pages=") as a word of (cmdline); (dflt) if
 * the key is absent; PC_ARG_BAD if what follows it is no decimal number
 * below 2^40 (so every range check refuses it). */
#define PC_ARG_BAD (~0ull)
uint64_t pc_arg_number(const char *cmdline, const char *key, uint64_t dflt);
/* Is (word) a whole word of (cmdline)? */
bool pc_arg_word(const char *cmdline, const char *word);

/* The compiler may call these for struct copies and initialisers. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif

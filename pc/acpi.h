/* SPDX-License-Identifier: MIT */
/*
 * The CPUs and I/O APICs the firmware lists: ACPI's RSDP, its root table
 * (XSDT, or the RSDT of revision-0 firmware) and the MADT's local APIC,
 * x2APIC and I/O APIC entries.  The parsers take the bytes they are given and nothing else:
 * every length is checked against what was handed in and every table's
 * checksum before a field of it is believed, so a damaged or hostile table
 * gives "no CPUs found", never a read beyond it.  They are host-tested
 * (tests/unit/test_acpi.c).
 */
#ifndef PC_ACPI_H
#define PC_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 64u

/* The root table the RSDP at (p, len) names: its physical address and
 * whether it is an XSDT (64-bit entries).  False unless the signature and
 * checksum (and for revision 2 and up the extended checksum) hold. */
bool acpi_rsdp_root(const uint8_t *p, size_t len, uint64_t *root, bool *xsdt);

/* The length of the table at (p, avail) with signature (sig): its header's
 * length if it fits in (avail) and the checksum over it is zero, else 0. */
uint32_t acpi_table_len(const uint8_t *p, size_t avail, const char sig[4]);

/* The physical address of entry (i) of a root table (p, len) already
 * checked by acpi_table_len, or 0 past its last entry. */
uint64_t acpi_root_entry(const uint8_t *p, uint32_t len, bool xsdt, unsigned i);

/* The enabled CPUs of a MADT (p, len) checked by acpi_table_len: their APIC
 * IDs in (ids, in table order, at most ACPI_MAX_CPUS kept) and how many
 * there are; entries that run past the table end the walk. */
unsigned acpi_madt_cpus(const uint8_t *p, uint32_t len, uint32_t ids[ACPI_MAX_CPUS]);

/* An I/O APIC: its registers' physical address and its first GSI. */
struct acpi_ioapic {
	uint32_t addr, gsi_base;
};
#define ACPI_MAX_IOAPICS 8u

/* The I/O APICs of a MADT (p, len) checked by acpi_table_len, in table
 * order (at most ACPI_MAX_IOAPICS kept), and how many there are. */
unsigned acpi_madt_ioapics(const uint8_t *p, uint32_t len, struct acpi_ioapic io[ACPI_MAX_IOAPICS]);

/* Physical memory as the caller can read it: (len) bytes at (pa), or NULL
 * if they are not all readable. */
typedef const uint8_t *(*acpi_map_fn)(uint64_t pa, size_t len);

/* The MADT the firmware lists, from the RSDP at (rsdp) (0: search the BIOS
 * area, 0xe0000-0xfffff, on 16-byte boundaries), checked, its length in
 * (*len); or NULL when there is no usable RSDP, root table or MADT. */
const uint8_t *acpi_find_madt(uint64_t rsdp, acpi_map_fn map, uint32_t *len);

/* The enabled CPUs the firmware lists, from the RSDP at (rsdp) (0: search
 * the BIOS area, 0xe0000-0xfffff, on 16-byte boundaries): as
 * acpi_madt_cpus, or 0 when there is no usable RSDP, root table or MADT. */
unsigned acpi_find_cpus(uint64_t rsdp, acpi_map_fn map, uint32_t ids[ACPI_MAX_CPUS]);

#endif

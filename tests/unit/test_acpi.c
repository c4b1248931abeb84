/* SPDX-License-Identifier: MIT */
/*
 * The CPUs and I/O APICs the firmware lists (pc/acpi.c): an RSDP, a root
 * table and a MADT built in a little physical memory of the test's own, as
 * QEMU lays them out; then each damage a firmware table can carry (a checksum off, a
 * length past the end, an entry that runs over, a disabled CPU, a root of
 * revision 0), which must give no CPUs or only the real ones, never a read
 * beyond what was handed in.
 */
#include <string.h>
#include "../../pc/acpi.h"
#include "check.h"

#define MEM 0x100000u                   /* the test's physical memory: 1 MiB */
static uint8_t mem[MEM];

static const uint8_t *map(uint64_t pa, size_t len)
{
	return pa < MEM && len <= MEM - pa ? mem + pa : NULL;
}

static void put(uint64_t at, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		mem[at + i] = (uint8_t)(v >> (8 * i));
}

/* Make the bytes [at, at + len) sum to zero through the byte at (fix). */
static void checksum(uint64_t at, uint32_t len, uint64_t fix)
{
	uint8_t s = 0;
	mem[fix] = 0;
	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + mem[at + i]);
	mem[fix] = (uint8_t)-s;
}

static void header(uint64_t at, const char sig[4], uint32_t len)
{
	memcpy(mem + at, sig, 4);
	put(at + 4, len, 4);
	mem[at + 8] = 1;
	memcpy(mem + at + 10, "PVMMU ", 6);
	checksum(at, len, at + 9);
}

#define RSDP 0xf0000u
#define XSDT 0x80000u
#define RSDT 0x80800u
#define MADT 0x81000u

/* RSDP (revision 2) -> XSDT -> [a FACP-like table, the MADT]; the MADT
 * lists (n) local APICs with IDs 0..n-1, entry (disabled) not enabled. */
static void firmware(unsigned n, int disabled)
{
	memset(mem, 0, sizeof(mem));
	uint32_t madt_len = 44 + 8 * n;
	for (unsigned i = 0; i < n; i++) {
		uint64_t e = MADT + 44 + 8 * i;
		mem[e] = 0, mem[e + 1] = 8, mem[e + 2] = (uint8_t)i, mem[e + 3] = (uint8_t)i;
		put(e + 4, (int)i == disabled ? 0 : 1, 4);
	}
	put(MADT + 36, 0xfee00000, 4);
	header(MADT, "APIC", madt_len);
	header(0x82000, "FACP", 36);
	put(XSDT + 36, 0x82000, 8);
	put(XSDT + 44, MADT, 8);
	header(XSDT, "XSDT", 52);
	put(RSDT + 36, 0x82000, 4);
	put(RSDT + 40, MADT, 4);
	header(RSDT, "RSDT", 44);
	memcpy(mem + RSDP, "RSD PTR ", 8);
	mem[RSDP + 15] = 2;
	put(RSDP + 16, RSDT, 4);
	put(RSDP + 20, 36, 4);
	put(RSDP + 24, XSDT, 8);
	checksum(RSDP, 20, RSDP + 8);
	checksum(RSDP, 36, RSDP + 32);
}

static void test_found(void)
{
	uint32_t ids[ACPI_MAX_CPUS];
	firmware(4, -1);
	CHECK(acpi_find_cpus(RSDP, map, ids) == 4);
	CHECK(ids[0] == 0 && ids[3] == 3);
	/* no address from the loader: found in the BIOS area */
	CHECK(acpi_find_cpus(0, map, ids) == 4);
	/* a disabled CPU is not one */
	firmware(4, 2);
	CHECK(acpi_find_cpus(RSDP, map, ids) == 3);
	CHECK(ids[0] == 0 && ids[1] == 1 && ids[2] == 3);
	/* more than kept: counted, the first ACPI_MAX_CPUS stored */
	firmware(100, -1);
	CHECK(acpi_find_cpus(RSDP, map, ids) == 100);
	CHECK(ids[ACPI_MAX_CPUS - 1] == ACPI_MAX_CPUS - 1);
}

static void test_x2apic(void)
{
	uint32_t ids[ACPI_MAX_CPUS];
	firmware(1, -1);
	/* replace the MADT by one with an x2APIC entry after the local APIC */
	uint64_t e = MADT + 52;
	mem[e] = 9, mem[e + 1] = 16;
	put(e + 4, 300, 4);
	put(e + 8, 1, 4);
	header(MADT, "APIC", 68);
	CHECK(acpi_find_cpus(RSDP, map, ids) == 2);
	CHECK(ids[0] == 0 && ids[1] == 300);
}

static void test_revision0(void)
{
	uint32_t ids[ACPI_MAX_CPUS];
	firmware(2, -1);
	mem[RSDP + 15] = 0;                     /* ACPI 1.0: the RSDT */
	checksum(RSDP, 20, RSDP + 8);
	memset(mem + XSDT, 0, 52);              /* no XSDT to find */
	CHECK(acpi_find_cpus(RSDP, map, ids) == 2);
	/* a revision-2 RSDP whose extended checksum is wrong: its RSDT */
	firmware(2, -1);
	mem[RSDP + 32]++;
	CHECK(acpi_find_cpus(RSDP, map, ids) == 2);
	uint64_t root;
	bool xsdt;
	CHECK(acpi_rsdp_root(mem + RSDP, 36, &root, &xsdt) && !xsdt && root == RSDT);
}

static void test_damage(void)
{
	uint32_t ids[ACPI_MAX_CPUS];
	/* the RSDP's checksum */
	firmware(2, -1);
	mem[RSDP + 9]++;
	CHECK(acpi_find_cpus(RSDP, map, ids) == 0);
	/* the MADT's checksum */
	firmware(2, -1);
	mem[MADT + 50]++;
	CHECK(acpi_find_cpus(RSDP, map, ids) == 0);
	/* a MADT longer than memory */
	firmware(2, -1);
	put(MADT + 4, MEM, 4);
	CHECK(acpi_find_cpus(RSDP, map, ids) == 0);
	/* an entry of length 0 or running past the table ends the walk */
	firmware(3, -1);
	mem[MADT + 52 + 1] = 0;
	header(MADT, "APIC", 44 + 24);
	CHECK(acpi_find_cpus(RSDP, map, ids) == 1);
	firmware(3, -1);
	mem[MADT + 60 + 1] = 200;
	header(MADT, "APIC", 44 + 24);
	CHECK(acpi_find_cpus(RSDP, map, ids) == 2);
	/* a root entry pointing beyond memory is passed over */
	firmware(2, -1);
	put(XSDT + 36, 0xffffffffffff0000ull, 8);
	header(XSDT, "XSDT", 52);
	CHECK(acpi_find_cpus(RSDP, map, ids) == 2);
	/* no RSDP anywhere */
	memset(mem, 0, sizeof(mem));
	CHECK(acpi_find_cpus(0, map, ids) == 0);
	/* every truncation of a good MADT: never a CPU past the bytes given */
	firmware(4, -1);
	for (uint32_t len = 0; len < 44 + 32; len++) {
		uint32_t n = acpi_table_len(mem + MADT, len, "APIC");
		CHECK(n == 0);
	}
	for (uint32_t len = 44; len <= 44 + 32; len++)
		CHECK(acpi_madt_cpus(mem + MADT, len, ids) == (len - 44) / 8);
}

/* The I/O APICs: two of them among the CPUs, in table order, an entry too
 * short for one passed over, one that runs past the table not believed. */
static void test_ioapics(void)
{
	struct acpi_ioapic io[ACPI_MAX_IOAPICS];
	uint32_t ids[ACPI_MAX_CPUS], len;
	firmware(2, -1);
	uint64_t e = MADT + 44 + 16;
	const uint8_t entries[][12] = {
		{ 1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0 },
		{ 1, 8, 1, 0, 0x00, 0x10, 0xc0, 0xfe, 0, 0, 0, 0 },        /* too short */
		{ 1, 12, 2, 0, 0x00, 0x10, 0xc0, 0xfe, 24, 0, 0, 0 },
	};
	for (unsigned i = 0; i < 3; i++) {
		memcpy(mem + e, entries[i], entries[i][1]);
		e += entries[i][1];
	}
	header(MADT, "APIC", (uint32_t)(e - MADT));
	const uint8_t *madt = acpi_find_madt(RSDP, map, &len);
	CHECK(madt == mem + MADT && len == e - MADT);
	CHECK(acpi_madt_cpus(madt, len, ids) == 2);
	CHECK(acpi_madt_ioapics(madt, len, io) == 2);
	CHECK(io[0].addr == 0xfec00000 && io[0].gsi_base == 0);
	CHECK(io[1].addr == 0xfec01000 && io[1].gsi_base == 24);
	CHECK(acpi_madt_ioapics(madt, len - 1, io) == 1);       /* the last runs past */
	mem[MADT + 9] ^= 1;
	CHECK(acpi_find_madt(RSDP, map, &len) == NULL);         /* its checksum off */
}

void test_acpi(void)
{
	test_ioapics();
	test_found();
	test_x2apic();
	test_revision0();
	test_damage();
}

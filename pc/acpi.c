/* SPDX-License-Identifier: MIT */
/* The CPUs the firmware lists (theory in acpi.h). */
#include "acpi.h"

#define SDT_HEADER 36u              /* signature .. creator revision */
#define MADT_FIRST 44u              /* the header, the local APIC address, flags */
#define MADT_LAPIC 0                /* processor local APIC: id at 3, flags at 4 */
#define MADT_X2APIC 9               /* processor local x2APIC: id at 4, flags at 8 */
#define MADT_IOAPIC 1               /* I/O APIC: address at 4, first GSI at 8 */
#define MADT_ENABLED 1u

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool sum_zero(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s == 0;
}

static bool same4(const uint8_t *p, const char sig[4])
{
	return p[0] == (uint8_t)sig[0] && p[1] == (uint8_t)sig[1] && p[2] == (uint8_t)sig[2] &&
	       p[3] == (uint8_t)sig[3];
}

bool acpi_rsdp_root(const uint8_t *p, size_t len, uint64_t *root, bool *xsdt)
{
	if (len < 20 || !same4(p, "RSD ") || !same4(p + 4, "PTR ") || !sum_zero(p, 20))
		return false;
	if (p[15] >= 2 && len >= 36 && le32(p + 20) >= 36 && sum_zero(p, 36) && le64(p + 24)) {
		*root = le64(p + 24);
		*xsdt = true;
		return true;
	}
	*root = le32(p + 16);
	*xsdt = false;
	return *root != 0;
}

uint32_t acpi_table_len(const uint8_t *p, size_t avail, const char sig[4])
{
	if (avail < SDT_HEADER || !same4(p, sig))
		return 0;
	uint32_t len = le32(p + 4);
	return len >= SDT_HEADER && len <= avail && sum_zero(p, len) ? len : 0;
}

uint64_t acpi_root_entry(const uint8_t *p, uint32_t len, bool xsdt, unsigned i)
{
	uint32_t size = xsdt ? 8 : 4;
	if (len < SDT_HEADER || i >= (len - SDT_HEADER) / size)
		return 0;
	const uint8_t *e = p + SDT_HEADER + (size_t)i * size;
	return xsdt ? le64(e) : le32(e);
}

/* The MADT entry at (*at) of (p, len), (*at) moved past it; NULL at the
 * end, or at an entry that runs past the table (nothing after it is
 * believed). */
static const uint8_t *madt_entry(const uint8_t *p, uint32_t len, uint32_t *at)
{
	if (*at + 2 > len)
		return NULL;
	uint8_t size = p[*at + 1];
	if (size < 2 || *at + size > len)
		return NULL;
	const uint8_t *e = p + *at;
	*at += size;
	return e;
}

unsigned acpi_madt_cpus(const uint8_t *p, uint32_t len, uint32_t ids[ACPI_MAX_CPUS])
{
	unsigned n = 0;
	const uint8_t *e;
	for (uint32_t at = MADT_FIRST; (e = madt_entry(p, len, &at));) {
		uint32_t id = 0, flags = 0;
		bool cpu = false;
		if (e[0] == MADT_LAPIC && e[1] >= 8) {
			id = e[3], flags = le32(e + 4), cpu = true;
		} else if (e[0] == MADT_X2APIC && e[1] >= 16) {
			id = le32(e + 4), flags = le32(e + 8), cpu = true;
		}
		if (cpu && (flags & MADT_ENABLED)) {
			if (n < ACPI_MAX_CPUS)
				ids[n] = id;
			n++;
		}
	}
	return n;
}

unsigned acpi_madt_ioapics(const uint8_t *p, uint32_t len, struct acpi_ioapic io[ACPI_MAX_IOAPICS])
{
	unsigned n = 0;
	const uint8_t *e;
	for (uint32_t at = MADT_FIRST; (e = madt_entry(p, len, &at));) {
		if (e[0] != MADT_IOAPIC || e[1] < 12)
			continue;
		if (n < ACPI_MAX_IOAPICS)
			io[n] = (struct acpi_ioapic){ le32(e + 4), le32(e + 8) };
		n++;
	}
	return n;
}

/* The RSDP in the BIOS area, or 0. */
static uint64_t search_rsdp(acpi_map_fn map)
{
	uint64_t root;
	bool xsdt;
	for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16) {
		const uint8_t *p = map(pa, 36);
		if (p && acpi_rsdp_root(p, 36, &root, &xsdt))
			return pa;
	}
	return 0;
}

/* A checked table of (sig) at (pa), its length in (*len), or NULL. */
static const uint8_t *table_at(acpi_map_fn map, uint64_t pa, const char sig[4], uint32_t *len)
{
	const uint8_t *h = pa ? map(pa, SDT_HEADER) : NULL;
	if (!h || !same4(h, sig))
		return NULL;
	uint32_t want = le32(h + 4);
	const uint8_t *p = want >= SDT_HEADER ? map(pa, want) : NULL;
	*len = p ? acpi_table_len(p, want, sig) : 0;
	return *len ? p : NULL;
}

const uint8_t *acpi_find_madt(uint64_t rsdp, acpi_map_fn map, uint32_t *len)
{
	uint64_t root;
	bool xsdt;
	uint32_t root_len;
	rsdp = rsdp ? rsdp : search_rsdp(map);
	size_t rlen = 36;               /* revision 0's is 20 bytes */
	const uint8_t *r = rsdp ? map(rsdp, rlen) : NULL;
	if (!r && rsdp)
		r = map(rsdp, rlen = 20);
	if (!r || !acpi_rsdp_root(r, rlen, &root, &xsdt))
		return NULL;
	const uint8_t *t = table_at(map, root, xsdt ? "XSDT" : "RSDT", &root_len);
	for (unsigned i = 0; t; i++) {
		uint64_t pa = acpi_root_entry(t, root_len, xsdt, i);
		if (!pa)
			break;
		const uint8_t *madt = table_at(map, pa, "APIC", len);
		if (madt)
			return madt;
	}
	return NULL;
}

unsigned acpi_find_cpus(uint64_t rsdp, acpi_map_fn map, uint32_t ids[ACPI_MAX_CPUS])
{
	uint32_t len;
	const uint8_t *madt = acpi_find_madt(rsdp, map, &len);
	return madt ? acpi_madt_cpus(madt, len, ids) : 0;
}

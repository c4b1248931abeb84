/* SPDX-License-Identifier: MIT */
/*
 * The machine's PCI functions, found at boot as Xen finds them
 * (scan_pci_devices): on segment 0, every bus, device and function whose
 * vendor and device words read as a device (not all ones, not all zeros,
 * neither half all ones with the other zero), functions past 0 only where
 * function 0 is there and says it has more (header type bit 7).  Config
 * space through ports 0xcf8/0xcfc.  hv drives no device and gives none to
 * a guest; it knows them to answer as Xen answers about them (physdev_op's
 * restore_msi).  The table is the machine's, written once before any
 * guest runs.
 */
#include "../hv.h"

static uint64_t present[256 * 256 / 64];       /* bit (bus << 8 | devfn) */

static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static uint32_t config_read(unsigned bus, unsigned devfn, unsigned reg)
{
	outl(0xcf8, 0x80000000u | bus << 16 | devfn << 8 | (reg & 0xfc));
	return inl(0xcfc);
}

/* Xen's pci_device_detect. */
static bool detect(unsigned bus, unsigned devfn)
{
	uint32_t id = config_read(bus, devfn, 0);
	return id != 0xffffffffu && id != 0 && id != 0x0000ffffu && id != 0xffff0000u;
}

void pci_scan(void)
{
	unsigned found = 0;
	for (unsigned bus = 0; bus < 256; bus++)
		for (unsigned dev = 0; dev < 32; dev++)
			for (unsigned fn = 0; fn < 8; fn++) {
				unsigned devfn = dev << 3 | fn;
				if (!detect(bus, devfn)) {
					if (!fn)
						break;
					continue;
				}
				present[(bus << 8 | devfn) / 64] |= 1ull << (devfn % 64);
				found++;
				if (!fn && !(config_read(bus, devfn, 0x0c) >> 16 & 0x80))
					break;
			}
	printk("hv: %u PCI functions\n", found);
}

bool pci_present(uint16_t seg, uint8_t bus, uint8_t devfn)
{
	unsigned bit = (unsigned)bus << 8 | devfn;
	return seg == 0 && (present[bit / 64] >> (bit % 64) & 1);
}

/* SPDX-License-Identifier: MIT */
/*
 * A PV guest kernel image, read as Xen's loader reads it (libelf,
 * elf_xen_parse), so hv accepts what Xen accepts and refuses what it
 * refuses, with Xen's reasons.  Pure: the image is bytes the guest's
 * builder was given; nothing else is touched.  Host-tested
 * (tests/unit/test_elf.c) and fuzzed (fuzz/fuzz_elf.c).
 *
 *   - a 64-bit little-endian x86-64 ELF whose program and section header
 *     tables lie in the file (a 32-bit one is a PV32 kernel, which Xen
 *     4.17 as Debian builds it does not run either);
 *   - its "Xen" notes from PT_NOTE segments, else from SHT_NOTE sections;
 *     numeric notes of 1, 2, 4 or 8 bytes, string notes NUL-terminated;
 *   - LOADER "generic" or GUEST_OS "linux", and XEN_VERSION "xen-3.0";
 *   - FEATURES: every feature it requires ("!name") must be one hv knows
 *     and runs; SUPPORTED_FEATURES adds to what it supports;
 *   - the kernel's range is its loadable segments' physical range moved by
 *     VIRT_BASE - PADDR_OFFSET (PADDR_OFFSET 0 when there are notes, and
 *     it may not be given without VIRT_BASE); the entry (ENTRY, else
 *     e_entry) lies in it, VIRT_BASE at or below it, INIT_P2M outside it;
 *   - every loadable segment lies in the file, its file size within its
 *     memory size, and all of them together no more than twice the file
 *     (libelf's bound on a copy loop).
 */
#ifndef HV_DOM_ELF_H
#define HV_DOM_ELF_H

#include <stdbool.h>
#include <stdint.h>

#define ELF_UNSET     (~0ull)
#define ELF_MAX_LOAD  16        /* loadable segments we take */

/* The XENFEAT_ bits of submap 0 hv knows (Xen's public/features.h). */
#define XENFEAT_writable_page_tables        0
#define XENFEAT_writable_descriptor_tables  1
#define XENFEAT_auto_translated_physmap     2
#define XENFEAT_supervisor_mode_kernel      3
#define XENFEAT_pae_pgdir_above_4gb         4
#define XENFEAT_hvm_callback_vector         8
#define XENFEAT_dom0                        11

struct elf_segment {
	uint64_t offset, filesz, memsz, paddr;
};

struct elf_image {
	uint64_t virt_base, paddr_offset;
	uint64_t virt_kstart, virt_kend;    /* the kernel's virtual range */
	uint64_t virt_entry;
	uint64_t p2m_base;                  /* INIT_P2M, or ELF_UNSET */
	uint64_t hypercall_page;            /* HYPERCALL_PAGE, or ELF_UNSET */
	bool unmapped_initrd;               /* MOD_START_PFN */
	uint32_t f_supported, f_required;   /* XENFEAT_ submap 0 */
	char loader[16], guest_os[16], xen_version[16];
	uint64_t pstart, pend;              /* the loadable segments' physical range */
	unsigned nr_segments;
	struct elf_segment segment[ELF_MAX_LOAD];
};

/* Read the image of (len) bytes at (data): NULL and (*img), or the reason
 * Xen's loader would give for refusing it. */
const char *elf_parse(const uint8_t *data, uint64_t len, struct elf_image *img);

/* The virtual address segment (s) of (img) is loaded at. */
static inline uint64_t elf_segment_va(const struct elf_image *img, const struct elf_segment *s)
{
	return img->virt_kstart + (s->paddr - img->pstart);
}

#endif

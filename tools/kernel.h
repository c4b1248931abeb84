/* SPDX-License-Identifier: MIT */
/*
 * A guest kernel file as users have them: an ELF as it is, or a bzImage
 * whose compressed payload is the ELF (Linux's boot protocol, version 2.08
 * and up: the setup header names the payload's place and length).  The
 * setup header is read by a pure parser (kernel_payload); an xz payload is
 * unpacked with liblzma, bounded; other compressions are named and
 * refused.  Host-tested (tests/unit/test_kernel.c) and fuzzed
 * (fuzz/fuzz_kernel.c).
 */
#ifndef TOOLS_KERNEL_H
#define TOOLS_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define KERNEL_ELF_MAX (512u << 20)     /* the largest ELF we unpack */

enum payload_format {
	PAYLOAD_ELF, PAYLOAD_XZ, PAYLOAD_GZIP, PAYLOAD_BZIP2, PAYLOAD_LZMA, PAYLOAD_LZO, PAYLOAD_LZ4,
	PAYLOAD_ZSTD, PAYLOAD_UNKNOWN,
};

/* The format (data, len) is in, by its first bytes. */
enum payload_format kernel_format(const uint8_t *data, size_t len);

/* The payload of the bzImage (data, len): NULL and its place (*off, *size)
 * within the file, or why there is none. */
const char *kernel_payload(const uint8_t *data, size_t len, size_t *off, size_t *size);

/* The ELF in kernel file (data, len): NULL and a malloc'd copy (*elf,
 * *elf_len), or why not.  An ELF is copied as it is; a bzImage's xz
 * payload is unpacked (one stream, at most KERNEL_ELF_MAX bytes). */
const char *kernel_elf(const uint8_t *data, size_t len, uint8_t **elf, size_t *elf_len);

#endif

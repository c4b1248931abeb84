/* SPDX-License-Identifier: MIT */
/* Kernel files: bzImage to ELF (theory in kernel.h). */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"

#define SETUP_SECTS    0x1f1   /* u8: 512-byte sectors of setup after the boot sector (0: 4) */
#define BOOT_FLAG      0x1fe   /* u16: 0xaa55 */
#define HEADER_MAGIC   0x202   /* "HdrS" */
#define HEADER_VERSION 0x206   /* u16 */
#define PAYLOAD_OFFSET 0x248   /* u32, from the protected-mode code's start (2.08+) */
#define PAYLOAD_LENGTH 0x24c   /* u32 */

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

enum payload_format kernel_format(const uint8_t *d, size_t n)
{
	static const struct {
		enum payload_format f;
		unsigned len;
		uint8_t magic[6];
	} magics[] = {
		{ PAYLOAD_ELF, 4, { 0x7f, 'E', 'L', 'F' } },
		{ PAYLOAD_XZ, 6, { 0xfd, '7', 'z', 'X', 'Z', 0 } },
		{ PAYLOAD_GZIP, 2, { 0x1f, 0x8b } },
		{ PAYLOAD_BZIP2, 3, { 'B', 'Z', 'h' } },
		{ PAYLOAD_LZMA, 3, { 0x5d, 0, 0 } },
		{ PAYLOAD_LZO, 4, { 0x89, 'L', 'Z', 'O' } },
		{ PAYLOAD_LZ4, 4, { 0x02, 0x21, 0x4c, 0x18 } },
		{ PAYLOAD_ZSTD, 4, { 0x28, 0xb5, 0x2f, 0xfd } },
	};
	for (unsigned i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].len && !memcmp(d, magics[i].magic, magics[i].len))
			return magics[i].f;
	return PAYLOAD_UNKNOWN;
}

const char *kernel_payload(const uint8_t *d, size_t n, size_t *off, size_t *size)
{
	if (n < PAYLOAD_LENGTH + 4 || le(d + BOOT_FLAG, 2) != 0xaa55 || memcmp(d + HEADER_MAGIC, "HdrS", 4))
		return "neither an ELF nor a bzImage (no Linux boot header)";
	if (le(d + HEADER_VERSION, 2) < 0x0208)
		return "a bzImage older than boot protocol 2.08, which does not say where its payload is";
	uint64_t sects = d[SETUP_SECTS] ? d[SETUP_SECTS] : 4;
	uint64_t start = (sects + 1) * 512 + le(d + PAYLOAD_OFFSET, 4), len = le(d + PAYLOAD_LENGTH, 4);
	if (start > n || len > n - start || len == 0)
		return "a bzImage whose payload lies outside the file";
	*off = (size_t)start;
	*size = (size_t)len;
	return NULL;
}

static const char *unxz(const uint8_t *in, size_t n, uint8_t **out, size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&s, 1ull << 30, 0) != LZMA_OK)
		return "liblzma could not start a decoder";
	size_t cap = n * 4 < KERNEL_ELF_MAX ? n * 4 : KERNEL_ELF_MAX;
	uint8_t *buf = malloc(cap);
	s.next_in = in;
	s.avail_in = n;
	s.next_out = buf;
	s.avail_out = cap;
	lzma_ret rc;
	while ((rc = lzma_code(&s, LZMA_FINISH)) == LZMA_OK || (rc == LZMA_BUF_ERROR && !s.avail_out)) {
		if (s.avail_out)
			continue;
		if (cap == KERNEL_ELF_MAX) {
			rc = LZMA_MEMLIMIT_ERROR;
			break;
		}
		size_t used = cap;
		cap = cap * 2 < KERNEL_ELF_MAX ? cap * 2 : KERNEL_ELF_MAX;
		buf = realloc(buf, cap);
		s.next_out = buf + used;
		s.avail_out = cap - used;
	}
	*out_len = (size_t)s.total_out;
	lzma_end(&s);
	if (rc != LZMA_STREAM_END) {
		free(buf);
		return rc == LZMA_MEMLIMIT_ERROR ? "the unpacked kernel would be larger than 512 MiB"
						 : "the xz payload is corrupt or cut short";
	}
	*out = buf;
	return NULL;
}

const char *kernel_elf(const uint8_t *d, size_t n, uint8_t **elf, size_t *elf_len)
{
	static const char *const refused[] = {
		[PAYLOAD_GZIP] = "a gzip payload: only xz is unpacked",
		[PAYLOAD_BZIP2] = "a bzip2 payload: only xz is unpacked",
		[PAYLOAD_LZMA] = "an lzma payload: only xz is unpacked",
		[PAYLOAD_LZO] = "an lzo payload: only xz is unpacked",
		[PAYLOAD_LZ4] = "an lz4 payload: only xz is unpacked",
		[PAYLOAD_ZSTD] = "a zstd payload: only xz is unpacked",
		[PAYLOAD_UNKNOWN] = "a bzImage payload of no format we know",
	};
	size_t off, size;
	if (kernel_format(d, n) == PAYLOAD_ELF) {
		*elf = malloc(n ? n : 1);
		memcpy(*elf, d, n);
		*elf_len = n;
		return NULL;
	}
	const char *why = kernel_payload(d, n, &off, &size);
	if (why)
		return why;
	enum payload_format f = kernel_format(d + off, size);
	if (f == PAYLOAD_ELF)
		return "a bzImage whose payload is not compressed: pass the ELF itself";
	if (f != PAYLOAD_XZ)
		return refused[f];
	why = unxz(d + off, size, elf, elf_len);
	if (!why && kernel_format(*elf, *elf_len) != PAYLOAD_ELF) {
		free(*elf);
		return "the unpacked payload is not an ELF";
	}
	return why;
}

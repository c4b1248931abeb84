/* SPDX-License-Identifier: MIT */
/*
 * Kernel files (tools/kernel.c): an ELF passes as it is; a bzImage built
 * here the way Linux lays one out (boot sector, setup, the setup header's
 * payload fields, an xz payload made with liblzma) unpacks to the ELF it
 * carries; every other compression is named and refused; a header that
 * lies about its payload, a payload cut short or corrupt, and every
 * prefix of a good bzImage are refused, never read past.
 */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include "../../tools/kernel.h"
#include "check.h"

static uint8_t elf[3000];

static void make_elf(void)
{
	memcpy(elf, "\177ELF", 4);
	for (size_t i = 4; i < sizeof(elf); i++)
		elf[i] = (uint8_t)(i * 7 + i / 13);
}

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* A bzImage of one setup sector and (payload), with the header's fields. */
static size_t make_bzimage(uint8_t *out, const uint8_t *payload, size_t n, unsigned version)
{
	memset(out, 0, 1024);
	out[0x1f1] = 1;                          /* setup_sects */
	put(out, 0x1fe, 0xaa55, 2);
	memcpy(out + 0x202, "HdrS", 4);
	put(out, 0x206, version, 2);
	put(out, 0x248, 16, 4);                  /* payload_offset: past some code */
	put(out, 0x24c, n, 4);
	memcpy(out + 1024 + 16, payload, n);
	return 1024 + 16 + n + 4;                /* and the 4 bytes Linux appends */
}

static size_t xz(uint8_t *out, size_t cap, const uint8_t *in, size_t n)
{
	size_t pos = 0;
	if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, n, out, &pos, cap) != LZMA_OK)
		abort();
	return pos;
}

void test_kernel(void)
{
	static uint8_t packed[4096], image[8192];
	uint8_t *out = NULL;
	size_t len = 0, off, size;
	make_elf();
	/* an ELF is itself */
	CHECK(kernel_elf(elf, sizeof(elf), &out, &len) == NULL && len == sizeof(elf) && !memcmp(out, elf, len));
	free(out);
	/* a bzImage with an xz payload */
	size_t n = xz(packed, sizeof(packed), elf, sizeof(elf));
	size_t total = make_bzimage(image, packed, n, 0x020f);
	CHECK(kernel_payload(image, total, &off, &size) == NULL && off == 1024 + 16 && size == n);
	CHECK(kernel_format(image + off, size) == PAYLOAD_XZ);
	CHECK(kernel_elf(image, total, &out, &len) == NULL && len == sizeof(elf) && !memcmp(out, elf, len));
	free(out);
	/* boot protocol before 2.08 */
	make_bzimage(image, packed, n, 0x0207);
	CHECK(kernel_elf(image, total, &out, &len) != NULL);
	/* a payload longer than the file */
	make_bzimage(image, packed, n, 0x020f);
	put(image, 0x24c, 1u << 30, 4);
	CHECK(kernel_elf(image, total, &out, &len) != NULL);
	/* other compressions are refused by name */
	static const uint8_t gz[] = { 0x1f, 0x8b, 8, 0 }, zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
	total = make_bzimage(image, gz, sizeof(gz), 0x020f);
	CHECK(kernel_elf(image, total, &out, &len) && strstr(kernel_elf(image, total, &out, &len), "gzip"));
	total = make_bzimage(image, zstd, sizeof(zstd), 0x020f);
	CHECK(kernel_elf(image, total, &out, &len) && strstr(kernel_elf(image, total, &out, &len), "zstd"));
	/* corrupt and cut-short xz */
	total = make_bzimage(image, packed, n, 0x020f);
	image[1024 + 16 + n / 2] ^= 0x55;
	CHECK(kernel_elf(image, total, &out, &len) != NULL);
	total = make_bzimage(image, packed, n / 2, 0x020f);
	CHECK(kernel_elf(image, total, &out, &len) != NULL);
	/* an xz stream that is not an ELF */
	static const uint8_t text[64] = "not a kernel at all";
	n = xz(packed, sizeof(packed), text, sizeof(text));
	total = make_bzimage(image, packed, n, 0x020f);
	CHECK(kernel_elf(image, total, &out, &len) && strstr(kernel_elf(image, total, &out, &len), "not an ELF"));
	/* every prefix of a good bzImage: refused, and nothing read past it */
	n = xz(packed, sizeof(packed), elf, sizeof(elf));
	total = make_bzimage(image, packed, n, 0x020f);
	unsigned refused = 0;
	for (size_t k = 0; k < 1024 + 16 + n; k++) {
		uint8_t *copy = malloc(k ? k : 1);
		memcpy(copy, image, k);
		const char *why = kernel_elf(copy, k, &out, &len);
		refused += why != NULL;
		if (!why)
			free(out);
		free(copy);
	}
	CHECK(refused == 1024 + 16 + n);
	/* junk */
	CHECK(kernel_elf((const uint8_t *)"MZ not a kernel", 15, &out, &len) != NULL);
}

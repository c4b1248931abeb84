/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for kernel files (tools/kernel.c), the parser of a
 * bzImage's setup header and the unpacking of its payload: any bytes give
 * an ELF or a reason, never a read past them (ASan); what comes out is an
 * ELF no larger than the bound, and a payload that is found lies inside
 * the file. */
#include <stdlib.h>
#include <string.h>
#include "../tools/kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1), *elf = NULL;
	size_t len = 0, off, n;
	memcpy(copy, data, size);
	if (!kernel_payload(copy, size, &off, &n) && (off > size || n > size - off || !n))
		abort();
	const char *why = kernel_elf(copy, size, &elf, &len);
	if (!why && (len > KERNEL_ELF_MAX || kernel_format(elf, len) != PAYLOAD_ELF))
		abort();
	if (why && !*why)
		abort();
	if (!why)
		free(elf);
	free(copy);
	return 0;
}

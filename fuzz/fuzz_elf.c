/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for hv's reading of a PV kernel image (hv/dom/elf.c),
 * the parser of the bytes a guest's image is made of: any bytes are
 * accepted or refused with a reason, never read past (ASan), and what is
 * accepted keeps the promises the builder relies on: the entry and the
 * segments within the kernel's range, VIRT_BASE at or below it, every
 * segment's bytes in the file and no more than its memory size. */
#include <stdlib.h>
#include <string.h>
#include "../hv/dom/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct elf_image img;
	memcpy(copy, data, size);
	const char *why = elf_parse(copy, size, &img);
	if (why) {
		if (!*why)
			abort();
		free(copy);
		return 0;
	}
	if (img.virt_kstart > img.virt_kend || img.virt_entry < img.virt_kstart ||
	    img.virt_entry > img.virt_kend || img.virt_base > img.virt_kstart ||
	    !img.nr_segments || img.nr_segments > ELF_MAX_LOAD)
		abort();
	for (unsigned i = 0; i < img.nr_segments; i++) {
		const struct elf_segment *s = &img.segment[i];
		uint64_t va = elf_segment_va(&img, s);
		if (s->offset > size || s->filesz > size - s->offset || s->filesz > s->memsz ||
		    va < img.virt_kstart || va - img.virt_kstart > img.virt_kend - img.virt_kstart ||
		    s->memsz > img.virt_kend - va)
			abort();
	}
	free(copy);
	return 0;
}

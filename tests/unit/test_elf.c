/* SPDX-License-Identifier: MIT */
/*
 * hv's reading of a PV kernel image (hv/dom/elf.c) against Xen's loader
 * rules: each test builds a small image in memory, the way a kernel's
 * linker would, changes one thing, and checks that elf_parse accepts or
 * refuses it as libelf does, with what it read.  Then every truncation of
 * a good image, which must be refused without reading past it.
 */
#include <stdlib.h>
#include <string.h>
#include "../../hv/dom/elf.h"
#include "check.h"

#define VBASE 0xffffffff80000000ull

struct image {
	uint8_t b[8192];
	uint64_t len, notes;        /* bytes so far; where the notes start */
};

static void put(struct image *im, uint64_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		im->b[off + i] = (uint8_t)(v >> (8 * i));
}

/* A note at the end of the image: type, then the descriptor bytes. */
static void note(struct image *im, uint32_t type, const void *desc, uint32_t size)
{
	put(im, im->len, 4, 4);
	put(im, im->len + 4, size, 4);
	put(im, im->len + 8, type, 4);
	memcpy(im->b + im->len + 12, "Xen", 4);
	memcpy(im->b + im->len + 16, desc, size);
	im->len += 16 + ((size + 3u) & ~3u);
}

static void note_str(struct image *im, uint32_t type, const char *s)
{
	note(im, type, s, (uint32_t)strlen(s) + 1);
}

static void note_u64(struct image *im, uint32_t type, uint64_t v)
{
	note(im, type, &v, 8);
}

/* A 64-bit image: ELF header, two program headers (one PT_LOAD of 4 KiB
 * at physical 0x1000000 from file offset 4096, one PT_NOTE), the notes
 * given by the caller after it via note*(), then finish(). */
static void start(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->b, "\177ELF", 4);
	im->b[4] = 2, im->b[5] = 1, im->b[6] = 1;
	put(im, 16, 2, 2);                       /* ET_EXEC */
	put(im, 18, 62, 2);                      /* EM_X86_64 */
	put(im, 20, 1, 4);
	put(im, 24, VBASE + 0x1000010, 8);       /* e_entry */
	put(im, 32, 64, 8);                      /* e_phoff */
	put(im, 52, 64, 2);
	put(im, 54, 56, 2);
	put(im, 56, 2, 2);                       /* e_phnum */
	put(im, 58, 64, 2);
	/* PT_LOAD, R+X */
	put(im, 64, 1, 4);
	put(im, 68, 5, 4);
	put(im, 72, 4096, 8);
	put(im, 80, VBASE + 0x1000000, 8);
	put(im, 88, 0x1000000, 8);
	put(im, 96, 4096, 8);
	put(im, 104, 8192, 8);
	im->len = im->notes = 64 + 2 * 56;
}

static void finish(struct image *im)
{
	/* PT_NOTE over the notes */
	put(im, 120, 4, 4);
	put(im, 124, 4, 4);
	put(im, 128, im->notes, 8);
	put(im, 152, im->len - im->notes, 8);
	put(im, 160, im->len - im->notes, 8);
	if (im->len > 4096)
		abort();
	im->len = 8192;
}

/* The notes of a kernel Xen loads, after (start). */
static void linux_like(struct image *im)
{
	note_str(im, 6, "linux");
	note_str(im, 5, "xen-3.0");
	note_u64(im, 3, VBASE);
	note_u64(im, 1, VBASE + 0x1000020);
}

static const char *parse(struct image *im, struct elf_image *img)
{
	return elf_parse(im->b, im->len, img);
}

static void test_accepted(void)
{
	struct image im;
	struct elf_image img;
	start(&im);
	linux_like(&im);
	note_u64(&im, 2, VBASE + 0x1000000);     /* HYPERCALL_PAGE */
	note_str(&im, 10, "writable_page_tables|!pae_pgdir_above_4gb|future_feature");
	finish(&im);
	CHECK(parse(&im, &img) == NULL);
	CHECK(img.virt_base == VBASE && img.paddr_offset == 0);
	CHECK(img.virt_kstart == VBASE + 0x1000000 && img.virt_kend == VBASE + 0x1002000);
	CHECK(img.virt_entry == VBASE + 0x1000020);   /* the note beats e_entry */
	CHECK(img.hypercall_page == VBASE + 0x1000000 && img.p2m_base == ELF_UNSET);
	CHECK(img.nr_segments == 1 && img.segment[0].offset == 4096 && img.segment[0].filesz == 4096 &&
	      img.segment[0].memsz == 8192);
	CHECK(elf_segment_va(&img, &img.segment[0]) == VBASE + 0x1000000);
	CHECK(img.f_required == 1u << XENFEAT_pae_pgdir_above_4gb);
	CHECK(img.f_supported == ((1u << XENFEAT_writable_page_tables) | (1u << XENFEAT_pae_pgdir_above_4gb)));
}

/* LOADER "generic" or GUEST_OS "linux"; XEN_VERSION "xen-3.0" */
static void test_loader_and_version(void)
{
	struct image im;
	struct elf_image img;
	start(&im);
	note_str(&im, 6, "pvmmu");
	note_str(&im, 5, "xen-3.0");
	note_u64(&im, 3, VBASE);
	finish(&im);
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "generic loader"));
	start(&im);
	note_str(&im, 6, "pvmmu");
	note_str(&im, 8, "generic");
	note_str(&im, 5, "xen-3.0");
	note_u64(&im, 3, VBASE);
	finish(&im);
	CHECK(parse(&im, &img) == NULL);
	start(&im);
	note_str(&im, 6, "linux");
	note_str(&im, 5, "xen-4.0");
	note_u64(&im, 3, VBASE);
	finish(&im);
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "v3.0"));
	start(&im);
	note_str(&im, 6, "linux");
	finish(&im);
	CHECK(parse(&im, &img) != NULL);
	/* no Xen notes at all: not a Xen image */
	start(&im);
	finish(&im);
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "no Xen notes"));
}

/* Segments are placed by their physical address, moved by VIRT_BASE -
 * PADDR_OFFSET: an image linked with p_paddr = p_vaddr needs PADDR_OFFSET
 * = VIRT_BASE, or it lands beyond the address space. */
static void test_placement(void)
{
	struct image im;
	struct elf_image img;
	start(&im);
	put(&im, 88, VBASE + 0x1000000, 8);      /* p_paddr = p_vaddr */
	linux_like(&im);
	finish(&im);
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "out of bounds"));
	start(&im);
	put(&im, 88, VBASE + 0x1000000, 8);
	linux_like(&im);
	note_u64(&im, 4, VBASE);                 /* PADDR_OFFSET */
	finish(&im);
	CHECK(parse(&im, &img) == NULL && img.virt_kstart == VBASE + 0x1000000);
	/* PADDR_OFFSET without VIRT_BASE */
	start(&im);
	note_str(&im, 6, "linux");
	note_str(&im, 5, "xen-3.0");
	note_u64(&im, 4, 0);
	finish(&im);
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "VIRT_BASE unset"));
	/* the entry outside the image */
	start(&im);
	note_str(&im, 6, "linux");
	note_str(&im, 5, "xen-3.0");
	note_u64(&im, 3, VBASE);
	note_u64(&im, 1, VBASE + 0x2000000);
	finish(&im);
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "out of bounds"));
	/* INIT_P2M inside the kernel */
	start(&im);
	linux_like(&im);
	note_u64(&im, 15, VBASE + 0x1001000);
	finish(&im);
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "P->M"));
}

/* A required feature must be one the loader knows and can give. */
static void test_features(void)
{
	static const char *const refused[] = { "!future_feature", "!supervisor_mode_kernel",
					       "!auto_translated_physmap", "writable_page_tables|!dom0" };
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct image im;
		struct elf_image img;
		start(&im);
		linux_like(&im);
		note_str(&im, 10, refused[i]);
		finish(&im);
		CHECK(parse(&im, &img) != NULL);
	}
}

/* String notes are read as libelf reads them: up to the first NUL in the
 * image, past the descriptor if need be.  Linux's FEATURES note has no NUL
 * of its own; the padding after it ends it.  Without padding, the next
 * note's bytes join the last name. */
static void test_unterminated_strings(void)
{
	struct image im;
	struct elf_image img;
	start(&im);
	linux_like(&im);
	note(&im, 10, "!writable_page_tables|pae_pgdir_above_4gb", 41);
	finish(&im);
	CHECK(parse(&im, &img) == NULL);
	CHECK(img.f_required == 1u << XENFEAT_writable_page_tables);
	CHECK(img.f_supported == ((1u << XENFEAT_writable_page_tables) | (1u << XENFEAT_pae_pgdir_above_4gb)));
	start(&im);
	linux_like(&im);
	note(&im, 10, "pae_pgdir_above_4gb|!dom0", 24);   /* "!dom" and then the next note */
	note_str(&im, 8, "generic");
	finish(&im);
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "does not know"));
}

/* Headers and segments that lie, and a 32-bit image. */
static void test_bad_headers(void)
{
	struct image im;
	struct elf_image img;
	start(&im);
	linux_like(&im);
	finish(&im);
	im.b[4] = 1;
	CHECK(parse(&im, &img) && strstr(parse(&im, &img), "32-bit"));
	im.b[4] = 2;
	put(&im, 96, 8192, 8);                   /* p_filesz past the file */
	CHECK(parse(&im, &img) != NULL);
	put(&im, 96, 16384, 8);                  /* and more than p_memsz */
	put(&im, 72, 0, 8);
	CHECK(parse(&im, &img) != NULL);
	put(&im, 96, 4096, 8);
	put(&im, 72, 4096, 8);
	put(&im, 56, 60000, 2);                  /* e_phnum past the file */
	CHECK(parse(&im, &img) != NULL);
	put(&im, 56, 2, 2);
	put(&im, 104, 1ull << 28, 8);            /* memsz beyond the file: the builder's to refuse */
	CHECK(parse(&im, &img) == NULL && img.virt_kend - img.virt_kstart == 1ull << 28);
	put(&im, 104, ~0ull, 8);                 /* wraps around */
	CHECK(parse(&im, &img) != NULL);
}

/* Notes in a SHT_NOTE section are read when no PT_NOTE has any. */
static void test_note_sections(void)
{
	struct image im;
	struct elf_image img;
	start(&im);
	linux_like(&im);
	uint64_t notes = im.notes, size = im.len - im.notes, sh = 1024;
	finish(&im);
	put(&im, 120, 0, 4);                     /* the PT_NOTE becomes PT_NULL */
	put(&im, 40, sh, 8);                     /* e_shoff */
	put(&im, 60, 2, 2);                      /* e_shnum: the null section, a note */
	put(&im, sh + 64 + 4, 7, 4);             /* SHT_NOTE */
	put(&im, sh + 64 + 24, notes, 8);
	put(&im, sh + 64 + 32, size, 8);
	CHECK(parse(&im, &img) == NULL && img.virt_base == VBASE);
}

/* Every prefix of a good image is refused, and none is read past. */
static void test_truncated(void)
{
	struct image im;
	struct elf_image img;
	start(&im);
	linux_like(&im);
	finish(&im);
	unsigned refused = 0;
	for (uint64_t n = 0; n < 8192; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, im.b, n);
		refused += elf_parse(copy, n, &img) != NULL;
		free(copy);
	}
	CHECK(refused == 8192);
}

void test_elf(void)
{
	test_accepted();
	test_loader_and_version();
	test_placement();
	test_features();
	test_unterminated_strings();
	test_bad_headers();
	test_note_sections();
	test_truncated();
}

/* SPDX-License-Identifier: MIT */
/*
 * Reading a PV kernel image (theory in elf.h).  Every read of the image
 * goes through rd(), which refuses a field that is not wholly inside it,
 * so no header value can make us read elsewhere.
 */
#include <stddef.h>
#include "elf.h"

#define EHDR_SIZE   64u
#define PHDR_SIZE   56u
#define SHDR_SIZE   64u
#define PT_LOAD     1u
#define PT_NOTE     4u
#define SHT_NOTE    7u
#define PF_RWX      7u
#define EM_X86_64   62u
#define MAX_NOTES   65536u

/* Xen's note types (public/elfnote.h) that the loader reads. */
enum {
	NOTE_ENTRY = 1, NOTE_HYPERCALL_PAGE = 2, NOTE_VIRT_BASE = 3, NOTE_PADDR_OFFSET = 4,
	NOTE_XEN_VERSION = 5, NOTE_GUEST_OS = 6, NOTE_LOADER = 8, NOTE_FEATURES = 10,
	NOTE_INIT_P2M = 15, NOTE_MOD_START_PFN = 16, NOTE_SUPPORTED_FEATURES = 17,
};

struct reader {
	const uint8_t *data;
	uint64_t len;
};

/* The (n)-byte little-endian field at (off), if it lies in the image. */
static bool rd(const struct reader *r, uint64_t off, unsigned n, uint64_t *v)
{
	if (off > r->len || n > r->len - off)
		return false;
	*v = 0;
	for (unsigned i = 0; i < n; i++)
		*v |= (uint64_t)r->data[off + i] << (8 * i);
	return true;
}

static uint64_t field(const struct reader *r, uint64_t off, unsigned n)
{
	uint64_t v = 0;
	rd(r, off, n, &v);
	return v;
}

/* Does the string at (p) start with (prefix)? */
static bool starts_with(const char *p, const char *prefix)
{
	for (; *prefix; p++, prefix++)
		if (*p != *prefix)
			return false;
	return true;
}

static bool same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static const char *const feature_names[] = {
	[XENFEAT_writable_page_tables] = "writable_page_tables",
	[XENFEAT_writable_descriptor_tables] = "writable_descriptor_tables",
	[XENFEAT_auto_translated_physmap] = "auto_translated_physmap",
	[XENFEAT_supervisor_mode_kernel] = "supervisor_mode_kernel",
	[XENFEAT_pae_pgdir_above_4gb] = "pae_pgdir_above_4gb",
	[XENFEAT_hvm_callback_vector] = "hvm_callback_vector",
	[XENFEAT_dom0] = "dom0",
};

#define MAX_STRING 4096u    /* libelf's ELF_MAX_STRING_LENGTH */

/* A string note as libelf reads it (elf_strval): from the descriptor up to
 * the first NUL anywhere in the image, even past the descriptor (Linux's
 * FEATURES note has none of its own).  Its length, or -1 if the image ends
 * first (libelf then ignores the note), or -2 if it runs past MAX_STRING
 * (libelf then refuses the image). */
static int64_t string_at(const struct reader *r, uint64_t off)
{
	for (uint64_t n = 0;; n++) {
		if (off + n >= r->len || off + n < off)
			return -1;
		if (!r->data[off + n])
			return (int64_t)n;
		if (n >= MAX_STRING)
			return -2;
	}
}

/* FEATURES, as libelf splits it: names separated by '|', each cut at 63
 * characters (its buffer), a leading '!' for a required one.  An unknown
 * required feature refuses the image. */
static const char *parse_features(const struct reader *r, uint64_t s, uint64_t len, struct elf_image *img)
{
	const unsigned nr = sizeof(feature_names) / sizeof(feature_names[0]);
	for (uint64_t pos = 0, n; pos < len; pos += n) {
		char feature[64] = { 0 };
		for (n = 0; n < 63 && pos + n < len; n++) {
			char c = (char)r->data[s + pos + n];
			if (c == '|') {
				n++;
				break;
			}
			feature[n] = c;
		}
		bool required = feature[0] == '!';
		unsigned f = 0;
		while (f < nr && !(feature_names[f] && same(feature + required, feature_names[f])))
			f++;
		if (f < nr) {
			img->f_supported |= 1u << f;
			img->f_required |= required ? 1u << f : 0;
		} else if (required) {
			return "the image requires a Xen feature this loader does not know";
		}
	}
	return NULL;
}

/* A string note's text into (dst), cut to 15 characters as libelf keeps
 * it; its length in (*len), -1 if the note is to be ignored. */
static const char *note_string(const struct reader *r, uint64_t off, char dst[16], int64_t *len)
{
	*len = string_at(r, off);
	if (*len == -2)
		return "a Xen note string is excessively long";
	for (int64_t i = 0; i < *len && i < 15; i++)
		dst[i] = (char)r->data[off + (uint64_t)i];
	if (*len >= 0)
		dst[*len < 15 ? *len : 15] = 0;
	return NULL;
}

static const char *parse_note(const struct reader *r, uint32_t type, uint64_t desc, uint64_t size,
			      struct elf_image *img, unsigned *xen_notes)
{
	char scratch[16];
	int64_t len;
	const char *why = NULL;
	uint64_t v = size == 1 || size == 2 || size == 4 || size == 8 ? field(r, desc, (unsigned)size) : 0;
	(*xen_notes)++;
	switch (type) {
	case NOTE_ENTRY: img->virt_entry = v; break;
	case NOTE_HYPERCALL_PAGE: img->hypercall_page = v; break;
	case NOTE_VIRT_BASE: img->virt_base = v; break;
	case NOTE_PADDR_OFFSET: img->paddr_offset = v; break;
	case NOTE_INIT_P2M: img->p2m_base = v; break;
	case NOTE_MOD_START_PFN: img->unmapped_initrd = v != 0; break;
	case NOTE_SUPPORTED_FEATURES:
		if (size >= 4)
			img->f_supported |= (uint32_t)field(r, desc, 4);
		break;
	case NOTE_XEN_VERSION: why = note_string(r, desc, img->xen_version, &len); break;
	case NOTE_GUEST_OS: why = note_string(r, desc, img->guest_os, &len); break;
	case NOTE_LOADER: why = note_string(r, desc, img->loader, &len); break;
	case NOTE_FEATURES:
		why = note_string(r, desc, scratch, &len);
		if (!why && len > 0)
			why = parse_features(r, desc, (uint64_t)len, img);
		break;
	default:
		break;                  /* other notes Xen ignores or hv has no use for */
	}
	return why;
}

/* The notes in [off, off + size): each "Xen" one to parse_note. */
static const char *parse_notes(const struct reader *r, uint64_t off, uint64_t size, struct elf_image *img,
			       unsigned *xen_notes, unsigned *notes)
{
	uint64_t end = off + size;
	if (end < off || end > r->len)
		return "a note segment lies outside the file";
	while (end - off >= 12) {
		uint64_t namesz = field(r, off, 4), descsz = field(r, off + 4, 4);
		uint32_t type = (uint32_t)field(r, off + 8, 4);
		uint64_t name = off + 12, desc = name + ((namesz + 3) & ~3ull);
		uint64_t next = desc + ((descsz + 3) & ~3ull);
		if (next > end)
			return "a note runs past its segment";
		if (++*notes > MAX_NOTES)
			return "too many ELF notes";
		if (namesz == 4 && field(r, name, 4) == 0x006e6558) {          /* "Xen\0" */
			const char *why = parse_note(r, type, desc, descsz, img, xen_notes);
			if (why)
				return why;
		}
		off = next;
	}
	return NULL;
}

static const char *read_headers(const struct reader *r, uint64_t *phoff, unsigned *phnum,
				unsigned *phentsize)
{
	if (r->len < EHDR_SIZE || field(r, 0, 4) != 0x464c457f)
		return "not an ELF file";
	if (field(r, 4, 1) == 1)
		return "a 32-bit image (a PV32 kernel, which this loader does not run)";
	if (field(r, 4, 1) != 2 || field(r, 5, 1) != 1 || field(r, 18, 2) != EM_X86_64)
		return "not a 64-bit little-endian x86-64 image";
	*phoff = field(r, 32, 8);
	*phnum = (unsigned)field(r, 56, 2);
	*phentsize = (unsigned)field(r, 54, 2);
	uint64_t shoff = field(r, 40, 8), shnum = field(r, 60, 2), shentsize = field(r, 58, 2);
	if ((*phnum && *phentsize < PHDR_SIZE) || (shnum && shentsize < SHDR_SIZE))
		return "program or section headers of a size this loader does not know";
	if (*phoff > r->len || (uint64_t)*phentsize * *phnum > r->len - *phoff)
		return "program headers lie outside the file";
	if (shoff > r->len || shentsize * shnum > r->len - shoff)
		return "section headers lie outside the file";
	return NULL;
}

/* The loadable segments, and every note from PT_NOTE segments. */
static const char *read_segments(const struct reader *r, uint64_t phoff, unsigned phnum,
				 unsigned phentsize, struct elf_image *img, unsigned *xen_notes)
{
	unsigned notes = 0;
	uint64_t total = 0;
	img->pstart = ~0ull;
	img->pend = 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t ph = phoff + (uint64_t)i * phentsize;
		uint64_t type = field(r, ph, 4), flags = field(r, ph + 4, 4), offset = field(r, ph + 8, 8);
		uint64_t paddr = field(r, ph + 24, 8), filesz = field(r, ph + 32, 8), memsz = field(r, ph + 40, 8);
		if (type == PT_NOTE && offset) {
			const char *why = parse_notes(r, offset, filesz, img, xen_notes, &notes);
			if (why)
				return why;
		}
		if (type != PT_LOAD || !(flags & PF_RWX))
			continue;
		if (offset > r->len || filesz > r->len - offset)
			return "a loadable segment lies outside the file";
		if (filesz > memsz || paddr + memsz < paddr || memsz > ~0ull - total)
			return "a loadable segment's sizes are inconsistent";
		if (img->nr_segments == ELF_MAX_LOAD)
			return "more loadable segments than this loader takes";
		img->segment[img->nr_segments++] = (struct elf_segment){ offset, filesz, memsz, paddr };
		img->pstart = paddr < img->pstart ? paddr : img->pstart;
		img->pend = paddr + memsz > img->pend ? paddr + memsz : img->pend;
		total += memsz;
	}
	if (!img->nr_segments)
		return "no loadable segment";
	uint64_t range = img->pend - img->pstart;
	if (total / 2 > range || (total / 2 == range && total % 2))
		return "program segments total to more than twice the image";
	return NULL;
}

/* SHT_NOTE sections, where no PT_NOTE segment had a Xen note. */
static const char *read_note_sections(const struct reader *r, struct elf_image *img, unsigned *xen_notes)
{
	uint64_t shoff = field(r, 40, 8), shnum = field(r, 60, 2), shentsize = field(r, 58, 2);
	unsigned notes = 0;
	for (uint64_t i = 1; i < shnum; i++) {
		uint64_t sh = shoff + i * shentsize;
		if (field(r, sh + 4, 4) != SHT_NOTE)
			continue;
		const char *why = parse_notes(r, field(r, sh + 24, 8), field(r, sh + 32, 8), img, xen_notes, &notes);
		if (why)
			return why;
	}
	return NULL;
}

/* Xen's elf_xen_note_check and elf_xen_addr_calc_check, for a PV image. */
static const char *check_image(const struct reader *r, struct elf_image *img, bool had_paddr_offset)
{
	if (!starts_with(img->loader, "generic") && !starts_with(img->guest_os, "linux"))
		return "will only load images built for the generic loader or Linux images";
	if (!starts_with(img->xen_version, "xen-3.0"))
		return "will only load images built for Xen v3.0";
	if (img->f_required & ((1u << XENFEAT_supervisor_mode_kernel) | (1u << XENFEAT_auto_translated_physmap)))
		return "the image requires a kernel in ring 0 or a translated physmap, which PV does not give";
	if (img->f_required & (1u << XENFEAT_dom0))
		return "the image does not support unprivileged (domU) operation";
	if (had_paddr_offset && img->virt_base == ELF_UNSET)
		return "PADDR_OFFSET set, VIRT_BASE unset";
	if (img->virt_base == ELF_UNSET)
		img->virt_base = 0;
	if (!had_paddr_offset)
		img->paddr_offset = 0;          /* the default where there are notes */
	uint64_t offset = img->virt_base - img->paddr_offset;
	img->virt_kstart = img->pstart + offset;
	img->virt_kend = img->pend + offset;
	if (img->virt_entry == ELF_UNSET)
		img->virt_entry = field(r, 24, 8);
	if (img->virt_kstart > img->virt_kend || img->virt_entry < img->virt_kstart ||
	    img->virt_entry > img->virt_kend || img->virt_base > img->virt_kstart)
		return "ELF start or entries are out of bounds";
	if (img->p2m_base != ELF_UNSET && img->p2m_base >= img->virt_kstart && img->p2m_base < img->virt_kend)
		return "P->M table base is out of bounds";
	return NULL;
}

const char *elf_parse(const uint8_t *data, uint64_t len, struct elf_image *img)
{
	const struct reader r = { data, len };
	uint64_t phoff;
	unsigned phnum, phentsize, xen_notes = 0;
	*img = (struct elf_image){ .virt_base = ELF_UNSET, .paddr_offset = ELF_UNSET, .virt_entry = ELF_UNSET,
				   .p2m_base = ELF_UNSET, .hypercall_page = ELF_UNSET };
	const char *why = read_headers(&r, &phoff, &phnum, &phentsize);
	if (!why)
		why = read_segments(&r, phoff, phnum, phentsize, img, &xen_notes);
	if (!why && !xen_notes)
		why = read_note_sections(&r, img, &xen_notes);
	if (!why && !xen_notes)
		why = "not a Xen-ELF image: no Xen notes (the legacy __xen_guest section is not read)";
	if (!why)
		why = check_image(&r, img, img->paddr_offset != ELF_UNSET);
	return why;
}

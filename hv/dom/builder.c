/* SPDX-License-Identifier: MIT */
/*
 * The domain builder: one PV guest from an ELF image, laid out as Xen's
 * builder does (xen.h's "start of day" contract):
 *
 *   virt_base -> pfn 0:  the image, the p2m list, start_info, the xenstore
 *   and console pages, the initial pagetables (read-only), a boot stack;
 *   all of it mapped 1:1 from virt_base, up to a 4 MiB boundary with at
 *   least 512 KiB to spare.
 *
 * Frames are handed out in a shuffled order, so pfn != mfn and a guest that
 * confuses them fails at once.  The initial tables are written here as
 * plain memory and then validated and pinned by core/, as any L4 a guest
 * builds; the guest starts in ring 3 at its entry with rsi = start_info.
 *
 * The image is checked before anything is given out: a bad image gets a
 * message and no domain.
 */
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "../../core/m2p.h"
#include "../../core/preempt.h"
#include "../../core/pt.h"
#include "../hv.h"

#define MAPPED_MAX (PT_ENTRIES * PT_ENTRIES)      /* one L2: 1 GiB */

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1
#define PT_NOTE 4
#define PF_X 1
#define PF_W 2

struct image {
	const uint8_t *data;
	uint64_t len;
	const struct elf64_ehdr *eh;
	uint64_t virt_base, entry, end;
};

struct layout {
	uint64_t image_pages, p2m_pfn, p2m_pages, si_pfn, store_pfn, console_pfn;
	uint64_t pt_pfn, nr_pt, stack_pfn, mapped;
};

static const struct elf64_phdr *phdr(const struct image *im, unsigned i)
{
	return (const void *)(im->data + im->eh->phoff + (uint64_t)i * sizeof(struct elf64_phdr));
}

static uint64_t note_value(const uint8_t *desc, uint32_t size)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < size && i < 8; i++)
		v |= (uint64_t)desc[i] << (8 * i);
	return v;
}

/* XEN_ELFNOTE_VIRT_BASE and XEN_ELFNOTE_ENTRY, where the image has them. */
static void read_notes(struct image *im, const struct elf64_phdr *p)
{
	uint64_t off = p->offset, end = p->offset + p->filesz;
	while (end - off >= 12) {
		const uint32_t *n = (const void *)(im->data + off);
		uint64_t name = (n[0] + 3ull) & ~3ull, desc = (n[1] + 3ull) & ~3ull;
		if (name + desc > end - off - 12)
			return;
		const uint8_t *d = im->data + off + 12 + name;
		if (n[0] == 4 && !memcmp(im->data + off + 12, "Xen", 4)) {
			if (n[2] == XEN_ELFNOTE_VIRT_BASE)
				im->virt_base = note_value(d, n[1]);
			else if (n[2] == XEN_ELFNOTE_ENTRY)
				im->entry = note_value(d, n[1]);
		}
		off += 12 + name + desc;
	}
}

static const char *check_image(struct image *im)
{
	const struct elf64_ehdr *eh = im->eh = (const void *)im->data;
	if (im->len < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4))
		return "not an ELF file";
	if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->machine != 62 || eh->type != 2)
		return "not a 64-bit little-endian x86-64 executable";
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 || eh->phnum > 64 ||
	    eh->phoff > im->len || im->len - eh->phoff < (uint64_t)eh->phnum * sizeof(struct elf64_phdr) ||
	    eh->phoff % 8)
		return "program headers out of the file";
	uint64_t lo = ~0ull, hi = 0;
	im->entry = eh->entry;
	for (unsigned i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *p = phdr(im, i);
		if (p->type != PT_LOAD && p->type != PT_NOTE)
			continue;
		if (p->offset > im->len || p->filesz > im->len - p->offset)
			return "a segment lies outside the file";
		if (p->type == PT_NOTE) {
			if (p->offset % 4 == 0)
				read_notes(im, p);
			continue;
		}
		if (p->filesz > p->memsz || p->memsz > (1ull << 30) || !canonical(p->vaddr) ||
		    p->vaddr + p->memsz < p->vaddr)
			return "a segment has a bad size or address";
		lo = p->vaddr < lo ? p->vaddr : lo;
		hi = p->vaddr + p->memsz > hi ? p->vaddr + p->memsz : hi;
	}
	if (hi == 0)
		return "no loadable segment";
	if (!im->virt_base)
		im->virt_base = lo & ~((4ull << 20) - 1);
	im->end = hi;
	if (im->virt_base % (4ull << 20) || lo < im->virt_base || hi - im->virt_base > (512ull << 20))
		return "virt_base must be 4 MiB aligned, at or below the image, within 512 MiB of it";
	if (im->virt_base < HV_VIRT_END)
		return "the image must be linked in the guest kernel's half, above the hypervisor's slots";
	if (im->entry < lo || im->entry >= hi)
		return "the entry point is outside the image";
	return NULL;
}

static struct layout plan(const struct image *im, uint64_t nr_pages)
{
	struct layout l = { 0 };
	l.image_pages = (im->end - im->virt_base + PAGE_SIZE - 1) / PAGE_SIZE;
	l.p2m_pfn = l.image_pages;
	l.p2m_pages = (nr_pages * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	l.si_pfn = l.p2m_pfn + l.p2m_pages;
	l.store_pfn = l.si_pfn + 1;
	l.console_pfn = l.si_pfn + 2;
	l.pt_pfn = l.si_pfn + 3;
	for (uint64_t prev = ~0ull; l.mapped != prev;) {
		prev = l.mapped;
		l.nr_pt = 3 + (l.mapped + PT_ENTRIES - 1) / PT_ENTRIES;
		l.stack_pfn = l.pt_pfn + l.nr_pt;
		uint64_t four_mib = 1024;
		l.mapped = (l.stack_pfn + 1 + 128 + four_mib - 1) / four_mib * four_mib;
	}
	return l;
}

/* A bijection on [0, 2^bits): an odd multiply and an xor-shift, each
 * invertible, for frames in a shuffled but reproducible order. */
static uint64_t shuffle(uint64_t x, unsigned bits)
{
	uint64_t mask = (1ull << bits) - 1;
	x = (x * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull) & mask;
	x ^= x >> (bits / 2 + 1);
	return (x * 0xbf58476d1ce4e5b9ull) & mask;
}

/* The next free frame of the machine in shuffled order, or INVALID_MFN. */
struct frame_source {
	uint64_t next, span;
	unsigned bits;
};

static mfn_t next_frame(struct domain *d, struct frame_source *fs, pfn_t pfn)
{
	while (fs->next < (1ull << fs->bits)) {
		uint64_t f = shuffle(fs->next++, fs->bits);
		if (f < fs->span && domain_add_frame(d, _mfn(f), pfn)) {
			memset(env_frame(_mfn(f)), 0, PAGE_SIZE);
			return _mfn(f);
		}
	}
	return INVALID_MFN;
}

static mfn_t p2m_frames[PT_ENTRIES];     /* the frames of the guest's p2m list */

static mfn_t pfn_mfn(uint64_t pfn)
{
	return _mfn(((uint64_t *)env_frame(p2m_frames[pfn / PT_ENTRIES]))[pfn % PT_ENTRIES]);
}

/* pfns 0..nr_pages-1, the p2m list's own frames first so that every mfn
 * can be written into the list as it is chosen; then one frame more, not
 * in the p2m, for the shared info page. */
static bool give_frames(struct domain *d, const struct layout *l, uint64_t nr_pages, mfn_t *shared)
{
	struct frame_source fs = { .span = d->m->nr_frames, .bits = 1 };
	while ((1ull << fs.bits) < fs.span)
		fs.bits++;
	for (uint64_t i = 0; i < l->p2m_pages; i++) {
		p2m_frames[i] = next_frame(d, &fs, _pfn(l->p2m_pfn + i));
		if (mfn_eq(p2m_frames[i], INVALID_MFN))
			return false;
	}
	for (uint64_t pfn = 0; pfn < nr_pages; pfn++) {
		bool list = pfn >= l->p2m_pfn && pfn < l->p2m_pfn + l->p2m_pages;
		mfn_t m = list ? p2m_frames[pfn - l->p2m_pfn] : next_frame(d, &fs, _pfn(pfn));
		if (mfn_eq(m, INVALID_MFN))
			return false;
		((uint64_t *)env_frame(p2m_frames[pfn / PT_ENTRIES]))[pfn % PT_ENTRIES] = mfn_x(m);
	}
	*shared = next_frame(d, &fs, _pfn(M2P_INVALID));
	return !mfn_eq(*shared, INVALID_MFN);
}

static void load_segments(const struct image *im)
{
	for (unsigned i = 0; i < im->eh->phnum; i++) {
		const struct elf64_phdr *p = phdr(im, i);
		if (p->type != PT_LOAD)
			continue;
		for (uint64_t off = 0; off < p->filesz;) {
			uint64_t va = p->vaddr + off, n = PAGE_SIZE - (va % PAGE_SIZE);
			n = n < p->filesz - off ? n : p->filesz - off;
			uint8_t *to = env_frame(pfn_mfn((va - im->virt_base) / PAGE_SIZE));
			memcpy(to + va % PAGE_SIZE, im->data + p->offset + off, n);
			off += n;
		}
	}
}

/* The flags of the initial mapping of (pfn): the image's pages as its
 * segments say, the tables read-only, the rest writable data. */
static uint64_t initial_flags(const struct image *im, const struct layout *l, uint64_t pfn)
{
	if (pfn >= l->pt_pfn && pfn < l->pt_pfn + l->nr_pt)
		return PTE_P | PTE_A | PTE_NX;
	uint64_t va = im->virt_base + pfn * PAGE_SIZE, f = PTE_P | PTE_A | PTE_RW | PTE_D | PTE_NX;
	for (unsigned i = 0; pfn < l->image_pages && i < im->eh->phnum; i++) {
		const struct elf64_phdr *p = phdr(im, i);
		if (p->type != PT_LOAD || va + PAGE_SIZE <= p->vaddr || va >= p->vaddr + p->memsz)
			continue;
		f = PTE_P | PTE_A | (p->flags & PF_W ? PTE_RW | PTE_D : 0) | (p->flags & PF_X ? 0 : PTE_NX);
	}
	return f;
}

static void put(uint64_t pfn, unsigned slot, uint64_t e)
{
	((uint64_t *)env_frame(pfn_mfn(pfn)))[slot] = e;
}

static void build_tables(const struct image *im, const struct layout *l)
{
	uint64_t vb = im->virt_base, table = PTE_P | PTE_RW | PTE_A;
	put(l->pt_pfn, (vb >> 39) & 511, mfn_x(pfn_mfn(l->pt_pfn + 1)) << PAGE_SHIFT | table);
	put(l->pt_pfn + 1, (vb >> 30) & 511, mfn_x(pfn_mfn(l->pt_pfn + 2)) << PAGE_SHIFT | table);
	for (uint64_t k = 0; k * PT_ENTRIES < l->mapped; k++) {
		uint64_t l1 = l->pt_pfn + 3 + k;
		put(l->pt_pfn + 2, (unsigned)(((vb >> 21) & 511) + k), mfn_x(pfn_mfn(l1)) << PAGE_SHIFT | table);
		for (unsigned j = 0; j < PT_ENTRIES; j++) {
			uint64_t pfn = k * PT_ENTRIES + j;
			put(l1, j, mfn_x(pfn_mfn(pfn)) << PAGE_SHIFT | initial_flags(im, l, pfn));
		}
	}
}

static void write_start_info(const struct image *im, const struct layout *l, uint64_t nr_pages,
			     mfn_t shared, const char *cmdline)
{
	struct xen_start_info *si = env_frame(pfn_mfn(l->si_pfn));
	memcpy(si->magic, XEN_START_MAGIC, sizeof(XEN_START_MAGIC));
	si->nr_pages = nr_pages;
	si->shared_info = mfn_x(shared) << PAGE_SHIFT;
	si->store_mfn = mfn_x(pfn_mfn(l->store_pfn));
	si->console.mfn = mfn_x(pfn_mfn(l->console_pfn));
	si->pt_base = im->virt_base + l->pt_pfn * PAGE_SIZE;
	si->nr_pt_frames = l->nr_pt;
	si->mfn_list = im->virt_base + l->p2m_pfn * PAGE_SIZE;
	size_t n = strlen(cmdline);
	memcpy(si->cmd_line, cmdline, n < MAX_GUEST_CMDLINE - 1 ? n : MAX_GUEST_CMDLINE - 1);
}

/* Pin (l4) and make it vCPU (v)'s root, as the guest's PIN_L4_TABLE and
 * NEW_BASEPTR would, the slices run one after the other: 0 or core's
 * error. */
static long take_initial_root(struct vcpu *v, mfn_t l4)
{
	long rc;
	dom_shared_enter(v);
	do {
		preempt_start(v);
		rc = !pt_demote_run(v) ? -XEN_ERESTART : frame_pin(v, l4, FT_L4);
	} while (rc == -XEN_ERESTART);
	while (!rc) {
		preempt_start(v);
		rc = hc_set_root(v, &v->kernel_root, l4);
		if (rc != -XEN_ERESTART)
			break;
		rc = 0;
	}
	dom_shared_exit(v);
	return rc;
}

static struct hv_domain hv_domains[MAX_DOMAINS];


struct domain *build_domain(uint64_t image, uint64_t len, uint64_t nr_pages, unsigned nr_vcpus,
			    const char *cmdline, struct regs *r)
{
	struct image im = { .data = maddr_virt(image), .len = len };
	const char *why = check_image(&im);
	struct layout l = plan(&im, nr_pages);
	if (!why && (l.mapped > nr_pages || l.mapped > MAPPED_MAX ||
		     (im.virt_base >> 30) != ((im.virt_base + l.mapped * PAGE_SIZE - 1) >> 30)))
		why = "the image and its start-of-day pages need more than the guest's memory or 1 GiB";
	if (why) {
		printk("hv: guest image refused: %s\n", why);
		return NULL;
	}
	struct domain *d = domain_create(&machine, nr_vcpus);
	mfn_t shared;
	if (!d || !give_frames(d, &l, nr_pages, &shared)) {
		printk("hv: not enough free memory for a guest of %lu pages\n", nr_pages);
		return NULL;
	}
	load_segments(&im);
	build_tables(&im, &l);
	write_start_info(&im, &l, nr_pages, shared, cmdline);
	struct hv_domain *hd = &hv_domains[d - machine.domains];
	*hd = (struct hv_domain){ .shared_info = mfn_x(shared) << PAGE_SHIFT, .console_line_start = true };
	d->host = hd;
	for (unsigned k = 0; k < nr_vcpus; k++) {
		d->vcpus[k].host = &hd->vcpus[k];
		pv_vcpu_info(&d->vcpus[k])->evtchn_upcall_mask = 1;
	}
	struct vcpu *v = &d->vcpus[0];
	hd->vcpus[0].initialised = hd->vcpus[0].up = true;
	long rc = take_initial_root(v, pfn_mfn(l.pt_pfn));
	if (rc) {
		printk("hv: the initial pagetables did not validate (%ld): %s\n", rc,
		       v->reason ? v->reason : "");
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->rip = im.entry;
	r->rsp = im.virt_base + (l.stack_pfn + 1) * PAGE_SIZE;
	r->rsi = im.virt_base + l.si_pfn * PAGE_SIZE;
	r->cs = GUEST_CS;
	r->ss = GUEST_SS;
	r->rflags = RFLAGS_IF | 2;
	printk("hv: d%u: %lu pages, image %lx-%lx entry %lx, %lu pagetable frames, %lu pfns mapped\n",
	       d->domid, nr_pages, im.virt_base, im.end, im.entry, l.nr_pt, l.mapped);
	return d;
}

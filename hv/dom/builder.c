/* SPDX-License-Identifier: MIT */
/*
 * The domain builder: one PV guest from an ELF image, laid out as Xen's
 * builder lays out a PV kernel (xen.h's "start of day" contract, the order
 * of Xen's dom0 builder plus a domU's xenstore and console pages):
 *
 *   virt_base -> pfn 0:  the image (placed by its physical addresses,
 *   elf.h), the p2m list, start_info, the xenstore and console pages, the
 *   initial pagetables, a boot stack; all of it mapped from virt_base, up
 *   to a 4 MiB boundary with at least 512 KiB to spare.
 *
 * The image is read by dom/elf.c, which accepts what Xen's loader accepts
 * and refuses what it refuses; every size is checked before a frame is
 * given out, so a bad image or size gets a message and no domain.
 *
 * Frames are handed out in a shuffled order, so pfn != mfn and a guest that
 * confuses them fails at once.  The initial tables are written here as
 * plain memory with Xen's protections (every page writable and executable,
 * the tables themselves read-only), then validated and pinned by core/, as
 * any L4 a guest builds; the guest starts in ring 3 at its entry with rsi =
 * start_info and rsp at the top of the boot stack.
 */
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "../../core/m2p.h"
#include "../../core/preempt.h"
#include "../../core/pt.h"
#include "../hv.h"
#include "elf.h"

#define FOUR_MIB   (4ull << 20)
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1))

/* Where everything goes, as virtual addresses (pfn = (va - v_start) / 4 KiB). */
struct layout {
	uint64_t v_start, v_end;
	uint64_t p2m, p2m_pages, start_info, store, console, pt, nr_pt, stack_top;
};

struct builder {
	const struct elf_image *img;
	const uint8_t *data;
	struct layout l;
	uint64_t nr_pages;
	mfn_t *p2m_frames;          /* the frames of the guest's p2m list */
	uint64_t next_pt;           /* the next unused initial pagetable frame (pfn) */
};

/* Tables of (shift)-sized spans the range [lo, hi) touches (Xen's NR()). */
static uint64_t spans(uint64_t lo, uint64_t hi, unsigned shift)
{
	uint64_t s = 1ull << shift;
	return (((hi + s - 1) & ~(s - 1)) - (lo & ~(s - 1))) >> shift;
}

static uint64_t pfn_of(const struct layout *l, uint64_t va)
{
	return (va - l->v_start) >> PAGE_SHIFT;
}

/* The layout, or a reason.  nr_pt and the end of the mapping depend on each
 * other; like Xen, try table counts upward until they fit. */
static const char *plan(const struct elf_image *img, uint64_t nr_pages, struct layout *l)
{
	l->v_start = img->virt_base;
	l->p2m = PAGE_UP(img->virt_kend);
	l->p2m_pages = PAGE_UP(nr_pages * 8) >> PAGE_SHIFT;
	l->start_info = l->p2m + (l->p2m_pages << PAGE_SHIFT);
	l->store = l->start_info + PAGE_SIZE;
	l->console = l->store + PAGE_SIZE;
	l->pt = l->console + PAGE_SIZE;
	if (l->p2m < l->v_start || l->pt < l->p2m)
		return "the image's addresses wrap around";
	for (l->nr_pt = 2;; l->nr_pt++) {
		l->stack_top = l->pt + (l->nr_pt + 1) * PAGE_SIZE;
		l->v_end = (l->stack_top + FOUR_MIB - 1) & ~(FOUR_MIB - 1);
		if (l->v_end - l->stack_top < (512ull << 10))
			l->v_end += FOUR_MIB;
		if (l->v_end < l->stack_top)
			return "the image's addresses wrap around";
		if (1 + spans(l->v_start, l->v_end, 39) + spans(l->v_start, l->v_end, 30) +
		    spans(l->v_start, l->v_end, 21) <= l->nr_pt)
			break;
	}
	if (pfn_of(l, l->v_end) > nr_pages)
		return "the image and its start-of-day pages need more than the guest's memory";
	if (!va_canonical(l->v_start) || !va_canonical(l->v_end - 1) ||
	    (l->v_start >> 47) != ((l->v_end - 1) >> 47))
		return "the start-of-day area is not canonical";
	if (l->v_start < HV_VIRT_END && l->v_end > HV_VIRT_START)
		return "the image overlaps the hypervisor's area";
	if (img->hypercall_page != ELF_UNSET &&
	    (img->hypercall_page < l->v_start || img->hypercall_page >= l->v_end))
		return "invalid HYPERCALL_PAGE field in ELF notes";
	return NULL;
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

static uint64_t *p2m_slot(const struct builder *b, uint64_t pfn)
{
	return (uint64_t *)env_frame(b->p2m_frames[pfn / PT_ENTRIES]) + pfn % PT_ENTRIES;
}

static mfn_t pfn_mfn(const struct builder *b, uint64_t pfn)
{
	return _mfn(*p2m_slot(b, pfn));
}

static void *pfn_page(const struct builder *b, uint64_t pfn)
{
	return env_frame(pfn_mfn(b, pfn));
}

/* pfns 0..nr_pages-1, the p2m list's own frames first so that every mfn
 * can be written into the list as it is chosen; then one frame more, not
 * in the p2m, for the shared info page. */
static bool give_frames(struct domain *d, struct builder *b, mfn_t *shared)
{
	struct frame_source fs = { .span = d->m->nr_frames, .bits = 1 };
	uint64_t first = pfn_of(&b->l, b->l.p2m);
	while ((1ull << fs.bits) < fs.span)
		fs.bits++;
	for (uint64_t i = 0; i < b->l.p2m_pages; i++) {
		b->p2m_frames[i] = next_frame(d, &fs, _pfn(first + i));
		if (mfn_eq(b->p2m_frames[i], INVALID_MFN))
			return false;
	}
	for (uint64_t pfn = 0; pfn < b->nr_pages; pfn++) {
		bool list = pfn >= first && pfn < first + b->l.p2m_pages;
		mfn_t m = list ? b->p2m_frames[pfn - first] : next_frame(d, &fs, _pfn(pfn));
		if (mfn_eq(m, INVALID_MFN))
			return false;
		*p2m_slot(b, pfn) = mfn_x(m);
	}
	*shared = next_frame(d, &fs, _pfn(M2P_INVALID));
	return !mfn_eq(*shared, INVALID_MFN);
}

/* Copy (n) bytes to guest virtual address (va) of the start-of-day area. */
static void copy_in(const struct builder *b, uint64_t va, const uint8_t *from, uint64_t n)
{
	while (n) {
		uint64_t part = PAGE_SIZE - (va % PAGE_SIZE);
		part = part < n ? part : n;
		memcpy((uint8_t *)pfn_page(b, pfn_of(&b->l, va)) + va % PAGE_SIZE, from, part);
		va += part, from += part, n -= part;
	}
}

static void load_segments(const struct builder *b)
{
	for (unsigned i = 0; i < b->img->nr_segments; i++) {
		const struct elf_segment *s = &b->img->segment[i];
		copy_in(b, elf_segment_va(b->img, s), b->data + s->offset, s->filesz);
	}
}

/* Xen's hypercall page for a 64-bit PV guest: int3 everywhere, then in
 * each 32-byte slot i "push %rcx; push %r11; mov $i, %eax; syscall;
 * pop %r11; pop %rcx; ret", and for iret, which does not return,
 * "push %rcx; push %r11; push %rax; mov $23, %eax; syscall". */
static void write_hypercall_page(const struct builder *b, uint64_t va)
{
	static const uint8_t call[14] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3 };
	static const uint8_t iret[11] = { 0x51, 0x41, 0x53, 0x50, 0xb8, HYPERVISOR_iret, 0, 0, 0, 0x0f, 0x05 };
	uint8_t *p = pfn_page(b, pfn_of(&b->l, va & ~(uint64_t)(PAGE_SIZE - 1)));
	memset(p, 0xcc, PAGE_SIZE);
	for (unsigned i = 0; i < PAGE_SIZE / 32; i++) {
		if (i == HYPERVISOR_iret) {
			memcpy(p + 32 * i, iret, sizeof(iret));
			continue;
		}
		memcpy(p + 32 * i, call, sizeof(call));
		p[32 * i + 4] = (uint8_t)i;
	}
}

/* Map every page of [v_start, v_end): read-only if it is one of the
 * tables, else writable; all of it executable, as Xen's L1_PROT.  The
 * addresses only grow, so a table is made when its first page comes and
 * the tables in use are the last made at each level (cur[]). */
static void build_tables(struct builder *b)
{
	const struct layout *l = &b->l;
	uint64_t root = pfn_of(l, l->pt), pt_end = root + l->nr_pt, next = root + 1;
	uint64_t cur[5] = { [4] = root };
	for (uint64_t va = l->v_start & ~(uint64_t)(PAGE_SIZE - 1); va < l->v_end; va += PAGE_SIZE) {
		for (unsigned level = 4; level > 1; level--) {
			uint64_t *t = pfn_page(b, cur[level]);
			unsigned slot = pt_index(va, level);
			if (!t[slot]) {
				cur[level - 1] = next++;
				t[slot] = mfn_x(pfn_mfn(b, cur[level - 1])) << PAGE_SHIFT |
					  PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
			}
		}
		uint64_t pfn = pfn_of(l, va);
		bool table = pfn >= root && pfn < pt_end;
		((uint64_t *)pfn_page(b, cur[1]))[pt_index(va, 1)] =
			mfn_x(pfn_mfn(b, pfn)) << PAGE_SHIFT | PTE_P | PTE_A | (table ? 0 : PTE_RW);
	}
}

static void write_start_info(const struct builder *b, mfn_t shared, const char *cmdline)
{
	const struct layout *l = &b->l;
	struct xen_start_info *si = pfn_page(b, pfn_of(l, l->start_info));
	memcpy(si->magic, XEN_START_MAGIC, sizeof(XEN_START_MAGIC));
	si->nr_pages = b->nr_pages;
	si->shared_info = mfn_x(shared) << PAGE_SHIFT;
	si->store_mfn = mfn_x(pfn_mfn(b, pfn_of(l, l->store)));
	si->console.mfn = mfn_x(pfn_mfn(b, pfn_of(l, l->console)));
	si->pt_base = l->pt;
	si->nr_pt_frames = l->nr_pt;
	si->mfn_list = l->p2m;
	si->first_p2m_pfn = b->nr_pages;
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

/* The checks on the request and the image, before anything is given out:
 * NULL, or why there will be no domain. */
static const char *check_request(struct builder *b, uint64_t image, uint64_t len, struct elf_image *img)
{
	uint64_t frames = machine.nr_frames;
	if (len == 0 || image + len < image || PAGE_UP(image + len) > frames * PAGE_SIZE)
		return "the guest image is not in memory";
	if (b->nr_pages == 0 || b->nr_pages >= frames || b->nr_pages / PT_ENTRIES + 1 > mem_p2m_index_size)
		return "no memory size the machine can give";
	const char *why = elf_parse(maddr_virt(image), len, img);
	return why ? why : plan(img, b->nr_pages, &b->l);
}

struct domain *build_domain(uint64_t image, uint64_t len, uint64_t nr_pages, unsigned nr_vcpus,
			    const char *cmdline, struct regs *r)
{
	struct elf_image img;
	struct builder b = { .img = &img, .data = maddr_virt(image), .nr_pages = nr_pages,
			     .p2m_frames = mem_p2m_index };
	const char *why = check_request(&b, image, len, &img);
	if (why) {
		printk("hv: guest image refused: %s\n", why);
		return NULL;
	}
	struct domain *d = domain_create(&machine, nr_vcpus);
	mfn_t shared;
	if (!d || !give_frames(d, &b, &shared)) {
		printk("hv: not enough free memory for a guest of %lu pages\n", nr_pages);
		return NULL;
	}
	load_segments(&b);
	if (img.hypercall_page != ELF_UNSET)
		write_hypercall_page(&b, img.hypercall_page);
	build_tables(&b);
	write_start_info(&b, shared, cmdline);
	struct hv_domain *hd = &hv_domains[d - machine.domains];
	*hd = (struct hv_domain){ .shared_info = mfn_x(shared) << PAGE_SHIFT, .console_line_start = true };
	d->host = hd;
	for (unsigned k = 0; k < nr_vcpus; k++) {
		d->vcpus[k].host = &hd->vcpus[k];
		pv_vcpu_info(&d->vcpus[k])->evtchn_upcall_mask = 1;
	}
	struct vcpu *v = &d->vcpus[0];
	hd->vcpus[0].initialised = hd->vcpus[0].up = true;
	long rc = take_initial_root(v, pfn_mfn(&b, pfn_of(&b.l, b.l.pt)));
	if (rc) {
		printk("hv: the initial pagetables did not validate (%ld): %s\n", rc,
		       v->reason ? v->reason : "");
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->rip = img.virt_entry;
	r->rsp = b.l.stack_top;
	r->rsi = b.l.start_info;
	r->cs = GUEST_CS;
	r->ss = GUEST_SS;
	r->rflags = RFLAGS_IF | 2;
	printk("hv: d%u: %lu pages, kernel %lx-%lx entry %lx, start of day %lx-%lx, %lu pagetable frames\n",
	       d->domid, nr_pages, img.virt_kstart, img.virt_kend, img.virt_entry, b.l.v_start,
	       b.l.v_end, b.l.nr_pt);
	return d;
}

/* SPDX-License-Identifier: MIT */
/*
 * The domain builder: one PV guest from an ELF image, laid out as Xen's
 * domain builder (libxc's xc_dom_build_image) lays out a PV kernel, xen.h's
 * "start of day" contract:
 *
 *   virt_base -> pfn 0:  the image (placed by its physical addresses,
 *   elf.h), the initrd if the kernel wants it mapped, the p2m list unless
 *   the image asks for it elsewhere (INIT_P2M), start_info, the xenstore and
 *   console pages, the initial pagetables, a boot stack; all of it mapped
 *   from virt_base, up to a 4 MiB boundary with at least 512 KiB to spare.
 *   After that, unmapped: the initrd of a kernel that takes it by pfn
 *   (MOD_START_PFN, SIF_MOD_START_PFN), then the p2m list of an INIT_P2M
 *   image with the tables that map it at the address it asked for.
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

/* Where everything goes: virtual addresses in the start-of-day area (pfn =
 * (va - v_start) / 4 KiB), pfns after it. */
struct layout {
	uint64_t v_start, v_end;
	uint64_t start_info, store, console, pt, nr_pt, stack_top;
	uint64_t initrd, initrd_pfn, initrd_pages;  /* initrd: its va, 0 if unmapped */
	uint64_t p2m, p2m_pfn, p2m_pages;           /* p2m: its va, wherever it is */
	uint64_t p2m_tables;                        /* tables made to map an INIT_P2M list */
	bool init_p2m;
};

struct builder {
	const struct elf_image *img;
	const uint8_t *data;
	uint64_t initrd_offset, initrd_len;     /* where in (data) the initrd is */
	struct layout l;
	uint64_t nr_pages;
	mfn_t *p2m_frames;          /* the frames of the guest's p2m list */
};

/* Tables of (shift)-sized spans the range [lo, hi) touches (Xen's NR()). */
static uint64_t spans(uint64_t lo, uint64_t hi, unsigned shift)
{
	uint64_t s = 1ull << shift;
	return (((hi + s - 1) & ~(s - 1)) - (lo & ~(s - 1))) >> shift;
}

/* Spans of [lo, hi) not already spanned by [lo0, hi0): the tables a second
 * mapping adds at one level (libxc's count_pgtables shares them). */
static uint64_t new_spans(uint64_t lo, uint64_t hi, uint64_t lo0, uint64_t hi0, unsigned shift)
{
	uint64_t mask = (1ull << shift) - 1;
	uint64_t a = (lo & ~mask) > (lo0 & ~mask) ? lo & ~mask : lo0 & ~mask;
	uint64_t z = ((hi - 1) | mask) < ((hi0 - 1) | mask) ? (hi - 1) | mask : (hi0 - 1) | mask;
	return spans(lo, hi, shift) - (a < z ? spans(a, z, shift) : 0);
}

static uint64_t pfn_of(const struct layout *l, uint64_t va)
{
	return (va - l->v_start) >> PAGE_SHIFT;
}

/* The mapped part: everything up to the tables, then the tables and the
 * boot stack with the mapping's end, which depend on each other; like
 * Xen, try table counts upward until they fit.  NULL, or a reason. */
static const char *plan_mapped(const struct elf_image *img, uint64_t initrd_len, struct layout *l)
{
	uint64_t v = PAGE_UP(img->virt_kend), top = ~0ull - FOUR_MIB - (512ull << 10);
	l->v_start = img->virt_base;
	if (initrd_len && !img->unmapped_initrd) {
		l->initrd = v;
		v += l->initrd_pages << PAGE_SHIFT;
	}
	if (!l->init_p2m) {
		l->p2m = v;
		v += l->p2m_pages << PAGE_SHIFT;
	}
	l->start_info = v;
	l->store = l->start_info + PAGE_SIZE;
	l->console = l->store + PAGE_SIZE;
	l->pt = l->console + PAGE_SIZE;
	if (v < img->virt_kend || l->pt > top)
		return "the image's addresses wrap around";
	for (l->nr_pt = 2;; l->nr_pt++) {
		l->stack_top = l->pt + (l->nr_pt + 1) * PAGE_SIZE;
		l->v_end = (l->stack_top + FOUR_MIB - 1) & ~(FOUR_MIB - 1);
		if (l->v_end - l->stack_top < (512ull << 10))
			l->v_end += FOUR_MIB;
		if (l->stack_top > top)
			return "the image's addresses wrap around";
		if (1 + spans(l->v_start, l->v_end, 39) + spans(l->v_start, l->v_end, 30) +
		    spans(l->v_start, l->v_end, 21) <= l->nr_pt)
			return NULL;
	}
}

/* The p2m list at the image's INIT_P2M address, with its own tables, after
 * everything else: NULL, or a reason. */
static const char *plan_init_p2m(struct layout *l, uint64_t next)
{
	uint64_t end = l->p2m + (l->p2m_pages << PAGE_SHIFT);
	if (end < l->p2m || !va_canonical(l->p2m) || !va_canonical(end - 1) || (l->p2m >> 47) != ((end - 1) >> 47))
		return "the p2m list (INIT_P2M) is not canonical";
	if (end > l->v_start)
		return "the p2m list (INIT_P2M) overlaps the start-of-day area";
	if (l->p2m < HV_VIRT_END && end > HV_VIRT_START)
		return "the p2m list (INIT_P2M) overlaps the hypervisor's area";
	l->p2m_pfn = next;
	for (unsigned shift = 21; shift <= 39; shift += 9)
		l->p2m_tables += new_spans(l->p2m, end, l->v_start, l->v_end, shift);
	return NULL;
}

/* The layout for (img) with (nr_pages) pages and an initrd of (initrd_len)
 * bytes, or a reason. */
static const char *plan(const struct elf_image *img, uint64_t nr_pages, uint64_t initrd_len, struct layout *l)
{
	*l = (struct layout){ .initrd_pages = PAGE_UP(initrd_len) >> PAGE_SHIFT,
			      .p2m_pages = PAGE_UP(nr_pages * 8) >> PAGE_SHIFT };
	/* libxc takes INIT_P2M only below the image and page-aligned */
	l->init_p2m = img->p2m_base != ELF_UNSET && img->p2m_base < img->virt_base && !(img->p2m_base % PAGE_SIZE);
	if (img->virt_base % PAGE_SIZE)
		return "VIRT_BASE is not page-aligned";
	const char *why = plan_mapped(img, initrd_len, l);
	if (why)
		return why;
	if (!va_canonical(l->v_start) || !va_canonical(l->v_end - 1) ||
	    (l->v_start >> 47) != ((l->v_end - 1) >> 47))
		return "the start-of-day area is not canonical";
	if (l->v_start < HV_VIRT_END && l->v_end > HV_VIRT_START)
		return "the image overlaps the hypervisor's area";
	if (img->hypercall_page != ELF_UNSET &&
	    (img->hypercall_page < l->v_start || img->hypercall_page >= l->v_end))
		return "invalid HYPERCALL_PAGE field in ELF notes";
	uint64_t next = pfn_of(l, l->v_end);
	if (next > nr_pages)
		return "the image and its start-of-day pages need more than the guest's memory";
	l->initrd_pfn = l->initrd ? pfn_of(l, l->initrd) : next;
	if (initrd_len && !l->initrd)
		next += l->initrd_pages;
	if (l->init_p2m) {
		l->p2m = img->p2m_base;
		if ((why = plan_init_p2m(l, next)))
			return why;
		next += l->p2m_pages + l->p2m_tables;
	} else {
		l->p2m_pfn = pfn_of(l, l->p2m);
	}
	if (next > nr_pages)
		return "the image, its initrd and its start-of-day pages need more than the guest's memory";
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
 * can be written into the list as it is chosen; then frames more, not in
 * the p2m: the shared info page and the grant table's (grant[]). */
static bool give_frames(struct domain *d, struct builder *b, mfn_t *shared, mfn_t grant[GRANT_MAX_FRAMES])
{
	struct frame_source fs = { .span = d->m->nr_frames, .bits = 1 };
	uint64_t first = b->l.p2m_pfn;
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
	for (unsigned i = 0; i < GRANT_MAX_FRAMES; i++)
		if (mfn_eq(grant[i] = next_frame(d, &fs, _pfn(M2P_INVALID)), INVALID_MFN))
			return false;
	*shared = next_frame(d, &fs, _pfn(M2P_INVALID));
	return !mfn_eq(*shared, INVALID_MFN);
}

/* Copy (n) bytes to the guest's pages from pfn (at / 4 KiB), offset (at %
 * 4 KiB), on. */
static void copy_in(const struct builder *b, uint64_t at, const uint8_t *from, uint64_t n)
{
	while (n) {
		uint64_t part = PAGE_SIZE - (at % PAGE_SIZE);
		part = part < n ? part : n;
		memcpy((uint8_t *)pfn_page(b, at >> PAGE_SHIFT) + at % PAGE_SIZE, from, part);
		at += part, from += part, n -= part;
	}
}

static void load_segments(const struct builder *b)
{
	for (unsigned i = 0; i < b->img->nr_segments; i++) {
		const struct elf_segment *s = &b->img->segment[i];
		copy_in(b, elf_segment_va(b->img, s) - b->l.v_start, b->data + s->offset, s->filesz);
	}
	copy_in(b, b->l.initrd_pfn << PAGE_SHIFT, b->data + b->initrd_offset, b->initrd_len);
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

/* Map (n) pages from (va) to the pfns from (pfn): read-only if the page is
 * one of the initial tables, else writable; all of it executable, as Xen's
 * L1_PROT.  A table missing on the way is made from the pfns at
 * (*next_table) on. */
static void map_range(const struct builder *b, uint64_t va, uint64_t n, uint64_t pfn, uint64_t *next_table)
{
	uint64_t root = pfn_of(&b->l, b->l.pt), pt_end = root + b->l.nr_pt;
	for (; n; n--, va += PAGE_SIZE, pfn++) {
		uint64_t *t = pfn_page(b, root);
		for (unsigned level = 4; level > 1; level--) {
			uint64_t *e = &t[pt_index(va, level)];
			if (!*e)
				*e = mfn_x(pfn_mfn(b, (*next_table)++)) << PAGE_SHIFT |
				     PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
			t = env_frame(_mfn((*e & PTE_ADDR_MASK) >> PAGE_SHIFT));
		}
		bool table = pfn >= root && pfn < pt_end;
		t[pt_index(va, 1)] = mfn_x(pfn_mfn(b, pfn)) << PAGE_SHIFT | PTE_P | PTE_A | (table ? 0 : PTE_RW);
	}
}

/* The initial tables: the start-of-day area from the first of them (the
 * L4, then the tables in the order the addresses need them), and an
 * INIT_P2M list from the tables after it. */
static void build_tables(const struct builder *b)
{
	const struct layout *l = &b->l;
	uint64_t next = pfn_of(l, l->pt) + 1;
	map_range(b, l->v_start, pfn_of(l, l->v_end), 0, &next);
	if (l->init_p2m) {
		next = l->p2m_pfn + l->p2m_pages;
		map_range(b, l->p2m, l->p2m_pages, l->p2m_pfn, &next);
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
	if (l->init_p2m) {
		si->first_p2m_pfn = l->p2m_pfn;
		si->nr_p2m_frames = l->p2m_pages + l->p2m_tables;
	}
	if (b->initrd_len) {
		/* libxc's: whole pages, by pfn if the kernel takes it unmapped */
		si->flags |= l->initrd ? 0 : SIF_MOD_START_PFN;
		si->mod_start = l->initrd ? l->initrd : l->initrd_pfn;
		si->mod_len = l->initrd_pages << PAGE_SHIFT;
	}
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

/* The frames hv writes by their machine address, held for the domain's
 * life (core's dom_hold_writable): its shared info page, its console and
 * xenstore rings and its grant table's frames; none can become a pagetable
 * whose entries hv would then write.  0, or core's error. */
static long hold_written(struct vcpu *v, mfn_t shared, mfn_t console, mfn_t store,
			 const mfn_t grant[GRANT_MAX_FRAMES])
{
	long rc;
	dom_shared_enter(v);
	preempt_start(v);
	rc = dom_hold_writable(v, shared);
	if (!rc)
		rc = dom_hold_writable(v, console);
	if (!rc)
		rc = dom_hold_writable(v, store);
	for (unsigned i = 0; !rc && i < GRANT_MAX_FRAMES; i++)
		rc = dom_hold_writable(v, grant[i]);
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
	uint64_t kernel_len = b->initrd_len ? b->initrd_offset : len;
	if (b->initrd_len && (b->initrd_offset == 0 || b->initrd_len > len || b->initrd_offset > len - b->initrd_len))
		return "the initrd is not inside the boot module after the kernel";
	if (b->nr_pages == 0 || b->nr_pages >= frames || b->nr_pages / PT_ENTRIES + 1 > mem_p2m_index_size)
		return "no memory size the machine can give";
	const char *why = elf_parse(b->data, kernel_len, img);
	return why ? why : plan(img, b->nr_pages, b->initrd_len, &b->l);
}

struct domain *build_domain(const struct domain_request *q, struct regs *r)
{
	struct elf_image img;
	uint64_t image = q->module, len = q->module_len, nr_pages = q->nr_pages;
	unsigned nr_vcpus = q->nr_vcpus;
	const char *cmdline = q->cmdline;
	struct builder b = { .img = &img, .data = maddr_virt(image), .nr_pages = nr_pages,
			     .p2m_frames = mem_p2m_index, .initrd_offset = q->initrd_offset,
			     .initrd_len = q->initrd_len };
	const char *why = check_request(&b, image, len, &img);
	if (why) {
		printk("hv: guest image refused: %s\n", why);
		return NULL;
	}
	struct domain *d = domain_create(&machine, nr_vcpus);
	mfn_t shared, grant[GRANT_MAX_FRAMES];
	if (!d || !give_frames(d, &b, &shared, grant)) {
		printk("hv: not enough free memory for a guest of %lu pages\n", nr_pages);
		return NULL;
	}
	load_segments(&b);
	if (img.hypercall_page != ELF_UNSET)
		write_hypercall_page(&b, img.hypercall_page);
	build_tables(&b);
	write_start_info(&b, shared, cmdline);
	struct hv_domain *hd = &hv_domains[d - machine.domains];
	*hd = (struct hv_domain){ .shared_info = mfn_x(shared) << PAGE_SHIFT, .console_line_start = true,
				  .nr_pages = nr_pages, .max_pages = nr_pages, .grant_frames = 1 };
	memcpy(hd->grant_mfn, grant, sizeof(grant));
	d->host = hd;
	struct shared_info *sh = maddr_virt(hd->shared_info);
	memset(sh->evtchn_mask, 0xff, sizeof(sh->evtchn_mask));    /* every event masked */
	for (unsigned k = 0; k < nr_vcpus; k++) {
		d->vcpus[k].host = &hd->vcpus[k];
		hd->vcpus[k].vcpu_info = &sh->vcpu_info[k];
		hd->vcpus[k].vcpu_info->evtchn_upcall_mask = 1;
		hd->vcpus[k].runstate.state = RUNSTATE_offline;
		atomic_store(&hd->vcpus[k].on_cpu, -1);        /* on no CPU until taken (sched.c) */
		fpu_init_vcpu(&hd->vcpus[k]);
		pv_debugreg_init(&d->vcpus[k]);
	}
	hd->console_ring = mfn_x(pfn_mfn(&b, pfn_of(&b.l, b.l.console))) << PAGE_SHIFT;
	hd->console_port = evtchn_bind_backend(d, BACKEND_CONSOLE);
	struct xen_start_info *si = pfn_page(&b, pfn_of(&b.l, b.l.start_info));
	si->console.evtchn = hd->console_port;
	mfn_t store = pfn_mfn(&b, pfn_of(&b.l, b.l.store));
	if (!xenstore_init_domain(d, store)) {
		printk("hv: no room in the xenstore for d%u\n", d->domid);
		return NULL;
	}
	si->store_evtchn = hd->store_port;
	time_init_domain(d);
	struct vcpu *v = &d->vcpus[0];
	hd->vcpus[0].initialised = hd->vcpus[0].up = true;
	long rc = take_initial_root(v, pfn_mfn(&b, pfn_of(&b.l, b.l.pt)));
	if (rc) {
		printk("hv: the initial pagetables did not validate (%ld): %s\n", rc,
		       v->reason ? v->reason : "");
		return NULL;
	}
	rc = hold_written(v, shared, _mfn(hd->console_ring >> PAGE_SHIFT), store, grant);
	if (rc) {
		printk("hv: the frames hv writes could not be held (%ld): %s\n", rc, v->reason ? v->reason : "");
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

// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page tracking with real guest writes: KVM_MEM_LOG_DIRTY_PAGES with
 * KVM_GET_DIRTY_LOG, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with
 * KVM_CLEAR_DIRTY_LOG (and initially-set bitmaps), the dirty ring
 * (KVM_CAP_DIRTY_LOG_RING, its mmap, KVM_RESET_DIRTY_RINGS,
 * KVM_EXIT_DIRTY_RING_FULL), and the errnos of bad arguments.
 */
#include <sys/mman.h>

#include "lib/vm.h"

#define CODE 0x1000
#define LOGGED_GPA 0x20000 /* slot 1, after slot 0's 128 KiB */
#define LOGGED_SLOT 1
#define PAGE 4096

/* One write per KVM_RUN: the byte AL to DS:BX, DS = the host's AX... */
GUEST_CODE(g_write_one, ".code16\n"
			"1: mov %ax, %ds\n"
			"movb %cl, (%bx)\n"
			"out %al, $0x10\n"
			"jmp 1b\n");
/* ...or one byte to every page from DS = 0x2000 up to 1 MiB, then OUT. */
GUEST_CODE(g_write_all, ".code16\n"
			"mov $0x2000, %ax\n"
			"1: mov %ax, %ds\n"
			"movb $0x5a, 0\n"
			"add $0x100, %ax\n"
			"jnz 1b\n"
			"out %al, $0x10\n"
			"hlt\n");

struct logged {
	struct vm *vm;
	struct vcpu *v;
	uint8_t *mem; /* slot 1 */
	unsigned int pages;
};

static void add_logged_slot(struct logged *l, unsigned int pages, uint32_t flags)
{
	struct kvm_userspace_memory_region r = { 0 };

	l->pages = pages;
	l->mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_TRUE(l->mem != MAP_FAILED);
	r.slot = LOGGED_SLOT;
	r.flags = flags;
	r.guest_phys_addr = LOGGED_GPA;
	r.memory_size = pages * PAGE;
	r.userspace_addr = (uint64_t)(uintptr_t)l->mem;
	ASSERT_TRUE(ioctl(l->vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
}

static int enable_cap(struct vm *vm, uint32_t cap, uint64_t arg)
{
	struct kvm_enable_cap c = { .cap = cap };

	c.args[0] = arg;
	return ioctl(vm->fd, KVM_ENABLE_CAP, &c);
}

/* A VM, ring-enabled when @ring_bytes, with a logged slot of @pages. */
static struct logged setup(unsigned int pages, uint64_t manual, uint32_t ring_bytes,
			   const uint8_t *code, const uint8_t *code_end)
{
	struct logged l = { .vm = vm_with_ram(LOGGED_GPA) };

	if (manual)
		ASSERT_TRUE(enable_cap(l.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, manual) == 0);
	if (ring_bytes)
		ASSERT_TRUE(enable_cap(l.vm, KVM_CAP_DIRTY_LOG_RING, ring_bytes) == 0);
	add_logged_slot(&l, pages, KVM_MEM_LOG_DIRTY_PAGES);
	l.v = vm_add_vcpu(l.vm, 0);
	vm_load(l.vm, CODE, code, code_end);
	vcpu_real_mode(l.v, CODE);
	return l;
}

/* The guest writes @val to page @page of the logged slot. */
static void guest_write(struct logged *l, unsigned int page, uint8_t val)
{
	struct kvm_regs r;

	ASSERT_TRUE(ioctl(l->v->fd, KVM_GET_REGS, &r) == 0);
	r.rax = (LOGGED_GPA + page * PAGE) >> 4;
	r.rbx = page & 1; /* any offset in the page */
	r.rcx = val;
	ASSERT_TRUE(ioctl(l->v->fd, KVM_SET_REGS, &r) == 0);
	vcpu_run_expect(l->v, KVM_EXIT_IO);
	EXPECT_EQ(l->mem[page * PAGE + (page & 1)], val);
}

static int get_log(struct logged *l, uint64_t *bits)
{
	struct kvm_dirty_log log = { .slot = LOGGED_SLOT };

	memset(bits, 0, 16);
	log.dirty_bitmap = (uint64_t)(uintptr_t)bits;
	return ioctl(l->vm->fd, KVM_GET_DIRTY_LOG, &log);
}

static int clear_log(struct vm *vm, uint32_t slot, uint64_t first, uint32_t n, const void *bits)
{
	struct kvm_clear_dirty_log c = { .slot = slot, .num_pages = n, .first_page = first };

	c.dirty_bitmap = (uint64_t)(uintptr_t)bits;
	return ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &c);
}

static void test_caps(void)
{
	int kvm = open_kvm();
	struct vm *vm = vm_with_ram(1 << 16);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), 3);
	EXPECT_EQ(ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), 3);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING), 65536 * 16);
	EXPECT_EQ(ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_ACQ_REL), 65536 * 16);
	EXPECT_EQ(ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP), 0);
}

/* Pages 0, 5 and 66 of a 67-page slot (the bitmap ends in a partial word). */
static void test_get_dirty_log(void)
{
	struct logged l = setup(67, 0, 0, g_write_one_start, g_write_one_end);
	uint64_t bits[2];

	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0] | bits[1], 0);
	guest_write(&l, 0, 1);
	guest_write(&l, 5, 2);
	guest_write(&l, 66, 3);
	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0], (1ull << 0) | (1ull << 5));
	EXPECT_EQ(bits[1], 1ull << 2);
	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0] | bits[1], 0); /* collected and cleared */
	/* Written again after the collection: logged again. */
	guest_write(&l, 5, 4);
	guest_write(&l, 5, 5);
	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0], 1ull << 5);
	EXPECT_EQ(bits[1], 0);
}

static void test_manual_protect(void)
{
	struct logged l = setup(67, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
				0, g_write_one_start, g_write_one_end);
	uint64_t bits[2], all[2] = { ~0ull, ~0ull }, page3 = 1ull << 3;

	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0], ~0ull); /* initially set */
	EXPECT_EQ(bits[1], 7);     /* the slot's 67 pages only */
	EXPECT_EQ(clear_log(l.vm, LOGGED_SLOT, 0, 67, all), 0);
	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0] | bits[1], 0);
	guest_write(&l, 3, 1);
	guest_write(&l, 70 - 64, 1); /* page 6 */
	for (int i = 0; i < 2; i++) { /* GET does not clear */
		EXPECT_EQ(get_log(&l, bits), 0);
		EXPECT_EQ(bits[0], (1ull << 3) | (1ull << 6));
	}
	EXPECT_EQ(clear_log(l.vm, LOGGED_SLOT, 0, 64, &page3), 0);
	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0], 1ull << 6);
	/* Cleared pages are protected again: the next write is logged. */
	guest_write(&l, 3, 2);
	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0], (1ull << 3) | (1ull << 6));
}

static void test_toggle_logging(void)
{
	struct logged l = setup(16, 0, 0, g_write_one_start, g_write_one_end);
	struct kvm_userspace_memory_region r = { .slot = LOGGED_SLOT,
						 .guest_phys_addr = LOGGED_GPA,
						 .memory_size = 16 * PAGE };
	uint64_t bits[2];

	r.userspace_addr = (uint64_t)(uintptr_t)l.mem;
	guest_write(&l, 2, 1);
	ASSERT_TRUE(ioctl(l.vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0); /* logging off */
	EXPECT_ERRNO(get_log(&l, bits), ENOENT);
	guest_write(&l, 2, 2);
	guest_write(&l, 3, 2);
	r.flags = KVM_MEM_LOG_DIRTY_PAGES; /* on again: pages mapped writable before are logged */
	ASSERT_TRUE(ioctl(l.vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0], 0);
	guest_write(&l, 3, 3);
	EXPECT_EQ(get_log(&l, bits), 0);
	EXPECT_EQ(bits[0], 1ull << 3);
}

static void test_bitmap_errnos(void)
{
	struct logged l = setup(67, 0, 0, g_write_one_start, g_write_one_end);
	struct kvm_dirty_log log = { .slot = 0 };
	uint64_t bits[2] = { 0 };

	log.dirty_bitmap = (uint64_t)(uintptr_t)bits;
	EXPECT_ERRNO(ioctl(l.vm->fd, KVM_GET_DIRTY_LOG, &log), ENOENT); /* slot 0 not logged */
	log.slot = 2;
	EXPECT_ERRNO(ioctl(l.vm->fd, KVM_GET_DIRTY_LOG, &log), ENOENT); /* no slot 2 */
	log.slot = 32764;
	EXPECT_ERRNO(ioctl(l.vm->fd, KVM_GET_DIRTY_LOG, &log), EINVAL);
	log.slot = LOGGED_SLOT | (1u << 16);
	EXPECT_ERRNO(ioctl(l.vm->fd, KVM_GET_DIRTY_LOG, &log), EINVAL);
	log.slot = LOGGED_SLOT;
	log.dirty_bitmap = 8;
	EXPECT_ERRNO(ioctl(l.vm->fd, KVM_GET_DIRTY_LOG, &log), EFAULT);
	EXPECT_ERRNO(ioctl(l.vm->fd, KVM_GET_DIRTY_LOG, NULL), EFAULT);

	EXPECT_ERRNO(clear_log(l.vm, LOGGED_SLOT, 1, 64, bits), EINVAL);
	EXPECT_ERRNO(clear_log(l.vm, LOGGED_SLOT, 0, 63, bits), EINVAL);
	EXPECT_ERRNO(clear_log(l.vm, LOGGED_SLOT, 64, 4, bits), EINVAL);
	EXPECT_ERRNO(clear_log(l.vm, LOGGED_SLOT, 128, 0, bits), EINVAL);
	EXPECT_ERRNO(clear_log(l.vm, 0, 0, 64, bits), ENOENT);
	EXPECT_ERRNO(clear_log(l.vm, 32764, 0, 64, bits), EINVAL);
	EXPECT_ERRNO(clear_log(l.vm, LOGGED_SLOT, 0, 64, (void *)8), EFAULT);
	EXPECT_EQ(clear_log(l.vm, LOGGED_SLOT, 64, 3, bits), 0); /* to the end of the slot */
	EXPECT_ERRNO(ioctl(l.vm->fd, KVM_CLEAR_DIRTY_LOG, NULL), EFAULT);

	EXPECT_ERRNO(enable_cap(l.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 4), EINVAL);
	EXPECT_ERRNO(ioctl(l.vm->fd, KVM_RESET_DIRTY_RINGS, 0), EINVAL); /* no rings */
	/* Rings only before the first vCPU. */
	EXPECT_ERRNO(enable_cap(l.vm, KVM_CAP_DIRTY_LOG_RING, 4096), EINVAL);
}

static void test_ring_size_rules(void)
{
	struct vm *vm = vm_with_ram(1 << 16);

	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_DIRTY_LOG_RING, 0), EINVAL);
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_DIRTY_LOG_RING, 3 * 4096), EINVAL);
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_DIRTY_LOG_RING, 512), EINVAL);
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_DIRTY_LOG_RING, 2 << 20), E2BIG);
	EXPECT_EQ(enable_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 8192), 0);
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_DIRTY_LOG_RING, 8192), EINVAL); /* once */
}

static struct kvm_dirty_gfn *map_ring(struct logged *l, size_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	p = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, l->v->fd, page * KVM_DIRTY_LOG_PAGE_OFFSET);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, bytes, PROT_READ | PROT_EXEC, MAP_SHARED, l->v->fd,
		 page * KVM_DIRTY_LOG_PAGE_OFFSET);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, l->v->fd,
		 page * KVM_DIRTY_LOG_PAGE_OFFSET);
	ASSERT_TRUE(p != MAP_FAILED);
	return p;
}

static void test_ring(void)
{
	struct logged l = setup(16, 0, 4096, g_write_one_start, g_write_one_end);
	struct kvm_dirty_gfn *ring = map_ring(&l, 4096);
	uint64_t bits[2];

	EXPECT_ERRNO(get_log(&l, bits), ENXIO);
	EXPECT_ERRNO(clear_log(l.vm, LOGGED_SLOT, 0, 16, bits), ENXIO);
	guest_write(&l, 1, 1);
	guest_write(&l, 2, 1);
	guest_write(&l, 2, 2); /* still writable: no new entry */
	EXPECT_EQ(ring[0].flags, KVM_DIRTY_GFN_F_DIRTY);
	EXPECT_EQ(ring[0].slot, LOGGED_SLOT);
	EXPECT_EQ(ring[0].offset, 1);
	EXPECT_EQ(ring[1].offset, 2);
	EXPECT_EQ(ring[2].flags, 0);
	EXPECT_EQ(ioctl(l.vm->fd, KVM_RESET_DIRTY_RINGS, 0), 0); /* nothing harvested */
	ring[0].flags = KVM_DIRTY_GFN_F_RESET;
	ring[1].flags = KVM_DIRTY_GFN_F_RESET;
	EXPECT_EQ(ioctl(l.vm->fd, KVM_RESET_DIRTY_RINGS, 0), 2);
	EXPECT_EQ(ring[0].flags, 0);
	guest_write(&l, 2, 3); /* protected again by the reset */
	EXPECT_EQ(ring[2].flags, KVM_DIRTY_GFN_F_DIRTY);
	EXPECT_EQ(ring[2].offset, 2);
}

/*
 * A 256-entry ring and a guest that writes 224 pages in one KVM_RUN. The
 * write that found the ring full is retried after the reset protected its
 * page again, so that page may be logged twice.
 */
static void test_ring_full(void)
{
	struct logged l = setup(224, 0, 4096, g_write_all_start, g_write_all_end);
	struct kvm_dirty_gfn *ring = map_ring(&l, 4096);
	unsigned int harvested = 0, full_exits = 0, seen = 0;
	uint8_t logged[224] = { 0 };

	for (;;) {
		ASSERT_TRUE(vcpu_run(l.v) == 0);
		if (l.v->run->exit_reason == KVM_EXIT_IO)
			break;
		ASSERT_TRUE(l.v->run->exit_reason == KVM_EXIT_DIRTY_RING_FULL);
		full_exits++;
		/* Still full until harvested and reset. */
		EXPECT_EQ(vcpu_run(l.v), 0);
		EXPECT_EQ(l.v->run->exit_reason, KVM_EXIT_DIRTY_RING_FULL);
		while (ring[harvested % 256].flags == KVM_DIRTY_GFN_F_DIRTY) {
			EXPECT_EQ(ring[harvested % 256].offset, harvested);
			logged[ring[harvested % 256].offset % 224] = 1;
			ring[harvested++ % 256].flags = KVM_DIRTY_GFN_F_RESET;
		}
		EXPECT_EQ(ioctl(l.vm->fd, KVM_RESET_DIRTY_RINGS, 0), harvested);
	}
	EXPECT_EQ(full_exits, 1);
	EXPECT_EQ(harvested, 192); /* 256 entries less 64 kept in reserve */
	while (ring[harvested % 256].flags == KVM_DIRTY_GFN_F_DIRTY) {
		EXPECT_TRUE(ring[harvested % 256].offset < 224);
		logged[ring[harvested % 256].offset % 224] = 1;
		harvested++;
	}
	EXPECT_TRUE(harvested >= 224 && harvested <= 225);
	for (unsigned int i = 0; i < 224; i++)
		seen += logged[i];
	EXPECT_EQ(seen, 224);
	EXPECT_EQ(l.mem[223 * PAGE], 0x5a);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_get_dirty_log),
		TEST(test_manual_protect),
		TEST(test_toggle_logging),
		TEST(test_bitmap_errnos),
		TEST(test_ring_size_rules),
		TEST(test_ring),
		TEST(test_ring_full),
		{},
	});
}

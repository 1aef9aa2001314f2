// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO and port I/O: writes into registered zones go to the ring
 * page (mapped from every vCPU fd at KVM_COALESCED_MMIO_PAGE_OFFSET) instead
 * of exiting; a full ring, a read or an unregistered zone exits as usual.
 */
#include <sys/mman.h>

#include "lib/vm.h"

#define RING_MAX ((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / sizeof(struct kvm_coalesced_mmio))
#define MMIO_SEG 0x9000 /* DS: guest-physical 0x90000, outside the RAM slot */
#define MMIO_GPA 0x90000
#define PORT 0x80

/* EBX times: write EAX to DS:0 (MMIO, 4 bytes) and to PORT, EAX counting up. */
GUEST_CODE(writes, ".code16\n"
	   " xor %eax, %eax\n"
	   "1: movl %eax, 0\n"
	   " outl %eax, $0x80\n"
	   " inc %eax\n"
	   " cmp %ebx, %eax\n"
	   " jne 1b\n"
	   " movl 4, %ecx\n" /* an MMIO read */
	   " hlt\n");

struct setup {
	struct vm *vm;
	struct vcpu *v;
	struct kvm_coalesced_mmio_ring *ring;
};

static struct setup start(uint32_t count)
{
	struct setup s;
	struct kvm_sregs sr;
	struct kvm_regs r;

	s.vm = vm_with_ram(0x80000);
	s.v = vm_add_vcpu(s.vm, 0);
	s.ring = (void *)((uint8_t *)s.v->run + KVM_COALESCED_MMIO_PAGE_OFFSET * 4096);
	vm_load(s.vm, 0x1000, writes_start, writes_end);
	vcpu_real_mode(s.v, 0x1000);
	ASSERT_TRUE(ioctl(s.v->fd, KVM_GET_SREGS, &sr) == 0);
	sr.ds.selector = MMIO_SEG;
	sr.ds.base = MMIO_SEG << 4;
	ASSERT_TRUE(ioctl(s.v->fd, KVM_SET_SREGS, &sr) == 0);
	r = vcpu_regs(s.v);
	r.rbx = count;
	ASSERT_TRUE(ioctl(s.v->fd, KVM_SET_REGS, &r) == 0);
	return s;
}

static void zone(int vm, unsigned long cmd, uint64_t addr, uint32_t size, uint32_t pio)
{
	struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = size };

	z.pio = pio;
	ASSERT_TRUE(ioctl(vm, cmd, &z) == 0);
}

static void test_caps(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO),
		  KVM_COALESCED_MMIO_PAGE_OFFSET);
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO),
		  KVM_COALESCED_MMIO_PAGE_OFFSET);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO), 1);
	/* The ring page is part of the vCPU mmap area. */
	EXPECT_EQ(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * 4096);
	EXPECT_EQ(RING_MAX, 170);
}

static void test_bad_zones(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	struct kvm_coalesced_mmio_zone z = { .addr = 0x1000, .size = 8 };

	z.pio = 2;
	EXPECT_ERRNO(ioctl(vm, KVM_REGISTER_COALESCED_MMIO, &z), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, &z), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_REGISTER_COALESCED_MMIO, (void *)8), EFAULT);
	EXPECT_ERRNO(ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, (void *)8), EFAULT);
	/* Unregistering what is not there succeeds. */
	z.pio = 0;
	EXPECT_EQ(ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, &z), 0);
	EXPECT_EQ(ioctl(vm, KVM_REGISTER_COALESCED_MMIO, &z), 0);
	EXPECT_EQ(ioctl(vm, KVM_REGISTER_COALESCED_MMIO, &z), 0); /* again: allowed */
	/* Not a vCPU or /dev/kvm ioctl. */
	EXPECT_ERRNO(ioctl(create_vcpu(vm, 0), KVM_REGISTER_COALESCED_MMIO, &z), EINVAL);
	EXPECT_ERRNO(ioctl(kvm, KVM_REGISTER_COALESCED_MMIO, &z), EINVAL);
}

static void check_entries(struct kvm_coalesced_mmio_ring *ring, uint32_t first, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[(first + i) % RING_MAX];
		int pio = i & 1;

		if (e->pio != (uint32_t)pio || e->len != 4 ||
		    e->phys_addr != (pio ? PORT : MMIO_GPA) || *(uint32_t *)e->data != i / 2) {
			test_fail(__FILE__, __LINE__,
				  "entry %u: pio %u len %u addr 0x%llx data %u", i, e->pio, e->len,
				  (unsigned long long)e->phys_addr, *(uint32_t *)e->data);
			return;
		}
	}
}

static void test_writes_go_to_the_ring(void)
{
	struct setup s = start(10);

	zone(s.vm->fd, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA, 4, 0);
	zone(s.vm->fd, KVM_REGISTER_COALESCED_MMIO, PORT, 4, 1);
	s.ring->first = s.ring->last = 7;
	/* Twenty writes without an exit; the read exits. */
	vcpu_run_expect(s.v, KVM_EXIT_MMIO);
	EXPECT_EQ(s.v->run->mmio.is_write, 0);
	EXPECT_EQ(s.v->run->mmio.phys_addr, MMIO_GPA + 4);
	EXPECT_EQ(s.ring->first, 7);
	EXPECT_EQ(s.ring->last, 27);
	check_entries(s.ring, 7, 20);
	vcpu_run_expect(s.v, KVM_EXIT_HLT);
}

static void test_full_ring_exits(void)
{
	struct setup s = start(RING_MAX);
	uint32_t start_at = RING_MAX - 3; /* wraps around */

	zone(s.vm->fd, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA, 4, 0);
	zone(s.vm->fd, KVM_REGISTER_COALESCED_MMIO, PORT, 4, 1);
	s.ring->first = s.ring->last = start_at;
	/* One entry stays free: write RING_MAX - 1 exits with its data. */
	vcpu_run_expect(s.v, KVM_EXIT_IO);
	EXPECT_EQ(s.v->run->io.port, PORT);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(s.v), (RING_MAX - 1) / 2);
	EXPECT_EQ((s.ring->last + 1) % RING_MAX, s.ring->first);
	check_entries(s.ring, start_at, RING_MAX - 1);
	/* User space drains the ring: the guest goes on coalescing. The
	 * remaining RING_MAX writes fill it again, and the last one exits. */
	s.ring->first = s.ring->last;
	vcpu_run_expect(s.v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(s.v), RING_MAX - 1);
	EXPECT_EQ((s.ring->last + 1) % RING_MAX, s.ring->first);
	EXPECT_EQ(*(uint32_t *)s.ring->coalesced_mmio[s.ring->first].data, (RING_MAX - 1) / 2 + 1);
	s.ring->first = s.ring->last;
	vcpu_run_expect(s.v, KVM_EXIT_MMIO); /* the read at the end */
	EXPECT_EQ(s.v->run->mmio.is_write, 0);
	EXPECT_EQ(s.ring->first, s.ring->last);
}

static void test_unregister_exits_again(void)
{
	struct setup s = start(2);

	zone(s.vm->fd, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA, 8, 0);
	zone(s.vm->fd, KVM_REGISTER_COALESCED_MMIO, PORT, 1, 1); /* too small for an outl */
	zone(s.vm->fd, KVM_UNREGISTER_COALESCED_MMIO, MMIO_GPA, 4, 0); /* inside it: drops it */
	s.ring->first = s.ring->last = 0;
	vcpu_run_expect(s.v, KVM_EXIT_MMIO);
	EXPECT_EQ(s.v->run->mmio.is_write, 1);
	vcpu_run_expect(s.v, KVM_EXIT_IO);
	EXPECT_EQ(s.ring->last, 0);
}

/* Two vCPUs of a VM share one ring. */
GUEST_CODE(one_out, ".code16\n outl %eax, $0x80\n hlt\n");

static void test_ring_is_per_vm(void)
{
	struct vm *vm = vm_with_ram(0x80000);
	struct vcpu *a = vm_add_vcpu(vm, 0), *b = vm_add_vcpu(vm, 1);
	struct kvm_coalesced_mmio_ring *ra = (void *)((uint8_t *)a->run + 2 * 4096);
	struct kvm_coalesced_mmio_ring *rb = (void *)((uint8_t *)b->run + 2 * 4096);
	struct kvm_regs r;

	zone(vm->fd, KVM_REGISTER_COALESCED_MMIO, PORT, 4, 1);
	vm_load(vm, 0x1000, one_out_start, one_out_end);
	vcpu_real_mode(a, 0x1000);
	vcpu_real_mode(b, 0x1000);
	r = vcpu_regs(b);
	r.rax = 0xb;
	ASSERT_TRUE(ioctl(b->fd, KVM_SET_REGS, &r) == 0);
	vcpu_run_expect(a, KVM_EXIT_HLT);
	vcpu_run_expect(b, KVM_EXIT_HLT);
	EXPECT_EQ(ra->last, 2);
	EXPECT_EQ(rb->last, 2);
	EXPECT_EQ(*(uint32_t *)rb->coalesced_mmio[0].data, 0);
	EXPECT_EQ(*(uint32_t *)ra->coalesced_mmio[1].data, 0xb);
}

GUEST_CODE(outs, ".code16\n mov $0x3000, %si\n mov $5, %cx\n mov $0x3f8, %dx\n rep outsb\n"
	   " in %dx, %al\n hlt\n");

static void test_string_out(void)
{
	struct vm *vm = vm_with_ram(0x80000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_coalesced_mmio_ring *ring = (void *)((uint8_t *)v->run + 2 * 4096);
	int i;

	zone(vm->fd, KVM_REGISTER_COALESCED_MMIO, 0x3f8, 1, 1);
	vm_load(vm, 0x1000, outs_start, outs_end);
	memcpy(vm->mem + 0x3000, "hello", 5);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO); /* the IN: reads always exit */
	EXPECT_EQ(v->run->io.direction, KVM_EXIT_IO_IN);
	EXPECT_EQ(ring->last, 5);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(ring->coalesced_mmio[i].data[0], "hello"[i]);
		EXPECT_EQ(ring->coalesced_mmio[i].pio, 1);
		EXPECT_EQ(ring->coalesced_mmio[i].len, 1);
	}
	EXPECT_EQ(vcpu_regs(v).rsi, 0x3005);
	EXPECT_EQ(vcpu_regs(v).rcx, 0);
}

static void test_corrupt_ring_exits(void)
{
	struct setup s = start(1);

	zone(s.vm->fd, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA, 4, 0);
	s.ring->first = 0;
	s.ring->last = 100000; /* nonsense from user space: the write exits */
	vcpu_run_expect(s.v, KVM_EXIT_MMIO);
	EXPECT_EQ(s.v->run->mmio.is_write, 1);
	EXPECT_EQ(s.ring->last, 100000);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_bad_zones),
		TEST(test_writes_go_to_the_ring),
		TEST(test_full_ring_exits),
		TEST(test_unregister_exits_again),
		TEST(test_ring_is_per_vm),
		TEST(test_string_out),
		TEST(test_corrupt_ring_exits),
		{},
	});
}

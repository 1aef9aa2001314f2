// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD: guest writes to a registered port or MMIO address signal an
 * eventfd instead of exiting; length, datamatch and deassignment decide which
 * writes; bad arguments get upstream's errnos; fds close in any order.
 */
#include <poll.h>
#include <sys/eventfd.h>

#include "lib/vm.h"

#define PORT 0x80
#define MMIO_SEG 0x9000 /* DS: guest-physical 0x90000, outside the RAM slot */
#define MMIO_GPA 0x90000

static uint64_t count(int efd)
{
	uint64_t n = 0;
	struct pollfd p = { .fd = efd, .events = POLLIN };

	if (poll(&p, 1, 0) == 1)
		EXPECT_EQ(read(efd, &n, 8), 8);
	return n;
}

static int ioeventfd(int vm, uint64_t addr, uint32_t len, int fd, uint32_t flags,
		     uint64_t datamatch)
{
	struct kvm_ioeventfd a = { .datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
				   .flags = flags };

	return ioctl(vm, KVM_IOEVENTFD, &a);
}

static void test_caps(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD), 1);
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH), 1);
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_NO_LENGTH), 1);
}

static void test_bad_arguments(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	int efd = eventfd(0, 0), other = eventfd(0, 0), notev = open("/dev/null", O_RDONLY);
	uint32_t pio = KVM_IOEVENTFD_FLAG_PIO, dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	uint32_t de = KVM_IOEVENTFD_FLAG_DEASSIGN;

	ASSERT_TRUE(efd >= 0 && other >= 0 && notev >= 0);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 3, efd, pio, 0), EINVAL);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 16, efd, pio, 0), EINVAL);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, efd, 1u << 5, 0), EINVAL);
	EXPECT_ERRNO(ioeventfd(vm, ~0ull - 2, 4, efd, 0, 0), EINVAL); /* wraps */
	EXPECT_ERRNO(ioeventfd(vm, PORT, 0, efd, pio | dm, 0), EINVAL); /* no length, datamatch */
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, -1, pio, 0), EBADF);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, 1000, pio, 0), EBADF);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, notev, pio, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_IOEVENTFD, (void *)8), EFAULT);
	/* Collisions: same bus and address, unless lengths and values differ. */
	EXPECT_EQ(ioeventfd(vm, PORT, 1, efd, pio | dm, 1), 0);
	EXPECT_EQ(ioeventfd(vm, PORT, 1, other, pio | dm, 2), 0);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, other, pio | dm, 1), EEXIST);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, other, pio, 0), EEXIST);  /* wildcard */
	EXPECT_ERRNO(ioeventfd(vm, PORT, 0, other, pio, 0), EEXIST);  /* any length */
	EXPECT_EQ(ioeventfd(vm, PORT, 2, other, pio | dm, 1), 0);      /* another length */
	EXPECT_EQ(ioeventfd(vm, PORT, 1, other, 0, 0), 0);             /* the MMIO bus */
	/* Deassign needs the exact registration. */
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, efd, pio | dm | de, 2), ENOENT);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, efd, pio | de, 0), ENOENT);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, other, pio | dm | de, 1), ENOENT);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, -1, pio | dm | de, 1), EBADF);
	EXPECT_EQ(ioeventfd(vm, PORT, 1, efd, pio | dm | de, 1), 0);
	EXPECT_ERRNO(ioeventfd(vm, PORT, 1, efd, pio | dm | de, 1), ENOENT);
	/* Not a vCPU or /dev/kvm ioctl. */
	EXPECT_ERRNO(ioctl(create_vcpu(vm, 0), KVM_IOEVENTFD, (void *)8), EINVAL);
	EXPECT_ERRNO(ioctl(kvm, KVM_IOEVENTFD, (void *)8), EINVAL);
}

/* Writes AL = 1, 2, 3 to PORT, then 4 and 5 to PORT + 1 (bytes), then the
 * 32-bit EBX to DS:0 (MMIO), a 16-bit write there, and HLT. */
GUEST_CODE(writes, ".code16\n"
	   " mov $1, %al\n out %al, $0x80\n inc %al\n out %al, $0x80\n"
	   " inc %al\n out %al, $0x80\n"
	   " mov $4, %al\n out %al, $0x81\n inc %al\n out %al, $0x81\n"
	   " movl %ebx, 0\n movw %bx, 0\n hlt\n");

static struct vcpu *start(struct vm *vm)
{
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs sr;
	struct kvm_regs r;

	vm_load(vm, 0x1000, writes_start, writes_end);
	vcpu_real_mode(v, 0x1000);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &sr) == 0);
	sr.ds.selector = MMIO_SEG;
	sr.ds.base = MMIO_SEG << 4;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &sr) == 0);
	r = vcpu_regs(v);
	r.rbx = 0x12345678;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	return v;
}

static void test_writes_signal(void)
{
	struct vm *vm = vm_with_ram(0x80000);
	struct vcpu *v = start(vm);
	int port = eventfd(0, 0), match = eventfd(0, 0), mmio = eventfd(0, 0);
	uint32_t pio = KVM_IOEVENTFD_FLAG_PIO, dm = KVM_IOEVENTFD_FLAG_DATAMATCH;

	ASSERT_TRUE(ioeventfd(vm->fd, PORT, 1, port, pio, 0) == 0);
	ASSERT_TRUE(ioeventfd(vm->fd, PORT + 1, 1, match, pio | dm, 5) == 0);
	ASSERT_TRUE(ioeventfd(vm->fd, MMIO_GPA, 4, mmio, dm, 0x12345678) == 0);
	/* Three OUTs signal without an exit; the 4 does not match and exits. */
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, PORT + 1);
	EXPECT_EQ(*vcpu_io_data(v), 4);
	EXPECT_EQ(count(port), 3);
	EXPECT_EQ(count(match), 0);
	/* The 5 matches; the 32-bit MMIO write matches; the 16-bit one exits. */
	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.len, 2);
	EXPECT_EQ(v->run->mmio.is_write, 1);
	EXPECT_EQ(count(match), 1);
	EXPECT_EQ(count(mmio), 1);
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

static void test_any_length_and_deassign(void)
{
	struct vm *vm = vm_with_ram(0x80000);
	struct vcpu *v = start(vm);
	int efd = eventfd(0, 0), mmio = eventfd(0, 0);
	uint32_t pio = KVM_IOEVENTFD_FLAG_PIO, de = KVM_IOEVENTFD_FLAG_DEASSIGN;

	/* Port 0x80 assigned and removed again: its OUTs exit. */
	ASSERT_TRUE(ioeventfd(vm->fd, PORT, 1, efd, pio, 0) == 0);
	ASSERT_TRUE(ioeventfd(vm->fd, PORT, 1, efd, pio | de, 0) == 0);
	ASSERT_TRUE(ioeventfd(vm->fd, PORT + 1, 0, efd, pio, 0) == 0);
	ASSERT_TRUE(ioeventfd(vm->fd, MMIO_GPA, 0, mmio, 0, 0) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, PORT);
	vcpu_run_expect(v, KVM_EXIT_IO);
	vcpu_run_expect(v, KVM_EXIT_IO);
	/* PORT + 1 with any length, and both MMIO writes, signal. */
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(count(efd), 2);
	EXPECT_EQ(count(mmio), 2);
}

static void test_close_in_any_order(void)
{
	int round;

	for (round = 0; round < 3; round++) {
		struct vm *vm = vm_with_ram(0x80000);
		struct vcpu *v = start(vm);
		int efd = eventfd(0, 0);

		ASSERT_TRUE(ioeventfd(vm->fd, PORT, 1, efd, KVM_IOEVENTFD_FLAG_PIO, 0) == 0);
		if (round == 0)
			close(efd); /* the VM keeps the eventfd's context */
		vcpu_run_expect(v, KVM_EXIT_IO);
		EXPECT_EQ(v->run->io.port, PORT + 1);
		if (round == 1) {
			close(v->fd);
			close(vm->fd);
			EXPECT_EQ(count(efd), 3);
			close(efd);
		} else {
			close(vm->fd);
			close(v->fd);
		}
	}
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_bad_arguments),
		TEST(test_writes_signal),
		TEST(test_any_length_and_deassign),
		TEST(test_close_in_any_order),
		{},
	});
}

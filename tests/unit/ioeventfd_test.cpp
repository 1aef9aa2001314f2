// SPDX-License-Identifier: GPL-2.0
// KVM_IOEVENTFD: validation and errnos, collisions, matching writes,
// deassignment, and lifetimes with the eventfd closed in any order.
#include "vcpu_fixture.h"

namespace {

constexpr uint32_t kPio = KVM_IOEVENTFD_FLAG_PIO, kMatch = KVM_IOEVENTFD_FLAG_DATAMATCH;
constexpr uint32_t kDeassign = KVM_IOEVENTFD_FLAG_DEASSIGN;

class IoeventfdTest : public VcpuTest {
 protected:
  long assign(uint64_t addr, uint32_t len, int fd, uint32_t flags = 0, uint64_t match = 0) {
    kvm_ioeventfd a{};
    a.addr = addr;
    a.len = len;
    a.fd = fd;
    a.flags = flags;
    a.datamatch = match;
    return vm_ioctl(vm_, KVM_IOEVENTFD, ptr(&a));
  }
  // A guest write: whether the kernel took it (no exit).
  bool out(uint16_t port, unsigned len, uint64_t value) {
    return vm().pio_bus().write(vcpu(), port, len, &value);
  }
  bool mmio(uint64_t gpa, unsigned len, uint64_t value) {
    return vm().mmio_bus().write(vcpu(), gpa, len, &value);
  }
};

TEST_F(IoeventfdTest, Capabilities) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH), 1);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_NO_LENGTH), 1);
}

TEST_F(IoeventfdTest, BadArgumentsGetUpstreamErrnos) {
  int efd = fake::make_eventfd(), other = fake::make_other_fd();
  for (uint32_t len : {3u, 5u, 16u}) EXPECT_EQ(assign(0x80, len, efd, kPio), -EINVAL) << len;
  EXPECT_EQ(assign(0x80, 1, efd, 1u << 5), -EINVAL);
  EXPECT_EQ(assign(~0ull - 3, 8, efd), -EINVAL);
  EXPECT_EQ(assign(0x80, 0, efd, kPio | kMatch), -EINVAL);
  EXPECT_EQ(assign(0x80, 1, -1, kPio), -EBADF);
  EXPECT_EQ(assign(0x80, 1, 12345, kPio), -EBADF);
  EXPECT_EQ(assign(0x80, 1, other, kPio), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm_, KVM_IOEVENTFD, 8), -EFAULT);
  EXPECT_EQ(vm().ioeventfds().count(), 0u);
  EXPECT_EQ(vm().pio_bus().ranges(), 0u);
}

TEST_F(IoeventfdTest, CollisionsAndDeassign) {
  int a = fake::make_eventfd(), b = fake::make_eventfd();
  ASSERT_EQ(assign(0x80, 1, a, kPio | kMatch, 1), 0);
  EXPECT_EQ(assign(0x80, 1, b, kPio | kMatch, 2), 0);
  EXPECT_EQ(assign(0x80, 1, b, kPio | kMatch, 1), -EEXIST);
  EXPECT_EQ(assign(0x80, 1, b, kPio), -EEXIST);
  EXPECT_EQ(assign(0x80, 0, b, kPio), -EEXIST);
  EXPECT_EQ(assign(0x80, 2, b, kPio | kMatch, 1), 0);
  EXPECT_EQ(assign(0x80, 1, b), 0);  // MMIO: another bus
  EXPECT_EQ(assign(0x80, 8, b, KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY), 0);
  EXPECT_EQ(vm().ioeventfds().count(), 5u);
  EXPECT_EQ(vm().pio_bus().ranges(), 3u);
  // Deassignment matches every field of the registration.
  EXPECT_EQ(assign(0x80, 1, a, kPio | kMatch | kDeassign, 2), -ENOENT);
  EXPECT_EQ(assign(0x80, 1, a, kPio | kDeassign), -ENOENT);
  EXPECT_EQ(assign(0x80, 2, a, kPio | kMatch | kDeassign, 1), -ENOENT);
  EXPECT_EQ(assign(0x80, 1, -1, kPio | kMatch | kDeassign, 1), -EBADF);
  EXPECT_EQ(assign(0x80, 1, a, kPio | kMatch | kDeassign, 1), 0);
  EXPECT_EQ(assign(0x80, 1, a, kPio | kMatch | kDeassign, 1), -ENOENT);
  EXPECT_EQ(assign(0x80, 8, b, KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY | kDeassign), 0);
  EXPECT_EQ(vm().ioeventfds().count(), 3u);
  EXPECT_EQ(vm().pio_bus().ranges(), 2u);
}

TEST_F(IoeventfdTest, WritesThatMatchSignal) {
  int any = fake::make_eventfd(), match = fake::make_eventfd(), wild = fake::make_eventfd();
  ASSERT_EQ(assign(0x80, 0, any, kPio), 0);
  ASSERT_EQ(assign(0x81, 1, match, kPio | kMatch, 5), 0);
  ASSERT_EQ(assign(0xfe000000, 4, wild), 0);
  EXPECT_TRUE(out(0x80, 1, 0));
  EXPECT_TRUE(out(0x80, 4, 0));
  EXPECT_FALSE(out(0x7f, 2, 0));  // covers 0x80, but starts elsewhere
  EXPECT_EQ(fake::eventfd_count(any), 2u);
  EXPECT_FALSE(out(0x81, 1, 4));
  EXPECT_FALSE(out(0x81, 2, 5));
  EXPECT_TRUE(out(0x81, 1, 5));
  EXPECT_EQ(fake::eventfd_count(match), 1u);
  EXPECT_TRUE(mmio(0xfe000000, 4, 0xdeadbeef));
  EXPECT_FALSE(mmio(0xfe000000, 2, 0));
  EXPECT_FALSE(mmio(0xfe000002, 2, 0));
  EXPECT_FALSE(out(0xfe00, 4, 0));  // the port bus is another one
  EXPECT_EQ(fake::eventfd_count(wild), 1u);
}

TEST_F(IoeventfdTest, DatamatchComparesTheWrittenLength) {
  int e8 = fake::make_eventfd(), e2 = fake::make_eventfd();
  ASSERT_EQ(assign(0x1000, 8, e8, kMatch, 0x1122334455667788ull), 0);
  ASSERT_EQ(assign(0x2000, 2, e2, kMatch, 0x10000 | 0x1234), 0);  // high bits: never
  EXPECT_TRUE(mmio(0x1000, 8, 0x1122334455667788ull));
  EXPECT_FALSE(mmio(0x1000, 8, 0x1122334455667789ull));
  EXPECT_FALSE(mmio(0x2000, 2, 0x1234));
  EXPECT_EQ(fake::eventfd_count(e8), 1u);
}

TEST_F(IoeventfdTest, TheEventfdMayCloseFirst) {
  int efd = fake::make_eventfd();
  ASSERT_EQ(assign(0x80, 1, efd, kPio), 0);
  fake::close_eventfd(efd);
  EXPECT_EQ(fake::live_eventfds(), 1);  // the VM holds the context
  EXPECT_TRUE(out(0x80, 1, 0));         // signals a counter nobody reads
  fake::close_all();
  EXPECT_EQ(fake::live_eventfds(), 0);
}

TEST_F(IoeventfdTest, AllocationFailureLeavesNothing) {
  int efd = fake::make_eventfd();
  for (long n = 1; n <= 3; n++) {
    fake::fail_alloc_after(n);
    long r = assign(0x80 + n, 1, efd, kPio);
    fake::fail_alloc_after(0);
    EXPECT_EQ(r, -ENOMEM) << n;
    EXPECT_EQ(vm().ioeventfds().count(), 0u);
    EXPECT_EQ(vm().pio_bus().ranges(), 0u);
  }
  EXPECT_EQ(fake::live_eventfds(), 1);
}

}  // namespace

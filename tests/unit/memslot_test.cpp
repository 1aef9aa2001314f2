// SPDX-License-Identifier: GPL-2.0
// KVM_SET_USER_MEMORY_REGION(2) validation and the slot set.
#include <sys/mman.h>

#include <virt/kvm/memslot.hpp>

#include "core_fixture.h"

namespace {

class MemslotTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    vm_ = create_vm();
  }
  long set(uint32_t slot, uint64_t gpa, uint64_t size, uint64_t hva, uint32_t flags = 0) {
    kvm_userspace_memory_region r{slot, flags, gpa, size, hva};
    return vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, ptr(&r));
  }
  long vm_ = -1;
  static constexpr uint64_t kHva = 0x7f0000000000ULL;
};

TEST_F(MemslotTest, CapsAdvertised) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS), 32764);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE), 1);
}

TEST_F(MemslotTest, CreateMoveDelete) {
  EXPECT_EQ(set(0, 0, 0x10000, kHva), 0);
  EXPECT_EQ(set(1, 0x100000, 0x1000, kHva + 0x10000, KVM_MEM_READONLY), 0);
  EXPECT_EQ(set(0, 0x200000, 0x10000, kHva), 0);  // move
  EXPECT_EQ(set(0, 0x200000, 0x10000, kHva), 0);  // no change
  EXPECT_EQ(set(0, 0, 0, 0), 0);                  // delete
  EXPECT_EQ(set(0, 0, 0, 0), -EINVAL);            // already gone
  EXPECT_EQ(set(0, 0, 0x10000, kHva), 0);         // the id is free again
}

TEST_F(MemslotTest, Alignment) {
  EXPECT_EQ(set(0, 0x1000, 0x1001, kHva), -EINVAL);
  EXPECT_EQ(set(0, 0x1001, 0x1000, kHva), -EINVAL);
  EXPECT_EQ(set(0, 0x1000, 0x1000, kHva + 1), -EINVAL);
}

TEST_F(MemslotTest, Limits) {
  EXPECT_EQ(set(32763, 0, 0x1000, kHva), 0);
  EXPECT_EQ(set(32764, 0x1000, 0x1000, kHva), -EINVAL);
  EXPECT_EQ(set(1u << 16, 0x1000, 0x1000, kHva), -EINVAL);            // address space 1
  EXPECT_EQ(set(1, ~0ULL & ~0xfffULL, 0x2000, kHva), -EINVAL);        // gpa wraps
  EXPECT_EQ(set(1, 0x1000, 0x1000, 0xffff800000000000ULL), -EINVAL);  // kernel address
  EXPECT_EQ(set(1, 0x1000, 1ULL << 44, 0x1000), -EINVAL);             // over 2^31 - 1 pages
}

TEST_F(MemslotTest, FlagsNotImplementedAreRejected) {
  EXPECT_EQ(set(0, 0, 0x1000, kHva, KVM_MEM_GUEST_MEMFD), -EINVAL);
  EXPECT_EQ(set(0, 0, 0x1000, kHva, 1u << 8), -EINVAL);
}

TEST_F(MemslotTest, Overlap) {
  EXPECT_EQ(set(0, 0x10000, 0x10000, kHva), 0);
  EXPECT_EQ(set(1, 0x18000, 0x10000, kHva), -EEXIST);
  EXPECT_EQ(set(1, 0x8000, 0x10000, kHva), -EEXIST);
  EXPECT_EQ(set(1, 0x0, 0x40000, kHva), -EEXIST);
  EXPECT_EQ(set(1, 0x20000, 0x10000, kHva), 0);       // adjacent is fine
  EXPECT_EQ(set(1, 0x8000, 0x10000, kHva), -EEXIST);  // moving onto slot 0
}

TEST_F(MemslotTest, ModifyRules) {
  EXPECT_EQ(set(0, 0, 0x10000, kHva), 0);
  EXPECT_EQ(set(0, 0, 0x20000, kHva), -EINVAL);            // resize
  EXPECT_EQ(set(0, 0, 0x10000, kHva + 0x10000), -EINVAL);  // new backing
  EXPECT_EQ(set(0, 0, 0x10000, kHva, KVM_MEM_READONLY), -EINVAL);
}

TEST_F(MemslotTest, Region2) {
  kvm_userspace_memory_region2 r{};
  r.slot = 2;
  r.guest_phys_addr = 0x40000;
  r.memory_size = 0x1000;
  r.userspace_addr = kHva;
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION2, ptr(&r)), 0);
  // Without KVM_MEM_GUEST_MEMFD the guest_memfd fields are ignored (VMMs
  // pass -1), as upstream.
  r.slot = 3;
  r.guest_phys_addr = 0x50000;
  r.guest_memfd = ~0u;
  r.guest_memfd_offset = 0x1000;
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION2, ptr(&r)), 0);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION2, 16), -EFAULT);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, 16), -EFAULT);
}

TEST(Memslots, LookupManySlots) {
  kvmpp::Memslots slots;
  // Insert out of order; lookups find every page of every slot.
  for (unsigned i = 0; i < 200; i++) {
    unsigned id = (i * 37) % 200;
    kvm_userspace_memory_region2 r{};
    r.slot = id;
    r.guest_phys_addr = uint64_t(id) * 0x3000;
    r.memory_size = 0x2000;
    r.userspace_addr = 0x10000000 + uint64_t(id) * 0x2000;
    auto c = slots.plan(r);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(slots.apply(c.value()).ok());
  }
  for (unsigned id = 0; id < 200; id++) {
    uint64_t gfn = id * 3;
    ASSERT_NE(slots.find_gfn(gfn), nullptr);
    EXPECT_EQ(slots.find_gfn(gfn)->id, id);
    EXPECT_EQ(slots.find_gfn(gfn + 1)->id, id);
    EXPECT_EQ(slots.find_gfn(gfn + 2), nullptr);
    EXPECT_EQ(slots.find_gfn(gfn + 1)->hva(gfn + 1), 0x10000000 + uint64_t(id) * 0x2000 + 0x1000);
  }
}

}  // namespace

// SPDX-License-Identifier: GPL-2.0
// KVM_PRE_FAULT_MEMORY: argument checks, partial progress, what gets mapped.
#include <arch/x86/kvm/x86.hpp>

#include <cstdlib>

#include "core_fixture.h"

namespace {

constexpr uint64_t kPage = 4096;

class PreFaultTest : public CoreTest {
 protected:
  static constexpr uint64_t kSlotGpa = 0x100000, kSlotSize = 16 * kPage;
  void SetUp() override {
    CoreTest::SetUp();
    mem_ = static_cast<uint8_t*>(aligned_alloc(kPage, kSlotSize));
    vm_ = create_vm();
    vcpu_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    ASSERT_GE(vcpu_, 0);
    add_slot(0, kSlotGpa, kSlotSize, mem_);
  }
  void TearDown() override {
    CoreTest::TearDown();
    free(mem_);
  }
  void add_slot(uint32_t id, uint64_t gpa, uint64_t size, void* hva, uint32_t flags = 0) {
    kvm_userspace_memory_region r{id, flags, gpa, size, ptr(hva)};
    ASSERT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, ptr(&r)), 0);
  }
  long pre_fault(kvm_pre_fault_memory& r) {
    return vcpu_ioctl(vcpu_, KVM_PRE_FAULT_MEMORY, ptr(&r));
  }
  kvmpp::x86::Tdp& tdp() { return static_cast<kvmpp::Vm*>(object(vm_))->arch()->tdp; }
  uint64_t leaf(uint64_t gpa) { return tdp().lookup(gpa >> 12); }
  uint8_t* mem_ = nullptr;
  long vm_ = -1, vcpu_ = -1;
};

TEST_F(PreFaultTest, Advertised) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY), 1);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY), 1);
}

TEST_F(PreFaultTest, MapsTheWholeRange) {
  kvm_pre_fault_memory r{};
  r.gpa = kSlotGpa;
  r.size = kSlotSize;
  EXPECT_EQ(pre_fault(r), 0);
  EXPECT_EQ(r.gpa, kSlotGpa + kSlotSize);
  EXPECT_EQ(r.size, 0u);
  for (uint64_t off = 0; off < kSlotSize; off += kPage) {
    uint64_t e = leaf(kSlotGpa + off);
    EXPECT_EQ(e & ~0xfffull, ptr(mem_ + off)) << off;
    EXPECT_TRUE(e & 2) << "mapped writable: the VMM's page is already writable";
  }
  EXPECT_EQ(tdp().leaves_4k(), kSlotSize / kPage);
  // Again: nothing new, still success.
  r.gpa = kSlotGpa;
  r.size = kPage;
  EXPECT_EQ(pre_fault(r), 0);
  EXPECT_EQ(tdp().leaves_4k(), kSlotSize / kPage);
}

TEST_F(PreFaultTest, BreaksNoCopyOnWrite) {
  fake::set_fast_pages(false);  // nothing mapped writable in the VMM yet
  kvm_pre_fault_memory r{};
  r.gpa = kSlotGpa;
  r.size = kPage;
  EXPECT_EQ(pre_fault(r), 0);
  uint64_t e = leaf(kSlotGpa);
  EXPECT_TRUE(e & 1);
  EXPECT_FALSE(e & 2) << "a read mapping";
}

TEST_F(PreFaultTest, ReadOnlySlot) {
  static uint8_t rom[kPage] __attribute__((aligned(4096)));
  add_slot(1, 0x200000, kPage, rom, KVM_MEM_READONLY);
  kvm_pre_fault_memory r{};
  r.gpa = 0x200000;
  r.size = kPage;
  EXPECT_EQ(pre_fault(r), 0);
  EXPECT_EQ(r.size, 0u);
  EXPECT_EQ(leaf(0x200000) & 3, 1u);
}

TEST_F(PreFaultTest, PartialProgressThenEnoent) {
  kvm_pre_fault_memory r{};
  r.gpa = kSlotGpa + kSlotSize - kPage;
  r.size = 3 * kPage;
  EXPECT_EQ(pre_fault(r), 0);  // one page done: success
  EXPECT_EQ(r.gpa, kSlotGpa + kSlotSize);
  EXPECT_EQ(r.size, 2 * kPage);
  EXPECT_EQ(pre_fault(r), -ENOENT);  // nothing done: the error, range unchanged
  EXPECT_EQ(r.gpa, kSlotGpa + kSlotSize);
  EXPECT_EQ(r.size, 2 * kPage);
}

TEST_F(PreFaultTest, NoSlot) {
  kvm_pre_fault_memory r{};
  r.gpa = 0;
  r.size = kPage;
  EXPECT_EQ(pre_fault(r), -ENOENT);
  r.gpa = uint64_t(1) << 50;  // beyond what the tables map
  EXPECT_EQ(pre_fault(r), -ENOENT);
  EXPECT_EQ(tdp().leaves_4k(), 0u);
}

TEST_F(PreFaultTest, BadArguments) {
  kvm_pre_fault_memory r{};
  r.gpa = kSlotGpa;
  r.size = kPage;
  r.flags = 1;
  EXPECT_EQ(pre_fault(r), -EINVAL);
  r.flags = 0;
  r.gpa = kSlotGpa + 1;
  EXPECT_EQ(pre_fault(r), -EINVAL);
  r.gpa = kSlotGpa;
  r.size = 100;
  EXPECT_EQ(pre_fault(r), -EINVAL);
  r.size = 0;
  EXPECT_EQ(pre_fault(r), -EINVAL);
  r.gpa = ~0ull & ~0xfffull;
  r.size = 2 * kPage;  // wraps
  EXPECT_EQ(pre_fault(r), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(vcpu_, KVM_PRE_FAULT_MEMORY, 8), -EFAULT);
  // The padding is ignored, as upstream.
  r = {};
  r.gpa = kSlotGpa;
  r.size = kPage;
  r.padding[2] = 7;
  EXPECT_EQ(pre_fault(r), 0);
  EXPECT_EQ(tdp().leaves_4k(), 1u);
}

TEST_F(PreFaultTest, SignalBeforeAnyProgress) {
  fake::signal_after(0);
  kvm_pre_fault_memory r{};
  r.gpa = kSlotGpa;
  r.size = 4 * kPage;
  EXPECT_EQ(pre_fault(r), -EINTR);
  EXPECT_EQ(r.gpa, kSlotGpa);  // untouched
  EXPECT_EQ(r.size, 4 * kPage);
  EXPECT_EQ(tdp().leaves_4k(), 0u);
}

TEST_F(PreFaultTest, SignalAfterSomeProgress) {
  fake::signal_after(2);
  kvm_pre_fault_memory r{};
  r.gpa = kSlotGpa;
  r.size = 4 * kPage;
  EXPECT_EQ(pre_fault(r), 0);  // progress made: success, the rest left
  EXPECT_EQ(r.gpa, kSlotGpa + 2 * kPage);
  EXPECT_EQ(r.size, 2 * kPage);
  fake::signal_after(-1);
  EXPECT_EQ(pre_fault(r), 0);
  EXPECT_EQ(r.size, 0u);
}

TEST_F(PreFaultTest, BadHostAddress) {
  // A slot whose VMM memory cannot be faulted in.
  add_slot(2, 0x400000, kPage, nullptr);
  kvm_pre_fault_memory r{};
  r.gpa = 0x400000;
  r.size = kPage;
  EXPECT_EQ(pre_fault(r), -EFAULT);
  EXPECT_EQ(r.size, kPage);
}

TEST_F(PreFaultTest, StatsFollowMappings) {
  kvm_pre_fault_memory r{};
  r.gpa = kSlotGpa;
  r.size = 4 * kPage;
  EXPECT_EQ(pre_fault(r), 0);
  auto* vm = static_cast<kvmpp::Vm*>(object(vm_));
  kvmpp::arch::sample_vm_stats(*vm);
  EXPECT_EQ(vm->stats().get(kvmpp::arch::kVmStatPages4k), 4u);
  EXPECT_EQ(vm->stats().get(kvmpp::arch::kVmStatPages2m), 0u);
  // Deleting the slot zaps the mappings.
  kvm_userspace_memory_region del{0, 0, kSlotGpa, 0, ptr(mem_)};
  ASSERT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, ptr(&del)), 0);
  kvmpp::arch::sample_vm_stats(*vm);
  EXPECT_EQ(vm->stats().get(kvmpp::arch::kVmStatPages4k), 0u);
  EXPECT_EQ(vm->stats().get(kvmpp::kVmStatRemoteTlbFlush), 1u);
  // Pre-faults are not guest page faults.
  auto* vcpu = static_cast<kvmpp::Vcpu*>(object(vcpu_));
  EXPECT_EQ(vcpu->arch().stats.get(kvmpp::arch::kVcpuStatPfTaken), 0u);
}

}  // namespace

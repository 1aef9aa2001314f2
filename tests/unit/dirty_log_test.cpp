// SPDX-License-Identifier: GPL-2.0
// Dirty logging: the bitmap (KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, manual
// protection, initially-set), the dirty ring (KVM_CAP_DIRTY_LOG_RING,
// KVM_RESET_DIRTY_RINGS, KVM_EXIT_DIRTY_RING_FULL), what the nested page
// tables map for logged slots, and the errnos.
#include <arch/x86/kvm/mmu/mmu.hpp>
#include <arch/x86/kvm/x86.hpp>
#include <virt/kvm/dirty_ring.hpp>

#include <cstdlib>
#include <vector>

#include "core_fixture.h"
#include "scripted_backend.h"

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kRw = 2;  // the writable bit of an NPT leaf

class DirtyLogTest : public CoreTest {
 protected:
  // Slot 1 is logged: 130 pages, so its bitmap ends in a partial word.
  static constexpr uint64_t kGpa = 0x100000, kPages = 130;
  static constexpr uint32_t kSlot = 1;
  void SetUp() override {
    CoreTest::SetUp();
    kvm_core_clear_backend(&fake_backend::kOps);
    ASSERT_EQ(kvm_core_set_backend(&scripted::kOps), 0);
    scripted::exits.clear();
    mem_ = static_cast<uint8_t*>(aligned_alloc(kPage, kPages * kPage));
    memset(mem_, 0, kPages * kPage);
    vm_ = create_vm();
  }
  void TearDown() override {
    kvm_core_clear_backend(&scripted::kOps);
    ASSERT_EQ(kvm_core_set_backend(&fake_backend::kOps), 0);
    CoreTest::TearDown();
    free(mem_);
  }
  long set_slot(uint32_t flags, uint64_t pages = kPages) {
    kvm_userspace_memory_region r{kSlot, flags, kGpa, pages * kPage, ptr(mem_)};
    return vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, ptr(&r));
  }
  // With slot 0: 64 KiB of HLT at guest-physical 0, where the vCPU runs
  // (the run loop reads the instruction at an HLT exit).
  void add_vcpu() {
    code_ = add_guest_ram(vm_, 0x10000);
    memset(code_, 0xf4, 0x10000);
    vcpu_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    ASSERT_GE(vcpu_, 0);
    vcpu().arch().regs.seg[X86_CS].base = 0;
    vcpu().arch().regs.rip = 0x1000;
  }
  long enable(uint32_t cap, uint64_t arg) {
    kvm_enable_cap c{};
    c.cap = cap;
    c.args[0] = arg;
    return vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&c));
  }
  // A nested page fault on page @page of the logged slot, then HLT.
  long fault(uint64_t page, bool write) {
    scripted::exits = {tdp_exit(kGpa + page * kPage, write), simple_exit(X86_EXIT_HLT)};
    return vcpu_ioctl(vcpu_, KVM_RUN);
  }
  long get_log(std::vector<uint64_t>& bits, uint32_t slot = kSlot) {
    bits.assign(3, 0);
    kvm_dirty_log log{};
    log.slot = slot;
    log.dirty_bitmap = ptr(bits.data());
    return vm_ioctl(vm_, KVM_GET_DIRTY_LOG, ptr(&log));
  }
  long clear_log(uint64_t first, uint32_t num, const uint64_t* bits, uint32_t slot = kSlot) {
    kvm_clear_dirty_log c{};
    c.slot = slot;
    c.first_page = first;
    c.num_pages = num;
    c.dirty_bitmap = ptr(bits);
    return vm_ioctl(vm_, KVM_CLEAR_DIRTY_LOG, ptr(&c));
  }
  uint64_t leaf(uint64_t page) { return vm().arch()->tdp.lookup((kGpa >> 12) + page); }
  kvmpp::Vm& vm() { return *static_cast<kvmpp::Vm*>(object(vm_)); }
  kvmpp::Vcpu& vcpu() { return *static_cast<kvmpp::Vcpu*>(object(vcpu_)); }
  kvm_run* run() { return vcpu().run(); }

  uint8_t* mem_ = nullptr;
  uint8_t* code_ = nullptr;
  long vm_ = -1, vcpu_ = -1;
};

TEST_F(DirtyLogTest, Advertised) {
  for (long fd : {-1L, vm_}) {
    auto check = [&](long cap) {
      return fd < 0 ? dev(KVM_CHECK_EXTENSION, cap) : vm_ioctl(fd, KVM_CHECK_EXTENSION, cap);
    };
    EXPECT_EQ(check(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), 3);
    EXPECT_EQ(check(KVM_CAP_DIRTY_LOG_RING), 65536 * 16);
    EXPECT_EQ(check(KVM_CAP_DIRTY_LOG_RING_ACQ_REL), 65536 * 16);
    EXPECT_EQ(check(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP), 0);
  }
}

TEST_F(DirtyLogTest, WriteFaultIsLoggedAndCollectingProtects) {
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  add_vcpu();
  ASSERT_EQ(fault(3, false), 0);
  EXPECT_TRUE(leaf(3) & 1);
  EXPECT_FALSE(leaf(3) & kRw) << "a read maps a logged page read-only";
  ASSERT_EQ(fault(129, true), 0);
  EXPECT_TRUE(leaf(129) & kRw);
  std::vector<uint64_t> bits;
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[0], 0u);
  EXPECT_EQ(bits[2], uint64_t(1) << 1);  // page 129
  EXPECT_FALSE(leaf(129) & kRw) << "collected: the next write faults";
  EXPECT_TRUE(leaf(129) & 1);
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[2], 0u) << "cleared by the previous collection";
  // The write after collection is logged again.
  ASSERT_EQ(fault(129, true), 0);
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[2], uint64_t(1) << 1);
}

TEST_F(DirtyLogTest, KernelWritesAreLogged) {
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  add_vcpu();
  uint32_t v = 0x12345678;
  // Across a page boundary: both pages.
  ASSERT_TRUE(kvmpp::x86::write_gpa(vcpu(), kGpa + 65 * kPage - 2, &v, sizeof(v)).ok());
  std::vector<uint64_t> bits;
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[1], uint64_t(3));  // pages 64 and 65
  EXPECT_EQ(memcmp(mem_ + 65 * kPage - 2, &v, sizeof(v)), 0);
}

TEST_F(DirtyLogTest, UnloggedSlotIsMappedWritableOnRead) {
  ASSERT_EQ(set_slot(0), 0);
  add_vcpu();
  ASSERT_EQ(fault(3, false), 0);
  EXPECT_TRUE(leaf(3) & kRw);
  std::vector<uint64_t> bits;
  EXPECT_EQ(get_log(bits), -ENOENT);
}

TEST_F(DirtyLogTest, TurningLoggingOnAndOff) {
  ASSERT_EQ(set_slot(0), 0);
  add_vcpu();
  ASSERT_EQ(fault(5, true), 0);
  EXPECT_TRUE(leaf(5) & kRw);
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  EXPECT_EQ(leaf(5), 0u) << "remapped on the next access, read-only for a read";
  std::vector<uint64_t> bits;
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[0], 0u);
  ASSERT_EQ(fault(5, true), 0);
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);  // no change keeps the bits
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[0], uint64_t(1) << 5);
  ASSERT_EQ(set_slot(0), 0);
  EXPECT_EQ(get_log(bits), -ENOENT);
  // Deleting a logged slot frees its bitmap (the fixture checks for leaks).
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  ASSERT_EQ(set_slot(0, 0), 0);
}

TEST_F(DirtyLogTest, ManualProtectAndClear) {
  ASSERT_EQ(enable(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 4), -EINVAL);
  ASSERT_EQ(enable(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE), 0);
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  add_vcpu();
  ASSERT_EQ(fault(1, true), 0);
  ASSERT_EQ(fault(2, true), 0);
  std::vector<uint64_t> bits;
  for (int i = 0; i < 2; i++) {  // GET only reads
    ASSERT_EQ(get_log(bits), 0);
    EXPECT_EQ(bits[0], uint64_t(6));
    EXPECT_TRUE(leaf(1) & kRw);
  }
  uint64_t clear[3] = {uint64_t(1) << 1, 0, 0};  // page 1 only
  ASSERT_EQ(clear_log(0, 64, clear), 0);
  EXPECT_FALSE(leaf(1) & kRw);
  EXPECT_TRUE(leaf(2) & kRw);
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[0], uint64_t(4));
  // To the end of the slot, 66 pages from 64: bits past the slot are ignored.
  ASSERT_EQ(fault(128, true), 0);
  uint64_t tail[2] = {~uint64_t(0), ~uint64_t(0)};
  ASSERT_EQ(clear_log(64, 66, tail), 0);
  EXPECT_FALSE(leaf(128) & kRw);
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[2], 0u);
  EXPECT_EQ(bits[0], uint64_t(4));
}

TEST_F(DirtyLogTest, InitiallySet) {
  ASSERT_EQ(enable(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 3), 0);
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  std::vector<uint64_t> bits;
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[0], ~uint64_t(0));
  EXPECT_EQ(bits[1], ~uint64_t(0));
  EXPECT_EQ(bits[2], uint64_t(3)) << "no bits past the slot's 130 pages";
  uint64_t all[3] = {~uint64_t(0), ~uint64_t(0), ~uint64_t(0)};
  ASSERT_EQ(clear_log(0, kPages, all), 0);
  ASSERT_EQ(get_log(bits), 0);
  EXPECT_EQ(bits[0] | bits[1] | bits[2], 0u);
}

TEST_F(DirtyLogTest, Errnos) {
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  std::vector<uint64_t> bits;
  EXPECT_EQ(get_log(bits, 0), -ENOENT);         // no such slot
  EXPECT_EQ(get_log(bits, 32764), -EINVAL);     // beyond the slot ids
  EXPECT_EQ(get_log(bits, 1u << 16), -EINVAL);  // address space 1
  kvm_dirty_log bad{};
  bad.slot = kSlot;
  bad.dirty_bitmap = 0x10;
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_DIRTY_LOG, ptr(&bad)), -EFAULT);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_DIRTY_LOG, 0x10), -EFAULT);
  uint64_t b[3] = {};
  EXPECT_EQ(clear_log(1, 63, b), -EINVAL);   // first page not a multiple of 64
  EXPECT_EQ(clear_log(0, 63, b), -EINVAL);   // short of the end, not whole words
  EXPECT_EQ(clear_log(64, 67, b), -EINVAL);  // past the end
  EXPECT_EQ(clear_log(192, 0, b), -EINVAL);  // starts past the end
  EXPECT_EQ(clear_log(0, 64, b, 0), -ENOENT);
  EXPECT_EQ(clear_log(0, 64, b, 32764), -EINVAL);
  EXPECT_EQ(clear_log(0, 64, reinterpret_cast<const uint64_t*>(0x10)), -EFAULT);
  EXPECT_EQ(clear_log(128, 0, b), 0);  // nothing, at the end
  EXPECT_EQ(vm_ioctl(vm_, KVM_RESET_DIRTY_RINGS), -EINVAL) << "no rings";
  // Flags that do not exist, with logging.
  EXPECT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES | (1u << 8)), -EINVAL);
}

TEST_F(DirtyLogTest, RingSizeRules) {
  EXPECT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 0), -EINVAL);
  EXPECT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 3 * 4096), -EINVAL);  // not a power of two
  EXPECT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 2048), -EINVAL);      // below a page
  EXPECT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 2 << 20), -E2BIG);
  EXPECT_EQ(enable(KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 4096), 0);
  EXPECT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 8192), -EINVAL) << "once only";
  add_vcpu();
  EXPECT_EQ(vcpu().dirty_ring()->size(), 256u);
}

TEST_F(DirtyLogTest, RingAfterVcpusIsRefused) {
  add_vcpu();
  EXPECT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 4096), -EINVAL);
  EXPECT_EQ(vcpu().dirty_ring(), nullptr);
}

TEST_F(DirtyLogTest, RingHarvestAndReset) {
  ASSERT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 4096), 0);
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  add_vcpu();
  std::vector<uint64_t> bits;
  EXPECT_EQ(get_log(bits), -ENXIO) << "rings replace the bitmap";
  uint64_t b[3] = {};
  EXPECT_EQ(clear_log(0, 64, b), -ENXIO);
  ASSERT_EQ(fault(7, true), 0);
  ASSERT_EQ(fault(9, true), 0);
  auto* gfns = static_cast<kvm_dirty_gfn*>(kvm_core_vcpu_mmap_page(object(vcpu_), 64));
  ASSERT_NE(gfns, nullptr);
  EXPECT_EQ(kvm_core_vcpu_mmap_page(object(vcpu_), 65), nullptr) << "one page of ring";
  EXPECT_EQ(gfns[0].flags, KVM_DIRTY_GFN_F_DIRTY);
  EXPECT_EQ(gfns[0].slot, kSlot);
  EXPECT_EQ(gfns[0].offset, 7u);
  EXPECT_EQ(gfns[1].offset, 9u);
  EXPECT_EQ(gfns[2].flags, 0u);
  // Nothing harvested: nothing reset.
  EXPECT_EQ(vm_ioctl(vm_, KVM_RESET_DIRTY_RINGS), 0);
  EXPECT_TRUE(leaf(7) & kRw);
  gfns[0].flags = KVM_DIRTY_GFN_F_RESET;
  EXPECT_EQ(vm_ioctl(vm_, KVM_RESET_DIRTY_RINGS), 1);
  EXPECT_EQ(gfns[0].flags, 0u);
  EXPECT_FALSE(leaf(7) & kRw);
  EXPECT_TRUE(leaf(9) & kRw) << "not harvested yet";
  gfns[1].flags = KVM_DIRTY_GFN_F_RESET | KVM_DIRTY_GFN_F_DIRTY;  // bit 0 is ignored
  EXPECT_EQ(vm_ioctl(vm_, KVM_RESET_DIRTY_RINGS), 1);
  EXPECT_FALSE(leaf(9) & kRw);
  EXPECT_EQ(vcpu().dirty_ring()->used(), 0u);
}

TEST_F(DirtyLogTest, RingFullStopsTheVcpu) {
  ASSERT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 4096), 0);  // 256 entries, 64 reserved
  ASSERT_EQ(set_slot(KVM_MEM_LOG_DIRTY_PAGES), 0);
  add_vcpu();
  uint8_t byte = 1;
  for (unsigned i = 0; i < 192; i++)
    ASSERT_TRUE(kvmpp::x86::write_gpa(vcpu(), kGpa + (i % kPages) * kPage, &byte, 1).ok());
  scripted::exits = {simple_exit(X86_EXIT_HLT)};
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_RUN), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DIRTY_RING_FULL));
  EXPECT_EQ(scripted::exits.size(), 1u) << "the guest did not run";
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_RUN), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DIRTY_RING_FULL)) << "until reset";
  for (unsigned i = 0; i < 192; i++) {
    auto* page = static_cast<kvm_dirty_gfn*>(kvm_core_vcpu_mmap_page(object(vcpu_), 64 + i / 256));
    page[i % 256].flags = KVM_DIRTY_GFN_F_RESET;
  }
  EXPECT_EQ(vm_ioctl(vm_, KVM_RESET_DIRTY_RINGS), 192);
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_RUN), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_HLT));
}

TEST_F(DirtyLogTest, RingMmapMustBeShared) {
  ASSERT_EQ(enable(KVM_CAP_DIRTY_LOG_RING, 8192), 0);
  add_vcpu();
  EXPECT_EQ(kvm_core_vcpu_mmap_check(object(vcpu_), 64, 2, false, false), -EINVAL);
  EXPECT_EQ(kvm_core_vcpu_mmap_check(object(vcpu_), 64, 2, true, true), -EINVAL);
  EXPECT_EQ(kvm_core_vcpu_mmap_check(object(vcpu_), 65, 1, false, false), -EINVAL);
  EXPECT_EQ(kvm_core_vcpu_mmap_check(object(vcpu_), 64, 2, true, false), 0);
  EXPECT_EQ(kvm_core_vcpu_mmap_check(object(vcpu_), 0, 3, false, false), 0) << "kvm_run";
}

TEST(DirtyRing, PushFillsThenRefuses) {
  kvmpp::DirtyRing ring;
  ASSERT_TRUE(kvmpp::DirtyRing::check_size(4096).ok());
  ASSERT_TRUE(ring.init(4096).ok());
  for (unsigned i = 0; i < 256; i++) ASSERT_TRUE(ring.push(1, i));
  EXPECT_TRUE(ring.soft_full());
  EXPECT_FALSE(ring.push(1, 256)) << "full: never overwrites an entry";
  EXPECT_EQ(ring.reset([](uint32_t, uint64_t) {}), 0u);
}

}  // namespace

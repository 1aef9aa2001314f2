// SPDX-License-Identifier: GPL-2.0
// Coalesced MMIO/PIO: zones, the ring, and the ioctls on a VM.
#include <virt/kvm/coalesced_io.hpp>
#include <virt/kvm/vm.hpp>

#include "core_fixture.h"

namespace {

using kvmpp::CoalescedIo;
constexpr unsigned kN = CoalescedIo::kRingEntries;

class CoalescedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    baseline_ = kvmg_alloc_outstanding();
    ASSERT_TRUE(io_->init().ok());
  }
  void TearDown() override {
    delete io_;
    delete mmio_bus_;
    delete pio_bus_;
    EXPECT_EQ(kvmg_alloc_outstanding(), baseline_);
  }
  kvm_coalesced_mmio_ring* ring() {
    return static_cast<kvm_coalesced_mmio_ring*>(io_->ring_page());
  }
  bool add(uint64_t addr, uint32_t size, uint32_t pio = 0) {
    kvm_coalesced_mmio_zone z{};
    z.addr = addr;
    z.size = size;
    z.pio = pio;
    return io_->add(z).ok();
  }
  void remove(uint64_t addr, uint32_t size, uint32_t pio = 0) {
    kvm_coalesced_mmio_zone z{};
    z.addr = addr;
    z.size = size;
    z.pio = pio;
    EXPECT_TRUE(io_->remove(z).ok());
  }
  bool write(bool pio, uint64_t addr, unsigned len, uint64_t value = 0) {
    return io_->write(pio, addr, len, &value);
  }
  unsigned used() { return (ring()->last + kN - ring()->first) % kN; }
  kvmpp::IoBus* mmio_bus_ = new kvmpp::IoBus;
  kvmpp::IoBus* pio_bus_ = new kvmpp::IoBus;
  CoalescedIo* io_ = new CoalescedIo(*mmio_bus_, *pio_bus_);
  long baseline_ = 0;
};

TEST_F(CoalescedTest, RingSizeAsUpstream) {
  EXPECT_EQ(kN, (4096 - 8) / 24);
  EXPECT_NE(io_->ring_page(), nullptr);
}

TEST_F(CoalescedTest, OnlyWritesInsideAZone) {
  ASSERT_TRUE(add(0x1000, 8));
  EXPECT_TRUE(write(false, 0x1000, 8, 0x1122334455667788));
  EXPECT_TRUE(write(false, 0x1004, 4, 0xaabbccdd));
  EXPECT_FALSE(write(false, 0x1006, 4));  // runs past the zone
  EXPECT_FALSE(write(false, 0xfff, 2));   // starts before it
  EXPECT_FALSE(write(false, 0x1008, 1));
  EXPECT_FALSE(write(true, 0x1000, 1));  // MMIO zones do not cover ports
  ASSERT_EQ(ring()->last, 2u);
  const kvm_coalesced_mmio& e0 = ring()->coalesced_mmio[0];
  EXPECT_EQ(e0.phys_addr, 0x1000u);
  EXPECT_EQ(e0.len, 8u);
  EXPECT_EQ(e0.pio, 0u);
  uint64_t d;
  memcpy(&d, e0.data, 8);
  EXPECT_EQ(d, 0x1122334455667788u);
  const kvm_coalesced_mmio& e1 = ring()->coalesced_mmio[1];
  memcpy(&d, e1.data, 8);
  EXPECT_EQ(d, 0xaabbccddu);  // the bytes past len are zero
  EXPECT_EQ(e1.len, 4u);
}

TEST_F(CoalescedTest, PortZones) {
  ASSERT_TRUE(add(0x80, 8, 1));
  EXPECT_TRUE(write(true, 0x84, 4, 0x12345678));
  EXPECT_FALSE(write(false, 0x84, 4));
  const kvm_coalesced_mmio& e = ring()->coalesced_mmio[0];
  EXPECT_EQ(e.phys_addr, 0x84u);
  EXPECT_EQ(e.pio, 1u);
  EXPECT_EQ(e.len, 4u);
}

TEST_F(CoalescedTest, FullRingLeavesOneEntryFree) {
  ASSERT_TRUE(add(0, 8));
  for (unsigned start : {0u, 1u, kN / 2, kN - 1}) {
    ring()->first = ring()->last = start;
    for (unsigned i = 0; i < kN - 1; i++) ASSERT_TRUE(write(false, 0, 8, i)) << start << " " << i;
    EXPECT_FALSE(write(false, 0, 8));  // full: the caller exits instead
    EXPECT_EQ((ring()->last + 1) % kN, ring()->first);
    for (unsigned i = 0; i < kN - 1; i++) {
      uint64_t d;
      memcpy(&d, ring()->coalesced_mmio[(start + i) % kN].data, 8);
      EXPECT_EQ(d, i);
    }
    // Consuming one entry makes room for one.
    ring()->first = (ring()->first + 1) % kN;
    EXPECT_TRUE(write(false, 0, 8));
    EXPECT_FALSE(write(false, 0, 8));
  }
}

TEST_F(CoalescedTest, CorruptIndicesExit) {
  ASSERT_TRUE(add(0, 8));
  ring()->last = kN;
  EXPECT_FALSE(write(false, 0, 8));
  ring()->last = 0;
  ring()->first = 0xffffffff;
  EXPECT_FALSE(write(false, 0, 8));
  ring()->first = 0;
  EXPECT_TRUE(write(false, 0, 8));
}

TEST_F(CoalescedTest, ManyElementsAllOrNothing) {
  ASSERT_TRUE(add(0x3f8, 1, 1));
  const uint8_t bytes[] = {1, 2, 3, 4, 5};
  ring()->first = ring()->last = 0;
  EXPECT_TRUE(io_->write(true, 0x3f8, 1, bytes, 5));
  EXPECT_EQ(used(), 5u);
  EXPECT_EQ(ring()->coalesced_mmio[4].data[0], 5);
  ring()->first = 7;  // room for one: 7 - 5 - 1
  EXPECT_FALSE(io_->write(true, 0x3f8, 1, bytes, 2));
  EXPECT_EQ(ring()->last, 5u);  // nothing recorded
  EXPECT_TRUE(io_->write(true, 0x3f8, 1, bytes, 1));
  EXPECT_FALSE(io_->write(true, 0x3f8, 1, bytes, kN));
  EXPECT_FALSE(io_->write(true, 0x3f8, 1, bytes, 0));
}

TEST_F(CoalescedTest, BadLengths) {
  ASSERT_TRUE(add(0, 64));
  EXPECT_FALSE(write(false, 0, 0));
  uint8_t big[16] = {};
  EXPECT_FALSE(io_->write(false, 0, 16, big));
}

TEST_F(CoalescedTest, ZoneEdges) {
  ASSERT_TRUE(add(~0ull - 7, 8));  // the last 8 bytes of the address space
  EXPECT_TRUE(write(false, ~0ull - 7, 8));
  EXPECT_TRUE(write(false, ~0ull, 1));
  EXPECT_FALSE(write(false, ~0ull - 8, 2));
  ASSERT_TRUE(add(0x5000, 0));  // an empty zone covers nothing
  EXPECT_FALSE(write(false, 0x5000, 1));
  ASSERT_TRUE(add(0x6000, 0xffffffff));
  EXPECT_TRUE(write(false, 0x6000 + 0xfffffffeull, 1));
  EXPECT_FALSE(write(false, 0x6000 + 0xfffffffeull, 2));
}

TEST_F(CoalescedTest, PioMustBeZeroOrOne) {
  EXPECT_FALSE(add(0, 8, 2));
  kvm_coalesced_mmio_zone z{};
  z.pio = 0xffffffff;
  EXPECT_EQ(io_->remove(z).error().code, kxx::Errno::kInval);
}

TEST_F(CoalescedTest, UnregisterDropsZonesContainingTheRange) {
  ASSERT_TRUE(add(0x1000, 0x100));
  ASSERT_TRUE(add(0x1000, 0x100));  // the same zone twice: both exist
  ASSERT_TRUE(add(0x1080, 0x10));   // overlapping
  ASSERT_TRUE(add(0x2000, 8));
  ASSERT_TRUE(add(0x1000, 0x100, 1));
  EXPECT_EQ(io_->zones(false), 4u);
  remove(0x1000, 0x200);  // contained in no zone: nothing
  EXPECT_EQ(io_->zones(false), 4u);
  remove(0x1080, 8);  // inside the two big ones and the small one
  EXPECT_EQ(io_->zones(false), 1u);
  EXPECT_FALSE(write(false, 0x1000, 4));
  EXPECT_TRUE(write(false, 0x2000, 4));
  EXPECT_TRUE(write(true, 0x1000, 4));  // the port zone is untouched
  remove(0x2000, 8);
  EXPECT_EQ(io_->zones(false), 0u);
  remove(0x2000, 8);            // nothing left: not an error
  ASSERT_TRUE(add(0x2000, 8));  // and the array is reused
  EXPECT_TRUE(write(false, 0x2000, 4));
}

TEST_F(CoalescedTest, ZoneLimit) {
  for (unsigned i = 0; i < CoalescedIo::kMaxZones; i++) ASSERT_TRUE(add(i * 8, 8)) << i;
  kvm_coalesced_mmio_zone z{};
  EXPECT_EQ(io_->add(z).error().code, kxx::Errno::kNoSpc);
  z.pio = 1;
  EXPECT_TRUE(io_->add(z).ok());  // port zones are counted apart
  EXPECT_TRUE(write(false, 999 * 8, 8));
}

TEST_F(CoalescedTest, OutOfMemory) {
  fake::fail_alloc_after(1);
  EXPECT_FALSE(add(0, 8));
  fake::fail_alloc_after(0);
  EXPECT_EQ(io_->zones(false), 0u);
  EXPECT_TRUE(add(0, 8));
}

// The ioctls on a VM.
using CoalescedVmTest = CoreTest;

TEST_F(CoalescedVmTest, CapsAndIoctls) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO), KVM_COALESCED_MMIO_PAGE_OFFSET);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO), 1);
  long vm = create_vm();
  kvm_coalesced_mmio_zone z{};
  z.addr = 0x100000000ull;
  z.size = 8;
  EXPECT_EQ(vm_ioctl(vm, KVM_REGISTER_COALESCED_MMIO, ptr(&z)), 0);
  z.pio = 1;
  z.addr = 0x80;
  EXPECT_EQ(vm_ioctl(vm, KVM_REGISTER_COALESCED_MMIO, ptr(&z)), 0);
  auto* v = static_cast<kvmpp::Vm*>(object(vm));
  EXPECT_EQ(v->coalesced().zones(false), 1u);
  EXPECT_EQ(v->coalesced().zones(true), 1u);
  EXPECT_EQ(vm_ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, ptr(&z)), 0);
  EXPECT_EQ(v->coalesced().zones(true), 0u);
  z.pio = 2;
  EXPECT_EQ(vm_ioctl(vm, KVM_REGISTER_COALESCED_MMIO, ptr(&z)), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, ptr(&z)), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm, KVM_REGISTER_COALESCED_MMIO, 8), -EFAULT);
  EXPECT_EQ(vm_ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, 8), -EFAULT);
}

}  // namespace

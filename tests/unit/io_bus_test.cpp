// SPDX-License-Identifier: GPL-2.0
// The in-kernel device bus: ranges, overlaps, limits, removal, allocation
// failure, and the devices the x86 layer registers on it.
#include <virt/kvm/io_bus.hpp>

#include <vector>

#include "vcpu_fixture.h"

namespace {

using kvmpp::IoBus;
using kvmpp::IoDevice;
using kvmpp::Vcpu;

// A device that records what reached it and takes what @accept allows.
class Recorder final : public IoDevice {
 public:
  explicit Recorder(int id, bool accept = true) : id_(id), accept_(accept) {}
  bool read(Vcpu&, uint64_t addr, unsigned len, void* data) override {
    log.push_back({addr, len, false});
    if (accept_) memset(data, id_, len);
    return accept_;
  }
  bool write(Vcpu&, uint64_t addr, unsigned len, const void*) override {
    log.push_back({addr, len, true});
    return accept_;
  }
  struct Access {
    uint64_t addr;
    unsigned len;
    bool write;
  };
  std::vector<Access> log;

 private:
  int id_;
  bool accept_;
};

class IoBusTest : public VcpuTest {
 protected:
  void TearDown() override {
    delete bus_;
    VcpuTest::TearDown();
  }
  bool write(uint64_t addr, unsigned len, unsigned count = 1) {
    uint8_t data[64] = {};
    return bus_->write(vcpu(), addr, len, data, count);
  }
  int read(uint64_t addr, unsigned len) {
    uint8_t data[8] = {};
    if (!bus_->read(vcpu(), addr, len, data)) return -1;
    return data[0];
  }
  IoBus* bus_ = new IoBus;
};

TEST_F(IoBusTest, AnAccessReachesTheDeviceWhoseRangeHoldsAllOfIt) {
  Recorder a(1), b(2);
  ASSERT_TRUE(bus_->add(0x1000, 0x10, &a).ok());
  ASSERT_TRUE(bus_->add(0x2000, 4, &b).ok());
  EXPECT_EQ(read(0x1000, 4), 1);
  EXPECT_EQ(read(0x100c, 4), 1);
  EXPECT_EQ(read(0x100d, 4), -1);  // runs past the end
  EXPECT_EQ(read(0xfff, 2), -1);   // starts before it
  EXPECT_EQ(read(0x2000, 4), 2);
  EXPECT_EQ(read(0x2002, 1), 2);
  EXPECT_FALSE(write(0x3000, 4));
  EXPECT_TRUE(write(0x2000, 4));
  EXPECT_EQ(b.log.size(), 3u);
  EXPECT_EQ(bus_->ranges(), 2u);
}

TEST_F(IoBusTest, OverlappingRangesAskEachDeviceUntilOneTakesIt) {
  Recorder refuses(1, false), takes(2);
  ASSERT_TRUE(bus_->add(0x1000, 8, &refuses).ok());
  ASSERT_TRUE(bus_->add(0x1000, 8, &takes).ok());
  EXPECT_EQ(read(0x1000, 8), 2);
  EXPECT_EQ(refuses.log.size(), 1u);
  EXPECT_TRUE(bus_->remove(0x1000, 8, &takes).ok());
  EXPECT_EQ(read(0x1000, 8), -1);  // only the refusing one is left
}

TEST_F(IoBusTest, ALongRangeFarBelowStillClaims) {
  Recorder big(1), small(2);
  ASSERT_TRUE(bus_->add(0, 1 << 20, &big).ok());
  for (uint64_t i = 1; i < 50; i++) ASSERT_TRUE(bus_->add(i * 0x1000, 4, &small).ok());
  EXPECT_EQ(read(0x10000, 4), 2);
  EXPECT_EQ(read(0x10008, 4), 1);  // between small ranges: the big one
  EXPECT_EQ(read(0xfffff, 1), 1);
  EXPECT_EQ(read(0x100000, 1), -1);
}

TEST_F(IoBusTest, LengthZeroClaimsAnyLengthAtItsAddress) {
  Recorder any(1);
  ASSERT_TRUE(bus_->add(0x80, 0, &any, false).ok());
  EXPECT_EQ(read(0x80, 1), 1);
  EXPECT_EQ(read(0x80, 8), 1);
  EXPECT_EQ(read(0x81, 1), -1);
  EXPECT_EQ(read(0x7f, 2), -1);
}

TEST_F(IoBusTest, CountedRangesAreLimitedUncountedAreNot) {
  Recorder d(1);
  for (unsigned i = 0; i < IoBus::kMaxRanges; i++) ASSERT_TRUE(bus_->add(i * 8, 8, &d).ok());
  EXPECT_EQ(bus_->add(0x100000, 8, &d).error().code, kxx::Errno::kNoSpc);
  EXPECT_TRUE(bus_->add(0x100000, 8, &d, false).ok());  // an ioeventfd
  EXPECT_TRUE(bus_->remove(0, 8, &d).ok());
  EXPECT_TRUE(bus_->add(0x200000, 8, &d).ok());
}

TEST_F(IoBusTest, RemoveNeedsTheExactRangeAndDropsOneCopy) {
  Recorder d(1), other(2);
  ASSERT_TRUE(bus_->add(0x10, 4, &d).ok());
  ASSERT_TRUE(bus_->add(0x10, 4, &d).ok());
  EXPECT_EQ(bus_->remove(0x10, 2, &d).error().code, kxx::Errno::kNoEnt);
  EXPECT_EQ(bus_->remove(0x10, 4, &other).error().code, kxx::Errno::kNoEnt);
  EXPECT_TRUE(bus_->remove(0x10, 4, &d).ok());
  EXPECT_EQ(bus_->ranges(), 1u);
  EXPECT_EQ(read(0x10, 4), 1);
  bus_->remove_all(&d);
  EXPECT_EQ(bus_->ranges(), 0u);
  EXPECT_EQ(read(0x10, 4), -1);
  EXPECT_EQ(bus_->remove(0x10, 4, &d).error().code, kxx::Errno::kNoEnt);
}

TEST_F(IoBusTest, AddFailsCleanlyWithoutMemory) {
  Recorder d(1);
  ASSERT_TRUE(bus_->add(0x10, 4, &d).ok());
  for (long n = 1; n <= 2; n++) {
    fake::fail_alloc_after(n);
    EXPECT_EQ(bus_->add(0x20, 4, &d).error().code, kxx::Errno::kNoMem);
    fake::fail_alloc_after(0);
    EXPECT_EQ(bus_->ranges(), 1u);
    EXPECT_EQ(read(0x10, 4), 1);
  }
}

TEST_F(IoBusTest, RemoveWorksWithoutMemory) {
  Recorder a(1), b(2);
  ASSERT_TRUE(bus_->add(0x10, 4, &a).ok());
  ASSERT_TRUE(bus_->add(0x20, 4, &b).ok());
  fake::fail_alloc_after(1);
  EXPECT_TRUE(bus_->remove(0x10, 4, &a).ok());
  fake::fail_alloc_after(0);
  EXPECT_EQ(read(0x10, 4), -1);
  EXPECT_EQ(read(0x20, 4), 2);
  EXPECT_EQ(bus_->ranges(), 1u);
}

TEST_F(IoBusTest, StringAccessesGoElementByElementByDefault) {
  Recorder d(7);
  ASSERT_TRUE(bus_->add(0x60, 1, &d).ok());
  EXPECT_TRUE(write(0x60, 1, 5));
  EXPECT_EQ(d.log.size(), 5u);
  uint8_t data[4] = {};
  EXPECT_TRUE(bus_->read(vcpu(), 0x60, 1, data, 4));
  EXPECT_EQ(data[3], 7);
}

// The VM's own buses: the in-kernel irqchip's devices and coalesced zones.
TEST_F(IoBusTest, IrqchipRegistersThePicTheIoapicAndTheXapicPage) {
  long vm = create_vm();
  auto& v = *static_cast<kvmpp::Vm*>(object(vm));
  EXPECT_EQ(v.pio_bus().ranges(), 0u);
  ASSERT_EQ(vm_ioctl(vm, KVM_CREATE_IRQCHIP), 0);
  EXPECT_EQ(v.pio_bus().ranges(), 3u);   // 0x20, 0xa0, 0x4d0
  EXPECT_EQ(v.mmio_bus().ranges(), 1u);  // the I/O APIC
  long c0 = vm_ioctl(vm, KVM_CREATE_VCPU, 0);
  long c1 = vm_ioctl(vm, KVM_CREATE_VCPU, 1);
  ASSERT_GE(c0, 0);
  ASSERT_GE(c1, 0);
  EXPECT_EQ(v.mmio_bus().ranges(), 2u);  // one shared xAPIC window
  // Moving one APIC adds a window; moving it back drops it again.
  alignas(8) uint8_t buf[sizeof(kvm_msrs) + sizeof(kvm_msr_entry)] = {};
  auto* m = reinterpret_cast<kvm_msrs*>(buf);
  m->nmsrs = 1;
  m->entries[0].index = 0x1b;  // IA32_APIC_BASE
  m->entries[0].data = 0xfed00000 | (1u << 11);
  EXPECT_EQ(vcpu_ioctl(c1, KVM_SET_MSRS, ptr(m)), 1);
  EXPECT_EQ(v.mmio_bus().ranges(), 3u);
  m->entries[0].data = 0xfee00000 | (1u << 11);
  EXPECT_EQ(vcpu_ioctl(c1, KVM_SET_MSRS, ptr(m)), 1);
  EXPECT_EQ(v.mmio_bus().ranges(), 2u);
}

TEST_F(IoBusTest, IrqchipCreationFailsWholeWithoutMemory) {
  for (long n = 1; n <= 12; n++) {
    long vm = create_vm();
    auto& v = *static_cast<kvmpp::Vm*>(object(vm));
    fake::fail_alloc_after(n);
    long r = vm_ioctl(vm, KVM_CREATE_IRQCHIP);
    fake::fail_alloc_after(0);
    if (r == 0) break;
    EXPECT_EQ(r, -ENOMEM) << n;
    EXPECT_EQ(v.pio_bus().ranges(), 0u) << n;
    EXPECT_EQ(v.mmio_bus().ranges(), 0u) << n;
    EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_IRQCHIP), 0) << n;
  }
}

}  // namespace

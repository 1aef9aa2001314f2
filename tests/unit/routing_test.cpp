// SPDX-License-Identifier: GPL-2.0
// The GSI routing table and MSI decoding (irq/routing.hpp), and
// KVM_SET_GSI_ROUTING / KVM_SIGNAL_MSI through a VM.
#include <arch/x86/kvm/irq/routing.hpp>

#include <vector>

#include "core_fixture.h"

namespace {

using kvmpp::x86::decode_msi;
using kvmpp::x86::RoutingTable;

kvm_irq_routing_entry chip(uint32_t gsi, uint32_t c, uint32_t pin) {
  kvm_irq_routing_entry e{};
  e.gsi = gsi;
  e.type = KVM_IRQ_ROUTING_IRQCHIP;
  e.u.irqchip.irqchip = c;
  e.u.irqchip.pin = pin;
  return e;
}

kvm_irq_routing_entry msi(uint32_t gsi, uint32_t lo, uint32_t hi, uint32_t data) {
  kvm_irq_routing_entry e{};
  e.gsi = gsi;
  e.type = KVM_IRQ_ROUTING_MSI;
  e.u.msi.address_lo = lo;
  e.u.msi.address_hi = hi;
  e.u.msi.data = data;
  return e;
}

kxx::Errno build_error(std::vector<kvm_irq_routing_entry> v, RoutingTable::Policy p = {}) {
  auto r = RoutingTable::create(v.data(), unsigned(v.size()), p);
  if (r.ok()) {
    delete r.value();
    return kxx::Errno(0);
  }
  return r.error().code;
}

class RoutingTest : public CoreTest {};

TEST_F(RoutingTest, DefaultTable) {
  auto t = RoutingTable::create_default();
  ASSERT_TRUE(t.ok());
  unsigned n;
  const kvmpp::x86::Route* r = t.value()->routes(3, &n);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(r[0].chip, uint32_t(KVM_IRQCHIP_PIC_MASTER));
  EXPECT_EQ(r[1].chip, uint32_t(KVM_IRQCHIP_IOAPIC));
  r = t.value()->routes(10, &n);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(r[0].chip, uint32_t(KVM_IRQCHIP_PIC_SLAVE));
  EXPECT_EQ(r[0].pin, 2u);
  r = t.value()->routes(20, &n);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(r[0].pin, 20u);
  t.value()->routes(24, &n);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(t.value()->gsi_of(KVM_IRQCHIP_IOAPIC, 9), 9);
  EXPECT_EQ(t.value()->gsi_of(KVM_IRQCHIP_PIC_SLAVE, 7), 15);
  EXPECT_EQ(t.value()->gsi_of(3, 0), -1);
  EXPECT_EQ(t.value()->size(), 40u);
  delete t.value();
}

TEST_F(RoutingTest, Validation) {
  using E = kxx::Errno;
  EXPECT_EQ(build_error({}), E(0));
  EXPECT_EQ(build_error({chip(KVM_MAX_IRQ_ROUTES, 2, 0)}), E::kInval);
  EXPECT_EQ(build_error({chip(1, 0, 8)}), E::kInval);
  EXPECT_EQ(build_error({chip(1, 1, 8)}), E::kInval);
  EXPECT_EQ(build_error({chip(1, 2, 24)}), E::kInval);
  EXPECT_EQ(build_error({chip(1, 3, 0)}), E::kInval);
  auto flagged = chip(1, 2, 1);
  flagged.flags = KVM_MSI_VALID_DEVID;
  EXPECT_EQ(build_error({flagged}), E::kInval);
  auto m = msi(1, 0xfee00000, 0, 0x30);
  m.flags = KVM_MSI_VALID_DEVID;
  EXPECT_EQ(build_error({m}), E(0));
  m.flags = 2;
  EXPECT_EQ(build_error({m}), E::kInval);
  auto other = chip(1, 2, 1);
  other.type = KVM_IRQ_ROUTING_HV_SINT;
  EXPECT_EQ(build_error({other}), E::kInval);
  EXPECT_EQ(build_error({chip(5, 2, 5), chip(5, 2, 6)}), E::kInval);
  EXPECT_EQ(build_error({chip(5, 2, 5), msi(5, 0xfee00000, 0, 0)}), E::kInval);
  EXPECT_EQ(build_error({msi(5, 0xfee00000, 0, 0), chip(5, 2, 5)}), E::kInval);
  EXPECT_EQ(build_error({msi(5, 0xfee00000, 0, 0), msi(5, 0xfee00000, 0, 1)}), E::kInval);
  EXPECT_EQ(build_error({chip(5, 0, 5), chip(5, 2, 5)}), E(0));
  // A split irqchip has no PIC or I/O APIC to route to.
  EXPECT_EQ(build_error({chip(5, 2, 5)}, {true, false}), E::kInval);
  EXPECT_EQ(build_error({msi(5, 0xfee00000, 0, 0)}, {true, false}), E(0));
  // 32-bit x2APIC IDs: address_hi bits 7:0 must be zero.
  EXPECT_EQ(build_error({msi(5, 0xfee00000, 1, 0)}), E(0));
  EXPECT_EQ(build_error({msi(5, 0xfee00000, 1, 0)}, {false, true}), E::kInval);
  EXPECT_EQ(build_error({msi(5, 0xfee00000, 0x100, 0)}, {false, true}), E(0));
}

TEST_F(RoutingTest, LookupsInAnyOrder) {
  std::vector<kvm_irq_routing_entry> v = {msi(900, 0xfee00000, 0, 1), chip(7, 2, 3),
                                          msi(2, 0xfee00000, 0, 2), chip(7, 0, 6)};
  auto t = RoutingTable::create(v.data(), unsigned(v.size()), {});
  ASSERT_TRUE(t.ok());
  unsigned n;
  const kvmpp::x86::Route* r = t.value()->routes(7, &n);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(r[0].chip, 2u);  // in table order
  EXPECT_EQ(r[1].chip, 0u);
  r = t.value()->routes(900, &n);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(r[0].data, 1u);
  EXPECT_EQ(t.value()->gsi_of(2, 3), 7);
  EXPECT_EQ(t.value()->gsi_of(2, 4), -1);
  delete t.value();
}

TEST_F(RoutingTest, AllocationFailures) {
  std::vector<kvm_irq_routing_entry> v = {chip(1, 2, 1)};
  for (long n = 1; n <= 2; n++) {
    fake::fail_alloc_after(n);
    auto t = RoutingTable::create(v.data(), 1, {});
    fake::fail_alloc_after(0);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, kxx::Errno::kNoMem);
  }
}

TEST_F(RoutingTest, MsiDecoding) {
  auto m = decode_msi(0xfee12000 | (1u << 2) | (1u << 3), 0xab00, 0xc000 | (4u << 8) | 0x2f, false);
  EXPECT_EQ(m.dest, 0x12u);  // address_hi ignored
  EXPECT_TRUE(m.logical);
  EXPECT_TRUE(m.redirect_hint);
  EXPECT_EQ(m.vector, 0x2f);
  EXPECT_EQ(m.delivery_mode, 4);
  EXPECT_TRUE(m.level_assert);
  EXPECT_TRUE(m.level_trigger);
  m = decode_msi(0xfee12000, 0xabcd00, 0x30, true);
  EXPECT_EQ(m.dest, 0xabcd12u);
  EXPECT_FALSE(m.logical);
  EXPECT_FALSE(m.level_trigger);
}

TEST_F(RoutingTest, SetGsiRoutingIoctl) {
  long vm = create_vm();
  alignas(8) uint8_t buf[sizeof(kvm_irq_routing) + 2 * sizeof(kvm_irq_routing_entry)] = {};
  auto& r = *reinterpret_cast<kvm_irq_routing*>(buf);
  r.nr = 1;
  r.entries[0] = msi(40, 0xfee00000, 0, 0x30);
  EXPECT_EQ(vm_ioctl(vm, KVM_SET_GSI_ROUTING, ptr(&r)), -EINVAL);  // no irqchip
  ASSERT_EQ(vm_ioctl(vm, KVM_CREATE_IRQCHIP), 0);
  EXPECT_EQ(vm_ioctl(vm, KVM_SET_GSI_ROUTING, ptr(&r)), 0);
  r.flags = 1;
  EXPECT_EQ(vm_ioctl(vm, KVM_SET_GSI_ROUTING, ptr(&r)), -EINVAL);
  r.flags = 0;
  r.nr = KVM_MAX_IRQ_ROUTES + 1;
  EXPECT_EQ(vm_ioctl(vm, KVM_SET_GSI_ROUTING, ptr(&r)), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm, KVM_SET_GSI_ROUTING, 8), -EFAULT);
  r.nr = 2;
  for (long n = 1; n <= 3; n++) {
    fake::fail_alloc_after(n);
    EXPECT_EQ(vm_ioctl(vm, KVM_SET_GSI_ROUTING, ptr(&r)), -ENOMEM) << n;
    fake::fail_alloc_after(0);
  }
  EXPECT_EQ(vm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING), KVM_MAX_IRQ_ROUTES);
  EXPECT_EQ(vm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI), 1);
  kvm_msi m{};
  m.address_lo = 0xfee00000;
  m.flags = 2;
  EXPECT_EQ(vm_ioctl(vm, KVM_SIGNAL_MSI, ptr(&m)), -EINVAL);
  m.flags = 0;
  EXPECT_EQ(vm_ioctl(vm, KVM_SIGNAL_MSI, ptr(&m)), 0);  // no vCPU: nobody took it
}

}  // namespace

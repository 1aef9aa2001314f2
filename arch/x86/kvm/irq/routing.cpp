// SPDX-License-Identifier: GPL-2.0
#include "routing.hpp"

#include <kxx/new.hpp>
#include <kxx/unique_ptr.hpp>

namespace kvmpp::x86 {

MsiMessage decode_msi(uint32_t address_lo, uint32_t address_hi, uint32_t data, bool x2apic_ids) {
  MsiMessage m;
  m.dest = (address_lo >> 12) & 0xff;
  if (x2apic_ids) m.dest |= address_hi & 0xffffff00u;
  m.logical = address_lo & (1u << 2);
  m.redirect_hint = address_lo & (1u << 3);
  m.vector = uint8_t(data);
  m.delivery_mode = uint8_t((data >> 8) & 7);
  m.level_assert = data & (1u << 14);
  m.level_trigger = data & (1u << 15);
  return m;
}

RoutingTable::~RoutingTable() { delete[] routes_; }

kxx::Status RoutingTable::add(const kvm_irq_routing_entry& e, const Policy& policy) {
  if (e.gsi >= KVM_MAX_IRQ_ROUTES) return kxx::Errno::kInval;
  uint32_t allowed_flags = e.type == KVM_IRQ_ROUTING_MSI ? KVM_MSI_VALID_DEVID : 0;
  if (e.flags & ~allowed_flags) return kxx::Errno::kInval;
  // A GSI goes to several irqchips, one pin each, or to one other target.
  for (unsigned i = 0; i < count_; i++) {
    const Route& r = routes_[i];
    if (r.gsi != e.gsi) continue;
    if (r.type != KVM_IRQ_ROUTING_IRQCHIP || e.type != KVM_IRQ_ROUTING_IRQCHIP ||
        r.chip == e.u.irqchip.irqchip)
      return kxx::Errno::kInval;
  }
  Route r{e.gsi, e.type, 0, 0, 0, 0, 0};
  switch (e.type) {
    case KVM_IRQ_ROUTING_IRQCHIP:
      if (policy.split) return kxx::Errno::kInval;
      r.chip = e.u.irqchip.irqchip;
      r.pin = e.u.irqchip.pin;
      switch (r.chip) {
        case KVM_IRQCHIP_PIC_MASTER:
        case KVM_IRQCHIP_PIC_SLAVE:
          if (r.pin >= 8) return kxx::Errno::kInval;
          break;
        case KVM_IRQCHIP_IOAPIC:
          if (r.pin >= KVM_IOAPIC_NUM_PINS) return kxx::Errno::kInval;
          break;
        default: return kxx::Errno::kInval;
      }
      chip_gsi_[r.chip][r.pin] = int(r.gsi);
      break;
    case KVM_IRQ_ROUTING_MSI:
      if (!msi_valid(e.u.msi.address_hi, policy.x2apic_ids)) return kxx::Errno::kInval;
      r.address_lo = e.u.msi.address_lo;
      r.address_hi = e.u.msi.address_hi;
      r.data = e.u.msi.data;
      break;
    // Hyper-V SynIC, Xen event channels and s390 adapters are not offered.
    default: return kxx::Errno::kInval;
  }
  // Keep the array sorted by GSI; a new route goes after its GSI's others.
  unsigned at = count_;
  while (at > 0 && routes_[at - 1].gsi > r.gsi) {
    routes_[at] = routes_[at - 1];
    at--;
  }
  routes_[at] = r;
  count_++;
  return kxx::OkStatus();
}

kxx::Result<RoutingTable*> RoutingTable::alloc(unsigned capacity) {
  kxx::UniquePtr<RoutingTable> t(new (kxx::Alloc::kSleep) RoutingTable);
  if (!t) return kxx::Errno::kNoMem;
  for (auto& chip : t->chip_gsi_)
    for (int& gsi : chip) gsi = -1;
  if (capacity) {
    t->routes_ = new (kxx::Alloc::kSleep) Route[capacity];
    if (!t->routes_) return kxx::Errno::kNoMem;
  }
  return t.release();
}

kxx::Result<RoutingTable*> RoutingTable::create(const kvm_irq_routing_entry* entries, unsigned nr,
                                                const Policy& policy) {
  kxx::UniquePtr<RoutingTable> t(TRY(alloc(nr)));
  for (unsigned i = 0; i < nr; i++) TRY_STATUS(t->add(entries[i], policy));
  return t.release();
}

kxx::Result<RoutingTable*> RoutingTable::create_default() {
  constexpr unsigned kPicGsis = 16;
  kxx::UniquePtr<RoutingTable> t(TRY(alloc(kPicGsis + KVM_IOAPIC_NUM_PINS)));
  kvm_irq_routing_entry e{};
  e.type = KVM_IRQ_ROUTING_IRQCHIP;
  for (uint32_t gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
    e.gsi = gsi;
    if (gsi < kPicGsis) {
      e.u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
      e.u.irqchip.pin = gsi & 7;
      TRY_STATUS(t->add(e, Policy{}));
    }
    e.u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
    e.u.irqchip.pin = gsi;
    TRY_STATUS(t->add(e, Policy{}));
  }
  return t.release();
}

const Route* RoutingTable::routes(uint32_t gsi, unsigned* n) const {
  unsigned lo = 0, hi = count_;
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    if (routes_[mid].gsi < gsi)
      lo = mid + 1;
    else
      hi = mid;
  }
  unsigned end = lo;
  while (end < count_ && routes_[end].gsi == gsi) end++;
  *n = end - lo;
  return routes_ + lo;
}

int RoutingTable::gsi_of(uint32_t chip, uint32_t pin) const {
  if (chip >= kChips || pin >= kChipPins) return -1;
  return chip_gsi_[chip][pin];
}

}  // namespace kvmpp::x86

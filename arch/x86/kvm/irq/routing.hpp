// SPDX-License-Identifier: GPL-2.0
// The GSI routing table (KVM_SET_GSI_ROUTING) and MSI messages. A table is
// immutable once built: the VM publishes a new one and frees the old after
// its readers are gone (irq/irqchip.cpp). Pure: no locks, no glue.
#pragma once

#include <abi/kvm_abi.h>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp::x86 {

// An MSI message as the local APICs see it (SDM vol. 3A, "Message Signalled
// Interrupts"): address 0xFEExxxxx, destination in bits 19:12 (and, with
// the x2APIC API's 32-bit IDs, bits 31:8 of address_hi as bits 31:8).
struct MsiMessage {
  uint32_t dest = 0;
  bool logical = false;        // address bit 2
  bool redirect_hint = false;  // address bit 3
  uint8_t vector = 0;          // data 7:0
  uint8_t delivery_mode = 0;   // data 10:8, as ApicDeliveryMode
  bool level_assert = false;   // data bit 14
  bool level_trigger = false;  // data bit 15
};

// @x2apic_ids: KVM_X2APIC_API_USE_32BIT_IDS is enabled.
MsiMessage decode_msi(uint32_t address_lo, uint32_t address_hi, uint32_t data, bool x2apic_ids);
// With 32-bit IDs, address_hi bits 7:0 must be zero (api.rst).
inline bool msi_valid(uint32_t address_hi, bool x2apic_ids) {
  return !x2apic_ids || !(address_hi & 0xff);
}

// One target of a GSI.
struct Route {
  uint32_t gsi;
  uint32_t type;  // KVM_IRQ_ROUTING_IRQCHIP or KVM_IRQ_ROUTING_MSI
  // IRQCHIP: KVM_IRQCHIP_PIC_MASTER/SLAVE (pin 0-7) or KVM_IRQCHIP_IOAPIC
  // (pin 0-23).
  uint32_t chip;
  uint32_t pin;
  // MSI.
  uint32_t address_lo, address_hi, data;
};

class RoutingTable {
 public:
  // What the VM's configuration allows.
  struct Policy {
    bool split = false;       // KVM_CAP_SPLIT_IRQCHIP: no irqchip routes
    bool x2apic_ids = false;  // KVM_X2APIC_API_USE_32BIT_IDS
  };
  static constexpr unsigned kChips = 3, kChipPins = KVM_IOAPIC_NUM_PINS;

  // Validate and build, as upstream x86 does for KVM_SET_GSI_ROUTING:
  // -EINVAL for a GSI past KVM_MAX_IRQ_ROUTES, unknown flags (MSI may carry
  // KVM_MSI_VALID_DEVID, which x86 ignores), an unknown type or chip, a pin
  // out of range, an irqchip route in a split irqchip, a GSI routed twice
  // to one chip or to anything beside an MSI, an MSI address_hi that
  // 32-bit IDs forbid; -ENOMEM. The caller checks nr and the table's flags.
  static kxx::Result<RoutingTable*> create(const kvm_irq_routing_entry* entries, unsigned nr,
                                           const Policy& policy);
  // KVM_CREATE_IRQCHIP's table: GSIs 0-15 to the PIC (master 0-7, slave
  // 8-15) and to the I/O APIC pin of the same number, 16-23 to the I/O
  // APIC only.
  static kxx::Result<RoutingTable*> create_default();
  ~RoutingTable();
  RoutingTable(const RoutingTable&) = delete;
  RoutingTable& operator=(const RoutingTable&) = delete;

  // The routes of @gsi (in table order), or none.
  const Route* routes(uint32_t gsi, unsigned* n) const;
  // The GSI routed to irqchip @chip's @pin, or -1.
  int gsi_of(uint32_t chip, uint32_t pin) const;
  unsigned size() const { return count_; }

 private:
  RoutingTable() = default;
  static kxx::Result<RoutingTable*> alloc(unsigned capacity);
  kxx::Status add(const kvm_irq_routing_entry& e, const Policy& policy);

  Route* routes_ = nullptr;  // sorted by GSI
  unsigned count_ = 0;
  int chip_gsi_[kChips][kChipPins];
};

}  // namespace kvmpp::x86

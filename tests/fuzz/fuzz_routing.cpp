// SPDX-License-Identifier: GPL-2.0
// The GSI routing table. The first input byte picks one of two scripts:
//  - the table alone (irq/routing.hpp): RoutingTable::create() on hostile
//    entries under each policy, compared with a reference of the rules
//    routing.hpp and api.rst state (which tables are refused, what routes()
//    and gsi_of() answer for an accepted one), and decode_msi() with the
//    bit fields of SDM vol. 3A, "Message Signalled Interrupts";
//  - a VM with an in-kernel (full or split) irqchip, weighted towards
//    routing: KVM_SET_GSI_ROUTING with hostile headers and entries,
//    KVM_IRQ_LINE and KVM_SIGNAL_MSI through the table, irqfds (with and
//    without resampling) signalled from process and interrupt context,
//    deassigned and closed (irq_vm.hpp).
#include <errno.h>
#include <arch/x86/kvm/irq/routing.hpp>

#include <vector>

#include "core_session.hpp"
#include "fake_event.h"
#include "irq_vm.hpp"

namespace {

using kvmpp::x86::decode_msi;
using kvmpp::x86::MsiMessage;
using kvmpp::x86::Route;
using kvmpp::x86::RoutingTable;

kvm_irq_routing_entry pick_entry(fuzz::Input& in, uint32_t gsis) {
  kvm_irq_routing_entry e{};
  uint8_t how = in.u8();
  e.gsi = how < 240 ? in.u8() % gsis : in.value32();
  uint8_t type = in.u8();
  if (type < 110) {
    e.type = KVM_IRQ_ROUTING_IRQCHIP;
    e.u.irqchip.irqchip = in.u8() < 240 ? in.u8() % 3 : in.value32();
    e.u.irqchip.pin = in.u8() < 240 ? in.u8() % 26 : in.value32();
  } else if (type < 230) {
    e.type = KVM_IRQ_ROUTING_MSI;
    e.u.msi.address_lo = in.value32();
    e.u.msi.address_hi = in.u8() < 200 ? 0 : in.value32();
    e.u.msi.data = in.value32();
    e.u.msi.devid = in.u8() < 200 ? 0 : in.value32();
  } else {
    e.type = in.u8() < 128 ? in.u8() % 8 : in.value32();
    in.bytes(&e.u, sizeof(e.u));
  }
  if (in.u8() >= 230) e.flags = in.u8() < 128 ? KVM_MSI_VALID_DEVID : in.value32();
  return e;
}

// The rules of KVM_SET_GSI_ROUTING (routing.hpp, api.rst): whether the
// table is accepted.
bool reference_valid(const std::vector<kvm_irq_routing_entry>& v, const RoutingTable::Policy& p) {
  for (size_t i = 0; i < v.size(); i++) {
    const kvm_irq_routing_entry& e = v[i];
    if (e.gsi >= KVM_MAX_IRQ_ROUTES) return false;
    uint32_t allowed = e.type == KVM_IRQ_ROUTING_MSI ? KVM_MSI_VALID_DEVID : 0;
    if (e.flags & ~allowed) return false;
    switch (e.type) {
      case KVM_IRQ_ROUTING_IRQCHIP:
        if (p.split) return false;
        if (e.u.irqchip.irqchip == KVM_IRQCHIP_PIC_MASTER ||
            e.u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE) {
          if (e.u.irqchip.pin >= 8) return false;
        } else if (e.u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
          if (e.u.irqchip.pin >= KVM_IOAPIC_NUM_PINS) return false;
        } else {
          return false;
        }
        break;
      case KVM_IRQ_ROUTING_MSI:
        if (p.x2apic_ids && (e.u.msi.address_hi & 0xff)) return false;
        break;
      default: return false;
    }
    // One GSI: several irqchips, one pin each, or exactly one other route.
    for (size_t j = 0; j < i; j++) {
      const kvm_irq_routing_entry& o = v[j];
      if (o.gsi != e.gsi) continue;
      if (o.type != KVM_IRQ_ROUTING_IRQCHIP || e.type != KVM_IRQ_ROUTING_IRQCHIP) return false;
      if (o.u.irqchip.irqchip == e.u.irqchip.irqchip) return false;
    }
  }
  return true;
}

void check_msi(uint32_t lo, uint32_t hi, uint32_t data, bool x2) {
  MsiMessage m = decode_msi(lo, hi, data, x2);
  uint32_t dest = (lo >> 12) & 0xff;
  if (x2) dest |= hi & 0xffffff00;
  FUZZ_CHECK(m.dest == dest);
  FUZZ_CHECK(m.logical == bool(lo & 4));
  FUZZ_CHECK(m.redirect_hint == bool(lo & 8));
  FUZZ_CHECK(m.vector == uint8_t(data));
  FUZZ_CHECK(m.delivery_mode == ((data >> 8) & 7));
  FUZZ_CHECK(m.level_assert == bool(data & (1u << 14)));
  FUZZ_CHECK(m.level_trigger == bool(data & (1u << 15)));
}

void check_table(const RoutingTable& t, const std::vector<kvm_irq_routing_entry>& v) {
  FUZZ_CHECK(t.size() == v.size());
  // routes(): each GSI's entries, in table order.
  std::vector<uint32_t> gsis;
  for (const auto& e : v) gsis.push_back(e.gsi);
  gsis.push_back(0);
  gsis.push_back(KVM_MAX_IRQ_ROUTES - 1);
  for (uint32_t gsi : gsis) {
    unsigned n = ~0u;
    const Route* r = t.routes(gsi, &n);
    unsigned k = 0;
    for (const auto& e : v) {
      if (e.gsi != gsi) continue;
      FUZZ_CHECK(k < n);
      FUZZ_CHECK(r[k].gsi == gsi && r[k].type == e.type);
      if (e.type == KVM_IRQ_ROUTING_IRQCHIP) {
        FUZZ_CHECK(r[k].chip == e.u.irqchip.irqchip && r[k].pin == e.u.irqchip.pin);
      } else {
        FUZZ_CHECK(r[k].address_lo == e.u.msi.address_lo);
        FUZZ_CHECK(r[k].address_hi == e.u.msi.address_hi && r[k].data == e.u.msi.data);
      }
      k++;
    }
    FUZZ_CHECK(k == n);
  }
  // gsi_of(): the GSI of the last route to each pin.
  for (uint32_t chip = 0; chip < RoutingTable::kChips + 1; chip++) {
    for (uint32_t pin = 0; pin < RoutingTable::kChipPins + 1; pin++) {
      int want = -1;
      for (const auto& e : v)
        if (e.type == KVM_IRQ_ROUTING_IRQCHIP && e.u.irqchip.irqchip == chip &&
            e.u.irqchip.pin == pin)
          want = int(e.gsi);
      FUZZ_CHECK(t.gsi_of(chip, pin) == want);
    }
  }
}

void fuzz_model(fuzz::Input& in) {
  for (int round = 0; round < 8 && !in.empty(); round++) {
    RoutingTable::Policy p;
    uint8_t cfg = in.u8();
    p.split = cfg & 1;
    p.x2apic_ids = cfg & 2;
    uint32_t gsis = 1 + in.u8() % 48;
    unsigned nr = in.u8() % 40;
    std::vector<kvm_irq_routing_entry> v;
    for (unsigned i = 0; i < nr; i++) v.push_back(pick_entry(in, gsis));
    auto r = RoutingTable::create(v.data(), nr, p);
    FUZZ_CHECK(r.ok() == reference_valid(v, p));
    if (r.ok()) {
      check_table(*r.value(), v);
      delete r.value();
    } else {
      FUZZ_CHECK(r.error().code == kxx::Errno::kInval);
    }
    uint32_t msi[3];
    for (uint32_t& v : msi) v = in.value32();
    check_msi(msi[0], msi[1], msi[2], cfg & 2);
  }
}

// The VM script: IrqVm's operations, and KVM_SET_GSI_ROUTING and irqfds at
// full strength.
class RoutingVm {
 public:
  RoutingVm(fuzz::CoreSession& s, fuzz::Input& in) : in_(in), vm_(s, in) {}
  ~RoutingVm() {
    // The session closes the VM (and with it the irqfds); the eventfd
    // files are the harness's to close.
    for (int fd : eventfds_) fake::close_eventfd(fd);
  }
  bool setup() { return vm_.setup(); }
  void step() {
    switch (in_.u8() % 8) {
      case 0:
      case 1: set_routing(); break;
      case 2: irqfd(); break;
      case 3: signal(); break;
      default: vm_.run_weighted(kWeights); break;
    }
  }

 private:
  static constexpr uint8_t kWeights[fuzz::IrqVm::kNumOps] = {
      8,   // kApicMmio (EOIs: resampling)
      4,   // kIoapicMmio
      4,   // kPort
      3,   // kGuestMsr
      2,   // kHostMsr
      4,   // kSetLapic
      20,  // kIrqLine
      12,  // kSignalMsi
      3,   // kEvents
      10,  // kRun
      4,   // kTime
      1,   // kTpr
      6,   // kSetIrqchip
      1,   // kPitState
      12,  // kRouting
      1,   // kFillBus
      3,   // kAllocFailure
  };

  void set_routing() {
    uint8_t how = in_.u8();
    uint32_t nr = how < 230 ? in_.u8() % 48 : how < 245 ? KVM_MAX_IRQ_ROUTES : in_.value32();
    // A header claiming more entries than the limit gets a header only: the
    // kernel must refuse it before reading any.
    unsigned room = nr <= KVM_MAX_IRQ_ROUTES ? nr : 0;
    fuzz::Flex<kvm_irq_routing, kvm_irq_routing_entry> r(room);
    r.head()->nr = nr;
    r.head()->flags = in_.u8() < 250 ? 0 : in_.value32();
    uint32_t gsis = 1 + in_.u8() % 40;
    for (unsigned i = 0; i < room && i < 64; i++) r.entries()[i] = pick_entry(in_, gsis);
    // Beyond what the input said: a pattern (a big, valid table).
    for (unsigned i = 64; i < room; i++) {
      kvm_irq_routing_entry& e = r.entries()[i];
      e.gsi = i;
      e.type = KVM_IRQ_ROUTING_MSI;
      e.u.msi.address_lo = 0xfee00000;
      e.u.msi.data = 0x30 + i % 200;
    }
    unsigned long arg = in_.u8() == 0xff ? fuzz::CoreSession::kBadUser : r.arg();
    long ret = fuzz::CoreSession::vm_ioctl(vm_.vm_fd(), KVM_SET_GSI_ROUTING, arg);
    FUZZ_TRACE("  KVM_SET_GSI_ROUTING nr %u: %ld\n", nr, ret);
    FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -EFAULT || ret == -ENOMEM);
    if (nr > KVM_MAX_IRQ_ROUTES) FUZZ_CHECK(ret == -EINVAL || ret == -EFAULT);
  }

  void irqfd() {
    kvm_irqfd a{};
    uint8_t how = in_.u8();
    if (how < 100 || eventfds_.empty()) {
      if (eventfds_.size() < 8) eventfds_.push_back(fake::make_eventfd());
    }
    a.fd = uint32_t(eventfds_.empty() ? -1 : eventfds_[in_.below(unsigned(eventfds_.size()))]);
    if (how >= 250) a.fd = in_.value32();
    a.gsi = in_.u8() < 240 ? in_.u8() % 32 : in_.value32();
    uint8_t f = in_.u8();
    a.flags = f < 160   ? 0
              : f < 200 ? KVM_IRQFD_FLAG_DEASSIGN
              : f < 250 ? KVM_IRQFD_FLAG_RESAMPLE
                        : in_.value32();
    if (a.flags & KVM_IRQFD_FLAG_RESAMPLE) {
      if (eventfds_.size() < 8) eventfds_.push_back(fake::make_eventfd());
      a.resamplefd = uint32_t(eventfds_[in_.below(unsigned(eventfds_.size()))]);
    }
    long r = fuzz::CoreSession::vm_ioctl(vm_.vm_fd(), KVM_IRQFD, fuzz::CoreSession::ptr(&a));
    FUZZ_TRACE("  KVM_IRQFD fd %u gsi %u flags %#x: %ld\n", a.fd, a.gsi, a.flags, r);
    FUZZ_CHECK(r >= -4095 && r <= 0);
  }

  void signal() {
    if (eventfds_.empty()) return;
    unsigned k = in_.below(unsigned(eventfds_.size()));
    switch (in_.u8() % 4) {
      case 0:
        // From interrupt context (an MSI route is injected at once there).
        fake::set_in_interrupt(true);
        fake::signal_eventfd(eventfds_[k]);
        fake::set_in_interrupt(false);
        break;
      case 1:
        // The file goes away: watchers see a hangup.
        fake::close_eventfd(eventfds_[k]);
        eventfds_.erase(eventfds_.begin() + k);
        break;
      default: fake::signal_eventfd(eventfds_[k]); break;
    }
    fuzz::CoreSession::run_work();
  }

  fuzz::Input& in_;
  fuzz::IrqVm vm_;
  std::vector<int> eventfds_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  if (in.u8() & 1) {
    fuzz_model(in);
    return 0;
  }
  fuzz::CoreSession s;
  RoutingVm vm(s, in);
  if (!vm.setup()) return 0;
  for (int step = 0; step < 100 && !in.empty(); step++) vm.step();
  return 0;
}

// SPDX-License-Identifier: GPL-2.0
// The VM's in-kernel PIC pair and I/O APIC: KVM_CREATE_IRQCHIP, KVM_IRQ_LINE,
// KVM_GET/SET_IRQCHIP, their port and MMIO windows, and the routing of
// interrupt messages to local APICs (SDM vol. 3A, "Message Signalled
// Interrupts" and "Determining IPI Destination").
#include <kvmpp/rcu.hpp>
#include <kvmpp/uaccess.hpp>
#include <kxx/new.hpp>
#include <kxx/scope_guard.hpp>
#include <kxx/unique_ptr.hpp>

#include "irqchip.hpp"

namespace kvmpp::x86 {
namespace {

// The I/O APIC's register window (upstream's length).
constexpr uint64_t kIoapicMmioSize = 0x100;

// Whether a local APIC is a destination of a message. @dest is 8 bits for
// xAPIC-format messages and 32 for x2APIC ones (@x2).
bool is_destination(Vm& vm, const Lapic& l, uint32_t dest, bool logical, bool x2) {
  if (!l.hw_enabled()) return false;
  if (l.x2apic_mode()) {
    // An xAPIC-format 0xff reaches x2APIC destinations as a broadcast unless
    // user space turned that quirk off (KVM_CAP_X2APIC_API).
    if (x2 ? dest == 0xffffffffu : dest == 0xff && !vm.arch()->x2apic_broadcast_quirk_disabled)
      return true;
    if (!logical) return l.id() == dest;
    // Cluster in bits 31:16, a bit per member in 15:0 ("Logical Destination
    // Mode in x2APIC Mode").
    uint32_t ldr = l.reg(apic::kLdr);
    return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
  }
  dest &= 0xff;
  if (dest == 0xff) return true;
  if (!logical) return l.id() == dest;
  uint32_t ldr = l.reg(apic::kLdr) >> 24;
  if ((l.reg(apic::kDfr) >> 28) == 0xf) return ldr & dest;  // flat model
  // Cluster model: cluster in the high nibble, members in the low one.
  return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}

// Deliver one interrupt to one local APIC and wake its vCPU: whether the
// APIC took it.
bool deliver_to(VcpuApic& a, ApicDeliveryMode mode, uint8_t vector, bool level) {
  bool notify = false;
  {
    SpinLockGuard g(a.lock);
    switch (mode) {
      case ApicDeliveryMode::kFixed:
      case ApicDeliveryMode::kLowest: notify = a.lapic.accept_interrupt(vector, level); break;
      case ApicDeliveryMode::kInit:
        a.init_pending = true;
        notify = true;
        break;
      case ApicDeliveryMode::kStartup:
        a.sipi_pending = true;
        a.sipi_vector = vector;
        notify = true;
        break;
      case ApicDeliveryMode::kExtInt: notify = true; break;  // the PIC's INTA decides
      case ApicDeliveryMode::kNmi:
        a.vcpu.arch().nmi_queued.fetch_add(1);
        notify = true;
        break;
      // SMI delivery is not implemented (no SMM): the message is dropped
      // (Documentation/irqchip.rst).
      case ApicDeliveryMode::kSmi: break;
    }
  }
  if (notify) a.vcpu.post_request(Vcpu::kRequestEvent);
  return notify;
}

// Send a message to every matching local APIC; lowest priority goes to the
// first match (a valid choice: the arbitration is model specific). Returns
// how many APICs took it (0 when none was a destination, as stock KVM).
template <typename Match>
int route(Vm& vm, ApicDeliveryMode mode, uint8_t vector, bool level, Match match) {
  unsigned n = vm.online_vcpus();
  int taken = 0;
  for (unsigned i = 0; i < n; i++) {
    Vcpu* v = vm.vcpu_at(i);
    VcpuApic* a = v ? vcpu_apic(*v) : nullptr;
    if (!a) continue;
    bool hit;
    {
      SpinLockGuard g(a->lock);
      hit = match(*v, a->lapic);
    }
    if (!hit) continue;
    taken += deliver_to(*a, mode, vector, level);
    if (mode == ApicDeliveryMode::kLowest) break;
  }
  return taken;
}

void kick_pic_targets(Vm& vm) {
  unsigned n = vm.online_vcpus();
  for (unsigned i = 0; i < n; i++) {
    Vcpu* v = vm.vcpu_at(i);
    if (v && pic_interrupt_for(*v)) v->post_request(Vcpu::kRequestEvent);
  }
}

// One route's part of a GSI's level change, with upstream's statuses: 1
// (or the APICs reached) when it raised an interrupt or lowered the line,
// 0 when it was already pending (coalesced), -1 when masked or blocked.
int set_pic_pin(Vm& vm, Irqchip& chip, unsigned irq, bool level) {
  int ret = 1;
  bool out;
  {
    SpinLockGuard g(chip.lock);
    Pic8259& pic = irq < 8 ? chip.pic.master() : chip.pic.slave();
    uint8_t bit = uint8_t(1u << (irq & 7));
    bool edge = !(pic.elcr() & bit);
    if (level && (!edge || !(pic.last_irr() & bit))) ret = (pic.irr() & bit) ? 0 : 1;
    chip.pic.set_irq(irq, level);
    if (pic.imr() & bit) ret = -1;
    out = chip.pic.has_interrupt();
  }
  if (out) kick_pic_targets(vm);
  return ret;
}

int set_ioapic_pin(Vm& vm, Irqchip& chip, unsigned pin, bool level) {
  IoapicMessage m;
  int ret;
  {
    SpinLockGuard g(chip.lock);
    uint64_t e = chip.ioapic.redirection(pin);
    bool edge = !(e & ioapic::kLevel);
    bool was = chip.ioapic.irr() & (1u << pin);
    m = chip.ioapic.set_irq(pin, level);
    if (!level)
      ret = 1;
    else if (edge && was)
      ret = 0;
    else if ((e & ioapic::kMasked) || (!edge && (e & ioapic::kRemoteIrr)))
      ret = -1;
    else
      ret = m.valid ? 1 : -1;
  }
  if (m.valid) ret = deliver_ioapic_message(vm, m);
  return ret;
}

// Drive @gsi through the routing table: the sum of its routes' statuses, or
// -1 when it has none (KVM_IRQ_LINE_STATUS). Any context that may spin.
int set_gsi(Vm& vm, Irqchip& chip, uint32_t gsi, bool level) {
  RcuReadGuard rcu;
  const RoutingTable* t = chip.routing.load();
  unsigned n = 0;
  const Route* r = t ? t->routes(gsi, &n) : nullptr;
  int ret = -1;
  for (unsigned i = 0; i < n; i++) {
    int s;
    if (r[i].type == KVM_IRQ_ROUTING_MSI)
      s = level ? deliver_msi(vm, r[i].address_lo, r[i].address_hi, r[i].data) : -1;
    else if (r[i].chip == KVM_IRQCHIP_IOAPIC)
      s = set_ioapic_pin(vm, chip, r[i].pin, level);
    else
      s = set_pic_pin(vm, chip, r[i].pin + (r[i].chip == KVM_IRQCHIP_PIC_SLAVE ? 8 : 0), level);
    if (s >= 0) ret = s + (ret < 0 ? 0 : ret);
  }
  return ret;
}

// The PIC's ports and the I/O APIC's window on the VM's buses; all or none.
kxx::Status register_devices(Vm& vm, Irqchip& chip) {
  constexpr uint16_t kPicPorts[] = {pic::kMasterCmd, pic::kSlaveCmd, pic::kElcrMaster};
  kxx::Status st = kxx::OkStatus();
  for (uint16_t port : kPicPorts)
    if (st.ok()) st = vm.pio_bus().add(port, 2, &chip.pic_ports);
  if (st.ok()) st = vm.mmio_bus().add(ioapic::kDefaultBase, kIoapicMmioSize, &chip.ioapic_window);
  if (!st.ok()) {
    vm.pio_bus().remove_all(&chip.pic_ports);
    vm.mmio_bus().remove_all(&chip.ioapic_window);
  }
  return st;
}

}  // namespace

Irqchip* irqchip(Vm& vm) { return __atomic_load_n(&vm.arch()->irqchip, __ATOMIC_ACQUIRE); }

long create_irqchip(Vm& vm) {
  // The first in-kernel irqchip, full or split, is the only one.
  auto st = vm.configure([&](bool have_vcpus) -> kxx::Status {
    if (irqchip(vm)) return kxx::Errno::kExist;
    if (have_vcpus) return kxx::Errno::kInval;
    kxx::UniquePtr<Irqchip> chip(new (kxx::Alloc::kSleep) Irqchip);
    if (!chip) return kxx::Errno::kNoMem;
    chip->routing.store(TRY(RoutingTable::create_default()));
    TRY_STATUS(register_devices(vm, *chip));
    __atomic_store_n(&vm.arch()->irqchip, chip.release(), __ATOMIC_RELEASE);
    return kxx::OkStatus();
  });
  return to_ret(st);
}

void destroy_irqchip(arch::VmState& s) {
  delete s.irqchip;
  s.irqchip = nullptr;
}

kxx::Status irq_line(Vm& vm, unsigned long uarg, bool with_status) {
  auto req = TRY(copy_from_user<kvm_irq_level>(uarg));
  Irqchip* chip = irqchip(vm);
  if (!chip) return kxx::Errno::kNxio;
  int status = set_gsi(vm, *chip, req.irq, req.level != 0);
  if (!with_status) return kxx::OkStatus();
  req.status = status;
  return copy_to_user(uarg, req);
}

int set_irq(Vm& vm, uint32_t gsi, bool level) {
  Irqchip* chip = irqchip(vm);
  return chip ? set_gsi(vm, *chip, gsi, level) : -1;
}

kxx::Status set_gsi_routing(Vm& vm, unsigned long uarg) {
  auto hdr = TRY(copy_from_user<kvm_irq_routing>(uarg));
  Irqchip* chip = irqchip(vm);
  if (!chip || hdr.nr > KVM_MAX_IRQ_ROUTES || hdr.flags) return kxx::Errno::kInval;
  kvm_irq_routing_entry* entries = nullptr;
  auto free_entries = kxx::defer([&] { delete[] entries; });
  if (hdr.nr) {
    entries = new (kxx::Alloc::kSleep) kvm_irq_routing_entry[hdr.nr];
    if (!entries) return kxx::Errno::kNoMem;
    if (kvmg_copy_from_user(entries, uarg + sizeof(hdr), hdr.nr * sizeof(entries[0])))
      return kxx::Errno::kFault;
  }
  RoutingTable::Policy policy{chip->split, vm.arch()->x2apic_format};
  RoutingTable* table = TRY(RoutingTable::create(entries, hdr.nr, policy));
  RoutingTable* old;
  {
    MutexLock g(chip->routing_lock);
    old = chip->routing.exchange(table);
  }
  kvmg_synchronize_rcu();
  delete old;
  return kxx::OkStatus();
}

kxx::Result<long> signal_msi(Vm& vm, unsigned long uarg) {
  auto msi = TRY(copy_from_user<kvm_msi>(uarg));
  // x86 ignores the device ID (api.rst: KVM_CAP_MSI_DEVID is not offered).
  if (!irqchip(vm) || (msi.flags & ~KVM_MSI_VALID_DEVID)) return kxx::Errno::kInval;
  if (!msi_valid(msi.address_hi, vm.arch()->x2apic_format)) return kxx::Errno::kInval;
  return long(deliver_msi(vm, msi.address_lo, msi.address_hi, msi.data));
}

kxx::Status get_irqchip(Vm& vm, unsigned long uarg) {
  auto req = TRY(copy_from_user<kvm_irqchip>(uarg));
  Irqchip* chip = irqchip(vm);
  if (!chip || chip->split) return kxx::Errno::kNxio;  // no PIC or I/O APIC here
  {
    SpinLockGuard g(chip->lock);
    switch (req.chip_id) {
      case KVM_IRQCHIP_PIC_MASTER: chip->pic.master().get_state(&req.chip.pic); break;
      case KVM_IRQCHIP_PIC_SLAVE: chip->pic.slave().get_state(&req.chip.pic); break;
      case KVM_IRQCHIP_IOAPIC: chip->ioapic.get_state(&req.chip.ioapic); break;
      default: return kxx::Errno::kInval;
    }
  }
  return copy_to_user(uarg, req);
}

kxx::Status set_irqchip(Vm& vm, unsigned long uarg) {
  auto req = TRY(copy_from_user<kvm_irqchip>(uarg));
  Irqchip* chip = irqchip(vm);
  if (!chip || chip->split) return kxx::Errno::kNxio;  // no PIC or I/O APIC here
  {
    SpinLockGuard g(chip->lock);
    switch (req.chip_id) {
      case KVM_IRQCHIP_PIC_MASTER: chip->pic.master().set_state(req.chip.pic); break;
      case KVM_IRQCHIP_PIC_SLAVE: chip->pic.slave().set_state(req.chip.pic); break;
      case KVM_IRQCHIP_IOAPIC: chip->ioapic.set_state(req.chip.ioapic); break;
      default: return kxx::Errno::kInval;
    }
  }
  // The new state may have an interrupt ready.
  kick_pic_targets(vm);
  return kxx::OkStatus();
}

int deliver_msi(Vm& vm, uint32_t address_lo, uint32_t address_hi, uint32_t data) {
  bool x2 = vm.arch()->x2apic_format;
  if (!msi_valid(address_hi, x2)) return -1;
  MsiMessage m = decode_msi(address_lo, address_hi, data, x2);
  return route(vm, ApicDeliveryMode(m.delivery_mode), m.vector, m.level_trigger,
               [&](Vcpu&, const Lapic& l) { return is_destination(vm, l, m.dest, m.logical, x2); });
}

void deliver_ipi(Vcpu& source, const ApicIpi& ipi) {
  // INIT level de-assert only resets arbitration IDs on old CPUs: nothing to do.
  if (ipi.mode == ApicDeliveryMode::kInit && ipi.level_trigger && !ipi.assert_level) return;
  bool x2 = false;
  if (VcpuApic* a = vcpu_apic(source)) {
    SpinLockGuard g(a->lock);
    x2 = a->lapic.x2apic_mode();
  }
  route(source.vm(), ipi.mode, ipi.vector, ipi.level_trigger, [&](Vcpu& v, const Lapic& l) {
    switch (ipi.shorthand) {
      case ApicShorthand::kSelf: return &v == &source;
      case ApicShorthand::kAllIncludingSelf: return l.hw_enabled();
      case ApicShorthand::kAllButSelf: return &v != &source && l.hw_enabled();
      case ApicShorthand::kNone: break;
    }
    return is_destination(source.vm(), l, ipi.dest, ipi.logical, x2);
  });
}

int deliver_ioapic_message(Vm& vm, const IoapicMessage& m) {
  return route(
      vm, ApicDeliveryMode(m.delivery_mode), m.vector, m.level,
      [&](Vcpu&, const Lapic& l) { return is_destination(vm, l, m.dest, m.logical, false); });
}

void ioapic_eoi(Vm& vm, uint8_t vector, bool level) {
  Irqchip* chip = irqchip(vm);
  if (!chip) return;
  // The PIT's reinjection waits for the EOI of GSI 0's vector.
  if (pit_wants_acks(vm)) {
    bool pit_vector = false;
    {
      RcuReadGuard rcu;
      int pin = -1;
      unsigned n;
      const Route* r = chip->routing.load()->routes(0, &n);
      for (unsigned i = 0; i < n; i++)
        if (r[i].type == KVM_IRQ_ROUTING_IRQCHIP && r[i].chip == KVM_IRQCHIP_IOAPIC)
          pin = int(r[i].pin);
      SpinLockGuard g(chip->lock);
      pit_vector = pin >= 0 && uint8_t(chip->ioapic.redirection(unsigned(pin))) == vector;
    }
    if (pit_vector) pit_acked(vm);
  }
  // An edge-triggered vector leaves no remote IRR and no line to resample.
  if (!level) return;
  // Resampling irqfds lower their lines first, so that a line nobody
  // asserts any more is not delivered again.
  if (vm.irqfds().resampling()) {
    uint32_t pins = 0;
    {
      SpinLockGuard g(chip->lock);
      for (unsigned pin = 0; pin < ioapic::kPins; pin++) {
        uint64_t e = chip->ioapic.redirection(pin);
        if (uint8_t(e) == vector && (e & ioapic::kLevel) && (e & ioapic::kRemoteIrr))
          pins |= 1u << pin;
      }
    }
    RcuReadGuard rcu;
    const RoutingTable* t = chip->routing.load();
    for (unsigned pin = 0; pins && pin < ioapic::kPins; pin++) {
      int gsi = (pins & (1u << pin)) ? t->gsi_of(KVM_IRQCHIP_IOAPIC, pin) : -1;
      if (gsi >= 0) vm.irqfds().acked(uint32_t(gsi));
    }
  }
  IoapicMessage out[ioapic::kPins];
  unsigned n;
  {
    SpinLockGuard g(chip->lock);
    n = chip->ioapic.eoi(vector, out);
  }
  for (unsigned i = 0; i < n; i++) deliver_ioapic_message(vm, out[i]);
}

bool pic_interrupt_for(Vcpu& vcpu) {
  Irqchip* chip = irqchip(vcpu.vm());
  if (!chip || !vcpu_apic(vcpu) || !apic_accepts_extint(vcpu)) return false;
  // Split: the PIC is user space's, its output KVM_INTERRUPT's vector.
  if (chip->split) return vcpu.arch().extint_vector >= 0;
  SpinLockGuard g(chip->lock);
  return chip->pic.has_interrupt();
}

int pic_ack(Vcpu& vcpu) {
  Vm& vm = vcpu.vm();
  Irqchip* chip = irqchip(vm);
  if (!chip) return -1;
  if (chip->split) return kxx::exchange(vcpu.arch().extint_vector, int16_t(-1));
  int vector;
  bool irq0;
  {
    SpinLockGuard g(chip->lock);
    if (!chip->pic.has_interrupt()) return -1;
    irq0 = chip->pic.master().pending_irq() == 0;
    vector = chip->pic.ack();
  }
  if (irq0) pit_acked(vm);
  return vector;
}

bool PicPorts::read(Vcpu&, uint64_t port, unsigned len, void* data) {
  // Only byte accesses reach a register; wider ones read 0 (as upstream).
  __builtin_memset(data, 0, len);
  if (len != 1) return true;
  SpinLockGuard g(chip_.lock);
  return chip_.pic.pio_read(uint16_t(port), static_cast<uint8_t*>(data));
}

bool PicPorts::write(Vcpu& vcpu, uint64_t port, unsigned len, const void* data) {
  if (len != 1) return true;
  bool handled, pic_out;
  {
    SpinLockGuard g(chip_.lock);
    handled = chip_.pic.pio_write(uint16_t(port), *static_cast<const uint8_t*>(data));
    pic_out = chip_.pic.has_interrupt();
  }
  // Unmasking or an EOI may let a request through.
  if (handled && pic_out) kick_pic_targets(vcpu.vm());
  return handled;
}

bool IoapicWindow::read(Vcpu&, uint64_t gpa, unsigned len, void* data) {
  SpinLockGuard g(chip_.lock);
  uint64_t base = chip_.ioapic.base_address();
  if (gpa < base || gpa + len > base + kIoapicMmioSize) return false;
  uint32_t v = len == 4 ? chip_.ioapic.mmio_read(uint32_t(gpa - base)) : 0;
  __builtin_memset(data, 0, len);
  __builtin_memcpy(data, &v, len < 4 ? len : 4);
  return true;
}

bool IoapicWindow::write(Vcpu& vcpu, uint64_t gpa, unsigned len, const void* data) {
  IoapicMessage m;
  {
    SpinLockGuard g(chip_.lock);
    uint64_t base = chip_.ioapic.base_address();
    if (gpa < base || gpa + len > base + kIoapicMmioSize) return false;
    if (len == 4) {
      uint32_t v;
      __builtin_memcpy(&v, data, 4);
      m = chip_.ioapic.mmio_write(uint32_t(gpa - base), v);
    }
  }
  if (m.valid) deliver_ioapic_message(vcpu.vm(), m);
  return true;
}

}  // namespace kvmpp::x86

namespace kvmpp::arch {

kxx::Status irqfd_allowed(Vm& vm, bool resample) {
  // Resampling needs the in-kernel I/O APIC's EOIs (not split).
  bool ok = resample ? x86::pic_in_kernel(vm) : x86::irqchip(vm) != nullptr;
  return ok ? kxx::OkStatus() : kxx::Status(kxx::Errno::kInval);
}

void irqfd_inject(Vm& vm, uint32_t gsi, bool resample) {
  x86::set_irq(vm, gsi, true);
  if (!resample) x86::set_irq(vm, gsi, false);
}

// MSI routes only: they take nothing but the local APICs' locks, which are
// interrupt-safe. A pin route needs the PIC/I/O APIC lock, which process
// context holds with interrupts on.
bool irqfd_inject_atomic(Vm& vm, uint32_t gsi) {
  x86::Irqchip* chip = x86::irqchip(vm);
  if (!chip) return false;
  RcuReadGuard rcu;
  const x86::RoutingTable* t = chip->routing.load();
  unsigned n = 0;
  const x86::Route* r = t ? t->routes(gsi, &n) : nullptr;
  for (unsigned i = 0; i < n; i++)
    if (r[i].type != KVM_IRQ_ROUTING_MSI) return false;
  for (unsigned i = 0; i < n; i++)
    x86::deliver_msi(vm, r[i].address_lo, r[i].address_hi, r[i].data);
  return true;
}

void irqfd_deassert(Vm& vm, uint32_t gsi) { x86::set_irq(vm, gsi, false); }

}  // namespace kvmpp::arch

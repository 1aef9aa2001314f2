// SPDX-License-Identifier: GPL-2.0
// See irq_vm.hpp.
#include "irq_vm.hpp"

#include <errno.h>
#include <arch/x86/kvm/irq/irqchip.hpp>
#include <arch/x86/kvm/irq/pit.hpp>
#include <arch/x86/kvm/msr/msr.hpp>

#include <vector>

namespace fuzz {
namespace {

namespace x86 = kvmpp::x86;
namespace apic = kvmpp::x86::apic;

constexpr uint64_t kRamSize = 0x10000;
constexpr uint64_t kRflagsIf = 1u << 9;

// An ioctl's return: a count, 0 or -errno (never a positive errno or junk).
void check_ret(long r) { FUZZ_CHECK(r >= -4095); }

}  // namespace

// An ioctl of the set-up, first with its @n-th allocation failing when
// @fail: it must fail cleanly (-ENOMEM, nothing leaked, checked at the
// end), and then succeed.
long IrqVm::setup_ioctl(bool fail, uint8_t n, long fd, bool vcpu, unsigned cmd, unsigned long arg) {
  auto call = [&] {
    return vcpu ? CoreSession::vcpu_ioctl(fd, cmd, arg) : CoreSession::vm_ioctl(fd, cmd, arg);
  };
  if (fail) {
    CoreSession::fail_alloc_after(1 + n % 8);
    long r = call();
    CoreSession::fail_alloc_after(0);
    FUZZ_TRACE("  set-up ioctl %#x with allocation %u failing: %ld\n", cmd, 1 + n % 8, r);
    if (r != -ENOMEM) return r;  // done, or refused for another reason
  }
  return call();
}

bool IrqVm::setup(uint8_t set, uint8_t clear) {
  uint8_t cfg = uint8_t((in_.u8() | set) & ~clear);
  // Which creations first run with an allocation failing: bit 0 the
  // irqchip, 1 the PIT, 2 the vCPUs; bits 3-7 pick the allocation.
  uint8_t faults = in_.u8();
  uint8_t nth = faults >> 3;
  vm_ = CoreSession::dev(KVM_CREATE_VM, 0);
  if (vm_ < 0) return false;
  if (cfg & 3) {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_X2APIC_API;
    cap.args[0] = cfg & 3;
    FUZZ_CHECK(CoreSession::vm_ioctl(vm_, KVM_ENABLE_CAP, CoreSession::ptr(&cap)) == 0);
  }
  split_ = cfg & kSplit;
  if (split_) {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_SPLIT_IRQCHIP;
    cap.args[0] = in_.u8() % 25;
    FUZZ_CHECK(setup_ioctl(faults & 1, nth, vm_, false, KVM_ENABLE_CAP, CoreSession::ptr(&cap)) ==
               0);
  } else {
    FUZZ_CHECK(setup_ioctl(faults & 1, nth, vm_, false, KVM_CREATE_IRQCHIP, 0) == 0);
    if (cfg & kPit) {
      kvm_pit_config pc{};
      pc.flags = (cfg & 16) ? KVM_PIT_SPEAKER_DUMMY : 0;
      FUZZ_CHECK(setup_ioctl(faults & 2, nth, vm_, false, KVM_CREATE_PIT2, CoreSession::ptr(&pc)) ==
                 0);
      pit_ = true;
    }
  }
  ram_ = s_.add_ram(vm_, 0, 0, kRamSize);
  FUZZ_CHECK(ram_);
  unsigned want = 1 + (cfg >> 5) % kMaxVcpus;
  for (unsigned i = 0; i < want; i++) {
    // Small ids, or any up to the limit (x2APIC IDs past 255).
    unsigned id = 0;
    if (i) {
      uint8_t b = in_.u8();
      id = b < 240 ? 1 + b % 16 : 240 + in_.u16() % (kvmpp::arch::kMaxVcpuIds - 240);
    }
    long fd = setup_ioctl(faults & 4, nth, vm_, false, KVM_CREATE_VCPU, id);
    if (fd < 0) continue;  // an id in use
    vcpu_fd_[nvcpus_++] = fd;
    // CPUID: an AMD vendor leaf, and leaf 1 with or without x2APIC and
    // the TSC-deadline timer.
    Flex<kvm_cpuid2, kvm_cpuid_entry2> c(2);
    c.head()->nent = 2;
    kvm_cpuid_entry2* e = c.entries();
    e[0] = {.function = 0, .eax = 0xd, .ebx = 0x68747541, .ecx = 0x444d4163, .edx = 0x69746e65};
    uint8_t features = in_.u8();
    e[1] = {.function = 1,
            .ecx = ((features & 1) ? 1u << 21 : 0) | ((features & 2) ? 1u << 24 : 0),
            .edx = 1u << 9};
    FUZZ_CHECK(CoreSession::vcpu_ioctl(fd, KVM_SET_CPUID2, c.arg()) == 0);
  }
  return nvcpus_ > 0;
}

void IrqVm::run_weighted(const uint8_t* weights) {
  unsigned total = 0;
  for (unsigned i = 0; i < kNumOps; i++) total += weights[i];
  unsigned r = in_.below(total);
  for (unsigned i = 0; i < kNumOps; i++) {
    if (r < weights[i]) return run(Op(i));
    r -= weights[i];
  }
}

void IrqVm::run(Op op) {
  static const char* const kNames[] = {
      "apic_mmio",   "ioapic_mmio", "port",    "guest_msr", "host_msr",     "set_lapic",
      "irq_line",    "signal_msi",  "events",  "run",       "time",         "tpr",
      "set_irqchip", "pit_state",   "routing", "fill_bus",  "alloc_failure"};
  FUZZ_TRACE("op %s\n", kNames[op]);
  switch (op) {
    case kApicMmio: apic_mmio(); break;
    case kIoapicMmio: ioapic_mmio(); break;
    case kPort: port(); break;
    case kGuestMsr: guest_msr(); break;
    case kHostMsr: host_msr(); break;
    case kSetLapic: set_lapic(); break;
    case kIrqLine: irq_line(); break;
    case kSignalMsi: signal_msi(); break;
    case kEvents: events(); break;
    case kRun: run_vcpu(pick_vcpu()); break;
    case kTime: time(); break;
    case kTpr: tpr(); break;
    case kSetIrqchip: set_irqchip(); break;
    case kPitState: pit_state(); break;
    case kRouting: routing(); break;
    case kFillBus: fill_bus(); break;
    case kAllocFailure:
      if (depth_) break;
      depth_++;
      {
        long n = 1 + in_.u8() % 8;
        FUZZ_TRACE("  allocation %ld from now fails\n", n);
        CoreSession::fail_alloc_after(n);
      }
      run(Op(in_.below(kAllocFailure)));
      CoreSession::fail_alloc_after(0);
      depth_--;
      break;
    case kNumOps: break;
  }
  check();
}

uint64_t IrqVm::apic_gpa() {
  unsigned i = pick_vcpu();
  x86::VcpuApic* a = x86::vcpu_apic(vcpu(i));
  uint64_t page =
      a ? a->lapic.apic_base() & ~uint64_t(0xfff) & ((uint64_t(1) << 52) - 1) : apic::kDefaultBase;
  switch (in_.u8() & 7) {
    case 5: return page + apic::kEoi;
    case 6: return apic::kDefaultBase + (in_.u16() & 0xfff);
    case 7: return in_.value64();
    default: return page + (in_.u16() & 0xfff);
  }
}

void IrqVm::apic_mmio() {
  static constexpr unsigned kLens[] = {4, 4, 4, 4, 1, 2, 8, 3};
  unsigned i = pick_vcpu();
  uint64_t gpa = apic_gpa();
  unsigned len = kLens[in_.u8() & 7];
  uint64_t data = in_.value64();
  if (in_.flag())
    (void)CoreSession::vm(vm_).mmio_bus().write(vcpu(i), gpa, len, &data);
  else
    (void)CoreSession::vm(vm_).mmio_bus().read(vcpu(i), gpa, len, &data);
}

void IrqVm::ioapic_mmio() {
  kvmpp::IoBus& bus = CoreSession::vm(vm_).mmio_bus();
  kvmpp::Vcpu& v = vcpu(pick_vcpu());
  uint64_t base = 0xfec00000;
  uint32_t value;
  switch (in_.u8() % 4) {
    case 0: {  // one raw access
      static constexpr unsigned kLens[] = {4, 4, 1, 2, 8, 3, 4, 4};
      uint64_t gpa = base + (in_.u8() & 0x1f);
      unsigned len = kLens[in_.u8() & 7];
      uint64_t data = in_.value64();
      if (in_.flag())
        (void)bus.write(v, gpa, len, &data);
      else
        (void)bus.read(v, gpa, len, &data);
      break;
    }
    case 1:
    case 2:  // a register write through IOREGSEL and IOWIN
      value = in_.u8() % 0x40;
      (void)bus.write(v, base, 4, &value);
      value = in_.value32();
      (void)bus.write(v, base + 0x10, 4, &value);
      break;
    default:
      value = in_.u8();
      (void)bus.write(v, base, 4, &value);
      (void)bus.read(v, base + 0x10, 4, &value);
      break;
  }
}

void IrqVm::port() {
  static constexpr uint16_t kPorts[] = {0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42,
                                        0x43, 0x61, 0x20, 0x21, 0xa0,  0x4d0, 0x40, 0x43, 0x43};
  kvmpp::IoBus& bus = CoreSession::vm(vm_).pio_bus();
  kvmpp::Vcpu& v = vcpu(pick_vcpu());
  uint8_t sel = in_.u8();
  if (sel < 24) {
    // A complete 8259A initialization (ICW1-ICW4, then OCW1), as BIOSes
    // do, with the input's vector base, mode and mask.
    bool slave = sel & 1;
    uint16_t cmd = slave ? 0xa0 : 0x20;
    uint8_t seq[] = {uint8_t(0x11 | (in_.u8() & 0x0a)), in_.u8(), uint8_t(slave ? 2 : 4),
                     uint8_t(1 | (in_.u8() & 0x12)), in_.u8()};
    for (unsigned k = 0; k < sizeof(seq); k++) {
      uint16_t p = k == 0 ? cmd : uint16_t(cmd + 1);
      (void)bus.write(v, p, 1, &seq[k]);
    }
    return;
  }
  uint16_t p = sel < 240 ? kPorts[sel % (sizeof(kPorts) / sizeof(kPorts[0]))] : in_.u16();
  unsigned len = (in_.u8() & 7) == 0 ? 1u << (in_.u8() % 3) : 1;
  uint32_t data = in_.u8() < 200 ? in_.u8() : in_.value32();
  if (in_.flag())
    (void)bus.write(v, p, len, &data);
  else
    (void)bus.read(v, p, len, &data);
}

uint32_t IrqVm::apic_msr() {
  switch (in_.u8() & 7) {
    case 0: return x86::msr::kApicBase;
    case 1: return x86::msr::kTscDeadline;
    case 2: return apic::kX2apicMsrBase + (apic::kIcr >> 4);
    case 3: return apic::kX2apicMsrBase + (apic::kEoi >> 4);
    case 4: return in_.value32();
    default: return apic::kX2apicMsrBase + in_.u8();
  }
}

uint64_t IrqVm::apic_base_value() {
  uint8_t b = in_.u8();
  uint64_t bits = ((b & 1) ? apic::kBaseBsp : 0) | ((b & 2) ? apic::kBaseExtd : 0) |
                  ((b & 4) ? apic::kBaseEnable : 0);
  switch ((b >> 3) & 3) {
    case 0:
    case 1: return apic::kDefaultBase | bits;
    case 2: return (in_.u32() & ~uint64_t(0xfff)) | bits;
    default: return in_.value64();
  }
}

void IrqVm::guest_msr() {
  kvmpp::Vcpu& v = vcpu(pick_vcpu());
  uint32_t index = apic_msr();
  if (in_.flag()) {
    uint64_t value = index == x86::msr::kApicBase ? apic_base_value() : in_.value64();
    bool ok = x86::set_msr(v, index, value, false).ok();
    FUZZ_TRACE("  vcpu %u wrmsr %#x %#llx: %s\n", v.id(), index, (unsigned long long)value,
               ok ? "ok" : "#GP");
  } else {
    uint64_t value = 0;
    bool ok = x86::get_msr(v, index, &value, false).ok();
    FUZZ_TRACE("  vcpu %u rdmsr %#x: %s %#llx\n", v.id(), index, ok ? "ok" : "#GP",
               (unsigned long long)value);
  }
}

void IrqVm::host_msr() {
  Flex<kvm_msrs, kvm_msr_entry> m(2);
  unsigned n = 1 + in_.flag();
  m.head()->nmsrs = n;
  for (unsigned k = 0; k < n; k++) {
    kvm_msr_entry& e = m.entries()[k];
    e.index = apic_msr();
    e.data = e.index == x86::msr::kApicBase ? apic_base_value() : in_.value64();
  }
  long fd = vcpu_fd_[pick_vcpu()];
  bool set = in_.flag();
  long r = CoreSession::vcpu_ioctl(fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, m.arg());
  FUZZ_TRACE("  %s %#x=%#llx (of %u): %ld\n", set ? "KVM_SET_MSRS" : "KVM_GET_MSRS",
             m.entries()[0].index, (unsigned long long)m.entries()[0].data, n, r);
  check_ret(r);
  FUZZ_CHECK(r <= long(n));
}

void IrqVm::set_lapic() {
  long fd = vcpu_fd_[pick_vcpu()];
  auto* s = new kvm_lapic_state();
  long r = CoreSession::vcpu_ioctl(fd, KVM_GET_LAPIC, CoreSession::ptr(s));
  FUZZ_CHECK(r == 0 || r == -ENOMEM);
  unsigned changes = in_.u8() % 8;
  for (unsigned k = 0; k < changes; k++) {
    uint32_t off;
    uint8_t how = in_.u8();
    if (how < 160)
      off = apic::kRegOffsets[how % (sizeof(apic::kRegOffsets) / sizeof(apic::kRegOffsets[0]))];
    else
      off = in_.u16() % (KVM_APIC_REG_SIZE - 3);
    uint32_t v = in_.value32();
    memcpy(&s->regs[off], &v, 4);
  }
  if (in_.u8() == 0xff) in_.bytes(s->regs, sizeof(s->regs));
  unsigned long arg = in_.u8() == 0xfe ? CoreSession::kBadUser : CoreSession::ptr(s);
  r = CoreSession::vcpu_ioctl(fd, KVM_SET_LAPIC, arg);
  FUZZ_TRACE("  KVM_SET_LAPIC: %ld\n", r);
  check_ret(r);
  delete s;
}

void IrqVm::irq_line() {
  kvm_irq_level l{};
  l.irq = in_.u8() < 224 ? in_.u8() % 32 : in_.value32();
  l.level = in_.flag();
  bool status = in_.flag();
  long r =
      CoreSession::vm_ioctl(vm_, status ? KVM_IRQ_LINE_STATUS : KVM_IRQ_LINE, CoreSession::ptr(&l));
  check_ret(r);
}

void IrqVm::signal_msi() {
  kvm_msi m{};
  uint8_t how = in_.u8();
  if (how < 200) {
    m.address_lo = 0xfee00000 | (uint32_t(in_.u8()) << 12);
    m.address_lo |= in_.u8() & 0xc;
    m.data = in_.u8();
    m.data |= uint32_t(in_.u8() & 7) << 8;
    m.data |= in_.flag() ? 1u << 15 : 0;
    m.data |= in_.flag() ? 1u << 14 : 0;
    m.address_hi = (how & 1) ? in_.u32() & 0xffffff00 : 0;
  } else {
    m.address_lo = in_.value32();
    m.address_hi = in_.value32();
    m.data = in_.value32();
    m.flags = in_.value32();
  }
  check_ret(CoreSession::vm_ioctl(vm_, KVM_SIGNAL_MSI, CoreSession::ptr(&m)));
}

void IrqVm::events() {
  long fd = vcpu_fd_[pick_vcpu()];
  switch (in_.u8() % 6) {
    case 0: check_ret(CoreSession::vcpu_ioctl(fd, KVM_NMI)); break;
    case 1: {
      kvm_interrupt irq{in_.u8() < 240 ? in_.u8() : in_.value32()};
      check_ret(CoreSession::vcpu_ioctl(fd, KVM_INTERRUPT, CoreSession::ptr(&irq)));
      break;
    }
    case 2: {
      kvm_mp_state mp{in_.u8() < 240 ? in_.u8() % 6u : in_.value32()};
      check_ret(CoreSession::vcpu_ioctl(fd, KVM_SET_MP_STATE, CoreSession::ptr(&mp)));
      break;
    }
    case 3: {
      kvm_mp_state mp{};
      FUZZ_CHECK(CoreSession::vcpu_ioctl(fd, KVM_GET_MP_STATE, CoreSession::ptr(&mp)) == 0);
      break;
    }
    case 4: {
      // A debugger single-stepping with interrupts held off.
      kvm_guest_debug d{};
      uint8_t how = in_.u8();
      d.control =
          how < 200
              ? (how & 1 ? KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_BLOCKIRQ | KVM_GUESTDBG_SINGLESTEP
                         : 0)
              : in_.value32();
      check_ret(CoreSession::vcpu_ioctl(fd, KVM_SET_GUEST_DEBUG, CoreSession::ptr(&d)));
      break;
    }
    default: {
      // The IRET that ends NMI blocking, seen coming.
      x86::nmi_iret_exit(CoreSession::vcpu(fd));
      break;
    }
  }
}

void IrqVm::run_vcpu(unsigned i) {
  kvmpp::Vcpu& v = vcpu(i);
  x86_state& st = v.arch().regs;
  uint8_t how = in_.u8();
  st.rflags = (how & 1) ? st.rflags | kRflagsIf : st.rflags & ~kRflagsIf;
  st.interrupt_shadow = (how & 2) ? 1 : 0;
  if (v.arch().mp_state == KVM_MP_STATE_HALTED || (how & 4)) {
    kxx::Status w = x86::wait_until_runnable(v);
    (void)w;
  }
  (void)x86::prepare_interrupts(v);
  x86::vapic_sync_to_guest(v);
  (void)x86::take_tpr_access_exit(v);
  // The hardware delivers what was injected (or, sometimes, the entry is
  // cancelled and the event stays for the next one).
  if (!(how & 8)) st.event = {};
  if (how & 16) st.rip += 1 + (how >> 5);  // the guest moved on (an IRET ran)
}

void IrqVm::time() {
  uint64_t ns;
  uint8_t how = in_.u8();
  if (how < 64) {
    ns = 1 + in_.u16();
  } else if (how < 128) {
    ns = uint64_t(1) << (in_.u8() % 33);
  } else if (how < 192) {
    // To the earliest armed APIC timer.
    uint64_t now = kvmg_monotonic_ns(), next = 0;
    for (unsigned i = 0; i < nvcpus_; i++) {
      x86::VcpuApic* a = x86::vcpu_apic(vcpu(i));
      uint64_t e = a ? a->lapic.next_timer_expiry() : 0;
      if (e > now && (!next || e < next)) next = e;
    }
    ns = next ? next - now : 1000;
  } else {
    ns = in_.u32();
  }
  s_.advance(ns);
  CoreSession::run_work();
  for (unsigned i = 0; i < nvcpus_; i++) run_vcpu(i);
}

void IrqVm::tpr() {
  kvmpp::Vcpu& v = vcpu(pick_vcpu());
  switch (in_.u8() % 5) {
    case 0:
      v.arch().regs.cr8 = in_.u8() & 0xf;
      x86::apic_cr8_to_tpr(v);
      break;
    case 1: {
      kvm_vapic_addr va{};
      uint8_t how = in_.u8();
      va.vapic_addr = how < 128 ? in_.u16() : how < 250 ? 0 : in_.value64();
      check_ret(CoreSession::vcpu_ioctl(vcpu_fd_[pick_vcpu()], KVM_SET_VAPIC_ADDR,
                                        CoreSession::ptr(&va)));
      break;
    }
    case 2: {
      // The guest writes a TPR into its vAPIC word.
      x86::VcpuApic* a = x86::vcpu_apic(v);
      if (a && a->vapic_addr && a->vapic_addr + 4 <= kRamSize) ram_[a->vapic_addr] = in_.u8();
      x86::vapic_sync_from_guest(v);
      break;
    }
    case 3: {
      kvm_tpr_access_ctl c{};
      c.enabled = in_.flag();
      c.flags = in_.u8() < 250 ? 0 : in_.value32();
      check_ret(CoreSession::vcpu_ioctl(vcpu_fd_[pick_vcpu()], KVM_TPR_ACCESS_REPORTING,
                                        CoreSession::ptr(&c)));
      break;
    }
    default: x86::apic_tpr_to_cr8(v); break;
  }
}

void IrqVm::set_irqchip() {
  kvm_irqchip c{};
  c.chip_id = in_.u8() < 250 ? in_.u8() % 3 : in_.value32();
  long r = CoreSession::vm_ioctl(vm_, KVM_GET_IRQCHIP, CoreSession::ptr(&c));
  check_ret(r);
  unsigned changes = in_.u8() % 6;
  for (unsigned k = 0; k < changes; k++) {
    uint8_t how = in_.u8();
    if (c.chip_id == KVM_IRQCHIP_IOAPIC && how < 128) {
      uint64_t bits = in_.value64();
      if (how & 1) bits &= ~uint64_t(0x10000);  // unmasked
      c.chip.ioapic.redirtbl[in_.u8() % KVM_IOAPIC_NUM_PINS].bits = bits;
    } else {
      size_t at = in_.u16() % sizeof(c.chip);
      reinterpret_cast<uint8_t*>(&c.chip)[at] = in_.u8();
    }
  }
  unsigned long arg = in_.u8() == 0xff ? CoreSession::kBadUser : CoreSession::ptr(&c);
  check_ret(CoreSession::vm_ioctl(vm_, KVM_SET_IRQCHIP, arg));
}

void IrqVm::pit_state() {
  switch (in_.u8() % 4) {
    case 0:
    case 1: {
      kvm_pit_state2 p{};
      long r = CoreSession::vm_ioctl(vm_, KVM_GET_PIT2, CoreSession::ptr(&p));
      FUZZ_CHECK(r == 0 || (r == -ENXIO && !pit_));
      unsigned changes = in_.u8() % 8;
      for (unsigned k = 0; k < changes; k++) {
        uint8_t how = in_.u8();
        kvm_pit_channel_state& ch = p.channels[in_.u8() % 3];
        switch (how % 4) {
          case 0: ch.mode = in_.u8() < 200 ? in_.u8() % 6 : in_.u8(); break;
          case 1: ch.count = in_.u8() < 200 ? in_.u16() : in_.value32(); break;
          case 2: p.flags = in_.value32(); break;
          default: {
            size_t at = in_.u8() % sizeof(ch);
            reinterpret_cast<uint8_t*>(&ch)[at] = in_.u8();
            break;
          }
        }
      }
      check_ret(CoreSession::vm_ioctl(vm_, KVM_SET_PIT2, CoreSession::ptr(&p)));
      break;
    }
    case 2: {
      kvm_pit_state p{};
      check_ret(CoreSession::vm_ioctl(vm_, KVM_GET_PIT, CoreSession::ptr(&p)));
      size_t at = in_.u8() % sizeof(p);
      reinterpret_cast<uint8_t*>(&p)[at] = in_.u8();
      check_ret(CoreSession::vm_ioctl(vm_, KVM_SET_PIT, CoreSession::ptr(&p)));
      break;
    }
    default: {
      kvm_reinject_control c{};
      c.pit_reinject = in_.u8();
      check_ret(CoreSession::vm_ioctl(vm_, KVM_REINJECT_CONTROL, CoreSession::ptr(&c)));
      break;
    }
  }
}

void IrqVm::routing() {
  unsigned nr = in_.u8() % 8;
  std::vector<uint8_t> buf(sizeof(kvm_irq_routing) + nr * sizeof(kvm_irq_routing_entry));
  auto* r = reinterpret_cast<kvm_irq_routing*>(buf.data());
  r->nr = nr;
  for (unsigned k = 0; k < nr; k++) {
    kvm_irq_routing_entry& e = r->entries[k];
    e.gsi = in_.u8() < 240 ? in_.u8() % 32 : in_.value32();
    uint8_t type = in_.u8();
    if (type < 120) {
      e.type = KVM_IRQ_ROUTING_IRQCHIP;
      e.u.irqchip.irqchip = in_.u8() % 4;
      e.u.irqchip.pin = in_.u8() % 26;
    } else if (type < 240) {
      e.type = KVM_IRQ_ROUTING_MSI;
      e.u.msi.address_lo = 0xfee00000 | (uint32_t(in_.u8()) << 12);
      e.u.msi.address_lo |= in_.u8() & 0xc;
      e.u.msi.address_hi = in_.u8() < 240 ? 0 : in_.value32();
      e.u.msi.data = in_.u8();
      e.u.msi.data |= uint32_t(in_.u8() & 7) << 8;
      e.u.msi.data |= in_.flag() ? 3u << 14 : 0;
    } else {
      e.type = in_.value32();
      in_.bytes(&e.u, sizeof(e.u));
    }
    if (in_.u8() >= 250) e.flags = in_.value32();
  }
  check_ret(CoreSession::vm_ioctl(vm_, KVM_SET_GSI_ROUTING, CoreSession::ptr(r)));
}

void IrqVm::fill_bus() {
  // About a thousand ioctls: once per script at most, and rarely.
  if (bus_full_ || in_.u8() < 224) return;
  bus_full_ = true;
  // Zones of the input's sizes, away from the APIC and I/O APIC pages.
  kvm_coalesced_mmio_zone z{};
  z.size = 1 + in_.u8();
  for (unsigned n = 0; n < 1100; n++) {
    z.addr = 0x100000000ull + n * 0x1000;
    long r = CoreSession::vm_ioctl(vm_, KVM_REGISTER_COALESCED_MMIO, CoreSession::ptr(&z));
    check_ret(r);
    if (r < 0) {
      FUZZ_TRACE("  %u zones, then %ld\n", n, r);
      break;
    }
  }
}

void IrqVm::check() {
  for (unsigned i = 0; i < nvcpus_; i++) {
    kvmpp::Vcpu& v = vcpu(i);
    FUZZ_CHECK(v.arch().extint_vector >= -1 && v.arch().extint_vector <= 255);
    FUZZ_CHECK(v.arch().nmi_pending <= 2);
    x86::VcpuApic* a = x86::vcpu_apic(v);
    if (!a) continue;
    const x86::Lapic& l = a->lapic;
    int p = l.highest_pending_irr();
    FUZZ_CHECK(p >= -1 && p <= 255);
    if (p >= 0) FUZZ_CHECK(l.irr_test(uint8_t(p)));
    // A periodic timer never repeats faster than the PIT's floor (upstream's
    // min_timer_period_us for both): the host's hrtimer would fire without
    // pause, in interrupt context, where no scheduler throttles the guest.
    if (l.timer_mode() == x86::ApicTimerMode::kPeriodic && l.next_timer_expiry()) {
      uint64_t period = l.period_ns();
      if (period < x86::pit::kMinPeriodNs)
        FUZZ_TRACE("  vcpu %u: periodic APIC timer every %llu ns\n", v.id(),
                   (unsigned long long)period);
      FUZZ_CHECK(period >= x86::pit::kMinPeriodNs);  // fuzz_lapic-periodic-timer-storm
    }
    if (l.x2apic_mode()) {
      // The x2APIC ID is the vCPU's, and the logical ID follows from it
      // (SDM vol. 3A, "Logical Destination Mode in x2APIC Mode"; upstream
      // keeps both whatever KVM_SET_LAPIC or the xAPIC ID said).
      uint32_t id = l.reg(apic::kId);
      if (id != v.id() || l.reg(apic::kLdr) != (((id >> 4) << 16) | (1u << (id & 0xf))))
        FUZZ_TRACE("  vcpu %u: x2APIC ID %#x, LDR %#x\n", v.id(), id, l.reg(apic::kLdr));
      FUZZ_CHECK(id == v.id());  // fuzz_lapic-x2apic-id
      uint32_t ldr = ((id >> 4) << 16) | (1u << (id & 0xf));
      FUZZ_CHECK(l.reg(apic::kLdr) == ldr);  // fuzz_lapic-x2apic-ldr
    }
    // What IA32_APIC_BASE reads is what the APIC decodes.
    if (v.arch().apic_base != l.apic_base())
      FUZZ_TRACE("  vcpu %u: IA32_APIC_BASE %#llx, the APIC's %#llx\n", v.id(),
                 (unsigned long long)v.arch().apic_base, (unsigned long long)l.apic_base());
    FUZZ_CHECK(v.arch().apic_base == l.apic_base());  // fuzz_lapic-apic-base-*
  }
  x86::Irqchip* chip = x86::irqchip(CoreSession::vm(vm_));
  FUZZ_CHECK(chip);
  if (!chip->split) {
    FUZZ_CHECK((chip->pic.master().irq_base() & 7) == 0);
    FUZZ_CHECK((chip->pic.slave().irq_base() & 7) == 0);
  }
}

}  // namespace fuzz

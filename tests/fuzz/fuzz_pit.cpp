// SPDX-License-Identifier: GPL-2.0
// The 8254 PIT. The first input byte picks one of two scripts:
//  - the model alone (irq/pit.hpp): control words, counter writes and
//    reads, latches and read-back, port 0x61, time passing and channel 0's
//    expiries, KVM_GET/SET_PIT2 state with hostile fields; checked after
//    each step: counts within 16 bits (65536 included), a periodic IRQ0
//    never faster than pit::kMinPeriodNs (the host timer cannot be made to
//    spin), an expiry never left far behind, a state round trip changing
//    nothing but the load time;
//  - a VM with the in-kernel irqchip and a PIT, weighted towards it: its
//    ports on the port bus, KVM_SET_PIT(2), KVM_REINJECT_CONTROL, time
//    passing with the host timer and the injection work, the guest's INTA
//    and EOIs that reinjection waits for (irq_vm.hpp).
#include <arch/x86/kvm/irq/pit.hpp>

#include "core_session.hpp"
#include "irq_vm.hpp"

namespace {

using kvmpp::x86::Pit;
namespace pit = kvmpp::x86::pit;

constexpr uint64_t kNsPerSec = 1000000000;

void check_model(const Pit& p, uint64_t now) {
  FUZZ_CHECK(p.period_ns() == 0 || p.period_ns() >= pit::kMinPeriodNs);
  if (p.period_ns()) FUZZ_CHECK(p.next_irq_ns() != 0);
  for (unsigned c = 0; c < 3; c++) FUZZ_CHECK(p.count(c, now) <= 0x10000);
  kvm_pit_state2 s;
  p.get_state(&s);
  FUZZ_CHECK((s.flags & ~uint32_t(KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON)) == 0);
  // The HPET drives IRQ0 in legacy mode: no PIT interrupt.
  if (s.flags & KVM_PIT_FLAGS_HPET_LEGACY) FUZZ_CHECK(p.next_irq_ns() == 0);
  for (unsigned c = 0; c < 3; c++)
    FUZZ_CHECK(s.channels[c].count >= 1 && s.channels[c].count <= 0x10000);
}

void round_trip(Pit& p, uint64_t now) {
  kvm_pit_state2 a, b;
  p.get_state(&a);
  p.set_state(a, now);
  p.get_state(&b);
  for (unsigned c = 0; c < 3; c++) {
    FUZZ_CHECK(b.channels[c].count_load_time == int64_t(now));
    a.channels[c].count_load_time = b.channels[c].count_load_time;
  }
  FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

void fuzz_model(fuzz::Input& in) {
  Pit p;
  uint64_t now = kNsPerSec;
  p.reset(now);
  for (int step = 0; step < 300 && !in.empty(); step++) {
    switch (in.u8() % 12) {
      case 0:
      case 1: {
        // A control word: mostly well-formed (channel, access, mode, BCD).
        uint8_t v = in.u8();
        FUZZ_CHECK(p.write(pit::kControl, v, now));
        break;
      }
      case 2:
      case 3: {
        uint8_t how = in.u8();
        uint16_t port = how < 250 ? uint16_t(pit::kCounter0 + how % 3) : in.u16();
        bool ours = port >= pit::kCounter0 && port <= pit::kControl;
        FUZZ_CHECK(p.write(port, in.u8(), now) == ours);
        break;
      }
      case 4: {
        uint8_t v = 0;
        uint8_t how = in.u8();
        uint16_t port = how < 250 ? uint16_t(pit::kCounter0 + how % 4) : in.u16();
        (void)p.read(port, &v, now);
        break;
      }
      case 5: {
        uint8_t v = in.u8();
        p.write_port_b(v, now);
        uint8_t b = p.read_port_b(now);
        FUZZ_CHECK((b & 3) == (v & 3));
        break;
      }
      case 6:
      case 7: {
        uint8_t how = in.u8();
        uint64_t delta = how < 100   ? in.u16()
                         : how < 200 ? in.u32()
                         : how < 250 ? uint64_t(1) << (in.u8() % 40)
                                     : in.value64() >> 16;
        now += delta;
        break;
      }
      case 8: {
        uint64_t next = p.expired(now);
        FUZZ_CHECK(next == p.next_irq_ns());
        // A periodic timer that fell far behind starts again from now.
        if (next && p.period_ns() && now > kNsPerSec) FUZZ_CHECK(next >= now - kNsPerSec);
        break;
      }
      case 9: (void)p.out(in.u8() % 3, now); break;
      case 10: {
        kvm_pit_state2 s;
        p.get_state(&s);
        unsigned changes = in.u8() % 8;
        for (unsigned k = 0; k < changes; k++) {
          kvm_pit_channel_state& ch = s.channels[in.u8() % 3];
          switch (in.u8() % 5) {
            case 0: ch.mode = in.u8(); break;
            case 1: ch.count = in.value32(); break;
            case 2: s.flags = in.value32(); break;
            case 3: ch.count_latched = in.u8(); break;
            default: {
              size_t at = in.u8() % sizeof(ch);
              reinterpret_cast<uint8_t*>(&ch)[at] = in.u8();
              break;
            }
          }
        }
        p.set_state(s, now);
        break;
      }
      default:
        if (in.flag())
          round_trip(p, now);
        else
          p.reset(now);
        break;
    }
    check_model(p, now);
  }
}

constexpr uint8_t kWeights[fuzz::IrqVm::kNumOps] = {
    4,   // kApicMmio
    3,   // kIoapicMmio
    30,  // kPort
    2,   // kGuestMsr
    1,   // kHostMsr
    3,   // kSetLapic
    4,   // kIrqLine
    1,   // kSignalMsi
    3,   // kEvents
    10,  // kRun
    18,  // kTime
    1,   // kTpr
    6,   // kSetIrqchip
    18,  // kPitState
    4,   // kRouting
    1,   // kFillBus
    3,   // kAllocFailure
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The PIT needs the full irqchip.
  return fuzz::run_irq_target(data, size, fuzz_model, kWeights, fuzz::IrqVm::kPit,
                              fuzz::IrqVm::kSplit);
}

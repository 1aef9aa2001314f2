// SPDX-License-Identifier: GPL-2.0
// The VM's in-kernel PIT (KVM_CREATE_PIT2): the model (pit.hpp) behind its
// ports on the port-I/O bus, channel 0 on a host hrtimer, and IRQ0 driven
// through GSI 0 with upstream's lost-tick policy (KVM_REINJECT_CONTROL).
//
// Reinjection (the default): each expiry adds a pending tick; one IRQ0
// edge is raised at a time, and the next only after the guest acknowledged
// the last (the PIC's INTA of IRQ0, or an EOI of the vector the I/O APIC
// pin of GSI 0 carries). Without it, each expiry raises an edge.
//
// Contexts: the hrtimer callback (hard interrupt) and the port handlers
// take Pit's lock with interrupts off; the callback only counts and queues
// the injection work, which drives GSI 0 in process context.
#include <glue/event.h>
#include <kvmpp/uaccess.hpp>
#include <kxx/new.hpp>
#include <kxx/unique_ptr.hpp>

#include "irqchip.hpp"
#include "pit.hpp"

namespace kvmpp::x86 {

struct PitDevice;

namespace {

class PitPorts final : public IoDevice {
 public:
  explicit PitPorts(PitDevice& d) : d_(d) {}
  bool read(Vcpu&, uint64_t port, unsigned len, void* data) override;
  bool write(Vcpu&, uint64_t port, unsigned len, const void* data) override;

 private:
  PitDevice& d_;
};

class SpeakerPort final : public IoDevice {
 public:
  explicit SpeakerPort(PitDevice& d) : d_(d) {}
  bool read(Vcpu&, uint64_t port, unsigned len, void* data) override;
  bool write(Vcpu&, uint64_t port, unsigned len, const void* data) override;

 private:
  PitDevice& d_;
};

}  // namespace

struct PitDevice {
  explicit PitDevice(Vm& v) : vm(v) {}
  ~PitDevice() {
    kvmg_timer_destroy(timer);
    kvmg_work_destroy(work);
  }
  Vm& vm;
  Spinlock lock{KVMPP_LOCK_CLASS("kvm.pit.lock")};  // the model; taken with interrupts off
  Pit pit;
  PitPorts ports{*this};
  SpeakerPort speaker{*this};
  void* timer = nullptr;  // channel 0
  void* work = nullptr;   // raises IRQ0
  kxx::Atomic<uint32_t> pending{0};
  kxx::Atomic<bool> reinject{true};
  kxx::Atomic<bool> irq_ack{true};
};

namespace {

// Put the host timer where the model's next IRQ0 is (Pit's lock held); a
// timer that is no longer needed is cancelled by the caller, unlocked.
bool arm(PitDevice& d) {
  uint64_t next = d.pit.next_irq_ns();
  if (next) kvmg_timer_start(d.timer, next);
  return next != 0;
}

void disarm_unless(PitDevice& d, bool armed) {
  // The callback sees no expiry in the model and does not re-arm.
  if (!armed) kvmg_timer_cancel(d.timer);
}

void timer_fired(void* arg) {
  auto& d = *static_cast<PitDevice*>(arg);
  uint64_t now = kvmg_monotonic_ns();
  {
    IrqSpinLockGuard g(d.lock);
    uint64_t due = d.pit.next_irq_ns();
    if (!due) return;  // reprogrammed meanwhile
    if (now < due) {
      kvmg_timer_start(d.timer, due);
      return;
    }
    d.pit.expired(now);
    arm(d);
  }
  if (d.reinject.load()) d.pending.fetch_add(1);
  kvmg_work_queue(d.work);
}

void inject(void* arg) {
  auto& d = *static_cast<PitDevice*>(arg);
  if (d.reinject.load() && !d.irq_ack.exchange(false)) return;
  set_irq(d.vm, 0, true);
  set_irq(d.vm, 0, false);
}

bool PitPorts::read(Vcpu&, uint64_t port, unsigned len, void* data) {
  uint8_t v = 0;
  {
    IrqSpinLockGuard g(d_.lock);
    d_.pit.read(uint16_t(port), &v, kvmg_monotonic_ns());
  }
  __builtin_memset(data, 0, len);
  __builtin_memcpy(data, &v, 1);
  return true;
}

bool PitPorts::write(Vcpu&, uint64_t port, unsigned, const void* data) {
  bool armed;
  {
    IrqSpinLockGuard g(d_.lock);
    d_.pit.write(uint16_t(port), *static_cast<const uint8_t*>(data), kvmg_monotonic_ns());
    armed = arm(d_);
  }
  disarm_unless(d_, armed);
  return true;
}

bool SpeakerPort::read(Vcpu&, uint64_t, unsigned len, void* data) {
  uint8_t v;
  {
    IrqSpinLockGuard g(d_.lock);
    v = d_.pit.read_port_b(kvmg_monotonic_ns());
  }
  __builtin_memset(data, 0, len);
  __builtin_memcpy(data, &v, 1);
  return true;
}

bool SpeakerPort::write(Vcpu&, uint64_t, unsigned, const void* data) {
  IrqSpinLockGuard g(d_.lock);
  d_.pit.write_port_b(*static_cast<const uint8_t*>(data), kvmg_monotonic_ns());
  return true;
}

PitDevice* pit_of(Vm& vm) { return __atomic_load_n(&vm.arch()->pit, __ATOMIC_ACQUIRE); }

}  // namespace

kxx::Status create_pit(Vm& vm, const kvm_pit_config& config) {
  // Flags other than KVM_PIT_SPEAKER_DUMMY are ignored, as by stock 6.12.
  return vm.configure([&](bool) -> kxx::Status {
    if (pit_of(vm)) return kxx::Errno::kExist;
    if (!pic_in_kernel(vm)) return kxx::Errno::kNoEnt;  // upstream: no in-kernel PIC
    kxx::UniquePtr<PitDevice> d(new (kxx::Alloc::kSleep) PitDevice(vm));
    if (!d) return kxx::Errno::kNoMem;
    d->pit.reset(kvmg_monotonic_ns());
    d->timer = kvmg_timer_create(timer_fired, d.get());
    d->work = kvmg_work_create(inject, d.get());
    if (!d->timer || !d->work) return kxx::Errno::kNoMem;
    TRY_STATUS(vm.pio_bus().add(pit::kCounter0, 4, &d->ports));
    if (config.flags & KVM_PIT_SPEAKER_DUMMY) {
      if (auto st = vm.pio_bus().add(pit::kPortB, 1, &d->speaker); !st.ok()) {
        vm.pio_bus().remove_all(&d->ports);
        return st;
      }
    }
    __atomic_store_n(&vm.arch()->pit, d.release(), __ATOMIC_RELEASE);
    return kxx::OkStatus();
  });
}

void destroy_pit(arch::VmState& s) {
  delete s.pit;
  s.pit = nullptr;
}

void pit_acked(Vm& vm) {
  PitDevice* d = pit_of(vm);
  if (!d || !d->reinject.load()) return;
  d->irq_ack.store(true);
  // One more pending tick: raise it now that the last one was taken.
  uint32_t p = d->pending.load();
  while (p && !d->pending.compare_exchange(p, p - 1)) {
  }
  if (p > 1) kvmg_work_queue(d->work);
}

bool pit_wants_acks(Vm& vm) {
  PitDevice* d = pit_of(vm);
  return d && d->reinject.load_relaxed();
}

kxx::Status get_pit(Vm& vm, unsigned long uarg, bool v2) {
  PitDevice* d = pit_of(vm);
  if (!d) return kxx::Errno::kNxio;
  kvm_pit_state2 s;
  {
    IrqSpinLockGuard g(d->lock);
    d->pit.get_state(&s);
  }
  if (v2) return copy_to_user(uarg, s);
  kvm_pit_state legacy;
  __builtin_memcpy(legacy.channels, s.channels, sizeof(legacy.channels));
  return copy_to_user(uarg, legacy);
}

kxx::Status set_pit(Vm& vm, unsigned long uarg, bool v2) {
  PitDevice* d = pit_of(vm);
  if (!d) return kxx::Errno::kNxio;
  kvm_pit_state2 s{};
  if (v2) {
    s = TRY(copy_from_user<kvm_pit_state2>(uarg));
  } else {
    auto legacy = TRY(copy_from_user<kvm_pit_state>(uarg));
    IrqSpinLockGuard g(d->lock);
    d->pit.get_state(&s);  // the flags stay
    __builtin_memcpy(s.channels, legacy.channels, sizeof(s.channels));
  }
  bool armed;
  {
    IrqSpinLockGuard g(d->lock);
    d->pit.set_state(s, kvmg_monotonic_ns());
    armed = arm(*d);
  }
  disarm_unless(*d, armed);
  return kxx::OkStatus();
}

kxx::Status reinject_control(Vm& vm, unsigned long uarg) {
  auto c = TRY(copy_from_user<kvm_reinject_control>(uarg));
  PitDevice* d = pit_of(vm);
  if (!d) return kxx::Errno::kNxio;
  if (c.pit_reinject) d->irq_ack.store(true);
  d->reinject.store(c.pit_reinject != 0);
  return kxx::OkStatus();
}

}  // namespace kvmpp::x86

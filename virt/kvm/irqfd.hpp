// SPDX-License-Identifier: GPL-2.0
// KVM_IRQFD: an eventfd that injects an interrupt into a GSI when signalled,
// with no trip through user space (api.rst, "KVM_IRQFD"); with
// KVM_IRQFD_FLAG_RESAMPLE the GSI is level-triggered: the signal asserts it,
// the guest's EOI de-asserts it and signals the resample eventfd.
//
// Lifetimes. An irqfd references its eventfd context and watches the
// eventfd's wait queue. The wake-up callback (the waker's context: the
// eventfd's lock held, interrupts off) only queues the irqfd's injection
// work; the injection itself runs in process context through the arch
// layer. Closing the eventfd (a hangup) deactivates the irqfd from the
// callback and leaves it to the reaper work; KVM_IRQFD_FLAG_DEASSIGN and VM
// destruction deactivate and reap at once. Reaping unhooks the watch (which
// waits for a running callback), cancels the injection work and drops the
// references, so nothing fires into a freed irqfd or VM.
//
// Locking: config_ (mutex) serializes assign, deassign and reaping; lock_
// (IRQ-safe spinlock, taken by the hangup callback) guards the lists. The
// resample eventfds are read by the EOI path through an RCU-published set,
// never under lock_, so no eventfd lock nests inside lock_.
#pragma once

#include <abi/kvm_abi.h>
#include <kvmpp/mutex.hpp>
#include <kxx/atomic.hpp>
#include <kxx/result.hpp>

namespace kvmpp {

class Vm;

class Irqfds {
 public:
  explicit Irqfds(Vm& vm) : vm_(vm) {}
  ~Irqfds();
  Irqfds(const Irqfds&) = delete;
  Irqfds& operator=(const Irqfds&) = delete;

  // KVM_IRQFD: assign, or deassign with KVM_IRQFD_FLAG_DEASSIGN.
  kxx::Status ioctl(const kvm_irqfd& args);
  // Deassign everything and wait for it to be gone (VM destruction, before
  // the interrupt controllers are freed). Sleeps.
  void release_all();

  // The arch layer: the guest acknowledged @gsi's level-triggered interrupt
  // (an EOI), before the interrupt controller re-evaluates the line. Lower
  // the line of every resampling irqfd on @gsi and signal their resample
  // eventfds. Any context that may spin; does not sleep.
  void acked(uint32_t gsi);
  // Whether acked() has anything to do (a cheap check for the EOI path).
  bool resampling() const { return resample_.load_relaxed() != nullptr; }

  unsigned count() const { return count_.load_relaxed(); }

 private:
  struct Irqfd;
  struct ResampleSet;
  kxx::Status assign(const kvm_irqfd& args);
  kxx::Status deassign(const kvm_irqfd& args);
  // Move every irqfd @match accepts from the active list to the dead one
  // (under lock_). Returns how many moved.
  template <typename Match>
  unsigned deactivate(Match match);
  // Free the dead irqfds, first dropping them from the resample set
  // (config_ held).
  void reap();
  static bool in_list(const Irqfd* list, const Irqfd* irqfd);
  void publish(ResampleSet* set);  // frees the old set after readers
  kxx::Status resample_add(const Irqfd* irqfd);
  void resample_remove(const Irqfd* dead);
  static void on_signal(void* irqfd);
  static void on_hangup(void* irqfd);
  static void inject(void* irqfd);
  static void reap_work(void* self);

  Vm& vm_;
  Mutex config_{KVMPP_LOCK_CLASS("kvm.irqfd.config")};
  Spinlock lock_{KVMPP_LOCK_CLASS("kvm.irqfd.lock")};
  Irqfd* active_ = nullptr;         // under lock_
  Irqfd* dead_ = nullptr;           // under lock_
  kxx::Atomic<unsigned> count_{0};  // active irqfds, changed under lock_
  void* reaper_ = nullptr;          // work: reap after a hangup; made with the first irqfd
  kxx::Atomic<ResampleSet*> resample_{nullptr};  // RCU; null when empty
};

}  // namespace kvmpp

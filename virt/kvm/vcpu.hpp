// SPDX-License-Identifier: GPL-2.0
// A virtual CPU: what a KVM_CREATE_VCPU fd refers to. Owned by its VM; its
// file holds a reference on the VM, not on the vCPU.
#pragma once

#include <abi/kvm_abi.h>
#include <glue/glue.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/mutex.hpp>
#include <kxx/atomic.hpp>
#include <kxx/result.hpp>
#include <kxx/unique_ptr.hpp>

#include "dirty_ring.hpp"
#include "halt_poll.hpp"

namespace kvmpp {

class Vm;

class Vcpu {
 public:
  static kxx::Result<kxx::UniquePtr<Vcpu>> create(Vm& vm, unsigned id);
  ~Vcpu();
  Vcpu(const Vcpu&) = delete;
  Vcpu& operator=(const Vcpu&) = delete;

  Vm& vm() const { return vm_; }
  unsigned id() const { return id_; }
  kvm_run* run() const { return static_cast<kvm_run*>(pages_[0]); }
  // Page @pgoff of the mmap area, or nullptr past its end.
  void* mmap_page(unsigned long pgoff) const;
  // Whether [pgoff, pgoff + npages) may be mapped so: the dirty ring only
  // shared and not executable (-EINVAL, as upstream).
  kxx::Status mmap_allowed(unsigned long pgoff, unsigned long npages, bool shared, bool exec) const;
  // The dirty ring (KVM_CAP_DIRTY_LOG_RING), or nullptr.
  DirtyRing* dirty_ring() const { return dirty_ring_.get(); }
  // Serializes ioctls on this vCPU.
  Mutex& mutex() { return mutex_; }
  // KVM_SET_SIGNAL_MASK: the signals blocked while KVM_RUN runs (none
  // changed unless set; the vCPU mutex protects it).
  bool sigmask_active = false;
  uint64_t sigmask = 0;
  arch::VcpuState& arch() { return *arch_; }
  void* backend_vcpu() const { return backend_vcpu_; }

  // Requests other threads make of this vCPU, handled before its next
  // entry into the guest; kicks make a running guest exit to see them.
  enum Request : uint32_t {
    kRequestTlbFlush = 1u << 0,
    // Interrupt state changed (an interrupt or INIT/SIPI arrived): look at
    // it again before entering. The arch layer interprets it.
    kRequestEvent = 1u << 1,
    // The vCPU's timer expired (set from hard interrupt context).
    kRequestTimer = 1u << 2,
    // x86: kvmclock changed; rewrite the guest's pvclock structure.
    kRequestClockUpdate = 1u << 3,
  };
  // Requests that stop an entry into the guest until they are handled.
  static constexpr uint32_t kEntryBlockingRequests = kRequestEvent | kRequestTimer;
  void make_request(uint32_t r) { requests_.fetch_or(r); }
  bool take_request(uint32_t r) { return requests_.fetch_and(~r) & r; }
  bool has_request(uint32_t r) const { return requests_.load() & r; }
  // Post @r from any context (hard interrupts included) and make the vCPU
  // notice it: wake it if it is blocked, interrupt it if it is in the guest.
  void post_request(uint32_t r);
  // Block until one of @mask is requested or a signal is pending (the
  // caller checks which). Returns -EINTR on a signal.
  kxx::Status wait_for_request(uint32_t mask);
  // A halted vCPU's wait for one of @mask: poll for a while, then block
  // (halt_poll.hpp). -EINTR on a signal; @out says how it went.
  kxx::Status halt(uint32_t mask, HaltOutcome& out);
  // Guest mode, for kicks: the run loop sets it with interrupts off before
  // it checks requests, and clears it after the exit.
  void enter_guest_mode(unsigned cpu) {
    cpu_ = cpu;
    in_guest_.store_seq_cst(1);
  }
  void exit_guest_mode() { in_guest_.store(0); }
  // Make a pending request seen: if the vCPU is in the guest, interrupt it
  // and wait until it has left guest mode.
  void kick();
  // Whether the vCPU is in guest mode, and on which CPU.
  bool in_guest_on(unsigned* cpu) const {
    if (!in_guest_.load_seq_cst()) return false;
    *cpu = cpu_;
    return true;
  }

 private:
  Vcpu(Vm& vm, unsigned id) : vm_(vm), id_(id) {}

  Vm& vm_;
  const unsigned id_;
  Mutex mutex_{KVMPP_LOCK_CLASS("kvm.vcpu.mutex")};
  kvmg_waitq waitq_;
  uint32_t wait_mask_ = 0;  // what wait_for_request() waits for
  HaltPollWindow halt_poll_;
  void* pages_[arch::kVcpuOwnPages] = {};
  void* backend_vcpu_ = nullptr;
  arch::VcpuState* arch_ = nullptr;  // the arch layer's, opaque here
  kxx::UniquePtr<DirtyRing> dirty_ring_;
  kxx::Atomic<uint32_t> requests_{0};
  kxx::Atomic<int> in_guest_{0};
  unsigned cpu_ = 0;
  bool arch_initialized_ = false;
};

}  // namespace kvmpp

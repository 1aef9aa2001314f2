// SPDX-License-Identifier: GPL-2.0
// A virtual machine: what a KVM_CREATE_VM fd refers to.
//
// Lifetime: reference counted. The VM fd owns one reference and every vCPU fd
// owns one; the VM owns its vCPUs and frees them when the last reference goes.
// Locking: lock_ serializes vCPU creation and VM-wide configuration.
#pragma once

#include <kvmpp/arch.hpp>
#include <kvmpp/backend.hpp>
#include <kvmpp/mutex.hpp>
#include <kvmpp/stats.hpp>
#include <kxx/bitmap.hpp>
#include <kxx/ref_ptr.hpp>
#include <kxx/result.hpp>

#include "coalesced_io.hpp"
#include "dirty_log.hpp"
#include "halt_poll.hpp"
#include "io_bus.hpp"
#include "ioeventfd.hpp"
#include "irqfd.hpp"
#include "memslot.hpp"

namespace kvmpp {

class Vcpu;

class Vm : public kxx::RefCounted<Vm> {
 public:
  // A new VM for the calling process, with one reference for the caller.
  static kxx::Result<kxx::RefPtr<Vm>> create(unsigned long type);

  // The VM may only be used by the process that created it (not after fork),
  // and not after an internal inconsistency marked it dead.
  bool usable_by_current() const;
  // Mark the VM dead after an internal inconsistency: later ioctls get -EIO.
  void mark_dead(const char* why);

  // KVM_CREATE_VCPU: the new vCPU's fd, or an error.
  kxx::Result<int> create_vcpu(unsigned long id);
  // KVM_CAP_MAX_VCPU_ID: the bound on vCPU ids, settable once before the
  // first vCPU exists (x86 semantics, shared by the generic core).
  // @allow (called under the configuration lock with the new bound) may
  // refuse it for arch reasons (x86: below the boot vCPU's id).
  template <typename F>
  kxx::Status set_max_vcpu_ids(uint64_t n, F allow) {
    MutexLock guard(lock_);
    if (!allow(n)) return kxx::Errno::kInval;
    return set_max_vcpu_ids_locked(n);
  }
  unsigned max_vcpu_ids() const;
  // Halt polling for this VM's vCPUs: the module's parameters, with the
  // maximum KVM_CAP_HALT_POLL set (any time, any number of times) in place
  // of kvm.halt_poll_ns.
  HaltPollParams halt_poll_params() const;
  kxx::Status set_halt_poll_max(uint64_t ns);
  // Run @fn under the configuration lock, which vCPU creation also takes;
  // @fn learns whether any vCPU was created (KVM_CREATE_IRQCHIP and other
  // set-up that must precede vCPUs).
  template <typename F>
  kxx::Status configure(F fn) {
    MutexLock guard(lock_);
    return fn(created_vcpus_ != 0);
  }

  // KVM_SET_USER_MEMORY_REGION(2).
  kxx::Status set_memory_region(const kvm_userspace_memory_region2& req);
  // Guest memory layout. Hold slots_lock() for reading while using it.
  RwSem& slots_lock() { return slots_lock_; }
  const Memslots& memslots() const { return memslots_; }

  // Dirty logging (dirty_log.hpp): what KVM_ENABLE_CAP chose (changed under
  // the configuration lock, see configure()), and the lock that serializes
  // collecting dirty pages.
  DirtyLogConfig& dirty_config() { return dirty_config_; }
  const DirtyLogConfig& dirty_config() const { return dirty_config_; }
  Mutex& dirty_lock() { return dirty_lock_; }

  // The MMU lock protects the arch layer's guest mappings (TDP tables).
  // A fault records mmu_sequence() before it looks up the host page and
  // installs the mapping, under the lock, only if no invalidation ran or
  // is running since (mmu_fault_still_valid()).
  Spinlock& mmu_lock() { return mmu_lock_; }
  uint64_t mmu_sequence() const { return mmu_seq_.load(); }
  bool mmu_fault_still_valid(uint64_t seq) const {
    return mmu_invalidating_ == 0 && mmu_seq_.load_relaxed() == seq;
  }
  // MMU notifier callbacks (see glue/core.h): the VMM's mapping of
  // [start, end) is changing or the whole address space is going away.
  void mmu_invalidate_start(uint64_t start, uint64_t end);
  void mmu_invalidate_end(uint64_t start, uint64_t end);
  void mmu_release();
  // Make every vCPU flush its guest TLB before it next runs guest code,
  // and wait for running ones to leave the guest.
  void flush_tlbs();
  arch::VmState* arch() const { return arch_; }
  // Free page-table pages a zap unlinked, once TLBs no longer use them.
  void free_zapped(arch::ZappedTables& tables);

  // Statistics (KVM_GET_STATS_FD) and the creator's pid that names them.
  Stats<arch::kNumVmStats>& stats() { return stats_; }
  int creator_pid() const { return creator_pid_; }
  // The in-kernel devices' address ranges (io_bus.hpp).
  IoBus& pio_bus() { return pio_bus_; }
  IoBus& mmio_bus() { return mmio_bus_; }
  // Coalesced MMIO/PIO zones and their ring.
  CoalescedIo& coalesced() { return coalesced_; }
  // KVM_IOEVENTFD and KVM_IRQFD registrations.
  Ioeventfds& ioeventfds() { return ioeventfds_; }
  Irqfds& irqfds() { return irqfds_; }

  unsigned online_vcpus() const { return online_vcpus_.load(); }
  Vcpu* vcpu_at(unsigned index) const;
  const BackendOps& backend() const { return *backend_; }

 private:
  kxx::Status set_max_vcpu_ids_locked(uint64_t n);
  friend class kxx::RefCounted<Vm>;
  Vm(const BackendOps* backend, void* mm) : backend_(backend), mm_(mm) {}
  ~Vm();

  const BackendOps* const backend_;
  void* const mm_;  // the creator's address space, pinned
  Mutex lock_{KVMPP_LOCK_CLASS("kvm.vm.lock")};
  bool dead_ = false;
  // Protected by lock_:
  unsigned max_vcpu_ids_ = 0;                  // 0 until set or until the first vCPU
  kxx::Atomic<int64_t> halt_poll_max_ns_{-1};  // KVM_CAP_HALT_POLL's; -1: unset
  unsigned created_vcpus_ = 0;
  kxx::Bitmap vcpu_ids_;    // ids in use
  Vcpu** vcpus_ = nullptr;  // [arch::kMaxVcpus], in creation order
  kxx::Atomic<unsigned> online_vcpus_{0};
  // Guest memory: changed with slots_lock_ held for writing and, for the
  // commit, mmu_lock_ (the MMU notifier reads it under mmu_lock_ only).
  RwSem slots_lock_{KVMPP_LOCK_CLASS("kvm.vm.slots_lock")};
  Memslots memslots_;
  DirtyLogConfig dirty_config_;
  Mutex dirty_lock_{KVMPP_LOCK_CLASS("kvm.vm.dirty_lock")};
  Spinlock mmu_lock_{KVMPP_LOCK_CLASS("kvm.vm.mmu_lock")};
  kxx::Atomic<uint64_t> mmu_seq_{0};
  int mmu_invalidating_ = 0;  // protected by mmu_lock_
  arch::VmState* arch_ = nullptr;
  void* mmu_notifier_ = nullptr;
  Stats<arch::kNumVmStats> stats_;
  int creator_pid_ = 0;
  IoBus pio_bus_, mmio_bus_;  // before every device that registers on them
  CoalescedIo coalesced_{mmio_bus_, pio_bus_};
  Ioeventfds ioeventfds_{mmio_bus_, pio_bus_};
  Irqfds irqfds_{*this};  // released first in ~Vm: they inject through arch_
};

}  // namespace kvmpp

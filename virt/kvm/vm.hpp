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
#include <kxx/bitmap.hpp>
#include <kxx/ref_ptr.hpp>
#include <kxx/result.hpp>

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
  kxx::Status set_max_vcpu_ids(uint64_t n);
  unsigned max_vcpu_ids() const;

  // KVM_SET_USER_MEMORY_REGION(2).
  kxx::Status set_memory_region(const kvm_userspace_memory_region2& req, bool v2);
  // Guest memory layout. Hold slots_lock() for reading while using it.
  RwSem& slots_lock() { return slots_lock_; }
  const Memslots& memslots() const { return memslots_; }

  unsigned online_vcpus() const { return online_vcpus_.load(); }
  Vcpu* vcpu_at(unsigned index) const;
  const BackendOps& backend() const { return *backend_; }

 private:
  friend class kxx::RefCounted<Vm>;
  Vm(const BackendOps* backend, void* mm) : backend_(backend), mm_(mm) {}
  ~Vm();

  const BackendOps* const backend_;
  void* const mm_;  // the creator's address space, pinned
  Mutex lock_;
  bool dead_ = false;
  // Protected by lock_:
  unsigned max_vcpu_ids_ = 0;  // 0 until set or until the first vCPU
  unsigned created_vcpus_ = 0;
  kxx::Bitmap vcpu_ids_;    // ids in use
  Vcpu** vcpus_ = nullptr;  // [arch::kMaxVcpus], in creation order
  kxx::Atomic<unsigned> online_vcpus_{0};
  // Guest memory: changed with slots_lock_ held for writing.
  RwSem slots_lock_;
  Memslots memslots_;
};

}  // namespace kvmpp

// SPDX-License-Identifier: GPL-2.0
// A virtual CPU: what a KVM_CREATE_VCPU fd refers to. Owned by its VM; its
// file holds a reference on the VM, not on the vCPU.
#pragma once

#include <uapi/kvm_abi.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/mutex.hpp>
#include <kxx/result.hpp>
#include <kxx/unique_ptr.hpp>

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
  // Serializes ioctls on this vCPU.
  Mutex& mutex() { return mutex_; }
  arch::VcpuState& arch() { return arch_; }

 private:
  Vcpu(Vm& vm, unsigned id) : vm_(vm), id_(id) {}

  Vm& vm_;
  const unsigned id_;
  Mutex mutex_;
  void* pages_[arch::kVcpuMmapPages] = {};
  void* backend_vcpu_ = nullptr;
  arch::VcpuState arch_;
};

}  // namespace kvmpp

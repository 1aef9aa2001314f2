// SPDX-License-Identifier: GPL-2.0
#include "vm.hpp"

#include <glue/glue.h>
#include <kxx/scope_guard.hpp>
#include <kxx/unique_ptr.hpp>

#include "core.hpp"
#include "vcpu.hpp"

namespace kvmpp {

kxx::Result<kxx::RefPtr<Vm>> Vm::create(unsigned long type) {
  if (type >= 64 || !(arch::kSupportedVmTypes & (uint64_t(1) << type))) return kxx::Errno::kInval;
  const BackendOps* ops = kvmpp::backend();
  if (!ops) return kxx::Errno::kNoDev;

  void* mm = kvmg_mm_grab_current();
  if (!mm) return kxx::Errno::kInval;  // a kernel thread has no address space
  Vm* raw = new (kxx::Alloc::kSleep) Vm(ops, mm);
  if (!raw) {
    kvmg_mm_drop(mm);
    return kxx::Errno::kNoMem;
  }
  // From here the destructor releases everything acquired so far.
  auto vm = kxx::RefPtr<Vm>::adopt(raw);
  vm->vcpus_ = new (kxx::Alloc::kSleepZero) Vcpu*[arch::kMaxVcpus];
  if (!vm->vcpus_) return kxx::Errno::kNoMem;
  if (!vm->vcpu_ids_.allocate(arch::kMaxVcpuIds, kxx::Alloc::kSleep)) return kxx::Errno::kNoMem;
  return vm;
}

Vm::~Vm() {
  if (vcpus_) {
    for (unsigned i = 0; i < online_vcpus_.load(); i++) delete vcpus_[i];
    delete[] vcpus_;
  }
  kvmg_mm_drop(mm_);
}

bool Vm::usable_by_current() const {
  return kvmg_current_mm() == mm_ && !__atomic_load_n(&dead_, __ATOMIC_ACQUIRE);
}

void Vm::mark_dead(const char* why) {
  __atomic_store_n(&dead_, true, __ATOMIC_RELEASE);
  kvmg_warn_once(why);
}

unsigned Vm::max_vcpu_ids() const {
  unsigned n = __atomic_load_n(&max_vcpu_ids_, __ATOMIC_ACQUIRE);
  return n ? n : arch::kMaxVcpuIds;
}

kxx::Status Vm::set_max_vcpu_ids(uint64_t n) {
  if (n > arch::kMaxVcpuIds) return kxx::Errno::kInval;
  MutexLock guard(lock_);
  if (max_vcpu_ids_ == n) return kxx::OkStatus();
  if (max_vcpu_ids_ != 0) return kxx::Errno::kInval;  // already fixed
  __atomic_store_n(&max_vcpu_ids_, unsigned(n), __ATOMIC_RELEASE);
  return kxx::OkStatus();
}

kxx::Status Vm::set_memory_region(const kvm_userspace_memory_region2& req, bool v2) {
  WriteLock guard(slots_lock_);
  auto change = TRY(memslots_.plan(req, v2));
  TRY_STATUS(memslots_.apply(change));
  // With the lock held for writing no fault is in flight: once the arch
  // layer has dropped its mappings of the old range, no vCPU can reach it.
  arch::memslot_changed(*this, change);
  return kxx::OkStatus();
}

Vcpu* Vm::vcpu_at(unsigned index) const {
  return index < online_vcpus_.load() ? vcpus_[index] : nullptr;
}

kxx::Result<int> Vm::create_vcpu(unsigned long id) {
  if (id >= max_vcpu_ids()) return kxx::Errno::kInval;
  MutexLock guard(lock_);
  // The first vCPU fixes the id bound (KVM_CAP_MAX_VCPU_ID can no longer change).
  if (max_vcpu_ids_ == 0) __atomic_store_n(&max_vcpu_ids_, arch::kMaxVcpuIds, __ATOMIC_RELEASE);
  if (id >= max_vcpu_ids_) return kxx::Errno::kInval;
  if (created_vcpus_ >= arch::kMaxVcpus) return kxx::Errno::kInval;
  if (vcpu_ids_.test(id)) return kxx::Errno::kExist;

  auto vcpu = TRY(Vcpu::create(*this, unsigned(id)));
  // The vCPU's file owns a reference on the VM.
  get();
  int fd = kvmg_fd_create_vcpu(vcpu.get(), unsigned(id));
  if (fd < 0) {
    put();  // cannot be the last: the caller's VM file holds one
    return kxx::Error(kxx::Errno(-fd));
  }
  vcpu_ids_.set(id);
  created_vcpus_++;
  vcpus_[online_vcpus_.load()] = vcpu.release();
  online_vcpus_.fetch_add(1);
  return fd;
}

}  // namespace kvmpp

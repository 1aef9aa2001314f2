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
  TRY_STATUS(vm->coalesced_.init());
  vm->creator_pid_ = kvmg_current_pid();
  vm->arch_ = TRY(arch::vm_init(*vm));
  // Last: from here on the VMM's address-space changes reach this VM.
  vm->mmu_notifier_ = kvmg_mmu_notifier_register(vm.get());
  if (!vm->mmu_notifier_) return kxx::Errno::kNoMem;
  return vm;
}

Vm::~Vm() {
  // First: no notifier callback may run against a half-destroyed VM, and
  // no irqfd or device timer may inject into it (their work items look up
  // the vCPUs).
  kvmg_mmu_notifier_unregister(mmu_notifier_);
  irqfds_.release_all();
  if (arch_) arch::vm_stop_devices(arch_);
  if (vcpus_) {
    for (unsigned i = 0; i < online_vcpus_.load(); i++) delete vcpus_[i];
    delete[] vcpus_;
  }
  if (arch_) arch::vm_destroy(arch_);
  kvmg_mm_drop(mm_);
}

bool Vm::usable_by_current() const {
  return kvmg_current_mm() == mm_ && !__atomic_load_n(&dead_, __ATOMIC_ACQUIRE);
}

void Vm::mark_dead(const char* why) {
  __atomic_store_n(&dead_, true, __ATOMIC_RELEASE);
  kvmg_warn_once(why);
}

HaltPollParams Vm::halt_poll_params() const {
  kvmg_halt_poll_params g;
  kvmg_halt_poll_params_get(&g);
  HaltPollParams p{g.max_ns, g.grow, g.grow_start, g.shrink};
  if (int64_t own = halt_poll_max_ns_.load(); own >= 0) p.max_ns = uint32_t(own);
  return p;
}

kxx::Status Vm::set_halt_poll_max(uint64_t ns) {
  // The window is 32 bits wide, as upstream's.
  if (ns > 0xffffffffull) return kxx::Errno::kInval;
  halt_poll_max_ns_.store(int64_t(ns));
  return kxx::OkStatus();
}

unsigned Vm::max_vcpu_ids() const {
  unsigned n = __atomic_load_n(&max_vcpu_ids_, __ATOMIC_ACQUIRE);
  return n ? n : arch::kMaxVcpuIds;
}

kxx::Status Vm::set_max_vcpu_ids_locked(uint64_t n) {
  if (n > arch::kMaxVcpuIds) return kxx::Errno::kInval;
  if (max_vcpu_ids_ == n) return kxx::OkStatus();
  if (max_vcpu_ids_ != 0) return kxx::Errno::kInval;  // already fixed
  __atomic_store_n(&max_vcpu_ids_, unsigned(n), __ATOMIC_RELEASE);
  return kxx::OkStatus();
}

kxx::Status Vm::set_memory_region(const kvm_userspace_memory_region2& req) {
  WriteLock guard(slots_lock_);
  auto change = TRY(memslots_.plan(req));
  if (change.kind != MemslotChange::kDelete)
    TRY_STATUS(dirty_bitmap_prepare(*this, change, change.new_slot));
  // A dirty bitmap the new slot does not share with the old one is freed:
  // the new one if the change fails, the old one once it is committed.
  bool shared = change.new_slot.dirty_bitmap == change.old_slot.dirty_bitmap;
  uint64_t* unused_bitmap = shared ? nullptr : change.new_slot.dirty_bitmap;
  auto free_unused = kxx::defer([&] { dirty_bitmap_free(unused_bitmap); });
  auto room = TRY(memslots_.prepare(change));
  unused_bitmap = shared ? nullptr : change.old_slot.dirty_bitmap;
  Memslot* replaced;
  arch::ZappedTables tables;
  {
    // With slots_lock_ held for writing no fault is in flight; under the
    // MMU lock the notifier sees either the old or the new layout.
    SpinLockGuard mmu(mmu_lock_);
    replaced = memslots_.commit(change, room);
    mmu_seq_.fetch_add(1);
    arch::memslot_changed(*this, change, &tables);
  }
  delete[] replaced;
  if (change.kind == MemslotChange::kDelete || change.kind == MemslotChange::kMove ||
      change.kind == MemslotChange::kFlagsOnly)
    flush_tlbs();
  free_zapped(tables);
  return kxx::OkStatus();
}

void Vm::flush_tlbs() {
  stats_.inc(kVmStatRemoteTlbFlush);
  unsigned n = online_vcpus_.load();
  for (unsigned i = 0; i < n; i++) vcpus_[i]->make_request(Vcpu::kRequestTlbFlush);
  for (unsigned i = 0; i < n; i++) vcpus_[i]->kick();
}

void Vm::free_zapped(arch::ZappedTables& tables) {
  // Only after every vCPU flushed: no TLB still points into these tables.
  for (unsigned i = 0; i < tables.count; i++) kvmg_page_free(tables.pages[i]);
  tables.count = 0;
}

void Vm::mmu_invalidate_start(uint64_t start, uint64_t end) {
  bool flush = false;
  arch::ZappedTables tables;
  {
    SpinLockGuard mmu(mmu_lock_);
    mmu_invalidating_++;
    mmu_seq_.fetch_add(1);
    for (unsigned i = 0; i < memslots_.size(); i++) {
      const Memslot& s = memslots_.at(i);
      uint64_t s_end = s.userspace_addr + (s.npages << kPageShift);
      uint64_t lo = kxx::max(start, s.userspace_addr), hi = kxx::min(end, s_end);
      if (lo >= hi) continue;
      uint64_t first = s.base_gfn + ((lo - s.userspace_addr) >> kPageShift);
      uint64_t last = s.base_gfn + ((hi - 1 - s.userspace_addr) >> kPageShift);
      flush |= arch::zap_gfns(*this, first, last + 1, &tables);
    }
  }
  if (flush) flush_tlbs();
  free_zapped(tables);
}

void Vm::mmu_invalidate_end(uint64_t, uint64_t) {
  SpinLockGuard mmu(mmu_lock_);
  mmu_seq_.fetch_add(1);
  mmu_invalidating_--;
}

void Vm::mmu_release() {
  bool flush;
  arch::ZappedTables tables;
  {
    SpinLockGuard mmu(mmu_lock_);
    mmu_seq_.fetch_add(1);
    flush = arch::zap_gfns(*this, 0, ~uint64_t(0) >> kPageShift, &tables);
  }
  if (flush) flush_tlbs();
  free_zapped(tables);
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
  // The vCPU's file owns a reference on the VM. Its ioctls wait on the
  // vCPU's mutex until the vCPU is online (reachable by TLB flushes).
  get();
  vcpu->mutex().lock();
  int fd = kvmg_fd_create_vcpu(vcpu.get(), unsigned(id));
  if (fd < 0) {
    vcpu->mutex().unlock();
    put();  // cannot be the last: the caller's VM file holds one
    return kxx::Error(kxx::Errno(-fd));
  }
  vcpu_ids_.set(id);
  created_vcpus_++;
  Vcpu* published = vcpu.release();
  vcpus_[online_vcpus_.load()] = published;
  online_vcpus_.fetch_add(1);
  published->mutex().unlock();
  return fd;
}

}  // namespace kvmpp

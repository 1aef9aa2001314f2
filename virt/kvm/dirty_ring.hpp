// SPDX-License-Identifier: GPL-2.0
// A vCPU's dirty ring (api.rst, KVM_CAP_DIRTY_LOG_RING): the pages its guest
// and the kernel on its behalf dirtied, as kvm_dirty_gfn entries in memory
// the VMM maps from the vCPU fd.
//
// One producer, the vCPU's own thread, pushes entries (flags 0 -> DIRTY);
// the VMM harvests them (DIRTY -> RESET); KVM_RESET_DIRTY_RINGS, one at a
// time per VM, recycles harvested entries (RESET -> 0) and re-protects their
// pages. The two indices run freely; entry i lives at i % size.
#pragma once

#include <abi/kvm_abi.h>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp {

class DirtyRing {
 public:
  // Entries kept free below a full ring: the vCPU exits with
  // KVM_EXIT_DIRTY_RING_FULL once fewer than these are left, so the writes
  // it makes before it can leave always fit.
  static constexpr uint32_t kReserved = 64;
  // Limits of the size in bytes (api.rst; upstream's values).
  static constexpr uint32_t kMaxEntries = 65536;
  static constexpr uint64_t kMaxBytes = uint64_t(kMaxEntries) * sizeof(kvm_dirty_gfn);
  static constexpr unsigned kEntriesPerPage = 4096 / sizeof(kvm_dirty_gfn);

  // The errno KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING) gives for @bytes, or 0.
  static kxx::Status check_size(uint64_t bytes);

  DirtyRing() = default;
  ~DirtyRing();
  DirtyRing(const DirtyRing&) = delete;
  DirtyRing& operator=(const DirtyRing&) = delete;

  // Allocate the zeroed pages of a ring of @bytes (check_size() passed).
  kxx::Status init(uint32_t bytes);
  uint32_t size() const { return size_; }
  unsigned pages() const { return size_ / kEntriesPerPage; }
  // Page @i of the ring, for mmap (nullptr past the end).
  void* page(unsigned i) const { return i < pages() ? pages_[i] : nullptr; }

  // Record @offset of @slot (address space << 16 | id). False when the
  // ring is completely full (nothing recorded).
  bool push(uint32_t slot, uint64_t offset);
  // Entries pushed and not yet reset.
  uint32_t used() const;
  // Whether the vCPU must leave for the VMM to harvest before it runs on.
  bool soft_full() const { return used() >= size_ - kReserved; }

  // Recycle the harvested entries from the reset index on, calling
  // @protect(slot, offset) for each; stops at the first entry the VMM has
  // not harvested. Returns how many were recycled.
  template <typename F>
  uint32_t reset(F protect) {
    uint32_t n = 0;
    while (reset_index_ != __atomic_load_n(&dirty_index_, __ATOMIC_ACQUIRE)) {
      kvm_dirty_gfn& e = entry(reset_index_);
      if (!(__atomic_load_n(&e.flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_RESET)) break;
      protect(e.slot, e.offset);
      __atomic_store_n(&e.flags, 0u, __ATOMIC_RELAXED);
      __atomic_store_n(&reset_index_, reset_index_ + 1, __ATOMIC_RELEASE);
      n++;
    }
    return n;
  }

 private:
  kvm_dirty_gfn& entry(uint32_t index) const {
    uint32_t i = index & (size_ - 1);
    return static_cast<kvm_dirty_gfn*>(pages_[i / kEntriesPerPage])[i % kEntriesPerPage];
  }

  void** pages_ = nullptr;
  uint32_t size_ = 0;         // entries, a power of two
  uint32_t dirty_index_ = 0;  // next to push (the vCPU's thread writes it)
  uint32_t reset_index_ = 0;  // next to reset (KVM_RESET_DIRTY_RINGS writes it)
};

}  // namespace kvmpp

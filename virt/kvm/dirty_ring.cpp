// SPDX-License-Identifier: GPL-2.0
#include "dirty_ring.hpp"

#include <glue/glue.h>
#include <kxx/new.hpp>

namespace kvmpp {

kxx::Status DirtyRing::check_size(uint64_t bytes) {
  // A power of two, at least a page and room for the reserved entries.
  if (!bytes || (bytes & (bytes - 1))) return kxx::Errno::kInval;
  if (bytes < KVMG_PAGE_SIZE || bytes < kReserved * sizeof(kvm_dirty_gfn))
    return kxx::Errno::kInval;
  if (bytes > kMaxBytes) return kxx::Errno::kTooBig;
  return kxx::OkStatus();
}

DirtyRing::~DirtyRing() {
  if (!pages_) return;
  for (unsigned i = 0; i < pages(); i++) kvmg_page_free(pages_[i]);
  delete[] pages_;
}

kxx::Status DirtyRing::init(uint32_t bytes) {
  uint32_t entries = bytes / sizeof(kvm_dirty_gfn);
  unsigned n = entries / kEntriesPerPage;
  pages_ = new (kxx::Alloc::kSleepZero) void*[n];
  if (!pages_) return kxx::Errno::kNoMem;
  size_ = entries;  // from here the destructor frees what was allocated
  for (unsigned i = 0; i < n; i++) {
    pages_[i] = kvmg_page_alloc();  // zeroed
    if (!pages_[i]) return kxx::Errno::kNoMem;
  }
  return kxx::OkStatus();
}

uint32_t DirtyRing::used() const {
  return __atomic_load_n(&dirty_index_, __ATOMIC_ACQUIRE) -
         __atomic_load_n(&reset_index_, __ATOMIC_ACQUIRE);
}

bool DirtyRing::push(uint32_t slot, uint64_t offset) {
  if (used() >= size_) return false;
  kvm_dirty_gfn& e = entry(dirty_index_);
  e.slot = slot;
  e.offset = offset;
  // The VMM sees the flag only after the slot and offset.
  __atomic_store_n(&e.flags, KVM_DIRTY_GFN_F_DIRTY, __ATOMIC_RELEASE);
  __atomic_store_n(&dirty_index_, dirty_index_ + 1, __ATOMIC_RELEASE);
  return true;
}

}  // namespace kvmpp

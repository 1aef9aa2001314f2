// SPDX-License-Identifier: GPL-2.0
// Guest memory slots: what KVM_SET_USER_MEMORY_REGION(2) configures.
//
// A Memslots set is a sorted array of slots (by guest frame number) for
// binary-search lookup on the fault path. It is only modified by its VM with
// the VM's slots lock held for writing; readers hold it for reading.
#pragma once

#include <abi/kvm_abi.h>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp {

inline constexpr unsigned kPageShift = 12;

struct Memslot {
  uint16_t id = 0;
  uint32_t flags = 0;
  uint64_t base_gfn = 0;
  uint64_t npages = 0;
  uint64_t userspace_addr = 0;
  // With KVM_MEM_LOG_DIRTY_PAGES and no dirty ring: one bit per page, then
  // as many words of scratch for KVM_GET/CLEAR_DIRTY_LOG (dirty_log.hpp).
  // The slot owns it; the VM allocates and frees it around commits.
  uint64_t* dirty_bitmap = nullptr;

  uint64_t end_gfn() const { return base_gfn + npages; }
  bool contains(uint64_t gfn) const { return gfn >= base_gfn && gfn < end_gfn(); }
  bool readonly() const { return flags & KVM_MEM_READONLY; }
  bool logs_dirty() const { return flags & KVM_MEM_LOG_DIRTY_PAGES; }
  uint64_t hva(uint64_t gfn) const { return userspace_addr + ((gfn - base_gfn) << kPageShift); }
};

// One requested change, already validated against the ABI's rules by
// Memslots::plan(): what the VM must do to its mappings.
struct MemslotChange {
  enum Kind { kCreate, kDelete, kMove, kFlagsOnly, kNone } kind = kNone;
  Memslot old_slot;  // valid for kDelete, kMove, kFlagsOnly
  Memslot new_slot;  // valid for kCreate, kMove, kFlagsOnly
};

class Memslots {
 public:
  // Upstream x86 limits: 32764 user slots, one address space (no SMM).
  static constexpr unsigned kMaxSlots = 32764;
  static constexpr unsigned kAddressSpaces = 1;
  // Largest slot, as upstream: 2^31 - 1 pages.
  static constexpr uint64_t kMaxPagesPerSlot = (uint64_t(1) << 31) - 1;

  Memslots() = default;
  ~Memslots();
  Memslots(const Memslots&) = delete;
  Memslots& operator=(const Memslots&) = delete;

  // Validate a request (ABI rules, overlap) and say what it would change.
  kxx::Result<MemslotChange> plan(const kvm_userspace_memory_region2& req) const;
  // Room for a change, allocated before the commit: a bigger copy of the
  // array (or nothing, when it fits). Readers under the MMU lock never see
  // the array move except at the commit.
  struct Room {
    Memslot* slots = nullptr;
    unsigned capacity = 0;
  };
  // Allocate what the change needs (may sleep; fails only when out of
  // memory, changing nothing).
  kxx::Result<Room> prepare(const MemslotChange& change) const;
  // Apply the change (never fails, never sleeps: safe under a spinlock).
  // Returns the array it replaced, for the caller to free after unlocking.
  Memslot* commit(const MemslotChange& change, Room room);
  kxx::Status apply(const MemslotChange& change) {
    Room room = TRY(prepare(change));
    delete[] commit(change, room);
    return kxx::OkStatus();
  }

  const Memslot* find_gfn(uint64_t gfn) const;
  const Memslot* find_id(uint16_t id) const;
  unsigned size() const { return count_; }
  const Memslot& at(unsigned i) const { return slots_[i]; }

 private:
  // Index of the first slot whose end is above gfn.
  unsigned lower_bound(uint64_t gfn) const;
  bool overlaps(uint64_t base, uint64_t npages, uint16_t ignore_id) const;
  void erase_at(unsigned i);
  void insert_sorted(const Memslot& s);

  Memslot* slots_ = nullptr;
  unsigned count_ = 0;
  unsigned capacity_ = 0;
};

}  // namespace kvmpp

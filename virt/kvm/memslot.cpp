// SPDX-License-Identifier: GPL-2.0
// The rules here are those of api.rst, "KVM_SET_USER_MEMORY_REGION" and
// "KVM_SET_USER_MEMORY_REGION2".
#include "memslot.hpp"

#include <glue/glue.h>
#include <kvmpp/arch.hpp>
#include <kxx/new.hpp>

namespace kvmpp {

Memslots::~Memslots() {
  // The slots own their dirty bitmaps (dirty_log.hpp allocates them).
  for (unsigned i = 0; i < count_; i++) delete[] slots_[i].dirty_bitmap;
  delete[] slots_;
}

unsigned Memslots::lower_bound(uint64_t gfn) const {
  unsigned lo = 0, hi = count_;
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    if (slots_[mid].end_gfn() <= gfn)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const Memslot* Memslots::find_gfn(uint64_t gfn) const {
  unsigned i = lower_bound(gfn);
  return i < count_ && slots_[i].contains(gfn) ? &slots_[i] : nullptr;
}

const Memslot* Memslots::find_id(uint16_t id) const {
  for (unsigned i = 0; i < count_; i++)
    if (slots_[i].id == id) return &slots_[i];
  return nullptr;
}

bool Memslots::overlaps(uint64_t base, uint64_t npages, uint16_t ignore_id) const {
  // Slots are disjoint and sorted: only the neighbours of base can overlap.
  for (unsigned i = lower_bound(base); i < count_ && slots_[i].base_gfn < base + npages; i++)
    if (slots_[i].id != ignore_id) return true;
  return false;
}

kxx::Result<MemslotChange> Memslots::plan(const kvm_userspace_memory_region2& req) const {
  using kxx::Errno;
  constexpr uint64_t kPageMask = (uint64_t(1) << kPageShift) - 1;
  // guest_memfd is not implemented (and not advertised); dirty logging is
  // where the arch layer tracks writes.
  uint32_t valid = KVM_MEM_READONLY | (arch::kHasDirtyLog ? KVM_MEM_LOG_DIRTY_PAGES : 0);
  if (req.flags & ~valid) return Errno::kInval;
  // guest_memfd and its offset mean something only with KVM_MEM_GUEST_MEMFD
  // (refused above); like upstream, the padding is not checked.
  uint16_t as_id = req.slot >> 16, id = req.slot & 0xffff;
  if (as_id >= kAddressSpaces || id >= kMaxSlots) return Errno::kInval;
  if ((req.memory_size | req.guest_phys_addr | req.userspace_addr) & kPageMask)
    return Errno::kInval;
  if (req.guest_phys_addr + req.memory_size < req.guest_phys_addr) return Errno::kInval;
  if (req.userspace_addr + req.memory_size < req.userspace_addr) return Errno::kInval;
  // User space addresses are below the canonical hole (x86-64 and arm64 with
  // 48-bit VA): the glue checks access_ok() too.
  if (!kvmg_user_range_ok(req.userspace_addr, req.memory_size)) return Errno::kInval;

  MemslotChange c;
  uint64_t npages = req.memory_size >> kPageShift;
  uint64_t base = req.guest_phys_addr >> kPageShift;
  if (npages > kMaxPagesPerSlot) return Errno::kInval;
  const Memslot* old = find_id(id);
  if (npages == 0) {
    if (!old) return Errno::kInval;  // deleting a slot that does not exist
    c.kind = MemslotChange::kDelete;
    c.old_slot = *old;
    return c;
  }
  c.new_slot = {id, req.flags, base, npages, req.userspace_addr, nullptr};
  if (!old) {
    if (overlaps(base, npages, 0xffff)) return Errno::kExist;
    c.kind = MemslotChange::kCreate;
    return c;
  }
  // An existing slot can move or change flags, but not size, backing or
  // read-only-ness.
  if (req.userspace_addr != old->userspace_addr || npages != old->npages ||
      ((req.flags ^ old->flags) & KVM_MEM_READONLY))
    return Errno::kInval;
  c.old_slot = *old;
  if (base != old->base_gfn) {
    if (overlaps(base, npages, id)) return Errno::kExist;
    c.kind = MemslotChange::kMove;
  } else {
    c.kind = req.flags != old->flags ? MemslotChange::kFlagsOnly : MemslotChange::kNone;
  }
  return c;
}

void Memslots::erase_at(unsigned i) {
  for (; i + 1 < count_; i++) slots_[i] = slots_[i + 1];
  count_--;
}

void Memslots::insert_sorted(const Memslot& s) {
  unsigned i = lower_bound(s.base_gfn);
  for (unsigned j = count_; j > i; j--) slots_[j] = slots_[j - 1];
  slots_[i] = s;
  count_++;
}

kxx::Result<Memslots::Room> Memslots::prepare(const MemslotChange& c) const {
  Room room;
  if (c.kind != MemslotChange::kCreate || count_ < capacity_) return room;
  room.capacity = capacity_ ? capacity_ * 2 : 8;
  room.slots = new (kxx::Alloc::kSleep) Memslot[room.capacity];
  if (!room.slots) return kxx::Errno::kNoMem;
  for (unsigned i = 0; i < count_; i++) room.slots[i] = slots_[i];
  return room;
}

Memslot* Memslots::commit(const MemslotChange& c, Room room) {
  Memslot* old = nullptr;
  if (room.slots) {
    old = kxx::exchange(slots_, room.slots);
    capacity_ = room.capacity;
  }
  switch (c.kind) {
    case MemslotChange::kCreate: insert_sorted(c.new_slot); break;
    case MemslotChange::kDelete: erase_at(unsigned(find_id(c.old_slot.id) - slots_)); break;
    case MemslotChange::kMove:
      erase_at(unsigned(find_id(c.old_slot.id) - slots_));
      insert_sorted(c.new_slot);
      break;
    case MemslotChange::kFlagsOnly:
      *const_cast<Memslot*>(find_id(c.old_slot.id)) = c.new_slot;
      break;
    case MemslotChange::kNone: break;
  }
  return old;
}

}  // namespace kvmpp

// SPDX-License-Identifier: GPL-2.0
#include "dirty_log.hpp"

#include <glue/glue.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>
#include <kxx/new.hpp>

#include "dirty_ring.hpp"
#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmpp {
namespace {

constexpr uint64_t kManualCaps = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
// Words of a bitmap collected per hold of the MMU lock (4096 pages).
constexpr uint64_t kWordsPerLockHold = 64;

uint64_t load_word(const uint64_t* w) { return __atomic_load_n(w, __ATOMIC_RELAXED); }

// The slot a dirty-log ioctl names, with its bitmap: -EINVAL for an id no
// slot can have, -ENOENT for one without a logged slot (as upstream).
kxx::Result<const Memslot*> logged_slot(Vm& vm, uint32_t slot) {
  uint32_t as_id = slot >> 16, id = slot & 0xffff;
  if (as_id >= Memslots::kAddressSpaces || id >= Memslots::kMaxSlots) return kxx::Errno::kInval;
  const Memslot* s = vm.memslots().find_id(uint16_t(id));
  if (!s || !s->dirty_bitmap) return kxx::Errno::kNoEnt;
  return s;
}

// Clear the bits of @mask in word @i of @slot's bitmap and write-protect
// the pages of those that were set. Returns them (MMU lock held).
uint64_t collect_word(Vm& vm, const Memslot& slot, uint64_t i, uint64_t mask, bool* flush) {
  uint64_t taken = __atomic_fetch_and(&slot.dirty_bitmap[i], ~mask, __ATOMIC_SEQ_CST) & mask;
  if (taken) *flush |= arch::write_protect_gfns(vm, slot.base_gfn + i * 64, taken);
  return taken;
}

}  // namespace

uint64_t* dirty_bitmap_alloc(uint64_t npages, bool all_set) {
  uint64_t words = dirty_bitmap_words(npages);
  auto* b = new (kxx::Alloc::kSleepZero) uint64_t[2 * words];
  if (b && all_set) {
    for (uint64_t i = 0; i < words; i++) b[i] = ~uint64_t(0);
    if (npages % 64) b[words - 1] = (uint64_t(1) << (npages % 64)) - 1;
  }
  return b;
}

void dirty_bitmap_free(uint64_t* bitmap) { delete[] bitmap; }

kxx::Status dirty_bitmap_prepare(const Vm& vm, const MemslotChange& c, Memslot& next) {
  next.dirty_bitmap = nullptr;
  if (!next.logs_dirty() || vm.dirty_config().ring_bytes) return kxx::OkStatus();
  if (c.kind != MemslotChange::kCreate && c.old_slot.dirty_bitmap) {
    next.dirty_bitmap = c.old_slot.dirty_bitmap;
    return kxx::OkStatus();
  }
  next.dirty_bitmap =
      dirty_bitmap_alloc(next.npages, vm.dirty_config().manual & KVM_DIRTY_LOG_INITIALLY_SET);
  return next.dirty_bitmap ? kxx::OkStatus() : kxx::Status(kxx::Errno::kNoMem);
}

void mark_page_dirty(Vm& vm, const Memslot& slot, uint64_t gfn, Vcpu* vcpu) {
  if (!slot.logs_dirty() || !slot.contains(gfn)) return;
  uint64_t page = gfn - slot.base_gfn;
  if (vm.dirty_config().ring_bytes) {
    // Every write is made by a vCPU (or by the kernel for one), whose
    // ring has room: it leaves the guest before its reserve runs out.
    DirtyRing* ring = vcpu ? vcpu->dirty_ring() : nullptr;
    if (!ring || !ring->push(slot.id, page)) kvmg_warn_once("kvmpp: dirty page lost (ring full)");
    return;
  }
  if (slot.dirty_bitmap)
    __atomic_fetch_or(&slot.dirty_bitmap[page / 64], uint64_t(1) << (page % 64), __ATOMIC_RELAXED);
}

kxx::Status get_dirty_log(Vm& vm, const kvm_dirty_log& log) {
  if (vm.dirty_config().ring_bytes) return kxx::Errno::kNxio;
  MutexLock serial(vm.dirty_lock());  // one user of the scratch half at a time
  ReadLock slots(vm.slots_lock());
  const Memslot& slot = *TRY(logged_slot(vm, log.slot));
  uint64_t words = dirty_bitmap_words(slot.npages);
  uint64_t* out = slot.dirty_bitmap + words;
  if (vm.dirty_config().manual & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
    // A snapshot: KVM_CLEAR_DIRTY_LOG clears and re-protects.
    for (uint64_t i = 0; i < words; i++) out[i] = load_word(&slot.dirty_bitmap[i]);
  } else {
    bool flush = false;
    for (uint64_t i = 0; i < words; i += kWordsPerLockHold) {
      SpinLockGuard mmu(vm.mmu_lock());
      for (uint64_t j = i; j < kxx::min(words, i + kWordsPerLockHold); j++)
        out[j] =
            load_word(&slot.dirty_bitmap[j]) ? collect_word(vm, slot, j, ~uint64_t(0), &flush) : 0;
    }
    // Before the VMM reads the pages: no write through a stale TLB entry
    // may follow the collection unnoticed.
    if (flush) vm.flush_tlbs();
  }
  if (kvmg_copy_to_user(log.dirty_bitmap, out, words * sizeof(uint64_t)) != 0)
    return kxx::Errno::kFault;
  return kxx::OkStatus();
}

kxx::Status clear_dirty_log(Vm& vm, const kvm_clear_dirty_log& log) {
  if (vm.dirty_config().ring_bytes) return kxx::Errno::kNxio;
  if (log.first_page & 63) return kxx::Errno::kInval;
  MutexLock serial(vm.dirty_lock());
  ReadLock slots(vm.slots_lock());
  const Memslot& slot = *TRY(logged_slot(vm, log.slot));
  // Whole words, except for a range that ends with the slot.
  if (log.first_page > slot.npages || log.num_pages > slot.npages - log.first_page ||
      (log.num_pages < slot.npages - log.first_page && (log.num_pages & 63)))
    return kxx::Errno::kInval;
  uint64_t words = dirty_bitmap_words(log.num_pages);
  uint64_t* in = slot.dirty_bitmap + dirty_bitmap_words(slot.npages);
  if (kvmg_copy_from_user(in, log.dirty_bitmap, words * sizeof(uint64_t)) != 0)
    return kxx::Errno::kFault;
  if (log.num_pages % 64) in[words - 1] &= (uint64_t(1) << (log.num_pages % 64)) - 1;
  bool flush = false;
  uint64_t first_word = log.first_page / 64;
  for (uint64_t i = 0; i < words; i += kWordsPerLockHold) {
    SpinLockGuard mmu(vm.mmu_lock());
    for (uint64_t j = i; j < kxx::min(words, i + kWordsPerLockHold); j++)
      if (in[j]) collect_word(vm, slot, first_word + j, in[j], &flush);
  }
  if (flush) vm.flush_tlbs();
  return kxx::OkStatus();
}

kxx::Result<long> reset_dirty_rings(Vm& vm) {
  if (!vm.dirty_config().ring_bytes) return kxx::Errno::kInval;
  MutexLock serial(vm.dirty_lock());
  ReadLock slots(vm.slots_lock());
  long total = 0;
  bool flush = false;
  const Memslot* last = nullptr;
  for (unsigned i = 0; i < vm.online_vcpus(); i++) {
    DirtyRing* ring = vm.vcpu_at(i)->dirty_ring();
    if (!ring) continue;
    SpinLockGuard mmu(vm.mmu_lock());
    total += ring->reset([&](uint32_t slot_id, uint64_t page) {
      // Entries name slots as the vCPU saw them; one deleted since has
      // nothing left to protect.
      if (slot_id >> 16) return;
      if (!last || last->id != slot_id) last = vm.memslots().find_id(uint16_t(slot_id));
      if (last && page < last->npages)
        flush |= arch::write_protect_gfns(vm, last->base_gfn + page, 1);
    });
  }
  if (flush) vm.flush_tlbs();
  return total;
}

kxx::Status enable_manual_dirty_log_protect(Vm& vm, uint64_t flags) {
  if (!arch::kHasDirtyLog || (flags & ~kManualCaps)) return kxx::Errno::kInval;
  return vm.configure([&](bool) {
    vm.dirty_config().manual = flags;
    return kxx::OkStatus();
  });
}

kxx::Status enable_dirty_ring(Vm& vm, uint64_t bytes) {
  if (!arch::kHasDirtyLog) return kxx::Errno::kInval;
  TRY_STATUS(DirtyRing::check_size(bytes));
  return vm.configure([&](bool have_vcpus) -> kxx::Status {
    // Once, and before the first vCPU (each vCPU gets its ring at creation).
    if (vm.dirty_config().ring_bytes || have_vcpus) return kxx::Errno::kInval;
    vm.dirty_config().ring_bytes = uint32_t(bytes);
    return kxx::OkStatus();
  });
}

long check_dirty_log_extension(long cap) {
  if (!arch::kHasDirtyLog) return -1;
  switch (cap) {
    case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: return long(kManualCaps);
    // x86 and arm64 order stores as the ring needs with either name.
    case KVM_CAP_DIRTY_LOG_RING:
    case KVM_CAP_DIRTY_LOG_RING_ACQ_REL: return long(DirtyRing::kMaxBytes);
    // Every write we log is made by a vCPU: rings need no backup bitmap.
    case KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: return 0;
    default: return -1;
  }
}

}  // namespace kvmpp

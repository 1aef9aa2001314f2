// SPDX-License-Identifier: GPL-2.0
// Dirty page tracking for slots with KVM_MEM_LOG_DIRTY_PAGES (api.rst,
// KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
// KVM_CAP_DIRTY_LOG_RING, KVM_RESET_DIRTY_RINGS).
//
// A logged slot's pages are mapped writable only once a write to them is
// recorded: in the slot's bitmap or, with dirty rings, in the ring of the
// vCPU that wrote. Collecting a page (GET with automatic protection, CLEAR,
// ring reset) write-protects it again, under the MMU lock, so that a write
// is either in what was collected or faults and is recorded anew.
#pragma once

#include <abi/kvm_abi.h>
#include <kxx/result.hpp>

#include "memslot.hpp"

namespace kvmpp {

class Vm;
class Vcpu;

// What the VM's KVM_ENABLE_CAPs chose (kept in the Vm).
struct DirtyLogConfig {
  uint64_t manual = 0;      // KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | _INITIALLY_SET
  uint32_t ring_bytes = 0;  // per-vCPU ring size; 0: bitmaps
};

// A slot's bitmap: @npages bits rounded up to whole words, twice (the second
// half is scratch for the ioctls). With @all_set the bits start set.
uint64_t* dirty_bitmap_alloc(uint64_t npages, bool all_set);
void dirty_bitmap_free(uint64_t* bitmap);
inline uint64_t dirty_bitmap_words(uint64_t npages) { return (npages + 63) / 64; }

// Give @next (a slot about to be committed) its bitmap: its predecessor's
// when that was logged too, else a new one. Unchanged for unlogged slots
// and with dirty rings.
kxx::Status dirty_bitmap_prepare(const Vm& vm, const MemslotChange& change, Memslot& next);

// Record a write to @gfn of @slot, made by @vcpu (the guest, or the kernel
// on its behalf). Slots lock held for reading.
void mark_page_dirty(Vm& vm, const Memslot& slot, uint64_t gfn, Vcpu* vcpu);

// The ioctls and capabilities.
kxx::Status get_dirty_log(Vm& vm, const kvm_dirty_log& log);
kxx::Status clear_dirty_log(Vm& vm, const kvm_clear_dirty_log& log);
kxx::Result<long> reset_dirty_rings(Vm& vm);
kxx::Status enable_manual_dirty_log_protect(Vm& vm, uint64_t flags);
kxx::Status enable_dirty_ring(Vm& vm, uint64_t bytes);
// KVM_CHECK_EXTENSION for the dirty-log capabilities (-1: not one of them).
long check_dirty_log_extension(long cap);

}  // namespace kvmpp

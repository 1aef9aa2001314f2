// SPDX-License-Identifier: GPL-2.0
// Two-dimensional paging tables: the guest-physical to host-physical map the
// hardware walks after the guest's own page tables (NPT on AMD, EPT on
// Intel). One builder for both; a TdpFormat says how an entry is encoded.
//
// All changes happen with the VM's MMU lock held (no sleeping): table pages
// come from a PageCache filled beforehand. The hardware reads the tables
// concurrently, so every entry is written with a single 64-bit store.
#pragma once

#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp::x86 {

struct TdpFormat {
  uint64_t table;       // bits of a non-leaf entry (besides the address)
  uint64_t leaf_read;   // bits of a readable 4 KiB leaf
  uint64_t leaf_write;  // added for a writable leaf
  uint64_t present;     // bits whose absence means "not present"
  uint64_t huge;        // marks a 2 MiB leaf in a level-2 entry
};

// AMD NPT uses the x86-64 page-table format; every nested walk counts as a
// user access, so U/S is set at every level (APM "Nested Paging"). Accessed
// is preset at every level, so the walker never writes an entry back (such
// a write could race with a zap of the entry on another CPU).
inline constexpr TdpFormat kNptFormat = {
    .table = 0x7 | 0x20,                   // P | RW | US | A
    .leaf_read = 0x1 | 0x4 | 0x20 | 0x40,  // P | US | A | D
    .leaf_write = 0x2,                     // RW
    .present = 0x1,
    .huge = 0x80,  // PS
};

// Table pages reserved before taking the MMU lock: one map needs at most
// one new page per level below the root.
class PageCache {
 public:
  static constexpr unsigned kCapacity = 4;
  PageCache() = default;
  ~PageCache();
  PageCache(const PageCache&) = delete;
  PageCache& operator=(const PageCache&) = delete;
  kxx::Status topup();  // sleeps
  void* take();

 private:
  void* pages_[kCapacity] = {};
  unsigned count_ = 0;
};

class Tdp {
 public:
  explicit Tdp(const TdpFormat& format) : format_(format) {}
  ~Tdp();
  Tdp(const Tdp&) = delete;
  Tdp& operator=(const Tdp&) = delete;

  // Allocate the root (sleeps). @levels is 4 or 5: NPT uses the host's own
  // paging depth (APM "Nested Paging"), so a host with 5-level paging
  // (CR4.LA57) needs 5-level nested tables.
  kxx::Status init(unsigned levels);
  unsigned levels() const { return levels_; }
  uint64_t root_pa() const { return root_pa_; }

  // Map one 4 KiB guest frame. False when @gfn is beyond what the tables
  // cover (the caller treats it as unmapped).
  bool map(uint64_t gfn, uint64_t pa, bool writable, PageCache& cache);
  // Map the 2 MiB-aligned frame range at @gfn to the 2 MiB-aligned @pa with
  // one leaf. False (nothing changed) when a 4 KiB table is already there:
  // replacing it would need a TLB flush before the table could be freed.
  bool map_2m(uint64_t gfn, uint64_t pa, bool writable, PageCache& cache);
  // Remove the leaf mappings of [start, end) guest frames. Returns whether
  // any was present. With @unlinked, tables the zap leaves empty are
  // unlinked and handed over (up to its capacity) for the caller to free
  // once no TLB can still point into them.
  bool zap(uint64_t start, uint64_t end, void** unlinked = nullptr, unsigned* count = nullptr,
           unsigned capacity = 0);
  // Make the leaf mapping @gfn read-only, so the next write faults. A 2 MiB
  // leaf is removed instead (dirty logging maps 4 KiB pages only). Returns
  // whether anything changed.
  bool write_protect(uint64_t gfn);
  // Whether the tables can map @gfn at all.
  bool covers(uint64_t gfn) const { return in_range(gfn); }
  // The leaf entry for @gfn, or 0 (for tests and diagnostics).
  uint64_t lookup(uint64_t gfn) const;
  // Guest frames the leaf mapping @gfn covers: 0 (unmapped), 1 or 512.
  uint64_t mapped_frames(uint64_t gfn) const;
  // Leaves present now (statistics; may be read without the MMU lock).
  uint64_t leaves_4k() const { return __atomic_load_n(&leaves_4k_, __ATOMIC_RELAXED); }
  uint64_t leaves_2m() const { return __atomic_load_n(&leaves_2m_, __ATOMIC_RELAXED); }

 private:
  static constexpr uint64_t kAddrMask = 0x000ffffffffff000ULL;
  // The level-@level entry for @gfn, creating tables down to it.
  uint64_t* walk_to(uint64_t gfn, unsigned level, PageCache& cache);
  bool is_leaf(uint64_t entry, unsigned level) const {
    return level == 1 || (level == 2 && (entry & format_.huge));
  }
  struct Unlinked {
    void** pages;
    unsigned* count;
    unsigned capacity;
  };
  bool zap_table(uint64_t* table, unsigned level, uint64_t base, uint64_t start, uint64_t end,
                 Unlinked* out);
  void free_table(uint64_t* table, unsigned level);
  uint64_t* table_of(uint64_t entry) const;
  // Under the MMU lock, like every change: one writer, lockless readers.
  static void count(uint64_t& n, int64_t delta) {
    __atomic_store_n(&n, n + uint64_t(delta), __ATOMIC_RELAXED);
  }

  // Frames the tables can map: 2^(9 * levels) of 4 KiB.
  bool in_range(uint64_t gfn) const { return (gfn >> (9 * levels_)) == 0; }

  const TdpFormat& format_;
  unsigned levels_ = 4;
  uint64_t* root_ = nullptr;
  uint64_t root_pa_ = 0;
  uint64_t leaves_4k_ = 0;
  uint64_t leaves_2m_ = 0;
};

}  // namespace kvmpp::x86

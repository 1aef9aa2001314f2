// SPDX-License-Identifier: GPL-2.0
#include "tdp.hpp"

#include <glue/glue.h>

namespace kvmpp::x86 {
namespace {

constexpr unsigned kEntriesPerTable = 512;

// Bits of the guest frame number that index the table at @level (1 = PT).
unsigned index_of(uint64_t gfn, unsigned level) { return (gfn >> (9 * (level - 1))) & 511; }

void write_entry(uint64_t* e, uint64_t v) { __atomic_store_n(e, v, __ATOMIC_RELEASE); }
uint64_t read_entry(const uint64_t* e) { return __atomic_load_n(e, __ATOMIC_ACQUIRE); }

}  // namespace

PageCache::~PageCache() {
  while (count_) kvmg_page_free(pages_[--count_]);
}

kxx::Status PageCache::topup() {
  while (count_ < kCapacity) {
    void* p = kvmg_page_alloc();
    if (!p) return kxx::Errno::kNoMem;
    pages_[count_++] = p;
  }
  return kxx::OkStatus();
}

void* PageCache::take() { return count_ ? pages_[--count_] : nullptr; }

Tdp::~Tdp() {
  if (root_) free_table(root_, levels_);
}

kxx::Status Tdp::init(unsigned levels) {
  if (levels != 4 && levels != 5) return kxx::Errno::kInval;
  levels_ = levels;
  root_ = static_cast<uint64_t*>(kvmg_page_alloc());
  if (!root_) return kxx::Errno::kNoMem;
  root_pa_ = kvmg_virt_to_phys(root_);
  return kxx::OkStatus();
}

uint64_t* Tdp::table_of(uint64_t entry) const {
  return static_cast<uint64_t*>(kvmg_phys_to_virt(entry & kAddrMask));
}

uint64_t* Tdp::walk_to(uint64_t gfn, unsigned target, PageCache& cache) {
  if (!in_range(gfn)) return nullptr;
  uint64_t* table = root_;
  for (unsigned level = levels_; level > target; level--) {
    uint64_t* e = &table[index_of(gfn, level)];
    uint64_t v = read_entry(e);
    if (v & format_.present) {
      if (is_leaf(v, level)) return nullptr;  // a 2 MiB leaf covers it
    } else {
      void* page = cache.take();
      if (!page) return nullptr;
      v = kvmg_virt_to_phys(page) | format_.table;
      write_entry(e, v);
    }
    table = table_of(v);
  }
  return &table[index_of(gfn, target)];
}

bool Tdp::map(uint64_t gfn, uint64_t pa, bool writable, PageCache& cache) {
  uint64_t* e = walk_to(gfn, 1, cache);
  if (!e) return false;
  if (!(read_entry(e) & format_.present)) count(leaves_4k_, 1);
  write_entry(e, (pa & kAddrMask) | format_.leaf_read | (writable ? format_.leaf_write : 0));
  return true;
}

bool Tdp::map_2m(uint64_t gfn, uint64_t pa, bool writable, PageCache& cache) {
  uint64_t* e = walk_to(gfn, 2, cache);
  if (!e) return false;
  uint64_t v = read_entry(e);
  if ((v & format_.present) && !(v & format_.huge)) return false;
  if (!(v & format_.present)) count(leaves_2m_, 1);
  write_entry(e, (pa & kAddrMask & ~0x1fffffull) | format_.leaf_read | format_.huge |
                     (writable ? format_.leaf_write : 0));
  return true;
}

bool Tdp::zap_table(uint64_t* table, unsigned level, uint64_t base, uint64_t start, uint64_t end,
                    Unlinked* out) {
  bool zapped = false;
  uint64_t span = uint64_t(1) << (9 * (level - 1));  // frames per entry
  for (unsigned i = 0; i < kEntriesPerTable; i++) {
    uint64_t lo = base + i * span, hi = lo + span;
    if (hi <= start || lo >= end) continue;
    uint64_t v = read_entry(&table[i]);
    if (!(v & format_.present)) continue;
    if (is_leaf(v, level)) {
      // A 2 MiB leaf goes whole even when the range covers part of it: the
      // rest faults back in.
      write_entry(&table[i], 0);
      count(level == 1 ? leaves_4k_ : leaves_2m_, -1);
      zapped = true;
      continue;
    }
    uint64_t* child = table_of(v);
    zapped |= zap_table(child, level - 1, lo, start, end, out);
    // A child table left empty is unlinked; it is freed after the flush.
    if (out && *out->count < out->capacity) {
      bool empty = true;
      for (unsigned j = 0; j < kEntriesPerTable && empty; j++) empty = !read_entry(&child[j]);
      if (empty) {
        write_entry(&table[i], 0);
        out->pages[(*out->count)++] = child;
        zapped = true;
      }
    }
  }
  return zapped;
}

bool Tdp::zap(uint64_t start, uint64_t end, void** unlinked, unsigned* count, unsigned capacity) {
  if (!root_ || start >= end) return false;
  Unlinked out{unlinked, count, capacity};
  return zap_table(root_, levels_, 0, start, end, unlinked ? &out : nullptr);
}

bool Tdp::write_protect(uint64_t gfn) {
  if (!in_range(gfn)) return false;
  uint64_t* table = root_;
  for (unsigned level = levels_; level >= 1; level--) {
    uint64_t* e = &table[index_of(gfn, level)];
    uint64_t v = read_entry(e);
    if (!(v & format_.present)) return false;
    if (is_leaf(v, level)) {
      if (level == 2) {
        write_entry(e, 0);
        count(leaves_2m_, -1);
        return true;
      }
      if (!(v & format_.leaf_write)) return false;
      write_entry(e, v & ~format_.leaf_write);
      return true;
    }
    table = table_of(v);
  }
  return false;
}

uint64_t Tdp::lookup(uint64_t gfn) const {
  if (!in_range(gfn)) return 0;
  const uint64_t* table = root_;
  for (unsigned level = levels_; level > 1; level--) {
    uint64_t v = read_entry(&table[index_of(gfn, level)]);
    if (!(v & format_.present)) return 0;
    if (is_leaf(v, level)) return v;
    table = table_of(v);
  }
  return read_entry(&table[index_of(gfn, 1)]);
}

uint64_t Tdp::mapped_frames(uint64_t gfn) const {
  if (!in_range(gfn)) return 0;
  const uint64_t* table = root_;
  for (unsigned level = levels_; level > 1; level--) {
    uint64_t v = read_entry(&table[index_of(gfn, level)]);
    if (!(v & format_.present)) return 0;
    if (is_leaf(v, level)) return kEntriesPerTable;  // a 2 MiB leaf (level 2)
    table = table_of(v);
  }
  return (read_entry(&table[index_of(gfn, 1)]) & format_.present) ? 1 : 0;
}

void Tdp::free_table(uint64_t* table, unsigned level) {
  if (level > 1) {
    for (unsigned i = 0; i < kEntriesPerTable; i++)
      if ((table[i] & format_.present) && !is_leaf(table[i], level))
        free_table(table_of(table[i]), level - 1);
  }
  kvmg_page_free(table);
}

}  // namespace kvmpp::x86

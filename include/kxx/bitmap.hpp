// SPDX-License-Identifier: GPL-2.0
// A fixed-size bitmap whose storage is allocated (fallibly) at creation.
#pragma once

#include "new.hpp"
#include "types.hpp"
#include "utility.hpp"

namespace kxx {

class Bitmap {
 public:
  Bitmap() = default;
  Bitmap(Bitmap&& o) : words_(exchange(o.words_, nullptr)), bits_(exchange(o.bits_, 0)) {}
  Bitmap& operator=(Bitmap&& o) {
    delete[] words_;
    words_ = exchange(o.words_, nullptr);
    bits_ = exchange(o.bits_, 0);
    return *this;
  }
  Bitmap(const Bitmap&) = delete;
  Bitmap& operator=(const Bitmap&) = delete;
  ~Bitmap() { delete[] words_; }

  // False when the allocation failed; the bitmap is then empty.
  bool allocate(size_t bits, Alloc ctx) {
    size_t n = (bits + 63) / 64;
    uint64_t* w = new (ctx) uint64_t[n];
    if (!w) return false;
    for (size_t i = 0; i < n; i++) w[i] = 0;
    delete[] words_;
    words_ = w;
    bits_ = bits;
    return true;
  }
  size_t size() const { return bits_; }
  bool test(size_t i) const { return i < bits_ && (words_[i / 64] >> (i % 64)) & 1; }
  void set(size_t i) {
    if (i < bits_) words_[i / 64] |= uint64_t(1) << (i % 64);
  }
  void clear(size_t i) {
    if (i < bits_) words_[i / 64] &= ~(uint64_t(1) << (i % 64));
  }

 private:
  uint64_t* words_ = nullptr;
  size_t bits_ = 0;
};

}  // namespace kxx

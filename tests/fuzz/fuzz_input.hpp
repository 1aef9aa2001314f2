// SPDX-License-Identifier: GPL-2.0
// The fuzz input as a script: a reader that hands out integers (zero once the
// bytes run out, so every script ends), choices, and values biased towards
// the edges where arithmetic and range checks break. Shared by every target.
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace fuzz {

// A property the model must keep was broken: report it as a crash, so that
// libFuzzer keeps the input.
[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  fprintf(stderr, "\n*** fuzz check failed at %s:%d: %s\n", file, line, what);
  abort();
}
#define FUZZ_CHECK(cond)                                  \
  do {                                                    \
    if (!(cond)) ::fuzz::fail(__FILE__, __LINE__, #cond); \
  } while (0)

// A check that a reported bug breaks (its reproducer is in tests/fuzz/crashes/,
// named @issue): skipped, so that fuzzing gets past the bug, unless
// KVMPP_FUZZ_STRICT is set in the environment. Remove the mark once the bug
// is fixed.
inline bool strict() {
  static const bool on = getenv("KVMPP_FUZZ_STRICT") != nullptr;
  return on;
}
#define FUZZ_CHECK_KNOWN(cond, issue)                                                        \
  do {                                                                                       \
    if (::fuzz::strict() && !(cond)) ::fuzz::fail(__FILE__, __LINE__, #cond " (" issue ")"); \
  } while (0)

// KVMPP_FUZZ_TRACE=1 in the environment: the harnesses print what they do
// (for reading a crash input, not while fuzzing).
inline bool tracing() {
  static const bool on = getenv("KVMPP_FUZZ_TRACE") != nullptr;
  return on;
}
#define FUZZ_TRACE(...)                                  \
  do {                                                   \
    if (::fuzz::tracing()) fprintf(stderr, __VA_ARGS__); \
  } while (0)

// Scripts read the input in program order: one read per statement, or reads
// separated by ?:, && or ||, never two as operands of one operator or as
// arguments of one call (their order is unspecified). tests/fuzz/
// make_corpus.py writes inputs in the same order.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), n_(size) {}

  bool empty() const { return n_ == 0; }
  size_t left() const { return n_; }

  uint8_t u8() {
    if (!n_) return 0;
    n_--;
    return *p_++;
  }
  // Little-endian. (Each read is a statement of its own: the operands of |
  // and the arguments of a call are not evaluated in a set order.)
  uint16_t u16() {
    uint16_t lo = u8();
    return uint16_t(lo | (u8() << 8));
  }
  uint32_t u32() {
    uint32_t lo = u16();
    return lo | (uint32_t(u16()) << 16);
  }
  uint64_t u64() {
    uint64_t lo = u32();
    return lo | (uint64_t(u32()) << 32);
  }
  bool flag() { return u8() & 1; }
  // A number in [0, n) (n > 0).
  uint32_t below(uint32_t n) { return n <= 256 ? u8() % n : u32() % n; }
  // Copy up to @n bytes into @out and zero what the input could not fill.
  void bytes(void* out, size_t n) {
    size_t k = n < n_ ? n : n_;
    memcpy(out, p_, k);
    memset(static_cast<uint8_t*>(out) + k, 0, n - k);
    p_ += k;
    n_ -= k;
  }

  // A value for a 64-bit register or field: raw bits, an edge, a small
  // number, or an edge nudged by a small amount.
  uint64_t value64() {
    static constexpr uint64_t kEdges[] = {
        0,
        1,
        2,
        0x7f,
        0x80,
        0xff,
        0x100,
        0xfff,
        0x1000,
        0x7fff,
        0x8000,
        0xffff,
        0x10000,
        0x7fffffff,
        0x80000000,
        0xffffffff,
        0x100000000,
        0x7fffffffffff,
        0x800000000000,
        0xffff800000000000,
        0x7fffffffffffffff,
        0x8000000000000000,
        0xffffffffffffffff,
        0xfee00000,
        0xfec00000,
        0xffffffffffffff00,
    };
    constexpr unsigned kN = sizeof(kEdges) / sizeof(kEdges[0]);
    switch (u8() & 7) {
      case 0:
      case 1: return u64();
      case 2: return u32();
      case 3: return u8();
      case 4: return kEdges[below(kN)];
      case 5: return kEdges[below(kN)] + int8_t(u8());
      case 6: return uint64_t(int64_t(int8_t(u8())));
      default: return u16();
    }
  }
  uint32_t value32() { return uint32_t(value64()); }

 private:
  const uint8_t* p_;
  size_t n_;
};

}  // namespace fuzz

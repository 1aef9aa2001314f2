// SPDX-License-Identifier: GPL-2.0
// A minimal atomic integer on the compiler's __atomic builtins; on x86 and
// arm64 these are the same locked instructions the kernel's atomics use.
#pragma once

namespace kxx {

template <typename T>
class Atomic {
 public:
  constexpr Atomic() = default;
  constexpr explicit Atomic(T v) : v_(v) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load() const { return __atomic_load_n(&v_, __ATOMIC_ACQUIRE); }
  T load_seq_cst() const { return __atomic_load_n(&v_, __ATOMIC_SEQ_CST); }
  T load_relaxed() const { return __atomic_load_n(&v_, __ATOMIC_RELAXED); }
  void store(T v) { __atomic_store_n(&v_, v, __ATOMIC_RELEASE); }
  T fetch_add(T d) { return __atomic_fetch_add(&v_, d, __ATOMIC_SEQ_CST); }
  T fetch_sub(T d) { return __atomic_fetch_sub(&v_, d, __ATOMIC_SEQ_CST); }
  T fetch_or(T v) { return __atomic_fetch_or(&v_, v, __ATOMIC_SEQ_CST); }
  T fetch_and(T v) { return __atomic_fetch_and(&v_, v, __ATOMIC_SEQ_CST); }
  void store_seq_cst(T v) { __atomic_store_n(&v_, v, __ATOMIC_SEQ_CST); }
  T exchange(T v) { return __atomic_exchange_n(&v_, v, __ATOMIC_SEQ_CST); }
  bool compare_exchange(T& expected, T desired) {
    return __atomic_compare_exchange_n(&v_, &expected, desired, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
  }

 private:
  T v_{};
};

}  // namespace kxx

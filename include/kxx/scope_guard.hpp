// SPDX-License-Identifier: GPL-2.0
// Run a callable at scope exit unless dismissed: the replacement for goto ladders.
#pragma once

#include "utility.hpp"

namespace kxx {

template <typename F>
class [[nodiscard]] ScopeGuard {
 public:
  explicit ScopeGuard(F f) : f_(move(f)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ~ScopeGuard() {
    if (armed_) f_();
  }
  void dismiss() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

template <typename F>
ScopeGuard<F> defer(F f) {
  return ScopeGuard<F>(move(f));
}

}  // namespace kxx

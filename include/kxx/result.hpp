// SPDX-License-Identifier: GPL-2.0
// Errors as values. A Result<T> holds either a T or an errno; Status is the
// value-less form. Both are [[nodiscard]]; TRY() propagates an error upward.
// The conversion to an ioctl return code happens once, at the glue boundary.
#pragma once

#include "errno.hpp"
#include "new.hpp"
#include "utility.hpp"

namespace kxx {

struct Error {
  Errno code;
  constexpr explicit Error(Errno e) : code(e) {}
  // The value an ioctl returns: -errno.
  constexpr long to_ret() const { return -static_cast<long>(code); }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : ok_(true) { new (&value_) T(v); }
  Result(T&& v) : ok_(true) { new (&value_) T(move(v)); }
  Result(Error e) : ok_(false), error_(e) {}
  Result(Errno e) : ok_(false), error_(e) {}
  Result(Result&& o) : ok_(o.ok_), error_(o.error_) {
    if (ok_) new (&value_) T(move(o.value_));
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result& operator=(Result&&) = delete;
  ~Result() {
    if (ok_) value_.~T();
  }

  bool ok() const { return ok_; }
  Error error() const { return error_; }
  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return move(value_); }
  T take() { return move(value_); }

 private:
  bool ok_;
  Error error_{Errno::kInval};
  union {
    T value_;
  };
};

class [[nodiscard]] Status {
 public:
  constexpr Status() : ok_(true), error_(Errno::kInval) {}
  constexpr Status(Error e) : ok_(false), error_(e) {}
  constexpr Status(Errno e) : ok_(false), error_(e) {}
  static constexpr Status Ok() { return Status(); }
  constexpr bool ok() const { return ok_; }
  constexpr Error error() const { return error_; }
  constexpr long to_ret() const { return ok_ ? 0 : error_.to_ret(); }

 private:
  bool ok_;
  Error error_;
};

inline Status OkStatus() { return Status(); }

}  // namespace kxx

// Evaluate a Status or Result expression; on error return it from the caller.
#define TRY(expr)                                      \
  ({                                                   \
    auto&& try_result_ = (expr);                       \
    if (!try_result_.ok()) return try_result_.error(); \
    try_result_.take();                                \
  })
#define TRY_STATUS(expr)                               \
  do {                                                 \
    auto try_status_ = (expr);                         \
    if (!try_status_.ok()) return try_status_.error(); \
  } while (0)

// SPDX-License-Identifier: GPL-2.0
// Intrusive reference counting. A RefCounted<T> starts with one reference,
// owned by whoever created it; the last put() deletes it.
#pragma once

#include "atomic.hpp"
#include "utility.hpp"

namespace kxx {

template <typename T>
class RefCounted {
 public:
  void get() {
    long old = refs_.fetch_add(1);
    // A get on a dead object is a use-after-free in the making.
    if (old <= 0) __builtin_trap();
  }
  void put() {
    long old = refs_.fetch_sub(1);
    if (old == 1)
      delete static_cast<T*>(this);
    else if (old <= 0)
      __builtin_trap();
  }
  long ref_count() const { return refs_.load(); }

 protected:
  RefCounted() = default;
  ~RefCounted() = default;

 private:
  Atomic<long> refs_{1};
};

// Owns one reference. adopt() takes over an existing reference (for example
// the creator's); the constructor from a raw pointer takes a new one.
template <typename T>
class RefPtr {
 public:
  constexpr RefPtr() = default;
  explicit RefPtr(T* p) : p_(p) {
    if (p_) p_->get();
  }
  static RefPtr adopt(T* p) {
    RefPtr r;
    r.p_ = p;
    return r;
  }
  RefPtr(const RefPtr& o) : RefPtr(o.p_) {}
  RefPtr(RefPtr&& o) : p_(o.leak()) {}
  RefPtr& operator=(RefPtr o) {
    T* old = exchange(p_, o.leak());
    if (old) old->put();
    return *this;
  }
  ~RefPtr() { reset(); }

  void reset() {
    if (T* old = exchange(p_, nullptr)) old->put();
  }
  // Give up the reference without dropping it (it now belongs to the caller).
  T* leak() { return exchange(p_, nullptr); }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

}  // namespace kxx

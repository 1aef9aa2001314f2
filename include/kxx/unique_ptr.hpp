// SPDX-License-Identifier: GPL-2.0
// Single ownership of a heap object allocated with kxx's operator new.
#pragma once

#include "new.hpp"
#include "utility.hpp"

namespace kxx {

template <typename T>
class UniquePtr {
 public:
  constexpr UniquePtr() = default;
  constexpr UniquePtr(decltype(nullptr)) {}
  explicit UniquePtr(T* p) : p_(p) {}
  UniquePtr(UniquePtr&& o) : p_(o.release()) {}
  template <typename U>
  UniquePtr(UniquePtr<U>&& o) : p_(o.release()) {}
  UniquePtr& operator=(UniquePtr&& o) {
    reset(o.release());
    return *this;
  }
  UniquePtr(const UniquePtr&) = delete;
  UniquePtr& operator=(const UniquePtr&) = delete;
  ~UniquePtr() { reset(); }

  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  T* release() { return exchange(p_, nullptr); }
  void reset(T* p = nullptr) {
    T* old = exchange(p_, p);
    delete old;
  }

 private:
  T* p_ = nullptr;
};

// Allocate and construct; an empty pointer means the allocation failed.
template <typename T, typename... Args>
UniquePtr<T> make_unique(Alloc ctx, Args&&... args) {
  return UniquePtr<T>(new (ctx) T(forward<Args>(args)...));
}

}  // namespace kxx

// SPDX-License-Identifier: GPL-2.0
// move/forward/exchange: the few pieces of <utility> the project uses.
#pragma once

namespace kxx {

template <typename T>
struct remove_reference {
  using type = T;
};
template <typename T>
struct remove_reference<T&> {
  using type = T;
};
template <typename T>
struct remove_reference<T&&> {
  using type = T;
};
template <typename T>
using remove_reference_t = typename remove_reference<T>::type;

template <typename T>
constexpr remove_reference_t<T>&& move(T&& v) noexcept {
  return static_cast<remove_reference_t<T>&&>(v);
}

template <typename T>
constexpr T&& forward(remove_reference_t<T>& v) noexcept {
  return static_cast<T&&>(v);
}
template <typename T>
constexpr T&& forward(remove_reference_t<T>&& v) noexcept {
  return static_cast<T&&>(v);
}

template <typename T, typename U = T>
constexpr T exchange(T& obj, U&& next) {
  T old = move(obj);
  obj = forward<U>(next);
  return old;
}

template <typename T>
constexpr const T& min(const T& a, const T& b) {
  return b < a ? b : a;
}
template <typename T>
constexpr const T& max(const T& a, const T& b) {
  return a < b ? b : a;
}

}  // namespace kxx

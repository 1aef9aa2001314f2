// SPDX-License-Identifier: GPL-2.0
// Typed copies between user space and the kernel. Every copy the core makes
// goes through these; backends never see user pointers.
#pragma once

#include <glue/glue.h>
#include <kxx/result.hpp>

namespace kvmpp {

template <typename T>
kxx::Result<T> copy_from_user(unsigned long uaddr) {
  T v;
  if (kvmg_copy_from_user(&v, uaddr, sizeof(T)) != 0) return kxx::Errno::kFault;
  return v;
}

template <typename T>
kxx::Status copy_to_user(unsigned long uaddr, const T& v) {
  if (kvmg_copy_to_user(uaddr, &v, sizeof(T)) != 0) return kxx::Errno::kFault;
  return kxx::OkStatus();
}

// What an ioctl returns to user space: a value >= 0, or -errno.
inline long to_ret(kxx::Status s) { return s.to_ret(); }
inline long to_ret(kxx::Result<long>&& r) { return r.ok() ? r.value() : r.error().to_ret(); }
inline long to_ret(kxx::Errno e) { return kxx::Error(e).to_ret(); }

}  // namespace kvmpp

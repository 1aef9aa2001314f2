// SPDX-License-Identifier: GPL-2.0
// A kernel mutex (through the glue) and a scoped lock for it.
#pragma once

#include <glue/glue.h>

namespace kvmpp {

class Mutex {
 public:
  Mutex() { kvmg_mutex_init(&m_); }
  ~Mutex() { kvmg_mutex_destroy(&m_); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void lock() { kvmg_mutex_lock(&m_); }
  void unlock() { kvmg_mutex_unlock(&m_); }

 private:
  kvmg_mutex m_;
};

class [[nodiscard]] MutexLock {
 public:
  explicit MutexLock(Mutex& m) : m_(m) { m_.lock(); }
  ~MutexLock() { m_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& m_;
};

}  // namespace kvmpp

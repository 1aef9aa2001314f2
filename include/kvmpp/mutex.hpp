// SPDX-License-Identifier: GPL-2.0
// A kernel mutex (through the glue) and a scoped lock for it.
#pragma once

#include <glue/event.h>
#include <glue/glue.h>

// The lock class (for lockdep, the kernel's lock validator) of the locks
// one declaration makes: KVMPP_LOCK_CLASS("kvm.vm.lock"). Each use is a
// class of its own, in static storage (a local static, constant-initialized).
#define KVMPP_LOCK_CLASS(name)                      \
  ([]() -> kvmg_lock_class* {                       \
    static kvmg_lock_class lock_class = {{}, name}; \
    return &lock_class;                             \
  }())

namespace kvmpp {

class Mutex {
 public:
  explicit Mutex(kvmg_lock_class* c) { kvmg_mutex_init(&m_, c); }
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

// A spinlock: nothing that sleeps may run while it is held.
class Spinlock {
 public:
  explicit Spinlock(kvmg_lock_class* c) { kvmg_spin_init(&l_, c); }
  Spinlock(const Spinlock&) = delete;
  Spinlock& operator=(const Spinlock&) = delete;
  void lock() { kvmg_spin_lock(&l_); }
  void unlock() { kvmg_spin_unlock(&l_); }
  // For a lock hard-interrupt context also takes: local interrupts stay
  // off while it is held.
  unsigned long lock_irqsave() { return kvmg_spin_lock_irqsave(&l_); }
  void unlock_irqrestore(unsigned long flags) { kvmg_spin_unlock_irqrestore(&l_, flags); }

 private:
  kvmg_spinlock l_;
};

// A spinlock held only with local interrupts off, so that code running with
// interrupts off under another interrupt-safe lock (an eventfd's wake-up)
// may take it: no holder can be interrupted by a taker of that other lock.
// The saved interrupt state lives in the lock: only its holder touches it.
class IrqSafeSpinlock {
 public:
  explicit IrqSafeSpinlock(kvmg_lock_class* c) : l_(c) {}
  IrqSafeSpinlock(const IrqSafeSpinlock&) = delete;
  IrqSafeSpinlock& operator=(const IrqSafeSpinlock&) = delete;
  void lock() { flags_ = l_.lock_irqsave(); }
  void unlock() { l_.unlock_irqrestore(flags_); }

 private:
  Spinlock l_;
  unsigned long flags_ = 0;
};

// Holds a Spinlock or an IrqSafeSpinlock for its scope.
template <typename Lock>
class [[nodiscard]] SpinLockGuard {
 public:
  explicit SpinLockGuard(Lock& l) : l_(l) { l_.lock(); }
  ~SpinLockGuard() { l_.unlock(); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  Lock& l_;
};

class [[nodiscard]] IrqSpinLockGuard {
 public:
  explicit IrqSpinLockGuard(Spinlock& l) : l_(l), flags_(l.lock_irqsave()) {}
  ~IrqSpinLockGuard() { l_.unlock_irqrestore(flags_); }
  IrqSpinLockGuard(const IrqSpinLockGuard&) = delete;
  IrqSpinLockGuard& operator=(const IrqSpinLockGuard&) = delete;

 private:
  Spinlock& l_;
  unsigned long flags_;
};

// A sleeping reader/writer lock and its scoped guards.
class RwSem {
 public:
  explicit RwSem(kvmg_lock_class* c) { kvmg_rwsem_init(&s_, c); }
  RwSem(const RwSem&) = delete;
  RwSem& operator=(const RwSem&) = delete;
  void lock_read() { kvmg_rwsem_down_read(&s_); }
  void unlock_read() { kvmg_rwsem_up_read(&s_); }
  void lock_write() { kvmg_rwsem_down_write(&s_); }
  void unlock_write() { kvmg_rwsem_up_write(&s_); }

 private:
  kvmg_rwsem s_;
};

class [[nodiscard]] ReadLock {
 public:
  explicit ReadLock(RwSem& s) : s_(s) { s_.lock_read(); }
  ~ReadLock() { s_.unlock_read(); }
  ReadLock(const ReadLock&) = delete;
  ReadLock& operator=(const ReadLock&) = delete;

 private:
  RwSem& s_;
};

class [[nodiscard]] WriteLock {
 public:
  explicit WriteLock(RwSem& s) : s_(s) { s_.lock_write(); }
  ~WriteLock() { s_.unlock_write(); }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

 private:
  RwSem& s_;
};

}  // namespace kvmpp

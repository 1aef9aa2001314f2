// SPDX-License-Identifier: GPL-2.0
// operator new for freestanding kernel code. Every allocation states its
// context (kSleep or kAtomic) and can fail: callers check for nullptr.
// The operators themselves are defined in the runtime (virt/kvm/cxx_runtime.cpp).
#pragma once

#include <stddef.h>

#ifdef KVMPP_USERSPACE
#include <new>
#else
inline void* operator new(size_t, void* p) noexcept { return p; }
inline void* operator new[](size_t, void* p) noexcept { return p; }
inline void operator delete(void*, void*) noexcept {}
inline void operator delete[](void*, void*) noexcept {}
#endif

namespace kxx {
// Where an allocation happens: kSleep may block; kAtomic may not (spinlock
// held, preemption off). kZero asks for zeroed memory.
enum class Alloc : unsigned { kSleep = 0, kAtomic = 1, kSleepZero = 2, kAtomicZero = 3 };
}  // namespace kxx

void* operator new(size_t size, kxx::Alloc ctx) noexcept;
void* operator new[](size_t size, kxx::Alloc ctx) noexcept;

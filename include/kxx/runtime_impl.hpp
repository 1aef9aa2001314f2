// SPDX-License-Identifier: GPL-2.0
// The C++ runtime a kernel module needs: operator new/delete routed to the
// glue allocator, and __cxa_pure_virtual. Include from exactly one .cpp file
// per module (each module gets its own, non-exported copy).
#pragma once

#include <glue/glue.h>
#include <kxx/new.hpp>

static_assert(unsigned(kxx::Alloc::kAtomic) == KVMG_ALLOC_ATOMIC);
static_assert(unsigned(kxx::Alloc::kSleepZero) == KVMG_ALLOC_ZERO);

void* operator new(size_t size, kxx::Alloc ctx) noexcept { return kvmg_alloc(size, unsigned(ctx)); }
void* operator new[](size_t size, kxx::Alloc ctx) noexcept {
  return kvmg_alloc(size, unsigned(ctx));
}
// Plain `new T` is deliberately left undefined: every allocation states its
// context, and a stray plain new fails at modpost (undefined _Znwm).
void operator delete(void* p) noexcept { kvmg_free(p); }
void operator delete[](void* p) noexcept { kvmg_free(p); }
void operator delete(void* p, size_t) noexcept { kvmg_free(p); }
void operator delete[](void* p, size_t) noexcept { kvmg_free(p); }

extern "C" void __cxa_pure_virtual();
extern "C" void __cxa_pure_virtual() { kvmg_warn_once("pure virtual call"); }

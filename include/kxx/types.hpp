// SPDX-License-Identifier: GPL-2.0
// Basic freestanding types. The kernel build has no C++ standard library: only
// the compiler's own freestanding C headers are on the include path.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace kxx {
using nullptr_t = decltype(nullptr);
}  // namespace kxx

// SPDX-License-Identifier: GPL-2.0
// Operand-size arithmetic shared by the decoder and the executor.
#pragma once

#include <kxx/types.hpp>

namespace kvmpp::x86::emu {

// The bits an operand of `bytes` (1, 2, 4 or 8) holds.
constexpr uint64_t size_mask(unsigned bytes) {
  return bytes >= 8 ? ~uint64_t(0) : (uint64_t(1) << (8 * bytes)) - 1;
}

constexpr uint64_t sign_bit(unsigned bytes) { return uint64_t(1) << (8 * bytes - 1); }

// The low `bytes` of v, sign-extended to 64 bits.
constexpr uint64_t sign_extend_from(uint64_t v, unsigned bytes) {
  unsigned shift = 64 - 8 * bytes;
  return uint64_t(int64_t(v << shift) >> shift);
}

static_assert(sign_extend_from(0x80, 1) == ~uint64_t(0x7f));
static_assert(sign_extend_from(0x7fff, 2) == 0x7fff);
static_assert(size_mask(4) == 0xffffffffu && size_mask(8) == ~uint64_t(0));

}  // namespace kvmpp::x86::emu

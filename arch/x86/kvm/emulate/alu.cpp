// SPDX-License-Identifier: GPL-2.0
// Integer arithmetic and logic (see alu.hpp). Flag definitions: SDM vol. 1,
// "Status Flags", and each instruction's "Flags Affected" in vol. 2.
#include "alu.hpp"

#include "bits.hpp"

namespace kvmpp::x86::emu {

namespace {

// PF: set when the low byte of the result has an even number of 1 bits.
constexpr bool even_parity(uint64_t v) {
  uint8_t b = uint8_t(v);
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  return (b & 1) == 0;
}

static_assert(even_parity(0) && even_parity(3) && !even_parity(1) && !even_parity(0x80));

// The flags every ALU operation sets from its result alone.
uint64_t result_flags(uint64_t result, unsigned size) {
  uint64_t f = 0;
  if (result == 0) f |= kFlagZf;
  if (result & sign_bit(size)) f |= kFlagSf;
  if (even_parity(result)) f |= kFlagPf;
  return f;
}

}  // namespace

uint64_t alu(Op op, unsigned size, uint64_t dst, uint64_t src, uint64_t& rflags) {
  uint64_t mask = size_mask(size);
  uint64_t sign = sign_bit(size);
  uint64_t a = dst & mask;
  uint64_t b = src & mask;
  uint64_t carry_in = (rflags & kFlagCf) ? 1 : 0;
  uint64_t r = 0;
  uint64_t f = 0;
  switch (op) {
    case Op::kAdd:
    case Op::kAdc: {
      uint64_t c = op == Op::kAdc ? carry_in : 0;
      r = (a + b + c) & mask;
      // Unsigned overflow of the masked sum: it wrapped below a.
      if (c ? r <= a : r < a) f |= kFlagCf;
      // Signed overflow: both inputs have one sign, the result the other.
      if ((a ^ r) & (b ^ r) & sign) f |= kFlagOf;
      if ((a ^ b ^ r) & 0x10) f |= kFlagAf;
      break;
    }
    case Op::kSub:
    case Op::kSbb:
    case Op::kCmp: {
      uint64_t c = op == Op::kSbb ? carry_in : 0;
      r = (a - b - c) & mask;
      // A borrow out of the top bit.
      if (c ? a <= b : a < b) f |= kFlagCf;
      // Signed overflow: the inputs differ in sign and the result's sign is
      // not the minuend's.
      if ((a ^ b) & (a ^ r) & sign) f |= kFlagOf;
      if ((a ^ b ^ r) & 0x10) f |= kFlagAf;
      break;
    }
    case Op::kAnd:
    case Op::kTest: r = a & b; break;
    case Op::kOr: r = a | b; break;
    case Op::kXor: r = a ^ b; break;
    default: return a;
  }
  f |= result_flags(r, size);
  rflags = (rflags & ~kArithFlags) | f;
  return r;
}

}  // namespace kvmpp::x86::emu

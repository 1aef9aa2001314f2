// SPDX-License-Identifier: GPL-2.0
// The instruction emulator's test corpus: one row per case, run by
// emulate_test.cpp against a fake guest memory.
//
// The fake's linear address space (gpa = linear unless said otherwise):
//   0x0000-0x0fff   unmapped (#PF)
//   0x1000-0x7fff   RAM (code at 0x1000 by default)
//   0x8000-0x8fff   unmapped (#PF)
//   0x9000-0x9fff   MMIO, gpa 0xfee00000 + offset
//   0x10000-0x2ffff RAM (data)
//   0x30000-0x31fff MMIO, gpa 0xfed00000 + offset
//   0xa0000-0xbffff MMIO (gpa = linear)
//   0xffff800000000000 + any of the above: the same (gpa as above)
//   anything else: #PF, or #GP(0) when not canonical (48-bit)
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "arch/x86/kvm/emulate/emulate.hpp"

namespace emu_corpus {

using kvmpp::x86::emu::Mode;
using kvmpp::x86::emu::Outcome;
using Bytes = std::vector<uint8_t>;

inline constexpr uint64_t kCode = 0x1000;
inline constexpr uint64_t kRam = 0x10000;
inline constexpr uint64_t kMmio = 0x30000;
inline constexpr uint64_t kMmioGpa = 0xfed00000;
inline constexpr uint64_t kMmio2 = 0x9000;
inline constexpr uint64_t kMmio2Gpa = 0xfee00000;
inline constexpr uint64_t kVga = 0xa0000;
inline constexpr uint64_t kHigh = 0xffff800000000000;
inline constexpr uint64_t kInitFlags = 0x2;  // RFLAGS bit 1 is always set

// A register, RIP, RFLAGS or a segment base.
enum Loc : uint8_t {
  RAX,
  RCX,
  RDX,
  RBX,
  RSP,
  RBP,
  RSI,
  RDI,
  R8,
  R9,
  R10,
  R11,
  R12,
  R13,
  R14,
  R15,
  RIP,
  RFL,
  ES_BASE,
  CS_BASE,
  SS_BASE,
  DS_BASE,
  FS_BASE,
  GS_BASE,
};

struct Set {
  Loc loc;
  uint64_t value;
};

struct At {
  uint64_t addr;
  Bytes bytes;
};

struct Want {
  Outcome::Kind kind;
  uint64_t gpa;    // kMmioWrite
  Bytes data;      // kMmioWrite
  uint8_t vector;  // kFault
  bool has_error_code;
  uint32_t error_code;
  uint64_t fault_address;
  Outcome::Why why;  // kUnhandleable
};

struct Case {
  std::string name;
  Mode mode;
  Bytes code;             // at CS base + RIP
  std::vector<Set> init;  // initial state beyond the defaults
  std::vector<At> ram;    // RAM contents before
  std::vector<At> mmio;   // MMIO reads the instruction must make: gpa and the data
  Want want;
  // What changes. On kDone/kMmioWrite, RIP defaults to just past `code`.
  // Everything not named must stay as it was.
  std::vector<Set> after;
  std::vector<At> ram_after;
};

// Registers before, unless a row says otherwise: RAX = 0x1010101010101010,
// RCX = 0x1111111111111111, ... R15 = 0x1f1f1f1f1f1f1f1f.
constexpr uint64_t default_gpr(unsigned i) { return 0x0101010101010101ull * (0x10 + i); }

const std::vector<Case>& corpus();

}  // namespace emu_corpus

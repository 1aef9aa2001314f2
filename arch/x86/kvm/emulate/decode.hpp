// SPDX-License-Identifier: GPL-2.0
// The instruction decoder: legacy and REX prefixes, the one-byte and 0F opcode
// maps, ModRM/SIB/displacement, immediates and moffs, for 16-, 32- and 64-bit
// code (Intel SDM vol. 2, "Instruction Format"; AMD APM vol. 3, "Instruction
// Encoding"). It only computes where operands are; execute.cpp reads them.
#pragma once

#include "emulate.hpp"

namespace kvmpp::x86::emu {

enum class Op : uint8_t {
  kNone,
  // The eight ALU operations in the order of their opcode rows and of the
  // ModRM.reg field of group 1.
  kAdd,
  kOr,
  kAdc,
  kSbb,
  kAnd,
  kSub,
  kXor,
  kCmp,
  kTest,
  kMov,
  kMovzx,
  kMovsx,
  kMovsxd,
  kXchg,
  kBt,
  kBts,
  kBtr,
  kBtc,
  kMovs,
  kStos,
};

// Where the destination and the source are.
enum class Form : uint8_t {
  kNone,
  kRmReg,     // dst ModRM.rm, src ModRM.reg
  kRegRm,     // dst ModRM.reg, src ModRM.rm
  kRmImm,     // dst ModRM.rm, src immediate
  kAccImm,    // dst AL/AX/EAX/RAX, src immediate
  kAccMoffs,  // dst AL/AX/EAX/RAX, src [moffs]
  kMoffsAcc,  // dst [moffs], src AL/AX/EAX/RAX
  kString,    // implicit rSI/rDI operands
};

// A register operand. high8 selects AH/CH/DH/BH (bits 15:8 of num).
struct RegRef {
  uint8_t num;
  bool high8;
};

inline constexpr uint8_t kNoReg = 0xff;
inline constexpr uint8_t kRipBase = 0xfe;  // RIP-relative: base is the next RIP

// A memory operand as encoded: segment:[base + index << scale + disp].
struct MemRef {
  uint8_t seg;
  uint8_t base;   // a Gpr, kNoReg or kRipBase
  uint8_t index;  // a Gpr or kNoReg
  uint8_t scale;  // shift count 0-3
  uint64_t disp;  // sign-extended displacement, or the moffs offset
};

struct Insn {
  Op op;
  Form form;
  uint8_t len;
  uint8_t op_size;    // bytes: the destination's size
  uint8_t src_size;   // bytes: differs from op_size for MOVZX/MOVSX/MOVSXD
  uint8_t addr_size;  // bytes: 2, 4 or 8
  bool lock;
  bool rep;              // F3
  bool repne;            // F2
  bool mem;              // the ModRM.rm/moffs/string operand is in memory
  uint8_t seg_override;  // a Seg, or kNumSegs for none
  uint8_t rex;
  RegRef reg;    // ModRM.reg (or the accumulator for kAcc* forms)
  RegRef rm;     // ModRM.rm when !mem
  MemRef ea;     // when mem (not for kString)
  uint64_t imm;  // sign-extended to 64 bits
};

// Instruction bytes, fetched as the decoder asks for them: an instruction that
// ends before a page boundary must not fault on the next page.
class CodeStream {
 public:
  CodeStream(Memory& mem, uint64_t linear, bool wrap32, Outcome& out)
      : mem_(mem), linear_(linear), wrap32_(wrap32), out_(out) {}

  [[nodiscard]] kxx::Result<uint8_t> next();
  // Fetch the first bytes (up to the page's end) without consuming any; an
  // error is recorded as next() would record it for the first byte.
  [[nodiscard]] kxx::Status prefetch();
  unsigned pos() const { return pos_; }
  uint64_t linear() const { return linear_; }
  unsigned fetched() const { return fetched_; }
  const uint8_t* bytes() const { return buf_; }

 private:
  Memory& mem_;
  uint64_t linear_;
  bool wrap32_;  // linear addresses are 32 bits wide outside 64-bit mode
  Outcome& out_;
  uint8_t buf_[kMaxInsnLen] = {};
  unsigned fetched_ = 0;
  unsigned pos_ = 0;
};

// Decode one instruction. On error, out says why (unhandleable or a fault).
[[nodiscard]] kxx::Status decode(Mode mode, CodeStream& code, Insn& insn, Outcome& out);

// Instructions that decoded, by where they were. Decoding depends only on
// the mode and the instruction's bytes, so the same bytes in the same mode
// need no second decode: a guest's MMIO accesses come from a few
// instructions (its APIC EOI and timer writes, say), emulated again and
// again. Where an instruction was only picks its entry.
struct DecodeCache {
  static constexpr unsigned kEntries = 8;
  struct Entry {
    bool valid = false;
    Mode mode = Mode::kReal;
    Insn insn{};
    uint8_t bytes[kMaxInsnLen] = {};
  };
  Entry entry[kEntries];

  // The entry for an instruction at @linear (a multiplicative hash: nearby
  // instructions land apart).
  Entry& at(uint64_t linear) { return entry[(linear * 0x9e3779b97f4a7c15ull) >> 61]; }
};

}  // namespace kvmpp::x86::emu

// SPDX-License-Identifier: GPL-2.0
// The state of one emulate() call: a working copy of the registers, which the
// caller sees only when the instruction completes, and operand access
// (registers, effective and linear addresses, guest memory with MMIO).
#pragma once

#include "bits.hpp"
#include "decode.hpp"
#include "emulate.hpp"

namespace kvmpp::x86::emu {

class Cpu {
 public:
  Cpu(Mode mode, Regs& regs, const Segments& segs, Memory& mem, const MmioReadCache& cache,
      Outcome& out)
      : mode_(mode), regs_(regs), segs_(segs), mem_(mem), cache_(cache), out_(out) {}

  Mode mode() const { return mode_; }
  Regs& regs() { return regs_; }
  Outcome& out() { return out_; }
  bool mmio_write_pending() const { return mmio_write_pending_; }

  // A register operand of the given size.
  uint64_t reg(RegRef r, unsigned size) const;
  // Write a register the way the hardware does: 8- and 16-bit writes keep the
  // rest of the register; 32-bit writes zero bits 63:32 (SDM vol. 1,
  // "General-Purpose Registers in 64-Bit Mode"; outside 64-bit mode those bits
  // are not visible, and zeroing them is as good as any value).
  void set_reg(RegRef r, unsigned size, uint64_t value);

  // The offset an encoded memory operand names, wrapped to the address size.
  uint64_t effective_address(const Insn& insn) const;
  // Segment base + offset (SDM vol. 3A, "Logical and Linear Addresses").
  uint64_t linear(uint8_t seg, uint64_t offset) const;

  // Guest memory at seg:offset, size 1-8 bytes, little-endian. A read that
  // finds MMIO without data in the cache stops with kMmioRead; a write to
  // MMIO is recorded in the Outcome and finishes as kMmioWrite.
  [[nodiscard]] kxx::Result<uint64_t> read(uint8_t seg, uint64_t offset, unsigned size);
  [[nodiscard]] kxx::Status write(uint8_t seg, uint64_t offset, unsigned size, uint64_t value);

  // The linear address of the instruction at RIP.
  uint64_t code_linear() const;
  // RIP past the instruction, wrapped to the code segment's size.
  void advance_rip(const Insn& insn);

 private:
  uint64_t linear_wrap(uint64_t linear) const {
    return mode_ == Mode::kLong64 ? linear : linear & 0xffffffffu;
  }

  Mode mode_;
  Regs& regs_;
  const Segments& segs_;
  Memory& mem_;
  const MmioReadCache& cache_;
  Outcome& out_;
  bool mmio_write_pending_ = false;
};

}  // namespace kvmpp::x86::emu

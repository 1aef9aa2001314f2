// SPDX-License-Identifier: GPL-2.0
// Operand access for one emulate() call (see cpu.hpp).
#include "cpu.hpp"

#include "stop.hpp"

namespace kvmpp::x86::emu {

namespace {

constexpr uint64_t kPageSize = 4096;

// Where the current RIP's code segment wraps the instruction pointer.
constexpr uint64_t ip_mask(Mode mode) {
  switch (mode) {
    case Mode::kReal:
    case Mode::kProt16: return 0xffff;
    case Mode::kProt32: return 0xffffffffu;
    case Mode::kLong64: break;
  }
  return ~uint64_t(0);
}

}  // namespace

uint64_t Cpu::reg(RegRef r, unsigned size) const {
  uint64_t v = regs_.gpr[r.num];
  if (r.high8) return (v >> 8) & 0xff;
  return v & size_mask(size);
}

void Cpu::set_reg(RegRef r, unsigned size, uint64_t value) {
  uint64_t& g = regs_.gpr[r.num];
  switch (size) {
    case 1:
      if (r.high8) {
        g = (g & ~uint64_t(0xff00)) | ((value & 0xff) << 8);
      } else {
        g = (g & ~uint64_t(0xff)) | (value & 0xff);
      }
      break;
    case 2: g = (g & ~uint64_t(0xffff)) | (value & 0xffff); break;
    case 4: g = value & 0xffffffffu; break;
    default: g = value; break;
  }
}

uint64_t Cpu::effective_address(const Insn& insn) const {
  const MemRef& m = insn.ea;
  uint64_t ea = m.disp;
  if (m.base == kRipBase) {
    // RIP-relative: relative to the next instruction (SDM vol. 2,
    // "RIP-Relative Addressing").
    ea += regs_.rip + insn.len;
  } else if (m.base != kNoReg) {
    ea += regs_.gpr[m.base];
  }
  if (m.index != kNoReg) ea += regs_.gpr[m.index] << m.scale;
  return ea & size_mask(insn.addr_size);
}

uint64_t Cpu::linear(uint8_t seg, uint64_t offset) const {
  if (mode_ == Mode::kLong64) {
    // 64-bit mode: only FS and GS have a base (SDM vol. 3A, "Segmentation in
    // IA-32e Mode").
    return (seg == kFs || seg == kGs) ? segs_.base[seg] + offset : offset;
  }
  return linear_wrap(segs_.base[seg] + offset);
}

kxx::Result<uint64_t> Cpu::read(uint8_t seg, uint64_t offset, unsigned size) {
  uint8_t buf[8] = {};
  uint64_t start = linear(seg, offset);
  for (unsigned done = 0; done < size;) {
    uint64_t at = linear_wrap(start + done);
    unsigned chunk = unsigned(kPageSize - (at & (kPageSize - 1)));
    if (chunk > size - done) chunk = size - done;
    AccessResult r = mem_.read(at, buf + done, chunk);
    switch (r.kind) {
      case AccessResult::kRam: break;
      case AccessResult::kMmio:
        if (!cache_.find(r.gpa, chunk, buf + done)) return stop_mmio_read(out_, r.gpa, chunk);
        break;
      case AccessResult::kFault: return stop_fault(out_, r.fault);
      default: return stop_unhandleable(out_, Outcome::Why::kBadAccess);
    }
    done += chunk;
  }
  uint64_t v = 0;
  for (unsigned i = 0; i < size; i++) v |= uint64_t(buf[i]) << (8 * i);
  return v;
}

// A write that crosses a page is done piece by piece: if the second piece
// faults, the first one (RAM) has already been stored. Hardware checks both
// translations first; the difference is visible only to a guest that
// straddles a page boundary on purpose and then inspects the first page from
// its #PF handler.
kxx::Status Cpu::write(uint8_t seg, uint64_t offset, unsigned size, uint64_t value) {
  uint8_t buf[8];
  for (unsigned i = 0; i < size; i++) buf[i] = uint8_t(value >> (8 * i));
  uint64_t start = linear(seg, offset);
  for (unsigned done = 0; done < size;) {
    uint64_t at = linear_wrap(start + done);
    unsigned chunk = unsigned(kPageSize - (at & (kPageSize - 1)));
    if (chunk > size - done) chunk = size - done;
    AccessResult r = mem_.write(at, buf + done, chunk);
    switch (r.kind) {
      case AccessResult::kRam: break;
      case AccessResult::kMmio:
        // One MMIO write per instruction is all an Outcome can carry.
        if (mmio_write_pending_) return stop_unhandleable(out_, Outcome::Why::kSplitMmioWrite);
        mmio_write_pending_ = true;
        out_.gpa = r.gpa;
        out_.len = chunk;
        for (unsigned i = 0; i < chunk; i++) out_.data[i] = buf[done + i];
        break;
      case AccessResult::kFault: return stop_fault(out_, r.fault);
      default: return stop_unhandleable(out_, Outcome::Why::kBadAccess);
    }
    done += chunk;
  }
  return kxx::OkStatus();
}

uint64_t Cpu::code_linear() const {
  if (mode_ == Mode::kLong64) return regs_.rip;
  return linear_wrap(segs_.base[kCs] + (regs_.rip & ip_mask(mode_)));
}

void Cpu::advance_rip(const Insn& insn) { regs_.rip = (regs_.rip + insn.len) & ip_mask(mode_); }

}  // namespace kvmpp::x86::emu

// SPDX-License-Identifier: GPL-2.0
// Executing a decoded instruction, and emulate(), the entry point.
//
// Every operation reads all of its operands before it writes any, so that a
// kMmioRead stop leaves guest memory untouched and the call can be repeated
// once the data is in the cache. Register effects go to the Cpu's working
// copy and reach the caller only when the instruction completes.
#include "alu.hpp"
#include "bits.hpp"
#include "cpu.hpp"
#include "decode.hpp"
#include "stop.hpp"

namespace kvmpp::x86::emu {

namespace {

enum class Where : uint8_t { kReg, kMem, kImm };

struct Operand {
  Where where;
  RegRef reg;
};

constexpr RegRef kAcc = {kRax, false};

Operand rm_operand(const Insn& in) {
  return in.mem ? Operand{Where::kMem, {}} : Operand{Where::kReg, in.rm};
}

Operand dst_operand(const Insn& in) {
  switch (in.form) {
    case Form::kRmReg:
    case Form::kRmImm: return rm_operand(in);
    case Form::kMoffsAcc: return {Where::kMem, {}};
    default: return {Where::kReg, in.reg};
  }
}

Operand src_operand(const Insn& in) {
  switch (in.form) {
    case Form::kRegRm: return rm_operand(in);
    case Form::kRmImm:
    case Form::kAccImm: return {Where::kImm, {}};
    case Form::kAccMoffs: return {Where::kMem, {}};
    default: return {Where::kReg, in.reg};
  }
}

// One instruction's execution: the operands of `in` and where its memory
// operand is.
class Exec {
 public:
  Exec(Cpu& cpu, const Insn& in) : cpu_(cpu), in_(in) {
    if (in.mem && in.form != Form::kString) ea_ = cpu.effective_address(in);
  }

  kxx::Status run();

 private:
  kxx::Result<uint64_t> load(Operand o, unsigned size) {
    switch (o.where) {
      case Where::kReg: return cpu_.reg(o.reg, size);
      case Where::kMem: return cpu_.read(in_.ea.seg, ea_, size);
      case Where::kImm: break;
    }
    return in_.imm & size_mask(size);
  }

  kxx::Status store(Operand o, unsigned size, uint64_t value) {
    if (o.where == Where::kMem) return cpu_.write(in_.ea.seg, ea_, size, value);
    cpu_.set_reg(o.reg, size, value);
    return kxx::OkStatus();
  }

  kxx::Status done() {
    cpu_.advance_rip(in_);
    return kxx::OkStatus();
  }

  kxx::Status alu_op();
  kxx::Status mov();
  kxx::Status mov_extend();
  kxx::Status xchg();
  kxx::Status bit_test();
  kxx::Status string_op();

  Cpu& cpu_;
  const Insn& in_;
  uint64_t ea_ = 0;
};

kxx::Status Exec::run() {
  switch (in_.op) {
    case Op::kAdd:
    case Op::kOr:
    case Op::kAdc:
    case Op::kSbb:
    case Op::kAnd:
    case Op::kSub:
    case Op::kXor:
    case Op::kCmp:
    case Op::kTest: return alu_op();
    case Op::kMov: return mov();
    case Op::kMovzx:
    case Op::kMovsx:
    case Op::kMovsxd: return mov_extend();
    case Op::kXchg: return xchg();
    case Op::kBt:
    case Op::kBts:
    case Op::kBtr:
    case Op::kBtc: return bit_test();
    case Op::kMovs:
    case Op::kStos: return string_op();
    case Op::kNone: break;
  }
  return stop_unhandleable(cpu_.out(), Outcome::Why::kOpcode);
}

kxx::Status Exec::alu_op() {
  unsigned size = in_.op_size;
  Operand dst = dst_operand(in_);
  uint64_t b = TRY(load(src_operand(in_), size));
  uint64_t a = TRY(load(dst, size));
  uint64_t r = alu(in_.op, size, a, b, cpu_.regs().rflags);
  // CMP and TEST only set flags.
  if (in_.op != Op::kCmp && in_.op != Op::kTest) TRY_STATUS(store(dst, size, r));
  return done();
}

kxx::Status Exec::mov() {
  uint64_t v = TRY(load(src_operand(in_), in_.op_size));
  TRY_STATUS(store(dst_operand(in_), in_.op_size, v));
  return done();
}

// MOVZX, MOVSX, MOVSXD: a narrower r/m source widened into a register.
kxx::Status Exec::mov_extend() {
  uint64_t v = TRY(load(src_operand(in_), in_.src_size));
  if (in_.op != Op::kMovzx) v = sign_extend_from(v, in_.src_size);
  cpu_.set_reg(in_.reg, in_.op_size, v);
  return done();
}

kxx::Status Exec::xchg() {
  Operand rm = dst_operand(in_);
  Operand reg = src_operand(in_);
  uint64_t a = TRY(load(rm, in_.op_size));
  uint64_t b = TRY(load(reg, in_.op_size));
  TRY_STATUS(store(rm, in_.op_size, b));
  TRY_STATUS(store(reg, in_.op_size, a));
  return done();
}

// BT, BTS, BTR, BTC (SDM vol. 2, "BT—Bit Test"). CF gets the bit; ZF is kept
// and OF, SF, AF, PF (undefined) are left as they were.
kxx::Status Exec::bit_test() {
  unsigned size = in_.op_size;
  unsigned bits = 8 * size;
  unsigned log2_bits = size == 2 ? 4 : size == 4 ? 5 : 6;
  uint64_t offset;
  if (in_.form == Form::kRmImm) {
    offset = in_.imm;
  } else {
    offset = cpu_.reg(in_.reg, size);
    if (in_.mem) {
      // A register bit offset into memory is a signed bit string index: it
      // selects the operand-sized unit at ea + (offset DIV bits) * size
      // ("Bit(BitBase, BitOffset)" in SDM vol. 1, "Bit and Byte Order").
      int64_t units = int64_t(sign_extend_from(offset, size)) >> log2_bits;
      ea_ = (ea_ + uint64_t(units) * size) & size_mask(in_.addr_size);
    }
  }
  uint64_t bit = uint64_t(1) << (offset & (bits - 1));
  Operand dst = dst_operand(in_);
  uint64_t v = TRY(load(dst, size));
  uint64_t& rflags = cpu_.regs().rflags;
  rflags = (v & bit) ? (rflags | kFlagCf) : (rflags & ~kFlagCf);
  switch (in_.op) {
    case Op::kBts: v |= bit; break;
    case Op::kBtr: v &= ~bit; break;
    case Op::kBtc: v ^= bit; break;
    default: return done();
  }
  TRY_STATUS(store(dst, size, v));
  return done();
}

// MOVS and STOS, one iteration per call (SDM vol. 2, "REP/REPE/REPZ/REPNE/
// REPNZ"): with REP, RIP stays on the instruction until the count reaches 0,
// so the caller (or the guest, re-executing it) runs the next iteration.
// rSI, rDI and rCX are used at the address size.
kxx::Status Exec::string_op() {
  unsigned asize = in_.addr_size;
  unsigned size = in_.op_size;
  constexpr RegRef kCount = {kRcx, false};
  constexpr RegRef kSrc = {kRsi, false};
  constexpr RegRef kDst = {kRdi, false};
  uint64_t count = cpu_.reg(kCount, asize);
  if (in_.rep && count == 0) return done();

  uint64_t src = cpu_.reg(kSrc, asize);
  uint64_t dst = cpu_.reg(kDst, asize);
  uint64_t v = cpu_.reg(kAcc, size);
  if (in_.op == Op::kMovs) v = TRY(cpu_.read(in_.ea.seg, src, size));
  // The destination is always ES:rDI, whatever the segment prefixes.
  TRY_STATUS(cpu_.write(kEs, dst, size, v));

  uint64_t step = (cpu_.regs().rflags & kFlagDf) ? uint64_t(0) - size : size;
  cpu_.set_reg(kDst, asize, dst + step);
  if (in_.op == Op::kMovs) cpu_.set_reg(kSrc, asize, src + step);
  if (!in_.rep) return done();
  cpu_.set_reg(kCount, asize, count - 1);
  if (count == 1) return done();
  return kxx::OkStatus();
}

// Decode the instruction, or take it from @decoded when its bytes (those
// the first fetch brought: a miss costs no extra fetch) and the mode are
// the same. A failed first fetch is recorded as decoding's own would be.
kxx::Status decode_or_reuse(Mode mode, CodeStream& code, Insn& insn, Outcome& out,
                            DecodeCache* decoded) {
  if (!decoded) return decode(mode, code, insn, out);
  DecodeCache::Entry& e = decoded->at(code.linear());
  if (e.valid && e.mode == mode) {
    TRY_STATUS(code.prefetch());
    unsigned len = e.insn.len;
    if (code.fetched() >= len && __builtin_memcmp(code.bytes(), e.bytes, len) == 0) {
      insn = e.insn;
      return kxx::OkStatus();
    }
  }
  TRY_STATUS(decode(mode, code, insn, out));
  e.valid = true;
  e.mode = mode;
  e.insn = insn;
  __builtin_memcpy(e.bytes, code.bytes(), insn.len);
  return kxx::OkStatus();
}

}  // namespace

Outcome emulate(Mode mode, Regs& regs, const Segments& segs, Memory& mem,
                const MmioReadCache& cache, DecodeCache* decoded) {
  Outcome out{};
  Regs work = regs;
  Cpu cpu(mode, work, segs, mem, cache, out);
  CodeStream code(mem, cpu.code_linear(), mode != Mode::kLong64, out);
  Insn insn;
  kxx::Status status = decode_or_reuse(mode, code, insn, out, decoded);
  // Report the instruction's bytes, or all that were fetched if it did not
  // decode.
  unsigned n = status.ok() ? insn.len : code.fetched();
  for (unsigned i = 0; i < n; i++) out.insn[i] = code.bytes()[i];
  out.insn_len = uint8_t(n);
  if (status.ok()) status = Exec(cpu, insn).run();
  if (!status.ok()) return out;
  regs = work;
  out.kind = cpu.mmio_write_pending() ? Outcome::kMmioWrite : Outcome::kDone;
  return out;
}

}  // namespace kvmpp::x86::emu

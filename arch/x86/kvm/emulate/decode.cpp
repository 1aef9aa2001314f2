// SPDX-License-Identifier: GPL-2.0
// The instruction decoder (see decode.hpp). Opcode maps are constexpr tables
// built at compile time; only the opcodes the emulator implements have
// entries, everything else decodes as unhandleable.
#include "decode.hpp"

#include "bits.hpp"
#include "stop.hpp"

namespace kvmpp::x86::emu {

kxx::Status CodeStream::prefetch() {
  if (fetched_ > 0) return kxx::OkStatus();
  TRY(next());
  pos_ = 0;
  return kxx::OkStatus();
}

kxx::Result<uint8_t> CodeStream::next() {
  // SDM vol. 2, "Instruction Format": an instruction longer than 15 bytes
  // raises #GP(0).
  if (pos_ == kMaxInsnLen) return stop_gp0(out_);
  if (pos_ == fetched_) {
    uint64_t at = linear_ + fetched_;
    if (wrap32_) at &= 0xffffffffu;
    unsigned want = kMaxInsnLen - fetched_;
    Fault fault{};
    auto got = mem_.fetch(at, buf_ + fetched_, want, fault);
    if (!got.ok()) {
      if (got.error().code == kxx::Errno::kFault) return stop_fault(out_, fault);
      return stop_unhandleable(out_, Outcome::Why::kFetch);
    }
    if (got.value() == 0 || got.value() > want) {
      return stop_unhandleable(out_, Outcome::Why::kFetch);
    }
    fetched_ += got.value();
  }
  return buf_[pos_++];
}

namespace {

enum class Imm : uint8_t {
  kNone,
  kByte,  // ib, sign-extended
  kZ,     // iw or id by operand size (id sign-extended for 64-bit operands)
};

enum EntryFlags : uint8_t {
  kModrm = 1 << 0,
  kByteOp = 1 << 1,  // 8-bit operands regardless of prefixes
  kNo64 = 1 << 2,    // #UD in 64-bit mode
  kOnly64 = 1 << 3,  // a different instruction outside 64-bit mode
  kSrc8 = 1 << 4,    // the r/m source is 8 bits (MOVZX/MOVSX)
  kSrc16 = 1 << 5,   // the r/m source is 16 bits (MOVZX/MOVSX)
  kSrc32 = 1 << 6,   // the r/m source is at most 32 bits (MOVSXD)
};

// Opcode groups: the operation comes from ModRM.reg.
enum class Group : uint8_t { kNone, k1, k3, k8, k11 };

struct Entry {
  Op op;
  Form form;
  Imm imm;
  uint8_t flags;
  Group group;
};

struct Map {
  Entry e[256];
};

constexpr Op kAluOps[8] = {Op::kAdd, Op::kOr,  Op::kAdc, Op::kSbb,
                           Op::kAnd, Op::kSub, Op::kXor, Op::kCmp};

// SDM vol. 2, "Opcode Map", table A-2 (one-byte opcodes).
constexpr Map build_one_byte_map() {
  Map m{};
  // Rows 00-3F: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz.
  for (unsigned row = 0; row < 8; row++) {
    Op op = kAluOps[row];
    unsigned b = row << 3;
    m.e[b + 0] = {op, Form::kRmReg, Imm::kNone, kModrm | kByteOp, Group::kNone};
    m.e[b + 1] = {op, Form::kRmReg, Imm::kNone, kModrm, Group::kNone};
    m.e[b + 2] = {op, Form::kRegRm, Imm::kNone, kModrm | kByteOp, Group::kNone};
    m.e[b + 3] = {op, Form::kRegRm, Imm::kNone, kModrm, Group::kNone};
    m.e[b + 4] = {op, Form::kAccImm, Imm::kByte, kByteOp, Group::kNone};
    m.e[b + 5] = {op, Form::kAccImm, Imm::kZ, 0, Group::kNone};
  }
  m.e[0x63] = {Op::kMovsxd, Form::kRegRm, Imm::kNone, kModrm | kOnly64 | kSrc32, Group::kNone};
  // Group 1: 80 Eb,Ib; 81 Ev,Iz; 82 Eb,Ib (an alias of 80, #UD in 64-bit
  // mode); 83 Ev,Ib.
  m.e[0x80] = {Op::kNone, Form::kRmImm, Imm::kByte, kModrm | kByteOp, Group::k1};
  m.e[0x81] = {Op::kNone, Form::kRmImm, Imm::kZ, kModrm, Group::k1};
  m.e[0x82] = {Op::kNone, Form::kRmImm, Imm::kByte, kModrm | kByteOp | kNo64, Group::k1};
  m.e[0x83] = {Op::kNone, Form::kRmImm, Imm::kByte, kModrm, Group::k1};
  m.e[0x84] = {Op::kTest, Form::kRmReg, Imm::kNone, kModrm | kByteOp, Group::kNone};
  m.e[0x85] = {Op::kTest, Form::kRmReg, Imm::kNone, kModrm, Group::kNone};
  m.e[0x86] = {Op::kXchg, Form::kRmReg, Imm::kNone, kModrm | kByteOp, Group::kNone};
  m.e[0x87] = {Op::kXchg, Form::kRmReg, Imm::kNone, kModrm, Group::kNone};
  m.e[0x88] = {Op::kMov, Form::kRmReg, Imm::kNone, kModrm | kByteOp, Group::kNone};
  m.e[0x89] = {Op::kMov, Form::kRmReg, Imm::kNone, kModrm, Group::kNone};
  m.e[0x8a] = {Op::kMov, Form::kRegRm, Imm::kNone, kModrm | kByteOp, Group::kNone};
  m.e[0x8b] = {Op::kMov, Form::kRegRm, Imm::kNone, kModrm, Group::kNone};
  m.e[0xa0] = {Op::kMov, Form::kAccMoffs, Imm::kNone, kByteOp, Group::kNone};
  m.e[0xa1] = {Op::kMov, Form::kAccMoffs, Imm::kNone, 0, Group::kNone};
  m.e[0xa2] = {Op::kMov, Form::kMoffsAcc, Imm::kNone, kByteOp, Group::kNone};
  m.e[0xa3] = {Op::kMov, Form::kMoffsAcc, Imm::kNone, 0, Group::kNone};
  m.e[0xa4] = {Op::kMovs, Form::kString, Imm::kNone, kByteOp, Group::kNone};
  m.e[0xa5] = {Op::kMovs, Form::kString, Imm::kNone, 0, Group::kNone};
  m.e[0xa8] = {Op::kTest, Form::kAccImm, Imm::kByte, kByteOp, Group::kNone};
  m.e[0xa9] = {Op::kTest, Form::kAccImm, Imm::kZ, 0, Group::kNone};
  m.e[0xaa] = {Op::kStos, Form::kString, Imm::kNone, kByteOp, Group::kNone};
  m.e[0xab] = {Op::kStos, Form::kString, Imm::kNone, 0, Group::kNone};
  // Group 11: C6 /0 Eb,Ib; C7 /0 Ev,Iz.
  m.e[0xc6] = {Op::kNone, Form::kRmImm, Imm::kByte, kModrm | kByteOp, Group::k11};
  m.e[0xc7] = {Op::kNone, Form::kRmImm, Imm::kZ, kModrm, Group::k11};
  // Group 3: F6 /0 Eb,Ib; F7 /0 Ev,Iz (the other members take no immediate
  // and are not implemented).
  m.e[0xf6] = {Op::kNone, Form::kRmImm, Imm::kByte, kModrm | kByteOp, Group::k3};
  m.e[0xf7] = {Op::kNone, Form::kRmImm, Imm::kZ, kModrm, Group::k3};
  return m;
}

// SDM vol. 2, "Opcode Map", table A-3 (two-byte opcodes, 0F xx).
constexpr Map build_two_byte_map() {
  Map m{};
  m.e[0xa3] = {Op::kBt, Form::kRmReg, Imm::kNone, kModrm, Group::kNone};
  m.e[0xab] = {Op::kBts, Form::kRmReg, Imm::kNone, kModrm, Group::kNone};
  m.e[0xb3] = {Op::kBtr, Form::kRmReg, Imm::kNone, kModrm, Group::kNone};
  m.e[0xbb] = {Op::kBtc, Form::kRmReg, Imm::kNone, kModrm, Group::kNone};
  m.e[0xba] = {Op::kNone, Form::kRmImm, Imm::kByte, kModrm, Group::k8};
  m.e[0xb6] = {Op::kMovzx, Form::kRegRm, Imm::kNone, kModrm | kSrc8, Group::kNone};
  m.e[0xb7] = {Op::kMovzx, Form::kRegRm, Imm::kNone, kModrm | kSrc16, Group::kNone};
  m.e[0xbe] = {Op::kMovsx, Form::kRegRm, Imm::kNone, kModrm | kSrc8, Group::kNone};
  m.e[0xbf] = {Op::kMovsx, Form::kRegRm, Imm::kNone, kModrm | kSrc16, Group::kNone};
  return m;
}

constexpr Map kOneByteMap = build_one_byte_map();
constexpr Map kTwoByteMap = build_two_byte_map();

// ModRM.reg selects the operation of a group; kNone members are not
// implemented (SDM vol. 2, table A-6 "Opcode Extensions for One- and Two-byte
// Opcodes by Group Number").
constexpr Op group_op(Group g, unsigned reg) {
  switch (g) {
    case Group::k1: return kAluOps[reg];
    case Group::k3: return reg == 0 ? Op::kTest : Op::kNone;
    case Group::k8: return reg >= 4 ? Op(unsigned(Op::kBt) + reg - 4) : Op::kNone;
    case Group::k11: return reg == 0 ? Op::kMov : Op::kNone;
    case Group::kNone: break;
  }
  return Op::kNone;
}

static_assert(group_op(Group::k8, 7) == Op::kBtc);
static_assert(kOneByteMap.e[0x39].op == Op::kCmp && kOneByteMap.e[0x39].form == Form::kRmReg);

constexpr bool is_lockable(Op op) {
  // SDM vol. 2, "LOCK—Assert LOCK# Signal Prefix": the instructions here that
  // accept LOCK, and then only with a memory destination.
  switch (op) {
    case Op::kAdd:
    case Op::kOr:
    case Op::kAdc:
    case Op::kSbb:
    case Op::kAnd:
    case Op::kSub:
    case Op::kXor:
    case Op::kXchg:
    case Op::kBts:
    case Op::kBtr:
    case Op::kBtc: return true;
    default: return false;
  }
}

// A byte register operand: without any REX prefix, encodings 4-7 are AH, CH,
// DH, BH (SDM vol. 1, "General-Purpose Registers in 64-Bit Mode").
RegRef reg_operand(unsigned num, unsigned size, uint8_t rex) {
  if (size == 1 && rex == 0 && num >= 4 && num < 8) return {uint8_t(num - 4), true};
  return {uint8_t(num), false};
}

kxx::Result<uint64_t> read_le(CodeStream& code, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; i++) v |= uint64_t(TRY(code.next())) << (8 * i);
  return v;
}

// Legacy prefixes (SDM vol. 2, "Instruction Prefixes"). Returns false for a
// byte that is not one.
bool apply_legacy_prefix(uint8_t b, Mode mode, Insn& insn, bool& opsize, bool& adsize) {
  // In 64-bit mode the ES, CS, SS and DS overrides are ignored (AMD APM vol. 3,
  // "Segment-Override Prefixes"); their bases count as 0 there anyway.
  bool legacy_seg_ok = mode != Mode::kLong64;
  switch (b) {
    case 0xf0: insn.lock = true; return true;
    case 0xf2: insn.repne = true, insn.rep = false; return true;
    case 0xf3: insn.rep = true, insn.repne = false; return true;
    case 0x66: opsize = true; return true;
    case 0x67: adsize = true; return true;
    case 0x26: insn.seg_override = legacy_seg_ok ? uint8_t(kEs) : insn.seg_override; return true;
    case 0x2e: insn.seg_override = legacy_seg_ok ? uint8_t(kCs) : insn.seg_override; return true;
    case 0x36: insn.seg_override = legacy_seg_ok ? uint8_t(kSs) : insn.seg_override; return true;
    case 0x3e: insn.seg_override = legacy_seg_ok ? uint8_t(kDs) : insn.seg_override; return true;
    case 0x64: insn.seg_override = kFs; return true;
    case 0x65: insn.seg_override = kGs; return true;
    default: return false;
  }
}

// 16-bit ModRM addressing (SDM vol. 2, table 2-1 "16-Bit Addressing Forms with
// the ModR/M Byte").
kxx::Status decode_modrm16(CodeStream& code, unsigned mod, unsigned rm, MemRef& ea) {
  constexpr struct {
    uint8_t base, index;
  } kForms[8] = {{kRbx, kRsi},   {kRbx, kRdi},   {kRbp, kRsi},   {kRbp, kRdi},
                 {kRsi, kNoReg}, {kRdi, kNoReg}, {kRbp, kNoReg}, {kRbx, kNoReg}};
  ea.scale = 0;
  if (mod == 0 && rm == 6) {
    ea.base = ea.index = kNoReg;
    ea.disp = TRY(read_le(code, 2));
    ea.seg = kDs;
    return kxx::OkStatus();
  }
  ea.base = kForms[rm].base;
  ea.index = kForms[rm].index;
  ea.seg = ea.base == kRbp ? kSs : kDs;
  if (mod == 1) ea.disp = sign_extend_from(TRY(read_le(code, 1)), 1);
  if (mod == 2) ea.disp = TRY(read_le(code, 2));
  return kxx::OkStatus();
}

// 32/64-bit ModRM and SIB addressing (SDM vol. 2, tables 2-2 and 2-3, and
// "RIP-Relative Addressing"; REX.X and REX.B extend index and base, but the
// no-base and no-index special cases look at the unextended fields).
kxx::Status decode_modrm32(CodeStream& code, Mode mode, uint8_t rex, unsigned mod, unsigned rm,
                           MemRef& ea) {
  ea.scale = 0;
  ea.index = kNoReg;
  bool disp32 = mod == 2;
  if (rm == 4) {
    uint8_t sib = TRY(code.next());
    unsigned index = ((sib >> 3) & 7) | ((rex & 2) << 2);
    unsigned base = sib & 7;
    ea.scale = sib >> 6;
    ea.index = index == 4 ? kNoReg : uint8_t(index);
    if (base == 5 && mod == 0) {
      ea.base = kNoReg;
      disp32 = true;
    } else {
      ea.base = uint8_t(base | ((rex & 1) << 3));
    }
  } else if (rm == 5 && mod == 0) {
    ea.base = mode == Mode::kLong64 ? kRipBase : kNoReg;
    disp32 = true;
  } else {
    ea.base = uint8_t(rm | ((rex & 1) << 3));
  }
  // rSP and rBP as base default to SS (SDM vol. 1, "Default Segment Selection
  // Rules").
  ea.seg = ea.base == kRsp || ea.base == kRbp ? kSs : kDs;
  ea.disp = 0;
  if (mod == 1) ea.disp = sign_extend_from(TRY(read_le(code, 1)), 1);
  if (disp32) ea.disp = sign_extend_from(TRY(read_le(code, 4)), 4);
  return kxx::OkStatus();
}

}  // namespace

kxx::Status decode(Mode mode, CodeStream& code, Insn& insn, Outcome& out) {
  insn = {};
  insn.seg_override = kNumSegs;
  bool long64 = mode == Mode::kLong64;
  bool opsize = false;
  bool adsize = false;
  uint8_t b;
  for (;;) {
    b = TRY(code.next());
    if (apply_legacy_prefix(b, mode, insn, opsize, adsize)) {
      // A REX prefix counts only right before the opcode (SDM vol. 2, "REX
      // Prefixes").
      insn.rex = 0;
      continue;
    }
    if (long64 && (b & 0xf0) == 0x40) {
      insn.rex = b;
      continue;
    }
    break;
  }
  const Entry* entry = &kOneByteMap.e[b];
  if (b == 0x0f) entry = &kTwoByteMap.e[TRY(code.next())];
  if (entry->op == Op::kNone && entry->group == Group::kNone) {
    return stop_unhandleable(out, Outcome::Why::kOpcode);
  }
  if (long64 && (entry->flags & kNo64)) return stop_ud(out);
  if (!long64 && (entry->flags & kOnly64)) return stop_unhandleable(out, Outcome::Why::kOpcode);

  // Operand and address size (SDM vol. 1, "Operand-Size and Address-Size
  // Attributes"; vol. 2, table 2-4 for 64-bit mode): REX.W beats 66.
  bool default32 = mode == Mode::kProt32 || long64;
  unsigned osize = (default32 != opsize) ? 4 : 2;
  if (insn.rex & 8) osize = 8;
  if (entry->flags & kByteOp) osize = 1;
  unsigned asize = long64 ? (adsize ? 4 : 8) : ((default32 != adsize) ? 4 : 2);
  insn.op_size = uint8_t(osize);
  insn.addr_size = uint8_t(asize);
  insn.src_size = uint8_t(osize);
  if (entry->flags & kSrc8) insn.src_size = 1;
  if (entry->flags & kSrc16) insn.src_size = 2;
  if ((entry->flags & kSrc32) && osize == 8) insn.src_size = 4;
  insn.op = entry->op;
  insn.form = entry->form;

  if (entry->flags & kModrm) {
    uint8_t modrm = TRY(code.next());
    unsigned mod = modrm >> 6;
    unsigned reg = (modrm >> 3) & 7;
    unsigned rm = modrm & 7;
    if (entry->group != Group::kNone) {
      insn.op = group_op(entry->group, reg);
      if (insn.op == Op::kNone) return stop_unhandleable(out, Outcome::Why::kOpcode);
    }
    // The r/m operand has the source size for MOVZX/MOVSX/MOVSXD, and the
    // ModRM.reg operand the destination size.
    unsigned rm_size = insn.form == Form::kRegRm ? insn.src_size : osize;
    insn.reg = reg_operand(reg | ((insn.rex & 4) << 1), osize, insn.rex);
    insn.mem = mod != 3;
    if (!insn.mem) {
      insn.rm = reg_operand(rm | ((insn.rex & 1) << 3), rm_size, insn.rex);
    } else if (asize == 2) {
      TRY_STATUS(decode_modrm16(code, mod, rm, insn.ea));
    } else {
      TRY_STATUS(decode_modrm32(code, mode, insn.rex, mod, rm, insn.ea));
    }
  }

  switch (insn.form) {
    case Form::kAccImm:
    case Form::kAccMoffs:
    case Form::kMoffsAcc: insn.reg = {kRax, false}; break;
    default: break;
  }
  if (insn.form == Form::kAccMoffs || insn.form == Form::kMoffsAcc) {
    // The offset is address-size wide (SDM vol. 2, "MOV—Move", moffs).
    insn.mem = true;
    insn.ea = {kDs, kNoReg, kNoReg, 0, TRY(read_le(code, asize))};
  }
  if (insn.form == Form::kString) {
    // MOVS reads DS:rSI (overridable); both write ES:rDI (never overridden).
    insn.mem = true;
    insn.ea.seg = kDs;
  }
  if (insn.seg_override != kNumSegs && insn.mem) insn.ea.seg = insn.seg_override;

  switch (entry->imm) {
    case Imm::kNone: break;
    case Imm::kByte: insn.imm = sign_extend_from(TRY(read_le(code, 1)), 1); break;
    case Imm::kZ: {
      unsigned n = osize == 2 ? 2 : 4;
      insn.imm = sign_extend_from(TRY(read_le(code, n)), n);
      break;
    }
  }
  insn.len = uint8_t(code.pos());

  if (insn.lock) {
    bool mem_dst = insn.mem && (insn.form == Form::kRmReg || insn.form == Form::kRmImm);
    if (!is_lockable(insn.op) || !mem_dst) return stop_ud(out);
  }
  // REPNE has no defined meaning for MOVS and STOS.
  if (insn.form == Form::kString && insn.repne) {
    return stop_unhandleable(out, Outcome::Why::kOpcode);
  }
  return kxx::OkStatus();
}

}  // namespace kvmpp::x86::emu

// SPDX-License-Identifier: GPL-2.0
// The x86 instruction emulator used for guest accesses to MMIO (guest-physical
// addresses without RAM behind them). It decodes and executes one instruction
// against an abstract view of guest memory, so that it runs unchanged in the
// kernel and in the user-space unit tests.
//
// Protocol, one instruction per emulate() call:
//  - kDone: the instruction completed (registers, RIP, flags and any RAM
//    writes applied).
//  - kMmioRead: the instruction needs `len` bytes from MMIO at `gpa`. Nothing
//    was changed (no register, no RAM). Complete the read in user space, add
//    the data to the MmioReadCache and call emulate() again with the same
//    starting state; a read that crosses a page may ask twice.
//  - kMmioWrite: the instruction completed except for the MMIO write in
//    (gpa, len, data), which the caller forwards to user space.
//  - kFault: the guest must see `fault`; nothing was changed.
//  - kUnhandleable: not emulated (see `why`); nothing was changed. The caller
//    reports KVM_EXIT_INTERNAL_ERROR with insn[0..insn_len).
// Clear the cache after every outcome other than kMmioRead: a REP string
// instruction runs one iteration per call and may read the same MMIO address
// again, expecting fresh data.
#pragma once

#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp::x86::emu {

// The default operand and address size of the code segment. Real mode is
// 16-bit; virtual-8086 mode is not emulated.
enum class Mode : uint8_t { kReal, kProt16, kProt32, kLong64 };

// General-purpose registers in hardware (ModRM) order.
enum Gpr : uint8_t {
  kRax,
  kRcx,
  kRdx,
  kRbx,
  kRsp,
  kRbp,
  kRsi,
  kRdi,
  kR8,
  kR9,
  kR10,
  kR11,
  kR12,
  kR13,
  kR14,
  kR15,
  kNumGprs
};

// Segment registers in hardware (Sreg) order.
enum Seg : uint8_t { kEs, kCs, kSs, kDs, kFs, kGs, kNumSegs };

// RFLAGS bits the emulator reads or writes.
inline constexpr uint64_t kFlagCf = 1ull << 0;
inline constexpr uint64_t kFlagPf = 1ull << 2;
inline constexpr uint64_t kFlagAf = 1ull << 4;
inline constexpr uint64_t kFlagZf = 1ull << 6;
inline constexpr uint64_t kFlagSf = 1ull << 7;
inline constexpr uint64_t kFlagDf = 1ull << 10;
inline constexpr uint64_t kFlagOf = 1ull << 11;
inline constexpr uint64_t kArithFlags = kFlagCf | kFlagPf | kFlagAf | kFlagZf | kFlagSf | kFlagOf;

struct Regs {
  uint64_t gpr[kNumGprs];
  uint64_t rip;
  uint64_t rflags;
};

// Segment bases, already resolved by the caller (selector << 4 in real mode,
// the descriptor base otherwise). In 64-bit mode only the FS and GS bases are
// used; the others count as 0. Limits and access rights are the caller's to
// check (see Memory).
struct Segments {
  uint64_t base[kNumSegs];
};

// Exception vectors the emulator itself raises.
inline constexpr uint8_t kVectorUd = 6;
inline constexpr uint8_t kVectorGp = 13;

// An exception for the guest.
struct Fault {
  uint8_t vector;
  bool has_error_code;
  uint32_t error_code;
  uint64_t address;  // CR2 for a #PF; 0 otherwise
};

// What became of one data access.
struct AccessResult {
  enum Kind : uint8_t {
    kRam,    // done against RAM (read: buf filled; write: stored)
    kMmio,   // not RAM: gpa is where the access goes; buf untouched
    kFault,  // the guest must see `fault` (e.g. #PF, #GP on a non-canonical address)
  };
  Kind kind;
  uint64_t gpa;
  Fault fault;

  static constexpr AccessResult ram() { return {kRam, 0, {}}; }
  static constexpr AccessResult mmio(uint64_t gpa) { return {kMmio, gpa, {}}; }
  static constexpr AccessResult fault_with(const Fault& f) { return {kFault, 0, f}; }
};

// The guest's memory as the emulator sees it. Addresses are guest LINEAR
// addresses (segment base added). The caller translates them with the guest's
// paging state and does the checks that go with translation: canonical form
// (for the guest's LA57 setting), segment limits, access rights, SMAP.
// An access never crosses a 4 KiB linear page; the emulator splits.
class Memory {
 public:
  // Copy up to len instruction bytes at linear into buf; return how many (at
  // least 1). May stop early, e.g. at a page end; the emulator asks again for
  // the rest only if the instruction needs it. For a fault the guest must
  // see, fill `fault` and return Errno::kFault; any other error (code in
  // MMIO, say) makes the instruction unhandleable.
  [[nodiscard]] virtual kxx::Result<unsigned> fetch(uint64_t linear, uint8_t* buf, unsigned len,
                                                    Fault& fault) = 0;
  [[nodiscard]] virtual AccessResult read(uint64_t linear, void* buf, unsigned len) = 0;
  [[nodiscard]] virtual AccessResult write(uint64_t linear, const void* buf, unsigned len) = 0;

 protected:
  ~Memory() = default;
};

// MMIO reads completed by user space for the instruction being emulated,
// keyed by (gpa, len).
struct MmioReadCache {
  static constexpr unsigned kEntries = 4;
  struct Entry {
    uint64_t gpa;
    unsigned len;
    uint8_t data[8];
  };
  Entry entry[kEntries];
  unsigned count = 0;

  [[nodiscard]] kxx::Status add(uint64_t gpa, const uint8_t* data, unsigned len) {
    if (len == 0 || len > 8) return kxx::Errno::kInval;
    if (count == kEntries) return kxx::Errno::kNoSpc;
    Entry& e = entry[count++];
    e.gpa = gpa;
    e.len = len;
    for (unsigned i = 0; i < len; i++) e.data[i] = data[i];
    return kxx::OkStatus();
  }
  [[nodiscard]] bool find(uint64_t gpa, unsigned len, uint8_t* out) const {
    for (unsigned i = 0; i < count; i++) {
      if (entry[i].gpa != gpa || entry[i].len != len) continue;
      for (unsigned j = 0; j < len; j++) out[j] = entry[i].data[j];
      return true;
    }
    return false;
  }
  void clear() { count = 0; }
};

inline constexpr unsigned kMaxInsnLen = 15;

struct Outcome {
  enum Kind : uint8_t { kDone, kMmioRead, kMmioWrite, kUnhandleable, kFault };
  // Why an instruction is unhandleable.
  enum class Why : uint8_t {
    kNone,
    kOpcode,          // not an instruction this emulator implements
    kFetch,           // its bytes could not be fetched (no fault to inject)
    kSplitMmioWrite,  // a write that crosses a page into MMIO on both sides
    kBadAccess,       // Memory::read/write returned an unknown AccessResult kind
  };

  Kind kind;
  Why why;
  // kMmioRead: gpa and len; kMmioWrite: gpa, len and data (little-endian).
  uint64_t gpa;
  unsigned len;
  uint8_t data[8];
  // kFault.
  Fault fault;
  // Instruction bytes for diagnostics: exactly the instruction when it
  // decoded, otherwise every byte fetched before decoding stopped.
  uint8_t insn[kMaxInsnLen];
  uint8_t insn_len;
};

struct DecodeCache;  // decode.hpp

// Emulate the one instruction at regs.rip. regs changes only on kDone and
// kMmioWrite. With @decoded, an instruction with the same bytes as the last
// one decoded there (in the same mode) is not decoded again, and one that
// decodes is remembered there.
[[nodiscard]] Outcome emulate(Mode mode, Regs& regs, const Segments& segs, Memory& mem,
                              const MmioReadCache& cache, DecodeCache* decoded = nullptr);

}  // namespace kvmpp::x86::emu

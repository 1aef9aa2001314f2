// SPDX-License-Identifier: GPL-2.0
// The x86 instruction emulator (arch/x86/kvm/emulate/emulate.hpp): random
// instruction bytes in each mode, random registers and segment bases, and a
// guest memory whose every 4 KiB page is RAM, MMIO, #PF or #GP by a hash of
// its address, so that operands land anywhere. The emulator runs the way
// run/mmio.cpp drives it: MMIO reads are answered through the cache and the
// call repeated, REP string instructions are run iteration by iteration.
//
// Input: mode and knobs, a memory seed, the registers, then instructions
// (a length byte and the bytes), each run from where the last one left RIP.
//
// The emulator runs with a decode cache kept for the whole input, as the
// MMIO exit path keeps one per vCPU; each call is repeated without it, on
// copies of the registers and memory, and must do exactly the same.
//
// Besides memory safety and UB, the harness checks the protocol of
// emulate.hpp: accesses of 1-8 bytes inside one page, 32-bit linear
// addresses outside 64-bit mode, registers unchanged unless the instruction
// completed, no RAM write before an MMIO read completes, RIP advanced by the
// reported length (or kept by a REP iteration), the reported bytes being the
// instruction's, and an MMIO read never asked for twice.
#include <arch/x86/kvm/emulate/decode.hpp>
#include <arch/x86/kvm/emulate/emulate.hpp>

#include <map>

#include "fuzz_input.hpp"

namespace {

namespace emu = kvmpp::x86::emu;

constexpr uint64_t kPage = 4096;
constexpr uint8_t kVectorPf = 14;

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

uint64_t ip_mask(emu::Mode m) {
  switch (m) {
    case emu::Mode::kReal:
    case emu::Mode::kProt16: return 0xffff;
    case emu::Mode::kProt32: return 0xffffffff;
    case emu::Mode::kLong64: break;
  }
  return ~uint64_t(0);
}

// Guest memory by linear page: RAM (bytes from a hash until written), MMIO,
// #PF or #GP. Pages that hold code are RAM.
class FuzzMemory final : public emu::Memory {
 public:
  enum class Kind { kRam, kMmio, kPf, kGp };

  FuzzMemory(emu::Mode mode, uint64_t seed, unsigned fetch_chunk)
      : mode_(mode), seed_(seed), fetch_chunk_(fetch_chunk) {}

  bool long64() const { return mode_ == emu::Mode::kLong64; }

  Kind kind(uint64_t linear) const {
    uint64_t page = linear / kPage;
    if (long64() && !canonical(linear)) return Kind::kGp;
    auto it = forced_.find(page);
    if (it != forced_.end()) return it->second;
    switch (mix(page ^ seed_) % 8) {
      case 0:
      case 1:
      case 2:
      case 3: return Kind::kRam;
      case 4:
      case 5: return Kind::kMmio;
      case 6: return Kind::kPf;
      default: return Kind::kGp;
    }
  }
  static bool canonical(uint64_t a) {
    uint64_t top = a >> 47;
    return top == 0 || top == 0x1ffff;
  }
  // Where an MMIO page's bytes go: a gpa unlike the linear address.
  static uint64_t mmio_gpa(uint64_t linear) { return 0xfe0000000000ull ^ linear; }

  uint8_t peek(uint64_t linear) const {
    auto it = ram_.find(linear);
    return it != ram_.end() ? it->second : uint8_t(mix(linear * 31 + seed_));
  }
  void poke(uint64_t linear, uint8_t v) {
    forced_[linear / kPage] = Kind::kRam;
    ram_[linear] = v;
  }
  bool same_ram(const FuzzMemory& o) const { return ram_ == o.ram_; }

  // What one emulate() call did.
  struct Log {
    unsigned ram_writes = 0;
    bool faulted_write = false;  // the last fault came from a write
    uint64_t mmio_write_gpa = ~0ull;
  } log;

  kxx::Result<unsigned> fetch(uint64_t linear, uint8_t* buf, unsigned len,
                              emu::Fault& fault) override {
    FUZZ_CHECK(len >= 1 && len <= emu::kMaxInsnLen);
    if (!long64()) FUZZ_CHECK(linear <= 0xffffffffu);
    switch (kind(linear)) {
      case Kind::kRam: break;
      case Kind::kMmio: return kxx::Errno::kInval;  // code in MMIO
      case Kind::kPf: fault = {kVectorPf, true, 0x10, linear}; return kxx::Errno::kFault;
      case Kind::kGp: fault = {emu::kVectorGp, true, 0, 0}; return kxx::Errno::kFault;
    }
    uint64_t room = kPage - (linear & (kPage - 1));
    unsigned n = unsigned(len < room ? len : room);
    if (fetch_chunk_ && n > fetch_chunk_) n = fetch_chunk_;
    for (unsigned i = 0; i < n; i++) buf[i] = peek(linear + i);
    return n;
  }

  emu::AccessResult access(uint64_t linear, unsigned len, bool write) {
    FUZZ_CHECK(len >= 1 && len <= 8);
    FUZZ_CHECK((linear & (kPage - 1)) + len <= kPage);
    if (!long64()) FUZZ_CHECK(linear <= 0xffffffffu);
    switch (kind(linear)) {
      case Kind::kRam: return emu::AccessResult::ram();
      case Kind::kMmio: return emu::AccessResult::mmio(mmio_gpa(linear));
      case Kind::kPf:
        log.faulted_write = write;
        return emu::AccessResult::fault_with({kVectorPf, true, write ? 2u : 0u, linear});
      case Kind::kGp: break;
    }
    log.faulted_write = write;
    return emu::AccessResult::fault_with({emu::kVectorGp, true, 0, 0});
  }

  emu::AccessResult read(uint64_t linear, void* buf, unsigned len) override {
    emu::AccessResult r = access(linear, len, false);
    if (r.kind == emu::AccessResult::kRam) {
      for (unsigned i = 0; i < len; i++) static_cast<uint8_t*>(buf)[i] = peek(linear + i);
    }
    return r;
  }

  emu::AccessResult write(uint64_t linear, const void* buf, unsigned len) override {
    emu::AccessResult r = access(linear, len, true);
    if (r.kind == emu::AccessResult::kRam) {
      for (unsigned i = 0; i < len; i++) ram_[linear + i] = static_cast<const uint8_t*>(buf)[i];
      log.ram_writes++;
    } else if (r.kind == emu::AccessResult::kMmio) {
      log.mmio_write_gpa = r.gpa;
    }
    return r;
  }

 private:
  emu::Mode mode_;
  uint64_t seed_;
  unsigned fetch_chunk_;  // 0: as much as the page allows
  std::map<uint64_t, Kind> forced_;
  std::map<uint64_t, uint8_t> ram_;
};

bool same_regs(const emu::Regs& a, const emu::Regs& b) { return memcmp(&a, &b, sizeof(a)) == 0; }

// Two outcomes say the same (the fields their kind gives meaning to).
bool same_outcome(const emu::Outcome& a, const emu::Outcome& b) {
  if (a.kind != b.kind || a.insn_len != b.insn_len) return false;
  if (memcmp(a.insn, b.insn, a.insn_len) != 0) return false;
  switch (a.kind) {
    case emu::Outcome::kMmioRead: return a.gpa == b.gpa && a.len == b.len;
    case emu::Outcome::kMmioWrite:
      return a.gpa == b.gpa && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
    case emu::Outcome::kFault:
      return a.fault.vector == b.fault.vector && a.fault.has_error_code == b.fault.has_error_code &&
             a.fault.error_code == b.fault.error_code && a.fault.address == b.fault.address;
    case emu::Outcome::kUnhandleable: return a.why == b.why;
    default: return true;
  }
}

bool is_rep_prefixed(const emu::Outcome& o) {
  for (unsigned i = 0; i < o.insn_len; i++)
    if (o.insn[i] == 0xf3 || o.insn[i] == 0xf2) return true;
  return false;
}

struct Machine {
  emu::Mode mode;
  emu::Regs regs{};
  emu::Segments segs{};
  FuzzMemory* mem;
  emu::DecodeCache decoded;

  uint64_t code_linear() const {
    if (mode == emu::Mode::kLong64) return regs.rip;
    return (segs.base[emu::kCs] + (regs.rip & ip_mask(mode))) & 0xffffffffu;
  }
};

// One emulate() call with the protocol checks; returns the outcome.
emu::Outcome call(Machine& m, emu::MmioReadCache& cache) {
  const emu::Regs before = m.regs;
  const uint64_t code = m.code_linear();
  uint8_t code_bytes[emu::kMaxInsnLen];
  for (unsigned i = 0; i < emu::kMaxInsnLen; i++) {
    uint64_t a = code + i;
    if (m.mode != emu::Mode::kLong64) a &= 0xffffffffu;
    code_bytes[i] = m.mem->peek(a);
  }
  m.mem->log = {};
  // Without the decode cache first, on copies.
  FuzzMemory plain_mem = *m.mem;
  emu::Regs plain_regs = m.regs;
  emu::Outcome plain = emu::emulate(m.mode, plain_regs, m.segs, plain_mem, cache);
  emu::Outcome o = emu::emulate(m.mode, m.regs, m.segs, *m.mem, cache, &m.decoded);
  FUZZ_CHECK(same_outcome(o, plain));
  FUZZ_CHECK(same_regs(m.regs, plain_regs));
  FUZZ_CHECK(m.mem->same_ram(plain_mem));
  FUZZ_CHECK(o.insn_len <= emu::kMaxInsnLen);
  switch (o.kind) {
    case emu::Outcome::kDone:
    case emu::Outcome::kMmioWrite: {
      FUZZ_CHECK(o.insn_len >= 1);
      // The bytes reported are those the instruction was fetched from
      // (unless it wrote over itself).
      if (!m.mem->log.ram_writes) FUZZ_CHECK(memcmp(o.insn, code_bytes, o.insn_len) == 0);
      uint64_t mask = ip_mask(m.mode);
      uint64_t next = (before.rip + o.insn_len) & mask;
      bool repeat = m.regs.rip == before.rip && is_rep_prefixed(o);
      FUZZ_CHECK(m.regs.rip == next || repeat);
      if (o.kind == emu::Outcome::kMmioWrite) {
        FUZZ_CHECK(o.len >= 1 && o.len <= 8);
        FUZZ_CHECK(o.gpa == m.mem->log.mmio_write_gpa);
      }
      break;
    }
    case emu::Outcome::kMmioRead:
      FUZZ_CHECK(same_regs(before, m.regs));
      FUZZ_CHECK(m.mem->log.ram_writes == 0);
      FUZZ_CHECK(o.len >= 1 && o.len <= 8);
      break;
    case emu::Outcome::kFault:
      FUZZ_CHECK(same_regs(before, m.regs));
      // Only a write split across pages may have stored its first part.
      if (m.mem->log.ram_writes) FUZZ_CHECK(m.mem->log.faulted_write);
      break;
    case emu::Outcome::kUnhandleable:
      FUZZ_CHECK(same_regs(before, m.regs));
      FUZZ_CHECK(m.mem->log.ram_writes == 0);
      FUZZ_CHECK(o.why != emu::Outcome::Why::kNone && o.why != emu::Outcome::Why::kBadAccess);
      break;
    default: FUZZ_CHECK(!"unknown outcome kind");
  }
  return o;
}

// Run the instruction at RIP to completion (or a fault), the way the MMIO
// exit path does.
void step(Machine& m, fuzz::Input& in) {
  emu::MmioReadCache cache;
  // A REP iteration clears the cache and runs again; bound the count.
  for (unsigned iteration = 0; iteration < 24; iteration++) {
    uint64_t rip = m.regs.rip;
    emu::Outcome o{};
    unsigned reads = 0;
    for (;;) {
      o = call(m, cache);
      if (o.kind != emu::Outcome::kMmioRead) break;
      // Asked again for what the cache holds: the caller would loop forever.
      uint8_t tmp[8];
      FUZZ_CHECK(!cache.find(o.gpa, o.len, tmp));
      uint8_t data[8];
      uint64_t v = in.empty() ? mix(o.gpa + reads) : in.value64();
      memcpy(data, &v, 8);
      FUZZ_CHECK(cache.add(o.gpa, data, o.len).ok());
      reads++;
    }
    cache.clear();
    bool completed = o.kind == emu::Outcome::kDone || o.kind == emu::Outcome::kMmioWrite;
    if (!completed || m.regs.rip != rip) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  uint8_t knobs = in.u8();
  static constexpr emu::Mode kModes[] = {emu::Mode::kReal, emu::Mode::kProt16, emu::Mode::kProt32,
                                         emu::Mode::kLong64};
  Machine m;
  m.mode = kModes[knobs & 3];
  unsigned fetch_chunk = (knobs >> 2) & 7;  // 0: whole pages; else at most this many bytes
  FuzzMemory mem(m.mode, in.u64(), fetch_chunk);
  m.mem = &mem;
  for (uint64_t& g : m.regs.gpr) g = in.value64();
  m.regs.rip = in.value64();
  m.regs.rflags = (in.value64() & 0x3f7fd5) | 2;
  for (uint64_t& b : m.segs.base) b = in.flag() ? in.value64() : 0;
  if (m.mode == emu::Mode::kReal) {
    for (uint64_t& b : m.segs.base) b &= 0xffff0;
  }

  // Instructions, each placed at the current RIP.
  for (int n = 0; n < 8 && !in.empty(); n++) {
    unsigned len = in.u8() % (emu::kMaxInsnLen + 1);
    uint64_t at = m.code_linear();
    for (unsigned i = 0; i < len; i++) {
      uint64_t a = at + i;
      if (m.mode != emu::Mode::kLong64) a &= 0xffffffffu;
      // The first byte's page is RAM; later ones keep their kind unless RAM.
      if (i == 0 || mem.kind(a) == FuzzMemory::Kind::kRam) mem.poke(a, in.u8());
    }
    step(m, in);
  }
  return 0;
}

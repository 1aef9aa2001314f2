// SPDX-License-Identifier: GPL-2.0
// The x86 instruction emulator: the table-driven corpus (emulate_corpus.cpp)
// run against a fake guest memory, the restart protocol end to end, and the
// ALU flags compared with the host CPU's own.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "arch/x86/kvm/emulate/decode.hpp"
#include "emulate_corpus.h"

namespace {

namespace emu = kvmpp::x86::emu;
using namespace emu_corpus;

// The guest memory laid out in emulate_corpus.h.
class FakeMemory final : public emu::Memory {
 public:
  enum class Kind { kNone, kRam, kMmio };
  struct Page {
    Kind kind;
    uint64_t gpa;
  };

  static bool canonical(uint64_t a) {
    uint64_t top = a >> 47;
    return top == 0 || top == 0x1ffff;
  }

  static Page page(uint64_t linear) {
    if (linear >= kHigh && linear - kHigh < 0x100000) linear -= kHigh;
    if (linear >= 0x1000 && linear < 0x8000) return {Kind::kRam, linear};
    if (linear >= 0x10000 && linear < 0x30000) return {Kind::kRam, linear};
    if (linear >= kMmio2 && linear < kMmio2 + 0x1000) {
      return {Kind::kMmio, kMmio2Gpa + (linear - kMmio2)};
    }
    if (linear >= kMmio && linear < kMmio + 0x2000)
      return {Kind::kMmio, kMmioGpa + (linear - kMmio)};
    if (linear >= kVga && linear < kVga + 0x20000) return {Kind::kMmio, linear};
    return {Kind::kNone, 0};
  }

  // RAM, by gpa; absent bytes read as 0.
  std::map<uint64_t, uint8_t> ram;
  int fetches = 0;

  void poke(uint64_t linear, const Bytes& b) {
    for (size_t i = 0; i < b.size(); i++) {
      Page p = page(linear + i);
      ASSERT_EQ(p.kind, Kind::kRam) << std::hex << linear + i;
      ram[p.gpa] = b[i];
    }
  }
  uint8_t peek(uint64_t gpa) const {
    auto it = ram.find(gpa);
    return it == ram.end() ? 0 : it->second;
  }

  kxx::Result<unsigned> fetch(uint64_t linear, uint8_t* buf, unsigned len,
                              emu::Fault& fault) override {
    fetches++;
    Page p = page(linear);
    if (!canonical(linear)) {
      fault = {emu::kVectorGp, true, 0, 0};
      return kxx::Errno::kFault;
    }
    if (p.kind == Kind::kNone) {
      fault = {14, true, 0x10, linear};  // #PF, instruction fetch
      return kxx::Errno::kFault;
    }
    if (p.kind == Kind::kMmio) return kxx::Errno::kInval;
    // Stop at the page end, as a caller that maps one page at a time does.
    unsigned n = unsigned(std::min<uint64_t>(len, 0x1000 - (linear & 0xfff)));
    for (unsigned i = 0; i < n; i++) buf[i] = peek(p.gpa + i);
    return n;
  }

  emu::AccessResult access(uint64_t linear, unsigned len, bool write, Page& p) {
    EXPECT_GE(len, 1u);
    EXPECT_LE(len, 8u);
    EXPECT_EQ(linear >> 12, (linear + len - 1) >> 12) << "an access crosses a page";
    if (!canonical(linear)) return emu::AccessResult::fault_with({emu::kVectorGp, true, 0, 0});
    p = page(linear);
    if (p.kind == Kind::kNone) {
      return emu::AccessResult::fault_with({14, true, write ? 2u : 0u, linear});
    }
    if (p.kind == Kind::kMmio) return emu::AccessResult::mmio(p.gpa);
    return emu::AccessResult::ram();
  }

  emu::AccessResult read(uint64_t linear, void* buf, unsigned len) override {
    Page p{};
    emu::AccessResult r = access(linear, len, false, p);
    if (r.kind == emu::AccessResult::kRam) {
      for (unsigned i = 0; i < len; i++) static_cast<uint8_t*>(buf)[i] = peek(p.gpa + i);
    }
    return r;
  }

  emu::AccessResult write(uint64_t linear, const void* buf, unsigned len) override {
    Page p{};
    emu::AccessResult r = access(linear, len, true, p);
    if (r.kind == emu::AccessResult::kRam) {
      for (unsigned i = 0; i < len; i++) ram[p.gpa + i] = static_cast<const uint8_t*>(buf)[i];
    }
    return r;
  }
};

// The full state a corpus row can name.
struct State {
  emu::Regs regs;
  emu::Segments segs;

  uint64_t& at(Loc loc) {
    if (loc <= R15) return regs.gpr[loc];
    if (loc == RIP) return regs.rip;
    if (loc == RFL) return regs.rflags;
    return segs.base[loc - ES_BASE];
  }
};

std::string hex(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* loc_name(unsigned i) {
  static const char* const kNames[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                       "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                       "r12", "r13", "r14", "r15", "rip", "rflags"};
  return kNames[i];
}

void expect_regs_eq(const emu::Regs& want, const emu::Regs& got, const char* what) {
  for (unsigned i = 0; i < 16; i++) {
    EXPECT_EQ(hex(want.gpr[i]), hex(got.gpr[i])) << what << ": " << loc_name(i);
  }
  EXPECT_EQ(hex(want.rip), hex(got.rip)) << what << ": rip";
  EXPECT_EQ(hex(want.rflags), hex(got.rflags)) << what << ": rflags";
}

// A corpus case's starting registers and memory.
void set_up(const Case& c, State& s, FakeMemory& mem) {
  for (unsigned i = 0; i < 16; i++) s.regs.gpr[i] = default_gpr(i);
  s.regs.rip = kCode;
  s.regs.rflags = kInitFlags;
  for (const Set& v : c.init) s.at(v.loc) = v.value;
  uint64_t code_at = c.mode == Mode::kLong64 ? s.regs.rip : s.segs.base[emu::kCs] + s.regs.rip;
  // The code may run into an unmapped page on purpose: store what fits.
  for (size_t i = 0; i < c.code.size(); i++) {
    if (FakeMemory::page(code_at + i).kind == FakeMemory::Kind::kRam) {
      mem.poke(code_at + i, {c.code[i]});
    }
  }
  for (const At& a : c.ram) mem.poke(a.addr, a.bytes);
}

// How a corpus case meets the decode cache: not at all; after the same
// case went through it (the decode is reused); after the previous case did
// (different bytes, or another mode: decoded anew).
enum class Cached { kNo, kSame, kOther };

class Corpus : public ::testing::TestWithParam<std::tuple<size_t, Cached>> {};

TEST_P(Corpus, Case) {
  auto [index, cached] = GetParam();
  const Case& c = corpus()[index];
  SCOPED_TRACE(c.name);
  emu::DecodeCache decode_cache;
  emu::DecodeCache* decoded = cached == Cached::kNo ? nullptr : &decode_cache;
  if (decoded) {
    const Case& first =
        cached == Cached::kSame ? c : corpus()[(index + corpus().size() - 1) % corpus().size()];
    State s{};
    FakeMemory mem;
    set_up(first, s, mem);
    emu::MmioReadCache none;
    (void)emu::emulate(first.mode, s.regs, s.segs, mem, none, decoded);
  }
  State s{};
  FakeMemory mem;
  set_up(c, s, mem);
  const auto ram_before = mem.ram;
  const State before = s;

  emu::MmioReadCache cache;
  std::vector<int> reads(c.mmio.size(), 0);
  emu::Outcome out{};
  for (int call = 0; call < 4; call++) {
    out = emu::emulate(c.mode, s.regs, s.segs, mem, cache, decoded);
    if (out.kind != emu::Outcome::kMmioRead) break;
    // A pending MMIO read changes nothing.
    expect_regs_eq(before.regs, s.regs, "during an MMIO read");
    EXPECT_EQ(ram_before, mem.ram) << "RAM written before an MMIO read completed";
    size_t k = 0;
    while (k < c.mmio.size() && !(c.mmio[k].addr == out.gpa && c.mmio[k].bytes.size() == out.len)) {
      k++;
    }
    ASSERT_LT(k, c.mmio.size()) << "unexpected MMIO read gpa " << hex(out.gpa) << " len "
                                << out.len;
    reads[k]++;
    ASSERT_TRUE(cache.add(out.gpa, c.mmio[k].bytes.data(), out.len).ok());
  }
  for (size_t k = 0; k < c.mmio.size(); k++) {
    EXPECT_EQ(reads[k], 1) << "MMIO read of " << hex(c.mmio[k].addr);
  }

  const Want& w = c.want;
  ASSERT_EQ(out.kind, w.kind) << "why " << int(out.why) << " vector " << int(out.fault.vector);
  State want = before;
  bool completed = w.kind == emu::Outcome::kDone || w.kind == emu::Outcome::kMmioWrite;
  if (completed) {
    want.regs.rip = before.regs.rip + c.code.size();
    for (const Set& v : c.after) want.at(v.loc) = v.value;
    EXPECT_EQ(out.insn_len, c.code.size());
    EXPECT_EQ(Bytes(out.insn, out.insn + out.insn_len), c.code);
  }
  expect_regs_eq(want.regs, s.regs, "after");
  switch (w.kind) {
    case emu::Outcome::kMmioWrite:
      EXPECT_EQ(hex(out.gpa), hex(w.gpa));
      EXPECT_EQ(Bytes(out.data, out.data + out.len), w.data);
      break;
    case emu::Outcome::kFault:
      EXPECT_EQ(int(out.fault.vector), int(w.vector));
      EXPECT_EQ(out.fault.has_error_code, w.has_error_code);
      EXPECT_EQ(hex(out.fault.error_code), hex(w.error_code));
      EXPECT_EQ(hex(out.fault.address), hex(w.fault_address));
      break;
    case emu::Outcome::kUnhandleable: EXPECT_EQ(int(out.why), int(w.why)); break;
    default: break;
  }

  auto want_ram = ram_before;
  for (const At& a : c.ram_after) {
    for (size_t i = 0; i < a.bytes.size(); i++) {
      want_ram[FakeMemory::page(a.addr + i).gpa] = a.bytes[i];
    }
  }
  std::set<uint64_t> addrs;
  for (auto& [a, v] : want_ram) addrs.insert(a);
  for (auto& [a, v] : mem.ram) addrs.insert(a);
  for (uint64_t a : addrs) {
    uint8_t got = mem.peek(a);
    auto it = want_ram.find(a);
    uint8_t exp = it == want_ram.end() ? 0 : it->second;
    EXPECT_EQ(int(got), int(exp)) << "RAM at " << hex(a);
  }
}

std::string corpus_test_name(const ::testing::TestParamInfo<std::tuple<size_t, Cached>>& info) {
  auto [index, cached] = info.param;
  static const char* const kCached[] = {"", "_decoded_before", "_after_another"};
  std::string n = std::to_string(index) + "_" + corpus()[index].name + kCached[int(cached)];
  for (char& ch : n) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Emulate, Corpus,
                         ::testing::Combine(::testing::Range(size_t(0), corpus().size()),
                                            ::testing::Values(Cached::kNo, Cached::kSame,
                                                              Cached::kOther)),
                         corpus_test_name);

TEST(EmulateCorpus, IsLargeAndNamesAreUnique) {
  EXPECT_GE(corpus().size(), 150u);
  std::set<std::string> names;
  for (const Case& c : corpus()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
}

// A memory whose fetch misbehaves, for the contract checks.
class BadFetchMemory final : public emu::Memory {
 public:
  unsigned answer = 0;
  kxx::Result<unsigned> fetch(uint64_t, uint8_t* buf, unsigned len, emu::Fault&) override {
    for (unsigned i = 0; i < len; i++) buf[i] = 0x90;
    return answer;
  }
  emu::AccessResult read(uint64_t, void*, unsigned) override { return emu::AccessResult::ram(); }
  emu::AccessResult write(uint64_t, const void*, unsigned) override {
    return emu::AccessResult::ram();
  }
};

emu::Regs start_regs() {
  emu::Regs r{};
  for (unsigned i = 0; i < 16; i++) r.gpr[i] = default_gpr(i);
  r.rip = kCode;
  r.rflags = kInitFlags;
  return r;
}

TEST(Emulate, FetchThatReturnsNothingOrTooMuchIsUnhandleable) {
  emu::Regs regs = start_regs();
  const emu::Regs before = regs;
  emu::Segments segs{};
  emu::MmioReadCache cache;
  for (unsigned answer : {0u, 16u}) {
    BadFetchMemory mem;
    mem.answer = answer;
    emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
    EXPECT_EQ(out.kind, emu::Outcome::kUnhandleable);
    EXPECT_EQ(out.why, emu::Outcome::Why::kFetch);
    expect_regs_eq(before, regs, "bad fetch");
  }
}

// A memory whose data accesses answer with a kind the emulator does not know.
class BadAccessMemory final : public emu::Memory {
 public:
  kxx::Result<unsigned> fetch(uint64_t, uint8_t* buf, unsigned len, emu::Fault&) override {
    const uint8_t code[] = {0x8b, 0x08};  // mov ecx, [rax]
    for (unsigned i = 0; i < len && i < sizeof(code); i++) buf[i] = code[i];
    return 2u;
  }
  emu::AccessResult read(uint64_t, void*, unsigned) override {
    return {emu::AccessResult::Kind(7), 0, {}};
  }
  emu::AccessResult write(uint64_t, const void*, unsigned) override {
    return emu::AccessResult::ram();
  }
};

TEST(Emulate, UnknownAccessResultIsUnhandleable) {
  BadAccessMemory mem;
  emu::Regs regs = start_regs();
  const emu::Regs before = regs;
  emu::Segments segs{};
  emu::MmioReadCache cache;
  emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
  EXPECT_EQ(out.kind, emu::Outcome::kUnhandleable);
  EXPECT_EQ(out.why, emu::Outcome::Why::kBadAccess);
  expect_regs_eq(before, regs, "bad access");
}

TEST(Emulate, UnhandleableReportsTheFetchedBytes) {
  FakeMemory mem;
  Bytes code = {0x0f, 0x0b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};  // UD2 and more
  mem.poke(0x7ff8, Bytes(code.begin(), code.begin() + 8));  // the rest is on an unmapped page
  emu::Regs regs = start_regs();
  regs.rip = 0x7ff8;
  emu::Segments segs{};
  emu::MmioReadCache cache;
  emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
  ASSERT_EQ(out.kind, emu::Outcome::kUnhandleable);
  // Only what the page held: the decoder stops before asking for more.
  EXPECT_EQ(Bytes(out.insn, out.insn + out.insn_len), Bytes(code.begin(), code.begin() + 8));
}

TEST(Emulate, MmioReadRepeatsUntilTheCacheHasTheData) {
  FakeMemory mem;
  mem.poke(kCode, {0x48, 0x8b, 0x08});  // mov rcx, [rax]
  emu::Regs regs = start_regs();
  regs.gpr[emu::kRax] = kMmio + 0x40;
  const emu::Regs before = regs;
  emu::Segments segs{};
  emu::MmioReadCache cache;
  for (int i = 0; i < 3; i++) {
    emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
    ASSERT_EQ(out.kind, emu::Outcome::kMmioRead);
    EXPECT_EQ(out.gpa, kMmioGpa + 0x40);
    EXPECT_EQ(out.len, 8u);
    expect_regs_eq(before, regs, "pending read");
  }
  // Data for another address does not satisfy it.
  uint8_t other[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  ASSERT_TRUE(cache.add(kMmioGpa, other, 8).ok());
  EXPECT_EQ(emu::emulate(Mode::kLong64, regs, segs, mem, cache).kind, emu::Outcome::kMmioRead);
  uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(cache.add(kMmioGpa + 0x40, data, 8).ok());
  emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
  ASSERT_EQ(out.kind, emu::Outcome::kDone);
  EXPECT_EQ(regs.gpr[emu::kRcx], 0x0807060504030201u);
  EXPECT_EQ(regs.rip, kCode + 3);
}

// The same bytes in the same mode reuse the decoded instruction (shown by
// tampering with what was remembered); the same bytes in another mode are
// decoded for that mode.
TEST(Emulate, DecodeCacheReusesOnlyTheSameBytesInTheSameMode) {
  FakeMemory mem;
  mem.poke(kCode, {0x89, 0x08});  // mov [eax], ecx
  emu::Segments segs{};
  emu::MmioReadCache cache;
  emu::DecodeCache decoded;
  emu::Regs regs = start_regs();
  regs.gpr[emu::kRax] = kMmio;
  regs.gpr[emu::kRcx] = 0x11223344;
  emu::Outcome out = emu::emulate(Mode::kProt32, regs, segs, mem, cache, &decoded);
  ASSERT_EQ(out.kind, emu::Outcome::kMmioWrite);
  EXPECT_EQ(out.len, 4u);
  emu::DecodeCache::Entry& e = decoded.at(kCode);
  ASSERT_TRUE(e.valid);
  EXPECT_EQ(e.insn.len, 2u);

  e.insn.op_size = 1;  // tampered: a reuse shows as a 1-byte store
  regs = start_regs();
  regs.gpr[emu::kRax] = kMmio;
  out = emu::emulate(Mode::kProt32, regs, segs, mem, cache, &decoded);
  ASSERT_EQ(out.kind, emu::Outcome::kMmioWrite);
  EXPECT_EQ(out.len, 1u);

  // In 16-bit code the same bytes are mov [bx+si], cx.
  emu::Segments segs16{};
  segs16.base[emu::kDs] = kMmio;
  regs = start_regs();
  regs.gpr[emu::kRbx] = regs.gpr[emu::kRsi] = 0;
  out = emu::emulate(Mode::kProt16, regs, segs16, mem, cache, &decoded);
  ASSERT_EQ(out.kind, emu::Outcome::kMmioWrite);
  EXPECT_EQ(out.len, 2u);
  EXPECT_EQ(e.mode, Mode::kProt16);

  mem.poke(kCode, {0x88, 0x08});  // mov [bx+si], cl: other bytes, decoded again
  regs = start_regs();
  regs.gpr[emu::kRbx] = regs.gpr[emu::kRsi] = 0;
  out = emu::emulate(Mode::kProt16, regs, segs16, mem, cache, &decoded);
  ASSERT_EQ(out.kind, emu::Outcome::kMmioWrite);
  EXPECT_EQ(out.len, 1u);
}

// The cache never saves a fetch: an instruction whose remembered bytes the
// first fetch does not bring whole (here its first five bytes end the page,
// and the next page is not mapped) is decoded afresh and faults, and a fetch
// that faults reports the fault whatever the cache holds.
TEST(Emulate, DecodeCacheNeverSkipsAFetch) {
  FakeMemory mem;
  const Bytes store = {0xc7, 0x00, 1, 2, 3, 4};  // mov dword [rax], imm32
  mem.poke(0x2000, store);
  mem.poke(0x8000 - 5, Bytes(store.begin(), store.begin() + 5));
  emu::Segments segs{};
  emu::MmioReadCache cache;
  emu::DecodeCache decoded;
  emu::Regs regs = start_regs();
  regs.rip = 0x2000;
  regs.gpr[emu::kRax] = kMmio;
  ASSERT_EQ(emu::emulate(Mode::kLong64, regs, segs, mem, cache, &decoded).kind,
            emu::Outcome::kMmioWrite);
  ASSERT_TRUE(decoded.at(0x2000).valid);
  decoded.at(0x8000 - 5) = decoded.at(0x2000);  // as if it had been decoded there

  regs = start_regs();
  regs.rip = 0x8000 - 5;
  regs.gpr[emu::kRax] = kMmio;
  emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache, &decoded);
  EXPECT_EQ(out.kind, emu::Outcome::kFault);
  EXPECT_EQ(int(out.fault.vector), 14);
  EXPECT_EQ(out.fault.address, 0x8000u);

  regs = start_regs();
  regs.rip = 0x10000000;  // not mapped: the first fetch faults
  decoded.at(regs.rip) = decoded.at(0x2000);
  out = emu::emulate(Mode::kLong64, regs, segs, mem, cache, &decoded);
  EXPECT_EQ(out.kind, emu::Outcome::kFault);
  EXPECT_EQ(int(out.fault.vector), 14);
  EXPECT_EQ(out.insn_len, 0u);
}

TEST(Emulate, MmioReadCacheLimits) {
  emu::MmioReadCache cache;
  uint8_t d[8] = {};
  EXPECT_FALSE(cache.add(0, d, 0).ok());
  EXPECT_FALSE(cache.add(0, d, 9).ok());
  for (unsigned i = 0; i < emu::MmioReadCache::kEntries; i++) {
    EXPECT_TRUE(cache.add(i * 8, d, 4).ok());
  }
  EXPECT_EQ(cache.add(0x100, d, 4).error().code, kxx::Errno::kNoSpc);
  uint8_t out[8];
  EXPECT_TRUE(cache.find(8, 4, out));
  EXPECT_FALSE(cache.find(8, 2, out));
  cache.clear();
  EXPECT_FALSE(cache.find(8, 4, out));
}

// REP STOSB to RAM, one call per iteration, as a caller that loops would run it.
TEST(Emulate, RepStosRunsToCompletion) {
  FakeMemory mem;
  mem.poke(kCode, {0xf3, 0xaa});
  emu::Regs regs = start_regs();
  regs.gpr[emu::kRdi] = kRam + 0x100;
  regs.gpr[emu::kRcx] = 37;
  regs.gpr[emu::kRax] = 0x5c;
  emu::Segments segs{};
  emu::MmioReadCache cache;
  int calls = 0;
  while (regs.rip == kCode && calls < 100) {
    emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
    ASSERT_EQ(out.kind, emu::Outcome::kDone);
    calls++;
  }
  EXPECT_EQ(calls, 37);
  EXPECT_EQ(regs.gpr[emu::kRcx], 0u);
  EXPECT_EQ(regs.gpr[emu::kRdi], kRam + 0x100 + 37);
  EXPECT_EQ(regs.rip, kCode + 2);
  for (unsigned i = 0; i < 37; i++) EXPECT_EQ(mem.peek(kRam + 0x100 + i), 0x5c);
  EXPECT_EQ(mem.peek(kRam + 0x100 + 37), 0);
  EXPECT_EQ(mem.peek(kRam + 0xff), 0);
}

// REP MOVSD from MMIO to RAM, backwards: every iteration reads MMIO again, so
// the caller clears the cache after each completed iteration, as the protocol
// requires, and each read gets fresh data.
TEST(Emulate, RepMovsFromMmioAsksForEveryIteration) {
  FakeMemory mem;
  mem.poke(kCode, {0xf3, 0xa5});
  emu::Regs regs = start_regs();
  regs.gpr[emu::kRsi] = kMmio + 0x10;
  regs.gpr[emu::kRdi] = kRam + 0x10;
  regs.gpr[emu::kRcx] = 3;
  regs.rflags = kInitFlags | emu::kFlagDf;
  emu::Segments segs{};
  emu::MmioReadCache cache;
  std::vector<uint64_t> asked;
  for (int calls = 0; regs.rip == kCode && calls < 20; calls++) {
    emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
    if (out.kind == emu::Outcome::kMmioRead) {
      asked.push_back(out.gpa);
      uint32_t v = 0xa0 + uint32_t(asked.size());
      ASSERT_TRUE(cache.add(out.gpa, reinterpret_cast<uint8_t*>(&v), 4).ok());
      continue;
    }
    ASSERT_EQ(out.kind, emu::Outcome::kDone);
    cache.clear();
  }
  EXPECT_EQ(asked, (std::vector<uint64_t>{kMmioGpa + 0x10, kMmioGpa + 0xc, kMmioGpa + 0x8}));
  EXPECT_EQ(regs.gpr[emu::kRcx], 0u);
  EXPECT_EQ(regs.gpr[emu::kRsi], kMmio + 4);
  EXPECT_EQ(regs.gpr[emu::kRdi], kRam + 4);
  EXPECT_EQ(mem.peek(kRam + 0x10), 0xa1);
  EXPECT_EQ(mem.peek(kRam + 0xc), 0xa2);
  EXPECT_EQ(mem.peek(kRam + 0x8), 0xa3);
}

// An MMIO read-modify-write: a read, then the write of the computed value, with
// flags and RIP applied only on the second call.
TEST(Emulate, LockedOrOnMmioIsReadThenWrite) {
  FakeMemory mem;
  mem.poke(kCode, {0xf0, 0x81, 0x08, 0x00, 0x00, 0x00, 0x80});  // lock or dword [rax], 0x80000000
  emu::Regs regs = start_regs();
  regs.gpr[emu::kRax] = kMmio;
  emu::Segments segs{};
  emu::MmioReadCache cache;
  emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
  ASSERT_EQ(out.kind, emu::Outcome::kMmioRead);
  EXPECT_EQ(regs.rip, kCode);
  uint8_t data[4] = {1, 0, 0, 0};
  ASSERT_TRUE(cache.add(out.gpa, data, 4).ok());
  out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
  ASSERT_EQ(out.kind, emu::Outcome::kMmioWrite);
  EXPECT_EQ(out.gpa, kMmioGpa);
  EXPECT_EQ(Bytes(out.data, out.data + out.len), (Bytes{1, 0, 0, 0x80}));
  EXPECT_EQ(regs.rip, kCode + 7);
  EXPECT_EQ(regs.rflags, kInitFlags | emu::kFlagSf);
}

#if defined(__x86_64__)
// The ALU against the host CPU: the same instruction, register forms, on
// values chosen to hit every carry, overflow and parity edge.

uint64_t host_flags_mask(uint8_t op_byte) {
  // Logical operations leave AF undefined (the emulator clears it, as the
  // Intel hosts this was written on do); the bit tests define only CF.
  switch (op_byte) {
    case 0x08:
    case 0x20:
    case 0x30:
    case 0x84: return emu::kArithFlags & ~emu::kFlagAf;
    default: return emu::kArithFlags;
  }
}

// Run `insn %rcx-ish, %rax-ish` on the host with the given flags. The red zone
// is stepped over because PUSHF/POPF write below RSP.
#define HOST_ALU(name, mnemonic, T)                                           \
  uint64_t name(uint64_t a, uint64_t b, uint64_t& flags) {                    \
    T x = T(a);                                                               \
    T y = T(b);                                                               \
    uint64_t f = flags;                                                       \
    asm volatile("lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t" mnemonic  \
                 " %[y], %[x]\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp" \
                 : [x] "+r"(x), [f] "+r"(f)                                   \
                 : [y] "r"(y)                                                 \
                 : "cc", "memory");                                           \
    flags = f;                                                                \
    return uint64_t(x);                                                       \
  }
#define HOST_ALU_SIZES(op)               \
  HOST_ALU(host_##op##8, #op, uint8_t)   \
  HOST_ALU(host_##op##16, #op, uint16_t) \
  HOST_ALU(host_##op##32, #op, uint32_t) \
  HOST_ALU(host_##op##64, #op, uint64_t)
HOST_ALU_SIZES(add)
HOST_ALU_SIZES(or)
HOST_ALU_SIZES(adc)
HOST_ALU_SIZES(sbb)
HOST_ALU_SIZES(and)
HOST_ALU_SIZES(sub)
HOST_ALU_SIZES(xor)
HOST_ALU_SIZES(cmp)
HOST_ALU_SIZES(test)
HOST_ALU(host_bt16, "bt", uint16_t)
HOST_ALU(host_bt32, "bt", uint32_t)
HOST_ALU(host_bt64, "bt", uint64_t)
HOST_ALU(host_bts16, "bts", uint16_t)
HOST_ALU(host_bts32, "bts", uint32_t)
HOST_ALU(host_bts64, "bts", uint64_t)
HOST_ALU(host_btr16, "btr", uint16_t)
HOST_ALU(host_btr32, "btr", uint32_t)
HOST_ALU(host_btr64, "btr", uint64_t)
HOST_ALU(host_btc16, "btc", uint16_t)
HOST_ALU(host_btc32, "btc", uint32_t)
HOST_ALU(host_btc64, "btc", uint64_t)

using HostFn = uint64_t (*)(uint64_t, uint64_t, uint64_t&);

struct HostOp {
  const char* name;
  Bytes opcode;  // the r/m,reg form (dst rm = RAX, src reg = RCX via ModRM 0xc8)
  bool byte_op;  // no 16/32/64-bit forms of this opcode
  HostFn fn[4];  // by size 1, 2, 4, 8 (nullptr: no such form)
  bool writes;   // CMP, TEST and BT write nothing
};

TEST(EmulateHost, AluFlagsMatchTheHostCpu) {
  const HostOp ops[] = {
      {"add", {0x01}, false, {host_add8, host_add16, host_add32, host_add64}, true},
      {"or", {0x09}, false, {host_or8, host_or16, host_or32, host_or64}, true},
      {"adc", {0x11}, false, {host_adc8, host_adc16, host_adc32, host_adc64}, true},
      {"sbb", {0x19}, false, {host_sbb8, host_sbb16, host_sbb32, host_sbb64}, true},
      {"and", {0x21}, false, {host_and8, host_and16, host_and32, host_and64}, true},
      {"sub", {0x29}, false, {host_sub8, host_sub16, host_sub32, host_sub64}, true},
      {"xor", {0x31}, false, {host_xor8, host_xor16, host_xor32, host_xor64}, true},
      {"cmp", {0x39}, false, {host_cmp8, host_cmp16, host_cmp32, host_cmp64}, false},
      {"test", {0x85}, false, {host_test8, host_test16, host_test32, host_test64}, false},
      {"bt", {0x0f, 0xa3}, false, {nullptr, host_bt16, host_bt32, host_bt64}, false},
      {"bts", {0x0f, 0xab}, false, {nullptr, host_bts16, host_bts32, host_bts64}, true},
      {"btr", {0x0f, 0xb3}, false, {nullptr, host_btr16, host_btr32, host_btr64}, true},
      {"btc", {0x0f, 0xbb}, false, {nullptr, host_btc16, host_btc32, host_btc64}, true},
  };
  const uint64_t edges[] = {0,
                            1,
                            2,
                            0xf,
                            0x10,
                            0x7f,
                            0x80,
                            0xff,
                            0x7fff,
                            0x8000,
                            0xffff,
                            0x7fffffff,
                            0x80000000,
                            0xffffffff,
                            0x7fffffffffffffff,
                            0x8000000000000000,
                            0xffffffffffffffff,
                            0x123456789abcdef0};
  std::vector<uint64_t> values(std::begin(edges), std::end(edges));
  uint64_t seed = 0x9e3779b97f4a7c15;
  for (int i = 0; i < 40; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    values.push_back(seed);
  }
  const uint64_t in_flags[] = {kInitFlags, kInitFlags | emu::kArithFlags};
  int checked = 0;
  for (const HostOp& op : ops) {
    for (unsigned si = 0; si < 4; si++) {
      if (!op.fn[si]) continue;
      unsigned size = 1u << si;
      Bytes code;
      if (size == 2) code.push_back(0x66);
      if (size == 8) code.push_back(0x48);
      code.insert(code.end(), op.opcode.begin(), op.opcode.end());
      if (size == 1) code.back() -= 1;  // the byte form is the opcode below
      code.push_back(0xc8);
      FakeMemory mem;
      mem.poke(kCode, code);
      for (uint64_t a : values) {
        for (uint64_t b : values) {
          for (uint64_t f0 : in_flags) {
            uint64_t host_flags = f0;
            uint64_t host_r = op.fn[si](a, b, host_flags);
            emu::Regs regs = start_regs();
            regs.gpr[emu::kRax] = a;
            regs.gpr[emu::kRcx] = b;
            regs.rflags = f0;
            emu::Segments segs{};
            emu::MmioReadCache cache;
            emu::Outcome out = emu::emulate(Mode::kLong64, regs, segs, mem, cache);
            ASSERT_EQ(out.kind, emu::Outcome::kDone) << op.name;
            uint64_t mask = op.opcode.size() == 2 ? (emu::kFlagCf | emu::kFlagZf)
                                                  : host_flags_mask(code[code.size() - 2] & 0xf8);
            ASSERT_EQ(hex(regs.rflags & mask), hex(host_flags & mask))
                << op.name << size << " " << hex(a) << ", " << hex(b) << " flags " << hex(f0);
            uint64_t want_rax = a;
            if (op.writes) {
              uint64_t m = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
              // 32-bit writes zero-extend; narrower ones merge.
              want_rax = size == 4 ? (host_r & m) : ((a & ~m) | (host_r & m));
            }
            ASSERT_EQ(hex(regs.gpr[emu::kRax]), hex(want_rax)) << op.name << size;
            checked++;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 100000);
}
#endif  // __x86_64__

}  // namespace

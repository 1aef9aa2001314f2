// SPDX-License-Identifier: GPL-2.0
// CPUID (cpuid/cpuid.cpp, cpuid/supported.cpp). The first input byte picks
// one of two scripts:
//  - the table functions alone on hostile tables: find(), the guest's
//    answers (cpuid_answer) against api.rst's rules as upstream implements
//    them (the entry; past a class's maximum the highest basic leaf, not for
//    AMD vendors; the topology leaves' subleaves), XCR0 rules, MAXPHYADDR;
//  - a vCPU with a fuzzed host CPUID and XCR0: KVM_GET_SUPPORTED_CPUID with
//    any nent (the table it builds must be well-formed), KVM_SET_CPUID2 and
//    KVM_SET_CPUID with hostile nent and entries, KVM_GET_CPUID2, the
//    guest's CPUID (the exit handler, fetching the instruction through the
//    guest's page tables, set with KVM_SET_SREGS over RAM the input fills)
//    and XSETBV, KVM_SET_XCRS, KVM_TRANSLATE, and the MSRs whose rules
//    follow CPUID (EFER, IA32_APIC_BASE, MTRRs, TSC_AUX, TSC_ADJUST).
#include <errno.h>
#include <arch/x86/kvm/cpuid/cpuid.hpp>
#include <arch/x86/kvm/msr/msr.hpp>
#include <arch/x86/kvm/run/run.hpp>

#include <set>
#include <utility>
#include <vector>

#include "core_session.hpp"
#include "fake_glue.h"

namespace {

namespace x86 = kvmpp::x86;
using fuzz::CoreSession;
using fuzz::Flex;
using x86::CpuidDynamic;
using x86::CpuidRegs;
using x86::CpuidView;

constexpr uint32_t kSig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
constexpr uint32_t kAmd[3] = {0x68747541, 0x69746e65, 0x444d4163};  // EBX, EDX, ECX
constexpr uint32_t kIntel[3] = {0x756e6547, 0x49656e69, 0x6c65746e};

uint32_t pick_leaf(fuzz::Input& in) {
  static constexpr uint32_t kLeaves[] = {
      0,          1,          2,          4,          7,          0xb,        0xd,
      0x1f,       0x20,       0x40000000, 0x40000001, 0x40000100, 0x80000000, 0x80000001,
      0x80000008, 0x8000001d, 0x80000021, 0x80000022, 0xc0000000, 0xc0000001};
  uint8_t how = in.u8();
  if (how < 220) return kLeaves[how % (sizeof(kLeaves) / sizeof(kLeaves[0]))];
  return in.value32();
}

kvm_cpuid_entry2 pick_entry(fuzz::Input& in) {
  kvm_cpuid_entry2 e{};
  e.function = pick_leaf(in);
  uint8_t how = in.u8();
  e.index = how < 200 ? how % 4 : in.value32();
  e.flags = in.u8() < 128 ? kSig : in.u8() < 240 ? 0 : in.value32();
  if (e.function == 0 && (how & 0x30)) {
    const uint32_t* v = (how & 0x10) ? kAmd : kIntel;
    e.eax = in.u8() % 0x24;
    e.ebx = v[0];
    e.edx = v[1];
    e.ecx = v[2];
    return e;
  }
  e.eax = in.value32();
  e.ebx = in.value32();
  e.ecx = in.value32();
  e.edx = in.value32();
  return e;
}

// CPUID.(fn, index)'s entry: same function, and the same index when the
// entry says its index is significant; the first such.
const kvm_cpuid_entry2* ref_find(const std::vector<kvm_cpuid_entry2>& t, uint32_t fn,
                                 uint32_t index) {
  for (const auto& e : t)
    if (e.function == fn && (!(e.flags & kSig) || e.index == index)) return &e;
  return nullptr;
}

bool ref_amd(const std::vector<kvm_cpuid_entry2>& t) {
  const kvm_cpuid_entry2* e = ref_find(t, 0, 0);
  if (!e) return false;
  if (e->ebx == kAmd[0] && e->edx == kAmd[1] && e->ecx == kAmd[2]) return true;
  return e->ebx == 0x6f677948 && e->edx == 0x6e65476e && e->ecx == 0x656e6975;  // Hygon
}

// Leaves whose registers follow vCPU state (cpuid_update_dynamic).
bool dynamic_leaf(uint32_t fn) { return fn == 1 || fn == 7 || fn == 0xd; }

// The answer CPUID gives, for leaves without dynamic bits (upstream's
// kvm_cpuid()); false when a dynamic leaf decides it.
bool ref_answer(const std::vector<kvm_cpuid_entry2>& t, uint32_t fn, uint32_t index,
                CpuidRegs* out) {
  const kvm_cpuid_entry2* e = ref_find(t, fn, index);
  if (!e) {
    const kvm_cpuid_entry2* basic = ref_find(t, 0, 0);
    if (basic && !ref_amd(t)) {
      uint32_t cls_leaf = fn >= 0x40000000 && fn <= 0x4fffffff ? fn & 0xffffff00
                          : fn >= 0xc0000000                   ? 0xc0000000
                                                               : fn & 0x80000000;
      const kvm_cpuid_entry2* cls = ref_find(t, cls_leaf, 0);
      if (!cls || fn > cls->eax) {
        fn = basic->eax;
        e = ref_find(t, fn, index);
      }
    }
  }
  if (e) {
    if (dynamic_leaf(e->function)) return false;
    *out = {e->eax, e->ebx, e->ecx, e->edx};
    return true;
  }
  *out = {};
  if (fn == 0xb || fn == 0x1f) {
    if (const kvm_cpuid_entry2* l1 = ref_find(t, fn, 1)) {
      out->ecx = index & 0xff;
      out->edx = l1->edx;
    }
  }
  return true;
}

void fuzz_tables(fuzz::Input& in) {
  fake::reset();  // the host XCR0 that supported_xcr0() reads
  for (int round = 0; round < 8 && !in.empty(); round++) {
    std::vector<kvm_cpuid_entry2> t;
    for (unsigned n = in.u8() % 24; n; n--) t.push_back(pick_entry(in));
    CpuidView view{t.data(), unsigned(t.size())};
    CpuidDynamic d{in.value64(), in.value64(), in.value64()};  // braces: in order
    for (unsigned q = 0; q < 8; q++) {
      uint32_t fn;
      if (in.flag() && !t.empty()) {
        fn = t[in.below(unsigned(t.size()))].function;
        fn += in.u8() % 3;  // the leaf or one past it
      } else {
        fn = pick_leaf(in);
      }
      uint32_t index = in.u8() < 200 ? in.u8() % 4 : in.value32();
      FUZZ_CHECK(view.find(fn, index) == ref_find(t, fn, index));
      CpuidRegs got = x86::cpuid_answer(view, fn, index, d), want;
      if (ref_answer(t, fn, index, &want)) {
        FUZZ_CHECK(got.eax == want.eax && got.ebx == want.ebx && got.ecx == want.ecx &&
                   got.edx == want.edx);
      }
    }
    uint64_t allowed = x86::cpuid_allowed_xcr0(view);
    FUZZ_CHECK(allowed & 1);
    FUZZ_CHECK(!(allowed & ~(x86::supported_xcr0() | 1)));
    uint64_t xcr0 = in.value64();
    if (x86::xcr0_valid(xcr0, allowed)) FUZZ_CHECK((xcr0 & 1) && !(xcr0 & ~allowed));
    unsigned maxphy = x86::cpuid_maxphyaddr(view);
    FUZZ_CHECK(maxphy <= 255);
    (void)x86::cpuid_validate(view);
    uint64_t features = in.value64();
    (void)x86::cpuid_xsave_size(view, features, in.flag());
  }
}

class Harness {
 public:
  Harness(CoreSession& s, fuzz::Input& in) : s_(s), in_(in) {}

  bool setup() {
    // The host: some CPUID leaves and XCR0 changed before anything reads them.
    for (unsigned n = in_.u8() % 5; n; n--) {
      uint32_t leaf = pick_leaf(in_), sub = in_.u8() % 4;
      uint32_t r[4];
      for (uint32_t& v : r) v = in_.value32();
      fake::set_host_cpuid(leaf, sub, r[0], r[1], r[2], r[3]);
    }
    static constexpr uint64_t kXcr0[] = {7, 7, 3, 1, 0xe7, 0x207, 0x2e7, 0x1f};
    uint8_t x = in_.u8();
    fake::set_host_xcr0(x < 240 ? kXcr0[x % 8] : in_.value64());
    vm_ = CoreSession::dev(KVM_CREATE_VM, 0);
    if (vm_ < 0) return false;
    ram_ = s_.add_ram(vm_, 0, 0, kRam);
    vcpu_ = CoreSession::vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    if (!ram_ || vcpu_ < 0) return false;
    x86_state& st = regs();
    st.seg[X86_CS].base = 0;
    st.rip = 0x1000;
    return true;
  }

  void step() {
    uint8_t op = in_.u8() % 12;
    FUZZ_TRACE("op %u\n", op);
    switch (op) {
      case 0:
      case 1: get_supported(); break;
      case 2:
      case 3: set_cpuid2(); break;
      case 4: set_cpuid(); break;
      case 5: get_cpuid2(); break;
      case 6:
      case 7: guest_cpuid(); break;
      case 8: msrs(); break;
      case 9: xcr0(); break;
      case 10: paging(); break;
      default:
        // The vCPU has run (or not): its CPU model is then frozen.
        CoreSession::vcpu(vcpu_).arch().last_cpu = in_.flag() ? 0 : kvmpp::arch::kNoCpu;
        break;
    }
  }

 private:
  static constexpr uint64_t kRam = 0x10000;
  x86_state& regs() { return CoreSession::vcpu(vcpu_).arch().regs; }
  bool ran() { return CoreSession::vcpu(vcpu_).arch().last_cpu != kvmpp::arch::kNoCpu; }

  void get_supported() {
    uint8_t how = in_.u8();
    uint32_t nent = how < 100 ? how % 8 : how < 200 ? 8 + in_.u8() * 2 : in_.value32();
    // Exactly the room nent says, up to more than the kernel ever fills.
    unsigned room = nent < 300 ? nent : 300;
    Flex<kvm_cpuid2, kvm_cpuid_entry2> c(room);
    c.head()->nent = nent;
    long r = CoreSession::dev(KVM_GET_SUPPORTED_CPUID, c.arg());
    FUZZ_TRACE("  KVM_GET_SUPPORTED_CPUID nent %u: %ld, nent %u\n", nent, r, c.head()->nent);
    FUZZ_CHECK(r == 0 || r == -E2BIG || r == -ENOMEM);
    if (r != 0) return;
    uint32_t n = c.head()->nent;
    FUZZ_CHECK(n >= 1 && n <= nent && n <= KVM_MAX_CPUID_ENTRIES);
    std::set<std::pair<uint32_t, uint32_t>> seen;
    const kvm_cpuid_entry2* e = c.entries();
    FUZZ_CHECK(e[0].function == 0 && e[0].eax <= 0x1f);
    for (uint32_t i = 0; i < n; i++) {
      // One entry per leaf and (for indexed leaves) subleaf.
      FUZZ_CHECK(seen.insert({e[i].function, (e[i].flags & kSig) ? e[i].index : 0}).second);
      FUZZ_CHECK(!(e[i].flags & ~kSig));
      if (!(e[i].flags & kSig)) FUZZ_CHECK(e[i].index == 0);
      if (e[i].function == 0xd && e[i].index == 0) {
        uint64_t xcr0 = (uint64_t(e[i].edx) << 32) | e[i].eax;
        FUZZ_CHECK(!(xcr0 & ~x86::supported_xcr0()));
      }
      if (e[i].function == 0x80000000) FUZZ_CHECK(e[i].eax <= 0x80000021);
    }
    // A VMM that installs what it was offered must be able to.
    if (in_.flag()) {
      table_.assign(e, e + n);
      install(c.arg(), 0, true);
    }
  }

  // KVM_SET_CPUID2 of table_ (already in @arg): compare with the rules.
  void install(unsigned long arg, uint32_t nent_claimed, bool exact) {
    const std::vector<kvm_cpuid_entry2> old = current_;
    long r = CoreSession::vcpu_ioctl(vcpu_, KVM_SET_CPUID2, arg);
    FUZZ_TRACE("  KVM_SET_CPUID2 nent %u: %ld\n", reinterpret_cast<kvm_cpuid2*>(arg)->nent, r);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -EBUSY || r == -ENOMEM);
    if (!exact) {
      FUZZ_CHECK(nent_claimed > KVM_MAX_CPUID_ENTRIES ? r == -E2BIG : r != -E2BIG);
      return;
    }
    const kvm_cpuid_entry2* la = ref_find(table_, 0x80000008, 0);
    uint32_t va = la ? (la->eax >> 8) & 0xff : 0;
    bool valid = va == 0 || va == 48 || va == 57;
    if (ran()) {
      // A running vCPU keeps its model: only the same table again.
      if (table_.size() != old.size()) FUZZ_CHECK(r == -EBUSY);
      if (table_.size() == old.size() &&
          (old.empty() || !memcmp(table_.data(), old.data(), old.size() * sizeof(old[0]))))
        FUZZ_CHECK(r == 0);
      return;
    }
    FUZZ_CHECK(r == (valid ? 0 : -EINVAL));
    if (r == 0) current_ = table_;
  }

  void set_cpuid2() {
    uint8_t how = in_.u8();
    if (how < 64 && !current_.empty()) {
      // The current table with a few entries changed.
      table_ = current_;
      for (unsigned n = 1 + in_.u8() % 3; n; n--)
        table_[in_.below(unsigned(table_.size()))] = pick_entry(in_);
    } else if (how < 250) {
      table_.clear();
      for (unsigned n = in_.u8() % 32; n; n--) table_.push_back(pick_entry(in_));
    } else {
      // A hostile count: the kernel must refuse it before reading entries.
      uint32_t nent = in_.u8() < 128 ? KVM_MAX_CPUID_ENTRIES + 1 + in_.u8() : in_.value32();
      Flex<kvm_cpuid2, kvm_cpuid_entry2> c(nent <= KVM_MAX_CPUID_ENTRIES ? nent : 0);
      c.head()->nent = nent;
      table_.clear();
      for (unsigned i = 0; i < c.capacity(); i++)
        table_.push_back(c.entries()[i] = pick_entry(in_));
      install(c.arg(), nent, nent <= KVM_MAX_CPUID_ENTRIES);
      return;
    }
    Flex<kvm_cpuid2, kvm_cpuid_entry2> c(unsigned(table_.size()));
    c.head()->nent = uint32_t(table_.size());
    if (!table_.empty()) memcpy(c.entries(), table_.data(), table_.size() * sizeof(table_[0]));
    if (in_.u8() == 0xff) {
      long r = CoreSession::vcpu_ioctl(vcpu_, KVM_SET_CPUID2, CoreSession::kBadUser);
      FUZZ_CHECK(r == -EFAULT);
      return;
    }
    install(c.arg(), 0, true);
  }

  void set_cpuid() {
    unsigned n = in_.u8() % 16;
    Flex<kvm_cpuid, kvm_cpuid_entry> c(n);
    c.head()->nent = n;
    std::vector<kvm_cpuid_entry2> t;
    for (unsigned i = 0; i < n; i++) {
      kvm_cpuid_entry2 e = pick_entry(in_);
      c.entries()[i] = {e.function, e.eax, e.ebx, e.ecx, e.edx};
      e.index = e.flags = 0;
      t.push_back(e);
    }
    long r = CoreSession::vcpu_ioctl(vcpu_, KVM_SET_CPUID, c.arg());
    FUZZ_TRACE("  KVM_SET_CPUID nent %u: %ld\n", n, r);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EBUSY || r == -ENOMEM);
    if (r == 0 && !ran()) current_ = t;
  }

  void get_cpuid2() {
    uint8_t how = in_.u8();
    uint32_t nent = how < 128   ? uint32_t(current_.size()) + how % 3 - 1
                    : how < 250 ? how % 40
                                : in_.value32();
    unsigned room = nent < 300 ? nent : 300;
    Flex<kvm_cpuid2, kvm_cpuid_entry2> c(room);
    c.head()->nent = nent;
    long r = CoreSession::vcpu_ioctl(vcpu_, KVM_GET_CPUID2, c.arg());
    if (nent < current_.size()) {
      // Too small: -E2BIG, nent untouched (as upstream).
      FUZZ_CHECK(r == -E2BIG && c.head()->nent == nent);
      return;
    }
    FUZZ_CHECK(r == 0 && c.head()->nent == current_.size());
    for (size_t i = 0; i < current_.size(); i++) {
      const kvm_cpuid_entry2& a = current_[i];
      const kvm_cpuid_entry2& b = c.entries()[i];
      FUZZ_CHECK(a.function == b.function && a.index == b.index && a.flags == b.flags);
      if (!dynamic_leaf(a.function))
        FUZZ_CHECK(a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx);
    }
  }

  void guest_cpuid() {
    x86_state& st = regs();
    uint64_t code = in_.u8() < 200 ? 0x1000 : in_.u16();
    if (code + 2 <= kRam) {
      // CPUID, or sometimes something else (an emulation failure).
      ram_[code] = 0x0f;
      ram_[code + 1] = in_.u8() < 240 ? 0xa2 : in_.u8();
    }
    st.rip = code;
    st.event = {};
    uint32_t fn;
    if (in_.flag() && !current_.empty()) {
      fn = current_[in_.below(unsigned(current_.size()))].function;
      fn += in_.u8() % 2;
    } else {
      fn = pick_leaf(in_);
    }
    uint32_t index = in_.u8() < 200 ? in_.u8() % 4 : in_.value32();
    st.gpr[X86_RAX] = fn | (uint64_t(in_.u32()) << 32);
    st.gpr[X86_RCX] = index | (uint64_t(in_.u32()) << 32);
    x86_exit e{};
    e.kind = X86_EXIT_CPUID;
    auto next = x86::handle_other_exit(CoreSession::vcpu(vcpu_), e);
    FUZZ_TRACE("  CPUID %#x.%#x at %#llx: %d\n", fn, index, (unsigned long long)code,
               next.ok() ? int(next.value()) : -int(next.error().code));
    // A fetch whose page walk reads outside guest memory fails KVM_RUN with
    // -EFAULT; upstream injects a #PF (the guest can get there by changing
    // its page tables while another vCPU exits).
    FUZZ_CHECK(next.ok());  // fuzz_cpuid-fetch-walk-efault
    if (!next.ok()) return;
    bool done = next.value() == x86::Next::kEnter && !st.event.valid && st.rip != code;
    if (!done) return;
    // Upper halves cleared; the answer is the table's.
    for (unsigned r : {X86_RAX, X86_RBX, X86_RCX, X86_RDX}) FUZZ_CHECK(!(st.gpr[r] >> 32));
    CpuidRegs want;
    if (ref_answer(current_, fn, index, &want)) {
      FUZZ_TRACE("  got %llx %llx %llx %llx, want %x %x %x %x (a table of %zu)\n",
                 (unsigned long long)st.gpr[X86_RAX], (unsigned long long)st.gpr[X86_RBX],
                 (unsigned long long)st.gpr[X86_RCX], (unsigned long long)st.gpr[X86_RDX], want.eax,
                 want.ebx, want.ecx, want.edx, current_.size());
      FUZZ_CHECK(st.gpr[X86_RAX] == want.eax && st.gpr[X86_RBX] == want.ebx &&
                 st.gpr[X86_RCX] == want.ecx && st.gpr[X86_RDX] == want.edx);
    }
  }

  void msrs() {
    static constexpr uint32_t kMsrs[] = {x86::msr::kEfer,          x86::msr::kApicBase,
                                         x86::msr::kMtrrPhysBase0, x86::msr::kMtrrPhysBase0 + 1,
                                         x86::msr::kMtrrDefType,   x86::msr::kTscAux,
                                         x86::msr::kTscAdjust,     x86::msr::kMiscEnable,
                                         x86::msr::kPat,           x86::msr::kTscDeadline,
                                         x86::msr::kPlatformInfo,  x86::msr::kMiscFeaturesEnables};
    uint32_t index = kMsrs[in_.u8() % (sizeof(kMsrs) / sizeof(kMsrs[0]))];
    bool host = in_.flag();
    uint64_t v = in_.value64();
    kvmpp::Vcpu& vcpu = CoreSession::vcpu(vcpu_);
    if (in_.flag()) {
      bool ok = x86::set_msr(vcpu, index, v, host).ok();
      uint64_t back = 0;
      if (ok && index == x86::msr::kApicBase) {
        // What was accepted fits the guest's MAXPHYADDR.
        unsigned maxphy = x86::cpuid_maxphyaddr(x86::guest_cpuid(vcpu));
        if (maxphy < 64) FUZZ_CHECK(!(v >> maxphy));
        FUZZ_CHECK(x86::get_msr(vcpu, index, &back, true).ok() && back == v);
      }
    } else {
      (void)x86::get_msr(vcpu, index, &v, host);
    }
  }

  void xcr0() {
    uint64_t value = in_.u8() < 200 ? in_.u8() : in_.value64();
    x86_state& st = regs();
    uint64_t before = st.xcr0;
    if (in_.flag()) {
      kvm_xcrs x{};
      x.nr_xcrs = in_.u8() < 240 ? 1 : in_.value32();
      x.flags = in_.u8() < 240 ? 0 : in_.value32();
      x.xcrs[0].xcr = in_.u8() < 240 ? 0 : in_.value32();
      x.xcrs[0].value = value;
      long r = CoreSession::vcpu_ioctl(vcpu_, KVM_SET_XCRS, CoreSession::ptr(&x));
      FUZZ_CHECK(r == 0 || r == -EINVAL);
    } else {
      st.cr4 |= in_.flag() ? x86::kCr4Osxsave : 0;
      st.rip = 0x1000;
      ram_[0x1000] = 0x0f;
      ram_[0x1001] = 0x01;
      ram_[0x1002] = 0xd1;
      st.gpr[X86_RAX] = uint32_t(value);
      st.gpr[X86_RDX] = value >> 32;
      st.gpr[X86_RCX] = in_.u8() < 240 ? 0 : in_.value32();
      x86_exit e{};
      e.kind = X86_EXIT_XSETBV;
      auto next = x86::handle_other_exit(CoreSession::vcpu(vcpu_), e);
      FUZZ_CHECK(next.ok());  // fuzz_cpuid-fetch-walk-efault
      st.event = {};
    }
    // Whatever got in is a valid XCR0 for this CPUID.
    uint64_t allowed = x86::cpuid_allowed_xcr0(x86::guest_cpuid(CoreSession::vcpu(vcpu_)));
    if (st.xcr0 != before) FUZZ_CHECK(x86::xcr0_valid(st.xcr0, allowed | 3));
  }

  // A paging mode through KVM_SET_SREGS, page-table entries the input
  // writes into RAM, and KVM_TRANSLATE.
  void paging() {
    kvm_sregs sr{};
    if (CoreSession::vcpu_ioctl(vcpu_, KVM_GET_SREGS, CoreSession::ptr(&sr)) != 0) return;
    static constexpr uint64_t kPg = 1ull << 31, kPe = 1;
    switch (in_.u8() % 6) {
      case 0: sr.cr0 &= ~kPg; break;
      case 1:
        sr.cr0 |= kPg | kPe;
        sr.cr4 = x86::kCr4Pse;
        sr.efer = 0;
        break;
      case 2:
        sr.cr0 |= kPg | kPe;
        sr.cr4 = x86::kCr4Pae;
        sr.efer = 0;
        break;
      case 3:
        sr.cr0 |= kPg | kPe;
        sr.cr4 = x86::kCr4Pae | (in_.flag() ? x86::kCr4La57 : 0);
        sr.efer = x86::kEferLme | x86::kEferLma;
        sr.cs.l = 1;
        break;
      default:
        sr.cr0 = in_.value64();
        sr.cr4 = in_.value64();
        sr.efer = in_.value64();
        break;
    }
    sr.cr3 = in_.u8() < 200 ? (in_.u16() & 0xf000) : in_.value64();
    long r = CoreSession::vcpu_ioctl(vcpu_, KVM_SET_SREGS, CoreSession::ptr(&sr));
    FUZZ_TRACE("  KVM_SET_SREGS cr0 %#llx cr4 %#llx efer %#llx: %ld\n", (unsigned long long)sr.cr0,
               (unsigned long long)sr.cr4, (unsigned long long)sr.efer, r);
    // Page-table entries: an address in RAM (or anywhere), present, maybe
    // large.
    for (unsigned n = in_.u8() % 12; n; n--) {
      uint64_t at = (in_.u16() % kRam) & ~7ull;
      uint64_t pte;
      if (in_.u8() < 200) {
        pte = in_.u16() & 0xf000;
        pte |= in_.u8() & 0x87;
      } else {
        pte = in_.value64();
      }
      memcpy(ram_ + at, &pte, 8);
    }
    for (unsigned n = in_.u8() % 4; n; n--) {
      kvm_translation tr{};
      tr.linear_address = in_.u8() < 200 ? in_.u32() & 0xffffff : in_.value64();
      long t = CoreSession::vcpu_ioctl(vcpu_, KVM_TRANSLATE, CoreSession::ptr(&tr));
      FUZZ_CHECK(t == 0 || t == -EINVAL || t == -EFAULT);
      if (t == 0 && tr.valid) FUZZ_CHECK(tr.physical_address != ~0ull);
    }
  }

  CoreSession& s_;
  fuzz::Input& in_;
  long vm_ = -1, vcpu_ = -1;
  uint8_t* ram_ = nullptr;
  std::vector<kvm_cpuid_entry2> table_;    // the table being installed
  std::vector<kvm_cpuid_entry2> current_;  // the vCPU's table, as set
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  if (in.u8() & 1) {
    fuzz_tables(in);
    return 0;
  }
  CoreSession s;
  Harness h(s, in);
  if (!h.setup()) return 0;
  for (int step = 0; step < 48 && !in.empty(); step++) h.step();
  return 0;
}

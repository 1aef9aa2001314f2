// SPDX-License-Identifier: GPL-2.0
// The MSR filter (msr/filter.cpp) through a VM with one vCPU:
// KVM_X86_SET_MSR_FILTER with hostile flags, bases, sizes and bitmap
// pointers, KVM_CAP_X86_USER_SPACE_MSR and KVM_CAP_MSR_PLATFORM_INFO, the
// guest's RDMSR/WRMSR (msr/exit.cpp) and their completion from user space.
//
// A reference model of api.rst's rules ("KVM_X86_SET_MSR_FILTER") is kept
// beside the kernel's filter: each ioctl's errno, that a refused filter
// leaves the old one in place, that the kernel keeps its own copy of the
// bitmaps (the harness scribbles on its copy afterwards), and the answer
// for every MSR the script asks about. A range covers the MSRs
// [base, base + nmsrs), counted without wrapping past 0xffffffff (MSR
// indices are 32-bit, so nothing exists there); the x2APIC MSRs
// 0x800-0x8ff are never filtered.
#include <errno.h>
#include <arch/x86/kvm/msr/filter.hpp>
#include <arch/x86/kvm/msr/msr.hpp>

#include <vector>

#include "core_session.hpp"

namespace {

namespace x86 = kvmpp::x86;
using fuzz::CoreSession;

constexpr unsigned kMaxBytes = KVM_MSR_FILTER_MAX_BITMAP_SIZE;

struct RefRange {
  uint32_t flags, base, nmsrs;
  std::vector<uint8_t> bitmap;
};

struct RefFilter {
  bool active = false;  // false: no filter (everything allowed)
  bool default_allow = true;
  std::vector<RefRange> ranges;

  bool allows(uint32_t index, bool write) const {
    if (index >= 0x800 && index <= 0x8ff) return true;
    if (!active) return true;
    uint32_t type = write ? KVM_MSR_FILTER_WRITE : KVM_MSR_FILTER_READ;
    for (const RefRange& r : ranges) {
      if (!(r.flags & type)) continue;
      if (index < r.base || uint64_t(index) >= uint64_t(r.base) + r.nmsrs) continue;
      uint32_t bit = index - r.base;
      return (r.bitmap[bit / 8] >> (bit % 8)) & 1;
    }
    return default_allow;
  }
};

uint64_t bitmap_bytes(uint32_t nmsrs) { return (uint64_t(nmsrs) + 63) / 64 * 8; }

class Harness {
 public:
  Harness(CoreSession& s, fuzz::Input& in) : s_(s), in_(in) {}

  bool setup() {
    vm_ = CoreSession::dev(KVM_CREATE_VM, 0);
    if (vm_ < 0) return false;
    ram_ = s_.add_ram(vm_, 0, 0, 0x10000);
    vcpu_ = CoreSession::vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    return ram_ && vcpu_ >= 0;
  }

  void step() {
    switch (in_.u8() % 10) {
      case 0:
      case 1:
      case 2: set_filter(); break;
      case 3:
      case 4: query(); break;
      case 5:
      case 6:
      case 7: guest_access(); break;
      case 8: enable_cap(); break;
      default: scribble(); break;
    }
  }

 private:
  uint32_t pick_base() {
    static constexpr uint32_t kBases[] = {0,          0x10,       0x1b,       0x174,
                                          0x800,      0x7f0,      0x8f0,      0xc0000000,
                                          0xc0000080, 0xc0010000, 0xfffffff0, 0xffffffc0};
    uint8_t how = in_.u8();
    if (how < 160) return kBases[how % (sizeof(kBases) / sizeof(kBases[0]))] + (in_.u8() & 0x3f);
    return in_.value32();
  }

  uint32_t pick_index() {
    uint8_t how = in_.u8();
    // Near a range of the current filter: its first, last, one past.
    if (how < 128 && !ref_.ranges.empty()) {
      const RefRange& r = ref_.ranges[in_.below(unsigned(ref_.ranges.size()))];
      switch (in_.u8() % 4) {
        case 0: return r.base;
        case 1: return r.base + r.nmsrs - 1;
        case 2: return r.base + r.nmsrs;
        default: return r.base + in_.below(r.nmsrs ? r.nmsrs : 1);
      }
    }
    if (how < 200) return pick_base();
    return in_.value32();
  }

  void set_filter() {
    kvm_msr_filter f{};
    uint8_t how = in_.u8();
    f.flags = how < 240 ? how & 1 : in_.value32();
    RefFilter next;
    next.default_allow = !(f.flags & KVM_MSR_FILTER_DEFAULT_DENY);
    std::vector<std::vector<uint8_t>> user(KVM_MSR_FILTER_MAX_RANGES);
    unsigned used = in_.u8() % (KVM_MSR_FILTER_MAX_RANGES + 1);
    long want = 0;
    if (f.flags & ~uint32_t(KVM_MSR_FILTER_VALID_MASK)) want = -EINVAL;
    bool empty = true;
    for (unsigned i = 0; i < used; i++) {
      kvm_msr_filter_range& r = f.ranges[in_.u8() % KVM_MSR_FILTER_MAX_RANGES];
      uint8_t fl = in_.u8();
      r.flags = fl < 240 ? fl % 4 : in_.value32();
      r.base = pick_base();
      uint8_t sz = in_.u8();
      r.nmsrs = sz < 100 ? in_.u8() : sz < 200 ? in_.u16() % (kMaxBytes * 8 + 65) : in_.value32();
    }
    for (unsigned i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++) {
      kvm_msr_filter_range& r = f.ranges[i];
      if (!r.nmsrs) continue;
      empty = false;
      FUZZ_TRACE("  range %u: flags %#x base %#x nmsrs %#x\n", i, r.flags, r.base, r.nmsrs);
      // The bitmap: exactly as many bytes as the kernel may read (so that an
      // over-read is caught), or a pointer it must fail to read.
      uint64_t bytes = bitmap_bytes(r.nmsrs);
      uint8_t kind = in_.u8();
      if (kind < 8) {
        r.bitmap = reinterpret_cast<uint8_t*>(kind & 1 ? CoreSession::kBadUser : 0);
      } else {
        user[i].resize(bytes <= kMaxBytes ? bytes : 8);
        uint8_t fill = in_.u8();
        for (size_t k = 0; k < user[i].size(); k++)
          user[i][k] = k < 16 ? in_.u8() : uint8_t(fill * (k + 1));
        r.bitmap = user[i].data();
      }
    }
    if (!want && empty && !next.default_allow) want = -EINVAL;
    for (unsigned i = 0; i < KVM_MSR_FILTER_MAX_RANGES && !want; i++) {
      const kvm_msr_filter_range& r = f.ranges[i];
      if (!r.nmsrs) continue;
      if (r.flags & ~uint32_t(KVM_MSR_FILTER_RANGE_VALID_MASK) || !r.flags ||
          bitmap_bytes(r.nmsrs) > kMaxBytes) {
        want = -EINVAL;
      } else if (user[i].empty()) {
        want = -EFAULT;
      } else {
        next.ranges.push_back({r.flags, r.base, r.nmsrs, user[i]});
      }
    }
    next.active = !empty;
    bool fail_alloc = in_.u8() >= 240;
    if (fail_alloc) CoreSession::fail_alloc_after(1 + in_.u8() % 4);
    long got = CoreSession::vm_ioctl(vm_, KVM_X86_SET_MSR_FILTER, CoreSession::ptr(&f));
    CoreSession::fail_alloc_after(0);
    FUZZ_TRACE("  KVM_X86_SET_MSR_FILTER flags %#x: %ld (reference %ld)\n", f.flags, got, want);
    if (fail_alloc && got == -ENOMEM) return;  // the old filter stays
    FUZZ_CHECK(got == want);
    if (got == 0) {
      ref_ = next;
      // The kernel has its own copy: later changes to ours mean nothing.
      user_ = std::move(user);
    }
  }

  void scribble() {
    for (auto& u : user_)
      for (auto& b : u) b = uint8_t(~b);
  }

  void query() {
    for (unsigned n = 1 + in_.u8() % 8; n; n--) {
      uint32_t index = pick_index();
      bool write = in_.flag();
      bool got = x86::msr_allowed(CoreSession::vm(vm_), index, write);
      bool want = ref_.allows(index, write);
      if (got != want)
        FUZZ_TRACE("  msr %#x %s: filter says %d, reference %d\n", index, write ? "write" : "read",
                   got, want);
      FUZZ_CHECK(got == want);  // fuzz_msr_filter-wrapping-range
    }
  }

  void guest_access() {
    kvmpp::Vcpu& v = CoreSession::vcpu(vcpu_);
    x86_state& st = v.arch().regs;
    uint32_t index = pick_index();
    bool write = in_.flag();
    st.gpr[X86_RCX] = index | (uint64_t(in_.u32()) << 32);
    st.gpr[X86_RAX] = in_.value64();
    st.gpr[X86_RDX] = in_.value64();
    st.event = {};
    uint64_t rip = st.rip;
    bool allowed = ref_.allows(index, write);
    auto next = x86::guest_msr_access(v, write, 2);
    FUZZ_CHECK(next.ok());
    kvm_run* run = v.run();
    if (next.value() == x86::Next::kUser) {
      FUZZ_CHECK(run->exit_reason == (write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR));
      FUZZ_CHECK(run->msr.index == index);
      FUZZ_CHECK(user_exit_mask_ & run->msr.reason);
      if (!allowed) FUZZ_CHECK(run->msr.reason == KVM_MSR_EXIT_REASON_FILTER);
      FUZZ_CHECK(st.rip == rip);
      // User space answers; the next KVM_RUN completes the instruction.
      run->msr.error = in_.u8() & 1;
      run->msr.data = in_.value64();
      if (in_.u8() < 16) st.rip += 2;  // user space moved RIP: abandoned
      uint64_t before = st.rip;
      x86::complete_msr(v);
      if (!run->msr.error && before == rip) FUZZ_CHECK(st.rip == next_rip(rip));
    } else if (!allowed) {
      // Denied without an exit: #GP(0), RIP unchanged.
      FUZZ_CHECK(st.event.valid && st.event.vector == 13 && st.rip == rip);
    } else if (!st.event.valid) {
      FUZZ_CHECK(st.rip == next_rip(rip));
    }
    st.event = {};
  }

  // RIP past the two-byte RDMSR/WRMSR: the vCPU stays in real mode (its
  // reset state), where IP wraps at 64 KiB.
  static uint64_t next_rip(uint64_t rip) { return (rip + 2) & 0xffff; }

  void enable_cap() {
    kvm_enable_cap c{};
    uint8_t how = in_.u8();
    c.cap = how & 1 ? KVM_CAP_X86_USER_SPACE_MSR : KVM_CAP_MSR_PLATFORM_INFO;
    c.args[0] = how < 240 ? in_.u8() & 7 : in_.value64();
    long r = CoreSession::vm_ioctl(vm_, KVM_ENABLE_CAP, CoreSession::ptr(&c));
    if (c.cap == KVM_CAP_X86_USER_SPACE_MSR) {
      bool valid = !(c.args[0] & ~uint64_t(KVM_MSR_EXIT_REASON_VALID_MASK));
      FUZZ_CHECK(r == (valid ? 0 : -EINVAL));
      if (valid) user_exit_mask_ = uint32_t(c.args[0]);
    } else {
      FUZZ_CHECK(r == 0);
    }
  }

  CoreSession& s_;
  fuzz::Input& in_;
  long vm_ = -1, vcpu_ = -1;
  uint8_t* ram_ = nullptr;
  RefFilter ref_;
  std::vector<std::vector<uint8_t>> user_;
  uint32_t user_exit_mask_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  CoreSession s;
  Harness h(s, in);
  if (!h.setup()) return 0;
  for (int step = 0; step < 64 && !in.empty(); step++) h.step();
  return 0;
}

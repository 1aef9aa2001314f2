// SPDX-License-Identifier: GPL-2.0
// KVM_X86_SET_MSR_FILTER (api.rst): up to 16 ranges of MSRs, each with a
// bitmap that allows (1) or denies (0) the reads and/or writes it names, and
// a default for MSRs no range covers. A denied guest access exits to user
// space with KVM_MSR_EXIT_REASON_FILTER when that reason is enabled, and
// raises #GP otherwise (msr/exit.cpp).
//
// The backend intercepts every RDMSR and WRMSR, so the filter is consulted
// at each access and no hardware bitmap needs rebuilding when it changes:
// an access handled after KVM_X86_SET_MSR_FILTER returns sees the new one.
#include "filter.hpp"

#include <glue/glue.h>
#include <kvmpp/uaccess.hpp>
#include <kxx/new.hpp>

#include "../irq/lapic.hpp"
#include "../x86.hpp"

namespace kvmpp::x86 {
namespace {

// Bitmaps are read from user space in whole 64-bit words, as upstream does
// (so a bitmap that ends right before an unmapped page gets -EFAULT there too).
uint64_t bitmap_bytes(uint32_t nmsrs) { return (uint64_t(nmsrs) + 63) / 64 * 8; }

}  // namespace

MsrFilter::~MsrFilter() {
  for (unsigned i = 0; i < count_; i++) kvmg_free(ranges_[i].bitmap);
}

kxx::Status MsrFilter::add_range(const kvm_msr_filter_range& r) {
  if (!r.nmsrs) return kxx::OkStatus();  // an unused slot, whatever its flags
  if (r.flags & ~uint32_t(KVM_MSR_FILTER_RANGE_VALID_MASK)) return kxx::Errno::kInval;
  if (!r.flags) return kxx::Errno::kInval;
  uint64_t size = bitmap_bytes(r.nmsrs);
  if (size > KVM_MSR_FILTER_MAX_BITMAP_SIZE) return kxx::Errno::kInval;
  auto* bitmap = static_cast<uint8_t*>(kvmg_alloc(size, 0));
  if (!bitmap) return kxx::Errno::kNoMem;
  if (kvmg_copy_from_user(bitmap, reinterpret_cast<unsigned long>(r.bitmap), size)) {
    kvmg_free(bitmap);
    return kxx::Errno::kFault;
  }
  ranges_[count_++] = {r.flags, r.base, r.nmsrs, bitmap};
  return kxx::OkStatus();
}

kxx::Result<kxx::RefPtr<MsrFilter>> MsrFilter::from_user(const kvm_msr_filter& f) {
  if (f.flags & ~uint32_t(KVM_MSR_FILTER_VALID_MASK)) return kxx::Errno::kInval;
  bool empty = true;
  for (const auto& r : f.ranges) empty &= r.nmsrs == 0;
  bool default_allow = !(f.flags & KVM_MSR_FILTER_DEFAULT_DENY);
  // Denying everything with no range is refused (api.rst).
  if (empty && !default_allow) return kxx::Errno::kInval;
  auto* raw = new (kxx::Alloc::kSleep) MsrFilter;
  if (!raw) return kxx::Errno::kNoMem;
  auto filter = kxx::RefPtr<MsrFilter>::adopt(raw);
  filter->default_allow_ = default_allow;
  for (const auto& r : f.ranges) TRY_STATUS(filter->add_range(r));
  if (empty) return kxx::RefPtr<MsrFilter>();  // allows everything: no filter
  return filter;
}

bool MsrFilter::allows(uint32_t index, bool write) const {
  uint32_t type = write ? KVM_MSR_FILTER_WRITE : KVM_MSR_FILTER_READ;
  for (unsigned i = 0; i < count_; i++) {
    const Range& r = ranges_[i];
    // [base, base + nmsrs), counted in 64 bits: a range that reaches past
    // 0xffffffff does not wrap around to MSR 0 (found by fuzz_msr_filter).
    if (!(r.flags & type) || index < r.base || uint64_t(index) >= uint64_t(r.base) + r.nmsrs)
      continue;
    uint32_t bit = index - r.base;
    return (r.bitmap[bit / 8] >> (bit % 8)) & 1;
  }
  return default_allow_;
}

kxx::Status set_msr_filter(Vm& vm, unsigned long uarg) {
  auto user = TRY(copy_from_user<kvm_msr_filter>(uarg));
  auto filter = TRY(MsrFilter::from_user(user));
  MsrPolicy& p = vm.arch()->msr_policy;
  kxx::RefPtr<MsrFilter> old;  // its last reference is dropped after unlocking
  {
    SpinLockGuard guard(p.filter_lock);
    old = kxx::exchange(p.filter, kxx::move(filter));
  }
  return kxx::OkStatus();
}

bool msr_allowed(Vm& vm, uint32_t index, bool write) {
  if (index >= apic::kX2apicMsrBase && index <= apic::kX2apicMsrLast) return true;
  MsrPolicy& p = vm.arch()->msr_policy;
  kxx::RefPtr<MsrFilter> filter;
  {
    SpinLockGuard guard(p.filter_lock);
    filter = p.filter;
  }
  // The reference is dropped (and a replaced filter freed) after unlocking.
  return !filter || filter->allows(index, write);
}

}  // namespace kvmpp::x86

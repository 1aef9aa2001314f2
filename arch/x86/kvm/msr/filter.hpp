// SPDX-License-Identifier: GPL-2.0
// What user space decides about the guest's MSR accesses (api.rst,
// "KVM_X86_SET_MSR_FILTER", "KVM_CAP_X86_USER_SPACE_MSR",
// "KVM_CAP_MSR_PLATFORM_INFO"): the MSR filter and the VM's MSR policy.
#pragma once

#include <abi/kvm_abi.h>
#include <kvmpp/mutex.hpp>
#include <kxx/atomic.hpp>
#include <kxx/ref_ptr.hpp>
#include <kxx/result.hpp>

namespace kvmpp {
class Vm;
}

namespace kvmpp::x86 {

// A KVM_X86_SET_MSR_FILTER filter. Immutable once built: a new filter is a
// new object, so an access checked against a reference it took sees either
// the old filter or the new one, never a mix.
class MsrFilter : public kxx::RefCounted<MsrFilter> {
 public:
  // Validate @f with upstream's rules and errnos and copy its bitmaps from
  // user space. A filter that allows everything is returned as null.
  static kxx::Result<kxx::RefPtr<MsrFilter>> from_user(const kvm_msr_filter& f);

  // Whether the guest may read (@write false) or write @index: the first
  // range that covers it for that access decides, else the default.
  bool allows(uint32_t index, bool write) const;

 private:
  friend class kxx::RefCounted<MsrFilter>;
  struct Range {
    uint32_t flags = 0;
    uint32_t base = 0;
    uint32_t nmsrs = 0;
    uint8_t* bitmap = nullptr;  // owned
  };

  MsrFilter() = default;
  ~MsrFilter();
  kxx::Status add_range(const kvm_msr_filter_range& r);

  bool default_allow_ = true;
  unsigned count_ = 0;
  Range ranges_[KVM_MSR_FILTER_MAX_RANGES];
};

// The VM's MSR policy, changed by VM ioctls while vCPUs run and read by
// them at each guest RDMSR/WRMSR.
struct MsrPolicy {
  Spinlock filter_lock{KVMPP_LOCK_CLASS("kvm.msr_filter.lock")};
  kxx::RefPtr<MsrFilter> filter;  // under filter_lock; null: no filter
  // KVM_CAP_X86_USER_SPACE_MSR: the KVM_MSR_EXIT_REASON_* that exit.
  kxx::Atomic<uint32_t> user_exit_mask{0};
  // KVM_CAP_MSR_PLATFORM_INFO: the guest may read MSR_PLATFORM_INFO.
  kxx::Atomic<bool> platform_info_readable{true};
};

// KVM_X86_SET_MSR_FILTER: replace the VM's filter.
kxx::Status set_msr_filter(Vm& vm, unsigned long uarg);
// The filter's answer for a guest access (accesses from user space through
// KVM_GET/SET_MSRS are never filtered). The x2APIC MSRs cannot be filtered.
bool msr_allowed(Vm& vm, uint32_t index, bool write);

}  // namespace kvmpp::x86

// SPDX-License-Identifier: GPL-2.0
// KVM_PRE_FAULT_MEMORY (api.rst): map a range of guest RAM ahead of the
// guest's accesses, page by page through the arch layer, reporting partial
// progress in the argument itself.
#include <glue/glue.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include "ioctl.hpp"
#include "vcpu.hpp"

namespace kvmpp {
namespace {

kxx::Status pre_fault_range(Vcpu& vcpu, kvm_pre_fault_memory& range) {
  constexpr uint64_t kPageMask = KVMG_PAGE_SIZE - 1;
  if (range.flags) return kxx::Errno::kInval;
  // Like upstream, the padding is not checked.
  if ((range.gpa | range.size) & kPageMask) return kxx::Errno::kInval;
  if (range.gpa + range.size <= range.gpa) return kxx::Errno::kInval;  // empty or wrapping
  const uint64_t full = range.size;
  kxx::Status st;
  do {
    if (kvmg_signal_pending()) {
      st = kxx::Errno::kIntr;
      break;
    }
    auto done = arch::pre_fault_page(vcpu, range.gpa, range.size);
    if (!done.ok()) {
      st = done.error();
      break;
    }
    uint64_t n = done.value();
    if (n == 0 || n > range.size || (n & kPageMask)) {
      kvmg_warn_once("pre-fault made no progress");
      st = kxx::Errno::kIo;
      break;
    }
    range.gpa += n;
    range.size -= n;
    kvmg_cond_resched();
  } while (range.size);
  // Success when at least one page was mapped; the range says how far.
  return range.size == full ? st : kxx::OkStatus();
}

}  // namespace

long pre_fault_memory(Vcpu& vcpu, unsigned long uarg) {
  auto range = copy_from_user<kvm_pre_fault_memory>(uarg);
  if (!range.ok()) return to_ret(range.error().code);
  kxx::Status st = pre_fault_range(vcpu, range.value());
  // The remaining range goes back whatever happened.
  if (!copy_to_user(uarg, range.value()).ok()) return to_ret(kxx::Errno::kFault);
  return to_ret(st);
}

}  // namespace kvmpp

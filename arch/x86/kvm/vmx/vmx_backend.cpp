// SPDX-License-Identifier: GPL-2.0
// The VMX backend's operations table and module-level checks.
#include <glue/glue.h>
#include <glue/x86.h>
#include <kvmpp/backend.hpp>
#include <kxx/errno.hpp>
#include <kxx/new.hpp>

#include "vmx.hpp"

namespace kvmpp::vmx {
namespace {

// Per-vCPU VMX state. For now the VMCS page, stamped with the revision id
// (SDM "Format of the VMCS Region"); the run loop fills it in.
struct VmxVcpu {
  void* vmcs = nullptr;
};

constinit uint32_t g_revision_id = 0;

void* vcpu_create(unsigned int) {
  auto* v = new (kxx::Alloc::kSleep) VmxVcpu;
  if (!v) return nullptr;
  v->vmcs = kvmg_page_alloc();
  if (!v->vmcs) {
    delete v;
    return nullptr;
  }
  *static_cast<uint32_t*>(v->vmcs) = g_revision_id;
  return v;
}

void vcpu_free(void* p) {
  auto* v = static_cast<VmxVcpu*>(p);
  kvmg_page_free(v->vmcs);
  delete v;
}

// The VMX run loop (VMCS set-up, VMLAUNCH/VMRESUME, exit decoding) is not
// written yet: KVM_RUN on kvm-intel fails with -EOPNOTSUPP instead of
// pretending to run the guest.
int vcpu_run(void*, void*) { return -int(kxx::Errno::kOpNotSupp); }

constexpr kvm_backend_ops kOps = {
    .name = "vmx",
    .cpu_enable = cpu_enable,
    .cpu_disable = cpu_disable,
    .vcpu_create = vcpu_create,
    .vcpu_free = vcpu_free,
    .vcpu_run = vcpu_run,
};

int refuse(const char* why) {
  kvmg_log(KVMG_LOG_ERR, "kvm_intel: %s", why);
  return -int(kxx::Errno::kOpNotSupp);
}

}  // namespace
}  // namespace kvmpp::vmx

using namespace kvmpp::vmx;

extern "C" int vmx_backend_init(struct vmx_params* params) {
  if (!kvmg_x86_has(KVMG_X86_VMX)) return refuse("VMX not supported by CPU");
  uint64_t fc = 0;
  if (kvmg_rdmsr_safe(kMsrFeatureControl, &fc) || !(fc & kFeatureControlLocked) ||
      !(fc & kFeatureControlVmxOutsideSmx))
    return refuse("VMX disabled by firmware (IA32_FEATURE_CONTROL)");
  if (!kvmg_x86_has(KVMG_X86_EPT))
    return refuse("EPT not supported by CPU (shadow paging is not implemented)");
  if (!params->ept) return refuse("ept=0 requested, but shadow paging is not implemented");
  if (params->nested) {
    kvmg_log(KVMG_LOG_WARN, "kvm_intel: nested VMX is not implemented; nested=0");
    params->nested = false;
  }
  uint64_t basic;
  if (kvmg_rdmsr_safe(kMsrVmxBasic, &basic)) return refuse("cannot read IA32_VMX_BASIC");
  // Bits 44:32 give the VMCS region size; it must fit the page we allocate.
  if (((basic >> 32) & 0x1fff) > KVMG_PAGE_SIZE) return refuse("VMCS larger than a page");
  g_revision_id = uint32_t(basic & 0x7fffffff);
  return vmxon_regions_init(g_revision_id);
}

extern "C" void vmx_backend_exit(void) { vmxon_regions_free(); }

extern "C" const struct kvm_backend_ops* vmx_backend_ops(void) { return &kOps; }

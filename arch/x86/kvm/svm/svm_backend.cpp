// SPDX-License-Identifier: GPL-2.0
// The SVM backend's operations table and module-level checks.
#include <glue/glue.h>
#include <glue/x86.h>
#include <kvmpp/backend.hpp>
#include <kxx/errno.hpp>

#include "svm.hpp"

namespace kvmpp::svm {
namespace {

constexpr kvm_backend_ops kOps = {
    .name = "svm",
    .cpu_enable = cpu_enable,
    .cpu_disable = cpu_disable,
    .vcpu_create = vcpu_create,
    .vcpu_free = vcpu_free,
    .vcpu_run = vcpu_run,
};

int refuse(const char* why) {
  kvmg_log(KVMG_LOG_ERR, "kvm_amd: %s", why);
  return -int(kxx::Errno::kOpNotSupp);
}

}  // namespace
}  // namespace kvmpp::svm

using namespace kvmpp::svm;

extern "C" int svm_backend_init(struct svm_params* params) {
  if (!kvmg_x86_has(KVMG_X86_SVM)) return refuse("SVM not supported by CPU");
  uint64_t vm_cr = 0;
  if (kvmg_rdmsr_safe(kMsrVmCr, &vm_cr) == 0 && (vm_cr & kVmCrSvmDis))
    return refuse("SVM disabled by firmware (VM_CR.SVMDIS)");
  // Only nested paging is implemented: without NPT there is no MMU to use.
  if (!kvmg_x86_has(KVMG_X86_NPT))
    return refuse("NPT not supported by CPU (shadow paging is not implemented)");
  if (!params->npt) return refuse("npt=0 requested, but shadow paging is not implemented");
  if (params->nested) {
    kvmg_log(KVMG_LOG_WARN, "kvm_amd: nested SVM is not implemented; nested=0");
    params->nested = 0;
  }
  int r = percpu_init();
  if (r) return r;
  r = permission_maps_init();
  if (r) percpu_free();
  return r;
}

extern "C" void svm_backend_exit(void) {
  permission_maps_free();
  percpu_free();
}

extern "C" const struct kvm_backend_ops* svm_backend_ops(void) { return &kOps; }

// SPDX-License-Identifier: GPL-2.0
// The C entry points the glue calls (include/glue/core.h): unwrap the handle,
// call the C++ side, return what user space sees.
#include <glue/core.h>

#include "core.hpp"
#include "ioctl.hpp"
#include "stats_file.hpp"
#include "vcpu.hpp"
#include "vm.hpp"

using kvmpp::Vcpu;
using kvmpp::Vm;

extern "C" {

int kvm_core_init(void) { return 0; }
void kvm_core_exit(void) {}

long kvm_core_dev_ioctl(unsigned int cmd, unsigned long arg) { return kvmpp::dev_ioctl(cmd, arg); }

long kvm_core_vm_ioctl(void* vm, unsigned int cmd, unsigned long arg) {
  return kvmpp::vm_ioctl(*static_cast<Vm*>(vm), cmd, arg);
}

long kvm_core_vcpu_ioctl(void* vcpu, unsigned int cmd, unsigned long arg) {
  return kvmpp::vcpu_ioctl(*static_cast<Vcpu*>(vcpu), cmd, arg);
}

void kvm_core_vm_release(void* vm) { static_cast<Vm*>(vm)->put(); }

void kvm_core_vcpu_release(void* vcpu) { static_cast<Vcpu*>(vcpu)->vm().put(); }

long kvm_core_stats_read(void* object, bool vcpu, uint64_t ubuf, uint64_t size, int64_t* pos) {
  kvmpp::StatsView view;
  if (vcpu)
    kvmpp::view_vcpu_stats(*static_cast<Vcpu*>(object), &view);
  else
    kvmpp::view_vm_stats(*static_cast<Vm*>(object), &view);
  auto r = kvmpp::read_stats(view, ubuf, size, *pos);
  if (!r.ok()) return r.error().to_ret();
  *pos += r.value();
  return r.value();
}

void kvm_core_stats_release(void* object, bool vcpu) {
  if (vcpu)
    static_cast<Vcpu*>(object)->vm().put();
  else
    static_cast<Vm*>(object)->put();
}

void* kvm_core_vcpu_mmap_page(void* vcpu, unsigned long pgoff) {
  return static_cast<Vcpu*>(vcpu)->mmap_page(pgoff);
}

int kvm_core_vcpu_mmap_check(void* vcpu, unsigned long pgoff, unsigned long npages, bool shared,
                             bool exec) {
  return int(static_cast<Vcpu*>(vcpu)->mmap_allowed(pgoff, npages, shared, exec).to_ret());
}

void kvm_core_mmu_invalidate_start(void* vm, uint64_t start, uint64_t end) {
  static_cast<Vm*>(vm)->mmu_invalidate_start(start, end);
}

void kvm_core_mmu_invalidate_end(void* vm, uint64_t start, uint64_t end) {
  static_cast<Vm*>(vm)->mmu_invalidate_end(start, end);
}

void kvm_core_mmu_release(void* vm) { static_cast<Vm*>(vm)->mmu_release(); }

int kvm_core_set_backend(const struct kvm_backend_ops* ops) {
  return int(kvmpp::set_backend(ops).to_ret());
}

void kvm_core_clear_backend(const struct kvm_backend_ops* ops) { kvmpp::clear_backend(ops); }

}  // extern "C"

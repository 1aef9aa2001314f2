// SPDX-License-Identifier: GPL-2.0
// See core_session.hpp.
#include "core_session.hpp"

#include <errno.h>
#include <glue/core.h>
#include <glue/glue.h>
#include <stdlib.h>

#include "fake_event.h"
#include "fake_glue.h"

namespace fuzz {
namespace {

// A backend with vCPUs that never run: what the core needs to create them.
int live_vcpus = 0;
void* vcpu_create(unsigned int) {
  void* v = kvmg_alloc(16, 0);
  if (v) live_vcpus++;
  return v;
}
void vcpu_free(void* p) {
  live_vcpus--;
  kvmg_free(p);
}
int cpu_enable(unsigned int) { return 0; }
void cpu_disable(unsigned int) {}
int vcpu_run(void*, void*) { return -EIO; }
constexpr kvm_backend_ops kOps = {"fuzz",      cpu_enable, cpu_disable,
                                  vcpu_create, vcpu_free,  vcpu_run};

}  // namespace

CoreSession::CoreSession() {
  fake::reset();
  fake::reset_events();
  uint64_t now = fake::now_ns();
  fake::advance_time(((now / kEpochNs) + 1) * kEpochNs - now);
  live_vcpus = 0;
  baseline_ = kvmg_alloc_outstanding();
  FUZZ_CHECK(kvm_core_set_backend(&kOps) == 0);
}

CoreSession::~CoreSession() {
  fake::fail_alloc_after(0);
  fake::close_all();
  // Work queued before the last close must have been cancelled with it.
  FUZZ_CHECK(fake::queued_work() == 0);
  FUZZ_CHECK(fake::live_eventfds() == 0);
  fake::reset_events();
  for (unsigned i = 0; i < rams_; i++) free(ram_[i]);
  kvm_core_clear_backend(&kOps);
  FUZZ_CHECK(live_vcpus == 0);
  if (kvmg_alloc_outstanding() != baseline_) {
    fprintf(stderr, "glue allocations leaked: %ld\n", kvmg_alloc_outstanding() - baseline_);
    FUZZ_CHECK(!"glue allocations leaked");
  }
  FUZZ_CHECK(fake::warnings() == 0);
}

long CoreSession::dev(unsigned cmd, unsigned long arg) { return kvm_core_dev_ioctl(cmd, arg); }

long CoreSession::vm_ioctl(long vm_fd, unsigned cmd, unsigned long arg) {
  return kvm_core_vm_ioctl(fake::files().at(int(vm_fd)).object, cmd, arg);
}

long CoreSession::vcpu_ioctl(long vcpu_fd, unsigned cmd, unsigned long arg) {
  return kvm_core_vcpu_ioctl(fake::files().at(int(vcpu_fd)).object, cmd, arg);
}

kvmpp::Vm& CoreSession::vm(long fd) {
  return *static_cast<kvmpp::Vm*>(fake::files().at(int(fd)).object);
}

kvmpp::Vcpu& CoreSession::vcpu(long fd) {
  return *static_cast<kvmpp::Vcpu*>(fake::files().at(int(fd)).object);
}

bool CoreSession::open(long fd) { return fd >= 0 && fake::files().count(int(fd)); }

uint8_t* CoreSession::add_ram(long vm_fd, uint32_t slot, uint64_t gpa, uint64_t size) {
  if (rams_ == kMaxRam) return nullptr;
  auto* ram = static_cast<uint8_t*>(aligned_alloc(4096, size));
  FUZZ_CHECK(ram);
  memset(ram, 0, size);
  ram_[rams_++] = ram;
  kvm_userspace_memory_region r{slot, 0, gpa, size, ptr(ram)};
  if (vm_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, ptr(&r)) != 0) return nullptr;
  return ram;
}

void CoreSession::advance(uint64_t ns) {
  if (ns > kTimeBudgetNs - time_used_) ns = kTimeBudgetNs - time_used_;
  time_used_ += ns;
  fake::advance_time(ns);
}

void CoreSession::run_work() { fake::run_work(); }

void CoreSession::fail_alloc_after(long n) { fake::fail_alloc_after(n); }

}  // namespace fuzz

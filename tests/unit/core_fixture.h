// SPDX-License-Identifier: GPL-2.0
// A fixture with a fake vendor backend registered; every test ends by
// closing all fds and checking that nothing allocated through the glue leaked.
#pragma once

#include <abi/kvm_abi.h>
#include <gtest/gtest.h>
#include <kvmpp/backend.hpp>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "fake_event.h"
#include "fake_glue.h"

namespace fake_backend {
inline int live_vcpus = 0;
inline bool fail_vcpu_create = false;
inline void* vcpu_create(unsigned int) {
  if (fail_vcpu_create) return nullptr;
  void* v = kvmg_alloc(16, 0);
  if (v) live_vcpus++;
  return v;
}
inline void vcpu_free(void* p) {
  live_vcpus--;
  kvmg_free(p);
}
inline int cpu_enable(unsigned int) { return 0; }
inline void cpu_disable(unsigned int) {}
inline int vcpu_run(void*, void*) { return -EIO; }
inline constexpr kvm_backend_ops kOps = {"fake",      cpu_enable, cpu_disable,
                                         vcpu_create, vcpu_free,  vcpu_run};
}  // namespace fake_backend

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake::reset();
    fake_backend::live_vcpus = 0;
    fake_backend::fail_vcpu_create = false;
    baseline_ = kvmg_alloc_outstanding();
    ASSERT_EQ(kvm_core_set_backend(&fake_backend::kOps), 0);
  }
  void TearDown() override {
    fake::close_all();
    fake::reset_events();
    EXPECT_EQ(fake::live_eventfds(), 0) << "eventfd contexts leaked";
    EXPECT_EQ(fake::queued_work(), 0) << "work left queued";
    for (void* ram : guest_ram_) free(ram);
    guest_ram_.clear();
    kvm_core_clear_backend(&fake_backend::kOps);
    EXPECT_EQ(kvmg_alloc_outstanding(), baseline_) << "glue allocations leaked";
    EXPECT_EQ(fake_backend::live_vcpus, 0) << "backend vCPUs leaked";
    EXPECT_EQ(fake::warnings(), 0);
  }

  static long dev(unsigned cmd, unsigned long arg = 0) { return kvm_core_dev_ioctl(cmd, arg); }
  static void* object(long fd) { return fake::files().at(int(fd)).object; }
  static long vm_ioctl(long vm_fd, unsigned cmd, unsigned long arg = 0) {
    return kvm_core_vm_ioctl(object(vm_fd), cmd, arg);
  }
  static long vcpu_ioctl(long vcpu_fd, unsigned cmd, unsigned long arg = 0) {
    return kvm_core_vcpu_ioctl(object(vcpu_fd), cmd, arg);
  }
  static unsigned long ptr(const void* p) { return reinterpret_cast<unsigned long>(p); }
  long create_vm() {
    long fd = dev(KVM_CREATE_VM, 0);
    EXPECT_GE(fd, 0);
    return fd;
  }

  // Zeroed guest RAM of @size bytes at guest-physical 0 (slot 0) of @vm;
  // freed after the fds are closed.
  uint8_t* add_guest_ram(long vm, uint64_t size) {
    auto* ram = static_cast<uint8_t*>(aligned_alloc(4096, size));
    memset(ram, 0, size);
    guest_ram_.push_back(ram);
    kvm_userspace_memory_region r{0, 0, 0, size, ptr(ram)};
    EXPECT_EQ(vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, ptr(&r)), 0);
    return ram;
  }

  long baseline_ = 0;
  std::vector<void*> guest_ram_;
};

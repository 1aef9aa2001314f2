// SPDX-License-Identifier: GPL-2.0
// ioctls on /dev/kvm.
#include "core_fixture.h"

namespace {

using DevIoctl = CoreTest;

TEST_F(DevIoctl, ApiVersion) {
  EXPECT_EQ(dev(KVM_GET_API_VERSION), 12);
  EXPECT_EQ(dev(KVM_GET_API_VERSION, 1), -EINVAL);
}

TEST_F(DevIoctl, CheckExtension) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS), 2);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS), 4096);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID), 16384);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_MP_STATE), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, ~0UL), 0);
}

TEST_F(DevIoctl, CreateVmTypes) {
  EXPECT_GE(dev(KVM_CREATE_VM, 0), 0);
  EXPECT_EQ(dev(KVM_CREATE_VM, 1), -EINVAL);
  EXPECT_EQ(dev(KVM_CREATE_VM, 64), -EINVAL);
  EXPECT_EQ(dev(KVM_CREATE_VM, ~0UL), -EINVAL);
}

TEST_F(DevIoctl, VcpuMmapSize) {
  // kvm_run, the port-I/O data page and the coalesced I/O ring, as upstream.
  EXPECT_EQ(dev(KVM_GET_VCPU_MMAP_SIZE), 3 * 4096);
  EXPECT_EQ(dev(KVM_GET_VCPU_MMAP_SIZE, 1), -EINVAL);
}

TEST_F(DevIoctl, UnknownIsEinval) {
  EXPECT_EQ(dev(KVM_CREATE_VCPU), -EINVAL);
  EXPECT_EQ(dev(0x5401), -EINVAL);
}

TEST_F(DevIoctl, CreateVmFailsCleanlyAtEveryAllocation) {
  // Fail each allocation of VM creation in turn: an error, and nothing leaks.
  for (long n = 1;; n++) {
    fake::fail_alloc_after(n);
    long r = dev(KVM_CREATE_VM, 0);
    fake::fail_alloc_after(0);
    if (r >= 0) {
      EXPECT_GT(n, 1) << "VM creation allocates nothing?";
      break;
    }
    EXPECT_EQ(r, -ENOMEM) << "allocation " << n;
    EXPECT_EQ(kvmg_alloc_outstanding(), baseline_) << "allocation " << n;
  }
}

TEST_F(DevIoctl, CreateVmFdFailureFreesVm) {
  fake::fail_next_fd(EMFILE);
  EXPECT_EQ(dev(KVM_CREATE_VM, 0), -EMFILE);
  EXPECT_EQ(kvmg_alloc_outstanding(), baseline_);
}

}  // namespace

// No machine-check emulation: no MCG_CAP bit is supported.
TEST_F(DevIoctl, MceCapSupported) {
  uint64_t caps = ~0ull;
  EXPECT_EQ(dev(KVM_X86_GET_MCE_CAP_SUPPORTED, reinterpret_cast<unsigned long>(&caps)), 0);
  EXPECT_EQ(caps, (1u << 8) | (1u << 24));  // MCG_CTL_P, MCG_SER_P (as stock on AMD)
  EXPECT_EQ(dev(KVM_X86_GET_MCE_CAP_SUPPORTED, 8), -EFAULT);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_MCE), 32);
}

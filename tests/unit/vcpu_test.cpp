// SPDX-License-Identifier: GPL-2.0
// vCPU objects: the mmap area and the MP state ioctls.
#include "core_fixture.h"

namespace {

using VcpuTest = CoreTest;

TEST_F(VcpuTest, MmapPages) {
  long vm = create_vm();
  long vcpu = vm_ioctl(vm, KVM_CREATE_VCPU, 0);
  void* run = kvm_core_vcpu_mmap_page(object(vcpu), 0);
  void* pio = kvm_core_vcpu_mmap_page(object(vcpu), 1);
  ASSERT_NE(run, nullptr);
  ASSERT_NE(pio, nullptr);
  EXPECT_NE(run, pio);
  // Page 2: the VM's coalesced I/O ring, the same page for every vCPU.
  long vcpu1 = vm_ioctl(vm, KVM_CREATE_VCPU, 1);
  void* ring = kvm_core_vcpu_mmap_page(object(vcpu), 2);
  ASSERT_NE(ring, nullptr);
  EXPECT_NE(ring, run);
  EXPECT_NE(ring, pio);
  EXPECT_EQ(kvm_core_vcpu_mmap_page(object(vcpu1), 2), ring);
  EXPECT_NE(kvm_core_vcpu_mmap_page(object(vcpu1), 0), run);
  EXPECT_EQ(kvm_core_vcpu_mmap_page(object(vcpu), 3), nullptr);
  EXPECT_EQ(static_cast<kvm_run*>(run)->exit_reason, 0u);
}

TEST_F(VcpuTest, MpState) {
  long vm = create_vm();
  long vcpu = vm_ioctl(vm, KVM_CREATE_VCPU, 0);
  kvm_mp_state st{99};
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_GET_MP_STATE, ptr(&st)), 0);
  EXPECT_EQ(st.mp_state, unsigned(KVM_MP_STATE_RUNNABLE));
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_SET_MP_STATE, ptr(&st)), 0);
  st.mp_state = KVM_MP_STATE_HALTED;
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_SET_MP_STATE, ptr(&st)), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_GET_MP_STATE, 8), -EFAULT);
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_SET_MP_STATE, 0), -EFAULT);
}

TEST_F(VcpuTest, UnknownIsEinval) {
  long vm = create_vm();
  long vcpu = vm_ioctl(vm, KVM_CREATE_VCPU, 0);
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_IO_(0xff)), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(vcpu, 0x5401), -EINVAL);
}

}  // namespace

// SPDX-License-Identifier: GPL-2.0
// VM objects: vCPU creation, ids and limits, KVM_ENABLE_CAP, lifetimes.
#include "core_fixture.h"

namespace {

using VmTest = CoreTest;

TEST_F(VmTest, CreateVcpuIds) {
  long vm = create_vm();
  EXPECT_GE(vm_ioctl(vm, KVM_CREATE_VCPU, 0), 0);
  EXPECT_GE(vm_ioctl(vm, KVM_CREATE_VCPU, 16383), 0);
  EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_VCPU, 0), -EEXIST);
  EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_VCPU, 16384), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_VCPU, ~0UL), -EINVAL);
  EXPECT_EQ(fake_backend::live_vcpus, 2);
}

// Lockdep checks the order between lock roles (Documentation/locking.rst):
// every lock of a VM with an irqchip, its vCPUs and their devices is given
// a class with a name, one class per name.
TEST_F(VmTest, EveryLockHasItsOwnNamedLockClass) {
  long vm = create_vm();
  ASSERT_EQ(vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0), 0);
  kvm_pit_config pit = {};
  ASSERT_EQ(vm_ioctl(vm, KVM_CREATE_PIT2, ptr(&pit)), 0);
  ASSERT_GE(vm_ioctl(vm, KVM_CREATE_VCPU, 0), 0);
  auto classes = fake::lock_classes();
  EXPECT_EQ(classes.count(""), 0u) << "a lock without a class, or a class with two names";
  for (auto& [name, c] : classes) {
    EXPECT_EQ(classes.count(name), 1u) << name << " names two classes";
    EXPECT_EQ(name.rfind("kvm.", 0), 0u) << name;
  }
  for (const char* name : {"kvm.vm.lock", "kvm.vm.slots_lock", "kvm.vm.mmu_lock", "kvm.vcpu.mutex",
                           "kvm.irqchip.lock", "kvm.apic.lock", "kvm.pit.lock"})
    EXPECT_EQ(classes.count(name), 1u) << name;
}

TEST_F(VmTest, MaxVcpus) {
  long vm = create_vm();
  for (unsigned long i = 0; i < 4096; i++) ASSERT_GE(vm_ioctl(vm, KVM_CREATE_VCPU, i), 0) << i;
  EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_VCPU, 5000), -EINVAL);
}

TEST_F(VmTest, VcpuCreationFailsCleanlyAtEveryAllocation) {
  long vm = create_vm();
  long before = kvmg_alloc_outstanding();
  for (long n = 1;; n++) {
    fake::fail_alloc_after(n);
    long r = vm_ioctl(vm, KVM_CREATE_VCPU, 3);
    fake::fail_alloc_after(0);
    if (r >= 0) break;
    EXPECT_EQ(r, -ENOMEM);
    EXPECT_EQ(kvmg_alloc_outstanding(), before) << "allocation " << n;
  }
  EXPECT_EQ(fake_backend::live_vcpus, 1);
}

TEST_F(VmTest, BackendVcpuFailure) {
  long vm = create_vm();
  fake_backend::fail_vcpu_create = true;
  EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_VCPU, 0), -ENOMEM);
  fake_backend::fail_vcpu_create = false;
  EXPECT_GE(vm_ioctl(vm, KVM_CREATE_VCPU, 0), 0);  // the id was not taken
}

TEST_F(VmTest, VcpuFdFailureFreesVcpuAndId) {
  long vm = create_vm();
  fake::fail_next_fd(EMFILE);
  EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_VCPU, 0), -EMFILE);
  EXPECT_EQ(fake_backend::live_vcpus, 0);
  EXPECT_GE(vm_ioctl(vm, KVM_CREATE_VCPU, 0), 0);
}

TEST_F(VmTest, VcpuKeepsVmAlive) {
  long vm = create_vm();
  long vcpu = vm_ioctl(vm, KVM_CREATE_VCPU, 0);
  fake::close_fd(int(vm));
  kvm_mp_state st{};
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_GET_MP_STATE, ptr(&st)), 0);
  EXPECT_EQ(fake_backend::live_vcpus, 1);
  fake::close_fd(int(vcpu));
  EXPECT_EQ(fake_backend::live_vcpus, 0);
  EXPECT_EQ(kvmg_alloc_outstanding(), baseline_);
}

TEST_F(VmTest, OtherProcessGetsEio) {
  long vm = create_vm();
  long vcpu = vm_ioctl(vm, KVM_CREATE_VCPU, 0);
  int child_mm;
  fake::set_current_mm(&child_mm);
  EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_VCPU, 1), -EIO);
  EXPECT_EQ(vm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS), -EIO);
  kvm_mp_state st{};
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_GET_MP_STATE, ptr(&st)), -EIO);
  EXPECT_GE(dev(KVM_CREATE_VM, 0), 0);  // /dev/kvm is not per process
}

TEST_F(VmTest, UnknownIsEnotty) {
  long vm = create_vm();
  EXPECT_EQ(vm_ioctl(vm, KVM_GET_API_VERSION), -ENOTTY);
  EXPECT_EQ(vm_ioctl(vm, KVM_GET_MP_STATE), -ENOTTY);
}

TEST_F(VmTest, EnableCapMaxVcpuId) {
  long vm = create_vm();
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_MAX_VCPU_ID;
  cap.args[0] = 16385;
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
  cap.args[0] = 4;
  cap.flags = 1;
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
  cap.flags = 0;
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, ptr(&cap)), 0);
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, ptr(&cap)), 0);
  cap.args[0] = 5;
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
  EXPECT_GE(vm_ioctl(vm, KVM_CREATE_VCPU, 3), 0);
  EXPECT_EQ(vm_ioctl(vm, KVM_CREATE_VCPU, 4), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, 0), -EFAULT);
  cap.cap = 100000;
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
}

TEST_F(VmTest, FirstVcpuFixesIdBound) {
  long vm = create_vm();
  EXPECT_GE(vm_ioctl(vm, KVM_CREATE_VCPU, 0), 0);
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_MAX_VCPU_ID;
  cap.args[0] = 8;
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
  cap.args[0] = 16384;
  EXPECT_EQ(vm_ioctl(vm, KVM_ENABLE_CAP, ptr(&cap)), 0);
}

}  // namespace

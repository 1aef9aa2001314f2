// SPDX-License-Identifier: GPL-2.0
// A VM with one vCPU (id 0) through the ioctls, and the core objects behind
// their fds, for tests that drive the core's paths directly.
#pragma once

#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include "core_fixture.h"

class VcpuTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    vm_ = create_vm();
    vcpu_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    ASSERT_GE(vcpu_, 0);
  }
  kvmpp::Vm& vm() { return *static_cast<kvmpp::Vm*>(object(vm_)); }
  kvmpp::Vcpu& vcpu() { return *static_cast<kvmpp::Vcpu*>(object(vcpu_)); }

  long vm_ = -1, vcpu_ = -1;
};

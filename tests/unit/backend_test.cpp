// SPDX-License-Identifier: GPL-2.0
// Backend registration with the core.
#include <abi/kvm_abi.h>
#include <gtest/gtest.h>
#include <kvmpp/backend.hpp>

#include "core_fixture.h"

namespace {

TEST(Backend, RegisterOnlyOnce) {
  ASSERT_EQ(kvm_core_set_backend(&fake_backend::kOps), 0);
  kvm_backend_ops other = fake_backend::kOps;
  EXPECT_EQ(kvm_core_set_backend(&other), -EBUSY);
  // Clearing with the wrong table changes nothing.
  kvm_core_clear_backend(&other);
  EXPECT_EQ(kvm_core_set_backend(&other), -EBUSY);
  kvm_core_clear_backend(&fake_backend::kOps);
  EXPECT_EQ(kvm_core_set_backend(&other), 0);
  kvm_core_clear_backend(&other);
}

TEST(Backend, IncompleteTableRefused) {
  kvm_backend_ops partial = fake_backend::kOps;
  partial.vcpu_free = nullptr;
  EXPECT_EQ(kvm_core_set_backend(&partial), -EINVAL);
  EXPECT_EQ(kvm_core_set_backend(nullptr), -EINVAL);
}

TEST(Backend, NoBackendNoVm) { EXPECT_EQ(kvm_core_dev_ioctl(KVM_CREATE_VM, 0), -ENODEV); }

}  // namespace

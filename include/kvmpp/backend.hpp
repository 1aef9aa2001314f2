// SPDX-License-Identifier: GPL-2.0
// The backend operations table (include/glue/backend_ops.h) on the C++ side.
#pragma once

#include <glue/backend_ops.h>

namespace kvmpp {
using BackendOps = kvm_backend_ops;

// A table is complete when every entry is filled in; registration refuses a
// partial one so that nothing ever calls through a null pointer.
constexpr bool backend_ops_complete(const BackendOps& ops) {
  return ops.name && ops.cpu_enable && ops.cpu_disable && ops.vcpu_create && ops.vcpu_free &&
         ops.vcpu_run;
}
}  // namespace kvmpp

// SPDX-License-Identifier: GPL-2.0
// RCU through the glue: a scoped read-side section. Readers must not sleep;
// writers publish a new version, call kvmg_synchronize_rcu(), then free the
// old one.
#pragma once

#include <glue/glue.h>

namespace kvmpp {

class [[nodiscard]] RcuReadGuard {
 public:
  RcuReadGuard() { kvmg_rcu_read_lock(); }
  ~RcuReadGuard() { kvmg_rcu_read_unlock(); }
  RcuReadGuard(const RcuReadGuard&) = delete;
  RcuReadGuard& operator=(const RcuReadGuard&) = delete;
};

}  // namespace kvmpp

// SPDX-License-Identifier: GPL-2.0
#include "core.hpp"

#include <kxx/atomic.hpp>

namespace kvmpp {
namespace {
constinit kxx::Atomic<const BackendOps*> g_backend{nullptr};
}  // namespace

kxx::Status set_backend(const BackendOps* ops) {
  if (!ops || !backend_ops_complete(*ops)) return kxx::Errno::kInval;
  const BackendOps* expected = nullptr;
  if (!g_backend.compare_exchange(expected, ops)) return kxx::Errno::kBusy;
  return kxx::OkStatus();
}

void clear_backend(const BackendOps* ops) {
  const BackendOps* expected = ops;
  g_backend.compare_exchange(expected, nullptr);
}

const BackendOps* backend() { return g_backend.load(); }

}  // namespace kvmpp

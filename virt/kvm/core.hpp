// SPDX-License-Identifier: GPL-2.0
// Module-wide state of the core: the registered vendor backend.
#pragma once

#include <kvmpp/backend.hpp>
#include <kxx/result.hpp>

namespace kvmpp {

// Registration is serialized by the glue; readers only run while /dev/kvm
// exists, i.e. while a backend is registered and its module is pinned.
kxx::Status set_backend(const BackendOps* ops);
void clear_backend(const BackendOps* ops);
const BackendOps* backend();

}  // namespace kvmpp

// SPDX-License-Identifier: GPL-2.0
// The C++ runtime of kvm-amd.ko.
#include <kxx/runtime_impl.hpp>

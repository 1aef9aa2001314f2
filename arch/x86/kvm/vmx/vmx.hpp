// SPDX-License-Identifier: GPL-2.0
// The Intel VMX backend: shared declarations (Intel SDM vol. 3C, "Introduction
// to Virtual Machine Extensions" and "VMX Capability Reporting Facility").
#pragma once

#include <glue/backend_ops.h>
#include <kxx/types.hpp>

#include "vmx_glue.h"

namespace kvmpp::vmx {

inline constexpr uint32_t kMsrFeatureControl = 0x3a;
inline constexpr uint64_t kFeatureControlLocked = 1u << 0;
inline constexpr uint64_t kFeatureControlVmxOutsideSmx = 1u << 2;
inline constexpr uint32_t kMsrVmxBasic = 0x480;
inline constexpr uint32_t kMsrVmxCr0Fixed0 = 0x486;
inline constexpr uint32_t kMsrVmxCr0Fixed1 = 0x487;
inline constexpr uint32_t kMsrVmxCr4Fixed0 = 0x488;
inline constexpr uint32_t kMsrVmxCr4Fixed1 = 0x489;
inline constexpr uint64_t kCr4Vmxe = uint64_t(1) << 13;

// Per-CPU VMXON regions (vmx_enable.cpp).
int vmxon_regions_init(uint32_t revision_id);
void vmxon_regions_free();
int cpu_enable(unsigned int cpu);
void cpu_disable(unsigned int cpu);

}  // namespace kvmpp::vmx

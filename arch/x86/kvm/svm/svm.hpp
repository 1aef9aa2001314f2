// SPDX-License-Identifier: GPL-2.0
// The AMD SVM backend: shared declarations (AMD APM vol. 2, "Secure Virtual
// Machine").
#pragma once

#include <glue/backend_ops.h>

#include <kxx/types.hpp>
#include "svm_glue.h"

namespace kvmpp::svm {

inline constexpr uint32_t kMsrEfer = 0xc0000080;
inline constexpr uint64_t kEferSvme = uint64_t(1) << 12;
inline constexpr uint32_t kMsrVmCr = 0xc0010114;
inline constexpr uint64_t kVmCrSvmDis = uint64_t(1) << 4;
inline constexpr uint32_t kMsrVmHsavePa = 0xc0010117;

// Per-CPU enabling (svm_enable.cpp). host_areas_init allocates one host save
// area per possible CPU; cpu_enable/cpu_disable run on the CPU concerned.
int host_areas_init();
void host_areas_free();
int cpu_enable(unsigned int cpu);
void cpu_disable(unsigned int cpu);

}  // namespace kvmpp::svm

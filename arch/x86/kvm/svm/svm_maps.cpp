// SPDX-License-Identifier: GPL-2.0
// The I/O and MSR permission maps (APM vol. 2, "I/O Interception" and "MSR
// Intercepts"). Every port and every MSR is intercepted: the x86 layer
// decides what each access does. One copy serves every VMCB.
#include <glue/glue.h>
#include <kxx/errno.hpp>

#include "svm.hpp"

namespace kvmpp::svm {
namespace {
constexpr unsigned kIopmOrder = 2;   // 12 KiB used of 16 KiB
constexpr unsigned kMsrpmOrder = 1;  // 8 KiB
constinit void* g_iopm = nullptr;
constinit void* g_msrpm = nullptr;

void fill(void* p, unsigned order) {
  auto* b = static_cast<uint8_t*>(p);
  for (unsigned long i = 0; i < (KVMG_PAGE_SIZE << order); i++) b[i] = 0xff;
}
}  // namespace

int permission_maps_init() {
  g_iopm = kvmg_pages_alloc(kIopmOrder);
  g_msrpm = kvmg_pages_alloc(kMsrpmOrder);
  if (!g_iopm || !g_msrpm) {
    permission_maps_free();
    return -int(kxx::Errno::kNoMem);
  }
  fill(g_iopm, kIopmOrder);
  fill(g_msrpm, kMsrpmOrder);
  return 0;
}

void permission_maps_free() {
  kvmg_pages_free(g_iopm, kIopmOrder);
  kvmg_pages_free(g_msrpm, kMsrpmOrder);
  g_iopm = g_msrpm = nullptr;
}

uint64_t iopm_pa() { return kvmg_virt_to_phys(g_iopm); }
uint64_t msrpm_pa() { return kvmg_virt_to_phys(g_msrpm); }

}  // namespace kvmpp::svm

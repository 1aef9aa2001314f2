// SPDX-License-Identifier: GPL-2.0
// Model-specific platform registers a VM has nothing behind: power and
// performance control, AMD northbridge and bus-unit configuration, RAPL
// energy counters, last-branch records, and the legacy performance
// counters when there is no PMU. Guests written for real processors touch
// them unconditionally (Linux reads K8_INT_PENDING_MSG for the AMD E400
// erratum, for example), so, as upstream, they read as zero (or a fixed
// value) and writes are dropped.
#include "msr.hpp"

namespace kvmpp::x86 {
namespace {

// Read as 0; writes are refused unless listed in kIgnoresWrites too.
constexpr uint32_t kReadsZero[] = {
    0x2a,        // EBL_CR_POWERON
    0x199,       // PERF_CTL
    0x1db,       // LASTBRANCHFROMIP
    0x1dc,       // LASTBRANCHTOIP
    0x1dd,       // LASTINTFROMIP
    0x1de,       // LASTINTTOIP
    0x606,       // RAPL_POWER_UNIT
    0x611,       // PKG_ENERGY_STATUS
    0x619,       // DRAM_ENERGY_STATUS
    0x639,       // PP0_ENERGY_STATUS
    0x641,       // PP1_ENERGY_STATUS
    0xc0010055,  // K8_INT_PENDING_MSG (no C1E)
    0xc0010058,  // FAM10H_MMIO_CONF_BASE (no extended config space window)
    0xc0010112,  // K8_TSEG_ADDR
    0xc0010113,  // K8_TSEG_MASK
    0xc0011022,  // DC_CFG
    0xc0011023,  // TW_CFG
    0xc001102a,  // BU_CFG2
    0xc001102c,  // F15H_EX_CFG
};
constexpr uint32_t kIgnoresWrites[] = {
    0x79,        // UCODE_WRITE: no microcode update happens
    0xc0010020,  // PATCH_LOADER
    0xc0011022,  // DC_CFG
    0xc0011023,  // TW_CFG
    0xc001102a,  // BU_CFG2
    0xc001102c,  // F15H_EX_CFG
    0xc001001b,  // K7_CLK_CTL (a K7 workaround)
};
constexpr uint32_t kMmioConfBase = 0xc0010058, kClkCtl = 0xc001001b, kPerfStatus = 0x198;

// The legacy counters (AMD K7 and Intel P6) without a PMU: zero, and
// writes dropped.
bool legacy_counter(uint32_t index) {
  return (index >= 0xc0010000 && index <= 0xc0010007) ||  // K7 EVNTSEL0-3, PERFCTR0-3
         index == 0xc1 || index == 0xc2 ||                // P6 PERFCTR0-1
         index == 0x186 || index == 0x187;                // P6 EVNTSEL0-1
}

template <size_t N>
bool listed(const uint32_t (&list)[N], uint32_t index) {
  for (uint32_t m : list)
    if (m == index) return true;
  return false;
}

}  // namespace

bool is_platform_msr(uint32_t index) {
  return listed(kReadsZero, index) || listed(kIgnoresWrites, index) || legacy_counter(index) ||
         index == kPerfStatus;
}

kxx::Result<uint64_t> platform_msr_read(uint32_t index) {
  if (index == kPerfStatus) return uint64_t(1000) | (uint64_t(4) << 40);  // ratio 4, as upstream
  if (index == kClkCtl) return uint64_t(0x20000000);
  if (listed(kReadsZero, index) || legacy_counter(index)) return uint64_t(0);
  return kxx::Errno::kInval;
}

kxx::Status platform_msr_write(uint32_t index, uint64_t v) {
  if (listed(kIgnoresWrites, index) || legacy_counter(index)) return kxx::OkStatus();
  if (index == kMmioConfBase && v == 0) return kxx::OkStatus();
  return kxx::Errno::kInval;
}

}  // namespace kvmpp::x86

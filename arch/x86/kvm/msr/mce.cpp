// SPDX-License-Identifier: GPL-2.0
// Machine-check architecture for the guest (SDM vol. 3B "Machine-Check
// Architecture"; AMD APM vol. 2 "Machine Check Mechanism"; api.rst
// "KVM_X86_SETUP_MCE", "KVM_X86_SET_MCE"). No error comes from the
// hardware: user space reports one with KVM_X86_SET_MCE (QEMU does for a
// poisoned page), and the guest finds it in the bank, with an #MC if it is
// uncorrected.
#include <kvmpp/uaccess.hpp>

#include "../x86.hpp"
#include "msr.hpp"

namespace kvmpp::x86 {
namespace {

using namespace msr;
using arch::MceState;

constexpr uint64_t kMcgCtlP = 1ull << 8;    // MCG_CTL exists
constexpr uint64_t kMcgCmciP = 1ull << 10;  // CMCI (MCi_CTL2)
constexpr uint64_t kMcgSerP = 1ull << 24;   // software error recovery
constexpr uint64_t kMcgCapBankMask = 0xff, kMcgCapExtCount = 0xff0000;
constexpr uint64_t kMcgStatusMcip = 1ull << 2;
constexpr uint64_t kMciStatusVal = 1ull << 63, kMciStatusOver = 1ull << 62;
constexpr uint64_t kMciStatusUc = 1ull << 61, kMciStatusPcc = 1ull << 57;
constexpr uint64_t kMciStatusS = 1ull << 56, kMciStatusAr = 1ull << 55;
constexpr uint64_t kMciCtl2Valid = (1ull << 30) | 0x7fff;  // CMCI_EN, threshold
constexpr uint64_t kHwcrMcStatusWrEn = 1ull << 18;
constexpr uint64_t kCr4Mce = 1ull << 6;
constexpr uint8_t kMcVector = 18;

unsigned bank_count(const MceState& m) { return unsigned(m.mcg_cap & kMcgCapBankMask); }

kxx::Status fault() { return kxx::Errno::kInval; }

// The bank register @index names, or null if the vCPU has no such bank.
uint64_t* bank_reg(MceState& m, uint32_t index) {
  if (index >= kMc0Ctl && index < kMc0Ctl + 4 * bank_count(m)) return &m.banks[index - kMc0Ctl];
  return nullptr;
}
uint64_t* ctl2_reg(MceState& m, uint32_t index) {
  if (index >= kMc0Ctl2 && index < kMc0Ctl2 + bank_count(m)) return &m.ctl2[index - kMc0Ctl2];
  return nullptr;
}

// An uncorrected error that needs no action: recorded, and announced by
// CMCI when the bank enables it (there is no CMCI here: MCG_CMCI_P is not
// offered, so it is only recorded).
bool is_ucna(const kvm_x86_mce& e) {
  return !e.mcg_status && !(e.status & (kMciStatusPcc | kMciStatusS | kMciStatusAr)) &&
         (e.status & kMciStatusVal) && (e.status & kMciStatusUc);
}

}  // namespace

bool is_mce_msr(uint32_t index) {
  return index == kP5McAddr || index == kP5McType || index == kMcgCap || index == kMcgStatus ||
         index == kMcgCtl || (index >= kMc0Ctl && index < kMc0Ctl + 4 * MceState::kMaxBanks) ||
         (index >= kMc0Ctl2 && index < kMc0Ctl2 + MceState::kMaxBanks);
}

uint64_t mce_cap_supported() { return kMcgCtlP | kMcgSerP; }

kxx::Result<uint64_t> mce_read(Vcpu& vcpu, uint32_t index, bool host) {
  MceState& m = vcpu.arch().mce;
  switch (index) {
    case kP5McAddr:
    case kP5McType: return uint64_t(0);
    case kMcgCap: return m.mcg_cap;
    case kMcgStatus: return m.mcg_status;
    case kMcgCtl:
      if (!(m.mcg_cap & kMcgCtlP) && !host) return kxx::Errno::kInval;
      return m.mcg_ctl;
    default: break;
  }
  if (uint64_t* r = bank_reg(m, index)) return *r;
  if (uint64_t* r = ctl2_reg(m, index)) {
    if (!(m.mcg_cap & kMcgCmciP) && !host) return kxx::Errno::kInval;
    return *r;
  }
  return kxx::Errno::kInval;
}

kxx::Status mce_write(Vcpu& vcpu, uint32_t index, uint64_t v, bool host) {
  MceState& m = vcpu.arch().mce;
  switch (index) {
    case kMcgStatus: m.mcg_status = v; return kxx::OkStatus();
    case kMcgCtl:
      // All ones or zero; user space may clear it on a vCPU without MCG_CTL.
      if (!(m.mcg_cap & kMcgCtlP) && (v || !host)) return fault();
      if (v != 0 && v != ~0ull) return fault();
      m.mcg_ctl = v;
      return kxx::OkStatus();
    case kP5McAddr:
    case kP5McType:
    case kMcgCap: return fault();  // read-only
    default: break;
  }
  if (uint64_t* r = ctl2_reg(m, index)) {
    if (!(m.mcg_cap & kMcgCmciP) && (v || !host)) return fault();
    if (v & ~kMciCtl2Valid) return fault();
    *r = v;
    return kxx::OkStatus();
  }
  uint64_t* r = bank_reg(m, index);
  if (!r) return fault();
  unsigned reg = (index - kMc0Ctl) & 3;
  // MCi_CTL: zero or all ones, except that Linux clears bit 10 on AMD K8
  // (GART TLB erratum) and UnixWare clears bit 0; both are accepted.
  if (reg == 0 && v != 0 && (v | (1ull << 10) | 1) != ~0ull) return fault();
  // MCi_STATUS: the guest may only clear it, unless AMD's
  // HWCR.McStatusWrEn lets it write any value.
  if (reg == 1 && !host && v != 0 && !(vcpu.arch().msrs.hwcr & kHwcrMcStatusWrEn)) return fault();
  *r = v;
  return kxx::OkStatus();
}

kxx::Status setup_mce(Vcpu& vcpu, unsigned long uarg) {
  uint64_t cap = TRY(copy_from_user<uint64_t>(uarg));
  unsigned banks = unsigned(cap & kMcgCapBankMask);
  if (!banks || banks > MceState::kMaxBanks) return kxx::Errno::kInval;
  if (cap & ~(mce_cap_supported() | kMcgCapBankMask | kMcgCapExtCount)) return kxx::Errno::kInval;
  MceState& m = vcpu.arch().mce;
  m.mcg_cap = cap;
  if (cap & kMcgCtlP) m.mcg_ctl = ~0ull;
  for (unsigned i = 0; i < banks; i++) m.banks[4 * i] = ~0ull;  // every error reported
  return kxx::OkStatus();
}

kxx::Status set_mce(Vcpu& vcpu, unsigned long uarg) {
  auto e = TRY(copy_from_user<kvm_x86_mce>(uarg));
  MceState& m = vcpu.arch().mce;
  if (e.bank >= bank_count(m) || !(e.status & kMciStatusVal)) return kxx::Errno::kInval;
  uint64_t* bank = &m.banks[4 * e.bank];
  if (is_ucna(e)) {
    bank[1] = e.status;
    bank[2] = e.addr;
    bank[3] = e.misc;
    m.mcg_status = e.mcg_status;
    return kxx::OkStatus();
  }
  if (e.status & kMciStatusUc) {
    // Reporting of uncorrected errors is off globally or for this bank.
    if ((m.mcg_cap & kMcgCtlP) && m.mcg_ctl != ~0ull) return kxx::OkStatus();
    if (bank[0] != ~0ull) return kxx::OkStatus();
    // A second #MC while one is in progress, or one the guest has not
    // enabled (CR4.MCE clear), shuts the processor down.
    if ((m.mcg_status & kMcgStatusMcip) || !(vcpu.arch().regs.cr4 & kCr4Mce)) {
      vcpu.arch().triple_fault_pending = true;
      return kxx::OkStatus();
    }
    if (bank[1] & kMciStatusVal) e.status |= kMciStatusOver;
    bank[1] = e.status;
    bank[2] = e.addr;
    bank[3] = e.misc;
    m.mcg_status = e.mcg_status;
    m.mc_pending = true;
    return kxx::OkStatus();
  }
  // A corrected error overwrites only a corrected one; an uncorrected one
  // already there stays, marked as overflowed.
  if (!(bank[1] & kMciStatusVal) || !(bank[1] & kMciStatusUc)) {
    if (bank[1] & kMciStatusVal) e.status |= kMciStatusOver;
    bank[1] = e.status;
    bank[2] = e.addr;
    bank[3] = e.misc;
  } else {
    bank[1] |= kMciStatusOver;
  }
  return kxx::OkStatus();
}

void mce_prepare_entry(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  if (!st.mce.mc_pending || st.regs.event.valid) return;
  st.mce.mc_pending = false;
  queue_exception(st.regs, kMcVector);
}

}  // namespace kvmpp::x86

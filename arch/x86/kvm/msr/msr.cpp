// SPDX-License-Identifier: GPL-2.0
// The MSRs the x86 layer emulates, for RDMSR/WRMSR exits and KVM_GET/SET_MSRS,
// and the MSR ioctls of vCPUs and /dev/kvm (api.rst, "KVM_GET_MSRS",
// "KVM_SET_MSRS", "KVM_GET_MSR_INDEX_LIST"). Every other MSR faults, as
// upstream does without ignore_msrs (or exits to user space, msr/exit.cpp).
#include "msr.hpp"

#include <glue/glue.h>
#include <glue/x86.h>
#include <kvmpp/uaccess.hpp>
#include <kxx/scope_guard.hpp>

#include "../cpuid/cpuid.hpp"
#include "../irq/irqchip.hpp"
#include "../pv/pv.hpp"

namespace kvmpp::x86 {
namespace {

using namespace msr;

constexpr uint64_t kMtrrCapValue = 0x508;  // write-combining, fixed ranges, 8 variable ranges
constexpr uint64_t kMiscEnableDefault = (1ull << 11) | (1ull << 12);  // no BTS, no PEBS
constexpr uint64_t kMiscEnableMonitor = 1ull << 18;
constexpr uint64_t kUcodeRevDefault = 1ull << 32;
constexpr uint64_t kVmCrValue = (1ull << 3) | (1ull << 4);    // LOCK, SVMDIS: no SVM
constexpr uint64_t kHwcrValid = (1ull << 18) | (1ull << 24);  // McStatusWrEn, TscFreqSel
constexpr uint64_t kHwcrIgnored = (1ull << 3) | (1ull << 6) | (1ull << 8);
constexpr uint64_t kPlatformInfoCpuidFault = 1ull << 31;  // CPUID faulting supported
constexpr uint64_t kMiscFeaturesCpuidFault = 1ull << 0;   // CPUID faulting enabled
constexpr uint64_t kEferFfxsr = 1ull << 14;
constexpr uint64_t kEferValid = kEferSce | kEferLme | kEferLma | kEferNxe | kEferFfxsr;
constexpr uint64_t kApicBaseEnable = 1ull << 11, kApicBaseX2apic = 1ull << 10;
constexpr uint64_t kApicBaseReserved = 0x2ff;  // bits 7:0 and 9
constexpr unsigned kMaxIoMsrs = 256;           // KVM_GET/SET_MSRS batch limit

constexpr uint32_t kListed[] = {
    kTsc,        kTscAdjust,   kUcodeRev,   kSysenterCs,      kSysenterEsp,     kSysenterEip,
    kMiscEnable, kPat,         kMtrrFix64k, kMtrrFix16k80000, kMtrrFix16kA0000, kMtrrDefType,
    kStar,       kLstar,       kCstar,      kSfmask,          kKernelGsBase,    kTscAux,
    kHwcr,       kTscDeadline, kMcgStatus,  kMcgCtl};
// Platform description and power control (KVM_CAP_MSR_PLATFORM_INFO).
constexpr uint32_t kListedPlatform[] = {kPlatformInfo, kMiscFeaturesEnables, kPowerCtl};
// The kvmclock MSRs (pv/msr.cpp).
constexpr uint32_t kPvListed[] = {MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK_NEW,
                                  MSR_KVM_SYSTEM_TIME_NEW};
constexpr unsigned kVariableMtrrs = kMtrrPhysMask7 - kMtrrPhysBase0 + 1;
constexpr unsigned kFixed4kMtrrs = kMtrrFix4kF8000 - kMtrrFix4kC0000 + 1;
constexpr unsigned kListSize =
    sizeof(kListed) / sizeof(kListed[0]) + sizeof(kListedPlatform) / sizeof(kListedPlatform[0]) +
    kVariableMtrrs + kFixed4kMtrrs + sizeof(kPvListed) / sizeof(kPvListed[0]);

struct MsrList {
  uint32_t v[kListSize];
};

constexpr MsrList make_list() {
  MsrList l{};
  unsigned n = 0;
  for (uint32_t m : kListed) l.v[n++] = m;
  for (uint32_t m : kListedPlatform) l.v[n++] = m;
  for (unsigned i = 0; i < kVariableMtrrs; i++) l.v[n++] = kMtrrPhysBase0 + i;
  for (unsigned i = 0; i < kFixed4kMtrrs; i++) l.v[n++] = kMtrrFix4kC0000 + i;
  for (uint32_t m : kPvListed) l.v[n++] = m;
  return l;
}
constexpr MsrList kIndexList = make_list();
// Feature MSRs (KVM_GET_MSR_FEATURE_INDEX_LIST): only the microcode revision.
constexpr uint32_t kFeatureList[] = {kUcodeRev};

kxx::Status fault() { return kxx::Errno::kInval; }

uint64_t* mtrr_slot(arch::MsrState& m, uint32_t index) {
  if (index == kMtrrDefType) return &m.mtrr_def_type;
  if (index >= kMtrrPhysBase0 && index <= kMtrrPhysMask7)
    return &m.mtrr_var[index - kMtrrPhysBase0];
  if (index == kMtrrFix64k) return &m.mtrr_fixed[0];
  if (index == kMtrrFix16k80000) return &m.mtrr_fixed[1];
  if (index == kMtrrFix16kA0000) return &m.mtrr_fixed[2];
  if (index >= kMtrrFix4kC0000 && index <= kMtrrFix4kF8000)
    return &m.mtrr_fixed[3 + index - kMtrrFix4kC0000];
  return nullptr;
}

// UC, WC, WT, WP, WB (2, 3 and 7 are not MTRR types).
bool mtrr_type_valid(uint64_t t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }

uint64_t phys_reserved(unsigned maxphyaddr) {
  return maxphyaddr >= 64 ? 0 : ~((uint64_t(1) << maxphyaddr) - 1);
}

unsigned va_bits(const x86_state& s) { return (s.cr4 & kCr4La57) ? 57 : 48; }

// TSC_AUX exists with RDTSCP or RDPID.
bool tsc_aux_exists(Vcpu& vcpu) {
  return guest_has(vcpu, cpuid_bit::kRdtscp) || guest_has(vcpu, cpuid_bit::kRdpid);
}

kxx::Status set_efer(Vcpu& vcpu, uint64_t v, bool host) {
  x86_state& s = vcpu.arch().regs;
  if (v & ~kEferValid) return fault();
  if (!host) {
    // Each bit needs its CPUID feature; LME cannot change with paging on.
    if ((v & (kEferLme | kEferLma)) && !guest_has(vcpu, cpuid_bit::kLm)) return fault();
    if ((v & kEferNxe) && !guest_has(vcpu, cpuid_bit::kNx)) return fault();
    if ((v & kEferFfxsr) && !guest_has(vcpu, cpuid_bit::kFxsrOpt)) return fault();
    if ((s.cr0 & kCr0Pg) && ((v ^ s.efer) & kEferLme)) return fault();
  }
  // LMA is the processor's (paging turns it on): WRMSR cannot change it.
  s.efer = (v & ~kEferLma) | (s.efer & kEferLma);
  return kxx::OkStatus();
}

// IA32_APIC_BASE (SDM vol. 3A, "Local APIC Status and Location"): no
// reserved bits, no x2APIC mode without x2APIC, EXTD only with EN, and the
// guest may not leave x2APIC mode for xAPIC nor enter it from disabled.
kxx::Status set_apic_base(Vcpu& vcpu, uint64_t v, bool host) {
  uint64_t reserved = phys_reserved(cpuid_maxphyaddr(guest_cpuid(vcpu))) | kApicBaseReserved;
  if (!guest_has(vcpu, cpuid_bit::kX2apic)) reserved |= kApicBaseX2apic;
  if (v & reserved) return fault();
  if ((v & kApicBaseX2apic) && !(v & kApicBaseEnable)) return fault();
  uint64_t old = vcpu.arch().apic_base;
  uint64_t mode = kApicBaseX2apic | kApicBaseEnable;
  if (!host && (old & mode) == mode && (v & mode) == kApicBaseEnable) return fault();
  if (!host && !(old & kApicBaseEnable) && (v & mode) == mode) return fault();
  if (!apic_set_base(vcpu, v, host).ok()) return fault();
  vcpu.arch().apic_base = v;
  return kxx::OkStatus();
}

// MSRs that hold a linear address and must be canonical.
uint64_t* address_msr(x86_state& s, uint32_t index) {
  switch (index) {
    case kSysenterEsp: return &s.sysenter_esp;
    case kSysenterEip: return &s.sysenter_eip;
    case kLstar: return &s.lstar;
    case kCstar: return &s.cstar;
    case kKernelGsBase: return &s.kernel_gs_base;
    case kFsBase: return &s.seg[X86_FS].base;
    case kGsBase: return &s.seg[X86_GS].base;
    default: return nullptr;
  }
}

// The paravirtual MSRs pv/msr.cpp implements.
bool is_pv_msr(uint32_t index) {
  for (uint32_t m : kPvListed)
    if (m == index) return true;
  return false;
}

kxx::Result<uint64_t> read(Vcpu& vcpu, uint32_t index, bool host) {
  x86_state& s = vcpu.arch().regs;
  arch::MsrState& m = vcpu.arch().msrs;
  if (uint64_t* mtrr = mtrr_slot(m, index)) return *mtrr;
  if (uint64_t* addr = address_msr(s, index)) return *addr;
  switch (index) {
    case kTsc: return guest_tsc(vcpu);
    case kTscAdjust:
      if (!host && !guest_has(vcpu, cpuid_bit::kTscAdjust)) return kxx::Errno::kInval;
      return m.tsc_adjust;
    case kPlatformId: return uint64_t(0);
    case kTscDeadline: return apic_read_tsc_deadline(vcpu);
    case kApicBase: return vcpu.arch().apic_base;
    case kUcodeRev: return m.ucode_rev;
    case kMtrrCap: return kMtrrCapValue;
    case kSysenterCs: return s.sysenter_cs;
    case kMiscEnable: return m.misc_enable;
    case kPat: return s.pat;
    case kEfer: return s.efer;
    case kStar: return s.star;
    case kSfmask: return s.sfmask;
    case kTscAux:
      if (!host && !tsc_aux_exists(vcpu)) return kxx::Errno::kInval;
      return m.tsc_aux;
    case kSyscfg:
    case kNbCfg: return uint64_t(0);
    case kHwcr: return m.hwcr;
    case kVmCr: return kVmCrValue;
    case kPlatformInfo:
      // KVM_CAP_MSR_PLATFORM_INFO decides whether the guest may read it.
      if (!host && !vcpu.vm().arch()->msr_policy.platform_info_readable.load_relaxed())
        return kxx::Errno::kInval;
      return m.platform_info;
    case kMiscFeaturesEnables: return m.misc_features_enables;
    case kPowerCtl: return m.power_ctl;
    default:
      if (index >= apic::kX2apicMsrBase && index <= apic::kX2apicMsrLast)
        return apic_read_msr(vcpu, index);
      if (is_pv_msr(index)) return pv_msr_read(vcpu, index);
      if (is_mce_msr(index)) return mce_read(vcpu, index, host);
      if (is_platform_msr(index)) return platform_msr_read(index);
      return kUnknownMsr;
  }
}

kxx::Status write(Vcpu& vcpu, uint32_t index, uint64_t v, bool host) {
  x86_state& s = vcpu.arch().regs;
  arch::MsrState& m = vcpu.arch().msrs;
  if (uint64_t* mtrr = mtrr_slot(m, index)) {
    if (!mtrr_valid(index, v, cpuid_maxphyaddr(guest_cpuid(vcpu)))) return fault();
    *mtrr = v;
    return kxx::OkStatus();
  }
  if (uint64_t* addr = address_msr(s, index)) {
    if (!canonical(v, va_bits(s))) return fault();
    *addr = v;
    return kxx::OkStatus();
  }
  switch (index) {
    case kTsc: return write_tsc(vcpu, v, host);
    case kTscAdjust:
      if (!host && !guest_has(vcpu, cpuid_bit::kTscAdjust)) return fault();
      return write_tsc_adjust(vcpu, v, host);
    case kApicBase: return set_apic_base(vcpu, v, host);
    case kTscDeadline: apic_write_tsc_deadline(vcpu, v); break;
    case kUcodeRev:
      // The guest's side of the microcode-update protocol changes nothing.
      if (host) m.ucode_rev = v;
      break;
    case kSysenterCs: s.sysenter_cs = v; break;
    case kMiscEnable:
      // MONITOR/MWAIT are not offered: the guest cannot enable them here.
      if (!host && ((m.misc_enable ^ v) & kMiscEnableMonitor)) return fault();
      m.misc_enable = v;
      break;
    case kPat:
      if (!pat_valid(v)) return fault();
      s.pat = v;
      break;
    case kEfer: return set_efer(vcpu, v, host);
    case kStar: s.star = v; break;
    case kSfmask:
      if (v >> 32) return fault();  // only RFLAGS bits
      s.sfmask = v;
      break;
    case kTscAux:
      if (!host && !tsc_aux_exists(vcpu)) return fault();
      // Bits 63:32 are reserved on Intel; AMD ignores them.
      if ((v >> 32) && !guest_cpuid(vcpu).vendor_amd()) return fault();
      m.tsc_aux = uint32_t(v);
      break;
    case kNbCfg: break;  // nothing to configure
    case kHwcr:
      v &= ~kHwcrIgnored;
      if (v & ~kHwcrValid) return fault();
      m.hwcr = v;
      break;
    case kPlatformInfo:
      // User space describes the platform; it may not withdraw CPUID
      // faulting while the guest has it enabled.
      if (!host) return fault();
      if (!(v & kPlatformInfoCpuidFault) && (m.misc_features_enables & kMiscFeaturesCpuidFault))
        return fault();
      m.platform_info = v;
      break;
    case kMiscFeaturesEnables:
      if (v & ~kMiscFeaturesCpuidFault) return fault();
      if ((v & kMiscFeaturesCpuidFault) && !(m.platform_info & kPlatformInfoCpuidFault))
        return fault();
      m.misc_features_enables = v;
      break;
    case kPowerCtl: m.power_ctl = v; break;  // stored only: no power management here
    case kPlatformId:
    case kMtrrCap:
    case kSyscfg:
    case kVmCr: return fault();  // read-only
    default:
      if (index >= apic::kX2apicMsrBase && index <= apic::kX2apicMsrLast)
        return apic_write_msr(vcpu, index, v).ok() ? kxx::OkStatus() : fault();
      if (is_pv_msr(index)) return pv_msr_write(vcpu, index, v);
      if (is_mce_msr(index)) return mce_write(vcpu, index, v, host);
      if (is_platform_msr(index)) return platform_msr_write(index, v);
      return kUnknownMsr;
  }
  return kxx::OkStatus();
}

// Copy in a kvm_msrs batch, apply @access to each entry until one fails,
// copy the entries back if @writeback; the number processed.
template <typename F>
kxx::Result<long> msr_io(unsigned long uarg, bool writeback, F access) {
  auto head = TRY(copy_from_user<kvm_msrs>(uarg));
  if (head.nmsrs >= kMaxIoMsrs) return kxx::Errno::kTooBig;
  if (!head.nmsrs) return 0l;
  unsigned long size = head.nmsrs * sizeof(kvm_msr_entry);
  auto* e = static_cast<kvm_msr_entry*>(kvmg_alloc(size, 0));
  if (!e) return kxx::Errno::kNoMem;
  auto free_e = kxx::defer([e] { kvmg_free(e); });
  if (kvmg_copy_from_user(e, uarg + sizeof(head), size)) return kxx::Errno::kFault;
  unsigned i = 0;
  while (i < head.nmsrs && access(e[i]).ok()) i++;
  if (writeback && kvmg_copy_to_user(uarg + sizeof(head), e, size)) return kxx::Errno::kFault;
  return long(i);
}

kxx::Status copy_list(unsigned long uarg, const uint32_t* list, unsigned n) {
  auto head = TRY(copy_from_user<kvm_msr_list>(uarg));
  unsigned room = head.nmsrs;
  head.nmsrs = n;
  TRY_STATUS(copy_to_user(uarg, head));  // the size needed, also on -E2BIG
  if (room < n) return kxx::Errno::kTooBig;
  if (kvmg_copy_to_user(uarg + sizeof(head), list, n * sizeof(uint32_t))) return kxx::Errno::kFault;
  return kxx::OkStatus();
}

}  // namespace

bool pat_valid(uint64_t pat) {
  for (unsigned i = 0; i < 8; i++) {
    uint64_t t = (pat >> (i * 8)) & 0xff;
    if (t > 7 || t == 2 || t == 3) return false;
  }
  return true;
}

bool mtrr_valid(uint32_t index, uint64_t v, unsigned maxphyaddr) {
  if (index == kMtrrDefType) return !(v & ~uint64_t(0xcff)) && mtrr_type_valid(v & 0xff);
  if (index >= kMtrrPhysBase0 && index <= kMtrrPhysMask7) {
    bool mask = (index - kMtrrPhysBase0) & 1;
    uint64_t reserved = phys_reserved(maxphyaddr) | (mask ? 0x7ff : 0xf00);
    return !(v & reserved) && (mask || mtrr_type_valid(v & 0xff));
  }
  // Fixed-range MTRRs: eight type bytes.
  for (unsigned i = 0; i < 8; i++)
    if (!mtrr_type_valid((v >> (i * 8)) & 0xff)) return false;
  return true;
}

bool canonical(uint64_t v, unsigned bits) {
  unsigned shift = 64 - bits;
  return uint64_t(int64_t(v << shift) >> shift) == v;
}

unsigned msr_index_list(const uint32_t** list) {
  *list = kIndexList.v;
  return kListSize;
}

kxx::Status get_msr(Vcpu& vcpu, uint32_t index, uint64_t* data, bool host) {
  *data = TRY(read(vcpu, index, host));
  return kxx::OkStatus();
}

kxx::Status set_msr(Vcpu& vcpu, uint32_t index, uint64_t data, bool host) {
  return write(vcpu, index, data, host);
}

void msr_init(Vcpu& vcpu) {
  arch::MsrState& m = vcpu.arch().msrs;
  m = {};
  m.misc_enable = kMiscEnableDefault;
  m.ucode_rev = kUcodeRevDefault;
  m.platform_info = kPlatformInfoCpuidFault;
  tsc_init(vcpu);
}

bool cpuid_faulting(Vcpu& vcpu) {
  return vcpu.arch().msrs.misc_features_enables & kMiscFeaturesCpuidFault;
}

kxx::Result<long> get_msrs(Vcpu& vcpu, unsigned long uarg) {
  return msr_io(uarg, true,
                [&](kvm_msr_entry& e) { return get_msr(vcpu, e.index, &e.data, true); });
}

kxx::Result<long> set_msrs(Vcpu& vcpu, unsigned long uarg) {
  return msr_io(uarg, false,
                [&](kvm_msr_entry& e) { return set_msr(vcpu, e.index, e.data, true); });
}

kxx::Status get_msr_index_list(unsigned long uarg) {
  return copy_list(uarg, kIndexList.v, kListSize);
}

kxx::Status get_msr_feature_index_list(unsigned long uarg) {
  return copy_list(uarg, kFeatureList, sizeof(kFeatureList) / sizeof(kFeatureList[0]));
}

kxx::Result<long> get_feature_msrs(unsigned long uarg) {
  return msr_io(uarg, true, [](kvm_msr_entry& e) -> kxx::Status {
    // The host's microcode revision, as upstream reports it.
    if (e.index != kUcodeRev || kvmg_rdmsr_safe(e.index, &e.data)) return kxx::Errno::kInval;
    return kxx::OkStatus();
  });
}

bool efer_reserved_clear(uint64_t efer) { return !(efer & ~kEferValid); }

kxx::Status write_apic_base(Vcpu& vcpu, uint64_t v, bool host) {
  return set_apic_base(vcpu, v, host);
}

}  // namespace kvmpp::x86

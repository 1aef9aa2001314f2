// SPDX-License-Identifier: GPL-2.0
// Model-specific registers: the ones emulated for guests (RDMSR/WRMSR and
// KVM_GET/SET_MSRS), the lists /dev/kvm reports, and the guest TSC.
#pragma once

#include "../x86.hpp"

namespace kvmpp::x86 {

// MSR numbers (SDM vol. 4; AMD APM vol. 2, "MSR Cross-Reference").
namespace msr {
inline constexpr uint32_t kTsc = 0x10, kPlatformId = 0x17, kApicBase = 0x1b, kTscAdjust = 0x3b;
inline constexpr uint32_t kUcodeRev = 0x8b, kPlatformInfo = 0xce, kMtrrCap = 0xfe;
inline constexpr uint32_t kMiscFeaturesEnables = 0x140, kPowerCtl = 0x1fc;
inline constexpr uint32_t kSysenterCs = 0x174, kSysenterEsp = 0x175, kSysenterEip = 0x176;
inline constexpr uint32_t kMiscEnable = 0x1a0, kPat = 0x277, kTscDeadline = 0x6e0;
inline constexpr uint32_t kMtrrPhysBase0 = 0x200, kMtrrPhysMask7 = 0x20f;
inline constexpr uint32_t kMtrrFix64k = 0x250, kMtrrFix16k80000 = 0x258, kMtrrFix16kA0000 = 0x259;
inline constexpr uint32_t kMtrrFix4kC0000 = 0x268, kMtrrFix4kF8000 = 0x26f, kMtrrDefType = 0x2ff;
inline constexpr uint32_t kEfer = 0xc0000080, kStar = 0xc0000081, kLstar = 0xc0000082;
inline constexpr uint32_t kCstar = 0xc0000083, kSfmask = 0xc0000084;
inline constexpr uint32_t kFsBase = 0xc0000100, kGsBase = 0xc0000101, kKernelGsBase = 0xc0000102;
inline constexpr uint32_t kTscAux = 0xc0000103;
inline constexpr uint32_t kSyscfg = 0xc0010010, kHwcr = 0xc0010015, kNbCfg = 0xc001001f;
inline constexpr uint32_t kVmCr = 0xc0010114;
inline constexpr uint32_t kP5McAddr = 0x0, kP5McType = 0x1;
inline constexpr uint32_t kMcgCap = 0x179, kMcgStatus = 0x17a, kMcgCtl = 0x17b;
inline constexpr uint32_t kMc0Ctl2 = 0x280, kMc0Ctl = 0x400;
}  // namespace msr

// An MSR access the guest may not make: RDMSR/WRMSR raise #GP(0) (or exit
// to user space, msr/exit.cpp), KVM_GET/SET_MSRS stop there. The error
// is kUnknownMsr for an MSR this layer does not emulate at all, -EINVAL for
// an access a known MSR refuses. @host: the access comes from user space
// (KVM_GET/SET_MSRS), which may set what the guest cannot, as upstream's
// host-initiated accesses.
inline constexpr kxx::Errno kUnknownMsr = kxx::Errno::kOpNotSupp;
kxx::Status get_msr(Vcpu& vcpu, uint32_t index, uint64_t* data, bool host);
kxx::Status set_msr(Vcpu& vcpu, uint32_t index, uint64_t data, bool host);

// Value checks (SDM vol. 3A, "Memory Cache Control": MTRR and PAT types).
bool pat_valid(uint64_t pat);
bool mtrr_valid(uint32_t index, uint64_t value, unsigned maxphyaddr);
// @v sign-extends bit @va_bits - 1 (a canonical linear address).
bool canonical(uint64_t v, unsigned va_bits);

// The MSRs KVM_GET_MSR_INDEX_LIST reports: all of them can be read and
// written back with KVM_GET/SET_MSRS.
unsigned msr_index_list(const uint32_t** list);

// For KVM_SET_SREGS: EFER without undefined bits, and IA32_APIC_BASE with
// the WRMSR rules (host-initiated).
bool efer_reserved_clear(uint64_t efer);
kxx::Status write_apic_base(Vcpu& vcpu, uint64_t v, bool host);

// Power-on values and the initial TSC of a new vCPU.
void msr_init(Vcpu& vcpu);

// CPUID faulting (MSR_MISC_FEATURES_ENABLES bit 0): CPUID outside CPL 0
// raises #GP(0).
bool cpuid_faulting(Vcpu& vcpu);

// Platform registers with nothing behind them (msr/platform.cpp).
bool is_platform_msr(uint32_t index);
kxx::Result<uint64_t> platform_msr_read(uint32_t index);
kxx::Status platform_msr_write(uint32_t index, uint64_t v);

// Machine checks (msr/mce.cpp): the MCG and bank MSRs, the MCG_CAP bits
// offered (KVM_X86_GET_MCE_CAP_SUPPORTED), KVM_X86_SETUP_MCE and
// KVM_X86_SET_MCE, and the #MC an uncorrected error left waiting.
bool is_mce_msr(uint32_t index);
kxx::Result<uint64_t> mce_read(Vcpu& vcpu, uint32_t index, bool host);
kxx::Status mce_write(Vcpu& vcpu, uint32_t index, uint64_t v, bool host);
uint64_t mce_cap_supported();
kxx::Status setup_mce(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_mce(Vcpu& vcpu, unsigned long uarg);
void mce_prepare_entry(Vcpu& vcpu);

// ioctls: vCPU KVM_GET/SET_MSRS return the number of MSRs processed.
kxx::Result<long> get_msrs(Vcpu& vcpu, unsigned long uarg);
kxx::Result<long> set_msrs(Vcpu& vcpu, unsigned long uarg);
// /dev/kvm: KVM_GET_MSR_INDEX_LIST, KVM_GET_MSR_FEATURE_INDEX_LIST, KVM_GET_MSRS.
kxx::Status get_msr_index_list(unsigned long uarg);
kxx::Status get_msr_feature_index_list(unsigned long uarg);
kxx::Result<long> get_feature_msrs(unsigned long uarg);

// The guest TSC is the host's plus the vCPU's offset; there is no TSC
// scaling (msr/tsc.cpp).
uint64_t guest_tsc(Vcpu& vcpu);
// At vCPU creation: TSC 0, or the same TSC as the VM's other vCPUs.
void tsc_init(Vcpu& vcpu);
kxx::Status write_tsc(Vcpu& vcpu, uint64_t value, bool host);
kxx::Status write_tsc_adjust(Vcpu& vcpu, uint64_t value, bool host);
// KVM_VCPU_TSC_OFFSET: set the offset itself (IA32_TSC_ADJUST unchanged).
void set_tsc_offset(Vcpu& vcpu, uint64_t offset);
// KVM_GET_TSC_KHZ / KVM_SET_TSC_KHZ (vCPU and VM ioctls).
long get_tsc_khz();
kxx::Status set_tsc_khz(unsigned long khz);
kxx::Status set_vm_tsc_khz(Vm& vm, unsigned long khz);

// Guest RDMSR/WRMSR of an instruction @len bytes long, at CPL 0
// (msr/exit.cpp): the filter, the in-kernel MSRs, and the exits to user
// space of KVM_CAP_X86_USER_SPACE_MSR, completed by complete_msr on the next
// KVM_RUN.
kxx::Result<Next> guest_msr_access(Vcpu& vcpu, bool write, unsigned len);
void complete_msr(Vcpu& vcpu);
kxx::Status enable_user_space_msr(Vm& vm, uint64_t mask);

}  // namespace kvmpp::x86

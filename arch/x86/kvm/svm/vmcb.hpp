// SPDX-License-Identifier: GPL-2.0
// The VMCB layout (AMD APM vol. 2, appendix "Layout of VMCB"). Offsets are
// checked by static_assert; field names follow the APM.
#pragma once

#include <kxx/types.hpp>

namespace kvmpp::svm {

struct VmcbSegment {
  uint16_t selector;
  uint16_t attrib;  // packed: type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1
  uint32_t limit;
  uint64_t base;
};

struct VmcbControl {
  uint32_t intercept_cr;          // 0x000: reads 15:0, writes 31:16
  uint32_t intercept_dr;          // 0x004
  uint32_t intercept_exceptions;  // 0x008
  uint32_t intercept_misc1;       // 0x00c
  uint32_t intercept_misc2;       // 0x010
  uint32_t intercept_misc3;       // 0x014
  uint8_t reserved1[0x3c - 0x18];
  uint16_t pause_filter_threshold;  // 0x03c
  uint16_t pause_filter_count;      // 0x03e
  uint64_t iopm_base_pa;            // 0x040
  uint64_t msrpm_base_pa;           // 0x048
  uint64_t tsc_offset;              // 0x050
  uint32_t asid;                    // 0x058
  uint8_t tlb_control;              // 0x05c
  uint8_t reserved2[3];
  uint64_t int_ctl;         // 0x060: V_TPR, V_IRQ, ...
  uint64_t int_state;       // 0x068: bit 0 interrupt shadow
  uint64_t exit_code;       // 0x070
  uint64_t exit_info_1;     // 0x078
  uint64_t exit_info_2;     // 0x080
  uint64_t exit_int_info;   // 0x088
  uint64_t nested_ctl;      // 0x090: bit 0 NP_ENABLE
  uint64_t avic_vapic_bar;  // 0x098
  uint64_t ghcb_gpa;        // 0x0a0
  uint64_t event_inj;       // 0x0a8
  uint64_t nested_cr3;      // 0x0b0
  uint64_t virt_ext;        // 0x0b8: LBR virtualization, virtual VMSAVE/VMLOAD
  uint32_t clean;           // 0x0c0
  uint32_t reserved3;
  uint64_t next_rip;       // 0x0c8
  uint8_t insn_len;        // 0x0d0
  uint8_t insn_bytes[15];  // 0x0d1
  uint8_t reserved4[0x400 - 0xe0];
};

struct VmcbSave {
  VmcbSegment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;  // 0x400-0x49f
  uint8_t reserved1[0x4cb - 0x4a0];
  uint8_t cpl;  // 0x4cb
  uint32_t reserved2;
  uint64_t efer;  // 0x4d0
  uint8_t reserved3[0x548 - 0x4d8];
  uint64_t cr4;     // 0x548
  uint64_t cr3;     // 0x550
  uint64_t cr0;     // 0x558
  uint64_t dr7;     // 0x560
  uint64_t dr6;     // 0x568
  uint64_t rflags;  // 0x570
  uint64_t rip;     // 0x578
  uint8_t reserved4[0x5d8 - 0x580];
  uint64_t rsp;  // 0x5d8
  uint8_t reserved5[0x5f8 - 0x5e0];
  uint64_t rax;             // 0x5f8
  uint64_t star;            // 0x600
  uint64_t lstar;           // 0x608
  uint64_t cstar;           // 0x610
  uint64_t sfmask;          // 0x618
  uint64_t kernel_gs_base;  // 0x620
  uint64_t sysenter_cs;     // 0x628
  uint64_t sysenter_esp;    // 0x630
  uint64_t sysenter_eip;    // 0x638
  uint64_t cr2;             // 0x640
  uint8_t reserved6[0x668 - 0x648];
  uint64_t g_pat;   // 0x668
  uint64_t dbgctl;  // 0x670
};

struct Vmcb {
  VmcbControl control;
  VmcbSave save;
};

static_assert(__builtin_offsetof(Vmcb, control.iopm_base_pa) == 0x040);
static_assert(__builtin_offsetof(Vmcb, control.asid) == 0x058);
static_assert(__builtin_offsetof(Vmcb, control.exit_code) == 0x070);
static_assert(__builtin_offsetof(Vmcb, control.nested_cr3) == 0x0b0);
static_assert(__builtin_offsetof(Vmcb, control.next_rip) == 0x0c8);
static_assert(__builtin_offsetof(Vmcb, save.es) == 0x400);
static_assert(__builtin_offsetof(Vmcb, save.tr) == 0x490);
static_assert(__builtin_offsetof(Vmcb, save.cpl) == 0x4cb);
static_assert(__builtin_offsetof(Vmcb, save.efer) == 0x4d0);
static_assert(__builtin_offsetof(Vmcb, save.cr4) == 0x548);
static_assert(__builtin_offsetof(Vmcb, save.rip) == 0x578);
static_assert(__builtin_offsetof(Vmcb, save.rsp) == 0x5d8);
static_assert(__builtin_offsetof(Vmcb, save.rax) == 0x5f8);
static_assert(__builtin_offsetof(Vmcb, save.cr2) == 0x640);
static_assert(__builtin_offsetof(Vmcb, save.g_pat) == 0x668);
static_assert(sizeof(Vmcb) <= 4096);

// Intercept bits (APM "VMCB Layout, Control Area").
namespace misc1 {
inline constexpr uint32_t kIntr = 1u << 0, kNmi = 1u << 1, kSmi = 1u << 2, kInit = 1u << 3;
inline constexpr uint32_t kVintr = 1u << 4, kIret = 1u << 20, kIntn = 1u << 21;
inline constexpr uint32_t kRdpmc = 1u << 15;
inline constexpr uint32_t kCpuid = 1u << 18, kInvd = 1u << 22, kHlt = 1u << 24;
inline constexpr uint32_t kInvlpga = 1u << 26, kIoio = 1u << 27, kMsr = 1u << 28;
inline constexpr uint32_t kTaskSwitch = 1u << 29, kShutdown = 1u << 31;
}  // namespace misc1
namespace misc2 {
inline constexpr uint32_t kVmrun = 1u << 0, kVmmcall = 1u << 1, kVmload = 1u << 2;
inline constexpr uint32_t kVmsave = 1u << 3, kStgi = 1u << 4, kClgi = 1u << 5;
inline constexpr uint32_t kSkinit = 1u << 6, kRdtscp = 1u << 7, kIcebp = 1u << 8;
inline constexpr uint32_t kWbinvd = 1u << 9, kMonitor = 1u << 10, kMwait = 1u << 11;
inline constexpr uint32_t kMwaitCond = 1u << 12, kXsetbv = 1u << 13, kRdpru = 1u << 14;
}  // namespace misc2

// int_ctl (APM "VMCB Layout, Control Area"). V_INTR_MASKING: the guest's
// RFLAGS.IF masks only virtual interrupts; the host's IF at VMRUN decides
// physical ones ("Interrupt Masking in EFLAGS").
namespace intctl {
inline constexpr uint64_t kVTpr = 0xf, kVIrq = uint64_t(1) << 8;
inline constexpr uint64_t kVIntrPrio = uint64_t(0xf) << 16, kVIgnTpr = uint64_t(1) << 20;
inline constexpr uint64_t kVIntrMasking = uint64_t(1) << 24;
}  // namespace intctl

// Exit codes (APM "SVM Intercept Exit Codes").
namespace exit_code {
inline constexpr uint64_t kExceptionBase = 0x40;  // + vector
inline constexpr uint64_t kIntr = 0x60, kNmi = 0x61, kSmi = 0x62, kInit = 0x63, kVintr = 0x64;
inline constexpr uint64_t kRdpmc = 0x6f, kCpuid = 0x72, kIret = 0x74, kHlt = 0x78, kIoio = 0x7b;
inline constexpr uint64_t kMsr = 0x7c;
inline constexpr uint64_t kRdtscp = 0x87;
inline constexpr uint64_t kDbVector = 1, kBpVector = 3, kUdVector = 6, kAcVector = 17;
inline constexpr uint64_t kMcVector = 18;
inline constexpr uint64_t kSwint = 0x75;
inline constexpr uint64_t kShutdown = 0x7f, kXsetbv = 0x8d, kNpf = 0x400;
inline constexpr uint64_t kDrRead0 = 0x20, kDrWrite0 = 0x30, kDrLast = 0x3f;
inline constexpr uint64_t kInvd = 0x76, kInvlpga = 0x7a, kTaskSwitch = 0x7d;
inline constexpr uint64_t kVmrun = 0x80, kVmmcall = 0x81, kVmload = 0x82, kVmsave = 0x83;
inline constexpr uint64_t kStgi = 0x84, kClgi = 0x85, kSkinit = 0x86, kWbinvd = 0x89;
inline constexpr uint64_t kMonitor = 0x8a, kMwait = 0x8b, kMwaitCond = 0x8c, kRdpru = 0x8e;
inline constexpr uint32_t kInvalid = ~uint32_t(0);  // VMEXIT_INVALID (-1)
}  // namespace exit_code

}  // namespace kvmpp::svm

// SPDX-License-Identifier: GPL-2.0
// FPU and extended state ioctls: KVM_GET/SET_FPU, KVM_GET/SET_XSAVE,
// KVM_GET_XSAVE2 and KVM_GET/SET_XCRS. The state itself lives in the
// kernel's guest FPU buffer (glue); user space sees the XSAVE layout, whose
// first 512 bytes are the FXSAVE image (SDM vol. 1, "FXSAVE").
#include <glue/glue.h>
#include <glue/x86.h>
#include <kvmpp/uaccess.hpp>

#include "../cpuid/cpuid.hpp"
#include "../x86.hpp"
#include "state.hpp"

namespace kvmpp::x86 {
namespace {

constexpr unsigned kXsaveSize = sizeof(kvm_xsave);
constexpr uint64_t kXfeatureFp = 1, kXfeatureSse = 2;
constexpr unsigned kXstateBvOffset = 512;  // the XSAVE header's first field

// The FXSAVE image at the start of the XSAVE area.
struct Fxsave {
  uint16_t fcw, fsw;
  uint8_t ftw, reserved;
  uint16_t fop;
  uint64_t rip, rdp;
  uint32_t mxcsr, mxcsr_mask;
  uint8_t st[8][16];
  uint8_t xmm[16][16];
  uint8_t reserved2[96];
};
static_assert(sizeof(Fxsave) == 512);

// A buffer for the XSAVE image, freed on scope exit.
class XsaveBuffer {
 public:
  XsaveBuffer() : p_(static_cast<uint8_t*>(kvmg_alloc(kXsaveSize, KVMG_ALLOC_ZERO))) {}
  ~XsaveBuffer() { kvmg_free(p_); }
  XsaveBuffer(const XsaveBuffer&) = delete;
  XsaveBuffer& operator=(const XsaveBuffer&) = delete;
  uint8_t* get() const { return p_; }

 private:
  uint8_t* p_;
};

// The image covers every component KVM supports, whatever the vCPU's CPUID
// enables (as upstream): a state saved before KVM_SET_CPUID2 restores after.
void get_image(Vcpu& vcpu, uint8_t* buf) {
  kvmg_fpu_get_uabi(vcpu.arch().fpu, buf, kXsaveSize, supported_xcr0(), vcpu.arch().regs.pkru);
}

kxx::Status set_image(Vcpu& vcpu, const uint8_t* buf) {
  if (kvmg_fpu_set_uabi(vcpu.arch().fpu, buf, supported_xcr0(), &vcpu.arch().regs.pkru))
    return kxx::Errno::kInval;
  return kxx::OkStatus();
}

}  // namespace

uint64_t guest_xcr0_mask(Vcpu& vcpu) {
  // x87 and SSE state always exist; more components as CPUID 0xD enumerates
  // them (KVM_SET_CPUID2), within what the host supports.
  return cpuid_allowed_xcr0(guest_cpuid(vcpu)) | kXfeatureFp | kXfeatureSse;
}

kxx::Status get_fpu(Vcpu& vcpu, unsigned long uarg) {
  XsaveBuffer b;
  if (!b.get()) return kxx::Errno::kNoMem;
  get_image(vcpu, b.get());
  Fxsave fx;
  __builtin_memcpy(&fx, b.get(), sizeof(fx));
  kvm_fpu f{};
  __builtin_memcpy(f.fpr, fx.st, sizeof(f.fpr));
  f.fcw = fx.fcw;
  f.fsw = fx.fsw;
  f.ftwx = fx.ftw;
  f.last_opcode = fx.fop;
  f.last_ip = fx.rip;
  f.last_dp = fx.rdp;
  __builtin_memcpy(f.xmm, fx.xmm, sizeof(f.xmm));
  f.mxcsr = fx.mxcsr;
  return copy_to_user(uarg, f);
}

kxx::Status set_fpu(Vcpu& vcpu, unsigned long uarg) {
  auto f = TRY(copy_from_user<kvm_fpu>(uarg));
  XsaveBuffer b;
  if (!b.get()) return kxx::Errno::kNoMem;
  get_image(vcpu, b.get());
  Fxsave fx;
  __builtin_memcpy(&fx, b.get(), sizeof(fx));
  __builtin_memcpy(fx.st, f.fpr, sizeof(f.fpr));
  fx.fcw = f.fcw;
  fx.fsw = f.fsw;
  fx.ftw = f.ftwx;
  fx.fop = f.last_opcode;
  fx.rip = f.last_ip;
  fx.rdp = f.last_dp;
  __builtin_memcpy(fx.xmm, f.xmm, sizeof(f.xmm));
  fx.mxcsr = f.mxcsr;
  __builtin_memcpy(b.get(), &fx, sizeof(fx));
  // The legacy area is now meaningful: mark x87 and SSE present.
  uint64_t xstate_bv;
  __builtin_memcpy(&xstate_bv, b.get() + kXstateBvOffset, 8);
  xstate_bv |= kXfeatureFp | kXfeatureSse;
  __builtin_memcpy(b.get() + kXstateBvOffset, &xstate_bv, 8);
  return set_image(vcpu, b.get());
}

kxx::Status get_xsave(Vcpu& vcpu, unsigned long uarg) {
  XsaveBuffer b;
  if (!b.get()) return kxx::Errno::kNoMem;
  get_image(vcpu, b.get());
  if (kvmg_copy_to_user(uarg, b.get(), kXsaveSize)) return kxx::Errno::kFault;
  return kxx::OkStatus();
}

kxx::Status set_xsave(Vcpu& vcpu, unsigned long uarg) {
  XsaveBuffer b;
  if (!b.get()) return kxx::Errno::kNoMem;
  if (kvmg_copy_from_user(b.get(), uarg, kXsaveSize)) return kxx::Errno::kFault;
  return set_image(vcpu, b.get());
}

long xsave2_size() { return kXsaveSize; }

kxx::Status get_xcrs(Vcpu& vcpu, unsigned long uarg) {
  kvm_xcrs x{};
  x.nr_xcrs = 1;
  x.xcrs[0].xcr = 0;
  x.xcrs[0].value = vcpu.arch().regs.xcr0;
  return copy_to_user(uarg, x);
}

kxx::Status set_xcrs(Vcpu& vcpu, unsigned long uarg) {
  auto x = TRY(copy_from_user<kvm_xcrs>(uarg));
  if (x.nr_xcrs > KVM_MAX_XCRS || x.flags) return kxx::Errno::kInval;
  // The value is loaded with XSETBV while GIF is clear: one the CPU would
  // refuse must never get this far (SDM "XSETBV" consistency rules).
  if (!kvmg_x86_host_xcr0()) return kxx::Errno::kInval;
  for (unsigned i = 0; i < x.nr_xcrs; i++) {
    // Only XCR0 exists; other indices are ignored, as upstream.
    if (x.xcrs[i].xcr != 0) continue;
    if (!xcr0_valid(x.xcrs[i].value, guest_xcr0_mask(vcpu))) return kxx::Errno::kInval;
    vcpu.arch().regs.xcr0 = x.xcrs[i].value;
    break;
  }
  return kxx::OkStatus();
}

kxx::Status dev_device_attr(unsigned cmd, unsigned long uarg) {
  auto attr = TRY(copy_from_user<kvm_device_attr>(uarg));
  // Group 0 holds system attributes; no other group exists (SEV's needs
  // SEV), as upstream without it: -ENXIO.
  if (attr.group != KVM_X86_GRP_SYSTEM || attr.attr != KVM_X86_XCOMP_GUEST_SUPP)
    return kxx::Errno::kNxio;
  if (cmd == KVM_HAS_DEVICE_ATTR) return kxx::OkStatus();
  return copy_to_user(attr.addr, supported_xcr0());
}

}  // namespace kvmpp::x86

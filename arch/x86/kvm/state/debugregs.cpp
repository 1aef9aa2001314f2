// SPDX-License-Identifier: GPL-2.0
// KVM_GET/SET_DEBUGREGS: the guest's own DR0-DR3, DR6 and DR7 (all virtual:
// the hardware never holds them, see x86_state), never the debugger's
// (KVM_SET_GUEST_DEBUG), which stay in force across a KVM_SET_DEBUGREGS.
#include <kvmpp/uaccess.hpp>

#include "../run/run.hpp"
#include "../x86.hpp"
#include "state.hpp"

namespace kvmpp::x86 {

kxx::Status get_debugregs(Vcpu& vcpu, unsigned long uarg) {
  deliver_payload_for_save(vcpu);  // DR6
  const x86_state& s = vcpu.arch().regs;
  kvm_debugregs d{};
  for (unsigned i = 0; i < 4; i++) d.db[i] = s.dr[i];
  d.dr6 = s.dr6;
  d.dr7 = s.dr7;
  return copy_to_user(uarg, d);
}

kxx::Status set_debugregs(Vcpu& vcpu, unsigned long uarg) {
  auto d = TRY(copy_from_user<kvm_debugregs>(uarg));
  // No flags are defined; DR6 and DR7 have no bits above 31.
  if (d.flags || (d.dr6 >> 32) || (d.dr7 >> 32)) return kxx::Errno::kInval;
  x86_state& s = vcpu.arch().regs;
  for (unsigned i = 0; i < 4; i++) s.dr[i] = d.db[i];
  s.dr6 = d.dr6;
  s.dr7 = d.dr7;
  return kxx::OkStatus();
}

}  // namespace kvmpp::x86

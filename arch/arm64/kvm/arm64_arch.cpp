// SPDX-License-Identifier: GPL-2.0
// The arm64 architecture layer. No EL2 backend exists yet, so nothing
// arm64-specific is implemented or advertised: every arch ioctl is unknown.
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

namespace kvmpp::arch {

long check_extension(const Vm*, long) { return 0; }
kxx::Status vm_enable_cap(Vm&, const kvm_enable_cap&) { return kxx::Errno::kInval; }
// No stage-2 tables exist without the EL2 backend: nothing is mapped.
void memslot_changed(Vm&, const MemslotChange&) {}
long dev_ioctl(unsigned int, unsigned long) { return to_ret(kxx::Errno::kInval); }
long vm_ioctl(Vm&, unsigned int, unsigned long) { return to_ret(kUnknownVmIoctl); }
long vcpu_ioctl(Vcpu&, unsigned int, unsigned long) { return to_ret(kUnknownVcpuIoctl); }

}  // namespace kvmpp::arch

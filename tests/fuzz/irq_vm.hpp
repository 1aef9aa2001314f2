// SPDX-License-Identifier: GPL-2.0
// A VM with an in-kernel irqchip (full or split), one to three vCPUs, 64 KiB
// of RAM and optionally a PIT, driven by a script of what a VMM and its
// guests can do to the interrupt controllers: the ioctls (KVM_SET_LAPIC,
// KVM_SET_IRQCHIP, KVM_SET_PIT2, KVM_SET_GSI_ROUTING, KVM_IRQ_LINE,
// KVM_SIGNAL_MSI, KVM_SET_MSRS, KVM_SET_MP_STATE, ...) with hostile values,
// and the guest's accesses (xAPIC page and I/O APIC window on the MMIO bus,
// the PIC, PIT and port 0x61 on the port bus, RDMSR/WRMSR, CR8), time
// passing and the run loop's interrupt injection. The irqchip targets share
// it and weight its operations towards their model.
#pragma once

#include <abi/kvm_abi.h>

#include "core_session.hpp"

namespace fuzz {

class IrqVm {
 public:
  enum Op : uint8_t {
    kApicMmio,      // a guest access to some vCPU's xAPIC page (or anywhere)
    kIoapicMmio,    // a guest access to the I/O APIC window
    kPort,          // a guest IN/OUT on the PIC, ELCR, PIT or port 0x61
    kGuestMsr,      // a guest RDMSR/WRMSR of an APIC MSR
    kHostMsr,       // KVM_GET/SET_MSRS of an APIC MSR
    kSetLapic,      // KVM_GET_LAPIC, some registers changed, KVM_SET_LAPIC
    kIrqLine,       // KVM_IRQ_LINE(_STATUS)
    kSignalMsi,     // KVM_SIGNAL_MSI
    kEvents,        // KVM_NMI, KVM_INTERRUPT, KVM_SET/GET_MP_STATE
    kRun,           // the run loop's interrupt window: take events, inject
    kTime,          // time passes: timers fire, work runs, vCPUs run
    kTpr,           // CR8 and the vAPIC word (KVM_SET_VAPIC_ADDR)
    kSetIrqchip,    // KVM_GET_IRQCHIP, some fields changed, KVM_SET_IRQCHIP
    kPitState,      // KVM_GET/SET_PIT(2), KVM_REINJECT_CONTROL
    kRouting,       // KVM_SET_GSI_ROUTING with a few routes
    kFillBus,       // KVM_REGISTER_COALESCED_MMIO until the MMIO bus is full
    kAllocFailure,  // the next operation runs with an allocation failing
    kNumOps
  };

  IrqVm(CoreSession& s, Input& in) : s_(s), in_(in) {}
  // Build the VM from the input's first bytes, with the configuration
  // bits @set forced on and @clear forced off (kSplit, kPit). False:
  // nothing to fuzz.
  static constexpr uint8_t kSplit = 4, kPit = 8;
  bool setup(uint8_t set = 0, uint8_t clear = 0);
  void run(Op op);
  // Pick an operation from @weights (kNumOps entries) and run it.
  void run_weighted(const uint8_t* weights);
  // The models' invariants that hold whatever was done.
  void check();

  long vm_fd() const { return vm_; }
  bool split() const { return split_; }
  unsigned vcpus() const { return nvcpus_; }
  kvmpp::Vcpu& vcpu(unsigned i) { return CoreSession::vcpu(vcpu_fd_[i]); }

 private:
  static constexpr unsigned kMaxVcpus = 3;
  unsigned pick_vcpu() { return nvcpus_ ? in_.below(nvcpus_) : 0; }
  uint64_t apic_gpa();
  void apic_mmio();
  void ioapic_mmio();
  void port();
  void guest_msr();
  void host_msr();
  void set_lapic();
  void irq_line();
  void signal_msi();
  void events();
  void run_vcpu(unsigned i);
  void time();
  void tpr();
  void set_irqchip();
  void pit_state();
  void routing();
  void fill_bus();
  uint32_t apic_msr();
  long setup_ioctl(bool fail, uint8_t n, long fd, bool vcpu, unsigned cmd, unsigned long arg);
  uint64_t apic_base_value();

  CoreSession& s_;
  Input& in_;
  long vm_ = -1;
  bool split_ = false;
  bool pit_ = false;
  long vcpu_fd_[kMaxVcpus] = {};
  unsigned nvcpus_ = 0;
  uint8_t* ram_ = nullptr;
  int depth_ = 0;
  bool bus_full_ = false;
};

// The entry of an interrupt-controller target: by the first byte, the model
// alone (@model), or a VM set up with @set and @clear (IrqVm::setup) run
// through up to 100 operations drawn by @weights.
inline int run_irq_target(const uint8_t* data, size_t size, void (*model)(Input&),
                          const uint8_t* weights, uint8_t set = 0, uint8_t clear = 0) {
  Input in(data, size);
  if (in.u8() & 1) {
    model(in);
    return 0;
  }
  CoreSession s;
  IrqVm vm(s, in);
  if (!vm.setup(set, clear)) return 0;
  for (int step = 0; step < 100 && !in.empty(); step++) vm.run_weighted(weights);
  return 0;
}

}  // namespace fuzz

// SPDX-License-Identifier: GPL-2.0
// The in-kernel interrupt controllers (KVM_CREATE_IRQCHIP): the VM's 8259 pair
// and I/O APIC, each vCPU's local APIC, and the wiring between them and the
// run loop. The models in irq/ are pure state machines; this layer adds the
// locks, the timer, the routing of messages and the ioctls.
//
// Locking: Irqchip::lock protects the PIC pair and the I/O APIC; a VcpuApic's
// lock protects its Lapic and its INIT/SIPI latches. They are never nested:
// a model's output (an IPI, an EOI, an I/O APIC message) is routed after its
// lock is dropped. Timer state changes only under the vCPU's mutex (its own
// thread or a vCPU ioctl); the timer callback only posts a request.
#pragma once

#include "../x86.hpp"
#include "ioapic.hpp"
#include "lapic.hpp"
#include "pic.hpp"
#include "routing.hpp"

namespace kvmpp::x86 {

struct Irqchip;

// The xAPIC pages on the MMIO bus: one range per distinct APIC base in use,
// shared by the vCPUs whose APIC is there and counted; an access is the
// calling vCPU's own APIC's, when its page is the one addressed.
class XapicDevice final : public IoDevice {
 public:
  bool read(Vcpu& vcpu, uint64_t gpa, unsigned len, void* data) override;
  bool write(Vcpu& vcpu, uint64_t gpa, unsigned len, const void* data) override;
};
struct XapicWindows {
  struct Window {
    uint64_t base;
    unsigned users;
  };
  // Serializes get/put (inside the vCPU mutex, outside the bus's).
  Mutex lock{KVMPP_LOCK_CLASS("kvm.xapic_windows.lock")};
  XapicDevice device;
  Window* windows = nullptr;
  unsigned count = 0;
  unsigned capacity = 0;
  ~XapicWindows() { delete[] windows; }
};

// The PIC pair's ports (0x20/0x21, 0xa0/0xa1, the ELCRs 0x4d0/0x4d1) on the
// port-I/O bus.
class PicPorts final : public IoDevice {
 public:
  explicit PicPorts(Irqchip& chip) : chip_(chip) {}
  bool read(Vcpu& vcpu, uint64_t port, unsigned len, void* data) override;
  bool write(Vcpu& vcpu, uint64_t port, unsigned len, const void* data) override;

 private:
  Irqchip& chip_;
};

// The I/O APIC's register window on the MMIO bus.
class IoapicWindow final : public IoDevice {
 public:
  explicit IoapicWindow(Irqchip& chip) : chip_(chip) {}
  bool read(Vcpu& vcpu, uint64_t gpa, unsigned len, void* data) override;
  bool write(Vcpu& vcpu, uint64_t gpa, unsigned len, const void* data) override;

 private:
  Irqchip& chip_;
};

struct Irqchip {
  // KVM_CAP_SPLIT_IRQCHIP: only the local APICs are the kernel's; the PIC
  // and I/O APIC below are unused (user space has its own), and GSIs may
  // only be routed to MSIs. Set before the irqchip is published.
  bool split = false;
  uint32_t reserved_ioapic_pins = 0;  // GSIs user space's I/O APIC owns
  Spinlock lock{KVMPP_LOCK_CLASS("kvm.irqchip.lock")};
  PicPair pic;
  Ioapic ioapic;
  PicPorts pic_ports{*this};
  IoapicWindow ioapic_window{*this};
  XapicWindows xapic;
  // KVM_SET_GSI_ROUTING's table: read under RCU, replaced under
  // routing_lock (a new table is published, readers are waited for, the
  // old one freed). Never null once the irqchip is published.
  kxx::Atomic<RoutingTable*> routing{nullptr};
  Mutex routing_lock{KVMPP_LOCK_CLASS("kvm.irqchip.routing_lock")};
  ~Irqchip() { delete routing.load(); }
};

// The APIC timer's input clock: one tick per nanosecond before the divider
// (a 1 GHz bus), as upstream KVM reports it.
inline constexpr uint32_t kApicBusCycleNs = 1;

struct VcpuApic {
  explicit VcpuApic(Vcpu& v) : vcpu(v) {}
  Vcpu& vcpu;
  // Interrupt-safe: MSIs from irqfds are delivered from eventfd wake-ups.
  IrqSafeSpinlock lock{KVMPP_LOCK_CLASS("kvm.apic.lock")};
  Lapic lapic{kApicBusCycleNs};
  void* timer = nullptr;      // glue hrtimer: posts Vcpu::kRequestTimer
  uint64_t window = 0;        // the xAPIC page it holds a window for (0: none)
  uint64_t tsc_deadline = 0;  // IA32_TSC_DEADLINE as written (the model has it in ns)
  uint64_t vapic_addr = 0;    // KVM_SET_VAPIC_ADDR's guest word (0: none)
  bool init_pending = false;
  bool sipi_pending = false;
  uint8_t sipi_vector = 0;
};

// Null when the VM has no in-kernel irqchip (full or split).
Irqchip* irqchip(Vm& vm);
// The PIC and I/O APIC are the kernel's (KVM_CREATE_IRQCHIP, not split).
inline bool pic_in_kernel(Vm& vm) {
  Irqchip* chip = irqchip(vm);
  return chip && !chip->split;
}
inline VcpuApic* vcpu_apic(Vcpu& vcpu) { return vcpu.arch().apic; }

// ---- VM level (irq/irqchip.cpp) ------------------------------------------
long create_irqchip(Vm& vm);
void destroy_irqchip(arch::VmState& s);
kxx::Status irq_line(Vm& vm, unsigned long uarg, bool with_status);
// KVM_SET_GSI_ROUTING and KVM_SIGNAL_MSI (the ioctl's return value).
kxx::Status set_gsi_routing(Vm& vm, unsigned long uarg);
kxx::Result<long> signal_msi(Vm& vm, unsigned long uarg);
// Drive a GSI through the routing table (irqfd; any context that may
// spin): the status KVM_IRQ_LINE_STATUS would report.
int set_irq(Vm& vm, uint32_t gsi, bool level);
kxx::Status get_irqchip(Vm& vm, unsigned long uarg);
kxx::Status set_irqchip(Vm& vm, unsigned long uarg);
// Route what a local APIC or the I/O APIC sent.
void deliver_ipi(Vcpu& source, const ApicIpi& ipi);
// Each returns how many APICs took the message (0: none).
int deliver_ioapic_message(Vm& vm, const IoapicMessage& m);
// An MSI (KVM_SIGNAL_MSI, an MSI route): -1 when the address is one the
// VM's x2APIC API setting forbids.
int deliver_msi(Vm& vm, uint32_t address_lo, uint32_t address_hi, uint32_t data);
// A local APIC retired @vector (@level: its TMR bit was set): tell the PIT
// (any vector, while it counts acknowledgements) and, for a level-triggered
// vector, the resampling irqfds and the I/O APIC.
void ioapic_eoi(Vm& vm, uint8_t vector, bool level);
// The PIC's INT output as a vCPU sees it (only through LINT0 in ExtINT mode,
// or with its APIC disabled), and the INTA cycle.
bool pic_interrupt_for(Vcpu& vcpu);
int pic_ack(Vcpu& vcpu);

// ---- the PIT (irq/pit_device.cpp) ----------------------------------------
// KVM_CREATE_PIT2 (unknown flags ignored as stock 6.12 does; -EEXIST the
// second time, -ENOENT without the in-kernel PIC), KVM_GET/SET_PIT(2) (-ENXIO without a
// PIT), KVM_REINJECT_CONTROL.
kxx::Status create_pit(Vm& vm, const kvm_pit_config& config);
void destroy_pit(arch::VmState& s);
kxx::Status get_pit(Vm& vm, unsigned long uarg, bool v2);
kxx::Status set_pit(Vm& vm, unsigned long uarg, bool v2);
kxx::Status reinject_control(Vm& vm, unsigned long uarg);
// The guest acknowledged IRQ0 (the PIC's INTA, or the EOI of the vector of
// GSI 0's I/O APIC pin); whether the PIT wants to hear of it.
void pit_acked(Vm& vm);
bool pit_wants_acks(Vm& vm);

// ---- interrupt controllers in user space (irq/user_irq.cpp) ---------------
// KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP) with @pins GSIs for user space's
// I/O APIC.
kxx::Status enable_split_irqchip(Vm& vm, uint64_t pins);
// KVM_INTERRUPT: queue an external interrupt (no in-kernel irqchip: the
// next entry injects it; split: the PIC output LINT0 takes).
kxx::Status interrupt_ioctl(Vcpu& vcpu, unsigned long uarg);
// The local APIC takes the PIC's interrupts: hardware-disabled, or LINT0
// unmasked in ExtINT mode ("Local Vector Table"). True without an APIC.
bool apic_accepts_extint(Vcpu& vcpu);
// User space's PIC has somewhere to put its next interrupt: no
// KVM_INTERRUPT vector waits, and the local APIC (if any) takes ExtINT on
// LINT0. Only then does request_interrupt_window open a window: while
// LINT0 is masked the guest's IF says nothing about the PIC, and a window
// opened anyway would end every entry before the guest ran an instruction.
bool user_interrupt_can_land(Vcpu& vcpu);
// kvm_run's ready_for_interrupt_injection: user space's PIC could inject
// now (always 1 with the in-kernel PIC, as upstream).
bool ready_for_user_interrupt(Vcpu& vcpu);
// Split irqchip: the guest EOIed a level-triggered @vector; if user
// space's I/O APIC routes it, the next exit is KVM_EXIT_IOAPIC_EOI.
void split_eoi(Vcpu& vcpu, uint8_t vector);

// ---- vCPU level (irq/apic.cpp) ------------------------------------------
// Give the vCPU a local APIC when its VM has an irqchip (vCPU creation).
kxx::Status apic_init(Vcpu& vcpu);
void apic_destroy(Vcpu& vcpu);
kxx::Status get_lapic(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_lapic(Vcpu& vcpu, unsigned long uarg);
// IA32_APIC_BASE changed (already validated): update the model.
kxx::Status apic_set_base(Vcpu& vcpu, uint64_t value, bool host);
// The xAPIC page, when @gpa is in it.
bool apic_mmio_read(Vcpu& vcpu, uint64_t gpa, unsigned len, void* data);
bool apic_mmio_write(Vcpu& vcpu, uint64_t gpa, unsigned len, const void* data);
// x2APIC MSRs; an error means #GP.
kxx::Result<uint64_t> apic_read_msr(Vcpu& vcpu, uint32_t msr);
kxx::Status apic_write_msr(Vcpu& vcpu, uint32_t msr, uint64_t value);
// IA32_TSC_DEADLINE, in the guest's TSC: reads 0 unless armed in
// TSC-deadline mode; writes outside that mode (or without an in-kernel
// APIC) are ignored, 0 disarms, a past deadline fires at once (SDM vol.
// 3A, "TSC-Deadline Mode").
uint64_t apic_read_tsc_deadline(Vcpu& vcpu);
void apic_write_tsc_deadline(Vcpu& vcpu, uint64_t tsc);
// Fire an expired timer and re-arm the host timer (vCPU thread).
void apic_service_timer(Vcpu& vcpu);
// CR8 is the TPR's upper nibble: copy it to the VMCB before an entry and
// back after an exit.
void apic_tpr_to_cr8(Vcpu& vcpu);
void apic_cr8_to_tpr(Vcpu& vcpu);
// Write TPR as the guest would (the vAPIC word, KVM_SET_VAPIC_ADDR).
void apic_set_tpr(Vcpu& vcpu, uint8_t tpr);
// The vAPIC word: TPR in bits 7:0, the highest in-service vector's class
// in 15:12, the highest requested vector in 31:24.
uint32_t apic_vapic_word(VcpuApic& a);

// ---- QEMU's TPR shortcuts (irq/vapic.cpp) ----------------------------
kxx::Status tpr_access_reporting(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_vapic_addr(Vcpu& vcpu, unsigned long uarg);
// A guest access to the xAPIC TPR (MMIO): noted for KVM_EXIT_TPR_ACCESS.
void note_tpr_access(Vcpu& vcpu, bool write);
// After an exit handled in the kernel: fill in KVM_EXIT_TPR_ACCESS if an
// access was noted, and say so.
bool take_tpr_access_exit(Vcpu& vcpu);
// Mirror the APIC into the vAPIC word before an entry, and take the TPR
// the guest wrote there after an exit (nothing without an address).
void vapic_sync_to_guest(Vcpu& vcpu);
void vapic_sync_from_guest(Vcpu& vcpu);
// The vector an interrupt acknowledge would return now (APIC or PIC), or -1.
int apic_pending_interrupt(Vcpu& vcpu);
// Before an entry, in one pass under the APIC's lock: apic_tpr_to_cr8(),
// then apic_pending_interrupt().
int apic_prepare_entry(Vcpu& vcpu);
// The INTA cycle: the vector to inject, or -1 when nothing is pending any more.
int apic_ack_interrupt(Vcpu& vcpu);

// ---- the run loop (irq/inject.cpp) -----------------------------------
// Queue an NMI for @vcpu (KVM_NMI, an NMI message; any context).
void queue_nmi(Vcpu& vcpu);
// The guest is about to execute the IRET that ends NMI blocking.
void nmi_iret_exit(Vcpu& vcpu);
// Before an entry: handle timer expiry and INIT/SIPI, inject a pending
// interrupt the guest can take now, or ask for an interrupt window.
// Returns whether to open the window.
bool prepare_interrupts(Vcpu& vcpu);
// A vCPU that is not runnable (halted, waiting for INIT/SIPI) sleeps until it
// is: -EINTR when a signal arrives first.
kxx::Status wait_until_runnable(Vcpu& vcpu);
// KVM_RUN on a processor that waits for INIT: sleep until an event, take
// it, and return -EAGAIN (user space runs again), or -EINTR on a signal.
kxx::Status wait_uninitialized(Vcpu& vcpu);
// KVM_GET/SET_MP_STATE with an in-kernel local APIC.
kxx::Status set_mp_state_apic(Vcpu& vcpu, uint32_t state);

}  // namespace kvmpp::x86

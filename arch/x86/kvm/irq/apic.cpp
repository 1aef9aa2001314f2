// SPDX-License-Identifier: GPL-2.0
// A vCPU's in-kernel local APIC: its creation, KVM_GET/SET_LAPIC, the guest's
// xAPIC page and x2APIC MSRs, the timer on a host hrtimer, and the interrupt
// acknowledge the run loop performs when it injects.
#include <glue/glue.h>
#include <kvmpp/uaccess.hpp>
#include <kxx/new.hpp>

#include "../cpuid/cpuid.hpp"
#include "../msr/msr.hpp"
#include "irqchip.hpp"

namespace kvmpp::x86 {
namespace {

// A register write's outcome, kept past the lock that produced it.
struct WriteOutcome {
  WriteOutcome() = default;
  explicit WriteOutcome(const kxx::Result<ApicWriteEffect>& r) : ok(r.ok()) {
    if (ok) effect = r.value();
  }
  bool ok = false;
  ApicWriteEffect effect;
};

// The timer callback (hard interrupt context): only a request.
void timer_fired(void* arg) { static_cast<Vcpu*>(arg)->post_request(Vcpu::kRequestTimer); }

// Put the host timer where the model's next expiry is. Under the vCPU's
// mutex (the only place timer state changes), outside the APIC lock.
void rearm(VcpuApic& a) {
  uint64_t expiry;
  {
    SpinLockGuard g(a.lock);
    expiry = a.lapic.next_timer_expiry();
  }
  if (expiry)
    kvmg_timer_start(a.timer, expiry);
  else
    kvmg_timer_cancel(a.timer);
}

// Carry out what a register write asked for.
void apply(Vcpu& vcpu, VcpuApic& a, const ApicWriteEffect& e) {
  if (e.ipi) deliver_ipi(vcpu, e.ipi_msg);
  // Level-triggered EOIs reach the I/O APIC; edge ones only while the PIT
  // counts acknowledgements of IRQ0.
  if (e.eoi && pic_in_kernel(vcpu.vm())) {
    if (e.eoi_level || pit_wants_acks(vcpu.vm())) ioapic_eoi(vcpu.vm(), e.eoi_vector, e.eoi_level);
  } else if (e.eoi && e.eoi_level) {
    split_eoi(vcpu, e.eoi_vector);  // user space's I/O APIC
  }
  if (e.timer_changed) rearm(a);
  // A lower priority or an EOI may let a pending interrupt through.
  vcpu.make_request(Vcpu::kRequestEvent);
}

// The xAPIC page the guest addresses, when the APIC decodes one.
uint64_t page_of(uint64_t apic_base);

bool page_offset(VcpuApic& a, uint64_t gpa, unsigned len, uint32_t* offset) {
  const Lapic& l = a.lapic;
  if (!l.hw_enabled() || l.x2apic_mode()) return false;
  uint64_t base = page_of(l.apic_base());
  if (gpa < base || gpa + len > base + KVMG_PAGE_SIZE) return false;
  *offset = uint32_t(gpa - base);
  return true;
}

// KVM_GET/SET_LAPIC carry the x2APIC ID in the xAPIC position (bits 31:24)
// unless user space asked for 32-bit IDs (KVM_CAP_X2APIC_API). The x2APIC ID
// is the vCPU's and read-only: a different one is ignored, or refused with
// 32-bit IDs (as upstream).
void id_to_user(Vcpu& vcpu, const Lapic& l, kvm_lapic_state& s) {
  if (!l.x2apic_mode() || vcpu.vm().arch()->x2apic_format) return;
  uint32_t id = l.reg(apic::kId) << 24;
  __builtin_memcpy(&s.regs[apic::kId], &id, 4);
}

kxx::Status id_from_user(Vcpu& vcpu, const Lapic& l, kvm_lapic_state& s) {
  if (!l.x2apic_mode()) return kxx::OkStatus();
  uint32_t id;
  __builtin_memcpy(&id, &s.regs[apic::kId], 4);
  if (vcpu.vm().arch()->x2apic_format && id != vcpu.id()) return kxx::Errno::kInval;
  id = vcpu.id();
  __builtin_memcpy(&s.regs[apic::kId], &id, 4);
  // The logical ID is fixed by the ID in x2APIC mode (found by fuzz_lapic:
  // a state with another one kept it), as upstream.
  uint32_t ldr = apic::x2apic_ldr(id);
  __builtin_memcpy(&s.regs[apic::kLdr], &ldr, 4);
  return kxx::OkStatus();
}

// TSC-deadline mode exists only for a guest whose CPUID has it: otherwise
// the LVT timer's mode bit 18 is reserved and reads 0 (as upstream).
template <typename T>
T guest_lvt_timer(Vcpu& vcpu, uint32_t offset, T value) {
  if (offset != apic::kLvtTimer || guest_has(vcpu, cpuid_bit::kTscDeadline)) return value;
  return value & ~T(1u << 18);
}

// The page an APIC base MSR value puts the xAPIC registers at.
uint64_t page_of(uint64_t apic_base) {
  return apic_base & ~uint64_t(0xfff) & ((uint64_t(1) << 52) - 1);
}

// Take a share of the bus range for the xAPIC page at @base (sleeps).
kxx::Status window_get(Vm& vm, XapicWindows& w, uint64_t base) {
  MutexLock g(w.lock);
  for (unsigned i = 0; i < w.count; i++) {
    if (w.windows[i].base == base) {
      w.windows[i].users++;
      return kxx::OkStatus();
    }
  }
  if (w.count == w.capacity) {
    unsigned capacity = w.capacity ? w.capacity * 2 : 2;
    auto* bigger = new (kxx::Alloc::kSleep) XapicWindows::Window[capacity];
    if (!bigger) return kxx::Errno::kNoMem;
    for (unsigned i = 0; i < w.count; i++) bigger[i] = w.windows[i];
    delete[] kxx::exchange(w.windows, bigger);
    w.capacity = capacity;
  }
  TRY_STATUS(vm.mmio_bus().add(base, KVMG_PAGE_SIZE, &w.device));
  w.windows[w.count++] = {base, 1};
  return kxx::OkStatus();
}

void window_put(Vm& vm, XapicWindows& w, uint64_t base) {
  MutexLock g(w.lock);
  for (unsigned i = 0; i < w.count; i++) {
    if (w.windows[i].base != base || --w.windows[i].users) continue;
    (void)vm.mmio_bus().remove(base, KVMG_PAGE_SIZE, &w.device);  // added with the window
    w.windows[i] = w.windows[--w.count];
    return;
  }
}

// Follow the APIC to its new page: share the new window, leave the old.
kxx::Status move_window(Vcpu& vcpu, VcpuApic& a, uint64_t apic_base) {
  uint64_t page = page_of(apic_base);
  if (page == a.window) return kxx::OkStatus();
  Irqchip* chip = irqchip(vcpu.vm());
  TRY_STATUS(window_get(vcpu.vm(), chip->xapic, page));
  if (a.window) window_put(vcpu.vm(), chip->xapic, a.window);
  a.window = page;
  return kxx::OkStatus();
}

}  // namespace

bool XapicDevice::read(Vcpu& vcpu, uint64_t gpa, unsigned len, void* data) {
  return apic_mmio_read(vcpu, gpa, len, data);
}

bool XapicDevice::write(Vcpu& vcpu, uint64_t gpa, unsigned len, const void* data) {
  return apic_mmio_write(vcpu, gpa, len, data);
}

kxx::Status apic_init(Vcpu& vcpu) {
  if (!irqchip(vcpu.vm())) return kxx::OkStatus();
  auto* a = new (kxx::Alloc::kSleep) VcpuApic(vcpu);
  if (!a) return kxx::Errno::kNoMem;
  a->timer = kvmg_timer_create(timer_fired, &vcpu);
  if (!a->timer) {
    delete a;
    return kxx::Errno::kNoMem;
  }
  // vCPU 0 is the bootstrap processor (KVM_SET_BOOT_CPU_ID is not offered).
  bool bsp = is_bsp(vcpu);
  a->lapic.reset(vcpu.id(), bsp);
  if (bsp) a->lapic.set_virtual_wire();  // as stock (KVM_X86_QUIRK_LINT0_REENABLED)
  a->lapic.set_now(kvmg_monotonic_ns());
  // The window stays registered if this vCPU's creation fails later: the
  // device only answers for APICs whose page it is.
  if (auto st = move_window(vcpu, *a, a->lapic.apic_base()); !st.ok()) {
    kvmg_timer_destroy(a->timer);
    delete a;
    return st;
  }
  vcpu.arch().apic = a;
  vcpu.arch().apic_base = a->lapic.apic_base();
  // Application processors wait for INIT and SIPI.
  if (!bsp) vcpu.arch().mp_state = KVM_MP_STATE_UNINITIALIZED;
  return kxx::OkStatus();
}

void apic_destroy(Vcpu& vcpu) {
  // The vCPU goes with its VM, and the bus with it: its window stays (a
  // removal would wait for RCU readers once per vCPU at VM destruction).
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return;
  kvmg_timer_destroy(a->timer);
  delete a;
  vcpu.arch().apic = nullptr;
}

kxx::Status get_lapic(Vcpu& vcpu, unsigned long uarg) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return kxx::Errno::kInval;
  auto* s = new (kxx::Alloc::kSleep) kvm_lapic_state;
  if (!s) return kxx::Errno::kNoMem;
  {
    SpinLockGuard g(a->lock);
    a->lapic.set_now(kvmg_monotonic_ns());
    a->lapic.get_state(s);
    id_to_user(vcpu, a->lapic, *s);
  }
  auto st = copy_to_user(uarg, *s);
  delete s;
  return st;
}

kxx::Status set_lapic(Vcpu& vcpu, unsigned long uarg) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return kxx::Errno::kInval;
  auto* s = new (kxx::Alloc::kSleep) kvm_lapic_state;
  if (!s) return kxx::Errno::kNoMem;
  kxx::Status st = kxx::OkStatus();
  if (kvmg_copy_from_user(s, uarg, sizeof(*s)) != 0) {
    st = kxx::Errno::kFault;
  } else {
    SpinLockGuard g(a->lock);
    st = id_from_user(vcpu, a->lapic, *s);
    if (st.ok()) {
      a->lapic.set_now(kvmg_monotonic_ns());
      a->lapic.set_state(*s);
    }
  }
  delete s;
  if (!st.ok()) return st;
  rearm(*a);
  apic_tpr_to_cr8(vcpu);
  vcpu.make_request(Vcpu::kRequestEvent);
  return st;
}

kxx::Status apic_set_base(Vcpu& vcpu, uint64_t value, bool host) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return kxx::OkStatus();
  // The new page's window first: taking it may fail (no memory, a bus full
  // of coalesced zones), and a failure must leave the APIC where it was
  // (found by fuzz_lapic: the guest got #GP with its APIC already moved).
  uint64_t page = page_of(value);
  bool moving = page != a->window;
  Irqchip* chip = irqchip(vcpu.vm());
  if (moving) TRY_STATUS(window_get(vcpu.vm(), chip->xapic, page));
  kxx::Status st = kxx::OkStatus();
  {
    SpinLockGuard g(a->lock);
    st = a->lapic.set_apic_base(value);
    // User space restoring a state may go where the guest may not (x2APIC
    // back to xAPIC): through the disabled state, as a reset would.
    if (!st.ok() && host) {
      uint64_t disabled = value & ~(apic::kBaseEnable | apic::kBaseExtd);
      st = a->lapic.set_apic_base(disabled);
      if (st.ok() && (value & apic::kBaseEnable)) {
        st = a->lapic.set_apic_base(value & ~apic::kBaseExtd);
        if (st.ok() && (value & apic::kBaseExtd)) st = a->lapic.set_apic_base(value);
      }
    }
  }
  if (moving) {
    uint64_t drop = st.ok() ? kxx::exchange(a->window, page) : page;
    if (drop) window_put(vcpu.vm(), chip->xapic, drop);
  }
  rearm(*a);
  vcpu.make_request(Vcpu::kRequestEvent);
  return st;
}

bool apic_mmio_read(Vcpu& vcpu, uint64_t gpa, unsigned len, void* data) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return false;
  SpinLockGuard g(a->lock);
  uint32_t offset;
  if (!page_offset(*a, gpa, len, &offset)) return false;
  a->lapic.set_now(kvmg_monotonic_ns());
  // Accesses that are not to one register (wrong size, straddling) read 0.
  auto v = a->lapic.read(offset, len);
  uint32_t value = v.ok() ? v.value() : 0;
  if (offset == apic::kTpr) note_tpr_access(vcpu, false);
  __builtin_memset(data, 0, len);
  __builtin_memcpy(data, &value, len < 4 ? len : 4);
  return true;
}

bool apic_mmio_write(Vcpu& vcpu, uint64_t gpa, unsigned len, const void* data) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return false;
  WriteOutcome e;
  {
    SpinLockGuard g(a->lock);
    uint32_t offset;
    if (!page_offset(*a, gpa, len, &offset)) return false;
    // Only aligned 32-bit writes reach a register; others are dropped.
    if (len != 4) return true;
    uint32_t value;
    __builtin_memcpy(&value, data, 4);
    a->lapic.set_now(kvmg_monotonic_ns());
    e = WriteOutcome(a->lapic.write(offset, guest_lvt_timer(vcpu, offset, value)));
    if (offset == apic::kTpr) note_tpr_access(vcpu, true);
  }
  if (e.ok) {
    apply(vcpu, *a, e.effect);
    if ((gpa & 0xff0) == apic::kTpr) apic_tpr_to_cr8(vcpu);
  }
  return true;
}

kxx::Result<uint64_t> apic_read_msr(Vcpu& vcpu, uint32_t msr) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return kxx::Errno::kInval;
  SpinLockGuard g(a->lock);
  a->lapic.set_now(kvmg_monotonic_ns());
  return a->lapic.read_msr(msr);
}

kxx::Status apic_write_msr(Vcpu& vcpu, uint32_t msr, uint64_t value) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return kxx::Errno::kInval;
  WriteOutcome e;
  {
    SpinLockGuard g(a->lock);
    a->lapic.set_now(kvmg_monotonic_ns());
    uint32_t offset = (msr - apic::kX2apicMsrBase) << 4;
    e = WriteOutcome(a->lapic.write_msr(msr, guest_lvt_timer(vcpu, offset, value)));
  }
  if (!e.ok) return kxx::Errno::kInval;
  apply(vcpu, *a, e.effect);
  if (msr == apic::kX2apicMsrBase + (apic::kTpr >> 4)) apic_tpr_to_cr8(vcpu);
  return kxx::OkStatus();
}

uint64_t apic_read_tsc_deadline(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return 0;
  SpinLockGuard g(a->lock);
  return a->lapic.tsc_deadline() ? a->tsc_deadline : 0;
}

void apic_write_tsc_deadline(Vcpu& vcpu, uint64_t tsc) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return;
  // The guest's TSC runs at the host's rate (no scaling): convert the
  // distance to the deadline into host nanoseconds, without overflow.
  uint64_t now = kvmg_monotonic_ns(), now_tsc = guest_tsc(vcpu);
  uint64_t khz = uint64_t(get_tsc_khz());
  uint64_t ns = 0;
  if (tsc) {
    uint64_t delta = tsc > now_tsc ? tsc - now_tsc : 0;
    uint64_t ms = khz ? delta / khz : 0;
    uint64_t rest = khz ? (delta % khz) * 1000000 / khz : 0;
    constexpr uint64_t kYearMs = 365ull * 24 * 3600 * 1000;  // far enough
    ns = now + (ms > kYearMs ? kYearMs : ms) * 1000000 + rest;
  }
  {
    SpinLockGuard g(a->lock);
    a->lapic.set_now(now);
    a->lapic.set_tsc_deadline(ns);
    a->tsc_deadline = a->lapic.tsc_deadline() ? tsc : 0;
  }
  rearm(*a);
}

void apic_service_timer(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return;
  {
    SpinLockGuard g(a->lock);
    a->lapic.set_now(kvmg_monotonic_ns());
    a->lapic.poll_timer();
  }
  rearm(*a);
}

void apic_tpr_to_cr8(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return;
  SpinLockGuard g(a->lock);
  vcpu.arch().regs.cr8 = (a->lapic.reg(apic::kTpr) >> 4) & 0xf;
}

void apic_cr8_to_tpr(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return;
  uint64_t cr8 = vcpu.arch().regs.cr8 & 0xf;
  {
    SpinLockGuard g(a->lock);
    if ((a->lapic.reg(apic::kTpr) >> 4) == cr8) return;
  }
  // MOV to CR8 writes TPR[7:4] and clears TPR[3:0] (SDM "Task Priority in
  // IA-32e Mode").
  apic_set_tpr(vcpu, uint8_t(cr8 << 4));
}

// Through the register path, as the guest would.
void apic_set_tpr(Vcpu& vcpu, uint8_t tpr) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return;
  WriteOutcome e;
  {
    SpinLockGuard g(a->lock);
    if (a->lapic.reg(apic::kTpr) == tpr) return;
    if (a->lapic.x2apic_mode())
      e = WriteOutcome(a->lapic.write_msr(apic::kX2apicMsrBase + (apic::kTpr >> 4), tpr));
    else if (a->lapic.hw_enabled())
      e = WriteOutcome(a->lapic.write(apic::kTpr, tpr));
  }
  if (e.ok) {
    apply(vcpu, *a, e.effect);
    apic_tpr_to_cr8(vcpu);
  }
}

uint32_t apic_vapic_word(VcpuApic& a) {
  SpinLockGuard g(a.lock);
  int irr = a.lapic.highest_irr(), isr = a.lapic.highest_isr();
  uint32_t tpr = a.lapic.reg(apic::kTpr) & 0xff;
  return tpr | (uint32_t(isr < 0 ? 0 : isr & 0xf0) << 8) | (uint32_t(irr < 0 ? 0 : irr) << 24);
}

int apic_pending_interrupt(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return -1;
  int v;
  {
    SpinLockGuard g(a->lock);
    v = a->lapic.highest_pending_irr();
  }
  if (v >= 0) return v;
  return pic_interrupt_for(vcpu) ? 0 : -1;
}

int apic_prepare_entry(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return -1;
  int v;
  {
    SpinLockGuard g(a->lock);
    vcpu.arch().regs.cr8 = (a->lapic.reg(apic::kTpr) >> 4) & 0xf;
    v = a->lapic.highest_pending_irr();
  }
  if (v >= 0) return v;
  return pic_interrupt_for(vcpu) ? 0 : -1;
}

int apic_ack_interrupt(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return -1;
  int v;
  {
    SpinLockGuard g(a->lock);
    v = a->lapic.ack();
  }
  if (v >= 0) return v;
  if (!pic_interrupt_for(vcpu)) return -1;
  return pic_ack(vcpu);
}

}  // namespace kvmpp::x86

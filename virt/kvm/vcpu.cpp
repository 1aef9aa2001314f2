// SPDX-License-Identifier: GPL-2.0
#include "vcpu.hpp"

#include <glue/glue.h>

#include "vm.hpp"

namespace kvmpp {

kxx::Result<kxx::UniquePtr<Vcpu>> Vcpu::create(Vm& vm, unsigned id) {
  kxx::UniquePtr<Vcpu> vcpu(new (kxx::Alloc::kSleep) Vcpu(vm, id));
  if (!vcpu) return kxx::Errno::kNoMem;
  kvmg_waitq_init(&vcpu->waitq_);
  for (void*& page : vcpu->pages_) {
    page = kvmg_page_alloc();
    if (!page) return kxx::Errno::kNoMem;
  }
  // The VM's configuration lock is held: the ring size cannot change.
  if (uint32_t bytes = vm.dirty_config().ring_bytes) {
    vcpu->dirty_ring_.reset(new (kxx::Alloc::kSleep) DirtyRing);
    if (!vcpu->dirty_ring_) return kxx::Errno::kNoMem;
    TRY_STATUS(vcpu->dirty_ring_->init(bytes));
  }
  vcpu->backend_vcpu_ = vm.backend().vcpu_create(id);
  if (!vcpu->backend_vcpu_) return kxx::Errno::kNoMem;
  vcpu->arch_ = TRY(arch::vcpu_state_create());
  TRY_STATUS(arch::vcpu_init(*vcpu));
  vcpu->arch_initialized_ = true;
  return vcpu;
}

Vcpu::~Vcpu() {
  if (arch_initialized_) arch::vcpu_destroy(*this);
  arch::vcpu_state_destroy(arch_);
  if (backend_vcpu_) vm_.backend().vcpu_free(backend_vcpu_);
  for (void* page : pages_) kvmg_page_free(page);
}

void Vcpu::kick() {
  // Pairs with enter_guest_mode(): either the vCPU sees the request before
  // it enters, or we see it in guest mode and interrupt it.
  if (in_guest_.load_seq_cst()) kvmg_kick_cpu_wait(cpu_);
}

kxx::Status Vcpu::wait_for_request(uint32_t mask) {
  wait_mask_ = mask;
  auto done = [](void* arg) {
    auto* v = static_cast<Vcpu*>(arg);
    return v->has_request(v->wait_mask_);
  };
  if (kvmg_waitq_wait(&waitq_, done, this) != 0) return kxx::Errno::kIntr;
  return kxx::OkStatus();
}

void Vcpu::post_request(uint32_t r) {
  make_request(r);
  kvmg_waitq_wake(&waitq_);
  arch::kick_async(*this);
}

void* Vcpu::mmap_page(unsigned long pgoff) const {
  if (pgoff < arch::kVcpuOwnPages) return pages_[pgoff];
  // The VM's coalesced I/O ring: every vCPU fd maps the same page.
  if (arch::kCoalescedMmioPage && pgoff == arch::kCoalescedMmioPage)
    return vm_.coalesced().ring_page();
  if (dirty_ring_ && pgoff >= KVM_DIRTY_LOG_PAGE_OFFSET)
    return dirty_ring_->page(
        unsigned(kxx::min<unsigned long>(pgoff - KVM_DIRTY_LOG_PAGE_OFFSET, dirty_ring_->pages())));
  return nullptr;
}

kxx::Status Vcpu::mmap_allowed(unsigned long pgoff, unsigned long npages, bool shared,
                               bool exec) const {
  if (!dirty_ring_ || !npages) return kxx::OkStatus();
  unsigned long ring_first = KVM_DIRTY_LOG_PAGE_OFFSET,
                ring_end = ring_first + dirty_ring_->pages();
  bool touches_ring = pgoff < ring_end && pgoff + npages > ring_first;
  if (touches_ring && (exec || !shared)) return kxx::Errno::kInval;
  return kxx::OkStatus();
}

}  // namespace kvmpp

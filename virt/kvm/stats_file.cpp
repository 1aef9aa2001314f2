// SPDX-License-Identifier: GPL-2.0
#include "stats_file.hpp"

#include <glue/glue.h>
#include <kvmpp/arch.hpp>

#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmpp {
namespace {

constexpr uint64_t kDescSize = sizeof(kvm_stats_desc) + kStatsNameSize;
constexpr uint64_t kIdOffset = sizeof(kvm_stats_header);
constexpr uint64_t kDescOffset = kIdOffset + kStatsNameSize;
static_assert(kIdOffset % 8 == 0 && kDescOffset % 8 == 0 && kDescSize % 8 == 0);
static_assert(arch::kNumVmStats <= sizeof(StatsView::values) / sizeof(uint64_t));
static_assert(arch::kNumVcpuStats <= sizeof(StatsView::values) / sizeof(uint64_t));

// Copies the part of one block [start, start + len) of the file that falls
// in the requested window into the user buffer.
class Window {
 public:
  Window(uint64_t ubuf, uint64_t pos, uint64_t size) : ubuf_(ubuf), pos_(pos), end_(pos + size) {}
  bool overlaps(uint64_t start, uint64_t len) const { return start < end_ && start + len > pos_; }
  kxx::Status copy(uint64_t start, const void* src, uint64_t len) {
    if (!overlaps(start, len)) return kxx::OkStatus();
    uint64_t lo = kxx::max(start, pos_), hi = kxx::min(start + len, end_);
    const uint8_t* from = static_cast<const uint8_t*>(src) + (lo - start);
    if (kvmg_copy_to_user(ubuf_ + (lo - pos_), from, size_t(hi - lo)) != 0)
      return kxx::Errno::kFault;
    copied_ = kxx::max(copied_, hi - pos_);
    return kxx::OkStatus();
  }
  uint64_t copied() const { return copied_; }

 private:
  uint64_t ubuf_, pos_, end_;
  uint64_t copied_ = 0;
};

// Decimal digits of @v appended at @out (bounded by @end).
char* append_uint(char* out, const char* end, uint64_t v) {
  char digits[20];
  unsigned n = 0;
  do {
    digits[n++] = char('0' + v % 10);
    v /= 10;
  } while (v);
  while (n && out < end) *out++ = digits[--n];
  return out;
}

char* append_str(char* out, const char* end, const char* s) {
  while (*s && out < end) *out++ = *s++;
  return out;
}

void set_id(StatsView* view, int pid, const Vcpu* vcpu) {
  char* out = view->id;
  const char* end = view->id + kStatsNameSize - 1;  // room for the NUL
  __builtin_memset(view->id, 0, sizeof(view->id));
  out = append_str(out, end, "kvm-");
  out = append_uint(out, end, uint64_t(pid));
  if (vcpu) {
    out = append_str(out, end, "/vcpu-");
    append_uint(out, end, vcpu->id());
  }
}

const StatDesc& vm_desc(unsigned i) {
  return i < kGenericVmStats ? kGenericVmStatDescs[i] : arch::kArchVmStatDescs[i - kGenericVmStats];
}

const StatDesc& vcpu_desc(unsigned i) { return arch::kVcpuStatDescs[i]; }

}  // namespace

kxx::Result<long> read_stats(const StatsView& view, uint64_t ubuf, uint64_t size, int64_t pos) {
  if (pos < 0) return kxx::Errno::kInval;
  const uint64_t data_offset = kDescOffset + view.count * kDescSize;
  const uint64_t total = data_offset + view.count * sizeof(uint64_t);
  if (uint64_t(pos) >= total || size == 0) return 0L;
  size = kxx::min(size, total - uint64_t(pos));
  Window w(ubuf, uint64_t(pos), size);

  kvm_stats_header h{};
  h.flags = 0;
  h.name_size = kStatsNameSize;
  h.num_desc = view.count;
  h.id_offset = uint32_t(kIdOffset);
  h.desc_offset = uint32_t(kDescOffset);
  h.data_offset = uint32_t(data_offset);
  TRY_STATUS(w.copy(0, &h, sizeof(h)));
  TRY_STATUS(w.copy(kIdOffset, view.id, kStatsNameSize));
  for (unsigned i = 0; i < view.count; i++) {
    uint64_t at = kDescOffset + i * kDescSize;
    if (!w.overlaps(at, kDescSize)) continue;
    const StatDesc& s = view.desc(i);
    kvm_stats_desc d{};
    d.flags = s.flags;
    d.exponent = 0;
    d.size = 1;  // one value
    d.offset = uint32_t(i * sizeof(uint64_t));
    d.bucket_size = 0;
    // The descriptor, then its name padded with NULs to kStatsNameSize.
    char desc[kDescSize] = {};
    __builtin_memcpy(desc, &d, sizeof(d));
    append_str(desc + sizeof(d), desc + kDescSize - 1, s.name);
    TRY_STATUS(w.copy(at, desc, kDescSize));
  }
  TRY_STATUS(w.copy(data_offset, view.values, view.count * sizeof(uint64_t)));
  return long(w.copied());
}

void view_vm_stats(Vm& vm, StatsView* view) {
  arch::sample_vm_stats(vm);
  set_id(view, vm.creator_pid(), nullptr);
  view->count = arch::kNumVmStats;
  view->desc = vm_desc;
  for (unsigned i = 0; i < view->count; i++) view->values[i] = vm.stats().get(i);
}

void view_vcpu_stats(Vcpu& vcpu, StatsView* view) {
  set_id(view, vcpu.vm().creator_pid(), &vcpu);
  view->count = arch::kNumVcpuStats;
  view->desc = vcpu_desc;
  for (unsigned i = 0; i < view->count; i++) view->values[i] = arch::vcpu_stat(vcpu.arch(), i);
}

kxx::Result<long> get_vm_stats_fd(Vm& vm) {
  vm.get();  // the file's reference
  int fd = kvmg_fd_create_stats(&vm, false, 0);
  if (fd < 0) {
    vm.put();  // cannot be the last: the caller's VM file holds one
    return kxx::Error(kxx::Errno(-fd));
  }
  return long(fd);
}

kxx::Result<long> get_vcpu_stats_fd(Vcpu& vcpu) {
  // The vCPU lives as long as its VM: the file holds the VM.
  vcpu.vm().get();
  int fd = kvmg_fd_create_stats(&vcpu, true, vcpu.id());
  if (fd < 0) {
    vcpu.vm().put();
    return kxx::Error(kxx::Errno(-fd));
  }
  return long(fd);
}

}  // namespace kvmpp

// SPDX-License-Identifier: GPL-2.0
// A user-space implementation of the glue API (include/glue/glue.h) for the
// unit tests, with failure injection and leak accounting. Every heap block in
// the test binary carries a small header so that blocks from kvmg_alloc (and
// kxx's operator new) are counted, whoever frees them.
#include "fake_glue.h"

#include <glue/clock.h>
#include <glue/x86.h>
#include <kxx/new.hpp>

#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <set>
#include <shared_mutex>
#include <utility>
#include <vector>

namespace {

struct Header {
  uint64_t magic;
  uint64_t counted;
};
constexpr uint64_t kMagic = 0x6b766d70705f6d6dULL;

long g_outstanding = 0;
long g_fail_after = 0;
int g_fail_fd = 0;
const void* g_mm = reinterpret_cast<const void*>(0x1000);
int g_next_fd = 100;
int g_warnings = 0;
long g_signal_after = -1;
bool g_fast_pages = true;
int g_slow_page_lookups = 0;
std::map<std::pair<uint32_t, uint32_t>, std::array<uint32_t, 4>> g_cpuid;
std::map<uint32_t, uint64_t> g_host_msrs;
uint64_t g_host_xcr0 = 7;
uint64_t g_tsc = 0;
unsigned g_tsc_khz = 0;
kvmg_host_clock g_clock = {};
bool g_svm = true;
int g_pid = 4242;  // the "current thread" (stats file names use it)
std::vector<int> g_yields;

// A plausible AMD host (family 19h): the features the x86 layer filters.
void default_host_cpuid() {
  g_cpuid.clear();
  auto set = [](uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    g_cpuid[{leaf, sub}] = {a, b, c, d};
  };
  constexpr uint32_t kAuth = 0x68747541, kEnti = 0x69746e65, kCamd = 0x444d4163;
  set(0, 0, 0x10, kAuth, kCamd, kEnti);
  set(1, 0, 0x00a00f11, 0x00020800, 0x7ef8320b, 0x178bfbff);
  set(5, 0, 0x40, 0x40, 3, 0x11);
  set(6, 0, 4, 0, 1, 0);
  set(7, 0, 1, 0x219d01ab | (1u << 16), 0x0040061c, 0x00000010 | (1u << 26));
  set(7, 1, 0x10, 0, 0, 0);
  set(0xb, 0, 1, 2, 0x100, 5);
  set(0xb, 1, 7, 16, 0x201, 5);
  set(0xb, 2, 0, 0, 2, 5);
  set(0xd, 0, 0x207, 0x988, 0x988, 0);
  set(0xd, 1, 0xf, 0x348, 0, 0);
  set(0xd, 2, 0x100, 0x240, 0, 0);
  set(0xd, 9, 8, 0x980, 0, 0);
  set(0x80000000, 0, 0x80000021, kAuth, kCamd, kEnti);
  set(0x80000001, 0, 0x00a00f11, 0x20000000, 0x75c237ff, 0x2fd3fbff);
  set(0x80000002, 0, 0x20444d41, 0x43595045, 0x30363720, 0x36312033);
  set(0x80000005, 0, 0xff40ff40, 0xff40ff40, 0x20080140, 0x20080140);
  set(0x80000007, 0, 0, 0x3b, 0, 0x6799);
  set(0x80000008, 0, 0x3030, 0x111ef657, 0x703f, 0x10000);
  set(0x8000000a, 0, 1, 0x8000, 0, 0x119b9cff);
  set(0x8000001d, 0, 0x4121, 0x1c0003f, 0x3f, 0);
  set(0x8000001d, 1, 0x4122, 0x1c0003f, 0x3f, 0);
  set(0x8000001d, 2, 0x4143, 0x1c0003f, 0x3ff, 2);
  set(0x8000001d, 3, 0x3c163, 0x3c0003f, 0x7fff, 1);
  set(0x8000001e, 0, 2, 0x101, 0, 0);
  set(0x8000001f, 0, 0x1, 0x16f, 0, 0);
  set(0x80000021, 0, 0x45, 0, 0, 0);
}
std::map<int, fake::File> g_files;

void* raw_alloc(size_t size, bool counted, bool zero) {
  auto* h = static_cast<Header*>(malloc(sizeof(Header) + (size ? size : 1)));
  if (!h) return nullptr;
  h->magic = kMagic;
  h->counted = counted;
  if (counted) g_outstanding++;
  if (zero) memset(h + 1, 0, size);
  return h + 1;
}

// Pages are page-aligned like the kernel's: the header sits just before.
constexpr uint64_t kPageMagic = 0x6b766d70705f7067ULL;
void* raw_page_alloc() {
  void* base = nullptr;
  if (posix_memalign(&base, 4096, 2 * 4096)) return nullptr;
  memset(base, 0, 2 * 4096);
  auto* page = static_cast<char*>(base) + 4096;
  Header* h = reinterpret_cast<Header*>(page) - 1;
  h->magic = kPageMagic;
  h->counted = 1;
  g_outstanding++;
  return page;
}

void raw_free(void* p) {
  if (!p) return;
  Header* h = static_cast<Header*>(p) - 1;
  if (h->magic == kPageMagic) {
    h->magic = 0;
    g_outstanding--;
    free(static_cast<char*>(p) - 4096);
    return;
  }
  if (h->magic != kMagic) abort();
  if (h->counted) g_outstanding--;
  h->magic = 0;
  free(h);
}

bool should_fail() { return g_fail_after > 0 && --g_fail_after == 0; }

std::map<const kvmg_lock_class*, std::string> g_lock_classes;
void note_lock_class(const kvmg_lock_class* c) {
  const char* name = c ? c->name : nullptr;
  auto [it, added] = g_lock_classes.emplace(c, name ? name : "");
  if (!added && it->second != (name ? name : "")) it->second = "";
}

}  // namespace

// Every operator new/delete of the test binary goes through the tagged blocks.
void* operator new(size_t n) {
  void* p = raw_alloc(n, false, false);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return raw_alloc(n, false, false); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return raw_alloc(n, false, false);
}
void operator delete(void* p) noexcept { raw_free(p); }
void operator delete[](void* p) noexcept { raw_free(p); }
void operator delete(void* p, size_t) noexcept { raw_free(p); }
void operator delete[](void* p, size_t) noexcept { raw_free(p); }

void* operator new(size_t size, kxx::Alloc ctx) noexcept { return kvmg_alloc(size, unsigned(ctx)); }
void* operator new[](size_t size, kxx::Alloc ctx) noexcept {
  return kvmg_alloc(size, unsigned(ctx));
}

extern "C" {

void* kvmg_alloc(size_t size, unsigned int flags) {
  if (should_fail()) return nullptr;
  return raw_alloc(size, true, flags & KVMG_ALLOC_ZERO);
}
void kvmg_free(void* p) { raw_free(p); }
void* kvmg_page_alloc(void) {
  if (should_fail()) return nullptr;
  return raw_page_alloc();
}
void kvmg_page_free(void* va) { raw_free(va); }
// "Physical" addresses are the user-space addresses themselves.
uint64_t kvmg_virt_to_phys(const void* va) { return reinterpret_cast<uint64_t>(va); }
void* kvmg_phys_to_virt(uint64_t pa) { return reinterpret_cast<void*>(pa); }
long kvmg_alloc_outstanding(void) { return g_outstanding; }

int kvmg_copy_from_user(void* dst, uint64_t src, size_t n) {
  if (src < fake::kBadUserLimit) return -EFAULT;
  memcpy(dst, reinterpret_cast<const void*>(src), n);
  return 0;
}
int kvmg_read_user_u32(uint32_t* dst, uint64_t src) { return kvmg_copy_from_user(dst, src, 4); }
int kvmg_read_user_u64(uint64_t* dst, uint64_t src) { return kvmg_copy_from_user(dst, src, 8); }
int kvmg_copy_to_user(uint64_t dst, const void* src, size_t n) {
  if (dst < fake::kBadUserLimit) return -EFAULT;
  memcpy(reinterpret_cast<void*>(dst), src, n);
  return 0;
}

bool kvmg_user_range_ok(uint64_t addr, uint64_t size) {
  constexpr uint64_t kTaskSizeMax = 0x7ffffffff000ULL;  // x86-64, 4-level paging
  return addr <= kTaskSizeMax && size <= kTaskSizeMax - addr;
}

static_assert(sizeof(std::shared_mutex) <= sizeof(kvmg_rwsem));
void kvmg_rwsem_init(struct kvmg_rwsem* s, struct kvmg_lock_class* c) {
  note_lock_class(c);
  new (s->opaque) std::shared_mutex;
}
void kvmg_rwsem_down_read(struct kvmg_rwsem* s) {
  reinterpret_cast<std::shared_mutex*>(s->opaque)->lock_shared();
}
void kvmg_rwsem_up_read(struct kvmg_rwsem* s) {
  reinterpret_cast<std::shared_mutex*>(s->opaque)->unlock_shared();
}
void kvmg_rwsem_down_write(struct kvmg_rwsem* s) {
  reinterpret_cast<std::shared_mutex*>(s->opaque)->lock();
}
void kvmg_rwsem_up_write(struct kvmg_rwsem* s) {
  reinterpret_cast<std::shared_mutex*>(s->opaque)->unlock();
}

static_assert(sizeof(std::mutex) <= sizeof(kvmg_spinlock));
void kvmg_spin_init(struct kvmg_spinlock* l, struct kvmg_lock_class* c) {
  note_lock_class(c);
  new (l->opaque) std::mutex;
}
void kvmg_spin_lock(struct kvmg_spinlock* l) { reinterpret_cast<std::mutex*>(l->opaque)->lock(); }
void kvmg_spin_unlock(struct kvmg_spinlock* l) {
  reinterpret_cast<std::mutex*>(l->opaque)->unlock();
}

// RCU: the tests are single-threaded where it matters; a synchronize inside
// a read-side section would deadlock in the kernel, so it fails here.
static thread_local int t_rcu_depth = 0;
void kvmg_rcu_read_lock(void) { t_rcu_depth++; }
void kvmg_rcu_read_unlock(void) { t_rcu_depth--; }
void kvmg_synchronize_rcu(void) {
  if (t_rcu_depth != 0) kvmg_warn_once("synchronize_rcu inside an RCU read-side section");
}

static_assert(sizeof(std::mutex) <= sizeof(kvmg_mutex));
void kvmg_mutex_init(struct kvmg_mutex* m, struct kvmg_lock_class* c) {
  note_lock_class(c);
  new (m->opaque) std::mutex;
}
void kvmg_mutex_lock(struct kvmg_mutex* m) { reinterpret_cast<std::mutex*>(m->opaque)->lock(); }
void kvmg_mutex_unlock(struct kvmg_mutex* m) { reinterpret_cast<std::mutex*>(m->opaque)->unlock(); }
void kvmg_mutex_destroy(struct kvmg_mutex* m) {
  using std::mutex;
  reinterpret_cast<mutex*>(m->opaque)->~mutex();
}

void* kvmg_mm_grab_current(void) { return const_cast<void*>(g_mm); }
void kvmg_mm_drop(void*) {}
void* kvmg_pages_alloc(unsigned int order) {
  if (order != 0) abort();  // only single pages are needed in user space
  return kvmg_page_alloc();
}
void kvmg_pages_free(void* va, unsigned int) { kvmg_page_free(va); }
const void* kvmg_current_mm(void) { return g_mm; }
unsigned int kvmg_num_online_cpus(void) { return 2; }
unsigned int kvmg_nr_cpu_ids(void) { return 2; }
unsigned int kvmg_this_cpu(void) { return 0; }
bool kvmg_signal_pending(void) {
  if (g_signal_after < 0) return false;
  if (g_signal_after == 0) return true;
  g_signal_after--;
  return false;
}
unsigned int kvmg_sigset_size(void) { return 8; }
uint64_t g_sigmask = 0;
int g_sigmask_depth = 0;
void kvmg_sigmask_enter(const void* set) {
  memcpy(&g_sigmask, set, 8);
  g_sigmask_depth++;
}
void kvmg_sigmask_leave(void) { g_sigmask_depth--; }
void kvmg_cond_resched(void) {}
void kvmg_guest_enter_irqoff(void) {}
void kvmg_guest_exit_irqoff(void) {}
bool kvmg_entry_must_wait(void) { return kvmg_signal_pending(); }
bool kvmg_poll_must_stop(void) { return kvmg_signal_pending(); }
void kvmg_halt_poll_params_get(struct kvmg_halt_poll_params* p) { *p = fake::g_halt_poll; }
// A pause in a busy-wait: time moves on (and timers fire).
void kvmg_cpu_relax(void) { fake::advance_time(fake::kCpuRelaxNs); }
void kvmg_kick_cpu_wait(unsigned int) {}
bool kvmg_virt_enabled_this_cpu(void) { return true; }
void kvmg_x86_kick_cpu_async(unsigned int) {}

// Wait queues never block: a waiter whose condition is false sees a signal.
void kvmg_waitq_init(struct kvmg_waitq*) {}
void kvmg_waitq_wake(struct kvmg_waitq*) {}
int kvmg_waitq_wait(struct kvmg_waitq*, bool (*done)(void*), void* arg) {
  for (uint64_t waited = 0; !done(arg) && fake::g_wait_passes_ns && waited < 1000000000;
       waited += fake::g_wait_passes_ns)
    fake::advance_time(fake::g_wait_passes_ns);
  return done(arg) ? 0 : -EINTR;
}

// Time stands still until a test moves it; timers fire when a test says.
namespace {
uint64_t g_now_ns = 1000000000;
struct FakeTimer {
  void (*fn)(void*);
  void* arg;
  uint64_t expires;  // 0: not armed
};
std::set<FakeTimer*> g_timers;
}  // namespace
uint64_t kvmg_monotonic_ns(void) { return g_now_ns; }
void* kvmg_timer_create(void (*fn)(void*), void* arg) {
  auto* t = static_cast<FakeTimer*>(kvmg_alloc(sizeof(FakeTimer), KVMG_ALLOC_ZERO));
  if (!t) return nullptr;
  *t = {fn, arg, 0};
  g_timers.insert(t);
  return t;
}
void kvmg_timer_start(void* t, uint64_t expires) { static_cast<FakeTimer*>(t)->expires = expires; }
void kvmg_timer_cancel(void* t) { static_cast<FakeTimer*>(t)->expires = 0; }
void kvmg_timer_destroy(void* t) {
  if (!t) return;
  g_timers.erase(static_cast<FakeTimer*>(t));
  kvmg_free(t);
}

// The VMM's memory is this process's memory: "physical" = virtual address.
int kvmg_get_user_page(uint64_t hva, bool, uint64_t* pa, void** page) {
  g_slow_page_lookups++;
  if (hva < fake::kBadUserLimit) return -EFAULT;
  *pa = hva & ~uint64_t(4095);
  *page = reinterpret_cast<void*>(*pa);
  return 0;
}
int kvmg_get_user_page_fast(uint64_t hva, bool, uint64_t* pa, void** page) {
  if (!g_fast_pages || hva < fake::kBadUserLimit) return -EFAULT;  // as if nothing were mapped
  *pa = hva & ~uint64_t(4095);
  *page = reinterpret_cast<void*>(*pa);
  return 0;
}
void kvmg_put_page(void*) {}
int kvmg_user_huge_mapping(uint64_t) { return 0; }
void* kvmg_page_address(void* page) { return page; }
void* kvmg_mmu_notifier_register(void* owner) { return owner; }
void kvmg_mmu_notifier_unregister(void*) {}

unsigned int kvmg_x86_host_paging_levels(void) { return 4; }
uint64_t kvmg_x86_host_xcr0(void) { return g_host_xcr0; }
void kvmg_x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
  auto it = g_cpuid.find({leaf, subleaf});
  for (int i = 0; i < 4; i++) regs[i] = it == g_cpuid.end() ? 0 : it->second[i];
}
uint64_t kvmg_x86_rdtsc(void) { return g_tsc; }
unsigned int kvmg_x86_tsc_khz(void) { return g_tsc_khz; }
int kvmg_x86_has(enum kvmg_x86_feature f) {
  return g_svm ? (f == KVMG_X86_SVM || f == KVMG_X86_NPT)
               : (f == KVMG_X86_VMX || f == KVMG_X86_EPT);
}
void kvmg_host_clock_read(struct kvmg_host_clock* c) {
  *c = g_clock;
  c->tsc = g_tsc;
}
int kvmg_current_pid(void) { return g_pid; }
bool kvmg_yield_to(int pid) {
  g_yields.push_back(pid);
  return true;
}
int kvmg_rdmsr_safe(uint32_t msr, uint64_t* val) {
  auto it = g_host_msrs.find(msr);
  if (it == g_host_msrs.end()) return -EIO;
  *val = it->second;
  return 0;
}
bool kvmg_x86_host_has_pku(void) { return false; }
void* kvmg_fpu_alloc(void) { return kvmg_alloc(64, KVMG_ALLOC_ZERO); }
void kvmg_fpu_free(void* fpu) { kvmg_free(fpu); }
void kvmg_fpu_load_guest(void*) {}
void kvmg_fpu_put_guest(void*) {}
int kvmg_x86_entry_begin(void) { return kvmg_virt_enabled_this_cpu() ? int(kvmg_this_cpu()) : -1; }
void kvmg_x86_entry_cancel(void) {}
void kvmg_x86_entry_end(void) {}
void kvmg_x86_restore_host_debugregs(void) {}
void kvmg_x86_machine_check(void) {}
void kvmg_x86_ibpb_on_switch(void) {}
void kvmg_fpu_get_uabi(void*, void* buf, unsigned int size, uint64_t, uint32_t) {
  memset(buf, 0, size);
}
int kvmg_fpu_set_uabi(void*, const void*, uint64_t, uint32_t*) { return 0; }

static int new_fd(bool vcpu, void* object) {
  if (g_fail_fd) return -std::exchange(g_fail_fd, 0);
  int fd = g_next_fd++;
  g_files[fd] = {vcpu, object};
  return fd;
}
int kvmg_fd_create_vm(void* vm) { return new_fd(false, vm); }
int kvmg_fd_create_vcpu(void* vcpu, unsigned int) { return new_fd(true, vcpu); }
int kvmg_fd_create_stats(void* object, bool vcpu, unsigned int) {
  int fd = new_fd(vcpu, object);
  if (fd >= 0) g_files[fd].stats = true;
  return fd;
}

void kvmg_log(int, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
void kvmg_warn_once(const char* what) {
  fprintf(stderr, "WARN: %s\n", what);
  g_warnings++;
}

}  // extern "C"

namespace fake {
void fail_alloc_after(long n) { g_fail_after = n; }
void fail_next_fd(int err) { g_fail_fd = err; }
void set_current_mm(const void* mm) { g_mm = mm; }
std::map<int, File>& files() { return g_files; }
std::multimap<std::string, const kvmg_lock_class*> lock_classes() {
  std::multimap<std::string, const kvmg_lock_class*> by_name;
  for (auto& [c, name] : g_lock_classes) by_name.emplace(name, c);
  return by_name;
}
void close_fd(int fd) {
  auto it = g_files.find(fd);
  if (it == g_files.end()) abort();
  File f = it->second;
  g_files.erase(it);
  if (f.stats)
    kvm_core_stats_release(f.object, f.vcpu);
  else if (f.vcpu)
    kvm_core_vcpu_release(f.object);
  else
    kvm_core_vm_release(f.object);
}
void close_all() {
  while (!g_files.empty()) close_fd(g_files.begin()->first);
}
int warnings() { return g_warnings; }
void signal_after(long n) { g_signal_after = n; }
void set_fast_pages(bool mapped) { g_fast_pages = mapped; }
int slow_page_lookups() { return g_slow_page_lookups; }
void set_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx,
                    uint32_t edx) {
  g_cpuid[{leaf, subleaf}] = {eax, ebx, ecx, edx};
}
void clear_host_cpuid() { g_cpuid.clear(); }
void set_host_xcr0(uint64_t xcr0) { g_host_xcr0 = xcr0; }
void set_tsc(uint64_t tsc) { g_tsc = tsc; }
void set_tsc_khz(unsigned khz) { g_tsc_khz = khz; }
void set_host_msr(uint32_t msr, uint64_t value) { g_host_msrs[msr] = value; }
void set_host_clock(uint64_t base_ns, uint64_t real_ns, bool tsc_exact) {
  g_clock.base_ns = base_ns;
  g_clock.real_ns = real_ns;
  g_clock.tsc_exact = tsc_exact;
}
void set_vendor_svm(bool svm) { g_svm = svm; }
void set_current_pid(int pid) { g_pid = pid; }
std::vector<int>& yields() { return g_yields; }
void reset() {
  close_all();
  g_halt_poll = {0, 2, 10000, 2};
  g_wait_passes_ns = 0;
  g_fail_after = 0;
  g_fail_fd = 0;
  g_mm = reinterpret_cast<const void*>(0x1000);
  g_warnings = 0;
  g_signal_after = -1;
  g_fast_pages = true;
  g_slow_page_lookups = 0;
  default_host_cpuid();
  g_host_msrs = {{0x8b, 0x0a0011d1}};  // IA32_UCODE_REV (AMD: patch level)
  g_host_xcr0 = 7;
  g_tsc = 1000000;
  g_tsc_khz = 2000000;
  g_clock = {0, 5000000000ull, 1700000000000000000ull, true};
  g_svm = true;
  g_pid = 4242;
  g_yields.clear();
}
}  // namespace fake

namespace fake {
void advance_time(uint64_t ns) {
  g_now_ns += ns;
  for (FakeTimer* t : std::set<FakeTimer*>(g_timers)) {
    if (t->expires && t->expires <= g_now_ns) {
      t->expires = 0;
      t->fn(t->arg);
    }
  }
}
uint64_t now_ns() { return g_now_ns; }
}  // namespace fake

// SPDX-License-Identifier: GPL-2.0
// Control over the fake glue (fake_glue.cpp) for the unit tests.
#pragma once

#include <glue/core.h>
#include <glue/glue.h>

#include <map>
#include <string>
#include <vector>

namespace fake {

// Fail the allocation that is the Nth from now (1 = the next one); 0 = never.
void fail_alloc_after(long n);
// Fail the next fd creation with this errno (0 = succeed).
void fail_next_fd(int err);
// The "current process": an arbitrary address space identity.
void set_current_mm(const void* mm);
// Open fds: fd number -> (is_vcpu, object).
struct File {
  bool vcpu;
  void* object;
  bool stats = false;  // a KVM_GET_STATS_FD file (of a vCPU when vcpu)
};
std::map<int, File>& files();
// Close an fd like the kernel would (calls the core's release).
void close_fd(int fd);
void close_all();
// User addresses below this are unmapped: copies fail with -EFAULT.
inline constexpr uint64_t kBadUserLimit = 4096;
int warnings();
// kvmg_signal_pending() answers false @n times, then true; -1: never.
void signal_after(long n);
// Whether kvmg_get_user_page_fast finds pages mapped (default true).
void set_fast_pages(bool mapped);
// Calls of kvmg_get_user_page (the slow path, which may fault pages in).
int slow_page_lookups();
// The x86 host: CPUID leaves (EAX, EBX, ECX, EDX by leaf and subleaf; a
// missing one reads as zeros), XCR0, the TSC and its frequency, and MSRs
// kvmg_rdmsr_safe reads (a missing one faults). reset() restores a default
// AMD host (x87/SSE/AVX, 48-bit physical addresses, TSC at 2 GHz).
void set_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx,
                    uint32_t edx);
void clear_host_cpuid();
void set_host_xcr0(uint64_t xcr0);
void set_tsc(uint64_t tsc);
void set_tsc_khz(unsigned khz);
void set_host_msr(uint32_t msr, uint64_t value);
// Host clocks (glue/clock.h): the kvmclock base and real time that go with
// the current TSC, and whether the clocksource is the TSC (default: 5 s
// since boot, a 2023 real time, TSC clocksource). The vendor (SVM unless
// set otherwise), the calling task's pid and the directed yields made.
void set_host_clock(uint64_t base_ns, uint64_t real_ns, bool tsc_exact);
void set_vendor_svm(bool svm);
void set_current_pid(int pid);
std::vector<int>& yields();
// The monotonic clock: move it forward, firing the timers that expire.
void advance_time(uint64_t ns);
// Halt polling's module parameters (off unless a test turns it on), and
// how far time moves in one busy-wait pause.
inline kvmg_halt_poll_params g_halt_poll = {0, 2, 10000, 2};
inline constexpr uint64_t kCpuRelaxNs = 100;
// A wait that is not over at once lets time pass in steps of this much
// (firing timers) until it is, for at most a second; 0: it ends at once, as
// if interrupted by a signal.
inline uint64_t g_wait_passes_ns = 0;
uint64_t now_ns();
// Reset everything above (not the allocation count).
void reset();
// The lock classes (KVMPP_LOCK_CLASS) that lock inits were given, by name;
// a class given under two names, or a lock given none, is recorded as "".
std::multimap<std::string, const kvmg_lock_class*> lock_classes();

}  // namespace fake

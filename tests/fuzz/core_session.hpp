// SPDX-License-Identifier: GPL-2.0
// One fuzz input's run of the user-space core (the unit tests' fake glue):
// a clean fake host, a backend that never enters a guest, and on the way out
// every fd closed and the checks the unit tests make (nothing allocated
// through the glue left, no eventfd or work item left, no WARN). A broken
// check aborts, which libFuzzer reports as a crash.
//
// Time: the fake monotonic clock only moves forward and is shared by all
// inputs. Each session starts on the next multiple of kEpochNs, so that an
// input sees the same clock readings (to kEpochNs) whenever it runs, and may
// move it by at most kTimeBudgetNs.
#pragma once

#include <abi/kvm_abi.h>
#include <stdint.h>
#include <kvmpp/backend.hpp>

#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include "fuzz_input.hpp"

namespace fuzz {

// An ioctl argument with a flexible array: a @Head and room for @n
// @Entry elements after it, zeroed.
template <typename Head, typename Entry>
class Flex {
 public:
  explicit Flex(unsigned n) : n_(n), mem_(new uint64_t[words(n)]()) {}
  ~Flex() { delete[] mem_; }
  Flex(const Flex&) = delete;
  Flex& operator=(const Flex&) = delete;
  Head* head() { return reinterpret_cast<Head*>(mem_); }
  Entry* entries() {
    return reinterpret_cast<Entry*>(reinterpret_cast<uint8_t*>(mem_) + sizeof(Head));
  }
  unsigned capacity() const { return n_; }
  unsigned long arg() const { return reinterpret_cast<unsigned long>(mem_); }

 private:
  static size_t words(unsigned n) { return (sizeof(Head) + n * sizeof(Entry) + 7) / 8; }
  unsigned n_;
  uint64_t* mem_;
};

class CoreSession {
 public:
  static constexpr uint64_t kEpochNs = uint64_t(1) << 34;
  static constexpr uint64_t kTimeBudgetNs = uint64_t(1) << 33;

  CoreSession();
  ~CoreSession();
  CoreSession(const CoreSession&) = delete;
  CoreSession& operator=(const CoreSession&) = delete;

  static long dev(unsigned cmd, unsigned long arg = 0);
  static long vm_ioctl(long vm_fd, unsigned cmd, unsigned long arg = 0);
  static long vcpu_ioctl(long vcpu_fd, unsigned cmd, unsigned long arg = 0);
  template <typename T>
  static unsigned long ptr(T* p) {
    return reinterpret_cast<unsigned long>(p);
  }
  // A user address below the fake's first mapped page: copies fail.
  static constexpr unsigned long kBadUser = 8;

  static kvmpp::Vm& vm(long fd);
  static kvmpp::Vcpu& vcpu(long fd);
  // Whether @fd is an open fd of this session.
  static bool open(long fd);

  // Zeroed guest RAM of @size bytes at guest-physical @gpa in @slot; freed
  // at the end of the session (after the fds are closed).
  uint8_t* add_ram(long vm_fd, uint32_t slot, uint64_t gpa, uint64_t size);

  // Move the fake clock forward (firing expired timers), within the budget.
  void advance(uint64_t ns);
  // Run queued work items (the PIT's injections, irqfd work).
  static void run_work();

  // Make the @n-th glue allocation from now fail (0: none), for one call.
  static void fail_alloc_after(long n);

 private:
  long baseline_ = 0;
  uint64_t time_used_ = 0;
  static constexpr unsigned kMaxRam = 4;
  void* ram_[kMaxRam] = {};
  unsigned rams_ = 0;
};

}  // namespace fuzz

// SPDX-License-Identifier: GPL-2.0
// Control over the fake glue (fake_glue.cpp) for the unit tests.
#pragma once

#include <glue/core.h>
#include <glue/glue.h>

#include <map>

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
};
std::map<int, File>& files();
// Close an fd like the kernel would (calls the core's release).
void close_fd(int fd);
void close_all();
// User addresses below this are unmapped: copies fail with -EFAULT.
inline constexpr uint64_t kBadUserLimit = 4096;
int warnings();
// Reset everything above (not the allocation count).
void reset();

}  // namespace fake

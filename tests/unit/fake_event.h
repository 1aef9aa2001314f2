// SPDX-License-Identifier: GPL-2.0
// Control over the fake event glue (fake_event.cpp): eventfds, deferred work.
#pragma once

#include <glue/event.h>

#include <cstdint>

namespace fake {

// A new fake eventfd (fd numbers from 100000), and an open fd that is not an
// eventfd. Unknown fds give -EBADF.
int make_eventfd();
int make_other_fd();
// close(): the file is released; watchers see a hangup. The context lives
// on while referenced.
void close_eventfd(int fd);
// write(fd, 1): wakes the watchers (which consume the counter), else counts.
void signal_eventfd(int fd);
// read(): the counter, reset to 0.
uint64_t eventfd_count(int fd);
// Eventfd contexts alive (leak check), and watches hooked right now.
int live_eventfds();
int hooked_watches();
// Run the queued work items (and what they queue); how many ran.
int run_work();
// Whether kvmg_in_interrupt() says the caller is in interrupt context.
void set_in_interrupt(bool in);
int queued_work();
// Whether kvmg_work_destroy() runs a queued item before freeing it, as the
// kernel's cancel_work_sync() waits for an item that has already started.
void set_work_runs_when_destroyed(bool runs);
// Forget every fd (between tests).
void reset_events();

}  // namespace fake

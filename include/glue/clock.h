/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host clocks and scheduling hints for paravirtual guests (kvmclock and
 * the KVM hypercalls). Implemented in arch/x86/kvm/glue/x86_clock.c and
 * virt/kvm/glue/glue_sched.c; faked in tests/unit/fake_glue.cpp.
 */
#ifndef KVMPP_GLUE_CLOCK_H
#define KVMPP_GLUE_CLOCK_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The host's clocks read together. @base_ns counts nanoseconds since boot,
 * suspend included, at the rate of the kernel's raw monotonic clock: what
 * kvmclock counts from. @real_ns is CLOCK_REALTIME. When @tsc_exact, the
 * kernel's clocksource is the TSC and the three values are one reading of it
 * (the TSC is then stable and synchronized across CPUs); otherwise they are
 * read one after the other.
 */
struct kvmg_host_clock {
	uint64_t tsc;
	uint64_t base_ns;
	uint64_t real_ns;
	bool tsc_exact;
};
void kvmg_host_clock_read(struct kvmg_host_clock *c);

/*
 * A directed yield (@pid as kvmg_current_pid() in glue.h returns it): give the rest of this time slice to task @pid if it is runnable but
 * waiting for a CPU. True when it was boosted. May sleep.
 */
bool kvmg_yield_to(int pid);

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_GLUE_CLOCK_H */

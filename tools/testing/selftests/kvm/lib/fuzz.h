/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VM fuzzers (ioctl_fuzz, guest_fuzz) share: deterministic
 * randomness, and episodes run one by one, each in its own process under a
 * watchdog, with a replay command for any that fails.
 */
#ifndef KVMPP_SELFTEST_FUZZ_H
#define KVMPP_SELFTEST_FUZZ_H

#include "test.h"

/* splitmix64, seeded per episode by fuzz_main(). */
extern uint64_t fuzz_rng;
uint64_t rnd(void);
uint64_t below(uint64_t n);   /* 0 .. n-1; 0 for n == 0 */
int chance(unsigned int pct); /* true pct times in 100 */

/*
 * Run episodes [first, first + count) of @name: each in a child process
 * that seeds the randomness from (seed, episode), installs a no-op handler
 * without SA_RESTART for SIGALRM and SIGUSR1 (they end KVM_RUN), calls
 * @episode and exits with test_failures. A child that hangs past
 * @watchdog_s, dies of a signal or exits non-zero fails its episode.
 * FUZZ_VERBOSE names each episode as it starts. Prints TAP and returns the
 * exit status; @summary (may be NULL) prints the fuzzer's own counts.
 * Arguments: [episodes [seed [first]]].
 */
/* "# exit reasons: N:count ..." for the nonzero counts of @reasons[64]. */
void fuzz_print_reasons(const unsigned long *reasons);

int fuzz_main(const char *name, int argc, char **argv, unsigned long default_episodes,
	      int watchdog_s, void (*episode)(unsigned long n), void (*summary)(void));

#endif

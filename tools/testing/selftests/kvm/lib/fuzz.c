// SPDX-License-Identifier: GPL-2.0
#include "fuzz.h"

#include <signal.h>
#include <time.h>

uint64_t fuzz_rng;

uint64_t rnd(void)
{
	uint64_t z = (fuzz_rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

int chance(unsigned int pct)
{
	return below(100) < pct;
}

void fuzz_print_reasons(const unsigned long *reasons)
{
	printf("# exit reasons:");
	for (unsigned int r = 0; r < 64; r++)
		if (reasons[r])
			printf(" %u:%lu", r, reasons[r]);
	printf("\n");
}

static void noop(int sig)
{
	(void)sig;
}

/* One episode in a child under the watchdog: NULL, or why it failed. */
static const char *run_one(unsigned long n, uint64_t seed, int watchdog_s,
			   void (*episode)(unsigned long n))
{
	static char why[64];
	pid_t child = fork();
	int status, waited;

	if (child == 0) {
		struct sigaction sa = { .sa_handler = noop };

		sigaction(SIGALRM, &sa, NULL);
		sigaction(SIGUSR1, &sa, NULL);
		fuzz_rng = seed ^ (n * 0x2545f4914f6cdd1dull);
		episode(n);
		_exit(test_failures ? 1 : 0);
	}
	ASSERT_TRUE(child > 0);
	for (waited = 0; waited < watchdog_s * 100; waited++) {
		if (waitpid(child, &status, WNOHANG) == child)
			break;
		usleep(10000);
	}
	if (waited == watchdog_s * 100) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		return "hung (killed by the watchdog)";
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "died of signal %d", WTERMSIG(status));
		return why;
	}
	if (WEXITSTATUS(status)) {
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
		return why;
	}
	return NULL;
}

int fuzz_main(const char *name, int argc, char **argv, unsigned long default_episodes,
	      int watchdog_s, void (*episode)(unsigned long n), void (*summary)(void))
{
	unsigned long episodes = argc > 1 ? strtoul(argv[1], NULL, 0) : default_episodes;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	unsigned long first = argc > 3 ? strtoul(argv[3], NULL, 0) : 0;
	unsigned long n, failed = 0;
	time_t start = time(NULL);

	printf("TAP version 13\n1..1\n");
	printf("# %lu episodes from %lu, seed %#llx\n", episodes, first, (unsigned long long)seed);
	fflush(stdout);
	for (n = first; n < first + episodes; n++) {
		const char *why;

		/* FUZZ_VERBOSE: each episode as it starts (for a machine that dies). */
		if (getenv("FUZZ_VERBOSE")) {
			printf("# episode %lu\n", n);
			fflush(stdout);
		}
		why = run_one(n, seed, watchdog_s, episode);
		if (why) {
			printf("# episode %lu (seed %#llx): %s; again: %s 1 %#llx %lu\n", n,
			       (unsigned long long)seed, why, name, (unsigned long long)seed, n);
			failed++;
		}
	}
	printf("# %lu episodes in %ld s, %lu failed\n", episodes, (long)(time(NULL) - start),
	       failed);
	if (summary)
		summary();
	printf("%s 1 %s\n", failed ? "not ok" : "ok", name);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The live-migration test's guest workload (scripts/vm/qemu-migrate.sh).
 *
 *   migload MIB_PER_CPU [PAUSE_MS]        (SIGTERM ends it and its workers)
 *
 * One process per online CPU, pinned to it. Each keeps a counter and an area
 * of MIB_PER_CPU MiB in 1 MiB chunks. Round r (r = 1, 2, ...) rewrites chunk
 * r % NCHUNK with a pattern derived from (cpu, r, word index), then reads the
 * whole area back and compares every word with what the counter implies: the
 * chunk's last writer was round r - ((r - chunk) mod NCHUNK). A page the
 * hypervisor failed to log as dirty during a migration reaches the
 * destination with an older round's pattern and fails the comparison.
 * After each round it prints one line on the console:
 *
 *   MIGLOAD cpu=C counter=R sum=S ok
 *   MIGLOAD cpu=C counter=R sum=S BAD words=N chunk=I word=J got=X want=Y
 *
 * where S is the sum of the area's 64-bit words (as read). The first NCHUNK
 * rounds only fill the area (printed as "fill").
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1UL << 20)
#define WORDS (CHUNK / sizeof(uint64_t))

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t pattern(int cpu, uint64_t round, uint64_t chunk, uint64_t word)
{
	return mix(((uint64_t)cpu << 56) ^ (round << 24) ^ (chunk * WORDS + word));
}

static void say(const char *buf)
{
	/* One write(2) per line, so the CPUs' lines do not interleave. */
	if (write(1, buf, strlen(buf)) < 0)
		_exit(2);
}

static void worker(int cpu, unsigned long nchunk, long pause_ms)
{
	cpu_set_t set;
	uint64_t *area;
	char line[256];

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		snprintf(line, sizeof(line), "MIGLOAD cpu=%d cannot pin: %m\n", cpu);
		say(line);
		_exit(1);
	}
	area = mmap(NULL, nchunk * CHUNK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (area == MAP_FAILED) {
		snprintf(line, sizeof(line), "MIGLOAD cpu=%d mmap: %m\n", cpu);
		say(line);
		_exit(1);
	}
	mlock(area, nchunk * CHUNK);
	for (uint64_t r = 1;; r++) {
		uint64_t c = r % nchunk, sum = 0, bad = 0;
		uint64_t *p = area + c * WORDS;
		unsigned long bchunk = 0, bword = 0;
		uint64_t got = 0, want = 0;

		for (unsigned long w = 0; w < WORDS; w++)
			p[w] = pattern(cpu, r, c, w);
		for (unsigned long i = 0; i < nchunk; i++) {
			uint64_t last = r - ((r + nchunk - i) % nchunk);
			uint64_t *q = area + i * WORDS;

			for (unsigned long w = 0; w < WORDS; w++) {
				uint64_t v = q[w];

				sum += v;
				if (r >= nchunk && v != pattern(cpu, last, i, w) && !bad++) {
					bchunk = i, bword = w, got = v;
					want = pattern(cpu, last, i, w);
				}
			}
		}
		if (r < nchunk)
			snprintf(line, sizeof(line), "MIGLOAD cpu=%d counter=%llu fill\n", cpu,
				 (unsigned long long)r);
		else if (!bad)
			snprintf(line, sizeof(line), "MIGLOAD cpu=%d counter=%llu sum=%016llx ok\n", cpu,
				 (unsigned long long)r, (unsigned long long)sum);
		else
			snprintf(line, sizeof(line),
				 "MIGLOAD cpu=%d counter=%llu sum=%016llx BAD words=%llu chunk=%lu word=%lu got=%016llx want=%016llx\n",
				 cpu, (unsigned long long)r, (unsigned long long)sum,
				 (unsigned long long)bad, bchunk, bword, (unsigned long long)got,
				 (unsigned long long)want);
		say(line);
		if (pause_ms > 0) {
			struct timespec ts = { pause_ms / 1000, (pause_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

static pid_t pid[64];
static long ncpu;

static void stop(int sig)
{
	(void)sig;
	for (long cpu = 0; cpu < ncpu; cpu++)
		if (pid[cpu] > 0)
			kill(pid[cpu], SIGKILL);
	_exit(0);
}

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 16;
	long pause_ms = argc > 2 ? strtol(argv[2], NULL, 0) : 100;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu > 64)
		ncpu = 64;
	if (mib < 2 || ncpu < 1) {
		fprintf(stderr, "usage: migload MIB_PER_CPU(>=2) [PAUSE_MS]\n");
		return 1;
	}
	signal(SIGTERM, stop);
	for (int cpu = 0; cpu < ncpu; cpu++) {
		pid[cpu] = fork();
		if (pid[cpu] == 0)
			worker(cpu, mib, pause_ms);
	}
	/* Runs until killed; a worker that dies ends the whole workload. */
	wait(NULL);
	say("MIGLOAD a worker exited\n");
	stop(0);
	return 1;
}

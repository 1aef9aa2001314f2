// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/kvm ABI under hostile use, deterministic from a seed. Each
 * episode, in its own process under a watchdog, opens /dev/kvm, makes VMs,
 * vCPUs, memory slots (their RAM full of random bytes: random guest code)
 * and eventfds, then issues random ioctls on random fds:
 *   - every ioctl the ABI has, on the fd kind it belongs to and on the
 *     others, and random command numbers;
 *   - arguments that are valid, at the boundaries or hostile: zero, huge
 *     and sign-flipped counts, NULL, unmapped, kernel-half and PROT_NONE
 *     pointers, buffers that run into an unmapped page, pointers planted
 *     inside the structures (bitmaps, user addresses);
 *   - KVM_RUN, interrupted by a timer so a looping guest cannot hang it;
 *   - fds closed in random order, fork() with the fds used from the child,
 *     the VMM's memory unmapped under its slots.
 * Race episodes run a vCPU thread in KVM_RUN while the main thread deletes
 * and re-adds slots, unmaps guest RAM, assigns and deassigns irqfds, closes
 * the VM fd and changes vCPU state.
 *
 * The host's health (no oops, WARN or leak) is judged by the runner after
 * the test; here an episode fails only if it hangs or its process dies of
 * a signal. A failing episode prints its number and seed: "ioctl_fuzz
 * EPISODES SEED FIRST" runs from that episode on.
 *   ioctl_fuzz [episodes [seed [first]]]   (default: 150 episodes, seed 1)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "lib/fuzz.h"
#include "lib/vm.h"

#define WATCHDOG_S 20
#define OPS_PER_EPISODE 400
#define MAX_FDS 32
#define RAM_SIZE (1u << 20)
#define SCRATCH_SIZE (64u << 10)
#define RUN_SLICE_US 2000

/* What the episodes did, summed over all of them (shared memory). */
struct counts {
	unsigned long ioctls, succeeded, runs, exits, reasons[64];
};
static struct counts *counts;

/* Count an ioctl's outcome (roughly: threads and forked children race). */
static long counted(long r)
{
	counts->ioctls++;
	if (r >= 0)
		counts->succeeded++;
	return r;
}
#define fuzz_ioctl(fd, cmd, arg) counted(ioctl(fd, cmd, arg))

/* Values at the edges of every field width. */
static uint64_t interesting(void)
{
	static const uint64_t v[] = {
		0,	    1,		2,	    3,		 4,	     7,
		8,	    15,		16,	    31,		 32,	     63,
		64,	    127,	128,	    255,	 256,	     511,
		512,	    1023,	1024,	    4095,	 4096,	     0x7fff,
		0x8000,	    0xffff,	0x10000,    0x7fffffff, 0x80000000, 0xffffffff,
		1ull << 32, 1ull << 40, 1ull << 47, 1ull << 52, 1ull << 63, ~0ull,
	};

	if (chance(20))
		return rnd();
	if (chance(10))
		return -(int64_t)v[below(sizeof(v) / sizeof(v[0]))];
	return v[below(sizeof(v) / sizeof(v[0]))];
}

/* ---- memory handed to the kernel ---- */

static uint8_t *scratch;  /* SCRATCH_SIZE, read-write */
static uint8_t *scratch2; /* a second buffer, for pointers inside structures */
static uint8_t *edge;     /* a read-write page followed by a PROT_NONE one */

static void *map_or_die(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	return p;
}

static void memory_init(void)
{
	scratch = map_or_die(SCRATCH_SIZE, PROT_READ | PROT_WRITE);
	scratch2 = map_or_die(SCRATCH_SIZE, PROT_READ | PROT_WRITE);
	edge = map_or_die(2 * 4096, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(mprotect(edge + 4096, 4096, PROT_NONE) == 0);
}

/* A pointer for a structure to hold, mostly hostile. */
static uint64_t hostile_pointer(void)
{
	switch (below(7)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 0xffff888000000000ull; /* the kernel's half */
	case 3: return (uint64_t)(uintptr_t)(edge + 4096); /* PROT_NONE */
	case 4: return (uint64_t)(uintptr_t)(edge + 4096 - 8 * below(8)); /* runs into it */
	case 5: return interesting();
	default: return (uint64_t)(uintptr_t)(scratch2 + 8 * below(SCRATCH_SIZE / 8 - 64));
	}
}

/*
 * Fill the scratch buffer as a structure: zeros, random bytes or
 * boundary values, with count fields (the first words) and pointers
 * planted now and then.
 */
static void fill_scratch(void)
{
	size_t n = 64 + below(4096);
	size_t i;

	switch (below(3)) {
	case 0: memset(scratch, 0, n); break;
	case 1:
		for (i = 0; i < n; i += 8) {
			uint64_t r = rnd();

			memcpy(scratch + i, &r, 8);
		}
		break;
	default:
		for (i = 0; i < n; i += 8) {
			uint64_t r = chance(50) ? 0 : interesting();

			memcpy(scratch + i, &r, 8);
		}
		break;
	}
	/* A count at the front (nmsrs, nent, nr, len): often small, sometimes not. */
	if (chance(60)) {
		uint32_t c = chance(70) ? (uint32_t)below(8) : (uint32_t)interesting();

		memcpy(scratch, &c, 4);
	}
	for (i = 0; i < 4; i++) {
		if (chance(25)) {
			uint64_t p = hostile_pointer();

			memcpy(scratch + 8 * below(n / 8), &p, 8);
		}
	}
	for (i = 0; i < SCRATCH_SIZE / 8; i += 64)
		((uint64_t *)scratch2)[i] = rnd();
}

/* The argument of an ioctl: usually the scratch structure, sometimes not memory at all. */
static unsigned long ioctl_arg(unsigned long cmd)
{
	size_t size = (cmd >> 16) & 0x3fff;

	switch (below(12)) {
	case 0: return 0;
	case 1: return interesting();
	case 2: return 0xffff888000000000ul;
	case 3: return (unsigned long)(edge + 4096);
	case 4: /* the structure runs into the PROT_NONE page */
		return (unsigned long)(edge + 4096 - (size ? 1 + below(size) : 1));
	default: fill_scratch(); return (unsigned long)scratch;
	}
}

/* ---- the fds of an episode ---- */

enum kind { K_SYS, K_VM, K_VCPU, K_STATS, K_EVENT, K_OTHER };

struct fd {
	int fd;
	enum kind kind;
	struct kvm_run *run; /* vCPUs: the mapped kvm_run, or NULL */
};

static struct fd fds[MAX_FDS];
static int nfds;
static long run_size;

static void add_fd(int fd, enum kind kind)
{
	if (fd < 0 || nfds == MAX_FDS) {
		if (fd >= 0)
			close(fd);
		return;
	}
	fds[nfds].fd = fd;
	fds[nfds].kind = kind;
	fds[nfds].run = NULL;
	if (kind == K_VCPU && run_size > 0) {
		void *p = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		fds[nfds].run = p == MAP_FAILED ? NULL : p;
	}
	nfds++;
}

static struct fd *pick(enum kind kind)
{
	int i, start = (int)below(nfds ? nfds : 1);

	for (i = 0; i < nfds; i++) {
		struct fd *f = &fds[(start + i) % nfds];

		if (f->kind == kind && f->fd >= 0)
			return f;
	}
	return NULL;
}

static void close_fd(struct fd *f)
{
	if (f->run)
		munmap(f->run, run_size);
	f->run = NULL;
	close(f->fd);
	f->fd = -1;
}

/* ---- ioctls by fd kind ---- */

static const unsigned long sys_cmds[] = {
	KVM_GET_API_VERSION,	   KVM_CREATE_VM,
	KVM_GET_MSR_INDEX_LIST,	   KVM_GET_MSR_FEATURE_INDEX_LIST,
	KVM_CHECK_EXTENSION,	   KVM_GET_VCPU_MMAP_SIZE,
	KVM_GET_SUPPORTED_CPUID,   KVM_GET_EMULATED_CPUID,
	KVM_GET_MSRS,		   KVM_X86_GET_MCE_CAP_SUPPORTED,
	KVM_GET_DEVICE_ATTR,	   KVM_HAS_DEVICE_ATTR,
};

static const unsigned long vm_cmds[] = {
	KVM_CREATE_VCPU,	     KVM_SET_NR_MMU_PAGES,	  KVM_GET_NR_MMU_PAGES,
	KVM_SET_USER_MEMORY_REGION,  KVM_SET_USER_MEMORY_REGION2, KVM_ENABLE_CAP,
	KVM_REGISTER_COALESCED_MMIO, KVM_UNREGISTER_COALESCED_MMIO, KVM_GET_STATS_FD,
	KVM_X86_SET_MSR_FILTER,	     KVM_SET_BOOT_CPU_ID,	  KVM_CHECK_EXTENSION,
	KVM_GET_DIRTY_LOG,	     KVM_CLEAR_DIRTY_LOG,	  KVM_CREATE_IRQCHIP,
	KVM_IRQ_LINE,		     KVM_IRQ_LINE_STATUS,	  KVM_GET_IRQCHIP,
	KVM_SET_IRQCHIP,	     KVM_CREATE_PIT,		  KVM_CREATE_PIT2,
	KVM_GET_PIT,		     KVM_SET_PIT,		  KVM_GET_PIT2,
	KVM_SET_PIT2,		     KVM_REINJECT_CONTROL,	  KVM_IRQFD,
	KVM_IOEVENTFD,		     KVM_SET_GSI_ROUTING,	  KVM_SIGNAL_MSI,
	KVM_SET_TSS_ADDR,	     KVM_SET_IDENTITY_MAP_ADDR,	  KVM_GET_CLOCK,
	KVM_SET_CLOCK,		     KVM_SET_TSC_KHZ,		  KVM_GET_TSC_KHZ,
	KVM_RESET_DIRTY_RINGS,	     KVM_GET_DEVICE_ATTR,	  KVM_SET_DEVICE_ATTR,
	KVM_HAS_DEVICE_ATTR,
};

static const unsigned long vcpu_cmds[] = {
	KVM_RUN,	       KVM_GET_REGS,	     KVM_SET_REGS,	  KVM_GET_SREGS,
	KVM_SET_SREGS,	       KVM_GET_SREGS2,	     KVM_SET_SREGS2,	  KVM_TRANSLATE,
	KVM_INTERRUPT,	       KVM_GET_MSRS,	     KVM_SET_MSRS,	  KVM_SET_CPUID,
	KVM_SET_CPUID2,	       KVM_GET_CPUID2,	     KVM_SET_SIGNAL_MASK, KVM_GET_FPU,
	KVM_SET_FPU,	       KVM_GET_LAPIC,	     KVM_SET_LAPIC,	  KVM_NMI,
	KVM_GET_MP_STATE,      KVM_SET_MP_STATE,     KVM_SET_GUEST_DEBUG, KVM_GET_VCPU_EVENTS,
	KVM_SET_VCPU_EVENTS,   KVM_GET_DEBUGREGS,    KVM_SET_DEBUGREGS,	  KVM_GET_XSAVE,
	KVM_SET_XSAVE,	       KVM_GET_XSAVE2,	     KVM_GET_XCRS,	  KVM_SET_XCRS,
	KVM_SET_TSC_KHZ,       KVM_GET_TSC_KHZ,	     KVM_ENABLE_CAP,	  KVM_GET_STATS_FD,
	KVM_KVMCLOCK_CTRL,     KVM_TPR_ACCESS_REPORTING, KVM_SET_VAPIC_ADDR, KVM_X86_SETUP_MCE,
	KVM_X86_SET_MCE,       KVM_PRE_FAULT_MEMORY, KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR,
	KVM_HAS_DEVICE_ATTR,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int ram_fd_ok;
static uint8_t *ram; /* the guest RAM of slot 0, RAM_SIZE */

/* KVM_RUN, cut short by a timer: a guest that loops cannot hang the episode. */
static void run_vcpu(struct fd *f)
{
	/* Periodic: one that fired before KVM_RUN began would leave it running. */
	struct itimerval t = { .it_value = { .tv_usec = 1 + below(RUN_SLICE_US) },
			       .it_interval = { .tv_usec = RUN_SLICE_US } };
	struct itimerval off = { 0 };

	if (f->run && chance(10))
		f->run->immediate_exit = 1;
	setitimer(ITIMER_REAL, &t, NULL);
	counts->runs++;
	if (ioctl(f->fd, KVM_RUN, 0) == 0 && f->run) {
		counts->exits++;
		counts->reasons[f->run->exit_reason & 63]++;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	if (f->run)
		f->run->immediate_exit = 0;
}

/* A memory slot: valid-looking mostly, hostile sometimes. */
static void set_slot(int vm)
{
	struct kvm_userspace_memory_region r = { 0 };

	r.slot = chance(80) ? (uint32_t)below(4) : (uint32_t)interesting();
	r.flags = chance(80) ? (uint32_t)below(4) & KVM_MEM_LOG_DIRTY_PAGES : (uint32_t)interesting();
	r.guest_phys_addr = chance(80) ? below(16) << 20 : interesting();
	r.memory_size = chance(80) ? (below(RAM_SIZE / 4096) + 1) * 4096 : interesting();
	if (chance(10))
		r.memory_size = 0; /* delete */
	r.userspace_addr = chance(80) ? (uint64_t)(uintptr_t)ram : hostile_pointer();
	fuzz_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

/* An eventfd wired to the VM as an irqfd or an ioeventfd, or torn down. */
static void wire_eventfd(int vm)
{
	struct fd *e = pick(K_EVENT);
	int efd = e && chance(90) ? e->fd : (int)interesting();

	if (chance(50)) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)efd, .gsi = (uint32_t)below(32) };

		if (chance(30))
			irqfd.flags = chance(50) ? KVM_IRQFD_FLAG_DEASSIGN : (uint32_t)interesting();
		fuzz_ioctl(vm, KVM_IRQFD, &irqfd);
	} else {
		struct kvm_ioeventfd io = { .addr = chance(50) ? 0x10 : below(1 << 20),
					    .len = (uint32_t)(1u << below(4)),
					    .fd = efd };

		io.flags = (uint32_t)below(16);
		io.datamatch = below(4);
		fuzz_ioctl(vm, KVM_IOEVENTFD, &io);
	}
}

/* One random operation of an episode. */
static void one_op(int kvm)
{
	struct fd *f;
	unsigned long cmd;

	switch (below(20)) {
	case 0: { /* a new VM */
		add_fd((int)fuzz_ioctl(kvm, KVM_CREATE_VM, chance(90) ? 0 : interesting()), K_VM);
		return;
	}
	case 1: { /* a new vCPU */
		if (!(f = pick(K_VM)))
			return;
		add_fd((int)fuzz_ioctl(f->fd, KVM_CREATE_VCPU, chance(90) ? below(4) : interesting()),
		       K_VCPU);
		return;
	}
	case 2:
		if ((f = pick(K_VM)))
			set_slot(f->fd);
		return;
	case 3:
		if ((f = pick(K_VM)))
			wire_eventfd(f->fd);
		return;
	case 4:
		add_fd(eventfd(0, EFD_NONBLOCK), K_EVENT);
		return;
	case 5: { /* a stats fd, read at random offsets */
		enum kind k = chance(50) ? K_VM : K_VCPU;
		int s;
		char buf[512];

		if (!(f = pick(k)))
			return;
		s = (int)fuzz_ioctl(f->fd, KVM_GET_STATS_FD, 0);
		if (s >= 0) {
			if (pread(s, buf, below(sizeof(buf)), chance(80) ? below(4096) : interesting()) < 0)
				errno = 0;
			add_fd(s, K_STATS);
		}
		return;
	}
	case 6:
	case 7:
	case 8: /* KVM_RUN */
		if ((f = pick(K_VCPU)))
			run_vcpu(f);
		return;
	case 9: /* close something */
		if (nfds && chance(30)) {
			f = &fds[below(nfds)];
			if (f->fd >= 0 && f->kind != K_SYS)
				close_fd(f);
		}
		return;
	case 10: /* map a vCPU fd at a random page */
		if ((f = pick(K_VCPU))) {
			size_t len = (1 + below(4)) * 4096;
			void *p = mmap(NULL, len, PROT_READ | (chance(50) ? PROT_WRITE : 0), MAP_SHARED,
				       f->fd, (off_t)(chance(70) ? below(4) : below(128)) * 4096);

			if (p != MAP_FAILED)
				munmap(p, len);
		}
		return;
	case 11: /* random bytes as the guest's RAM */
		if (ram_fd_ok)
			for (size_t i = 0; i < 64; i++)
				ram[below(RAM_SIZE)] = (uint8_t)rnd();
		return;
	default:
		break;
	}
	/* An ioctl on some fd: its own kind's, another kind's, or a random one. */
	f = &fds[below(nfds)];
	if (f->fd < 0)
		return;
	switch (f->kind) {
	case K_SYS: cmd = sys_cmds[below(N(sys_cmds))]; break;
	case K_VM: cmd = vm_cmds[below(N(vm_cmds))]; break;
	case K_VCPU: cmd = vcpu_cmds[below(N(vcpu_cmds))]; break;
	default: cmd = vm_cmds[below(N(vm_cmds))]; break;
	}
	if (chance(10))
		cmd = vcpu_cmds[below(N(vcpu_cmds))];
	if (chance(5))
		cmd = chance(50) ? (unsigned long)rnd() : (0xAEul << 8 | below(256) | below(4) << 30 |
							  (unsigned long)below(4096) << 16);
	if (cmd == KVM_RUN) {
		if (f->kind == K_VCPU)
			run_vcpu(f);
		return;
	}
	if (cmd == KVM_SET_SIGNAL_MASK) {
		/* Never block the timer that ends KVM_RUN. */
		fill_scratch();
		uint32_t len = chance(80) ? 8 : (uint32_t)interesting();
		uint64_t set = rnd() & ~(1ull << (SIGALRM - 1)) & ~(1ull << (SIGUSR1 - 1));

		memcpy(scratch, &len, 4);
		memcpy(scratch + 4, &set, 8);
		fuzz_ioctl(f->fd, cmd, scratch);
		return;
	}
	if (cmd == KVM_CREATE_VM || cmd == KVM_CREATE_VCPU || cmd == KVM_GET_STATS_FD) {
		long r = fuzz_ioctl(f->fd, cmd, chance(80) ? below(4) : interesting());

		add_fd((int)r, cmd == KVM_CREATE_VM ? K_VM : cmd == KVM_CREATE_VCPU ? K_VCPU : K_STATS);
		return;
	}
	fuzz_ioctl(f->fd, cmd, ioctl_arg(cmd));
}

/* ---- episodes ---- */

static void episode_set_up(int kvm)
{
	nfds = 0;
	add_fd(kvm, K_SYS);
	run_size = fuzz_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ram_fd_ok = ram != MAP_FAILED;
	ASSERT_TRUE(ram_fd_ok);
	for (size_t i = 0; i < RAM_SIZE; i += 8) {
		uint64_t r = rnd();

		memcpy(ram + i, &r, 8);
	}
}

/* Close what is left, in a random order. */
static void episode_tear_down(void)
{
	while (nfds) {
		int i = (int)below(nfds);

		if (fds[i].fd >= 0)
			close_fd(&fds[i]);
		fds[i] = fds[--nfds];
	}
}

static void ops_episode(void)
{
	int kvm = open_kvm();
	int i;

	episode_set_up(kvm);
	for (i = 0; i < OPS_PER_EPISODE; i++)
		one_op(kvm);
	episode_tear_down();
}

/* fork() with the fds shared: the child keeps using them, the parent too. */
static void fork_episode(void)
{
	int kvm = open_kvm();
	int i, status;
	pid_t child;

	episode_set_up(kvm);
	for (i = 0; i < OPS_PER_EPISODE / 4; i++)
		one_op(kvm);
	child = fork();
	if (child == 0) {
		fuzz_rng ^= 0x5555;
		for (i = 0; i < OPS_PER_EPISODE / 4; i++)
			one_op(kvm);
		if (chance(50))
			episode_tear_down();
		_exit(0);
	}
	for (i = 0; i < OPS_PER_EPISODE / 4; i++)
		one_op(kvm);
	if (chance(50))
		episode_tear_down();
	if (child > 0) {
		waitpid(child, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			test_fail(__FILE__, __LINE__, "forked child ended with status %#x", status);
	}
	episode_tear_down();
}

static volatile int racing;

struct racer {
	int vcpu;
	pthread_t thread;
};

static void *race_runner(void *arg)
{
	struct racer *r = arg;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
	struct itimerspec every = { .it_interval = { .tv_nsec = RUN_SLICE_US * 1000 },
				    .it_value = { .tv_nsec = RUN_SLICE_US * 1000 } };
	timer_t timer;

	/* This thread's own timer ends each KVM_RUN, so the vCPU's lock is
	 * free between runs for the main thread's ioctls on it. */
	ev._sigev_un._tid = gettid(); /* sigev_notify_thread_id */
	ASSERT_TRUE(timer_create(CLOCK_MONOTONIC, &ev, &timer) == 0);
	ASSERT_TRUE(timer_settime(timer, 0, &every, NULL) == 0);
	while (racing) {
		counts->runs++;
		if (ioctl(r->vcpu, KVM_RUN, 0) == 0)
			counts->exits++;
	}
	timer_delete(timer);
	return NULL;
}

/* A vCPU in KVM_RUN while the VM's slots, memory, irqfds and fds change. */
static void race_episode(void)
{
	int kvm = open_kvm();
	struct fd *vm, *vcpu;
	struct racer r;
	struct kvm_userspace_memory_region slot = { 0 };
	int i;

	episode_set_up(kvm);
	add_fd((int)fuzz_ioctl(kvm, KVM_CREATE_VM, 0), K_VM);
	vm = pick(K_VM);
	ASSERT_TRUE(vm != NULL);
	if (chance(50))
		fuzz_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0);
	slot.memory_size = RAM_SIZE;
	slot.userspace_addr = (uint64_t)(uintptr_t)ram;
	ASSERT_TRUE(fuzz_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot) == 0);
	add_fd((int)fuzz_ioctl(vm->fd, KVM_CREATE_VCPU, 0), K_VCPU);
	add_fd(eventfd(0, EFD_NONBLOCK), K_EVENT);
	vcpu = pick(K_VCPU);
	ASSERT_TRUE(vcpu != NULL);
	r.vcpu = vcpu->fd;
	racing = 1;
	ASSERT_TRUE(pthread_create(&r.thread, NULL, race_runner, &r) == 0);
	for (i = 0; i < OPS_PER_EPISODE / 4; i++) {
		switch (below(8)) {
		case 0: /* delete slot 0 and add it back */
			slot.memory_size = 0;
			fuzz_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot);
			slot.memory_size = RAM_SIZE;
			fuzz_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot);
			break;
		case 1: /* the VMM unmaps guest RAM, then maps fresh memory there */
			munmap(ram + below(RAM_SIZE / 4096) * 4096, 4096 * (1 + below(16)));
			mmap(ram, RAM_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 2: wire_eventfd(vm->fd); break;
		case 3: { /* the guest's state changed under it */
			struct kvm_regs regs;

			if (fuzz_ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0) {
				regs.rip = below(RAM_SIZE);
				fuzz_ioctl(vcpu->fd, KVM_SET_REGS, &regs);
			}
			break;
		}
		case 4: /* the VMM drops its VM fd while the vCPU runs */
			if (chance(10) && vm->fd >= 0)
				close_fd(vm);
			break;
		default: /* kick the runner out of KVM_RUN */
			pthread_kill(r.thread, SIGUSR1);
			sched_yield();
			break;
		}
		if (vm->fd < 0)
			break;
	}
	racing = 0;
	for (i = 0; i < 1000; i++) {
		pthread_kill(r.thread, SIGUSR1);
		if (pthread_tryjoin_np(r.thread, NULL) == 0)
			break;
		usleep(1000);
	}
	ASSERT_TRUE(i < 1000);
	episode_tear_down();
}

static void one_episode(unsigned long n)
{
	memory_init();
	switch (n % 4) {
	case 0:
	case 1: ops_episode(); break;
	case 2: fork_episode(); break;
	default: race_episode(); break;
	}
}

static void summary(void)
{
	printf("# %d operations per episode: %lu ioctls (%lu succeeded), %lu KVM_RUN, %lu exits "
	       "to user space\n",
	       OPS_PER_EPISODE, counts->ioctls, counts->succeeded, counts->runs, counts->exits);
	fuzz_print_reasons(counts->reasons);
}

int main(int argc, char **argv)
{
	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_TRUE(counts != MAP_FAILED);
	return fuzz_main("ioctl_fuzz", argc, argv, 150, WATCHDOG_S, one_episode, summary);
}

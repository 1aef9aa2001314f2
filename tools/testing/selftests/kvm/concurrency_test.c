// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs on threads and several VMs at once; a signal interrupting
 * KVM_RUN; a process killed while its vCPUs run; memory slots changing
 * under running vCPUs. Leaks show up when kvm.ko is unloaded later.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#include "lib/vm.h"

/* Send AX..AX+99 to port 0x10, then halt. */
GUEST_CODE(counter, ".code16\n mov $100, %cx\n 1: out %ax, $0x10\n inc %ax\n loop 1b\n hlt\n");
GUEST_CODE(spin, ".code16\n 1: jmp 1b\n");

struct worker {
	struct vcpu *v;
	uint16_t first;
	int ok;
};

static void *count_worker(void *arg)
{
	struct worker *w = arg;
	uint16_t expect = w->first;
	int i;

	for (i = 0; i < 100; i++) {
		if (vcpu_run(w->v) || w->v->run->exit_reason != KVM_EXIT_IO ||
		    *(uint16_t *)vcpu_io_data(w->v) != expect++)
			return NULL;
	}
	w->ok = vcpu_run(w->v) == 0 && w->v->run->exit_reason == KVM_EXIT_HLT;
	return NULL;
}

static void start_counter(struct vm *vm, struct worker *w, int id, uint16_t first)
{
	struct kvm_regs r;

	w->v = vm_add_vcpu(vm, id);
	w->first = first;
	vcpu_real_mode(w->v, 0x1000);
	r = vcpu_regs(w->v);
	r.rax = first;
	ASSERT_TRUE(ioctl(w->v->fd, KVM_SET_REGS, &r) == 0);
}

static void test_vcpus_on_threads(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct worker w[4] = { 0 };
	pthread_t t[4];
	int i;

	vm_load(vm, 0x1000, counter_start, counter_end);
	for (i = 0; i < 4; i++)
		start_counter(vm, &w[i], i, i * 1000);
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, count_worker, &w[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_TRUE(w[i].ok);
	}
}

static void test_vms_at_once(void)
{
	struct worker w[6] = { 0 };
	pthread_t t[6];
	int i;

	for (i = 0; i < 3; i++) {
		struct vm *vm = vm_with_ram(1 << 20);

		vm_load(vm, 0x1000, counter_start, counter_end);
		start_counter(vm, &w[2 * i], 0, i * 2000);
		start_counter(vm, &w[2 * i + 1], 1, i * 2000 + 500);
	}
	for (i = 0; i < 6; i++)
		pthread_create(&t[i], NULL, count_worker, &w[i]);
	for (i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		EXPECT_TRUE(w[i].ok);
	}
}

static void on_usr1(int sig __attribute__((unused)))
{
}

struct spinner {
	struct vcpu *v;
	int result;
	uint32_t reason;
};

static void *spin_worker(void *arg)
{
	struct spinner *s = arg;

	s->result = vcpu_run(s->v);
	s->reason = s->v->run->exit_reason;
	return NULL;
}

static void test_signal_interrupts_run(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct spinner s = { .v = vm_add_vcpu(vm, 0) };
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	pthread_t t;

	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART */
	vm_load(vm, 0x1000, spin_start, spin_end);
	vcpu_real_mode(s.v, 0x1000);
	pthread_create(&t, NULL, spin_worker, &s);
	nanosleep(&ts, NULL);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(s.result, -EINTR);
	EXPECT_EQ(s.reason, KVM_EXIT_INTR);
}

static void test_killed_while_running(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct vm *vm = vm_with_ram(1 << 20);
		struct spinner s[2] = { { .v = vm_add_vcpu(vm, 0) }, { .v = vm_add_vcpu(vm, 1) } };
		pthread_t t[2];

		vm_load(vm, 0x1000, spin_start, spin_end);
		vcpu_real_mode(s[0].v, 0x1000);
		vcpu_real_mode(s[1].v, 0x1000);
		pthread_create(&t[0], NULL, spin_worker, &s[0]);
		pthread_create(&t[1], NULL, spin_worker, &s[1]);
		pause();
		_exit(0);
	}
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

struct slot_churn {
	struct vm *vm;
	volatile int stop;
	int changes;
};

static void *churn(void *arg)
{
	struct slot_churn *c = arg;
	uint8_t *mem = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	struct kvm_userspace_memory_region r = {
		.slot = 1, .memory_size = 1 << 16, .userspace_addr = (uint64_t)(uintptr_t)mem,
	};

	while (!c->stop) {
		r.guest_phys_addr = 0x200000 + (c->changes % 4) * 0x10000;
		r.memory_size = 1 << 16;
		if (ioctl(c->vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
			break;
		r.memory_size = 0;
		if (ioctl(c->vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
			break;
		c->changes++;
	}
	return NULL;
}

static void test_slots_change_while_running(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct worker w = { 0 };
	struct slot_churn c = { .vm = vm };
	pthread_t t;
	int round;

	vm_load(vm, 0x1000, counter_start, counter_end);
	pthread_create(&t, NULL, churn, &c);
	for (round = 0; round < 20; round++) {
		struct worker fresh = { 0 };

		if (round == 0) {
			start_counter(vm, &w, 0, 0);
		} else {
			struct kvm_regs r = vcpu_regs(w.v);

			r.rip = 0x1000;
			r.rax = 0;
			ASSERT_TRUE(ioctl(w.v->fd, KVM_SET_REGS, &r) == 0);
		}
		fresh = w;
		count_worker(&fresh);
		EXPECT_TRUE(fresh.ok);
	}
	c.stop = 1;
	pthread_join(t, NULL);
	EXPECT_TRUE(c.changes > 0);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_vcpus_on_threads),
		TEST(test_vms_at_once),
		TEST(test_signal_interrupts_run),
		TEST(test_killed_while_running),
		TEST(test_slots_change_while_running),
		{},
	});
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The rest of the ABI QEMU uses to start a guest: machine-check banks
 * (KVM_CAP_MCE, KVM_X86_SETUP_MCE, KVM_X86_SET_MCE), KVM_SET_SIGNAL_MASK,
 * KVM_SET_BOOT_CPU_ID, KVM_KVMCLOCK_CTRL, the TPR shortcuts (KVM_CAP_VAPIC),
 * /dev/kvm's KVM_GET/HAS_DEVICE_ATTR and KVM_CAP_X86_TRIPLE_FAULT_EVENT.
 */
#include <pthread.h>
#include <signal.h>

#include "lib/vm.h"

#define CODE 0x1000
#define STUBS 0x800
#define PORT_EXCEPTION 0x80
#define MCG_CTL_P (1ull << 8)
#define MCI_VAL (1ull << 63)
#define MCI_UC (1ull << 61)
#define MCI_EN (1ull << 60)
#define MCI_PCC (1ull << 57)
#define MCG_MCIP (1ull << 2)
#define MCG_RIPV (1ull << 0)

GUEST_CODE(g_loop, ".code16\n 1: out %al, $0x10\n jmp 1b\n");

static struct vcpu *real_mode_guest(struct vm *vm)
{
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_report_exceptions(vm, STUBS, PORT_EXCEPTION);
	vm_load(vm, CODE, g_loop_start, g_loop_end);
	vcpu_real_mode(v, CODE);
	return v;
}

static void test_mce_setup(void)
{
	int kvm = open_kvm();
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	uint64_t supported = 0, cap;

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MCE), 32);
	ASSERT_TRUE(ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &supported) == 0);
	EXPECT_TRUE(supported & MCG_CTL_P);
	EXPECT_EQ(get_msr(v, 0x179), 32); /* MCG_CAP: 32 banks before set-up */
	cap = 0;
	EXPECT_ERRNO(ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), EINVAL);
	cap = 33;
	EXPECT_ERRNO(ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), EINVAL);
	cap = (~supported & ~0xff00ffull) | 4;
	EXPECT_ERRNO(ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), EINVAL);
	EXPECT_ERRNO(ioctl(v->fd, KVM_X86_SETUP_MCE, NULL), EFAULT);
	cap = MCG_CTL_P | 10;
	EXPECT_EQ(ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), 0);
	EXPECT_EQ(get_msr(v, 0x179), MCG_CTL_P | 10);
	EXPECT_EQ(get_msr(v, 0x17b), ~0ull); /* MCG_CTL: all ones */
	EXPECT_EQ(get_msr(v, 0x400 + 4 * 9), ~0ull); /* MC9_CTL */
	EXPECT_EQ(set_msr(v, 0x400 + 4 * 10, 0), 0); /* no bank 10 */
}

static void test_mce_inject(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = real_mode_guest(vm);
	uint64_t cap = MCG_CTL_P | 4;
	struct kvm_x86_mce m = { .bank = 4, .status = MCI_VAL };
	struct kvm_sregs sr;

	ASSERT_TRUE(ioctl(v->fd, KVM_X86_SETUP_MCE, &cap) == 0);
	EXPECT_ERRNO(ioctl(v->fd, KVM_X86_SET_MCE, &m), EINVAL); /* no bank 4 */
	m.bank = 1;
	m.status = 0;
	EXPECT_ERRNO(ioctl(v->fd, KVM_X86_SET_MCE, &m), EINVAL); /* not valid */
	/* A corrected error is only recorded. */
	m.status = MCI_VAL | MCI_EN | 0x17;
	m.addr = 0x5000;
	EXPECT_EQ(ioctl(v->fd, KVM_X86_SET_MCE, &m), 0);
	EXPECT_EQ(get_msr(v, 0x405), MCI_VAL | MCI_EN | 0x17);
	EXPECT_EQ(get_msr(v, 0x406), 0x5000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	/* An uncorrected one with CR4.MCE set raises #MC (vector 18). */
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &sr) == 0);
	sr.cr4 |= 1 << 6;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &sr) == 0);
	m.bank = 2;
	m.status = MCI_VAL | MCI_UC | MCI_EN | MCI_PCC;
	m.mcg_status = MCG_MCIP | MCG_RIPV;
	EXPECT_EQ(ioctl(v->fd, KVM_X86_SET_MCE, &m), 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, PORT_EXCEPTION);
	EXPECT_EQ(vcpu_io_data(v)[0], 18);
	EXPECT_EQ(get_msr(v, 0x17a), MCG_MCIP | MCG_RIPV);
	/* A second one while MCIP is set shuts the processor down. */
	m.bank = 3;
	EXPECT_EQ(ioctl(v->fd, KVM_X86_SET_MCE, &m), 0);
	vcpu_run_expect(v, KVM_EXIT_SHUTDOWN);
}

static void test_mce_without_cr4(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = real_mode_guest(vm);
	uint64_t cap = MCG_CTL_P | 4;
	struct kvm_x86_mce m = { .bank = 0, .status = MCI_VAL | MCI_UC | MCI_PCC,
				 .mcg_status = MCG_MCIP };

	ASSERT_TRUE(ioctl(v->fd, KVM_X86_SETUP_MCE, &cap) == 0);
	EXPECT_EQ(ioctl(v->fd, KVM_X86_SET_MCE, &m), 0);
	vcpu_run_expect(v, KVM_EXIT_SHUTDOWN);
}

static volatile int usr1_seen;
static void on_usr1(int sig) { (void)sig; usr1_seen = 1; }

/* kvm_signal_mask with its sigset right after len, as the kernel reads it. */
struct sigmask8 {
	uint32_t len;
	uint64_t set;
} __attribute__((packed));

static void test_signal_mask(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = real_mode_guest(vm);
	struct sigmask8 sm = { 8, 0 }, bad = { 4, 0 };
	sigset_t usr1, now;

	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SIGNAL_MASK, &bad), EINVAL);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SIGNAL_MASK, (void *)8), EFAULT);
	/* The thread blocks SIGUSR1; KVM_RUN's mask (empty) lets it stop the run. */
	signal(SIGUSR1, on_usr1);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ASSERT_TRUE(pthread_sigmask(SIG_BLOCK, &usr1, NULL) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SIGNAL_MASK, &sm) == 0);
	usr1_seen = 0;
	pthread_kill(pthread_self(), SIGUSR1);
	EXPECT_ERRNO(ioctl(v->fd, KVM_RUN, 0), EINTR);
	EXPECT_EQ(v->run->exit_reason, KVM_EXIT_INTR);
	/* Back in user space the thread's mask applies again: still pending. */
	EXPECT_EQ(usr1_seen, 0);
	ASSERT_TRUE(sigpending(&now) == 0);
	EXPECT_TRUE(sigismember(&now, SIGUSR1));
	/* A mask that blocks it lets the guest run with the signal pending. */
	sm.set = 1ull << (SIGUSR1 - 1);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SIGNAL_MASK, &sm) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	/* No argument: no mask of its own, the thread's (blocking) applies. */
	EXPECT_EQ(ioctl(v->fd, KVM_SET_SIGNAL_MASK, NULL), 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(usr1_seen, 0);
	ASSERT_TRUE(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL) == 0);
	EXPECT_EQ(usr1_seen, 1);
}

static void test_boot_cpu_id(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	int max_id = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	struct vm *v = vm_with_ram(1 << 20);
	struct vcpu *a, *b;

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_BOOT_CPU_ID), 1);
	EXPECT_ERRNO(ioctl(vm, KVM_SET_BOOT_CPU_ID, (long)max_id + 1), EINVAL);
	EXPECT_EQ(ioctl(v->fd, KVM_SET_BOOT_CPU_ID, 1), 0);
	a = vm_add_vcpu(v, 0);
	b = vm_add_vcpu(v, 1);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_BOOT_CPU_ID, 0), EBUSY);
	EXPECT_EQ(get_msr(a, 0x1b) & (1 << 8), 0);  /* IA32_APIC_BASE.BSP */
	EXPECT_EQ(get_msr(b, 0x1b) & (1 << 8), 1 << 8);
}

static void test_kvmclock_ctrl(void)
{
	int kvm = open_kvm();
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = real_mode_guest(vm);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_KVMCLOCK_CTRL), 1);
	EXPECT_ERRNO(ioctl(v->fd, KVM_KVMCLOCK_CTRL, 0), EINVAL); /* no kvmclock */
	ASSERT_TRUE(set_msr(v, 0x4b564d01, 0x3000 | 1) == 1); /* MSR_KVM_SYSTEM_TIME_NEW */
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(vm->mem[0x3000 + 29] & 2, 0); /* PVCLOCK_GUEST_STOPPED */
	EXPECT_EQ(ioctl(v->fd, KVM_KVMCLOCK_CTRL, 0), 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(vm->mem[0x3000 + 29] & 2, 2);
}

static void test_dev_attr(void)
{
	int kvm = open_kvm();
	uint64_t xcr0 = 0;
	struct kvm_device_attr a = { .group = 0, .attr = 0, .addr = (uint64_t)(uintptr_t)&xcr0 };

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYS_ATTRIBUTES), 1);
	EXPECT_EQ(ioctl(kvm, KVM_HAS_DEVICE_ATTR, &a), 0);
	EXPECT_EQ(ioctl(kvm, KVM_GET_DEVICE_ATTR, &a), 0);
	EXPECT_EQ(xcr0 & 3, 3); /* x87 and SSE at least */
	a.attr = 1;
	EXPECT_ERRNO(ioctl(kvm, KVM_HAS_DEVICE_ATTR, &a), ENXIO);
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_DEVICE_ATTR, &a), ENXIO);
	a.attr = 0;
	a.group = 2;
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_DEVICE_ATTR, &a), ENXIO);
	a.group = 0;
	a.addr = 8;
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_DEVICE_ATTR, &a), EFAULT);
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_DEVICE_ATTR, NULL), EFAULT);
}

static void test_vapic(void)
{
	int kvm = open_kvm();
	struct vm *plain = vm_with_ram(1 << 20), *vm = vm_with_irqchip();
	struct vcpu *p = vm_add_vcpu(plain, 0), *v = vm_add_vcpu(vm, 0);
	struct kvm_vapic_addr va = { 0x2000 };
	struct kvm_tpr_access_ctl tac = { .enabled = 1 };

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VAPIC), 1);
	EXPECT_ERRNO(ioctl(p->fd, KVM_SET_VAPIC_ADDR, &va), EINVAL); /* no local APIC */
	EXPECT_EQ(ioctl(v->fd, KVM_SET_VAPIC_ADDR, &va), 0);
	va.vapic_addr = 1ull << 40; /* not guest memory */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VAPIC_ADDR, &va), EINVAL);
	va.vapic_addr = 0;
	EXPECT_EQ(ioctl(v->fd, KVM_SET_VAPIC_ADDR, &va), 0);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VAPIC_ADDR, NULL), EFAULT);
	EXPECT_EQ(ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, &tac), 0);
	EXPECT_EQ(ioctl(p->fd, KVM_TPR_ACCESS_REPORTING, &tac), 0);
	tac.flags = 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, &tac), EINVAL);
	EXPECT_ERRNO(ioctl(v->fd, KVM_TPR_ACCESS_REPORTING, NULL), EFAULT);
}

static void test_triple_fault_event(void)
{
	int kvm = open_kvm();
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = real_mode_guest(vm);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_TRIPLE_FAULT_EVENT, .args = { 1 } };
	struct kvm_vcpu_events e;

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_TRIPLE_FAULT_EVENT), 1);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_EQ(e.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT, 0);
	e.flags |= KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	e.triple_fault.pending = 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e), EINVAL); /* not enabled */
	ASSERT_TRUE(ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0);
	EXPECT_EQ(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e), 0);
	memset(&e, 0, sizeof(e));
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_TRUE(e.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT);
	EXPECT_EQ(e.triple_fault.pending, 1);
	vcpu_run_expect(v, KVM_EXIT_SHUTDOWN);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_EQ(e.triple_fault.pending, 0);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_mce_setup),
		TEST(test_mce_inject),
		TEST(test_mce_without_cr4),
		TEST(test_signal_mask),
		TEST(test_boot_cpu_id),
		TEST(test_kvmclock_ctrl),
		TEST(test_dev_attr),
		TEST(test_vapic),
		TEST(test_triple_fault_event),
		{},
	});
}

// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD: errnos; a halted guest woken by an MSI and by an I/O APIC pin
 * signalled through eventfds from another thread; a level-triggered
 * resampling irqfd de-asserted by the guest's EOI; fds closed in any order.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>

#include "lib/vm.h"

static int irqfd(int vm, int fd, uint32_t gsi, uint32_t flags, int resamplefd)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd };

	return ioctl(vm, KVM_IRQFD, &a);
}

static void set_routes(int vm, const struct kvm_irq_routing_entry *e, unsigned int n)
{
	struct {
		struct kvm_irq_routing h;
		struct kvm_irq_routing_entry e[4];
	} r = { .h = { .nr = n } };

	memcpy(r.e, e, n * sizeof(*e));
	ASSERT_TRUE(ioctl(vm, KVM_SET_GSI_ROUTING, &r) == 0);
}

static uint64_t count(int efd)
{
	uint64_t n = 0;
	struct pollfd p = { .fd = efd, .events = POLLIN };

	if (poll(&p, 1, 0) == 1)
		EXPECT_EQ(read(efd, &n, 8), 8);
	return n;
}

static void test_errnos(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	int efd = eventfd(0, 0), other = open("/dev/null", O_RDONLY);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE), 1);
	EXPECT_ERRNO(irqfd(vm, efd, 5, 0, 0), EINVAL); /* no in-kernel irqchip */
	ASSERT_TRUE(ioctl(vm, KVM_CREATE_IRQCHIP, 0) == 0);
	EXPECT_ERRNO(irqfd(vm, efd, 5, 1u << 2, 0), EINVAL);
	EXPECT_ERRNO(irqfd(vm, -1, 5, 0, 0), EBADF);
	EXPECT_ERRNO(irqfd(vm, other, 5, 0, 0), EINVAL);
	EXPECT_ERRNO(irqfd(vm, efd, 5, KVM_IRQFD_FLAG_RESAMPLE, -1), EBADF);
	EXPECT_ERRNO(irqfd(vm, efd, 5, KVM_IRQFD_FLAG_RESAMPLE, other), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_IRQFD, (void *)8), EFAULT);
	EXPECT_EQ(irqfd(vm, efd, 5, 0, 0), 0);
	EXPECT_ERRNO(irqfd(vm, efd, 5, 0, 0), EBUSY);
	EXPECT_ERRNO(irqfd(vm, efd, 6, 0, 0), EBUSY);
	EXPECT_ERRNO(irqfd(vm, -1, 5, KVM_IRQFD_FLAG_DEASSIGN, 0), EBADF);
	EXPECT_EQ(irqfd(vm, efd, 6, KVM_IRQFD_FLAG_DEASSIGN, 0), 0); /* no match, no error */
	EXPECT_ERRNO(irqfd(vm, efd, 6, 0, 0), EBUSY);                 /* still there */
	EXPECT_EQ(irqfd(vm, efd, 5, KVM_IRQFD_FLAG_DEASSIGN, 0), 0);
	EXPECT_EQ(irqfd(vm, efd, 6, 0, 0), 0);
	EXPECT_ERRNO(ioctl(create_vcpu(vm, 0), KVM_IRQFD, (void *)8), EINVAL);
}

/* IVT[vector] = handler; STI; HLT until the handler reports with OUT 0x10. */
#define IVT_SET(vec) \
	" movw $(9f - 0b + 0x1000), %ax\n movw %ax, 4*" #vec "\n movw $0, 4*" #vec "+2\n"

GUEST_CODE(wait_guest, ".code16\n"
	   "0:" IVT_SET(0x40) IVT_SET(0x41)
	   " out %al, $0x12\n" /* sync */
	   " sti\n"
	   "1: hlt\n jmp 1b\n"
	   "9: mov $0x77, %al\n out %al, $0x10\n cli\n hlt\n");

struct signaller {
	int fd;
	unsigned int delay_us;
};

static void *signal_later(void *arg)
{
	struct signaller *s = arg;
	uint64_t one = 1;

	usleep(s->delay_us);
	EXPECT_EQ(write(s->fd, &one, 8), 8);
	return NULL;
}

static struct vcpu *start_waiting(struct vm *vm)
{
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_load(vm, 0x1000, wait_guest_start, wait_guest_end);
	vcpu_real_mode(v, 0x1000);
	set_apic_reg(v, APIC_SVR, 0x1ff);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x12);
	return v;
}

/* The guest halts in the kernel; another thread's eventfd write wakes it. */
static void test_msi_wakes_halted_guest(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = start_waiting(vm);
	struct kvm_irq_routing_entry e = { .gsi = 40, .type = KVM_IRQ_ROUTING_MSI };
	struct signaller s = { .fd = eventfd(0, 0), .delay_us = 20000 };
	pthread_t t;

	e.u.msi.address_lo = 0xfee00000;
	e.u.msi.data = 0x40;
	set_routes(vm->fd, &e, 1);
	ASSERT_TRUE(irqfd(vm->fd, s.fd, 40, 0, 0) == 0);
	ASSERT_TRUE(pthread_create(&t, NULL, signal_later, &s) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0], 0x77);
	pthread_join(t, NULL);
	EXPECT_EQ(count(s.fd), 0); /* consumed by the kernel */
}

/* An edge-triggered I/O APIC pin through the default routing, signalled
 * before KVM_RUN (GSIs 16-23 reach the I/O APIC only; below 16 the
 * unprogrammed PIC would interrupt through LINT0 as well). */
static void test_ioapic_pin(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = start_waiting(vm);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	int efd = eventfd(0, 0);
	uint64_t one = 1;

	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) == 0);
	chip.chip.ioapic.redirtbl[20].bits = 0x41;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip) == 0);
	ASSERT_TRUE(write(efd, &one, 8) == 8);
	ASSERT_TRUE(irqfd(vm->fd, efd, 20, 0, 0) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
}

/* Level-triggered with resampling: the guest EOIs through the x2APIC EOI
 * MSR; the line drops and the resample eventfd is signalled. */
GUEST_CODE(eoi_guest, ".code16\n"
	   "0:" IVT_SET(0x42)
	   " out %al, $0x12\n"
	   " sti\n"
	   "1: hlt\n jmp 1b\n"
	   "9: mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
	   " out %al, $0x10\n cli\n hlt\n");

static void test_resample_on_eoi(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_cpuid2 *cpuid = supported_cpuid(vm->kvm);
	int efd = eventfd(0, 0), rfd = eventfd(0, 0);
	uint64_t one = 1;

	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, cpuid) == 0);
	ASSERT_TRUE(set_msr(v, 0x1b, 0xfee00000 | (3u << 10)) == 1); /* x2APIC */
	set_apic_reg(v, APIC_SVR, 0x1ff);
	vm_load(vm, 0x1000, eoi_guest_start, eoi_guest_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) == 0);
	chip.chip.ioapic.redirtbl[21].bits = 0x42 | (1u << 15); /* level */
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip) == 0);
	ASSERT_TRUE(irqfd(vm->fd, efd, 21, KVM_IRQFD_FLAG_RESAMPLE, rfd) == 0);
	ASSERT_TRUE(write(efd, &one, 8) == 8);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(count(rfd), 1);
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) == 0);
	EXPECT_EQ(chip.chip.ioapic.redirtbl[21].fields.remote_irr, 0);
	EXPECT_EQ(chip.chip.ioapic.irr & (1u << 21), 0);
	/* Deassign without the resample flag. */
	EXPECT_EQ(irqfd(vm->fd, efd, 21, KVM_IRQFD_FLAG_DEASSIGN, 0), 0);
	free(cpuid);
}

static void test_close_in_any_order(void)
{
	int round;

	for (round = 0; round < 4; round++) {
		struct vm *vm = vm_with_irqchip();
		int efd = eventfd(0, 0), rfd = eventfd(0, 0);
		uint64_t one = 1;

		ASSERT_TRUE(irqfd(vm->fd, efd, 3, 0, 0) == 0);
		ASSERT_TRUE(irqfd(vm->fd, rfd, 11, KVM_IRQFD_FLAG_RESAMPLE, efd) == 0);
		EXPECT_EQ(write(efd, &one, 8), 8);
		if (round & 1) {
			close(efd); /* hangup: the irqfd goes away by itself */
			close(rfd);
			usleep(10000);
			efd = eventfd(0, 0);
			EXPECT_EQ(irqfd(vm->fd, efd, 3, 0, 0), 0); /* the GSI is free again */
		}
		if (round & 2) {
			close(vm->fd);
			close(efd);
		} else {
			close(efd);
			close(vm->fd);
		}
	}
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_errnos),
		TEST(test_msi_wakes_halted_guest),
		TEST(test_ioapic_pin),
		TEST(test_resample_on_eoi),
		TEST(test_close_in_any_order),
		{},
	});
}

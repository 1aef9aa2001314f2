// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing and MSI: KVM_SET_GSI_ROUTING's validation, KVM_IRQ_LINE_STATUS
 * through the table (the statuses upstream reports), MSI routes and
 * KVM_SIGNAL_MSI with xAPIC and 32-bit x2APIC destinations.
 */
#include "lib/vm.h"

#define MAX_ROUTES 4096

struct routing {
	struct kvm_irq_routing h;
	struct kvm_irq_routing_entry e[8];
};

static struct kvm_irq_routing_entry chip_route(uint32_t gsi, uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry e = { .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP };

	e.u.irqchip.irqchip = chip;
	e.u.irqchip.pin = pin;
	return e;
}

static struct kvm_irq_routing_entry msi_route(uint32_t gsi, uint32_t dest, uint8_t vector)
{
	struct kvm_irq_routing_entry e = { .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI };

	e.u.msi.address_lo = 0xfee00000 | (dest << 12);
	e.u.msi.data = vector;
	return e;
}

static int set_routes(int vm, const struct kvm_irq_routing_entry *e, unsigned int n)
{
	struct routing r = { .h = { .nr = n } };

	memcpy(r.e, e, n * sizeof(*e));
	return ioctl(vm, KVM_SET_GSI_ROUTING, &r);
}

static int one_route(int vm, struct kvm_irq_routing_entry e)
{
	return set_routes(vm, &e, 1);
}

static int line(int vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	ASSERT_TRUE(ioctl(vm, KVM_IRQ_LINE_STATUS, &l) == 0);
	return l.status;
}

static int signal_msi(int vm, uint32_t lo, uint32_t hi, uint32_t data, uint32_t flags)
{
	struct kvm_msi m = { .address_lo = lo, .address_hi = hi, .data = data, .flags = flags };

	return ioctl(vm, KVM_SIGNAL_MSI, &m);
}

static void test_caps(void)
{
	int kvm = open_kvm();

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING), MAX_ROUTES);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI), 1);
}

static void test_routing_errnos(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	struct kvm_irq_routing_entry e[2];
	struct routing r = { .h = { .nr = 0 } };

	/* No in-kernel irqchip: nothing to route to. */
	EXPECT_ERRNO(one_route(vm, chip_route(0, KVM_IRQCHIP_IOAPIC, 0)), EINVAL);
	EXPECT_ERRNO(signal_msi(vm, 0xfee00000, 0, 0x30, 0), EINVAL);
	ASSERT_TRUE(ioctl(vm, KVM_CREATE_IRQCHIP, 0) == 0);

	EXPECT_ERRNO(ioctl(vm, KVM_SET_GSI_ROUTING, (void *)8), EFAULT);
	r.h.flags = 1;
	EXPECT_ERRNO(ioctl(vm, KVM_SET_GSI_ROUTING, &r), EINVAL);
	r.h.flags = 0;
	r.h.nr = MAX_ROUTES + 1;
	EXPECT_ERRNO(ioctl(vm, KVM_SET_GSI_ROUTING, &r), EINVAL);
	EXPECT_EQ(set_routes(vm, NULL, 0), 0); /* an empty table */

	EXPECT_ERRNO(one_route(vm, chip_route(MAX_ROUTES, KVM_IRQCHIP_IOAPIC, 0)), EINVAL);
	EXPECT_ERRNO(one_route(vm, chip_route(1, KVM_IRQCHIP_PIC_MASTER, 8)), EINVAL);
	EXPECT_ERRNO(one_route(vm, chip_route(1, KVM_IRQCHIP_PIC_SLAVE, 8)), EINVAL);
	EXPECT_ERRNO(one_route(vm, chip_route(1, KVM_IRQCHIP_IOAPIC, 24)), EINVAL);
	EXPECT_ERRNO(one_route(vm, chip_route(1, 3, 0)), EINVAL);
	e[0] = chip_route(1, KVM_IRQCHIP_IOAPIC, 1);
	e[0].flags = 1;
	EXPECT_ERRNO(set_routes(vm, e, 1), EINVAL);
	e[0] = chip_route(1, KVM_IRQCHIP_IOAPIC, 1);
	e[0].type = KVM_IRQ_ROUTING_S390_ADAPTER;
	EXPECT_ERRNO(set_routes(vm, e, 1), EINVAL);
	e[0].type = 99;
	EXPECT_ERRNO(set_routes(vm, e, 1), EINVAL);
	/* A GSI reaches each irqchip once, or one MSI alone. */
	e[0] = chip_route(5, KVM_IRQCHIP_IOAPIC, 5);
	e[1] = chip_route(5, KVM_IRQCHIP_IOAPIC, 6);
	EXPECT_ERRNO(set_routes(vm, e, 2), EINVAL);
	e[1] = msi_route(5, 0, 0x30);
	EXPECT_ERRNO(set_routes(vm, e, 2), EINVAL);
	e[0] = msi_route(5, 0, 0x31);
	EXPECT_ERRNO(set_routes(vm, e, 2), EINVAL);
	e[0] = chip_route(5, KVM_IRQCHIP_PIC_MASTER, 5);
	e[1] = chip_route(5, KVM_IRQCHIP_IOAPIC, 5);
	EXPECT_EQ(set_routes(vm, e, 2), 0);
	/* x86 ignores an MSI's device ID, and accepts the flag. */
	e[0] = msi_route(7, 0, 0x30);
	e[0].flags = KVM_MSI_VALID_DEVID;
	EXPECT_EQ(set_routes(vm, e, 1), 0);
	e[0].flags = 2;
	EXPECT_ERRNO(set_routes(vm, e, 1), EINVAL);
	/* KVM_SIGNAL_MSI's flags. */
	EXPECT_ERRNO(signal_msi(vm, 0xfee00000, 0, 0x30, 2), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_SIGNAL_MSI, (void *)8), EFAULT);
}

/* KVM_IRQ_LINE_STATUS through the default table and a user-defined one. */
static void test_line_status(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	set_apic_reg(v, APIC_SVR, 0x1ff);
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) == 0);
	chip.chip.ioapic.redirtbl[17].bits = 0x61 | (1u << 15); /* level */
	chip.chip.ioapic.redirtbl[18].bits = 0x62;              /* edge */
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip) == 0);

	EXPECT_EQ(line(vm->fd, 20, 1), -1); /* masked pin */
	EXPECT_EQ(line(vm->fd, 20, 0), 1);  /* lowering a line */
	EXPECT_EQ(line(vm->fd, 24, 1), -1); /* no route */
	EXPECT_EQ(line(vm->fd, 17, 1), 1);
	EXPECT_TRUE(apic_irr(v, 0x61));
	EXPECT_EQ(line(vm->fd, 17, 1), -1); /* remote IRR: blocked until EOI */
	EXPECT_EQ(line(vm->fd, 18, 1), 1);
	EXPECT_EQ(line(vm->fd, 18, 1), 0);  /* still high: coalesced */
	EXPECT_EQ(line(vm->fd, 18, 0), 1);

	/* GSI 30 to an MSI: asserting delivers, lowering does nothing. */
	EXPECT_EQ(one_route(vm->fd, msi_route(30, 0, 0x70)), 0);
	EXPECT_EQ(line(vm->fd, 30, 1), 1);
	EXPECT_TRUE(apic_irr(v, 0x70));
	EXPECT_EQ(line(vm->fd, 30, 0), -1);
	/* The new table replaced the default one entirely. */
	EXPECT_EQ(line(vm->fd, 18, 1), -1);
}

static void test_signal_msi(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *a = vm_add_vcpu(vm, 0), *b = vm_add_vcpu(vm, 1);

	set_apic_reg(a, APIC_SVR, 0x1ff);
	set_apic_reg(b, APIC_SVR, 0x1ff);
	EXPECT_EQ(signal_msi(vm->fd, 0xfee01000, 0, 0x45, 0), 1); /* to APIC 1 */
	EXPECT_TRUE(apic_irr(b, 0x45));
	EXPECT_TRUE(!apic_irr(a, 0x45));
	EXPECT_EQ(signal_msi(vm->fd, 0xfeeff000, 0, 0x46, 0), 2); /* broadcast */
	EXPECT_TRUE(apic_irr(a, 0x46) && apic_irr(b, 0x46));
	/* Nobody there: delivered to no one. */
	EXPECT_EQ(signal_msi(vm->fd, 0xfee05000, 0, 0x47, 0), 0);
	EXPECT_EQ(signal_msi(vm->fd, 0xfee00000, 0, 0x48, KVM_MSI_VALID_DEVID), 1);
	/* address_hi is ignored without 32-bit x2APIC IDs. */
	EXPECT_EQ(signal_msi(vm->fd, 0xfee00000, 0x100, 0x49, 0), 1);
	EXPECT_TRUE(apic_irr(a, 0x49));
}

static void test_x2apic_destinations(void)
{
	struct vm *vm = vm_with_irqchip();
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X2APIC_API };
	struct vcpu *v;
	int i;

	cap.args[0] = KVM_X2APIC_API_USE_32BIT_IDS;
	ASSERT_TRUE(ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0);
	v = vm_add_vcpu(vm, 0);
	for (i = 1; i < 3; i++)
		vm_add_vcpu(vm, i);
	set_apic_reg(v, APIC_SVR, 0x1ff);
	/* Bits 7:0 of address_hi must be zero with 32-bit IDs. */
	EXPECT_ERRNO(signal_msi(vm->fd, 0xfee00000, 1, 0x50, 0), EINVAL);
	EXPECT_ERRNO(one_route(vm->fd, (struct kvm_irq_routing_entry){
			.gsi = 3, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = 0xfee00000, .address_hi = 1, .data = 0x50 } }),
		     EINVAL);
	EXPECT_EQ(signal_msi(vm->fd, 0xfee00000, 0, 0x52, 0), 1);
	EXPECT_TRUE(apic_irr(v, 0x52));
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_routing_errnos),
		TEST(test_line_status),
		TEST(test_signal_msi),
		TEST(test_x2apic_destinations),
		{},
	});
}

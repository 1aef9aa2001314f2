/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel irqchip state structures of the /dev/kvm ABI (KVM_GET/SET_IRQCHIP,
 * KVM_GET/SET_LAPIC), laid out as Documentation/virt/kvm/api.rst gives them. Kept
 * apart from include/abi/kvm_abi.h until the irqchip ioctls land there; each
 * definition is guarded so that a later copy in kvm_abi.h does not clash.
 */
#ifndef KVMPP_X86_IRQ_ABI_H
#define KVMPP_X86_IRQ_ABI_H

#include <stdint.h>

#ifndef KVM_APIC_REG_SIZE
#define KVM_APIC_REG_SIZE 0x400
/* KVM_GET/SET_LAPIC: the xAPIC register page, registers at their MMIO offsets. */
struct kvm_lapic_state {
	char regs[KVM_APIC_REG_SIZE];
};
#endif

#ifndef KVM_IOAPIC_NUM_PINS
#define KVM_IOAPIC_NUM_PINS 24
/* One 8259A as KVM_GET/SET_IRQCHIP carries it. */
struct kvm_pic_state {
	uint8_t last_irr; /* edge detection */
	uint8_t irr; /* interrupt request register */
	uint8_t imr; /* interrupt mask register */
	uint8_t isr; /* interrupt service register */
	uint8_t priority_add; /* highest irq priority */
	uint8_t irq_base;
	uint8_t read_reg_select;
	uint8_t poll;
	uint8_t special_mask;
	uint8_t init_state;
	uint8_t auto_eoi;
	uint8_t rotate_on_auto_eoi;
	uint8_t special_fully_nested_mode;
	uint8_t init4; /* true if 4 byte init */
	uint8_t elcr; /* PIIX edge/trigger selection */
	uint8_t elcr_mask;
};

struct kvm_ioapic_state {
	uint64_t base_address;
	uint32_t ioregsel;
	uint32_t id;
	uint32_t irr;
	uint32_t pad;
	union {
		uint64_t bits;
		struct {
			uint8_t vector;
			uint8_t delivery_mode : 3;
			uint8_t dest_mode : 1;
			uint8_t delivery_status : 1;
			uint8_t polarity : 1;
			uint8_t remote_irr : 1;
			uint8_t trig_mode : 1;
			uint8_t mask : 1;
			uint8_t reserve : 7;
			uint8_t reserved[4];
			uint8_t dest_id;
		} fields;
	} redirtbl[KVM_IOAPIC_NUM_PINS];
};

#define KVM_IRQCHIP_PIC_MASTER 0
#define KVM_IRQCHIP_PIC_SLAVE 1
#define KVM_IRQCHIP_IOAPIC 2
#define KVM_NR_IRQCHIPS 3

struct kvm_irqchip {
	uint32_t chip_id;
	uint32_t pad;
	union {
		char dummy[512]; /* reserving space */
		struct kvm_pic_state pic;
		struct kvm_ioapic_state ioapic;
	} chip;
};
#endif

#ifdef __cplusplus
static_assert(sizeof(struct kvm_lapic_state) == 1024, "kvm_lapic_state");
static_assert(sizeof(struct kvm_pic_state) == 16, "kvm_pic_state");
static_assert(sizeof(struct kvm_ioapic_state) == 216, "kvm_ioapic_state");
static_assert(__builtin_offsetof(struct kvm_ioapic_state, redirtbl) == 24, "redirtbl");
static_assert(sizeof(((struct kvm_ioapic_state*)0)->redirtbl[0]) == 8, "redirtbl entry");
static_assert(sizeof(struct kvm_irqchip) == 520, "kvm_irqchip");
static_assert(__builtin_offsetof(struct kvm_irqchip, chip) == 8, "kvm_irqchip.chip");
#else
_Static_assert(sizeof(struct kvm_pic_state) == 16, "kvm_pic_state");
_Static_assert(sizeof(struct kvm_ioapic_state) == 216, "kvm_ioapic_state");
_Static_assert(sizeof(struct kvm_irqchip) == 520, "kvm_irqchip");
#endif

#endif /* KVMPP_X86_IRQ_ABI_H */

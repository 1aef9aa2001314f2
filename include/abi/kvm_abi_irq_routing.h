/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GSI routing and MSI injection (api.rst: KVM_SET_GSI_ROUTING,
 * KVM_SIGNAL_MSI). Included by kvm_abi.h.
 */
#ifndef KVMPP_UAPI_KVM_ABI_IRQ_ROUTING_H
#define KVMPP_UAPI_KVM_ABI_IRQ_ROUTING_H

#define KVM_CAP_IRQ_ROUTING 25
#define KVM_CAP_SIGNAL_MSI 77
#define KVM_MAX_IRQ_ROUTES 4096 /* x86 */

#define KVM_IRQ_ROUTING_IRQCHIP 1
#define KVM_IRQ_ROUTING_MSI 2
#define KVM_IRQ_ROUTING_S390_ADAPTER 3
#define KVM_IRQ_ROUTING_HV_SINT 4
#define KVM_IRQ_ROUTING_XEN_EVTCHN 5

#define KVM_MSI_VALID_DEVID (1U << 0)

struct kvm_irq_routing_irqchip {
	uint32_t irqchip;
	uint32_t pin;
};
struct kvm_irq_routing_msi {
	uint32_t address_lo;
	uint32_t address_hi;
	uint32_t data;
	union {
		uint32_t pad;
		uint32_t devid;
	};
};
struct kvm_irq_routing_entry {
	uint32_t gsi;
	uint32_t type;
	uint32_t flags;
	uint32_t pad;
	union {
		struct kvm_irq_routing_irqchip irqchip;
		struct kvm_irq_routing_msi msi;
		uint32_t pad[8]; /* the s390 adapter, Hyper-V SINT and Xen forms */
	} u;
};
struct kvm_irq_routing {
	uint32_t nr;
	uint32_t flags;
	struct kvm_irq_routing_entry entries[];
};

struct kvm_msi {
	uint32_t address_lo;
	uint32_t address_hi;
	uint32_t data;
	uint32_t flags;
	uint32_t devid;
	uint8_t pad[12];
};

#define KVM_SET_GSI_ROUTING KVM_IOW_(0x6a, struct kvm_irq_routing)
#define KVM_SIGNAL_MSI KVM_IOW_(0xa5, struct kvm_msi)

KVM_ABI_ASSERT(sizeof(struct kvm_irq_routing_entry) == 48, "kvm_irq_routing_entry");
KVM_ABI_ASSERT(sizeof(struct kvm_irq_routing) == 8, "kvm_irq_routing");
KVM_ABI_ASSERT(sizeof(struct kvm_msi) == 32, "kvm_msi");
KVM_ABI_ASSERT(KVM_SET_GSI_ROUTING == 0x4008ae6a, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SIGNAL_MSI == 0x4020aea5, "ioctl encoding");

#endif /* KVMPP_UAPI_KVM_ABI_IRQ_ROUTING_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eventfds wired to a VM (api.rst: KVM_IRQFD, KVM_IOEVENTFD): an eventfd that
 * injects an interrupt when signalled, and one the kernel signals when the
 * guest writes an address. Included by kvm_abi.h.
 */
#ifndef KVMPP_UAPI_KVM_ABI_EVENTFD_H
#define KVMPP_UAPI_KVM_ABI_EVENTFD_H

#define KVM_CAP_IRQFD 32
#define KVM_CAP_IOEVENTFD 36
#define KVM_CAP_IRQFD_RESAMPLE 82
#define KVM_CAP_IOEVENTFD_NO_LENGTH 100
#define KVM_CAP_IOEVENTFD_ANY_LENGTH 122

#define KVM_IRQFD_FLAG_DEASSIGN (1 << 0)
/* resamplefd is valid: the GSI is level-triggered, de-asserted on EOI. */
#define KVM_IRQFD_FLAG_RESAMPLE (1 << 1)
struct kvm_irqfd {
	uint32_t fd;
	uint32_t gsi;
	uint32_t flags;
	uint32_t resamplefd;
	uint8_t pad[16];
};

enum {
	kvm_ioeventfd_flag_nr_datamatch,
	kvm_ioeventfd_flag_nr_pio,
	kvm_ioeventfd_flag_nr_deassign,
	kvm_ioeventfd_flag_nr_virtio_ccw_notify,
	kvm_ioeventfd_flag_nr_fast_mmio,
	kvm_ioeventfd_flag_nr_max,
};
#define KVM_IOEVENTFD_FLAG_DATAMATCH (1 << kvm_ioeventfd_flag_nr_datamatch)
#define KVM_IOEVENTFD_FLAG_PIO (1 << kvm_ioeventfd_flag_nr_pio)
#define KVM_IOEVENTFD_FLAG_DEASSIGN (1 << kvm_ioeventfd_flag_nr_deassign)
#define KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY (1 << kvm_ioeventfd_flag_nr_virtio_ccw_notify)
#define KVM_IOEVENTFD_VALID_FLAG_MASK ((1 << kvm_ioeventfd_flag_nr_max) - 1)
struct kvm_ioeventfd {
	uint64_t datamatch;
	uint64_t addr; /* a port (FLAG_PIO) or a guest-physical address */
	uint32_t len;  /* 0, 1, 2, 4 or 8 bytes; 0: any length */
	int32_t fd;
	uint32_t flags;
	uint8_t pad[36];
};

#define KVM_IRQFD KVM_IOW_(0x76, struct kvm_irqfd)
#define KVM_IOEVENTFD KVM_IOW_(0x79, struct kvm_ioeventfd)

KVM_ABI_ASSERT(sizeof(struct kvm_irqfd) == 32, "kvm_irqfd");
KVM_ABI_ASSERT(sizeof(struct kvm_ioeventfd) == 64, "kvm_ioeventfd");
KVM_ABI_ASSERT(KVM_IRQFD == 0x4020ae76, "ioctl encoding");
KVM_ABI_ASSERT(KVM_IOEVENTFD == 0x4040ae79, "ioctl encoding");

#endif /* KVMPP_UAPI_KVM_ABI_EVENTFD_H */

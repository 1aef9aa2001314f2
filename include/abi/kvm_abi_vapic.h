/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TPR shortcuts QEMU's kvmvapic option ROM uses (KVM_CAP_VAPIC):
 * KVM_TPR_ACCESS_REPORTING turns on KVM_EXIT_TPR_ACCESS for guest accesses
 * to the xAPIC's TPR, and KVM_SET_VAPIC_ADDR names a guest word that
 * mirrors the TPR, highest ISR and highest IRR. Included by kvm_abi.h.
 */
#ifndef KVMPP_UAPI_KVM_ABI_VAPIC_H
#define KVMPP_UAPI_KVM_ABI_VAPIC_H

#define KVM_CAP_VAPIC 6

struct kvm_tpr_access_ctl {
	uint32_t enabled;
	uint32_t flags;
	uint32_t reserved[8];
};

struct kvm_vapic_addr {
	uint64_t vapic_addr;
};

#define KVM_TPR_ACCESS_REPORTING KVM_IOWR_(0x92, struct kvm_tpr_access_ctl)
#define KVM_SET_VAPIC_ADDR KVM_IOW_(0x93, struct kvm_vapic_addr)

KVM_ABI_ASSERT(KVM_TPR_ACCESS_REPORTING == 0xc028ae92, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_VAPIC_ADDR == 0x4008ae93, "ioctl encoding");

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Machine-check banks for the guest (api.rst: KVM_CAP_MCE,
 * KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_X86_SETUP_MCE, KVM_X86_SET_MCE).
 * Included by kvm_abi.h.
 */
#ifndef KVMPP_UAPI_KVM_ABI_MCE_H
#define KVMPP_UAPI_KVM_ABI_MCE_H

#define KVM_CAP_MCE 31

/* An error to record in a bank and, if uncorrected, signal with #MC. */
struct kvm_x86_mce {
	uint64_t status;
	uint64_t addr;
	uint64_t misc;
	uint64_t mcg_status;
	uint8_t bank;
	uint8_t pad1[7];
	uint64_t pad2[3];
};

#define KVM_X86_SETUP_MCE KVM_IOW_(0x9c, uint64_t)
#define KVM_X86_SET_MCE KVM_IOW_(0x9e, struct kvm_x86_mce)

KVM_ABI_ASSERT(sizeof(struct kvm_x86_mce) == 64, "kvm_x86_mce");
KVM_ABI_ASSERT(KVM_X86_SETUP_MCE == 0x4008ae9c, "ioctl encoding");
KVM_ABI_ASSERT(KVM_X86_SET_MCE == 0x4040ae9e, "ioctl encoding");

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel i8254 PIT (api.rst: KVM_CREATE_PIT2, KVM_GET/SET_PIT(2),
 * KVM_REINJECT_CONTROL). Included by kvm_abi.h.
 */
#ifndef KVMPP_UAPI_KVM_ABI_PIT_H
#define KVMPP_UAPI_KVM_ABI_PIT_H

#define KVM_CAP_PIT 11
#define KVM_CAP_REINJECT_CONTROL 24
#define KVM_CAP_PIT2 33
#define KVM_CAP_PIT_STATE2 35

struct kvm_pit_channel_state {
	uint32_t count; /* can be 65536 */
	uint16_t latched_count;
	uint8_t count_latched;
	uint8_t status_latched;
	uint8_t status;
	uint8_t read_state;
	uint8_t write_state;
	uint8_t write_latch;
	uint8_t rw_mode;
	uint8_t mode;
	uint8_t bcd;
	uint8_t gate;
	int64_t count_load_time; /* the host's CLOCK_MONOTONIC, in ns */
};
struct kvm_pit_state {
	struct kvm_pit_channel_state channels[3];
};
#define KVM_PIT_FLAGS_HPET_LEGACY 0x00000001
#define KVM_PIT_FLAGS_SPEAKER_DATA_ON 0x00000002
struct kvm_pit_state2 {
	struct kvm_pit_channel_state channels[3];
	uint32_t flags;
	uint32_t reserved[9];
};
struct kvm_pit_config {
	uint32_t flags;
	uint32_t pad[15];
};
/* Port 0x61 (speaker data, channel 2's gate) is emulated in the kernel. */
#define KVM_PIT_SPEAKER_DUMMY 1
struct kvm_reinject_control {
	uint8_t pit_reinject;
	uint8_t reserved[31];
};

#define KVM_CREATE_PIT KVM_IO_(0x64) /* the first API: KVM_CREATE_PIT2 with SPEAKER_DUMMY */
#define KVM_CREATE_PIT2 KVM_IOW_(0x77, struct kvm_pit_config)
#define KVM_GET_PIT KVM_IOWR_(0x65, struct kvm_pit_state)
#define KVM_SET_PIT KVM_IOR_(0x66, struct kvm_pit_state) /* _IOR, as upstream */
#define KVM_GET_PIT2 KVM_IOR_(0x9f, struct kvm_pit_state2)
#define KVM_SET_PIT2 KVM_IOW_(0xa0, struct kvm_pit_state2)
#define KVM_REINJECT_CONTROL KVM_IO_(0x71)

KVM_ABI_ASSERT(sizeof(struct kvm_pit_channel_state) == 24, "kvm_pit_channel_state");
KVM_ABI_ASSERT(sizeof(struct kvm_pit_state2) == 112, "kvm_pit_state2");
KVM_ABI_ASSERT(sizeof(struct kvm_pit_config) == 64, "kvm_pit_config");
KVM_ABI_ASSERT(sizeof(struct kvm_reinject_control) == 32, "kvm_reinject_control");
KVM_ABI_ASSERT(KVM_CREATE_PIT2 == 0x4040ae77, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_PIT == 0xc048ae65, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_PIT == 0x8048ae66, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_PIT2 == 0x8070ae9f, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_PIT2 == 0x4070aea0, "ioctl encoding");
KVM_ABI_ASSERT(KVM_REINJECT_CONTROL == 0xae71, "ioctl encoding");

#endif /* KVMPP_UAPI_KVM_ABI_PIT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The paravirtual part of the x86 ABI: kvmclock and the other KVM MSRs,
 * the KVM CPUID leaves, hypercalls (Documentation/virt/kvm/x86/cpuid.rst,
 * msr.rst, hypercalls.rst), and the ioctls and capabilities around them
 * (api.rst: KVM_GET_CLOCK, KVM_SET_CLOCK, KVM_CAP_ENFORCE_PV_FEATURE_CPUID,
 * KVM_CAP_DISABLE_QUIRKS2, KVM_CAP_X86_DISABLE_EXITS; devices/vcpu.rst:
 * KVM_VCPU_TSC_CTRL). Included by kvm_abi.h.
 */
#ifndef KVMPP_UAPI_KVM_ABI_X86_PV_H
#define KVMPP_UAPI_KVM_ABI_X86_PV_H

/* Capabilities. */
#define KVM_CAP_ADJUST_CLOCK 39
#define KVM_CAP_ENABLE_CAP 54
#define KVM_CAP_DISABLE_QUIRKS 116
#define KVM_CAP_VCPU_ATTRIBUTES 127
#define KVM_CAP_X86_DISABLE_EXITS 143
#define KVM_CAP_ENFORCE_PV_FEATURE_CPUID 190
#define KVM_CAP_DISABLE_QUIRKS2 213

/* KVM_CAP_X86_DISABLE_EXITS: exits the guest may be spared. */
#define KVM_X86_DISABLE_EXITS_MWAIT (1 << 0)
#define KVM_X86_DISABLE_EXITS_HLT (1 << 1)
#define KVM_X86_DISABLE_EXITS_PAUSE (1 << 2)
#define KVM_X86_DISABLE_EXITS_CSTATE (1 << 3)
#define KVM_X86_DISABLE_VALID_EXITS                                            \
	(KVM_X86_DISABLE_EXITS_MWAIT | KVM_X86_DISABLE_EXITS_HLT |             \
	 KVM_X86_DISABLE_EXITS_PAUSE | KVM_X86_DISABLE_EXITS_CSTATE)

/* KVM_CAP_DISABLE_QUIRKS(2): behaviours kept for old VMMs, on by default. */
#define KVM_X86_QUIRK_LINT0_REENABLED (1 << 0)
#define KVM_X86_QUIRK_CD_NW_CLEARED (1 << 1)
#define KVM_X86_QUIRK_LAPIC_MMIO_HOLE (1 << 2)
#define KVM_X86_QUIRK_OUT_7E_INC_RIP (1 << 3)
#define KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT (1 << 4)
#define KVM_X86_QUIRK_FIX_HYPERCALL_INSN (1 << 5)
#define KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS (1 << 6)
#define KVM_X86_QUIRK_SLOT_ZAP_ALL (1 << 7)

/* KVM_GET_CLOCK / KVM_SET_CLOCK (KVM_CAP_ADJUST_CLOCK). */
#define KVM_CLOCK_TSC_STABLE 2
#define KVM_CLOCK_REALTIME (1 << 2)
#define KVM_CLOCK_HOST_TSC (1 << 3)
struct kvm_clock_data {
	uint64_t clock; /* kvmclock, in nanoseconds */
	uint32_t flags;
	uint32_t pad0;
	uint64_t realtime; /* host CLOCK_REALTIME, in nanoseconds */
	uint64_t host_tsc;
	uint32_t pad[4];
};

/* KVM_{SET,GET,HAS}_DEVICE_ATTR (vCPU: KVM_CAP_VCPU_ATTRIBUTES). */
struct kvm_device_attr {
	uint32_t flags; /* none defined */
	uint32_t group;
	uint64_t attr;
	uint64_t addr; /* user address of the attribute's value */
};
#define KVM_VCPU_TSC_CTRL 0   /* group: the vCPU's TSC */
#define KVM_VCPU_TSC_OFFSET 0 /* attribute: its offset from the host TSC (u64) */

#define KVM_SET_CLOCK KVM_IOW_(0x7b, struct kvm_clock_data)
#define KVM_GET_CLOCK KVM_IOR_(0x7c, struct kvm_clock_data)
#define KVM_SET_DEVICE_ATTR KVM_IOW_(0xe1, struct kvm_device_attr)
/* On /dev/kvm (KVM_CAP_SYS_ATTRIBUTES): group 0, the XCR0 features a guest
 * may be given. */
#define KVM_CAP_SYS_ATTRIBUTES 209
#define KVM_X86_GRP_SYSTEM 0
#define KVM_X86_XCOMP_GUEST_SUPP 0
#define KVM_GET_DEVICE_ATTR KVM_IOW_(0xe2, struct kvm_device_attr)
#define KVM_HAS_DEVICE_ATTR KVM_IOW_(0xe3, struct kvm_device_attr)

/* The KVM CPUID leaves (cpuid.rst). */
#define KVM_CPUID_SIGNATURE 0x40000000
#define KVM_CPUID_FEATURES 0x40000001
#define KVM_FEATURE_CLOCKSOURCE 0
#define KVM_FEATURE_NOP_IO_DELAY 1
#define KVM_FEATURE_CLOCKSOURCE2 3
#define KVM_FEATURE_ASYNC_PF 4
#define KVM_FEATURE_STEAL_TIME 5
#define KVM_FEATURE_PV_EOI 6
#define KVM_FEATURE_PV_UNHALT 7
#define KVM_FEATURE_PV_TLB_FLUSH 9
#define KVM_FEATURE_PV_SEND_IPI 11
#define KVM_FEATURE_POLL_CONTROL 12
#define KVM_FEATURE_PV_SCHED_YIELD 13
#define KVM_FEATURE_ASYNC_PF_INT 14
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24

/* KVM MSRs (msr.rst). */
#define MSR_KVM_WALL_CLOCK 0x11
#define MSR_KVM_SYSTEM_TIME 0x12
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define MSR_KVM_ASYNC_PF_EN 0x4b564d02
#define MSR_KVM_STEAL_TIME 0x4b564d03
#define MSR_KVM_PV_EOI_EN 0x4b564d04
#define MSR_KVM_POLL_CONTROL 0x4b564d05
#define MSR_KVM_ASYNC_PF_INT 0x4b564d06
#define MSR_KVM_ASYNC_PF_ACK 0x4b564d07
#define KVM_MSR_ENABLED 1

/* What MSR_KVM_SYSTEM_TIME(_NEW) and MSR_KVM_WALL_CLOCK(_NEW) point at. */
#define PVCLOCK_TSC_STABLE_BIT (1 << 0)
#define PVCLOCK_GUEST_STOPPED (1 << 1)

/* KVM_KVMCLOCK_CTRL (vCPU): tell the guest, through its kvmclock, that the
 * VMM paused it (the soft-lockup watchdog then stays quiet). */
#define KVM_CAP_KVMCLOCK_CTRL 76
#define KVM_KVMCLOCK_CTRL KVM_IO_(0xad)
struct pvclock_vcpu_time_info {
	uint32_t version; /* odd while the host updates the rest */
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((__packed__));
struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((__packed__));

/* Hypercalls (hypercalls.rst): number in RAX, arguments in RBX, RCX, RDX,
 * RSI, result in RAX. */
#define KVM_HC_VAPIC_POLL_IRQ 1
#define KVM_HC_KICK_CPU 5
#define KVM_HC_CLOCK_PAIRING 9
#define KVM_HC_SEND_IPI 10
#define KVM_HC_SCHED_YIELD 11
#define KVM_HC_MAP_GPA_RANGE 12
#define KVM_ENOSYS 1000
#define KVM_EFAULT 14
#define KVM_EPERM 1
#define KVM_EOPNOTSUPP 95
#define KVM_CLOCK_PAIRING_WALLCLOCK 0
struct kvm_clock_pairing {
	int64_t sec;
	int64_t nsec;
	uint64_t tsc;
	uint32_t flags;
	uint32_t pad[9];
};

KVM_ABI_ASSERT(sizeof(struct kvm_clock_data) == 48, "kvm_clock_data");
KVM_ABI_ASSERT(sizeof(struct kvm_device_attr) == 24, "kvm_device_attr");
KVM_ABI_ASSERT(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock_vcpu_time_info");
KVM_ABI_ASSERT(sizeof(struct pvclock_wall_clock) == 12, "pvclock_wall_clock");
KVM_ABI_ASSERT(sizeof(struct kvm_clock_pairing) == 64, "kvm_clock_pairing");
KVM_ABI_ASSERT(KVM_GET_CLOCK == 0x8030ae7c, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_CLOCK == 0x4030ae7b, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_DEVICE_ATTR == 0x4018aee1, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_DEVICE_ATTR == 0x4018aee2, "ioctl encoding");
KVM_ABI_ASSERT(KVM_HAS_DEVICE_ATTR == 0x4018aee3, "ioctl encoding");

#endif /* KVMPP_UAPI_KVM_ABI_X86_PV_H */

// SPDX-License-Identifier: GPL-2.0
// KVM_CHECK_EXTENSION: answer only for what is implemented.
#include <glue/glue.h>
#include <kvmpp/arch.hpp>
#include <kxx/utility.hpp>

#include "ioctl.hpp"
#include "vm.hpp"

namespace kvmpp {

long check_extension(const Vm* vm, long cap) {
  switch (cap) {
    case KVM_CAP_CHECK_EXTENSION_VM: return 1;
    case KVM_CAP_ENABLE_CAP_VM: return 1;
    case KVM_CAP_IMMEDIATE_EXIT: return 1;
    case KVM_CAP_HALT_POLL: return 1;
    case KVM_CAP_USER_MEMORY: return 1;
    case KVM_CAP_USER_MEMORY2: return 1;
    case KVM_CAP_READONLY_MEM: return 1;
    // A slot of size 0 deletes it; adjacent slots may be replaced by one.
    case KVM_CAP_DESTROY_MEMORY_REGION_WORKS: return 1;
    case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS: return 1;
    // The MMU notifier keeps guest mappings in step with the VMM's (memslot.hpp).
    case KVM_CAP_SYNC_MMU: return 1;
    case KVM_CAP_NR_MEMSLOTS: return Memslots::kMaxSlots;
    case KVM_CAP_MULTI_ADDRESS_SPACE: return Memslots::kAddressSpaces;
    case KVM_CAP_NR_VCPUS: return kxx::min(kvmg_num_online_cpus(), arch::kMaxVcpus);
    case KVM_CAP_MAX_VCPUS: return arch::kMaxVcpus;
    case KVM_CAP_MAX_VCPU_ID: return arch::kMaxVcpuIds;
    case KVM_CAP_BINARY_STATS_FD: return 1;
    // The page offset of the ring in the vCPU mmap area (0: unsupported).
    case KVM_CAP_COALESCED_MMIO: return arch::kCoalescedMmioPage;
    case KVM_CAP_PRE_FAULT_MEMORY: return arch::kHasPreFaultMemory;
    // ioeventfd.hpp: lengths 0 (any), 1, 2, 4 and 8.
    case KVM_CAP_IOEVENTFD:
    case KVM_CAP_IOEVENTFD_NO_LENGTH:
    case KVM_CAP_IOEVENTFD_ANY_LENGTH: return 1;
    default:
      if (long r = check_dirty_log_extension(cap); r >= 0) return r;
      return arch::check_extension(vm, cap);
  }
}

}  // namespace kvmpp

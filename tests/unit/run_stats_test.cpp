// SPDX-License-Identifier: GPL-2.0
// KVM_RUN against a scripted backend: the vCPU statistics the run loop and
// the exit handlers count, and coalesced MMIO/PIO instead of exits.
#include <arch/x86/kvm/x86.hpp>

#include <cstdlib>
#include <deque>

#include "core_fixture.h"
#include "scripted_backend.h"

namespace {

class RunStatsTest : public CoreTest {
 protected:
  static constexpr uint64_t kMem = 0x10000, kCode = 0x1000, kMmio = 0x20000;
  void SetUp() override {
    CoreTest::SetUp();
    kvm_core_clear_backend(&fake_backend::kOps);
    ASSERT_EQ(kvm_core_set_backend(&scripted::kOps), 0);
    scripted::exits.clear();
    mem_ = static_cast<uint8_t*>(aligned_alloc(4096, kMem));
    memset(mem_, 0xf4, kMem);  // HLT everywhere
    vm_ = create_vm();
    kvm_userspace_memory_region r{0, 0, 0, kMem, ptr(mem_)};
    ASSERT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, ptr(&r)), 0);
    vcpu_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    ASSERT_GE(vcpu_, 0);
    s().seg[X86_CS].base = 0;
    s().rip = kCode;
    s().seg[X86_DS].base = kMmio;  // real mode: DS:BX = kMmio
    s().gpr[X86_RBX] = 0;
  }
  void TearDown() override {
    kvm_core_clear_backend(&scripted::kOps);
    ASSERT_EQ(kvm_core_set_backend(&fake_backend::kOps), 0);
    CoreTest::TearDown();
    free(mem_);
  }
  kvmpp::Vcpu& vcpu() { return *static_cast<kvmpp::Vcpu*>(object(vcpu_)); }
  kvmpp::Vm& vm() { return *static_cast<kvmpp::Vm*>(object(vm_)); }
  x86_state& s() { return vcpu().arch().regs; }
  kvm_run* run() { return vcpu().run(); }
  uint64_t stat(unsigned i) { return vcpu().arch().stats.get(i); }
  long kvm_run_ioctl() { return vcpu_ioctl(vcpu_, KVM_RUN); }
  // `mov %eax, (%bx)` (real mode, 32-bit operand) at RIP: a 4-byte write to kMmio.
  void mov_to_mmio_at_rip() { memcpy(mem_ + s().rip, "\x66\x89\x07", 3); }
  void add_zone(uint64_t addr, uint32_t size, uint32_t pio) {
    kvm_coalesced_mmio_zone z{};
    z.addr = addr;
    z.size = size;
    z.pio = pio;
    ASSERT_EQ(vm_ioctl(vm_, KVM_REGISTER_COALESCED_MMIO, ptr(&z)), 0);
  }
  kvm_coalesced_mmio_ring* ring() {
    return static_cast<kvm_coalesced_mmio_ring*>(kvm_core_vcpu_mmap_page(object(vcpu_), 2));
  }
  uint8_t* mem_ = nullptr;
  long vm_ = -1, vcpu_ = -1;
};

using namespace kvmpp::arch;

TEST_F(RunStatsTest, ExitsAreCounted) {
  scripted::exits = {io_exit(0x10, 1)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_IO));
  EXPECT_EQ(stat(kVcpuStatExits), 1u);
  EXPECT_EQ(stat(kVcpuStatIoExits), 1u);

  scripted::exits = {simple_exit(X86_EXIT_INTR), simple_exit(X86_EXIT_HLT)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_HLT));
  EXPECT_EQ(stat(kVcpuStatExits), 3u);
  EXPECT_EQ(stat(kVcpuStatIrqExits), 1u);
  EXPECT_EQ(stat(kVcpuStatHaltExits), 1u);
  EXPECT_EQ(stat(kVcpuStatSignalExits), 0u);

  fake::signal_after(0);
  EXPECT_EQ(kvm_run_ioctl(), -EINTR);
  fake::signal_after(-1);
  EXPECT_EQ(stat(kVcpuStatSignalExits), 1u);
  EXPECT_EQ(stat(kVcpuStatExits), 3u);  // the guest did not run

  EXPECT_EQ(stat(kVcpuStatTlbFlush), 0u);
  vm().flush_tlbs();
  scripted::exits = {simple_exit(X86_EXIT_HLT)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_TRUE(scripted::last_flags & X86_RUN_FLUSH_TLB);
  EXPECT_EQ(stat(kVcpuStatTlbFlush), 1u);
  EXPECT_EQ(stat(kVcpuStatHaltExits), 2u);
}

TEST_F(RunStatsTest, PageFaultsAreCounted) {
  // RAM: mapped, the guest goes on.
  scripted::exits = {tdp_exit(0x3000, true), simple_exit(X86_EXIT_HLT)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(stat(kVcpuStatPfTaken), 1u);
  EXPECT_EQ(stat(kVcpuStatPfFixed), 1u);
  EXPECT_EQ(stat(kVcpuStatPfEmulate), 0u);
  EXPECT_NE(vm().arch()->tdp.lookup(3), 0u);
  // MMIO: emulated and handed to user space.
  mov_to_mmio_at_rip();
  s().gpr[X86_RAX] = 0x11223344;
  scripted::exits = {tdp_exit(kMmio, true)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_MMIO));
  EXPECT_EQ(run()->mmio.phys_addr, kMmio);
  EXPECT_EQ(run()->mmio.len, 4u);
  EXPECT_EQ(stat(kVcpuStatPfTaken), 2u);
  EXPECT_EQ(stat(kVcpuStatPfFixed), 1u);
  EXPECT_EQ(stat(kVcpuStatPfEmulate), 1u);
  EXPECT_EQ(stat(kVcpuStatInsnEmulation), 1u);
  EXPECT_EQ(stat(kVcpuStatMmioExits), 1u);
  EXPECT_EQ(stat(kVcpuStatInsnEmulationFail), 0u);
  // An instruction the emulator does not know: a failure.
  memcpy(mem_ + s().rip, "\x0f\x0b", 2);  // UD2
  scripted::exits = {tdp_exit(kMmio, true)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_INTERNAL_ERROR));
  EXPECT_EQ(stat(kVcpuStatInsnEmulationFail), 1u);
}

// A write fault on an MMIO page lets the emulator send writes to that page
// to MMIO without looking for a slot; other pages are looked up as ever:
// the same instruction aimed at RAM, with the fault reported elsewhere,
// stores to RAM.
TEST_F(RunStatsTest, FaultingPageOnlyIsTakenForMmio) {
  mov_to_mmio_at_rip();
  s().gpr[X86_RAX] = 0x11223344;
  s().seg[X86_DS].base = 0x3000;  // RAM
  scripted::exits = {tdp_exit(kMmio, true), io_exit(0x10, 1)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_IO));
  uint32_t stored;
  memcpy(&stored, mem_ + 0x3000, sizeof(stored));
  EXPECT_EQ(stored, 0x11223344u);
  EXPECT_EQ(stat(kVcpuStatMmioExits), 0u);

  s().rip = kCode;
  s().seg[X86_DS].base = kMmio + 0x1000;  // the next page, also MMIO
  scripted::exits = {tdp_exit(kMmio, true)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_MMIO));
  EXPECT_EQ(run()->mmio.phys_addr, kMmio + 0x1000);
  EXPECT_EQ(stat(kVcpuStatMmioExits), 1u);
}

// A fault on RAM the VMM has mapped takes the lockless lookup of its page
// table; RAM it has not mapped yet (or mapped read-only) takes the slow
// path, which faults the page in.
TEST_F(RunStatsTest, RamFaultsTryTheLocklessLookupFirst) {
  scripted::exits = {tdp_exit(0x3000, true), tdp_exit(0x4000, false), io_exit(0x10, 1)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(fake::slow_page_lookups(), 0);
  EXPECT_EQ(stat(kVcpuStatPfFixed), 2u);
  fake::set_fast_pages(false);
  scripted::exits = {tdp_exit(0x5000, true), io_exit(0x10, 1)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(fake::slow_page_lookups(), 1);
  EXPECT_EQ(stat(kVcpuStatPfFixed), 3u);
  EXPECT_NE(vm().arch()->tdp.lookup(5), 0u);
}

TEST_F(RunStatsTest, CoalescedPortWrite) {
  add_zone(0x80, 4, 1);
  s().gpr[X86_RAX] = 0xdeadbeef;
  scripted::exits = {io_exit(0x80, 4), io_exit(0x80, 2), io_exit(0x81, 4),
                     simple_exit(X86_EXIT_HLT)};
  // The first two go to the ring; the third is partly outside the zone.
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_IO));
  EXPECT_EQ(run()->io.port, 0x81);
  EXPECT_EQ(s().rip, kCode + 2);  // the coalesced OUTs completed
  ASSERT_EQ(ring()->last, 2u);
  EXPECT_EQ(ring()->coalesced_mmio[0].phys_addr, 0x80u);
  EXPECT_EQ(ring()->coalesced_mmio[0].pio, 1u);
  EXPECT_EQ(ring()->coalesced_mmio[0].len, 4u);
  uint32_t d;
  memcpy(&d, ring()->coalesced_mmio[0].data, 4);
  EXPECT_EQ(d, 0xdeadbeefu);
  EXPECT_EQ(ring()->coalesced_mmio[1].len, 2u);
  EXPECT_EQ(stat(kVcpuStatIoExits), 3u);
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_HLT));
  // An IN never goes to the ring.
  scripted::exits = {io_exit(0x80, 1, true)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_IO));
  EXPECT_EQ(run()->io.direction, KVM_EXIT_IO_IN);
  EXPECT_EQ(ring()->last, 2u);
}

TEST_F(RunStatsTest, CoalescedMmioWriteAndFullRing) {
  add_zone(kMmio, 8, 0);
  mov_to_mmio_at_rip();
  s().gpr[X86_RAX] = 0x55667788;
  scripted::exits = {tdp_exit(kMmio, true), simple_exit(X86_EXIT_HLT)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_HLT));
  EXPECT_EQ(s().rip, kCode + 4);  // past the MOV (3 bytes) and the HLT
  ASSERT_EQ(ring()->last, 1u);
  EXPECT_EQ(ring()->coalesced_mmio[0].phys_addr, kMmio);
  EXPECT_EQ(ring()->coalesced_mmio[0].pio, 0u);
  EXPECT_EQ(stat(kVcpuStatMmioExits), 0u);
  EXPECT_EQ(stat(kVcpuStatInsnEmulation), 1u);
  // Full (one free entry kept): the write exits as usual, with its data.
  ring()->first = 2;
  mov_to_mmio_at_rip();
  scripted::exits = {tdp_exit(kMmio, true)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_MMIO));
  EXPECT_TRUE(run()->mmio.is_write);
  uint32_t d;
  memcpy(&d, run()->mmio.data, 4);
  EXPECT_EQ(d, 0x55667788u);
  EXPECT_EQ(ring()->last, 1u);
  EXPECT_EQ(stat(kVcpuStatMmioExits), 1u);
}

TEST_F(RunStatsTest, CoalescedMmioReadStillExits) {
  add_zone(kMmio, 8, 0);
  memcpy(mem_ + s().rip, "\x66\x8b\x07", 3);  // mov (%bx), %eax
  scripted::exits = {tdp_exit(kMmio, false)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_MMIO));
  EXPECT_FALSE(run()->mmio.is_write);
  EXPECT_EQ(ring()->last, 0u);
}

TEST_F(RunStatsTest, CoalescedStringOut) {
  add_zone(0x3f8, 1, 1);
  memcpy(mem_ + s().rip, "\xf3\x6e", 2);  // rep outsb
  memcpy(mem_ + 0x3000, "\x01\x02\x03", 3);
  s().seg[X86_DS].base = 0;
  s().gpr[X86_RSI] = 0x3000;
  s().gpr[X86_RCX] = 3;
  s().gpr[X86_RDX] = 0x3f8;
  x86_exit e = io_exit(0x3f8, 1);
  e.io.string = 1;
  e.io.rep = 1;
  e.io.addr_size = 2;
  e.next_rip = kCode + 2;
  scripted::exits = {e, simple_exit(X86_EXIT_HLT)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_HLT));
  ASSERT_EQ(ring()->last, 3u);
  for (unsigned i = 0; i < 3; i++) {
    EXPECT_EQ(ring()->coalesced_mmio[i].phys_addr, 0x3f8u);
    EXPECT_EQ(ring()->coalesced_mmio[i].data[0], i + 1);
  }
  EXPECT_EQ(s().gpr[X86_RSI], 0x3003u);
  EXPECT_EQ(s().gpr[X86_RCX], 0u);
}

// Workloads for profiling the exit path under callgrind, not tests (disabled:
// Documentation/testing.rst, "Profiling the exit path in user space"). Each
// runs kWorkloadRuns KVM_RUNs, so callgrind's counts divide evenly.
constexpr int kWorkloadRuns = 10000;

// An OUT that user space completes: one exit per KVM_RUN.
TEST_F(RunStatsTest, DISABLED_WorkloadPortIo) {
  for (int i = 0; i < kWorkloadRuns; i++) {
    scripted::exits = {io_exit(0x10, 1)};
    ASSERT_EQ(kvm_run_ioctl(), 0);
  }
}

// A write to MMIO no device claims: decoded, emulated, a user exit.
TEST_F(RunStatsTest, DISABLED_WorkloadMmioWrite) {
  for (int i = 0; i < kWorkloadRuns; i++) {
    s().rip = kCode;
    mov_to_mmio_at_rip();
    scripted::exits = {tdp_exit(kMmio, true)};
    ASSERT_EQ(kvm_run_ioctl(), 0);
  }
}

// CPUID handled in the kernel (the length fetched from guest memory), then
// an OUT to user space.
TEST_F(RunStatsTest, DISABLED_WorkloadCpuid) {
  for (int i = 0; i < kWorkloadRuns; i++) {
    s().rip = kCode;
    memcpy(mem_ + kCode, "\x0f\xa2", 2);
    scripted::exits = {simple_exit(X86_EXIT_CPUID), io_exit(0x10, 1)};
    ASSERT_EQ(kvm_run_ioctl(), 0);
  }
}

}  // namespace

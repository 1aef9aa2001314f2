// SPDX-License-Identifier: GPL-2.0
// KVM_GET_STATS_FD: the file layout, reads at any offset, fd lifetimes.
#include <arch/x86/kvm/x86.hpp>
#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core_fixture.h"

namespace {

class StatsTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    vm_ = create_vm();
    vcpu_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 3);
    ASSERT_GE(vcpu_, 0);
  }
  // read() of a stats fd at @pos: bytes read or -errno.
  static long read_at(long fd, void* buf, uint64_t size, int64_t pos) {
    const auto& f = fake::files().at(int(fd));
    EXPECT_TRUE(f.stats);
    return kvm_core_stats_read(f.object, f.vcpu, ptr(buf), size, &pos);
  }
  static std::vector<uint8_t> read_all(long fd) {
    std::vector<uint8_t> all(65536);
    long n = read_at(fd, all.data(), all.size(), 0);
    EXPECT_GT(n, 0);
    all.resize(size_t(n > 0 ? n : 0));
    return all;
  }
  static kvm_stats_header header(const std::vector<uint8_t>& f) {
    kvm_stats_header h;
    memcpy(&h, f.data(), sizeof(h));
    return h;
  }
  static kvm_stats_desc desc(const std::vector<uint8_t>& f, unsigned i) {
    kvm_stats_header h = header(f);
    kvm_stats_desc d;
    memcpy(&d, f.data() + h.desc_offset + i * (sizeof(d) + h.name_size), sizeof(d));
    return d;
  }
  static std::string name(const std::vector<uint8_t>& f, unsigned i) {
    kvm_stats_header h = header(f);
    return reinterpret_cast<const char*>(f.data() + h.desc_offset +
                                         i * (sizeof(kvm_stats_desc) + h.name_size) +
                                         sizeof(kvm_stats_desc));
  }
  // The value of the statistic called @stat (fails the test if absent).
  static uint64_t value(long fd, const std::string& stat) {
    auto f = read_all(fd);
    kvm_stats_header h = header(f);
    for (unsigned i = 0; i < h.num_desc; i++) {
      if (name(f, i) != stat) continue;
      uint64_t v;
      memcpy(&v, f.data() + h.data_offset + desc(f, i).offset, sizeof(v));
      return v;
    }
    ADD_FAILURE() << "no statistic " << stat;
    return 0;
  }
  kvmpp::Vcpu* obj_vcpu() { return static_cast<kvmpp::Vcpu*>(object(vcpu_)); }
  long vm_ = -1, vcpu_ = -1;
};

TEST_F(StatsTest, Advertised) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD), 1);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD), 1);
}

// The layout api.rst describes, checked as kvm_binary_stats_test does.
void check_layout(const std::vector<uint8_t>& f, const char* id,
                  const std::vector<std::string>& names) {
  kvm_stats_header h;
  ASSERT_GE(f.size(), sizeof(h));
  memcpy(&h, f.data(), sizeof(h));
  EXPECT_EQ(h.flags, 0u);
  EXPECT_EQ(h.name_size, 48u);
  EXPECT_EQ(h.num_desc, names.size());
  EXPECT_EQ(h.id_offset % 8, 0u);
  EXPECT_EQ(h.desc_offset % 8, 0u);
  EXPECT_EQ(h.data_offset % 8, 0u);
  EXPECT_GE(h.id_offset, sizeof(h));
  EXPECT_GE(h.desc_offset, h.id_offset + h.name_size);
  uint64_t desc_size = sizeof(kvm_stats_desc) + h.name_size;
  EXPECT_GE(h.data_offset, h.desc_offset + h.num_desc * desc_size);
  EXPECT_EQ(f.size(), h.data_offset + h.num_desc * sizeof(uint64_t));
  EXPECT_STREQ(reinterpret_cast<const char*>(f.data() + h.id_offset), id);
  for (unsigned i = 0; i < h.num_desc; i++) {
    kvm_stats_desc d;
    const uint8_t* at = f.data() + h.desc_offset + i * desc_size;
    memcpy(&d, at, sizeof(d));
    const char* n = reinterpret_cast<const char*>(at + sizeof(d));
    EXPECT_EQ(n, names[i]);
    EXPECT_LT(strlen(n), h.name_size);
    uint32_t type = d.flags & KVM_STATS_TYPE_MASK;
    EXPECT_TRUE(type == KVM_STATS_TYPE_CUMULATIVE || type == KVM_STATS_TYPE_INSTANT) << n;
    EXPECT_EQ(d.flags & KVM_STATS_UNIT_MASK, unsigned(KVM_STATS_UNIT_NONE)) << n;
    EXPECT_EQ(d.flags & KVM_STATS_BASE_MASK, unsigned(KVM_STATS_BASE_POW10)) << n;
    EXPECT_EQ(d.exponent, 0) << n;
    EXPECT_EQ(d.size, 1) << n;
    EXPECT_EQ(d.offset, i * 8) << n;
    EXPECT_EQ(d.bucket_size, 0u) << n;
  }
}

TEST_F(StatsTest, VmLayout) {
  long fd = vm_ioctl(vm_, KVM_GET_STATS_FD);
  ASSERT_GE(fd, 0);
  auto f = read_all(fd);
  check_layout(f, "kvm-4242", {"remote_tlb_flush", "pages_4k", "pages_2m"});
  EXPECT_EQ(desc(f, 0).flags & KVM_STATS_TYPE_MASK, unsigned(KVM_STATS_TYPE_CUMULATIVE));
  EXPECT_EQ(desc(f, 1).flags & KVM_STATS_TYPE_MASK, unsigned(KVM_STATS_TYPE_INSTANT));
}

TEST_F(StatsTest, VcpuLayout) {
  long fd = vcpu_ioctl(vcpu_, KVM_GET_STATS_FD);
  ASSERT_GE(fd, 0);
  check_layout(read_all(fd), "kvm-4242/vcpu-3",
               {"exits",
                "io_exits",
                "mmio_exits",
                "halt_exits",
                "irq_exits",
                "signal_exits",
                "pf_taken",
                "pf_fixed",
                "pf_emulate",
                "insn_emulation",
                "insn_emulation_fail",
                "tlb_flush",
                "irq_window_exits",
                "irq_injections",
                "halt_wakeup",
                "nmi_injections",
                "halt_attempted_poll",
                "halt_successful_poll",
                "halt_poll_success_ns",
                "halt_poll_fail_ns",
                "halt_wait_ns"});
}

TEST_F(StatsTest, NamesAreUnique) {
  for (long fd : {vm_ioctl(vm_, KVM_GET_STATS_FD), vcpu_ioctl(vcpu_, KVM_GET_STATS_FD)}) {
    auto f = read_all(fd);
    for (unsigned i = 0; i < header(f).num_desc; i++)
      for (unsigned j = 0; j < i; j++) EXPECT_NE(name(f, i), name(f, j));
  }
}

TEST_F(StatsTest, ReadsAtAnyOffsetAndLength) {
  long fd = vcpu_ioctl(vcpu_, KVM_GET_STATS_FD);
  obj_vcpu()->arch().stats.add(kvmpp::arch::kVcpuStatExits, 0x123456789);
  auto all = read_all(fd);
  for (uint64_t pos = 0; pos <= all.size() + 8; pos += 7) {
    for (uint64_t len : {1ul, 5ul, 8ul, 64ul, 1000ul}) {
      std::vector<uint8_t> part(len, 0xcc);
      long n = read_at(fd, part.data(), len, int64_t(pos));
      uint64_t expect = pos >= all.size() ? 0 : std::min<uint64_t>(len, all.size() - pos);
      ASSERT_EQ(n, long(expect)) << pos << "+" << len;
      EXPECT_EQ(memcmp(part.data(), all.data() + std::min<uint64_t>(pos, all.size()), expect), 0);
      // Nothing past what was read is touched.
      for (uint64_t i = expect; i < len; i++) EXPECT_EQ(part[i], 0xcc);
    }
  }
  EXPECT_EQ(value(fd, "exits"), 0x123456789u);
}

TEST_F(StatsTest, ReadAdvancesPosition) {
  long fd = vm_ioctl(vm_, KVM_GET_STATS_FD);
  const auto& f = fake::files().at(int(fd));
  int64_t pos = 0;
  kvm_stats_header h;
  EXPECT_EQ(kvm_core_stats_read(f.object, false, ptr(&h), sizeof(h), &pos), long(sizeof(h)));
  EXPECT_EQ(pos, int64_t(sizeof(h)));
  char id[48];
  EXPECT_EQ(kvm_core_stats_read(f.object, false, ptr(id), sizeof(id), &pos), 48);
  EXPECT_STREQ(id, "kvm-4242");
  EXPECT_EQ(pos, int64_t(sizeof(h) + 48));
}

TEST_F(StatsTest, BadBufferAndOffset) {
  long fd = vm_ioctl(vm_, KVM_GET_STATS_FD);
  EXPECT_EQ(read_at(fd, reinterpret_cast<void*>(8), 16, 0), -EFAULT);
  uint8_t buf[8];
  EXPECT_EQ(read_at(fd, buf, sizeof(buf), -1), -EINVAL);
  EXPECT_EQ(read_at(fd, buf, 0, 0), 0);
  EXPECT_EQ(read_at(fd, buf, sizeof(buf), int64_t(1) << 40), 0);
}

TEST_F(StatsTest, ManyFilesKeepTheVmAlive) {
  long vm_stats1 = vm_ioctl(vm_, KVM_GET_STATS_FD);
  long vm_stats2 = vm_ioctl(vm_, KVM_GET_STATS_FD);
  long vcpu_stats = vcpu_ioctl(vcpu_, KVM_GET_STATS_FD);
  ASSERT_GE(vm_stats1, 0);
  ASSERT_GE(vm_stats2, 0);
  ASSERT_GE(vcpu_stats, 0);
  EXPECT_NE(vm_stats1, vm_stats2);
  fake::close_fd(int(vcpu_));
  fake::close_fd(int(vm_));
  EXPECT_EQ(fake_backend::live_vcpus, 1);  // the stats files hold the VM
  EXPECT_EQ(header(read_all(vm_stats1)).num_desc, 3u);
  EXPECT_STREQ(reinterpret_cast<const char*>(read_all(vcpu_stats).data() + 24), "kvm-4242/vcpu-3");
  fake::close_fd(int(vm_stats1));
  fake::close_fd(int(vcpu_stats));
  EXPECT_EQ(fake_backend::live_vcpus, 1);
  fake::close_fd(int(vm_stats2));
  EXPECT_EQ(fake_backend::live_vcpus, 0);  // the last reference freed it all
  EXPECT_EQ(kvmg_alloc_outstanding(), baseline_);
}

TEST_F(StatsTest, FdFailureDropsTheReference) {
  fake::fail_next_fd(EMFILE);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_STATS_FD), -EMFILE);
  fake::fail_next_fd(ENOMEM);
  EXPECT_EQ(vcpu_ioctl(vcpu_, KVM_GET_STATS_FD), -ENOMEM);
  fake::close_fd(int(vcpu_));
  fake::close_fd(int(vm_));
  EXPECT_EQ(fake_backend::live_vcpus, 0);  // no reference left behind
}

TEST_F(StatsTest, OtherProcessMayRead) {
  long fd = vm_ioctl(vm_, KVM_GET_STATS_FD);
  int child_mm;
  fake::set_current_mm(&child_mm);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_STATS_FD), -EIO);  // the VM is not theirs
  EXPECT_EQ(header(read_all(fd)).num_desc, 3u);      // but an fd passed on reads
}

TEST_F(StatsTest, RemoteTlbFlushCounts) {
  long fd = vm_ioctl(vm_, KVM_GET_STATS_FD);
  EXPECT_EQ(value(fd, "remote_tlb_flush"), 0u);
  void* mem = aligned_alloc(4096, 0x4000);
  kvm_userspace_memory_region r{0, 0, 0, 0x4000, ptr(mem)};
  ASSERT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, ptr(&r)), 0);
  EXPECT_EQ(value(fd, "remote_tlb_flush"), 0u);  // creating a slot flushes nothing
  r.memory_size = 0;
  ASSERT_EQ(vm_ioctl(vm_, KVM_SET_USER_MEMORY_REGION, ptr(&r)), 0);
  EXPECT_EQ(value(fd, "remote_tlb_flush"), 1u);
  EXPECT_TRUE(obj_vcpu()->take_request(kvmpp::Vcpu::kRequestTlbFlush));
  free(mem);
}

}  // namespace

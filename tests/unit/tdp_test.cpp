// SPDX-License-Identifier: GPL-2.0
// The TDP (nested page table) builder.
#include <glue/glue.h>
#include <gtest/gtest.h>
#include <arch/x86/kvm/mmu/tdp.hpp>

namespace {

using kvmpp::x86::kNptFormat;
using kvmpp::x86::PageCache;
using kvmpp::x86::Tdp;

class TdpTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    baseline_ = kvmg_alloc_outstanding();
    ASSERT_TRUE(tdp_.init(GetParam()).ok());
  }
  void TearDown() override {}
  bool map(uint64_t gfn, uint64_t pa, bool w) {
    PageCache cache;
    EXPECT_TRUE(cache.topup().ok());
    return tdp_.map(gfn, pa, w, cache);
  }
  Tdp tdp_{kNptFormat};
  long baseline_ = 0;
};

TEST_P(TdpTest, MapLookupZap) {
  EXPECT_EQ(tdp_.lookup(5), 0u);
  ASSERT_TRUE(map(5, 0x1234000, true));
  ASSERT_TRUE(map(6, 0x5678000, false));
  ASSERT_TRUE(map(uint64_t(1) << 27, 0x9000, true));  // a different top-level entry
  // NPT leaves: present, user, accessed, dirty; RW only when writable.
  EXPECT_EQ(tdp_.lookup(5), 0x1234000u | 0x67);
  EXPECT_EQ(tdp_.lookup(6), 0x5678000u | 0x65);
  EXPECT_EQ(tdp_.lookup(uint64_t(1) << 27), 0x9000u | 0x67);
  EXPECT_EQ(tdp_.lookup(7), 0u);
  EXPECT_TRUE(tdp_.zap(6, 7));
  EXPECT_EQ(tdp_.lookup(6), 0u);
  EXPECT_NE(tdp_.lookup(5), 0u);
  EXPECT_FALSE(tdp_.zap(6, 7));  // nothing left there
  EXPECT_TRUE(tdp_.zap(0, ~uint64_t(0) >> 12));
  EXPECT_EQ(tdp_.lookup(5), 0u);
  EXPECT_EQ(tdp_.lookup(uint64_t(1) << 27), 0u);
}

TEST_P(TdpTest, OutOfRangeFrame) {
  uint64_t beyond = uint64_t(1) << (9 * GetParam());
  EXPECT_FALSE(map(beyond, 0x1000, true));
  EXPECT_EQ(tdp_.lookup(beyond), 0u);
}

TEST_P(TdpTest, EmptyCacheFailsWithoutDamage) {
  PageCache empty;
  EXPECT_FALSE(tdp_.map(9, 0x1000, true, empty));
  EXPECT_EQ(tdp_.lookup(9), 0u);
}

TEST_P(TdpTest, HugeLeaf) {
  PageCache cache;
  ASSERT_TRUE(cache.topup().ok());
  ASSERT_TRUE(tdp_.map_2m(512, 0x40000000, true, cache));
  // Every frame of the 2 MiB range resolves to the one leaf.
  EXPECT_EQ(tdp_.lookup(512), 0x40000000u | 0xe7);
  EXPECT_EQ(tdp_.lookup(1023), 0x40000000u | 0xe7);
  EXPECT_EQ(tdp_.lookup(1024), 0u);
  // A 4 KiB map inside a 2 MiB leaf is refused; a zap of one frame drops it whole.
  EXPECT_FALSE(map(600, 0x1000, true));
  EXPECT_TRUE(tdp_.zap(700, 701));
  EXPECT_EQ(tdp_.lookup(512), 0u);
  // Where a 4 KiB table exists, no 2 MiB leaf replaces it.
  ASSERT_TRUE(map(1030, 0x2000, true));
  ASSERT_TRUE(cache.topup().ok());
  EXPECT_FALSE(tdp_.map_2m(1024, 0x80000000, true, cache));
  EXPECT_EQ(tdp_.lookup(1030), 0x2000u | 0x67);
}

TEST_P(TdpTest, EmptyTablesAreUnlinked) {
  ASSERT_TRUE(map(5, 0x1000, true));
  ASSERT_TRUE(map(700, 0x2000, true));  // another table at the lowest level
  void* pages[8];
  unsigned count = 0;
  // Zapping one frame empties only its own page table.
  EXPECT_TRUE(tdp_.zap(700, 701, pages, &count, 8));
  EXPECT_EQ(count, 1u);
  EXPECT_NE(tdp_.lookup(5), 0u);
  // Zapping the rest empties every table under the root.
  EXPECT_TRUE(tdp_.zap(0, ~uint64_t(0) >> 12, pages, &count, 8));
  EXPECT_EQ(count, GetParam());  // the last PT, then one table per level above
  for (unsigned i = 0; i < count; i++) kvmg_page_free(pages[i]);
  EXPECT_EQ(tdp_.lookup(5), 0u);
  ASSERT_TRUE(map(5, 0x3000, true));  // the tables come back on demand
  EXPECT_EQ(tdp_.lookup(5), 0x3000u | 0x67);
}

TEST_P(TdpTest, UnlinkingStopsAtCapacity) {
  ASSERT_TRUE(map(5, 0x1000, true));
  void* pages[1];
  unsigned count = 0;
  EXPECT_TRUE(tdp_.zap(0, 1024, pages, &count, 1));
  EXPECT_EQ(count, 1u);  // the rest stays linked, freed with the tables
  kvmg_page_free(pages[0]);
  EXPECT_EQ(tdp_.lookup(5), 0u);
}

TEST_P(TdpTest, LeafCountsAndMappedFrames) {
  EXPECT_EQ(tdp_.leaves_4k(), 0u);
  ASSERT_TRUE(map(5, 0x1000, false));
  ASSERT_TRUE(map(5, 0x1000, true));  // the same frame again (made writable)
  ASSERT_TRUE(map(6, 0x2000, true));
  EXPECT_EQ(tdp_.leaves_4k(), 2u);
  EXPECT_EQ(tdp_.mapped_frames(5), 1u);
  EXPECT_EQ(tdp_.mapped_frames(7), 0u);
  PageCache cache;
  ASSERT_TRUE(cache.topup().ok());
  ASSERT_TRUE(tdp_.map_2m(1024, 0x40000000, true, cache));
  ASSERT_TRUE(tdp_.map_2m(1024, 0x40000000, false, cache));  // replaces its own leaf
  EXPECT_EQ(tdp_.leaves_2m(), 1u);
  EXPECT_EQ(tdp_.mapped_frames(1500), 512u);
  EXPECT_EQ(tdp_.mapped_frames(uint64_t(1) << (9 * GetParam())), 0u);  // beyond the tables
  EXPECT_TRUE(tdp_.zap(6, 1100));  // one 4 KiB leaf and the 2 MiB one
  EXPECT_EQ(tdp_.leaves_4k(), 1u);
  EXPECT_EQ(tdp_.leaves_2m(), 0u);
  EXPECT_FALSE(tdp_.zap(6, 1100));
  EXPECT_EQ(tdp_.leaves_4k(), 1u);
}

TEST(TdpLevels, OnlyFourOrFive) {
  Tdp t{kNptFormat};
  EXPECT_FALSE(t.init(3).ok());
}

INSTANTIATE_TEST_SUITE_P(Levels, TdpTest, ::testing::Values(4u, 5u));

}  // namespace

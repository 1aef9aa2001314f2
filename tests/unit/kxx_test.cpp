// SPDX-License-Identifier: GPL-2.0
// The freestanding library.
#include <gtest/gtest.h>
#include <kxx/bitmap.hpp>
#include <kxx/ref_ptr.hpp>
#include <kxx/result.hpp>
#include <kxx/scope_guard.hpp>
#include <kxx/unique_ptr.hpp>

namespace {

kxx::Result<int> half(int v) {
  if (v % 2) return kxx::Errno::kInval;
  return v / 2;
}

kxx::Result<int> quarter(int v) {
  int h = TRY(half(v));
  return TRY(half(h));
}

TEST(Result, ValueAndError) {
  auto ok = half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value(), 4);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().to_ret(), -22);
}

TEST(Result, TryPropagates) {
  EXPECT_EQ(quarter(8).value(), 2);
  EXPECT_FALSE(quarter(6).ok());
  EXPECT_EQ(kxx::Status(kxx::Errno::kFault).to_ret(), -14);
  EXPECT_EQ(kxx::OkStatus().to_ret(), 0);
}

struct Counted : kxx::RefCounted<Counted> {
  static inline int live = 0;
  Counted() { live++; }
  ~Counted() { live--; }
};

TEST(RefPtr, LastPutDeletes) {
  auto a = kxx::RefPtr<Counted>::adopt(new (kxx::Alloc::kSleep) Counted);
  EXPECT_EQ(Counted::live, 1);
  {
    kxx::RefPtr<Counted> b = a;
    EXPECT_EQ(a->ref_count(), 2);
  }
  EXPECT_EQ(a->ref_count(), 1);
  Counted* raw = a.leak();
  EXPECT_EQ(Counted::live, 1);
  raw->put();
  EXPECT_EQ(Counted::live, 0);
}

TEST(UniquePtr, OwnsAndReleases) {
  {
    auto p = kxx::make_unique<Counted>(kxx::Alloc::kSleep);
    EXPECT_EQ(Counted::live, 1);
    kxx::UniquePtr<Counted> q = kxx::move(p);
    EXPECT_FALSE(p);
    EXPECT_TRUE(q);
  }
  EXPECT_EQ(Counted::live, 0);
}

TEST(ScopeGuard, RunsUnlessDismissed) {
  int runs = 0;
  {
    auto g = kxx::defer([&] { runs++; });
  }
  {
    auto g = kxx::defer([&] { runs++; });
    g.dismiss();
  }
  EXPECT_EQ(runs, 1);
}

TEST(Bitmap, SetTestClear) {
  kxx::Bitmap b;
  ASSERT_TRUE(b.allocate(130, kxx::Alloc::kSleep));
  EXPECT_FALSE(b.test(129));
  b.set(129);
  b.set(0);
  EXPECT_TRUE(b.test(129));
  EXPECT_TRUE(b.test(0));
  EXPECT_FALSE(b.test(64));
  b.clear(129);
  EXPECT_FALSE(b.test(129));
  b.set(500);  // out of range: ignored
  EXPECT_FALSE(b.test(500));
}

}  // namespace

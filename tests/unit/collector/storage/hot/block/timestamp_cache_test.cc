#include "collector/storage/hot/block/timestamp_cache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace strata::collector::hot {
namespace {

TEST(TimestampCacheTest, FindsWhatWasInsertedByOffset) {
  TimestampCache cache(100);
  EXPECT_EQ(cache.Find(8), nullptr);
  std::vector<int64_t>* col = cache.Insert(8, 3);
  ASSERT_NE(col, nullptr);
  ASSERT_EQ(col->size(), 3u);
  *col = {1, 2, 3};
  ASSERT_NE(cache.Insert(40, 2), nullptr);
  const std::vector<int64_t>* found = cache.Find(8);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(cache.Find(9), nullptr);
  EXPECT_EQ(cache.samples(), 5u);
  EXPECT_EQ(cache.columns(), 2u);
}

TEST(TimestampCacheTest, StartsOverWhenTheBoundWouldBeExceeded) {
  TimestampCache cache(10);
  ASSERT_NE(cache.Insert(1, 6), nullptr);
  ASSERT_NE(cache.Insert(2, 4), nullptr);
  EXPECT_EQ(cache.samples(), 10u);
  ASSERT_NE(cache.Insert(3, 1), nullptr);  // 11 > 10: everything before is dropped
  EXPECT_EQ(cache.Find(1), nullptr);
  EXPECT_EQ(cache.Find(2), nullptr);
  EXPECT_NE(cache.Find(3), nullptr);
  EXPECT_EQ(cache.samples(), 1u);
  // A column larger than the whole bound is never cached.
  EXPECT_EQ(cache.Insert(4, 11), nullptr);
  EXPECT_EQ(cache.Find(4), nullptr);
  EXPECT_NE(cache.Find(3), nullptr);
}

TEST(TimestampCacheTest, EraseAndReinsertKeepTheCountExact) {
  TimestampCache cache(10);
  ASSERT_NE(cache.Insert(1, 6), nullptr);
  cache.Erase(1);
  cache.Erase(7);  // absent: nothing happens
  EXPECT_EQ(cache.Find(1), nullptr);
  EXPECT_EQ(cache.samples(), 0u);
  ASSERT_NE(cache.Insert(1, 4), nullptr);
  ASSERT_NE(cache.Insert(1, 2), nullptr);  // the same offset again replaces it
  EXPECT_EQ(cache.samples(), 2u);
  EXPECT_EQ(cache.Find(1)->size(), 2u);
}

}  // namespace
}  // namespace strata::collector::hot

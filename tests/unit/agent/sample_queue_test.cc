#include "agent/sample_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace strata::agent {
namespace {

common::SampleBatch Batch(int n, int64_t t0) {
  common::SampleBatch out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        common::SeriesSample{common::Labels{{"__name__", "m"}}, common::Sample{t0 + i, 1.0}});
  }
  return out;
}

TEST(SampleQueueTest, PopReturnsOldestFirstUpToMax) {
  common::Registry r;
  SampleQueue q(100, r);
  q.Push(Batch(10, 0));
  common::SampleBatch out = q.Pop(4, 0);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].sample.timestamp_ms, 0);
  EXPECT_EQ(q.size(), 6u);
}

TEST(SampleQueueTest, FullQueueDropsOldestAndCounts) {
  common::Registry r;
  SampleQueue q(10, r);
  q.Push(Batch(8, 0));
  q.Push(Batch(5, 100));
  EXPECT_EQ(q.size(), 10u);
  EXPECT_EQ(r.ValueOf("strata_agent_dropped_samples_total", {{"reason", "queue_full"}}), 3);
  common::SampleBatch out = q.Pop(10, 0);
  EXPECT_EQ(out.front().sample.timestamp_ms, 3);  // samples 0..2 were dropped
  EXPECT_EQ(out.back().sample.timestamp_ms, 104);
}

TEST(SampleQueueTest, RequeuePutsSamplesBackInFront) {
  common::Registry r;
  SampleQueue q(100, r);
  q.Push(Batch(2, 50));
  q.Requeue(Batch(2, 10));
  common::SampleBatch out = q.Pop(4, 0);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].sample.timestamp_ms, 10);
  EXPECT_EQ(out[2].sample.timestamp_ms, 50);
}

TEST(SampleQueueTest, PopWakesWhenEnoughSamplesArrive) {
  common::Registry r;
  SampleQueue q(100, r);
  std::thread producer([&] { q.Push(Batch(5, 0)); });
  // Would wait 60 s if the push did not wake it.
  common::SampleBatch out = q.Pop(5, 60000);
  producer.join();
  EXPECT_EQ(out.size(), 5u);
}

TEST(SampleQueueTest, CloseWakesWaiter) {
  common::Registry r;
  SampleQueue q(100, r);
  std::thread closer([&] { q.Close(); });
  common::SampleBatch out = q.Pop(5, 60000);
  closer.join();
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace strata::agent

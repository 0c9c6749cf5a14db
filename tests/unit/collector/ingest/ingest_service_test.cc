#include "collector/ingest/ingest_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "collector/storage/label_matcher.h"
#include "collector/storage/memory/memory_store.h"

namespace strata::collector {
namespace {

using common::Labels;
using common::Sample;
using common::SampleBatch;
using common::SeriesSample;

SampleBatch Samples(const std::string& name, int n, int64_t t0 = 1000) {
  SampleBatch out;
  for (int i = 0; i < n; ++i) {
    out.push_back(SeriesSample{Labels{{"__name__", name}, {"i", std::to_string(i)}},
                               Sample{t0 + i, static_cast<double>(i)}});
  }
  return out;
}

v1::Batch Encode(const SampleBatch& samples, uint64_t id, common::wire::SeriesInterner& interner) {
  v1::Batch b;
  common::wire::EncodeStats stats;
  common::wire::EncodeBatch(samples, id, "test-agent", interner, {}, &b, &stats);
  return b;
}

size_t CountSeries(MemoryStore& store, const std::string& name) {
  auto m = LabelMatcher::Create(MatchOp::kEqual, "__name__", name);
  auto r = store.Select({*m}, 0, INT64_MAX);
  return r.ok() ? r->size() : 0;
}

class IngestServiceTest : public ::testing::Test {
 protected:
  IngestServiceTest() {
    options_.limits.max_compressed_bytes = 64 << 10;
    service_ = std::make_unique<IngestService>(options_, store_, registry_);
  }
  IngestOptions options_;
  MemoryStore store_;
  common::Registry registry_;
  std::unique_ptr<IngestService> service_;
};

TEST_F(IngestServiceTest, AcksAndStoresGoodBatch) {
  common::wire::SeriesInterner interner;
  common::wire::SeriesRefTable table(options_.limits);
  v1::CollectorMessage reply = service_->HandleBatch(Encode(Samples("a", 5), 1, interner), table);
  ASSERT_TRUE(reply.has_ack());
  EXPECT_EQ(reply.ack().batch_id(), 1u);
  EXPECT_EQ(reply.ack().samples_accepted(), 5u);
  EXPECT_EQ(CountSeries(store_, "a"), 5u);
  EXPECT_EQ(registry_.ValueOf("strata_collector_ingest_samples_total"), 5);
}

TEST_F(IngestServiceTest, RejectsCorruptBatchWithTypedReasonAndCounts) {
  common::wire::SeriesInterner interner;
  common::wire::SeriesRefTable table(options_.limits);
  v1::Batch bad = Encode(Samples("a", 5), 1, interner);
  (*bad.mutable_payload())[3] ^= 0x11;
  v1::CollectorMessage reply = service_->HandleBatch(bad, table);
  ASSERT_TRUE(reply.has_reject());
  EXPECT_EQ(reply.reject().batch_id(), 1u);
  EXPECT_EQ(reply.reject().reason(), v1::CORRUPT_PAYLOAD);
  EXPECT_EQ(registry_.ValueOf("strata_collector_ingest_batch_rejections_total",
                              {{"reason", "CORRUPT_PAYLOAD"}}),
            1);
  EXPECT_EQ(CountSeries(store_, "a"), 0u);
  EXPECT_EQ(table.size(), 0u);  // a rejected batch leaves the stream's table untouched
}

TEST_F(IngestServiceTest, RejectsOversizedBatch) {
  common::wire::SeriesInterner interner;
  common::wire::SeriesRefTable table(options_.limits);
  // Random-looking label values do not compress: well over the 64 KiB test limit.
  SampleBatch big;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 4000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    big.push_back(SeriesSample{Labels{{"__name__", "big"}, {"v", std::to_string(x)}},
                               Sample{1, static_cast<double>(x)}});
  }
  v1::CollectorMessage reply = service_->HandleBatch(Encode(big, 9, interner), table);
  ASSERT_TRUE(reply.has_reject());
  EXPECT_EQ(reply.reject().reason(), v1::OVERSIZED);
  EXPECT_EQ(registry_.ValueOf("strata_collector_ingest_batch_rejections_total",
                              {{"reason", "OVERSIZED"}}),
            1);
}

// Over a real gRPC stream: a rejected batch is answered, and the same stream goes on to
// acknowledge the next good batch.
TEST_F(IngestServiceTest, StreamCarriesOnAfterRejectedBatch) {
  grpc::ServerBuilder builder;
  builder.RegisterService(service_.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto channel = server->InProcessChannel(grpc::ChannelArguments());
  auto stub = v1::Ingest::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = stub->Stream(&ctx);

  common::wire::SeriesInterner interner;
  v1::AgentMessage corrupt;
  *corrupt.mutable_batch() = Encode(Samples("x", 3), 1, interner);
  (*corrupt.mutable_batch()->mutable_payload())[2] ^= 0x40;
  ASSERT_TRUE(stream->Write(corrupt));
  v1::CollectorMessage reply;
  ASSERT_TRUE(stream->Read(&reply));
  ASSERT_TRUE(reply.has_reject());
  EXPECT_EQ(reply.reject().reason(), v1::CORRUPT_PAYLOAD);

  // The interner still believes nothing is confirmed, so the definitions travel again.
  v1::AgentMessage good;
  *good.mutable_batch() = Encode(Samples("x", 3), 2, interner);
  ASSERT_TRUE(stream->Write(good));
  ASSERT_TRUE(stream->Read(&reply));
  ASSERT_TRUE(reply.has_ack()) << reply.DebugString();
  EXPECT_EQ(reply.ack().batch_id(), 2u);
  EXPECT_EQ(CountSeries(store_, "x"), 3u);

  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  server->Shutdown();
}

}  // namespace
}  // namespace strata::collector

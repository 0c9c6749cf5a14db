#include "collector/ingest/remote_write/remote_write_handler.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "collector/storage/label_matcher.h"
#include "collector/storage/memory/memory_store.h"
#include "common/model/sample.h"
#include "prometheus/remote_write.pb.h"

// Largest single allocation made while g_track_allocations is set. The global (non-aligned)
// operator new and delete are replaced as a complete set for this test binary, so the size caps
// can be shown to hold *before* allocating; replacing only some forms would pair a sanitizer's
// new with our delete.
namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<size_t> g_largest_allocation{0};

void* TrackedAlloc(std::size_t size) noexcept {
  if (g_track_allocations.load(std::memory_order_relaxed)) {
    size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(std::size_t size) {
  if (void* p = TrackedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = TrackedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return TrackedAlloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return TrackedAlloc(size);
}
// Not inlined: GCC would otherwise see free() paired with operator new and warn.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace strata::collector::ingest {
namespace {

using common::Labels;

struct TestSeries {
  std::vector<std::pair<std::string, std::string>> labels;  // in the order sent
  std::vector<std::pair<int64_t, double>> samples;          // (timestamp_ms, value)
};

std::string Serialize(const std::vector<TestSeries>& series) {
  promrw::WriteRequest request;
  for (const TestSeries& s : series) {
    promrw::TimeSeries* ts = request.add_timeseries();
    for (const auto& [name, value] : s.labels) {
      promrw::Label* l = ts->add_labels();
      l->set_name(name);
      l->set_value(value);
    }
    for (const auto& [t, v] : s.samples) {
      promrw::Sample* sample = ts->add_samples();
      sample->set_timestamp(t);
      sample->set_value(v);
    }
  }
  return request.SerializeAsString();
}

std::string Snappy(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

std::string Body(const std::vector<TestSeries>& series) { return Snappy(Serialize(series)); }

TestSeries Good(const std::string& name, int64_t t = 1000, double v = 1) {
  return TestSeries{{{"__name__", name}, {"job", "j"}}, {{t, v}}};
}

class RemoteWriteHandlerTest : public ::testing::Test {
 protected:
  RemoteWriteResult Send(const std::string& body, std::string_view encoding = "snappy",
                         std::string_view type = "application/x-protobuf") {
    return handler_.Handle(body, encoding, type);
  }

  std::vector<SeriesData> All() {
    auto m = LabelMatcher::Create(MatchOp::kRegexMatch, "__name__", ".+");
    auto r = store_.Select({*m}, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max());
    return r.ok() ? *r : std::vector<SeriesData>{};
  }

  double Rejected(std::string_view reason) {
    return registry_.ValueOf("strata_collector_remote_write_rejected_requests_total",
                             {{"reason", std::string(reason)}});
  }
  double Requests(const std::string& code) {
    return registry_.ValueOf("strata_collector_remote_write_requests_total", {{"code", code}});
  }
  double SamplesRejected(const std::string& reason) {
    return registry_.ValueOf("strata_collector_remote_write_samples_rejected_total",
                             {{"reason", reason}});
  }

  // Sends a request whose first series is valid and second is `bad`; expects a 400 with
  // `reason` and nothing stored.
  void ExpectRejectedWholly(const TestSeries& bad, RemoteWriteReject reason) {
    RemoteWriteResult r = Send(Body({Good("ok_metric"), bad}));
    EXPECT_EQ(r.http_status, 400);
    EXPECT_EQ(r.reason, reason);
    EXPECT_NE(r.error_message.find("series {"), std::string::npos) << r.error_message;
    EXPECT_EQ(store_.NumSamples(), 0u);
    EXPECT_EQ(Rejected(RemoteWriteRejectName(reason)), 1);
    EXPECT_EQ(Requests("400"), 1);
  }

  MemoryStore store_;
  common::Registry registry_;
  RemoteWriteHandler handler_{RemoteWriteOptions{}, store_, registry_};
};

TEST_F(RemoteWriteHandlerTest, StoresGoodRequestExactlyIncludingNaNAndInfBits) {
  const double stale = common::StaleNaN();
  const double quiet_nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  RemoteWriteResult r = Send(Body({
      {{{"__name__", "temp"}, {"host", "a"}}, {{1000, 1.5}, {2000, -0.25}, {3000, stale}}},
      {{{"__name__", "odd"}, {"host", "b"}}, {{1000, quiet_nan}, {2000, inf}, {3000, -inf}}},
  }));
  ASSERT_EQ(r.http_status, 204) << r.error_message;
  EXPECT_TRUE(r.error_message.empty());
  EXPECT_EQ(r.series, 2u);
  EXPECT_EQ(r.samples, 6u);
  EXPECT_EQ(r.stored.accepted, 6u);

  std::vector<SeriesData> all = All();
  ASSERT_EQ(all.size(), 2u);
  // Select sorts by labels: "odd" < "temp".
  EXPECT_EQ(all[0].labels, (Labels{{"__name__", "odd"}, {"host", "b"}}));
  EXPECT_EQ(all[1].labels, (Labels{{"__name__", "temp"}, {"host", "a"}}));
  ASSERT_EQ(all[0].samples.size(), 3u);
  ASSERT_EQ(all[1].samples.size(), 3u);
  const std::vector<std::pair<int64_t, double>> want_odd = {
      {1000, quiet_nan}, {2000, inf}, {3000, -inf}};
  const std::vector<std::pair<int64_t, double>> want_temp = {
      {1000, 1.5}, {2000, -0.25}, {3000, stale}};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(all[0].samples[i].timestamp_ms, want_odd[i].first);
    EXPECT_EQ(std::bit_cast<uint64_t>(all[0].samples[i].value),
              std::bit_cast<uint64_t>(want_odd[i].second));
    EXPECT_EQ(all[1].samples[i].timestamp_ms, want_temp[i].first);
    EXPECT_EQ(std::bit_cast<uint64_t>(all[1].samples[i].value),
              std::bit_cast<uint64_t>(want_temp[i].second));
  }
  EXPECT_TRUE(common::IsStaleNaN(all[1].samples[2].value));
  EXPECT_EQ(Requests("204"), 1);
  EXPECT_EQ(registry_.ValueOf("strata_collector_remote_write_samples_total"), 6);
}

TEST_F(RemoteWriteHandlerTest, SortsUnsortedLabels) {
  RemoteWriteResult r = Send(Body({{{{"zone", "z"}, {"__name__", "m"}, {"app", "a"}}, {{5, 1}}}}));
  ASSERT_EQ(r.http_status, 204) << r.error_message;
  std::vector<SeriesData> all = All();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].labels.size(), 3u);
  EXPECT_EQ(all[0].labels[0].name, "__name__");
  EXPECT_EQ(all[0].labels[1].name, "app");
  EXPECT_EQ(all[0].labels[2].name, "zone");
}

TEST_F(RemoteWriteHandlerTest, DropsEmptyLabelValuesAsAbsent) {
  RemoteWriteResult r = Send(Body({{{{"__name__", "m"}, {"empty", ""}}, {{5, 1}}}}));
  ASSERT_EQ(r.http_status, 204) << r.error_message;
  std::vector<SeriesData> all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].labels, (Labels{{"__name__", "m"}}));
}

TEST_F(RemoteWriteHandlerTest, AcceptsEmptyWriteRequest) {
  RemoteWriteResult r = Send(Snappy(""));
  EXPECT_EQ(r.http_status, 204) << r.error_message;
  EXPECT_EQ(r.series, 0u);
}

TEST_F(RemoteWriteHandlerTest, RejectsWholeRequestWithInvalidLabelName) {
  ExpectRejectedWholly({{{"__name__", "m"}, {"1bad", "x"}}, {{1, 1}}},
                       RemoteWriteReject::kInvalidLabelName);
}

TEST_F(RemoteWriteHandlerTest, RejectsWholeRequestWithInvalidMetricName) {
  ExpectRejectedWholly({{{"__name__", "bad-name"}}, {{1, 1}}},
                       RemoteWriteReject::kInvalidMetricName);
}

TEST_F(RemoteWriteHandlerTest, RejectsWholeRequestWithoutMetricName) {
  ExpectRejectedWholly({{{"job", "x"}}, {{1, 1}}}, RemoteWriteReject::kMissingMetricName);
}

TEST_F(RemoteWriteHandlerTest, RejectsWholeRequestWithEmptyMetricName) {
  ExpectRejectedWholly({{{"__name__", ""}, {"job", "x"}}, {{1, 1}}},
                       RemoteWriteReject::kMissingMetricName);
}

TEST_F(RemoteWriteHandlerTest, RejectsWholeRequestWithDuplicateLabelName) {
  ExpectRejectedWholly({{{"__name__", "m"}, {"a", "1"}, {"a", "2"}}, {{1, 1}}},
                       RemoteWriteReject::kDuplicateLabelName);
}

TEST_F(RemoteWriteHandlerTest, RejectsWholeRequestWithInvalidUtf8LabelValue) {
  ExpectRejectedWholly({{{"__name__", "m"}, {"a", std::string("\xc3\x28", 2)}}, {{1, 1}}},
                       RemoteWriteReject::kInvalidLabelValue);
}

TEST_F(RemoteWriteHandlerTest, AcceptsMultiByteUtf8LabelValue) {
  RemoteWriteResult r =
      Send(Body({{{{"__name__", "m"}, {"city", "Zürich \xe2\x82\xac"}}, {{1, 1}}}}));
  EXPECT_EQ(r.http_status, 204) << r.error_message;
}

TEST_F(RemoteWriteHandlerTest, ErrorMessageEscapesAndTruncatesTheSeries) {
  const std::string huge(10000, '\x01');
  RemoteWriteResult r = Send(Body({{{{"__name__", huge}}, {{1, 1}}}}));
  ASSERT_EQ(r.http_status, 400);
  EXPECT_LT(r.error_message.size(), 1000u);
  EXPECT_EQ(r.error_message.find('\x01'), std::string::npos);
}

TEST_F(RemoteWriteHandlerTest, RejectsOversizedBodyWith413) {
  RemoteWriteHandler small({.max_body_bytes = 16}, store_, registry_);
  RemoteWriteResult r =
      small.Handle(Body({Good("a"), Good("b")}), "snappy", "application/x-protobuf");
  EXPECT_EQ(r.http_status, 413);
  EXPECT_EQ(r.reason, RemoteWriteReject::kBodyTooLarge);
  EXPECT_EQ(store_.NumSamples(), 0u);
  EXPECT_EQ(Rejected("body_too_large"), 1);
  EXPECT_EQ(Requests("413"), 1);
}

TEST_F(RemoteWriteHandlerTest, RejectsHugeDeclaredLengthWithoutAllocatingIt) {
  // Snappy block: varint length 2^32 - 1, then one literal byte.
  const std::string body("\xff\xff\xff\xff\x0f\x00\x41", 7);
  g_largest_allocation = 0;
  g_track_allocations = true;
  RemoteWriteResult r = Send(body);
  g_track_allocations = false;
  EXPECT_EQ(r.http_status, 413);
  EXPECT_EQ(r.reason, RemoteWriteReject::kUncompressedTooLarge);
  EXPECT_LT(g_largest_allocation.load(), 4096u);
  EXPECT_EQ(Rejected("uncompressed_too_large"), 1);
}

TEST_F(RemoteWriteHandlerTest, RejectsDeclaredLengthSnappyCannotProduceWithoutAllocatingIt) {
  // 100 MiB declared (under the 128 MiB cap) from a 6-byte body.
  const std::string body("\x80\x80\x80\x32\x00\x41", 6);
  g_largest_allocation = 0;
  g_track_allocations = true;
  RemoteWriteResult r = Send(body);
  g_track_allocations = false;
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.reason, RemoteWriteReject::kSnappyDecodeFailed);
  EXPECT_LT(g_largest_allocation.load(), 4096u);
}

TEST_F(RemoteWriteHandlerTest, RejectsMissingOrNonSnappyEncodingWith415) {
  const std::string body = Body({Good("a")});
  for (std::string_view encoding : {"", "gzip", "identity", "zstd"}) {
    RemoteWriteResult r = Send(body, encoding);
    EXPECT_EQ(r.http_status, 415) << encoding;
    EXPECT_EQ(r.reason, RemoteWriteReject::kUnsupportedEncoding);
  }
  EXPECT_EQ(store_.NumSamples(), 0u);
  EXPECT_EQ(Rejected("unsupported_encoding"), 4);
  EXPECT_EQ(Requests("415"), 4);
  EXPECT_EQ(Send(body, " Snappy ").http_status, 204);
}

TEST_F(RemoteWriteHandlerTest, ChecksContentType) {
  const std::string body = Body({Good("a")});
  EXPECT_EQ(Send(body, "snappy", "application/json").http_status, 415);
  EXPECT_EQ(Send(body, "snappy", "application/x-protobuf;proto=io.prometheus.write.v2.Request")
                .http_status,
            415);
  EXPECT_EQ(Rejected("unsupported_content_type"), 2);
  EXPECT_EQ(store_.NumSamples(), 0u);
  EXPECT_EQ(Send(body, "snappy", "").http_status, 204);
  EXPECT_EQ(
      Send(body, "snappy", "Application/X-Protobuf; proto=prometheus.WriteRequest").http_status,
      204);
}

TEST_F(RemoteWriteHandlerTest, RejectsCorruptSnappyWith400) {
  std::string body = Body({Good("a"), Good("b")});
  body.resize(body.size() - 3);  // truncated block
  RemoteWriteResult r = Send(body);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.reason, RemoteWriteReject::kSnappyDecodeFailed);
  EXPECT_NE(r.error_message.find("snappy decode failed"), std::string::npos);
  EXPECT_EQ(Send("").http_status, 400);  // not even a length header
  EXPECT_EQ(Rejected("snappy_decode_failed"), 2);
  EXPECT_EQ(store_.NumSamples(), 0u);
}

TEST_F(RemoteWriteHandlerTest, RejectsNonProtobufPayloadWith400) {
  RemoteWriteResult r = Send(Snappy("\x0a\xff\xff\xff\xff\x0f garbage"));
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.reason, RemoteWriteReject::kProtobufParseFailed);
  EXPECT_EQ(Rejected("protobuf_parse_failed"), 1);
  EXPECT_EQ(store_.NumSamples(), 0u);
}

TEST_F(RemoteWriteHandlerTest, CountsDuplicatesAndAnswers204) {
  ASSERT_EQ(Send(Body({Good("a", 1000, 1)})).http_status, 204);
  RemoteWriteResult r = Send(Body({{{{"__name__", "a"}, {"job", "j"}}, {{1000, 2}, {2000, 3}}}}));
  EXPECT_EQ(r.http_status, 204) << r.error_message;
  EXPECT_EQ(r.stored.accepted, 1u);
  EXPECT_EQ(r.stored.duplicates, 1u);
  EXPECT_EQ(SamplesRejected("duplicate"), 1);
  EXPECT_EQ(registry_.ValueOf("strata_collector_remote_write_samples_total"), 2);
  std::vector<SeriesData> all = All();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].samples.size(), 2u);
  EXPECT_EQ(all[0].samples[0].value, 1);  // the first write wins
}

TEST_F(RemoteWriteHandlerTest, CountsOutOfBoundsSamplesAndAnswers204) {
  store_.DropBefore(10'000);
  RemoteWriteResult r = Send(Body({Good("a", 5000, 1)}));
  EXPECT_EQ(r.http_status, 204);
  EXPECT_EQ(r.stored.out_of_bounds, 1u);
  EXPECT_EQ(SamplesRejected("out_of_bounds"), 1);
}

TEST_F(RemoteWriteHandlerTest, CountsDroppedHistogramsExemplarsAndMetadata) {
  promrw::WriteRequest request;
  promrw::TimeSeries* ts = request.add_timeseries();
  promrw::Label* l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("h");
  ts->add_histograms("opaque");
  ts->add_histograms("opaque");
  ts->add_exemplars("opaque");
  request.add_metadata()->set_metric_family_name("h");
  RemoteWriteResult r = Send(Snappy(request.SerializeAsString()));
  EXPECT_EQ(r.http_status, 204) << r.error_message;
  EXPECT_EQ(r.histograms_dropped, 2u);
  EXPECT_EQ(SamplesRejected("native_histogram"), 2);
  EXPECT_EQ(registry_.ValueOf("strata_collector_remote_write_exemplars_dropped_total"), 1);
  EXPECT_EQ(registry_.ValueOf("strata_collector_remote_write_metadata_dropped_total"), 1);
  EXPECT_EQ(store_.NumSamples(), 0u);
}

// Fails every append after the first `ok_appends`.
class FailingAppender final : public Appender {
 public:
  FailingAppender(Appender& next, int ok_appends, absl::Status error)
      : next_(next), ok_appends_(ok_appends), error_(std::move(error)) {}
  absl::StatusOr<AppendResult> Append(const common::Labels& labels,
                                      const std::vector<common::Sample>& samples) override {
    if (ok_appends_-- > 0) return next_.Append(labels, samples);
    return error_;
  }

 private:
  Appender& next_;
  int ok_appends_;
  absl::Status error_;
};

TEST_F(RemoteWriteHandlerTest, StorageUnavailableAnswers503AndRetryIsIdempotent) {
  FailingAppender failing(store_, 1, absl::UnavailableError("closed"));
  RemoteWriteHandler handler({}, failing, registry_);
  const std::string body = Body({Good("a"), Good("b")});
  RemoteWriteResult r = handler.Handle(body, "snappy", "application/x-protobuf");
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.reason, RemoteWriteReject::kStorageError);
  EXPECT_NE(r.error_message.find("closed"), std::string::npos);
  EXPECT_EQ(Rejected("storage_error"), 1);
  EXPECT_EQ(Requests("503"), 1);

  // The sender retries the whole request: the series stored before the error are duplicates.
  RemoteWriteResult retry = Send(body);
  EXPECT_EQ(retry.http_status, 204);
  EXPECT_EQ(retry.stored.accepted, 1u);
  EXPECT_EQ(retry.stored.duplicates, 1u);
  EXPECT_EQ(All().size(), 2u);
}

TEST_F(RemoteWriteHandlerTest, OtherStorageErrorAnswers500) {
  FailingAppender failing(store_, 0, absl::InternalError("disk on fire"));
  RemoteWriteHandler handler({}, failing, registry_);
  RemoteWriteResult r = handler.Handle(Body({Good("a")}), "snappy", "application/x-protobuf");
  EXPECT_EQ(r.http_status, 500);
  EXPECT_EQ(Requests("500"), 1);
}

}  // namespace
}  // namespace strata::collector::ingest

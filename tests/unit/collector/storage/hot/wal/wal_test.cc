#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "collector/storage/hot/wal/wal_format.h"
#include "collector/storage/hot/wal/wal_reader.h"
#include "collector/storage/hot/wal/wal_record.h"
#include "collector/storage/hot/wal/wal_segment.h"
#include "collector/storage/hot/wal/wal_writer.h"
#include "common/model/sample.h"
#include "common/selfmon/metrics.h"
#include "tests/fakes/faulty_wal_file_system.h"

namespace strata::collector::hot {
namespace {

namespace fs = std::filesystem;

using Record = std::pair<RecordType, std::string>;

// Scratch directories handed out by TestDir(), removed when the test binary exits.
struct ScratchDirs {
  ~ScratchDirs() {
    std::error_code ec;
    for (const std::string& d : dirs) fs::remove_all(d, ec);
  }
  std::vector<std::string> dirs;
};

std::string TestDir() {
  static ScratchDirs scratch;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir = fs::path(::testing::TempDir()) /
                       (std::string("wal_") + info->name() + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  scratch.dirs.push_back(dir.string());
  return dir.string();
}

std::string Payload(int i) {
  std::string p = "record-" + std::to_string(i) + "-";
  p.append(static_cast<size_t>(i * 37 % 200), static_cast<char>('a' + i % 26));
  return p;
}

RecordType TypeOf(int i) { return i % 3 == 0 ? RecordType::kSeries : RecordType::kSamples; }

absl::StatusOr<ReplayResult> ReplayAll(const std::string& dir, std::vector<Record>* out,
                                       ReplayOptions options = {}) {
  out->clear();
  return Replay(
      dir,
      [out](RecordType t, std::string_view p) {
        out->emplace_back(t, std::string(p));
        return absl::OkStatus();
      },
      options);
}

std::unique_ptr<WalWriter> OpenOrDie(const std::string& dir, WalOptions options = {}) {
  absl::StatusOr<std::unique_ptr<WalWriter>> w = WalWriter::Open(dir, options);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? std::move(*w) : nullptr;
}

std::vector<SegmentInfo> Segments(const std::string& dir) {
  absl::StatusOr<std::vector<SegmentInfo>> s = ListSegments(dir);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::vector<SegmentInfo>{};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

template <typename F>
bool PollUntil(F cond, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return cond();
}

// Writes records 0..n-1 with the given options and closes the writer.
void WriteRecords(const std::string& dir, int n, WalOptions options = {}) {
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < n; ++i) ASSERT_TRUE(w->Append(TypeOf(i), Payload(i)).ok());
  ASSERT_TRUE(w->Close().ok());
}

void ExpectRecords(const std::vector<Record>& got, int from, int to) {
  ASSERT_EQ(got.size(), static_cast<size_t>(to - from));
  for (int i = from; i < to; ++i) {
    EXPECT_EQ(got[i - from].first, TypeOf(i)) << i;
    EXPECT_EQ(got[i - from].second, Payload(i)) << i;
  }
}

TEST(WalTest, RoundTripsManyRecordsAcrossSegments) {
  const std::string dir = TestDir();
  WalOptions options;
  options.segment_size_bytes = 1024;
  WriteRecords(dir, 500, options);

  const std::vector<SegmentInfo> segs = Segments(dir);
  ASSERT_GT(segs.size(), 20u);
  for (size_t i = 0; i < segs.size(); ++i) {
    EXPECT_EQ(segs[i].seq, i + 1);
    EXPECT_EQ(fs::path(segs[i].path).filename().string(), SegmentName(segs[i].seq));
    EXPECT_LE(segs[i].size_bytes, 1024u);
  }
  std::vector<Record> got;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectRecords(got, 0, 500);
  EXPECT_EQ(r->records, 500u);
  EXPECT_EQ(r->segments, segs.size());
  EXPECT_EQ(r->first_segment, 1u);
  EXPECT_EQ(r->last_segment, segs.back().seq);
  EXPECT_EQ(r->truncated_bytes, 0u);
  EXPECT_TRUE(r->corrupt_segment.empty());
}

TEST(WalTest, TypedRecordsRoundTripThroughTheLog) {
  const std::string dir = TestDir();
  std::vector<WalSeries> series = {{1, common::Labels{{"__name__", "up"}, {"job", "a"}}},
                                   {2, common::Labels{{"__name__", "up"}, {"job", "b"}}}};
  std::vector<WalSample> samples = {{1, 1000, 1}, {2, 1000, 0}, {1, 2000, common::StaleNaN()}};
  {
    std::unique_ptr<WalWriter> w = OpenOrDie(dir);
    ASSERT_TRUE(w->LogSeries(series).ok());
    ASSERT_TRUE(w->LogSamples(samples).ok());
  }
  std::vector<WalSeries> got_series;
  std::vector<WalSample> got_samples;
  absl::StatusOr<ReplayResult> r = Replay(dir, [&](RecordType t, std::string_view p) {
    return t == RecordType::kSeries ? DecodeSeries(p, &got_series) : DecodeSamples(p, &got_samples);
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(got_series, series);
  ASSERT_EQ(got_samples.size(), 3u);
  EXPECT_EQ(got_samples[2].timestamp_ms, 2000);
  EXPECT_TRUE(common::IsStaleNaN(got_samples[2].value));
}

TEST(WalTest, ReopenContinuesInANewSegment) {
  const std::string dir = TestDir();
  WriteRecords(dir, 10);
  ASSERT_EQ(Segments(dir).size(), 1u);
  {
    std::unique_ptr<WalWriter> w = OpenOrDie(dir);
    EXPECT_EQ(w->current_segment(), 2u);
    for (int i = 10; i < 20; ++i) ASSERT_TRUE(w->Append(TypeOf(i), Payload(i)).ok());
  }
  EXPECT_EQ(Segments(dir).size(), 2u);
  std::vector<Record> got;
  ASSERT_TRUE(ReplayAll(dir, &got).ok());
  ExpectRecords(got, 0, 20);
}

TEST(WalTest, EmptyOrMissingDirectoryReplaysNothing) {
  const std::string dir = TestDir();
  std::vector<Record> got;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->segments, 0u);
  // A writer opened and closed without records leaves one header-only segment.
  WriteRecords(dir, 0);
  r = ReplayAll(dir, &got);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->segments, 1u);
  EXPECT_EQ(r->records, 0u);
}

TEST(WalTest, TornTailAtEveryOffsetIsTruncatedAndTheLogStaysAppendable) {
  const std::string dir = TestDir();
  WalOptions options;
  options.segment_size_bytes = 2048;
  constexpr int kRecords = 40;
  WriteRecords(dir, kRecords, options);
  const std::vector<SegmentInfo> segs = Segments(dir);
  ASSERT_GT(segs.size(), 1u);
  const std::string last_path = segs.back().path;
  const std::string original = ReadFile(last_path);
  const uint64_t last_start = original.size() - kRecordHeaderBytes - Payload(kRecords - 1).size();

  for (uint64_t cut = last_start; cut < original.size(); ++cut) {
    SCOPED_TRACE(cut);
    // Reset the directory to the original segments with the last one cut at `cut`.
    for (const SegmentInfo& s : Segments(dir)) {
      if (s.seq > segs.back().seq) fs::remove(s.path);
    }
    WriteFile(last_path, original.substr(0, cut));

    std::vector<Record> got;
    absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectRecords(got, 0, kRecords - 1);
    EXPECT_EQ(r->truncated_bytes, cut - last_start);
    if (cut > last_start) {
      EXPECT_EQ(r->truncated_segment, SegmentName(segs.back().seq));
      EXPECT_EQ(r->truncated_offset, last_start);
      EXPECT_FALSE(r->truncate_reason.empty());
    }
    EXPECT_EQ(fs::file_size(last_path), last_start);

    // A new writer appends cleanly; a second replay sees everything and cuts nothing.
    {
      std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
      ASSERT_TRUE(w->Append(TypeOf(kRecords - 1), Payload(kRecords - 1)).ok());
    }
    r = ReplayAll(dir, &got);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectRecords(got, 0, kRecords);
    EXPECT_EQ(r->truncated_bytes, 0u);
  }
}

TEST(WalTest, FlippedByteInLastRecordIsTruncated) {
  const std::string dir = TestDir();
  constexpr int kRecords = 30;
  WriteRecords(dir, kRecords);
  const std::string path = Segments(dir).back().path;
  const std::string original = ReadFile(path);
  const uint64_t last_start = original.size() - kRecordHeaderBytes - Payload(kRecords - 1).size();
  for (uint64_t pos = last_start; pos < original.size(); ++pos) {
    SCOPED_TRACE(pos);
    std::string bytes = original;
    bytes[pos] = static_cast<char>(bytes[pos] ^ 0x10);
    WriteFile(path, bytes);
    std::vector<Record> got;
    absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectRecords(got, 0, kRecords - 1);
    EXPECT_EQ(r->truncated_offset, last_start);
    EXPECT_EQ(r->truncated_bytes, original.size() - last_start);
    EXPECT_EQ(fs::file_size(path), last_start);
  }
}

TEST(WalTest, ReadOnlyReplayReportsTornTailWithoutCutting) {
  const std::string dir = TestDir();
  WriteRecords(dir, 5);
  const std::string path = Segments(dir).back().path;
  const uint64_t size = fs::file_size(path);
  fs::resize_file(path, size - 3);
  std::vector<Record> got;
  ReplayOptions options;
  options.repair_torn_tail = false;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectRecords(got, 0, 4);
  EXPECT_GT(r->truncated_bytes, 0u);
  EXPECT_EQ(fs::file_size(path), size - 3);
}

TEST(WalTest, FlippedByteInOlderSegmentIsReportedWithSegmentAndOffset) {
  const std::string dir = TestDir();
  WalOptions options;
  options.segment_size_bytes = 1024;
  WriteRecords(dir, 100, options);
  const std::vector<SegmentInfo> segs = Segments(dir);
  ASSERT_GT(segs.size(), 3u);

  // Damage the second record of segment 2; segment 1's record count says which record that is.
  const std::string seg2 = ReadFile(segs[1].path);
  absl::StatusOr<SegmentScan> s1 = ScanSegment(segs[0].path, nullptr);
  ASSERT_TRUE(s1.ok());
  const uint64_t records_before = s1->records;
  const uint64_t first_len = kRecordHeaderBytes + Payload(static_cast<int>(records_before)).size();
  const uint64_t second_offset = kSegmentHeaderBytes + first_len;
  std::string bytes = seg2;
  bytes[second_offset + kRecordHeaderBytes + 2] ^= 0x01;
  WriteFile(segs[1].path, bytes);

  std::vector<Record> got;
  WalReader reader(dir);
  absl::Status st = reader.Replay([&](RecordType t, std::string_view p) {
    got.emplace_back(t, std::string(p));
    return absl::OkStatus();
  });
  ASSERT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(st.message().find(SegmentName(segs[1].seq)), std::string_view::npos) << st;
  EXPECT_NE(st.message().find("offset " + std::to_string(second_offset)), std::string_view::npos)
      << st;
  EXPECT_EQ(reader.result().corrupt_segment, SegmentName(segs[1].seq));
  EXPECT_EQ(reader.result().corrupt_offset, second_offset);
  EXPECT_EQ(reader.result().corrupt_reason, "record checksum mismatch");
  ExpectRecords(got, 0, static_cast<int>(records_before) + 1);
  // Nothing was modified.
  EXPECT_EQ(ReadFile(segs[1].path), bytes);
  EXPECT_EQ(Segments(dir).back().size_bytes, segs.back().size_bytes);
}

TEST(WalTest, OversizedLengthFieldIsRejectedBeforeAllocating) {
  const std::string dir = TestDir();
  WriteRecords(dir, 3);
  const std::string path = Segments(dir).back().path;
  const std::string original = ReadFile(path);
  for (uint32_t length : {0xffffffffu, static_cast<uint32_t>(kMaxRecordPayloadBytes + 1),
                          static_cast<uint32_t>(kMaxRecordPayloadBytes)}) {
    SCOPED_TRACE(length);
    std::string bytes = original;
    char header[kRecordHeaderBytes];
    EncodeRecordHeader(RecordType::kSamples, "", header);
    StoreU32Le(length, header + 1);
    bytes.append(header, sizeof(header));
    bytes.append(100, 'x');
    WriteFile(path, bytes);
    std::vector<Record> got;
    absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectRecords(got, 0, 3);
    EXPECT_EQ(r->truncated_bytes, kRecordHeaderBytes + 100);
    EXPECT_EQ(ReadFile(path), original);
  }
}

TEST(WalTest, MissingMiddleSegmentIsDataLoss) {
  const std::string dir = TestDir();
  WalOptions options;
  options.segment_size_bytes = 512;
  WriteRecords(dir, 40, options);
  const std::vector<SegmentInfo> segs = Segments(dir);
  ASSERT_GT(segs.size(), 3u);
  fs::remove(segs[2].path);
  std::vector<Record> got;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find(SegmentName(segs[2].seq)), std::string_view::npos);
}

TEST(WalTest, UnknownSegmentVersionIsNeverRepaired) {
  const std::string dir = TestDir();
  WriteRecords(dir, 3);
  const std::string path = Segments(dir).back().path;
  std::string bytes = ReadFile(path);
  bytes[4] = 9;
  WriteFile(path, bytes);
  std::vector<Record> got;
  EXPECT_EQ(ReplayAll(dir, &got).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(WalWriter::Open(dir, {}).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ReadFile(path), bytes);
}

TEST(WalTest, OpenRepairsATornTailEvenWithoutReplay) {
  const std::string dir = TestDir();
  WriteRecords(dir, 10);
  const std::string path = Segments(dir).back().path;
  fs::resize_file(path, fs::file_size(path) - 5);
  {
    std::unique_ptr<WalWriter> w = OpenOrDie(dir);
    ASSERT_TRUE(w->Append(TypeOf(9), Payload(9)).ok());
  }
  std::vector<Record> got;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectRecords(got, 0, 10);
}

TEST(WalTest, RecordLargerThanTheSegmentGetsASegmentOfItsOwn) {
  const std::string dir = TestDir();
  WalOptions options;
  options.segment_size_bytes = 256;
  const std::string big(1000, 'B');
  {
    std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
    ASSERT_TRUE(w->Append(RecordType::kSamples, "small").ok());
    ASSERT_TRUE(w->Append(RecordType::kSamples, big).ok());
    ASSERT_TRUE(w->Append(RecordType::kSamples, "after").ok());
  }
  const std::vector<SegmentInfo> segs = Segments(dir);
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[1].size_bytes, kSegmentHeaderBytes + kRecordHeaderBytes + big.size());
  std::vector<Record> got;
  ASSERT_TRUE(ReplayAll(dir, &got).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].second, big);
}

TEST(WalTest, RejectsRecordAboveTheCapWithoutWriting) {
  const std::string dir = TestDir();
  std::unique_ptr<WalWriter> w = OpenOrDie(dir);
  const std::string huge(kMaxRecordPayloadBytes + 1, 'h');
  EXPECT_EQ(w->Append(RecordType::kSamples, huge).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(w->Append(RecordType::kInvalid, "x").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(Segments(dir).back().size_bytes, kSegmentHeaderBytes);
}

TEST(WalTest, SecondWriterOnTheSameDirectoryIsRejected) {
  const std::string dir = TestDir();
  std::unique_ptr<WalWriter> w = OpenOrDie(dir);
  EXPECT_EQ(WalWriter::Open(dir, {}).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(w->Close().ok());
  EXPECT_TRUE(WalWriter::Open(dir, {}).ok());
}

TEST(WalTest, FsyncAlwaysSyncsBeforeAppendReturns) {
  const std::string dir = TestDir();
  common::Registry registry;
  WalOptions options;
  options.registry = &registry;
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(w->Append(RecordType::kSamples, Payload(i)).ok());
    EXPECT_EQ(registry.ValueOf("strata_collector_wal_fsyncs_total"), i);
  }
  EXPECT_EQ(registry.ValueOf("strata_collector_wal_records_written_total"), 5);
  EXPECT_GE(registry.ValueOf("strata_collector_wal_fsync_duration_seconds_total"), 0);
}

bool ThreadNamed(const std::string& name) {
  for (const auto& e : fs::directory_iterator("/proc/self/task")) {
    std::string comm = ReadFile((e.path() / "comm").string());
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm == name) return true;
  }
  return false;
}

TEST(WalTest, IntervalPolicySyncsInTheBackground) {
  const std::string dir = TestDir();
  common::Registry registry;
  WalOptions options;
  options.fsync = FsyncPolicy::kInterval;
  options.sync_interval_ms = 10;
  options.registry = &registry;
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  EXPECT_TRUE(PollUntil([] { return ThreadNamed("wal-sync"); }));
  ASSERT_TRUE(w->Append(RecordType::kSamples, "x").ok());
  EXPECT_TRUE(
      PollUntil([&] { return registry.ValueOf("strata_collector_wal_fsyncs_total") >= 1; }));
  const double after = registry.ValueOf("strata_collector_wal_fsyncs_total");
  ASSERT_TRUE(w->Append(RecordType::kSamples, "y").ok());
  EXPECT_TRUE(
      PollUntil([&] { return registry.ValueOf("strata_collector_wal_fsyncs_total") > after; }));
  ASSERT_TRUE(w->Close().ok());
}

TEST(WalTest, IntervalCloseSyncsAndJoinsPromptly) {
  const std::string dir = TestDir();
  common::Registry registry;
  WalOptions options;
  options.fsync = FsyncPolicy::kInterval;
  options.sync_interval_ms = 3'600'000;
  options.registry = &registry;
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->Append(TypeOf(i), Payload(i)).ok());
  EXPECT_EQ(registry.ValueOf("strata_collector_wal_fsyncs_total"), 0);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(w->Close().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(registry.ValueOf("strata_collector_wal_fsyncs_total"), 1);
  EXPECT_FALSE(ThreadNamed("wal-sync"));
  EXPECT_EQ(w->Append(RecordType::kSamples, "late").code(), absl::StatusCode::kFailedPrecondition);
  std::vector<Record> got;
  ASSERT_TRUE(ReplayAll(dir, &got).ok());
  ExpectRecords(got, 0, 10);
}

void ConcurrentAppends(FsyncPolicy policy) {
  const std::string dir = TestDir();
  common::Registry registry;
  WalOptions options;
  options.segment_size_bytes = 4096;
  options.fsync = policy;
  options.sync_interval_ms = 5;
  options.registry = &registry;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  {
    std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string p = std::to_string(t) + ":" + std::to_string(i) + ":" + Payload(i);
          ASSERT_TRUE(w->Append(RecordType::kSamples, p).ok());
        }
      });
    }
    for (std::thread& th : threads) th.join();
    ASSERT_TRUE(w->Close().ok());
  }
  std::vector<Record> got;
  ASSERT_TRUE(ReplayAll(dir, &got).ok());
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);
  std::set<std::string> seen;
  for (const Record& r : got) {
    EXPECT_TRUE(seen.insert(r.second).second) << "duplicate " << r.second;
    const size_t c1 = r.second.find(':');
    const size_t c2 = r.second.find(':', c1 + 1);
    const int t = std::stoi(r.second.substr(0, c1));
    const int i = std::stoi(r.second.substr(c1 + 1, c2 - c1 - 1));
    EXPECT_EQ(i, next[t]) << "thread " << t << " out of order";
    next[t] = i + 1;
    EXPECT_EQ(r.second.substr(c2 + 1), Payload(i));
  }
  if (policy == FsyncPolicy::kAlways) {
    // Group commit: never more fsyncs than appends plus segment rolls.
    EXPECT_LE(
        registry.ValueOf("strata_collector_wal_fsyncs_total"),
        kThreads * kPerThread + registry.ValueOf("strata_collector_wal_segments_created_total"));
  }
}

TEST(WalTest, ConcurrentAppendsFromFourThreadsReplayExactlyOnceWithFsyncAlways) {
  ConcurrentAppends(FsyncPolicy::kAlways);
}

TEST(WalTest, ConcurrentAppendsFromFourThreadsReplayExactlyOnceWithFsyncInterval) {
  ConcurrentAppends(FsyncPolicy::kInterval);
}

TEST(WalTest, DiskFullFailsTheAppendAndLeavesTheLogReplayable) {
  const std::string dir = TestDir();
  FaultyWalFileSystem faulty;
  common::Registry registry;
  WalOptions options;
  options.file_system = &faulty;
  options.registry = &registry;
  options.segment_size_bytes = 1024;
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  std::vector<int> acked;
  int i = 0;
  for (; i < 20; ++i) {
    ASSERT_TRUE(w->Append(TypeOf(i), Payload(i)).ok());
    acked.push_back(i);
  }
  // The disk fills up part-way through the next record.
  faulty.SetByteBudget(20);
  absl::Status st = w->Append(TypeOf(i), Payload(i));
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_EQ(registry.ValueOf("strata_collector_wal_errors_total", {{"reason", "write"}}), 1);
  ++i;
  // The partial frame was cut: the segment ends at the last good record.
  const SegmentInfo last = Segments(dir).back();
  EXPECT_TRUE(ScanSegment(last.path, nullptr)->damage.empty());
  // Space comes back; appends succeed again in the same log.
  faulty.SetByteBudget(-1);
  for (; i < 40; ++i) {
    ASSERT_TRUE(w->Append(TypeOf(i), Payload(i)).ok());
    acked.push_back(i);
  }
  ASSERT_TRUE(w->Close().ok());

  std::vector<Record> got;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->truncated_bytes, 0u);
  ASSERT_EQ(got.size(), acked.size());
  for (size_t k = 0; k < acked.size(); ++k) EXPECT_EQ(got[k].second, Payload(acked[k]));
}

TEST(WalTest, FailedTruncateBlocksAppendsUntilTheHalfRecordIsGone) {
  const std::string dir = TestDir();
  FaultyWalFileSystem faulty;
  WalOptions options;
  options.file_system = &faulty;
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  ASSERT_TRUE(w->Append(TypeOf(0), Payload(0)).ok());
  faulty.SetByteBudget(5);
  faulty.FailNextTruncates(2);
  EXPECT_FALSE(w->Append(TypeOf(1), Payload(1)).ok());  // short write, truncate fails
  faulty.SetByteBudget(-1);
  EXPECT_FALSE(w->Append(TypeOf(1), Payload(1)).ok());  // retried truncate fails again
  // The half record is still there, and nothing was written after it.
  {
    absl::StatusOr<SegmentScan> scan = ScanSegment(Segments(dir).back().path, nullptr);
    ASSERT_TRUE(scan.ok());
    EXPECT_EQ(scan->records, 1u);
    EXPECT_EQ(scan->file_size - scan->valid_end, 5u);
  }
  ASSERT_TRUE(w->Append(TypeOf(1), Payload(1)).ok());  // truncate works now
  ASSERT_TRUE(w->Close().ok());
  std::vector<Record> got;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectRecords(got, 0, 2);
  EXPECT_EQ(r->truncated_bytes, 0u);
}

TEST(WalTest, FailedFsyncFailsTheAppendAndStartsANewSegment) {
  const std::string dir = TestDir();
  FaultyWalFileSystem faulty;
  common::Registry registry;
  WalOptions options;
  options.file_system = &faulty;
  options.registry = &registry;
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  ASSERT_TRUE(w->Append(TypeOf(0), Payload(0)).ok());
  faulty.SetFailSync(true);
  EXPECT_FALSE(w->Append(TypeOf(1), Payload(1)).ok());
  // Even once the device "recovers", the poisoned segment is not reported durable.
  faulty.SetFailSync(false);
  EXPECT_FALSE(w->Sync().ok());
  EXPECT_EQ(w->current_segment(), 1u);
  ASSERT_TRUE(w->Append(TypeOf(2), Payload(2)).ok());
  EXPECT_EQ(w->current_segment(), 2u);
  EXPECT_GE(registry.ValueOf("strata_collector_wal_errors_total", {{"reason", "fsync"}}), 1);
  ASSERT_TRUE(w->Close().ok());
  // The record whose fsync failed was never acknowledged; it is whole on disk and may replay.
  std::vector<Record> got;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectRecords(got, 0, 3);
}

TEST(WalTest, FailedSegmentCreateIsRetriedOnTheNextAppend) {
  const std::string dir = TestDir();
  FaultyWalFileSystem faulty;
  WalOptions options;
  options.file_system = &faulty;
  options.segment_size_bytes = 128;
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  ASSERT_TRUE(w->Append(RecordType::kSamples, std::string(100, 'a')).ok());
  faulty.SetFailCreate(true);
  EXPECT_FALSE(w->Append(RecordType::kSamples, std::string(100, 'b')).ok());
  faulty.SetFailCreate(false);
  ASSERT_TRUE(w->Append(RecordType::kSamples, std::string(100, 'c')).ok());
  ASSERT_TRUE(w->Close().ok());
  std::vector<Record> got;
  ASSERT_TRUE(ReplayAll(dir, &got).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].second, std::string(100, 'c'));
  EXPECT_EQ(Segments(dir).size(), 2u);
}

TEST(WalTest, TruncateBeforeDeletesOlderSegmentsOnly) {
  const std::string dir = TestDir();
  WalOptions options;
  options.segment_size_bytes = 512;
  std::unique_ptr<WalWriter> w = OpenOrDie(dir, options);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(w->Append(TypeOf(i), Payload(i)).ok());
  const uint32_t current = w->current_segment();
  ASSERT_GT(current, 4u);
  ASSERT_TRUE(TruncateBefore(dir, 3).ok());
  EXPECT_EQ(Segments(dir).front().seq, 3u);
  // Clamped: the segment being written survives.
  ASSERT_TRUE(w->TruncateBefore(1'000'000).ok());
  std::vector<SegmentInfo> segs = Segments(dir);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].seq, current);
  ASSERT_TRUE(w->Append(RecordType::kSamples, "tail").ok());
  ASSERT_TRUE(w->Close().ok());
  std::vector<Record> got;
  absl::StatusOr<ReplayResult> r = ReplayAll(dir, &got);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first_segment, current);
  EXPECT_EQ(got.back().second, "tail");
}

TEST(WalTest, ListSegmentsIgnoresOtherFiles) {
  const std::string dir = TestDir();
  WriteRecords(dir, 1);
  WriteFile(dir + "/checkpoint.00000001", "x");
  WriteFile(dir + "/0000002", "x");
  WriteFile(dir + "/00000002.tmp", "x");
  const std::vector<SegmentInfo> segs = Segments(dir);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].seq, 1u);
}

TEST(WalTest, RejectsInvalidOptions) {
  WalOptions options;
  options.segment_size_bytes = 10;
  EXPECT_FALSE(ValidateWalOptions(options).ok());
  options = {};
  options.sync_interval_ms = 0;
  EXPECT_FALSE(ValidateWalOptions(options).ok());
  EXPECT_TRUE(ValidateWalOptions({}).ok());
}

}  // namespace
}  // namespace strata::collector::hot

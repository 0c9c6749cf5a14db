#include "collector/storage/hot/head/head.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "collector/storage/hot/chunk/block_chunk_codec.h"
#include "collector/storage/hot/wal/wal_file.h"
#include "collector/storage/hot/wal/wal_format.h"
#include "collector/storage/hot/wal/wal_record.h"
#include "collector/storage/hot/wal/wal_segment.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/model/metric_id.h"

namespace strata::collector::hot {
namespace {

using common::Log;
using common::LogLevel;

constexpr char kComponent[] = "head";

int ShardOfId(uint32_t id) { return static_cast<int>(id & 15u); }

}  // namespace

Head::Head(HeadOptions options, common::Registry& registry)
    : options_(std::move(options)),
      registry_(registry),
      wal_failures_(registry.GetCounter("strata_collector_head_wal_failures_total",
                                        "Append batches refused because the WAL write failed.")),
      global_limited_(registry.GetCounter(
          "strata_collector_head_series_limited_total",
          "New series refused by a series limit, by limit (and metric for the per-metric one).",
          {{"limit", "global"}, {"metric", ""}})),
      replay_unknown_refs_(
          registry.GetCounter("strata_collector_head_replay_unknown_refs_total",
                              "WAL samples skipped at replay because their series was unknown.")) {
  min_valid_t_.store(options_.min_valid_t_ms);
  registry.SetGaugeFunc("strata_collector_head_series", "Series in the head.", {},
                        [this] { return static_cast<double>(NumSeries()); });
  registry.SetGaugeFunc("strata_collector_head_samples", "Samples in the head.", {},
                        [this] { return static_cast<double>(NumSamples()); });
  registry.SetGaugeFunc("strata_collector_head_chunks", "Closed chunks in the head.", {},
                        [this] { return static_cast<double>(NumChunks()); });
}

Head::~Head() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<Head>> Head::Open(HeadOptions options, common::Registry& registry) {
  std::unique_ptr<Head> head(new Head(std::move(options), registry));
  if (absl::Status s = head->Replay(); !s.ok()) return s;
  if (int64_t min_t = 0, max_t = 0; head->TimeRange(&min_t, &max_t)) {
    head->NoteAppendedRange(min_t, max_t);
  }
  WalOptions wal_options = head->options_.wal;
  wal_options.registry = &registry;
  absl::StatusOr<std::unique_ptr<WalWriter>> wal = WalWriter::Open(head->WalDir(), wal_options);
  if (!wal.ok()) return wal.status();
  head->wal_ = *std::move(wal);
  return head;
}

namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint.";

// The newest complete checkpoint in `wal_dir` (sequence, path), if any.
std::optional<std::pair<uint32_t, std::string>> LatestCheckpoint(const std::string& wal_dir) {
  std::optional<std::pair<uint32_t, std::string>> best;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(wal_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(kCheckpointPrefix, 0) != 0 || !e.is_directory(ec)) continue;
    std::optional<uint32_t> seq = ParseSegmentName(name.substr(kCheckpointPrefix.size()));
    if (!seq) continue;  // includes unfinished "checkpoint.N.tmp"
    if (!best || *seq > best->first) best = std::make_pair(*seq, e.path().string());
  }
  return best;
}

// Deletes checkpoint directories other than `keep` (older ones and unfinished .tmp ones). Only
// names this code creates are touched.
void RemoveOtherCheckpoints(const std::string& wal_dir, const std::string& keep) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(wal_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(kCheckpointPrefix, 0) != 0 || e.path().string() == keep) continue;
    std::filesystem::remove_all(e.path(), ec);
  }
}

}  // namespace

absl::Status Head::ReplayDir(const std::string& dir, ReplayResult* result, uint64_t* applied) {
  std::vector<WalSeries> series;
  std::vector<WalSample> samples;
  std::vector<WalChunk> chunks;
  std::vector<WalColumns> columns;
  AppendResult ignored;
  // Applies the samples `feed(add)` passes to add() to series `id` under its shard lock, as the
  // live path would have. False (counted) when the series is unknown.
  auto apply = [&](uint32_t id, auto&& feed) -> bool {
    Shard& shard = shards_[ShardOfId(id)];
    absl::MutexLock lock(&shard.mu);
    auto it = shard.by_id.find(id);
    if (it == shard.by_id.end()) {
      replay_unknown_refs_.Inc();
      return false;
    }
    const uint64_t accepted_before = ignored.accepted;
    feed([&](const common::Sample& sample) {
      AppendOne(*it->second, sample, ignored);
      ++*applied;
    });
    num_samples_.fetch_add(ignored.accepted - accepted_before, std::memory_order_relaxed);
    return true;
  };
  WalReader reader(dir);
  absl::Status s = reader.Replay([&](RecordType type, std::string_view payload) -> absl::Status {
    switch (type) {
      case RecordType::kSeries: {
        if (absl::Status d = DecodeSeries(payload, &series); !d.ok()) return d;
        for (const WalSeries& ws : series) {
          CreateFromWal(static_cast<uint32_t>(ws.ref), ws.labels);
        }
        return absl::OkStatus();
      }
      case RecordType::kSamples: {
        if (absl::Status d = DecodeSamples(payload, &samples); !d.ok()) return d;
        for (const WalSample& ws : samples) {
          apply(static_cast<uint32_t>(ws.ref), [&](auto&& add) {
            add(common::Sample{ws.timestamp_ms, ws.value});
          });
        }
        return absl::OkStatus();
      }
      case RecordType::kColumns: {
        if (absl::Status d = DecodeColumns(payload, &columns); !d.ok()) return d;
        for (const WalColumns& wc : columns) {
          const auto id = static_cast<uint32_t>(wc.ref);
          BlockChunkIterator chunk(
              wc.num_samples,
              std::span(reinterpret_cast<const uint8_t*>(wc.timestamps.data()),
                        wc.timestamps.size()),
              std::span(reinterpret_cast<const uint8_t*>(wc.values.data()), wc.values.size()));
          const bool known = apply(id, [&](auto&& add) {
            while (chunk.Next()) add(common::Sample{chunk.t(), chunk.v()});
          });
          if (known && chunk.error()) {
            return absl::DataLossError(
                absl::StrCat("undecodable columns of series ", id, " in ", dir));
          }
        }
        return absl::OkStatus();
      }
      case RecordType::kChunks: {
        if (absl::Status d = DecodeChunks(payload, &chunks); !d.ok()) return d;
        for (const WalChunk& wc : chunks) {
          const auto id = static_cast<uint32_t>(wc.ref);
          XorChunkIterator chunk(wc.data);
          const bool known = apply(id, [&](auto&& add) {
            while (chunk.Next()) add(common::Sample{chunk.t(), chunk.v()});
          });
          if (known && chunk.error()) {
            return absl::DataLossError(
                absl::StrCat("undecodable chunk of series ", id, " in ", dir));
          }
        }
        return absl::OkStatus();
      }
      default:
        return absl::OkStatus();  // record types from newer versions are skipped
    }
  });
  *result = reader.result();
  if (!s.ok()) {
    Log(LogLevel::kError, kComponent, "WAL replay failed",
        {{"dir", dir}, {"error", std::string(s.message())}});
  }
  return s;
}

absl::Status Head::Replay() {
  const int64_t start = common::SystemClock().MonotonicMs();
  uint64_t applied = 0;
  std::error_code ec;
  std::filesystem::create_directories(WalDir(), ec);
  auto checkpoint = LatestCheckpoint(WalDir());
  if (checkpoint) {
    // Finish what a checkpoint interrupted by a crash may have left: older segments and
    // checkpoints are covered by this one.
    RemoveOtherCheckpoints(WalDir(), checkpoint->second);
    if (absl::Status s = TruncateBefore(WalDir(), checkpoint->first); !s.ok()) return s;
    ReplayResult cp_result;
    if (absl::Status s = ReplayDir(checkpoint->second, &cp_result, &applied); !s.ok()) return s;
  } else {
    RemoveOtherCheckpoints(WalDir(), "");
  }
  if (absl::Status s = ReplayDir(WalDir(), &replay_result_, &applied); !s.ok()) return s;
  if (replay_result_.truncated_bytes > 0) {
    Log(LogLevel::kWarn, kComponent, "WAL had a torn tail; truncated",
        {{"segment", replay_result_.truncated_segment},
         {"offset", replay_result_.truncated_offset},
         {"bytes", replay_result_.truncated_bytes},
         {"reason", replay_result_.truncate_reason}});
  }
  Log(LogLevel::kInfo, kComponent, "WAL replayed",
      {{"checkpoint", checkpoint ? checkpoint->second : std::string("none")},
       {"records", replay_result_.records},
       {"segments", replay_result_.segments},
       {"series", NumSeries()},
       {"samples", applied},
       {"duration_ms", common::SystemClock().MonotonicMs() - start}});
  return absl::OkStatus();
}

absl::Status Head::Checkpoint() {
  if (wal_ == nullptr) return absl::FailedPreconditionError("head is closed");
  uint32_t seq = 0;
  {
    // No batch may be between its WAL write and its apply while the segment is sealed: every
    // record in the older segments is then in memory, hence in the snapshot below.
    absl::MutexLock drop_lock(&drop_mu_);
    absl::StatusOr<uint32_t> rolled = wal_->Roll();
    if (!rolled.ok()) return rolled.status();
    seq = *rolled;
  }
  const std::string final_dir = WalDir() + "/" + std::string(kCheckpointPrefix) + SegmentName(seq);
  const std::string tmp_dir = final_dir + ".tmp";
  std::error_code ec;
  // Nothing was appended since the last checkpoint (Roll() kept an empty segment): it is current.
  if (std::filesystem::exists(final_dir, ec)) return absl::OkStatus();
  std::filesystem::remove_all(tmp_dir, ec);
  WalOptions options;
  options.fsync = FsyncPolicy::kInterval;  // one sync at Close() is enough for a snapshot
  options.segment_size_bytes = options_.wal.segment_size_bytes;
  absl::StatusOr<std::unique_ptr<WalWriter>> writer = WalWriter::Open(tmp_dir, options);
  if (!writer.ok()) return writer.status();
  uint64_t series_written = 0, samples_written = 0;
  std::vector<WalSeries> series;
  std::vector<WalSample> samples;
  // Chunk bytes copied out under the shard lock, referenced by (ref, offset, length).
  std::string chunk_bytes;
  struct ChunkRef {
    uint64_t ref;
    size_t offset;
    size_t length;
    size_t block_samples;    // 0: an XOR chunk (the open one); else a closed block-codec chunk
    size_t block_ts_length;  // of which the timestamps encoding
  };
  std::vector<ChunkRef> chunk_refs;
  struct ColumnsRef {
    size_t entry;
    size_t ts_offset, ts_length, values_offset, values_length;
  };
  BlockChunkEncoder encoder;
  std::vector<int64_t> column_t;
  std::vector<double> column_v;
  std::string columns_bytes;
  std::vector<WalColumns> entries;
  std::vector<ColumnsRef> entries_refs;
  std::vector<common::Sample> buffer;
  std::string payload;
  for (Shard& shard : shards_) {
    series.clear();
    samples.clear();
    chunk_bytes.clear();
    chunk_refs.clear();
    {
      absl::MutexLock lock(&shard.mu);
      const int64_t min_valid = min_valid_t_.load();
      for (const auto& [id, s] : shard.by_id) {
        series.push_back(WalSeries{id, s->labels.ToLabels()});
        if (!s->out_of_order.empty()) {
          // Out-of-order samples merged in time order: replaying them into chunks as they are
          // could put one outside the window of a newer max_t. Rare enough to log as samples.
          buffer.clear();
          CollectSamples(*s, min_valid, std::numeric_limits<int64_t>::max(), &buffer);
          for (const common::Sample& x : buffer) {
            samples.push_back(WalSample{id, x.timestamp_ms, x.value});
          }
          continue;
        }
        // Whole chunks; samples older than min_valid_t (already in a block) that share a chunk
        // with newer ones are refused again at replay.
        // (A copy: clang 14 cannot capture a structured binding in a lambda.)
        const uint32_t series_id = id;
        for (const ClosedChunk& c : s->chunks) {
          if (c.max_t() < min_valid) continue;
          chunk_refs.push_back(ChunkRef{series_id, chunk_bytes.size(), c.encoded_bytes(),
                                        c.num_samples(), c.timestamps().size()});
          chunk_bytes.append(reinterpret_cast<const char*>(c.timestamps().data()),
                             c.encoded_bytes());
          samples_written += c.num_samples();
        }
        if (s->open.num_samples() > 0 && s->open.MaxTime() >= min_valid) {
          chunk_refs.push_back(
              ChunkRef{series_id, chunk_bytes.size(), s->open.bytes().size(), 0, 0});
          chunk_bytes.append(s->open.bytes());
          samples_written += s->open.num_samples();
        }
      }
    }
    if (!series.empty()) {
      if (absl::Status s = (*writer)->LogSeries(series); !s.ok()) return s;
    }
    // Re-encode each series' chunks as block-codec columns (about 1 byte per sample instead of
    // the XOR chunks' 2-4; series of one scrape target share their timestamps column), in
    // records of at most ~4 MiB. Chunk refs of one series are adjacent.
    entries.clear();
    columns_bytes.clear();
    size_t record_bytes = 0;
    auto flush = [&]() -> absl::Status {
      if (entries.empty()) return absl::OkStatus();
      // Entries hold offsets into columns_bytes until now (it may have grown).
      for (ColumnsRef& e : entries_refs) {
        entries.at(e.entry).timestamps =
            std::string_view(columns_bytes).substr(e.ts_offset, e.ts_length);
        entries.at(e.entry).values =
            std::string_view(columns_bytes).substr(e.values_offset, e.values_length);
      }
      payload.clear();
      EncodeColumns(entries, &payload);
      entries.clear();
      entries_refs.clear();
      columns_bytes.clear();
      record_bytes = 0;
      return (*writer)->Append(RecordType::kColumns, payload);
    };
    for (size_t i = 0; i < chunk_refs.size();) {
      const uint64_t ref = chunk_refs[i].ref;
      column_t.clear();
      column_v.clear();
      for (; i < chunk_refs.size() && chunk_refs[i].ref == ref; ++i) {
        const ChunkRef& r = chunk_refs[i];
        const std::span<const uint8_t> bytes(
            reinterpret_cast<const uint8_t*>(chunk_bytes.data()) + r.offset, r.length);
        auto drain = [&](auto&& it) {
          while (it.Next()) {
            column_t.push_back(it.t());
            column_v.push_back(it.v());
          }
        };
        if (r.block_samples == 0) {
          drain(XorChunkIterator(bytes));
        } else {
          drain(BlockChunkIterator(r.block_samples, bytes.first(r.block_ts_length),
                                   bytes.subspan(r.block_ts_length)));
        }
      }
      for (size_t begin = 0; begin < column_t.size(); begin += kBlockChunkMaxSamples) {
        const size_t n = std::min(kBlockChunkMaxSamples, column_t.size() - begin);
        ColumnsRef r;
        r.entry = entries.size();
        r.ts_offset = columns_bytes.size();
        encoder.EncodeTimestamps(std::span(column_t).subspan(begin, n), &columns_bytes);
        r.ts_length = columns_bytes.size() - r.ts_offset;
        r.values_offset = columns_bytes.size();
        encoder.EncodeValues(std::span(column_v).subspan(begin, n), &columns_bytes);
        r.values_length = columns_bytes.size() - r.values_offset;
        entries.push_back(WalColumns{ref, static_cast<uint32_t>(n), {}, {}});
        entries_refs.push_back(r);
        record_bytes += r.ts_length + r.values_length;
      }
      if (record_bytes >= (4u << 20)) {
        if (absl::Status st = flush(); !st.ok()) return st;
      }
    }
    if (absl::Status st = flush(); !st.ok()) return st;
    for (size_t i = 0; i < samples.size(); i += 50'000) {
      size_t n = std::min<size_t>(50'000, samples.size() - i);
      if (absl::Status s = (*writer)->LogSamples(std::span(samples).subspan(i, n)); !s.ok()) {
        return s;
      }
    }
    series_written += series.size();
    samples_written += samples.size();
  }
  if (absl::Status s = (*writer)->Close(); !s.ok()) return s;
  std::filesystem::rename(tmp_dir, final_dir, ec);
  if (ec) return absl::InternalError("checkpoint rename failed: " + ec.message());
  if (absl::Status s = SyncDirectory(WalDir()); !s.ok()) return s;
  RemoveOtherCheckpoints(WalDir(), final_dir);
  if (absl::Status s = wal_->TruncateBefore(seq); !s.ok()) return s;
  Log(LogLevel::kInfo, kComponent, "WAL checkpoint written",
      {{"dir", final_dir}, {"series", series_written}, {"samples", samples_written}});
  return absl::OkStatus();
}

void Head::ForEachSeriesIdInRange(
    int64_t min_t, int64_t max_t,
    const std::function<void(uint32_t id, const common::Labels&)>& fn) const {
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [id, s] : shard.by_id) {
      if (HasDataIn(*s, min_t, max_t)) fn(id, s->labels.ToLabels());
    }
  }
}

void Head::SeriesSamples(uint32_t id, int64_t min_t, int64_t max_t,
                         std::vector<common::Sample>* out) const {
  out->clear();
  const Shard& shard = shards_[ShardOfId(id)];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.by_id.find(id);
  if (it != shard.by_id.end()) CollectSamples(*it->second, min_t, max_t, out);
}

bool Head::TimeRange(int64_t* min_t, int64_t* max_t) const {
  Stats stats = GetStats(0);
  if (stats.num_samples == 0) return false;
  *min_t = stats.min_t;
  *max_t = stats.max_t;
  return true;
}

size_t Head::NumWalSegments() const {
  absl::StatusOr<std::vector<SegmentInfo>> segments = ListSegments(WalDir());
  return segments.ok() ? segments->size() : 0;
}

void Head::CreateFromWal(uint32_t id, const common::Labels& labels) {
  const uint64_t hash = common::MetricId(labels);
  if (static_cast<int>(hash % kNumShards) != ShardOfId(id)) {
    replay_unknown_refs_.Inc();  // an id that this head could not have assigned
    return;
  }
  Shard& shard = shards_[ShardOfId(id)];
  {
    absl::MutexLock lock(&shard.mu);
    if (shard.by_id.contains(id)) return;  // a definition logged twice
    auto series = std::make_unique<MemSeries>();
    series->id = id;
    series->hash = hash;
    series->labels = common::PackedLabels(labels);
    series->wal_logged = true;
    if (options_.max_series_per_metric > 0) {
      // Replay restores what was accepted before, even above a since-lowered limit.
      absl::MutexLock metric_lock(&per_metric_mu_);
      ++series_per_metric_[std::string(labels.MetricName())];
    }
    shard.Insert(std::move(series));
  }
  index_.Add(id, labels);
  num_series_.fetch_add(1, std::memory_order_relaxed);
  uint32_t seq = (id >> 4) + 1;
  uint32_t cur = next_sequence_.load();
  while (cur < seq && !next_sequence_.compare_exchange_weak(cur, seq)) {
  }
}

Head::MemSeries* Head::Shard::Find(uint64_t hash, const SeriesAppend& key) const {
  auto it = by_hash.find(hash);
  if (it == by_hash.end()) return nullptr;
  for (MemSeries* s = it->second; s != nullptr; s = s->next_same_hash) {
    if (key.labels != nullptr ? s->labels.Equals(*key.labels) : s->labels.Equals(key.label_views)) {
      return s;
    }
  }
  return nullptr;
}

void Head::Shard::Insert(std::unique_ptr<MemSeries> series) {
  MemSeries*& head = by_hash[series->hash];
  series->next_same_hash = head;
  head = series.get();
  const uint32_t id = series->id;
  by_id.emplace(id, std::move(series));
}

void Head::Shard::UnlinkHash(MemSeries* series) {
  auto it = by_hash.find(series->hash);
  if (it == by_hash.end()) return;
  for (MemSeries** link = &it->second; *link != nullptr; link = &(*link)->next_same_hash) {
    if (*link == series) {
      *link = series->next_same_hash;
      break;
    }
  }
  if (it->second == nullptr) by_hash.erase(it);
}

Head::MemSeries* Head::CreateLocked(Shard& shard, int shard_index, uint64_t hash,
                                    const SeriesAppend& key) {
  if (num_series_.fetch_add(1, std::memory_order_relaxed) >=
      static_cast<uint64_t>(options_.max_series)) {
    num_series_.fetch_sub(1, std::memory_order_relaxed);
    global_limited_.Inc();
    return nullptr;
  }
  common::PackedLabels labels = key.labels != nullptr ? common::PackedLabels(*key.labels)
                                                      : common::PackedLabels(key.label_views);
  if (!ReserveMetricSeries(labels.MetricName())) {
    num_series_.fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  auto series = std::make_unique<MemSeries>();
  series->id = (next_sequence_.fetch_add(1) << 4) | static_cast<uint32_t>(shard_index);
  series->hash = hash;
  series->labels = std::move(labels);
  MemSeries* created = series.get();
  shard.Insert(std::move(series));
  return created;
}

bool Head::HasSampleAt(const MemSeries& s, int64_t t) const {
  auto ooo =
      std::lower_bound(s.out_of_order.begin(), s.out_of_order.end(), t,
                       [](const common::Sample& a, int64_t ts) { return a.timestamp_ms < ts; });
  if (ooo != s.out_of_order.end() && ooo->timestamp_ms == t) return true;
  auto scan = [t](auto&& it) {
    while (it.Next()) {
      if (it.t() == t) return true;
      if (it.t() > t) return false;
    }
    return false;
  };
  for (const ClosedChunk& c : s.chunks) {
    if (t >= c.min_t() && t <= c.max_t() && scan(c.Iterator())) return true;
  }
  if (s.open.num_samples() > 0 && t >= s.open.MinTime() && t <= s.open.MaxTime()) {
    return scan(XorChunkIterator(s.open.bytes()));
  }
  return false;
}

void Head::AppendOne(MemSeries& s, const common::Sample& sample, AppendResult& result) {
  const int64_t t = sample.timestamp_ms;
  if (t < min_valid_t_.load(std::memory_order_relaxed)) {
    ++result.out_of_bounds;
    return;
  }
  if (t > s.max_t) {
    if (s.open.num_samples() >= static_cast<size_t>(options_.max_samples_per_chunk)) {
      s.chunks.push_back(ClosedChunk::Encode(s.open));
      s.open = XorChunkAppender();
      num_chunks_.fetch_add(1, std::memory_order_relaxed);
    }
    s.open.Append(t, sample.value);
    s.max_t = t;
    ++result.accepted;
    return;
  }
  if (t == s.max_t || HasSampleAt(s, t)) {
    ++result.duplicates;  // the first stored value wins
    return;
  }
  if (s.max_t - t > options_.out_of_order_window_ms) {
    ++result.out_of_bounds;
    return;
  }
  auto pos =
      std::lower_bound(s.out_of_order.begin(), s.out_of_order.end(), t,
                       [](const common::Sample& a, int64_t ts) { return a.timestamp_ms < ts; });
  s.out_of_order.insert(pos, sample);
  ++result.accepted;
}

absl::StatusOr<AppendResult> Head::Append(const common::Labels& labels,
                                          const std::vector<common::Sample>& samples) {
  SeriesAppend one{&labels, {}, samples};
  return AppendBatch(std::span<const SeriesAppend>(&one, 1));
}

namespace {

// Per-thread working memory of AppendBatch, reused across calls so a steady stream of batches
// does not allocate. Released after a batch bigger than kRetainedEntries.
// How many series ahead AppendBatch prefetches (the far link of a chain; the near one is half).
constexpr uint32_t kPrefetchAhead = 8;

struct AppendScratch {
  static constexpr size_t kRetainedEntries = 1 << 16;
  std::vector<uint64_t> hashes;
  std::vector<uint32_t> by_shard;  // batch indices grouped by shard
  std::vector<void*> targets;      // MemSeries* per batch index (null: skipped)
  std::vector<WalSample> wal_samples;

  void Release() {
    if (hashes.capacity() > kRetainedEntries) std::vector<uint64_t>().swap(hashes);
    if (by_shard.capacity() > kRetainedEntries) std::vector<uint32_t>().swap(by_shard);
    if (targets.capacity() > kRetainedEntries) std::vector<void*>().swap(targets);
    if (wal_samples.capacity() > kRetainedEntries) std::vector<WalSample>().swap(wal_samples);
  }
};

}  // namespace

absl::StatusOr<AppendResult> Head::AppendBatch(std::span<const SeriesAppend> batch) {
  absl::ReaderMutexLock drop_lock(&drop_mu_);
  if (wal_ == nullptr) return absl::FailedPreconditionError("head is closed");
  thread_local AppendScratch scratch;
  struct ReleaseOnExit {
    AppendScratch& s;
    ~ReleaseOnExit() { s.Release(); }
  } release{scratch};

  // 1. Hash every series and group the batch by shard (a counting sort, stable).
  const size_t n = batch.size();
  scratch.hashes.resize(n);
  scratch.targets.assign(n, nullptr);
  scratch.by_shard.resize(n);
  std::array<uint32_t, kNumShards + 1> shard_begin{};
  for (size_t i = 0; i < n; ++i) {
    const SeriesAppend& a = batch[i];
    if (a.samples.empty()) continue;
    const uint64_t hash =
        a.labels != nullptr ? common::MetricId(*a.labels) : common::MetricId(a.label_views);
    scratch.hashes[i] = hash;
    ++shard_begin[hash % kNumShards + 1];
  }
  for (int k = 0; k < kNumShards; ++k) shard_begin[k + 1] += shard_begin[k];
  std::array<uint32_t, kNumShards> fill{};
  for (size_t i = 0; i < n; ++i) {
    if (batch[i].samples.empty()) continue;
    const int k = static_cast<int>(scratch.hashes[i] % kNumShards);
    scratch.by_shard[shard_begin[k] + fill[k]++] = static_cast<uint32_t>(i);
  }

  // 2. Find or create each series, one lock per shard. New series are indexed after the shard
  // lock is released (the index has its own lock, taken by queries before shard locks).
  AppendResult result;
  std::vector<WalSeries> new_series;
  std::vector<MemSeries*> created;
  for (int k = 0; k < kNumShards; ++k) {
    if (shard_begin[k] == shard_begin[k + 1]) continue;
    Shard& shard = shards_[k];
    const uint32_t begin = shard_begin[k];
    const uint32_t end = shard_begin[k + 1];
    absl::MutexLock lock(&shard.mu);
    // Each lookup is a chain of cache misses (hash slot, series, packed labels); the shard's part
    // of the batch is walked twice so that each link is prefetched a few series ahead: first the
    // hash map probe, which yields the candidate series, then the label comparison.
    for (uint32_t j = begin; j < end; ++j) {
      if (j + kPrefetchAhead < end) {
        shard.by_hash.prefetch(scratch.hashes[scratch.by_shard[j + kPrefetchAhead]]);
      }
      const uint32_t i = scratch.by_shard[j];
      auto it = shard.by_hash.find(scratch.hashes[i]);
      MemSeries* candidate = it == shard.by_hash.end() ? nullptr : it->second;
      if (candidate != nullptr) __builtin_prefetch(candidate);
      scratch.targets[i] = candidate;
    }
    for (uint32_t j = begin; j < end; ++j) {
      if (j + kPrefetchAhead / 2 < end) {
        const auto* next = static_cast<const MemSeries*>(
            scratch.targets[scratch.by_shard[j + kPrefetchAhead / 2]]);
        if (next != nullptr) next->labels.Prefetch();
      }
      const uint32_t i = scratch.by_shard[j];
      const SeriesAppend& a = batch[i];
      MemSeries* s = static_cast<MemSeries*>(scratch.targets[i]);
      while (s != nullptr && !(a.labels != nullptr ? s->labels.Equals(*a.labels)
                                                   : s->labels.Equals(a.label_views))) {
        s = s->next_same_hash;
      }
      // The probe ran before this pass created anything: a series that first appeared earlier in
      // this batch is found again here.
      if (s == nullptr) s = shard.Find(scratch.hashes[i], a);
      scratch.targets[i] = nullptr;
      if (s == nullptr) {
        s = CreateLocked(shard, k, scratch.hashes[i], a);
        if (s == nullptr) {
          result.series_limited += a.samples.size();
          continue;
        }
        created.push_back(s);
      }
      // A series twice in one batch (or in two concurrent batches) is defined twice in the WAL;
      // replay keeps the first definition.
      if (!s->wal_logged) new_series.push_back(WalSeries{s->id, s->labels.ToLabels()});
      scratch.targets[i] = s;
    }
  }
  for (MemSeries* s : created) index_.Add(s->id, s->labels.ToLabels());

  // 3. The WAL first: a batch is applied in memory (and acknowledged) only once it is logged.
  // Samples go in batch order, which is the order replay applies them in.
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (scratch.targets[i] != nullptr) total += batch[i].samples.size();
  }
  scratch.wal_samples.clear();
  scratch.wal_samples.reserve(total);
  int64_t batch_min_t = std::numeric_limits<int64_t>::max();
  int64_t batch_max_t = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < n; ++i) {
    const auto* s = static_cast<const MemSeries*>(scratch.targets[i]);
    if (s == nullptr) continue;
    for (const common::Sample& sample : batch[i].samples) {
      scratch.wal_samples.push_back(WalSample{s->id, sample.timestamp_ms, sample.value});
      batch_min_t = std::min(batch_min_t, sample.timestamp_ms);
      batch_max_t = std::max(batch_max_t, sample.timestamp_ms);
    }
  }
  if (!new_series.empty()) {
    if (absl::Status st = wal_->LogSeries(new_series); !st.ok()) {
      wal_failures_.Inc();
      return absl::UnavailableError("WAL write failed: " + std::string(st.message()));
    }
    for (const WalSeries& ws : new_series) {
      Shard& shard = shards_[ShardOfId(static_cast<uint32_t>(ws.ref))];
      absl::MutexLock lock(&shard.mu);
      auto it = shard.by_id.find(static_cast<uint32_t>(ws.ref));
      if (it != shard.by_id.end()) it->second->wal_logged = true;
    }
  }
  if (!scratch.wal_samples.empty()) {
    if (absl::Status st = wal_->LogSamples(scratch.wal_samples); !st.ok()) {
      wal_failures_.Inc();
      return absl::UnavailableError("WAL write failed: " + std::string(st.message()));
    }
  }

  // 4. Apply, one lock per shard; each series' samples in batch order, as replay does.
  for (int k = 0; k < kNumShards; ++k) {
    if (shard_begin[k] == shard_begin[k + 1]) continue;
    Shard& shard = shards_[k];
    const uint32_t begin = shard_begin[k];
    const uint32_t end = shard_begin[k + 1];
    absl::MutexLock lock(&shard.mu);
    for (uint32_t j = begin; j < end; ++j) {
      // The series (evicted since step 2 in a large batch) and then its open chunk's tail.
      if (j + kPrefetchAhead < end) {
        const auto* far =
            static_cast<const MemSeries*>(scratch.targets[scratch.by_shard[j + kPrefetchAhead]]);
        if (far != nullptr) PrefetchForAppend(*far);
      }
      if (j + kPrefetchAhead / 2 < end) {
        const auto* near = static_cast<const MemSeries*>(
            scratch.targets[scratch.by_shard[j + kPrefetchAhead / 2]]);
        if (near != nullptr) near->open.PrefetchTail();
      }
      const uint32_t i = scratch.by_shard[j];
      auto* s = static_cast<MemSeries*>(scratch.targets[i]);
      if (s == nullptr) continue;
      for (const common::Sample& sample : batch[i].samples) AppendOne(*s, sample, result);
    }
  }
  num_samples_.fetch_add(result.accepted, std::memory_order_relaxed);
  if (result.accepted > 0) NoteAppendedRange(batch_min_t, batch_max_t);
  return result;
}

void Head::NoteAppendedRange(int64_t min_t, int64_t max_t) {
  int64_t cur = min_appended_t_.load(std::memory_order_relaxed);
  while (min_t < cur && !min_appended_t_.compare_exchange_weak(cur, min_t)) {
  }
  cur = max_appended_t_.load(std::memory_order_relaxed);
  while (max_t > cur && !max_appended_t_.compare_exchange_weak(cur, max_t)) {
  }
}

int64_t Head::AppendedSpanMs() const {
  const int64_t max_t = max_appended_t_.load(std::memory_order_relaxed);
  const int64_t floor = std::max(min_appended_t_.load(std::memory_order_relaxed),
                                 min_valid_t_.load(std::memory_order_relaxed));
  return max_t > floor ? max_t - floor : 0;
}

int64_t Head::OldestSample(const MemSeries& s) {
  int64_t oldest = std::numeric_limits<int64_t>::max();
  if (!s.chunks.empty()) oldest = s.chunks.front().min_t();
  if (s.open.num_samples() > 0) oldest = std::min(oldest, s.open.MinTime());
  if (!s.out_of_order.empty()) oldest = std::min(oldest, s.out_of_order.front().timestamp_ms);
  return oldest;
}

bool Head::HasDataIn(const MemSeries& s, int64_t min_t, int64_t max_t) const {
  for (const ClosedChunk& c : s.chunks) {
    if (c.max_t() >= min_t && c.min_t() <= max_t) return true;
  }
  if (s.open.num_samples() > 0 && s.open.MaxTime() >= min_t && s.open.MinTime() <= max_t) {
    return true;
  }
  for (const common::Sample& o : s.out_of_order) {
    if (o.timestamp_ms >= min_t && o.timestamp_ms <= max_t) return true;
  }
  return false;
}

void Head::CollectSamples(const MemSeries& s, int64_t min_t, int64_t max_t,
                          std::vector<common::Sample>* out) const {
  auto lo =
      std::lower_bound(s.out_of_order.begin(), s.out_of_order.end(), min_t,
                       [](const common::Sample& a, int64_t ts) { return a.timestamp_ms < ts; });
  auto hi =
      std::upper_bound(s.out_of_order.begin(), s.out_of_order.end(), max_t,
                       [](int64_t ts, const common::Sample& a) { return ts < a.timestamp_ms; });
  // Without out-of-order samples in range (the usual case) the chunks decode straight into `out`.
  std::vector<common::Sample> in_order;
  std::vector<common::Sample>* dst = lo == hi ? out : &in_order;
  auto decode = [&](auto&& it) {
    while (it.Next()) {
      if (it.t() > max_t) break;
      if (it.t() >= min_t) dst->push_back(common::Sample{it.t(), it.v()});
    }
  };
  int64_t t[BlockChunkIterator::kBatch];
  double v[BlockChunkIterator::kBatch];
  for (const ClosedChunk& c : s.chunks) {
    if (c.max_t() < min_t || c.min_t() > max_t) continue;
    // Closed chunks decode a column batch at a time (what most of a head read is).
    BlockChunkIterator it = c.Iterator();
    bool past = false;
    while (!past) {
      const size_t k = it.NextBatch(t, v, BlockChunkIterator::kBatch);
      if (k == 0) break;
      for (size_t i = 0; i < k; ++i) {
        if (t[i] > max_t) {
          past = true;
          break;
        }
        if (t[i] >= min_t) dst->push_back(common::Sample{t[i], v[i]});
      }
    }
  }
  if (s.open.num_samples() > 0 && s.open.MaxTime() >= min_t && s.open.MinTime() <= max_t) {
    decode(XorChunkIterator(s.open.bytes()));
  }
  if (lo == hi) return;
  out->reserve(out->size() + in_order.size() + static_cast<size_t>(hi - lo));
  std::merge(in_order.begin(), in_order.end(), lo, hi, std::back_inserter(*out),
             [](const common::Sample& a, const common::Sample& b) {
               return a.timestamp_ms < b.timestamp_ms;
             });
}

template <typename Fn>
void Head::ForEachInRange(const Roaring& ids, int64_t min_t, int64_t max_t, Fn&& fn) const {
  for (uint32_t id : ids) {
    const Shard& shard = shards_[ShardOfId(id)];
    absl::MutexLock lock(&shard.mu);
    auto it = shard.by_id.find(id);
    if (it == shard.by_id.end()) continue;  // dropped since the index lookup
    if (!HasDataIn(*it->second, min_t, max_t)) continue;
    fn(*it->second);
  }
}

// Holds the matching series' labels and ids in label order; each Next() reads one series.
class Head::SelectionCursor final : public SeriesCursor {
 public:
  SelectionCursor(const Head& head, std::vector<std::pair<common::Labels, uint32_t>> series,
                  int64_t min_t, int64_t max_t, int64_t min_time_hint)
      : head_(head),
        series_(std::move(series)),
        min_t_(min_t),
        max_t_(max_t),
        min_time_hint_(min_time_hint) {}

  // A series without samples (e.g. dropped since the selection) is skipped.
  bool Next(SeriesData* out) override { return NextByParts(out); }
  common::Labels* NextLabels() override {
    if (next_ == series_.size()) return nullptr;
    return &series_[next_++].first;
  }
  bool AppendSamples(std::vector<common::Sample>* out) override {
    const uint32_t id = series_[next_ - 1].second;
    const Shard& shard = head_.shards_[ShardOfId(id)];
    absl::MutexLock lock(&shard.mu);
    auto it = shard.by_id.find(id);
    if (it != shard.by_id.end()) head_.CollectSamples(*it->second, min_t_, max_t_, out);
    return true;
  }
  int64_t MinTimeHint() const override { return min_time_hint_; }

 private:
  const Head& head_;
  std::vector<std::pair<common::Labels, uint32_t>> series_;
  const int64_t min_t_;
  const int64_t max_t_;
  const int64_t min_time_hint_;
  size_t next_ = 0;
};

absl::StatusOr<std::unique_ptr<SeriesCursor>> Head::SelectCursor(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  Roaring ids = index_.Select(matchers);
  std::vector<std::pair<common::Labels, uint32_t>> series;
  series.reserve(ids.cardinality());
  int64_t oldest = std::numeric_limits<int64_t>::max();
  ForEachInRange(ids, min_t_ms, max_t_ms, [&](const MemSeries& s) {
    series.emplace_back(s.labels.ToLabels(), s.id);
    oldest = std::min(oldest, OldestSample(s));
  });
  std::sort(series.begin(), series.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return std::make_unique<SelectionCursor>(*this, std::move(series), min_t_ms, max_t_ms,
                                           std::max(oldest, min_t_ms));
}

absl::StatusOr<std::vector<SeriesData>> Head::Select(const std::vector<LabelMatcher>& matchers,
                                                     int64_t min_t_ms, int64_t max_t_ms) {
  absl::StatusOr<std::unique_ptr<SeriesCursor>> cursor = SelectCursor(matchers, min_t_ms, max_t_ms);
  if (!cursor.ok()) return cursor.status();
  std::vector<SeriesData> out;
  SeriesData d;
  while ((*cursor)->Next(&d)) out.push_back(std::move(d));
  return out;
}

absl::StatusOr<std::vector<common::Labels>> Head::Series(const std::vector<LabelMatcher>& matchers,
                                                         int64_t min_t_ms, int64_t max_t_ms) {
  Roaring ids = index_.Select(matchers);
  std::vector<common::Labels> out;
  ForEachInRange(ids, min_t_ms, max_t_ms,
                 [&](const MemSeries& s) { out.push_back(s.labels.ToLabels()); });
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<std::string>> Head::LabelNames(const std::vector<LabelMatcher>& matchers,
                                                          int64_t min_t_ms, int64_t max_t_ms) {
  Roaring ids = index_.Select(matchers);
  Roaring in_range;
  ForEachInRange(ids, min_t_ms, max_t_ms, [&](const MemSeries& s) { in_range.add(s.id); });
  return index_.LabelNames(&in_range);
}

absl::StatusOr<std::vector<std::string>> Head::LabelValues(
    const std::string& name, const std::vector<LabelMatcher>& matchers, int64_t min_t_ms,
    int64_t max_t_ms) {
  Roaring ids = index_.Select(matchers);
  Roaring in_range;
  ForEachInRange(ids, min_t_ms, max_t_ms, [&](const MemSeries& s) { in_range.add(s.id); });
  return index_.LabelValues(name, &in_range);
}

void Head::RejectBefore(int64_t min_t_ms) {
  absl::MutexLock drop_lock(&drop_mu_);
  RaiseMinValidLocked(min_t_ms);
}

void Head::RaiseMinValidLocked(int64_t min_t_ms) {
  int64_t cur = min_valid_t_.load();
  while (cur < min_t_ms && !min_valid_t_.compare_exchange_weak(cur, min_t_ms)) {
  }
}

void Head::DropBefore(int64_t min_t_ms) {
  absl::MutexLock drop_lock(&drop_mu_);
  RaiseMinValidLocked(min_t_ms);
  for (Shard& shard : shards_) {
    std::vector<std::pair<uint32_t, common::Labels>> removed;
    {
      absl::MutexLock lock(&shard.mu);
      for (auto it = shard.by_id.begin(); it != shard.by_id.end();) {
        MemSeries& s = *it->second;
        size_t before = s.chunks.size();
        std::erase_if(s.chunks, [&](const ClosedChunk& c) {
          if (c.max_t() >= min_t_ms) return false;
          num_samples_.fetch_sub(c.num_samples(), std::memory_order_relaxed);
          return true;
        });
        num_chunks_.fetch_sub(before - s.chunks.size(), std::memory_order_relaxed);
        if (s.open.num_samples() > 0 && s.open.MaxTime() < min_t_ms) {
          num_samples_.fetch_sub(s.open.num_samples(), std::memory_order_relaxed);
          s.open = XorChunkAppender();
        }
        size_t ooo_before = s.out_of_order.size();
        std::erase_if(s.out_of_order,
                      [&](const common::Sample& o) { return o.timestamp_ms < min_t_ms; });
        num_samples_.fetch_sub(ooo_before - s.out_of_order.size(), std::memory_order_relaxed);
        if (s.chunks.empty() && s.open.num_samples() == 0 && s.out_of_order.empty()) {
          shard.UnlinkHash(&s);
          removed.emplace_back(s.id, s.labels.ToLabels());
          shard.by_id.erase(it++);
          num_series_.fetch_sub(1, std::memory_order_relaxed);
        } else {
          ++it;
        }
      }
    }
    for (const auto& [id, labels] : removed) {
      index_.Remove(id, labels);
      ReleaseMetricSeries(labels.MetricName());
    }
  }
}

bool Head::ReserveMetricSeries(std::string_view metric) {
  if (options_.max_series_per_metric <= 0) return true;
  {
    absl::MutexLock lock(&per_metric_mu_);
    int64_t& n = series_per_metric_[std::string(metric)];
    if (n < options_.max_series_per_metric) {
      ++n;
      return true;
    }
  }
  // Bounded label set: only metrics that reached the limit get a counter, and each holds at least
  // max_series_per_metric series.
  registry_
      .GetCounter("strata_collector_head_series_limited_total",
                  "New series refused by a series limit, by limit (and metric for the per-metric "
                  "one).",
                  {{"limit", "per_metric"}, {"metric", std::string(metric)}})
      .Inc();
  return false;
}

void Head::ReleaseMetricSeries(std::string_view metric) {
  if (options_.max_series_per_metric <= 0) return;
  absl::MutexLock lock(&per_metric_mu_);
  auto it = series_per_metric_.find(std::string(metric));
  if (it != series_per_metric_.end() && --it->second <= 0) series_per_metric_.erase(it);
}

Head::Stats Head::GetStats(size_t limit) const {
  Stats stats;
  stats.num_series = NumSeries();
  stats.num_samples = NumSamples();
  int64_t min_t = std::numeric_limits<int64_t>::max();
  int64_t max_t = std::numeric_limits<int64_t>::min();
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [id, s] : shard.by_id) {
      stats.num_chunks += s->chunks.size() + (s->open.num_samples() > 0 ? 1 : 0);
      if (!s->chunks.empty()) min_t = std::min(min_t, s->chunks.front().min_t());
      if (s->open.num_samples() > 0) min_t = std::min(min_t, s->open.MinTime());
      if (!s->out_of_order.empty()) min_t = std::min(min_t, s->out_of_order.front().timestamp_ms);
      if (s->max_t != std::numeric_limits<int64_t>::min()) max_t = std::max(max_t, s->max_t);
    }
  }
  if (max_t != std::numeric_limits<int64_t>::min()) {
    stats.min_t = min_t;
    stats.max_t = max_t;
  }
  stats.top = index_.TopStats(limit);
  return stats;
}

absl::Status Head::Close() {
  if (wal_ == nullptr) return absl::OkStatus();
  absl::Status s = wal_->Close();
  return s;
}

}  // namespace strata::collector::hot

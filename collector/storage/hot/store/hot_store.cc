#include "collector/storage/hot/store/hot_store.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "collector/storage/hot/block/block_writer.h"
#include "common/base/log.h"

namespace strata::collector::hot {
namespace {

using common::Log;
using common::LogLevel;

constexpr char kComponent[] = "hot";
constexpr char kBlockPrefix[] = "block-";

// Block directory names sort by time: block-<min_t>-<max_t>, 20-digit zero-padded (times are
// non-negative Unix milliseconds here).
std::string BlockName(int64_t min_t, int64_t max_t) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s%020lld-%020lld", kBlockPrefix, static_cast<long long>(min_t),
                static_cast<long long>(max_t));
  return buf;
}

int64_t FloorTo(int64_t t, int64_t range) {
  int64_t q = t / range;
  if (t % range != 0 && t < 0) --q;
  return q * range;
}

// The head's series with samples in [min_t, max_t] as the block writer's input: label sets read
// at construction, samples read from the head per series when the writer asks.
class HeadRangeSource final : public BlockSeriesSource {
 public:
  HeadRangeSource(const Head& head, int64_t min_t, int64_t max_t)
      : head_(head), min_t_(min_t), max_t_(max_t) {
    head.ForEachSeriesIdInRange(min_t, max_t, [this](uint32_t id, const common::Labels& labels) {
      series_.push_back({id, labels});
    });
  }

  size_t NumSeries() const override { return series_.size(); }
  const common::Labels& SeriesLabels(size_t i) const override { return series_[i].labels; }

  absl::Status Samples(size_t i, std::vector<int64_t>* t, std::vector<double>* v) override {
    head_.SeriesSamples(series_[i].id, min_t_, max_t_, &buffer_);
    t->resize(buffer_.size());
    v->resize(buffer_.size());
    for (size_t k = 0; k < buffer_.size(); ++k) {
      (*t)[k] = buffer_[k].timestamp_ms;
      (*v)[k] = buffer_[k].value;
    }
    return absl::OkStatus();
  }

 private:
  struct Series {
    uint32_t id;
    common::Labels labels;
  };
  const Head& head_;
  const int64_t min_t_;
  const int64_t max_t_;
  std::vector<Series> series_;
  std::vector<common::Sample> buffer_;
};

}  // namespace

HotStore::HotStore(HotStoreOptions options, common::Registry& registry)
    : options_(std::move(options)),
      registry_(registry),
      reader_([this] { return Sources(); }),
      blocks_cut_(registry.GetCounter("strata_collector_hot_blocks_cut_total",
                                      "Blocks written from the head.")),
      blocks_deleted_(registry.GetCounter("strata_collector_hot_blocks_deleted_total",
                                          "Blocks deleted by retention.")),
      maintenance_errors_(registry.GetCounter("strata_collector_hot_maintenance_errors_total",
                                              "Failed block cuts, deletions or checkpoints.")) {
  registry.SetGaugeFunc("strata_collector_hot_blocks", "On-disk blocks of the hot tier.", {},
                        [this] { return static_cast<double>(NumBlocks()); });
}

absl::StatusOr<std::unique_ptr<HotStore>> HotStore::Open(HotStoreOptions options,
                                                         common::Registry& registry) {
  std::unique_ptr<HotStore> store(new HotStore(std::move(options), registry));
  if (absl::Status s = store->LoadBlocks(); !s.ok()) return s;
  HeadOptions head_options = store->options_.head;
  head_options.dir = store->options_.dir;
  {
    std::lock_guard<std::mutex> lock(store->blocks_mu_);
    for (const auto& [name, block] : store->blocks_) {
      head_options.min_valid_t_ms = std::max(head_options.min_valid_t_ms, block->meta().max_t + 1);
    }
  }
  absl::StatusOr<std::unique_ptr<Head>> head = Head::Open(head_options, registry);
  if (!head.ok()) return head.status();
  store->head_ = *std::move(head);
  store->head_reader_ = std::shared_ptr<StorageReader>(std::shared_ptr<void>(), store->head_.get());
  return store;
}

absl::Status HotStore::LoadBlocks() {
  std::error_code ec;
  std::filesystem::create_directories(BlocksDir(), ec);
  if (ec) return absl::InternalError("cannot create " + BlocksDir() + ": " + ec.message());
  std::vector<std::pair<std::string, std::shared_ptr<Block>>> loaded;
  for (const auto& e : std::filesystem::directory_iterator(BlocksDir(), ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kBlockPrefix, 0) != 0 || !e.is_directory()) continue;
    if (name.ends_with(kBlockTmpSuffix)) {
      // A cut interrupted by a crash: its data is still in the WAL.
      std::filesystem::remove_all(e.path(), ec);
      continue;
    }
    absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(e.path().string());
    if (!block.ok()) {
      return absl::DataLossError("block " + e.path().string() + ": " +
                                 std::string(block.status().message()));
    }
    loaded.emplace_back(name, std::shared_ptr<Block>(std::move(*block)));
  }
  std::sort(loaded.begin(), loaded.end(), [](const auto& a, const auto& b) {
    return a.second->meta().min_t < b.second->meta().min_t;
  });
  Log(LogLevel::kInfo, kComponent, "blocks loaded",
      {{"dir", BlocksDir()}, {"blocks", loaded.size()}});
  std::lock_guard<std::mutex> lock(blocks_mu_);
  blocks_ = std::move(loaded);
  return absl::OkStatus();
}

std::vector<std::shared_ptr<StorageReader>> HotStore::Sources() const {
  std::vector<std::shared_ptr<StorageReader>> out;
  out.push_back(head_reader_);
  std::lock_guard<std::mutex> lock(blocks_mu_);
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) out.push_back(it->second);
  return out;
}

size_t HotStore::NumBlocks() const {
  std::lock_guard<std::mutex> lock(blocks_mu_);
  return blocks_.size();
}

absl::Status HotStore::CutBlock(int64_t start, int64_t end) {
  // First close the range to appends: a sample acknowledged in [start, end) after the series are
  // read below would be in neither the block nor (after DropBefore) the head. Late senders get it
  // counted as out of bounds instead.
  head_->RejectBefore(end);
  // The block writer pulls one series' samples at a time from the head (which merges any
  // out-of-order samples in), so cutting holds the label sets of the range's series but never a
  // second copy of its samples.
  HeadRangeSource source(*head_, start, end - 1);
  const std::string name = BlockName(start, end - 1);
  absl::StatusOr<BlockMeta> meta = WriteBlock(BlocksDir(), name, start, end - 1, source);
  if (!meta.ok()) return meta.status();
  absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(BlocksDir() + "/" + name);
  if (!block.ok()) return block.status();
  {
    std::lock_guard<std::mutex> lock(blocks_mu_);
    blocks_.emplace_back(name, std::shared_ptr<Block>(std::move(*block)));
    std::sort(blocks_.begin(), blocks_.end(), [](const auto& a, const auto& b) {
      return a.second->meta().min_t < b.second->meta().min_t;
    });
  }
  // Only now that the block is readable does the head let go of the range.
  head_->DropBefore(end);
  blocks_cut_.Inc();
  Log(LogLevel::kInfo, kComponent, "block cut",
      {{"block", name}, {"series", meta->num_series}, {"samples", meta->num_samples}});
  return absl::OkStatus();
}

absl::Status HotStore::CutBlocksBefore(int64_t before_ms) {
  const int64_t range = options_.block_range_ms;
  for (;;) {
    int64_t min_t = 0, max_t = 0;
    if (!head_->TimeRange(&min_t, &max_t)) return absl::OkStatus();
    // The head may still hold samples of an already cut range (chunks straddling its end are
    // kept until wholly older); those are in the block, so start after the newest block.
    {
      std::lock_guard<std::mutex> lock(blocks_mu_);
      if (!blocks_.empty()) min_t = std::max(min_t, blocks_.back().second->meta().max_t + 1);
    }
    const int64_t start = FloorTo(min_t, range);
    if (start + range > before_ms || min_t > max_t) return absl::OkStatus();
    if (absl::Status s = CutBlock(start, start + range); !s.ok()) return s;
  }
}

absl::Status HotStore::Shutdown(int64_t now_ms) {
  absl::Status result = Maintenance(now_ms);
  if (head_->NumWalSegments() > 0) result.Update(head_->Checkpoint());
  result.Update(head_->Close());
  return result;
}

absl::Status HotStore::Maintenance(int64_t now_ms) {
  cut_due_notified_.store(false, std::memory_order_relaxed);
  absl::Status result;
  int64_t min_t = 0, max_t = 0;
  if (head_->TimeRange(&min_t, &max_t) && max_t - min_t > options_.block_range_ms * 3 / 2) {
    if (absl::Status s = CutBlocksBefore(max_t - options_.block_range_ms / 2); !s.ok()) {
      maintenance_errors_.Inc();
      Log(LogLevel::kError, kComponent, "block cut failed", {{"error", std::string(s.message())}});
      result.Update(s);
    }
  }
  const int64_t cut = now_ms - options_.retention_ms;
  head_->DropBefore(cut);
  std::vector<std::pair<std::string, std::shared_ptr<Block>>> expired;
  {
    std::lock_guard<std::mutex> lock(blocks_mu_);
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      if (it->second->meta().max_t < cut) {
        expired.push_back(std::move(*it));
        it = blocks_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [name, block] : expired) {
    std::error_code ec;
    std::filesystem::remove_all(BlocksDir() + "/" + name, ec);  // open mappings stay valid
    if (ec) {
      maintenance_errors_.Inc();
      result.Update(absl::InternalError("deleting block " + name + ": " + ec.message()));
      continue;
    }
    blocks_deleted_.Inc();
    Log(LogLevel::kInfo, kComponent, "block deleted by retention", {{"block", name}});
  }
  if (static_cast<int64_t>(head_->NumWalSegments()) > options_.wal_checkpoint_segments) {
    if (absl::Status s = head_->Checkpoint(); !s.ok()) {
      maintenance_errors_.Inc();
      Log(LogLevel::kError, kComponent, "WAL checkpoint failed",
          {{"error", std::string(s.message())}});
      result.Update(s);
    }
  }
  return result;
}

}  // namespace strata::collector::hot

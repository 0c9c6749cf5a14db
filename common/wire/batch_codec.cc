#include "common/wire/batch_codec.h"

#include <google/protobuf/arena.h>
#include <lz4.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <unordered_map>

#include "common/base/varint.h"
#include "common/model/metric_id.h"
#include "common/model/names.h"

namespace strata::common::wire {
namespace {

DecodeError Error(v1::RejectReason reason, std::string message) {
  return DecodeError{reason, std::move(message)};
}

// Validates a definition's labels: valid, unique, sorted names; a valid metric name.
bool ValidateLabels(const v1::SeriesDef& def, Labels* out, std::string* why) {
  std::vector<Label> labels;
  labels.reserve(def.labels_size());
  for (const v1::Label& l : def.labels()) {
    if (l.name() == kMetricNameLabel) {
      if (!IsValidMetricName(l.value())) {
        *why = "invalid metric name \"" + l.value() + "\"";
        return false;
      }
    } else if (!IsValidLabelName(l.name())) {
      *why = "invalid label name \"" + l.name() + "\"";
      return false;
    }
    if (!labels.empty() && labels.back().name >= l.name()) {
      *why = "labels not sorted or duplicated at \"" + l.name() + "\"";
      return false;
    }
    labels.push_back(Label{l.name(), l.value()});
  }
  *out = Labels::FromUnsorted(std::move(labels));
  if (out->MetricName().empty()) {
    *why = "series without a metric name";
    return false;
  }
  return true;
}

}  // namespace

// The payload (a v1::BatchPayload) is written straight in the protobuf wire format rather than
// through generated message objects: those cost a heap string per label and two repeated fields
// per series, several MB at the peak of a batch that defines 10 k series, and most of the
// encoder's time. The layout is what protobuf itself writes: every SeriesDef (field 1), then
// every SeriesSamples (field 2) with packed timestamps and values.
namespace {

constexpr uint8_t kTagSeries = (1 << 3) | 2;      // BatchPayload.series
constexpr uint8_t kTagSamples = (2 << 3) | 2;     // BatchPayload.samples
constexpr uint8_t kTagRef = (1 << 3) | 0;         // SeriesDef.ref, SeriesSamples.ref
constexpr uint8_t kTagLabel = (2 << 3) | 2;       // SeriesDef.labels
constexpr uint8_t kTagName = (1 << 3) | 2;        // Label.name
constexpr uint8_t kTagValue = (2 << 3) | 2;       // Label.value
constexpr uint8_t kTagTimestamps = (2 << 3) | 2;  // SeriesSamples.timestamps_ms, packed
constexpr uint8_t kTagValues = (3 << 3) | 2;      // SeriesSamples.values, packed

void PutVarint(std::string& out, uint64_t v) { common::AppendVarint(&out, v); }

void PutBytesField(std::string& out, uint8_t tag, std::string_view bytes) {
  out.push_back(static_cast<char>(tag));
  PutVarint(out, bytes.size());
  out.append(bytes);
}

size_t BytesFieldSize(std::string_view bytes) {
  return 1 + VarintSize(bytes.size()) + bytes.size();
}

void PutSeriesDef(std::string& out, uint32_t ref, const Labels& labels) {
  size_t len = 1 + VarintSize(ref);
  for (const auto& l : labels) {
    const size_t label_len = BytesFieldSize(l.name) + BytesFieldSize(l.value);
    len += 1 + VarintSize(label_len) + label_len;
  }
  out.push_back(static_cast<char>(kTagSeries));
  PutVarint(out, len);
  out.push_back(static_cast<char>(kTagRef));
  PutVarint(out, ref);
  for (const auto& l : labels) {
    out.push_back(static_cast<char>(kTagLabel));
    PutVarint(out, BytesFieldSize(l.name) + BytesFieldSize(l.value));
    PutBytesField(out, kTagName, l.name);
    PutBytesField(out, kTagValue, l.value);
  }
}

// One series of the batch: its samples are chained through `next` in input order.
using Group = EncodeScratch::Group;

constexpr uint32_t kEndOfChain = UINT32_MAX;

}  // namespace

void EncodeBatch(const SampleBatch& samples, uint64_t batch_id, const std::string& agent_id,
                 SeriesInterner& interner, const EncodeOptions& options, v1::Batch* out,
                 EncodeStats* stats, EncodeScratch* scratch) {
  EncodeScratch local;
  EncodeScratch& w = scratch != nullptr ? *scratch : local;
  std::string& raw = w.raw;
  raw.clear();
  raw.reserve(samples.size() * 24);
  std::vector<Group>& groups = w.groups;
  groups.clear();
  std::vector<uint32_t>& next = w.next;
  next.assign(samples.size(), kEndOfChain);
  absl::flat_hash_map<uint32_t, uint32_t>& group_of_ref = w.group_of_ref;  // ref -> groups index
  group_of_ref.clear();                                                    // keeps its capacity
  group_of_ref.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const SeriesSample& s = samples[i];
    const SeriesInterner::Entry e = interner.Intern(s.labels, MetricId(s.labels));
    const auto index = static_cast<uint32_t>(i);
    auto [it, inserted] = group_of_ref.try_emplace(e.ref, static_cast<uint32_t>(groups.size()));
    if (inserted) {
      groups.push_back(Group{e.ref, index, index, 1});
      if (!e.confirmed) {
        PutSeriesDef(raw, e.ref, s.labels);
        stats->defined_refs.push_back(e.ref);
      }
    } else {
      Group& g = groups[it->second];
      next[g.last] = index;
      g.last = index;
      ++g.count;
    }
  }
  for (const Group& g : groups) {
    size_t ts_len = 0;
    for (uint32_t i = g.first; i != kEndOfChain; i = next[i]) {
      ts_len += VarintSize(static_cast<uint64_t>(samples[i].sample.timestamp_ms));
    }
    const size_t values_len = size_t{8} * g.count;
    const size_t len = 1 + VarintSize(g.ref) + 1 + VarintSize(ts_len) + ts_len + 1 +
                       VarintSize(values_len) + values_len;
    raw.push_back(static_cast<char>(kTagSamples));
    PutVarint(raw, len);
    raw.push_back(static_cast<char>(kTagRef));
    PutVarint(raw, g.ref);
    raw.push_back(static_cast<char>(kTagTimestamps));
    PutVarint(raw, ts_len);
    for (uint32_t i = g.first; i != kEndOfChain; i = next[i]) {
      PutVarint(raw, static_cast<uint64_t>(samples[i].sample.timestamp_ms));
    }
    raw.push_back(static_cast<char>(kTagValues));
    PutVarint(raw, values_len);
    for (uint32_t i = g.first; i != kEndOfChain; i = next[i]) {
      // Little-endian fixed64, as protobuf writes a double (x86-64 and aarch64 are little-endian).
      const uint64_t bits = std::bit_cast<uint64_t>(samples[i].sample.value);
      char buf[8];
      for (int b = 0; b < 8; ++b) buf[b] = static_cast<char>(bits >> (8 * b));
      raw.append(buf, 8);
    }
  }
  out->Clear();
  out->set_batch_id(batch_id);
  out->set_agent_id(agent_id);
  out->set_uncompressed_size(static_cast<uint32_t>(raw.size()));
  out->set_payload_xxh64(XXH64(raw.data(), raw.size(), 0));
  stats->uncompressed_bytes = raw.size();
  if (options.compress) {
    // Compressed into the scratch buffer, then copied: the payload is exactly its size (a
    // compression bound is about the uncompressed size, several times the payload).
    std::string& dst = w.compressed;
    dst.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(raw.size()))));
    const int n = LZ4_compress_default(raw.data(), dst.data(), static_cast<int>(raw.size()),
                                       static_cast<int>(dst.size()));
    out->set_payload(dst.data(), static_cast<size_t>(n));
    out->set_compression(v1::COMPRESSION_LZ4_BLOCK);
  } else if (scratch != nullptr) {
    out->set_payload(raw);  // a copy: the scratch keeps its buffer
    out->set_compression(v1::COMPRESSION_NONE);
  } else {
    out->set_payload(std::move(raw));
    out->set_compression(v1::COMPRESSION_NONE);
  }
  stats->compressed_bytes = out->payload().size();
  // A batch much larger than this one (the first, defining every series) left its buffers
  // behind: let them go rather than hold them for good.
  auto trim = [](std::string& b, size_t used) {
    if (b.capacity() > 2 * used + (64u << 10)) std::string().swap(b);
  };
  trim(w.raw, stats->uncompressed_bytes);
  trim(w.compressed, LZ4_compressBound(static_cast<int>(stats->uncompressed_bytes)));
}

bool DecompressPayload(const v1::Batch& batch, const DecodeLimits& limits, std::string* payload,
                       DecodeError* error) {
  if (batch.payload().size() > limits.max_compressed_bytes) {
    *error =
        Error(v1::OVERSIZED, "compressed payload of " + std::to_string(batch.payload().size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(limits.max_compressed_bytes));
    return false;
  }
  if (batch.uncompressed_size() > limits.max_uncompressed_bytes) {
    *error =
        Error(v1::OVERSIZED,
              "declared uncompressed size of " + std::to_string(batch.uncompressed_size()) +
                  " bytes exceeds the limit of " + std::to_string(limits.max_uncompressed_bytes));
    return false;
  }
  switch (batch.compression()) {
    case v1::COMPRESSION_LZ4_BLOCK: {
      payload->resize(batch.uncompressed_size());
      int n = LZ4_decompress_safe(batch.payload().data(), payload->data(),
                                  static_cast<int>(batch.payload().size()),
                                  static_cast<int>(payload->size()));
      if (n < 0 || static_cast<uint32_t>(n) != batch.uncompressed_size()) {
        *error = Error(v1::CORRUPT_PAYLOAD, "LZ4 decompression failed or size mismatch");
        return false;
      }
      break;
    }
    case v1::COMPRESSION_NONE:
      if (batch.payload().size() != batch.uncompressed_size()) {
        *error = Error(v1::CORRUPT_PAYLOAD, "uncompressed payload size mismatch");
        return false;
      }
      *payload = batch.payload();
      break;
    default:
      *error = Error(v1::UNSUPPORTED_COMPRESSION,
                     "unsupported compression " + std::to_string(batch.compression()));
      return false;
  }
  if (XXH64(payload->data(), payload->size(), 0) != batch.payload_xxh64()) {
    *error = Error(v1::CORRUPT_PAYLOAD, "payload checksum mismatch");
    return false;
  }
  return true;
}

bool SeriesRefTable::Decode(const v1::Batch& batch, DecodedBatch* out, DecodeError* error) const {
  std::string raw;
  if (!DecompressPayload(batch, limits_, &raw, error)) return false;
  // One arena for the parsed payload: a few block allocations instead of two repeated fields per
  // series.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = std::clamp<size_t>(raw.size(), 4096, 1 << 20);
  arena_options.max_block_size = 4 << 20;
  google::protobuf::Arena arena(arena_options);
  auto* payload = google::protobuf::Arena::CreateMessage<v1::BatchPayload>(&arena);
  if (!payload->ParseFromString(raw)) {
    *error = Error(v1::CORRUPT_PAYLOAD, "payload is not a valid BatchPayload");
    return false;
  }
  out->batch_id = batch.batch_id();
  out->series.clear();
  out->samples.clear();
  out->label_views.clear();
  out->definitions.clear();
  out->num_samples = 0;
  // Reserved so that the pointers in `local` stay valid.
  out->definitions.reserve(static_cast<size_t>(payload->series_size()));
  absl::flat_hash_map<uint32_t, const PackedLabels*> local;
  size_t new_refs = 0;
  Labels labels;
  for (const v1::SeriesDef& def : payload->series()) {
    std::string why;
    if (!ValidateLabels(def, &labels, &why)) {
      *error = Error(v1::INVALID_LABELS, "series ref " + std::to_string(def.ref()) + ": " + why);
      return false;
    }
    if (!refs_.contains(def.ref()) && !local.contains(def.ref())) ++new_refs;
    out->definitions.emplace_back(def.ref(), PackedLabels(labels));
    local[def.ref()] = &out->definitions.back().second;
  }
  if (refs_.size() + new_refs > limits_.max_series_refs) {
    *error =
        Error(v1::TOO_MANY_SERIES,
              "stream would exceed " + std::to_string(limits_.max_series_refs) + " series refs");
    return false;
  }
  size_t total = 0;
  for (const v1::SeriesSamples& ss : payload->samples()) {
    if (ss.timestamps_ms_size() != ss.values_size()) {
      *error = Error(v1::CORRUPT_PAYLOAD, "series ref " + std::to_string(ss.ref()) +
                                              ": timestamps and values differ in length");
      return false;
    }
    total += static_cast<size_t>(ss.values_size());
  }
  // Reserved up front so the spans handed out below stay valid.
  out->samples.reserve(total);
  out->series.reserve(static_cast<size_t>(payload->samples_size()));
  // Each series' label views go to label_views, their spans are set at the end (label_views
  // moves while it grows).
  std::vector<size_t> view_ends;
  view_ends.reserve(static_cast<size_t>(payload->samples_size()));
  for (const v1::SeriesSamples& ss : payload->samples()) {
    const PackedLabels* labels = nullptr;
    if (auto it = local.find(ss.ref()); it != local.end()) {
      labels = it->second;
    } else if (auto it2 = refs_.find(ss.ref()); it2 != refs_.end()) {
      labels = &it2->second;
    } else {
      *error = Error(v1::UNKNOWN_SERIES_REF, "unknown series ref " + std::to_string(ss.ref()));
      return false;
    }
    labels->ForEach([&](std::string_view name, std::string_view value) {
      out->label_views.push_back(LabelView{name, value});
    });
    view_ends.push_back(out->label_views.size());
    const size_t begin = out->samples.size();
    for (int i = 0; i < ss.values_size(); ++i) {
      out->samples.push_back(Sample{ss.timestamps_ms(i), ss.values(i)});
    }
    out->series.push_back(DecodedSeries{
        {}, std::span<const Sample>(out->samples.data() + begin, out->samples.size() - begin)});
    out->num_samples += static_cast<uint64_t>(ss.values_size());
  }
  size_t view_begin = 0;
  for (size_t i = 0; i < out->series.size(); ++i) {
    out->series[i].labels =
        std::span<const LabelView>(out->label_views.data() + view_begin, view_ends[i] - view_begin);
    view_begin = view_ends[i];
  }
  return true;
}

void SeriesRefTable::Commit(DecodedBatch& batch) {
  for (auto& [ref, labels] : batch.definitions) refs_.insert_or_assign(ref, std::move(labels));
}

}  // namespace strata::common::wire

#include "common/wire/batch_codec.h"

#include <google/protobuf/arena.h>
#include <lz4.h>
#include <xxhash.h>

#include <algorithm>
#include <unordered_map>

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

void EncodeBatch(const SampleBatch& samples, uint64_t batch_id, const std::string& agent_id,
                 SeriesInterner& interner, const EncodeOptions& options, v1::Batch* out,
                 EncodeStats* stats) {
  v1::BatchPayload payload;
  // ref -> index in payload.samples; keeps the series of a batch together.
  std::unordered_map<uint32_t, int> index;
  index.reserve(samples.size());
  for (const SeriesSample& s : samples) {
    SeriesInterner::Entry e = interner.Intern(s.labels, MetricId(s.labels));
    auto [it, inserted] = index.try_emplace(e.ref, payload.samples_size());
    if (inserted) {
      v1::SeriesSamples* ss = payload.add_samples();
      ss->set_ref(e.ref);
      if (!e.confirmed) {
        v1::SeriesDef* def = payload.add_series();
        def->set_ref(e.ref);
        for (const Label& l : s.labels) {
          v1::Label* pl = def->add_labels();
          pl->set_name(l.name);
          pl->set_value(l.value);
        }
        stats->defined_refs.push_back(e.ref);
      }
    }
    v1::SeriesSamples* ss = payload.mutable_samples(it->second);
    ss->add_timestamps_ms(s.sample.timestamp_ms);
    ss->add_values(s.sample.value);
  }
  std::string raw = payload.SerializeAsString();
  out->Clear();
  out->set_batch_id(batch_id);
  out->set_agent_id(agent_id);
  out->set_uncompressed_size(static_cast<uint32_t>(raw.size()));
  out->set_payload_xxh64(XXH64(raw.data(), raw.size(), 0));
  stats->uncompressed_bytes = raw.size();
  if (options.compress) {
    std::string* dst = out->mutable_payload();
    dst->resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(raw.size()))));
    int n = LZ4_compress_default(raw.data(), dst->data(), static_cast<int>(raw.size()),
                                 static_cast<int>(dst->size()));
    dst->resize(static_cast<size_t>(n));
    out->set_compression(v1::COMPRESSION_LZ4_BLOCK);
  } else {
    out->set_payload(std::move(raw));
    out->set_compression(v1::COMPRESSION_NONE);
  }
  stats->compressed_bytes = out->payload().size();
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

#include "collector/ingest/remote_write/remote_write_handler.h"

#include <snappy.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/ingest/remote_write/write_request_decoder.h"
#include "common/model/labels.h"
#include "common/model/names.h"
#include "common/model/sample.h"

namespace strata::collector::ingest {
namespace {

// The decoder indexes with 32 bits; requests are also kept below protobuf's own 2 GiB limit so any
// remote write sender's messages fit.
constexpr uint64_t kProtobufMaxBytes = INT_MAX;

// A snappy element yields at most 64 bytes from 3 input bytes (a copy with a 2-byte offset), so a
// block can never expand by more than 64/3 < 22. A declared length beyond that is a lie; it is
// refused before the output buffer is allocated, so a few bytes cannot make us allocate
// max_uncompressed_bytes.
constexpr uint64_t kSnappyMaxExpansion = 22;

// How much of a bad series is echoed back in an error message.
constexpr size_t kMaxEchoedValueBytes = 64;
constexpr size_t kMaxEchoedSeriesBytes = 256;

constexpr std::string_view kRejectNames[kNumRemoteWriteRejects] = {
    "body_too_large",         "unsupported_encoding", "unsupported_content_type",
    "uncompressed_too_large", "snappy_decode_failed", "protobuf_parse_failed",
    "missing_metric_name",    "invalid_metric_name",  "invalid_label_name",
    "duplicate_label_name",   "invalid_label_value",  "storage_error",
};
static_assert(static_cast<int>(RemoteWriteReject::kStorageError) + 1 == kNumRemoteWriteRejects,
              "kRejectNames must name every RemoteWriteReject");

// Text helpers on std::string_view (Debian's abseil has its own string_view type, so its string
// functions do not take ours).
std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

// Printable ASCII as is (with `"` and `\` escaped), every other byte as \xNN.
void AppendEscaped(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
}

// RFC 3629: rejects overlong forms, surrogates and code points above U+10FFFF.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  // Fast path: label values are nearly always ASCII; check 8 bytes at a time.
  while (n - i >= 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) break;
    i += 8;
  }
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// `{name="value", ...}` sorted by name, C-escaped and truncated: the message goes back to the
// sender and into logs, so it must stay short and printable whatever the input.
std::string DescribeSeries(std::span<const common::LabelView> labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (out.size() > kMaxEchoedSeriesBytes) break;
    const common::LabelView& label = labels[i];
    if (i > 0) out += ",";
    AppendEscaped(label.name.substr(0, kMaxEchoedValueBytes), out);
    out += "=\"";
    AppendEscaped(label.value.substr(0, kMaxEchoedValueBytes), out);
    out += "\"";
  }
  if (out.size() > kMaxEchoedSeriesBytes) {
    out.resize(kMaxEchoedSeriesBytes);
    out += "...";
  }
  out += "}";
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  AppendEscaped(s.substr(0, kMaxEchoedValueBytes), out);
  if (s.size() > kMaxEchoedValueBytes) out += "...";
  out += "\"";
  return out;
}

// The working memory of this thread: the decompression buffer (it only grows; resize zero-fills
// new bytes, so a buffer kept at its size costs nothing the next time), the decoded request whose
// views point into it, and the batch handed to storage. Everything is released after a request
// bigger than kRetainedBufferBytes.
struct ThreadScratch {
  std::string buffer;
  DecodedWriteRequest request;
  std::vector<SeriesAppend> appends;

  void ReleaseIfLarge(uint64_t retained_bytes) {
    if (buffer.size() <= retained_bytes) return;
    std::string().swap(buffer);
    request = DecodedWriteRequest();
    std::vector<SeriesAppend>().swap(appends);
  }
};

ThreadScratch& Scratch() {
  thread_local ThreadScratch scratch;
  return scratch;
}

// Sorts the labels of one series by name when the sender did not (Prometheus sends them sorted,
// so this is usually one comparison per label).
void SortByName(std::span<common::LabelView> labels) {
  const auto by_name = [](const common::LabelView& a, const common::LabelView& b) {
    return a.name < b.name;
  };
  if (!std::is_sorted(labels.begin(), labels.end(), by_name)) {
    std::sort(labels.begin(), labels.end(), by_name);
  }
}

// Checks Content-Type. Absent is accepted (the body is validated anyway). A `proto=` parameter
// names the message in remote write 2.0; anything but the 1.0 message gets 415, which tells a
// 2.0 sender to fall back to 1.0.
bool AcceptableContentType(std::string_view content_type, std::string* why) {
  content_type = TrimAscii(content_type);
  if (content_type.empty()) return true;
  const size_t semi = content_type.find(';');
  const std::string_view media = TrimAscii(content_type.substr(0, semi));
  if (!EqualsIgnoreCase(media, "application/x-protobuf")) {
    *why = absl::StrCat("unsupported Content-Type ", Quote(media),
                        "; expected application/x-protobuf");
    return false;
  }
  std::string_view params = semi == std::string_view::npos ? "" : content_type.substr(semi + 1);
  while (!params.empty()) {
    const size_t next = params.find(';');
    std::string_view param = TrimAscii(params.substr(0, next));
    params = next == std::string_view::npos ? "" : params.substr(next + 1);
    if (!EqualsIgnoreCase(param.substr(0, 6), "proto=")) continue;
    std::string_view proto = TrimAscii(param.substr(6));
    if (proto.size() >= 2 && proto.front() == '"' && proto.back() == '"') {
      proto = proto.substr(1, proto.size() - 2);
    }
    if (proto != "prometheus.WriteRequest") {
      *why = absl::StrCat("unsupported remote write message ", Quote(proto),
                          "; only remote write 1.0 (prometheus.WriteRequest) is accepted");
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view RemoteWriteRejectName(RemoteWriteReject reason) {
  const auto i = static_cast<size_t>(reason);
  return i < std::size(kRejectNames) ? kRejectNames[i] : "unknown";
}

RemoteWriteHandler::RemoteWriteHandler(RemoteWriteOptions options, Appender& appender,
                                       common::Registry& registry)
    : options_(options),
      appender_(appender),
      registry_(registry),
      requests_204_(RequestsWithCode(204)),
      requests_400_(RequestsWithCode(400)),
      requests_413_(RequestsWithCode(413)),
      requests_415_(RequestsWithCode(415)),
      requests_500_(RequestsWithCode(500)),
      requests_503_(RequestsWithCode(503)),
      samples_(registry.GetCounter("strata_collector_remote_write_samples_total",
                                   "Samples stored from remote-write requests.")),
      samples_duplicate_(
          registry.GetCounter("strata_collector_remote_write_samples_rejected_total",
                              "Samples of accepted remote-write requests not stored, by reason.",
                              {{"reason", "duplicate"}})),
      samples_out_of_bounds_(
          registry.GetCounter("strata_collector_remote_write_samples_rejected_total",
                              "Samples of accepted remote-write requests not stored, by reason.",
                              {{"reason", "out_of_bounds"}})),
      samples_series_limited_(
          registry.GetCounter("strata_collector_remote_write_samples_rejected_total",
                              "Samples of accepted remote-write requests not stored, by reason.",
                              {{"reason", "series_limit"}})),
      histograms_dropped_(
          registry.GetCounter("strata_collector_remote_write_samples_rejected_total",
                              "Samples of accepted remote-write requests not stored, by reason.",
                              {{"reason", "native_histogram"}})),
      exemplars_dropped_(
          registry.GetCounter("strata_collector_remote_write_exemplars_dropped_total",
                              "Exemplars received by remote write and not stored (unsupported).")),
      metadata_dropped_(registry.GetCounter(
          "strata_collector_remote_write_metadata_dropped_total",
          "Metric metadata entries received by remote write and not stored (unsupported).")) {
  for (int i = 0; i < kNumRemoteWriteRejects; ++i) {
    rejected_requests_[i] = &registry.GetCounter(
        "strata_collector_remote_write_rejected_requests_total",
        "Remote-write requests refused, by reason.",
        {{"reason", std::string(RemoteWriteRejectName(static_cast<RemoteWriteReject>(i)))}});
  }
}

common::Counter& RemoteWriteHandler::RequestsWithCode(int http_status) {
  return registry_.GetCounter("strata_collector_remote_write_requests_total",
                              "Remote-write requests handled, by HTTP status code.",
                              {{"code", std::to_string(http_status)}});
}

void RemoteWriteHandler::Reject(RemoteWriteResult& result, int http_status,
                                RemoteWriteReject reason, std::string message) {
  result.http_status = http_status;
  result.reason = reason;
  result.error_message = std::move(message);
  rejected_requests_[static_cast<size_t>(reason)]->Inc();
}

RemoteWriteResult RemoteWriteHandler::Handle(std::string_view body,
                                             std::string_view content_encoding,
                                             std::string_view content_type) {
  RemoteWriteResult result;
  std::string why;
  if (body.size() > options_.max_body_bytes) {
    Reject(result, 413, RemoteWriteReject::kBodyTooLarge,
           absl::StrCat("request body of ", body.size(), " bytes exceeds the limit of ",
                        options_.max_body_bytes));
  } else if (!EqualsIgnoreCase(TrimAscii(content_encoding), "snappy")) {
    // Remote write 1.0 requires snappy; guessing the encoding of anything else would turn a
    // sender misconfiguration into confusing decode errors.
    Reject(result, 415, RemoteWriteReject::kUnsupportedEncoding,
           content_encoding.empty()
               ? std::string("missing Content-Encoding; remote write requires snappy")
               : absl::StrCat("unsupported Content-Encoding ", Quote(content_encoding),
                              "; remote write requires snappy"));
  } else if (!AcceptableContentType(content_type, &why)) {
    Reject(result, 415, RemoteWriteReject::kUnsupportedContentType, std::move(why));
  } else {
    Process(body, result);
  }
  switch (result.http_status) {
    case 204:
      requests_204_.Inc();
      break;
    case 400:
      requests_400_.Inc();
      break;
    case 413:
      requests_413_.Inc();
      break;
    case 415:
      requests_415_.Inc();
      break;
    case 500:
      requests_500_.Inc();
      break;
    case 503:
      requests_503_.Inc();
      break;
    default:
      RequestsWithCode(result.http_status).Inc();
  }
  return result;
}

void RemoteWriteHandler::Process(std::string_view body, RemoteWriteResult& result) {
  size_t declared = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &declared)) {
    Reject(result, 400, RemoteWriteReject::kSnappyDecodeFailed,
           "snappy decode failed: bad length header");
    return;
  }
  const uint64_t cap = std::min<uint64_t>(options_.max_uncompressed_bytes, kProtobufMaxBytes);
  if (declared > cap) {
    Reject(result, 413, RemoteWriteReject::kUncompressedTooLarge,
           absl::StrCat("uncompressed size of ", declared, " bytes exceeds the limit of ", cap));
    return;
  }
  if (declared > body.size() * kSnappyMaxExpansion) {
    Reject(result, 400, RemoteWriteReject::kSnappyDecodeFailed,
           absl::StrCat("snappy decode failed: declared size of ", declared,
                        " bytes cannot come from ", body.size(), " bytes"));
    return;
  }

  ThreadScratch& scratch = Scratch();
  struct ReleaseOnExit {
    ThreadScratch& s;
    ~ReleaseOnExit() { s.ReleaseIfLarge(kRetainedBufferBytes); }
  } release{scratch};
  std::string& buffer = scratch.buffer;
  DecodedWriteRequest& request = scratch.request;
  if (buffer.size() < declared) buffer.resize(declared);
  if (!snappy::RawUncompress(body.data(), body.size(), buffer.data())) {
    Reject(result, 400, RemoteWriteReject::kSnappyDecodeFailed, "snappy decode failed");
    return;
  }
  std::string why;
  if (!DecodeWriteRequest(std::string_view(buffer.data(), declared), &request, &why)) {
    Reject(result, 400, RemoteWriteReject::kProtobufParseFailed,
           absl::StrCat("protobuf parse failed: body is not a remote write 1.0 WriteRequest (", why,
                        ")"));
    return;
  }

  result.series = request.series.size();
  result.metadata_dropped = request.metadata;

  // Pass 1: validate every series and bring its labels into canonical form (sorted, empty values
  // dropped) in place. Nothing is appended until all series passed, so a rejected request leaves
  // storage untouched.
  for (DecodedSeries& series : request.series) {
    result.samples += series.samples_count;
    result.histograms_dropped += series.histograms;
    result.exemplars_dropped += series.exemplars;

    std::span<common::LabelView> labels(request.labels.data() + series.labels_begin,
                                        series.labels_count);
    SortByName(labels);
    std::string_view metric_name;
    for (size_t i = 0; i < labels.size(); ++i) {
      const common::LabelView& label = labels[i];
      if (!common::IsValidLabelName(label.name)) {
        Reject(result, 400, RemoteWriteReject::kInvalidLabelName,
               absl::StrCat("series ", DescribeSeries(labels), ": invalid label name ",
                            Quote(label.name)));
        return;
      }
      if (i > 0 && labels[i - 1].name == label.name) {
        Reject(result, 400, RemoteWriteReject::kDuplicateLabelName,
               absl::StrCat("series ", DescribeSeries(labels), ": duplicate label name ",
                            Quote(label.name)));
        return;
      }
      if (!IsValidUtf8(label.value)) {
        Reject(result, 400, RemoteWriteReject::kInvalidLabelValue,
               absl::StrCat("series ", DescribeSeries(labels), ": value of label ",
                            Quote(label.name), " is not valid UTF-8"));
        return;
      }
      if (label.name == common::kMetricNameLabel) metric_name = label.value;
    }
    if (metric_name.empty()) {
      Reject(result, 400, RemoteWriteReject::kMissingMetricName,
             absl::StrCat("series ", DescribeSeries(labels), ": missing metric name (__name__)"));
      return;
    }
    if (!common::IsValidMetricName(metric_name)) {
      Reject(result, 400, RemoteWriteReject::kInvalidMetricName,
             absl::StrCat("series ", DescribeSeries(labels), ": invalid metric name ",
                          Quote(metric_name)));
      return;
    }
    // An empty value means "no such label", as in Prometheus.
    const auto kept = std::remove_if(labels.begin(), labels.end(),
                                     [](const common::LabelView& l) { return l.value.empty(); });
    series.labels_count = static_cast<uint32_t>(kept - labels.begin());
  }

  // Pass 2: append the whole request as one batch (one WAL write and sync in the hot tier), so
  // a 204 means every accepted sample is durable.
  std::vector<SeriesAppend>& appends = scratch.appends;
  appends.clear();
  for (const DecodedSeries& series : request.series) {
    if (series.samples_count == 0) continue;  // e.g. only native histograms
    appends.push_back(
        SeriesAppend{nullptr,
                     std::span<const common::LabelView>(request.labels.data() + series.labels_begin,
                                                        series.labels_count),
                     std::span<const common::Sample>(request.samples.data() + series.samples_begin,
                                                     series.samples_count)});
  }
  AppendResult& total = result.stored;
  absl::Status storage_status;
  absl::StatusOr<AppendResult> appended = appender_.AppendBatch(appends);
  if (appended.ok()) {
    total = *appended;
  } else {
    storage_status = appended.status();
  }

  // What reached storage is counted even when a later series failed.
  samples_.Inc(static_cast<double>(total.accepted));
  samples_duplicate_.Inc(static_cast<double>(total.duplicates));
  samples_out_of_bounds_.Inc(static_cast<double>(total.out_of_bounds));
  samples_series_limited_.Inc(static_cast<double>(total.series_limited));
  if (!storage_status.ok()) {
    const bool transient =
        absl::IsUnavailable(storage_status) || absl::IsResourceExhausted(storage_status);
    Reject(result, transient ? 503 : 500, RemoteWriteReject::kStorageError,
           absl::StrCat("storage error, retry later: ", storage_status.message()));
    return;
  }
  histograms_dropped_.Inc(static_cast<double>(result.histograms_dropped));
  exemplars_dropped_.Inc(static_cast<double>(result.exemplars_dropped));
  metadata_dropped_.Inc(static_cast<double>(result.metadata_dropped));
}

}  // namespace strata::collector::ingest

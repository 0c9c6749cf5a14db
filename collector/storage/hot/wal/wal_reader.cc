#include "collector/storage/hot/wal/wal_reader.h"

#include "absl/strings/str_cat.h"
#include "collector/storage/hot/wal/wal_segment.h"

namespace strata::collector::hot {

WalReader::WalReader(std::string dir, ReplayOptions options)
    : dir_(std::move(dir)), options_(options) {}

absl::Status WalReader::Replay(const RecordCallback& callback) {
  result_ = ReplayResult();
  absl::StatusOr<std::vector<SegmentInfo>> segments = ListSegments(dir_);
  if (!segments.ok()) return segments.status();
  if (segments->empty()) return absl::OkStatus();
  result_.first_segment = segments->front().seq;
  result_.last_segment = segments->back().seq;

  for (size_t i = 0; i < segments->size(); ++i) {
    const SegmentInfo& seg = (*segments)[i];
    const std::string name = SegmentName(seg.seq);
    if (i > 0 && seg.seq != (*segments)[i - 1].seq + 1) {
      return absl::DataLossError(absl::StrCat(
          "wal: ", dir_, ": segment ", SegmentName((*segments)[i - 1].seq + 1),
          " is missing before ", name, "; replay stopped after ", result_.records, " records"));
    }
    const bool last = i + 1 == segments->size();
    absl::StatusOr<SegmentScan> scan = ScanSegment(
        seg.path, [&](RecordType type, std::string_view payload, uint64_t offset) -> absl::Status {
          if (absl::Status s = callback(type, payload); !s.ok()) {
            return absl::Status(s.code(), absl::StrCat("wal: replay of segment ", name,
                                                       " at offset ", offset, ": ", s.message()));
          }
          ++result_.records;
          result_.record_bytes += kRecordHeaderBytes + payload.size();
          return absl::OkStatus();
        });
    if (!scan.ok()) return scan.status();
    ++result_.segments;
    if (!scan->damaged()) continue;
    if (!last) {
      result_.corrupt_segment = name;
      result_.corrupt_offset = scan->valid_end;
      result_.corrupt_reason = scan->damage;
      return absl::DataLossError(absl::StrCat(
          "wal: ", dir_, ": corrupt record in segment ", name, " at offset ", scan->valid_end, " (",
          scan->damage, "); replay stopped after ", result_.records, " records"));
    }
    result_.truncated_segment = name;
    result_.truncated_offset = scan->valid_end;
    result_.truncated_bytes = scan->file_size - scan->valid_end;
    result_.truncate_reason = scan->damage;
    if (options_.repair_torn_tail) {
      if (absl::Status s = TruncateSegmentFile(seg.path, scan->valid_end); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ReplayResult> Replay(const std::string& dir, const RecordCallback& callback,
                                    ReplayOptions options) {
  WalReader reader(dir, options);
  if (absl::Status s = reader.Replay(callback); !s.ok()) return s;
  return reader.result();
}

}  // namespace strata::collector::hot

// Fuzzes the WAL's readers with arbitrary bytes. The first byte picks the mode:
//  0: a kSeries payload   -> DecodeSeries; whatever decodes must re-encode and decode the same;
//  1: a kSamples payload  -> DecodeSamples; same round-trip check, bit for bit;
//  2: segment records     -> written after a valid segment header as the only segment of a temp
//                            WAL directory, replayed (decoding every record), then replayed again;
//  3: a raw segment file  -> as 2 without the header, to reach the header checks;
//  4: a kChunks payload   -> DecodeChunks; same round-trip check (refs and chunk bytes);
//  5: a kColumns payload  -> DecodeColumns; same round-trip check.
// Invariants: nothing crashes or allocates past the caps; replay of a lone segment never fails on
// damage (it is the last segment, so damage is a torn tail); after the first replay cut the tail,
// the second sees the same records and cuts nothing.
#include <unistd.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "collector/storage/hot/wal/wal_format.h"
#include "collector/storage/hot/wal/wal_reader.h"
#include "collector/storage/hot/wal/wal_record.h"

namespace {

using namespace strata::collector::hot;

void CheckSeries(std::string_view in) {
  std::vector<WalSeries> out;
  if (!DecodeSeries(in, &out).ok()) return;
  std::string again;
  EncodeSeries(out, &again);
  std::vector<WalSeries> out2;
  if (!DecodeSeries(again, &out2).ok() || out2 != out) __builtin_trap();
}

void CheckSamples(std::string_view in) {
  std::vector<WalSample> out;
  if (!DecodeSamples(in, &out).ok()) return;
  std::string again;
  EncodeSamples(out, &again);
  std::vector<WalSample> out2;
  if (!DecodeSamples(again, &out2).ok() || out2.size() != out.size()) __builtin_trap();
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].ref != out2[i].ref || out[i].timestamp_ms != out2[i].timestamp_ms ||
        std::bit_cast<uint64_t>(out[i].value) != std::bit_cast<uint64_t>(out2[i].value)) {
      __builtin_trap();
    }
  }
}

void CheckChunks(std::string_view in) {
  std::vector<WalChunk> out;
  if (!DecodeChunks(in, &out).ok()) return;
  std::string again;
  EncodeChunks(out, &again);
  std::vector<WalChunk> out2;
  if (!DecodeChunks(again, &out2).ok() || out2.size() != out.size()) __builtin_trap();
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].ref != out2[i].ref || out[i].data != out2[i].data) __builtin_trap();
  }
}

void CheckColumns(std::string_view in) {
  std::vector<WalColumns> out;
  if (!DecodeColumns(in, &out).ok()) return;
  std::string again;
  EncodeColumns(out, &again);
  std::vector<WalColumns> out2;
  if (!DecodeColumns(again, &out2).ok() || out2.size() != out.size()) __builtin_trap();
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].ref != out2[i].ref || out[i].num_samples != out2[i].num_samples ||
        out[i].timestamps != out2[i].timestamps || out[i].values != out2[i].values) {
      __builtin_trap();
    }
  }
}

// One scratch WAL directory per process, removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    if (mkdtemp(path_.data()) == nullptr) abort();
  }
  ~ScratchDir() {
    unlink((path_ + "/" + SegmentName(1)).c_str());
    rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  // tmpfs when there is one: replay fsyncs the segments it repairs, which would dominate.
  std::string path_ =
      access("/dev/shm", W_OK) == 0 ? "/dev/shm/wal_fuzz_XXXXXX" : "/tmp/wal_fuzz_XXXXXX";
};

const std::string& FuzzDir() {
  static const ScratchDir dir;
  return dir.path();
}

void CheckSegment(std::string_view bytes) {
  const std::string path = FuzzDir() + "/" + SegmentName(1);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  auto decode = [](RecordType type, std::string_view payload) {
    if (type == RecordType::kSeries) CheckSeries(payload);
    if (type == RecordType::kSamples) CheckSamples(payload);
    if (type == RecordType::kChunks) CheckChunks(payload);
    if (type == RecordType::kColumns) CheckColumns(payload);
    return absl::OkStatus();
  };
  absl::StatusOr<ReplayResult> first = Replay(FuzzDir(), decode);
  if (!first.ok()) {
    // Only an unknown segment version may fail a lone segment.
    if (first.status().code() != absl::StatusCode::kUnimplemented) __builtin_trap();
    return;
  }
  absl::StatusOr<ReplayResult> second = Replay(FuzzDir(), decode);
  if (!second.ok() || second->records != first->records || second->truncated_bytes != 0) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 6) {
    case 0:
      CheckSeries(body);
      break;
    case 1:
      CheckSamples(body);
      break;
    case 2:
      CheckSegment(SegmentHeader() + std::string(body));
      break;
    case 3:
      CheckSegment(body);
      break;
    case 4:
      CheckChunks(body);
      break;
    default:
      CheckColumns(body);
      break;
  }
  return 0;
}

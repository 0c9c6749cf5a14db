#include "common/sketch/hyperloglog.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "common/sketch/little_endian.h"

namespace strata::common::sketch {
namespace {

// Relative standard error of HyperLogLog with m registers (Flajolet et al. 2007; Ertl 2017 shows
// the improved raw estimator matches it over the whole range).
double StandardError(int precision) { return 1.04 / std::sqrt(std::ldexp(1.0, precision)); }

// Distinct members "<salt>-<i>", i in [begin, end), added as strings (hashed with XXH3).
void AddMembers(HyperLogLog* hll, uint64_t begin, uint64_t end, const std::string& salt = "m") {
  for (uint64_t i = begin; i < end; ++i) hll->Add(salt + "-" + std::to_string(i));
}

// Distinct members by hash only (faster for large n): XXH3 of the 8 bytes of i, with a seed.
void AddHashes(HyperLogLog* hll, uint64_t begin, uint64_t end, uint64_t seed = 0) {
  for (uint64_t i = begin; i < end; ++i) hll->AddHash(XXH3_64bits_withSeed(&i, sizeof i, seed));
}

TEST(HyperLogLogTest, EmptyEstimatesZero) {
  HyperLogLog hll;
  EXPECT_EQ(hll.Estimate(), 0);
  EXPECT_TRUE(hll.IsSparse());
  hll.ConvertToDense();
  EXPECT_EQ(hll.Estimate(), 0);
}

TEST(HyperLogLogTest, EstimateWithinThreeStandardErrorsOfExactCount) {
  // Bound asserted: |estimate − n| / n <= 3 · 1.04 / sqrt(m) (2.44% at p = 14, 9.75% at p = 10).
  struct Case {
    int precision;
    uint64_t n;
  };
  const Case cases[] = {{14, 1000},    {14, 10'000}, {14, 100'000}, {14, 1'000'000},
                        {10, 100},     {10, 1000},   {10, 3000},    {10, 10'000},
                        {10, 100'000}, {4, 1000},    {18, 10'000}};
  double worst = 0;
  for (const Case& c : cases) {
    HyperLogLog hll(c.precision);
    if (c.n <= 10'000) {
      AddMembers(&hll, 0, c.n);
    } else {
      AddHashes(&hll, 0, c.n);
    }
    const double n = static_cast<double>(c.n);
    const double relative = std::abs(hll.Estimate() - n) / n;
    EXPECT_LE(relative, 3 * StandardError(c.precision))
        << "p=" << c.precision << " n=" << c.n << " estimate=" << hll.Estimate();
    worst = std::max(worst, relative / StandardError(c.precision));
  }
  std::printf("[ hll     ] worst |error| / standard error = %.3f\n", worst);
}

TEST(HyperLogLogTest, SmallCardinalitiesAreNearlyExact) {
  // At p = 14 up to 100 members the estimate is within 1 of the exact count: collisions are rare
  // (about n² / 2m = 0.3 expected at n = 100) and the estimator then acts as linear counting.
  HyperLogLog hll(14);
  double worst = 0;
  for (uint64_t n = 1; n <= 100; ++n) {
    AddMembers(&hll, n - 1, n);
    const double error = std::abs(hll.Estimate() - static_cast<double>(n));
    EXPECT_LE(error, 1) << n;
    worst = std::max(worst, error);
  }
  std::printf("[ hll     ] worst absolute error for n <= 100 = %.3f\n", worst);
}

TEST(HyperLogLogTest, UnbiasedAcrossTheSmallToLargeTransition) {
  // The classic estimator is biased around n ≈ 2.5 m where it switches to linear counting; the
  // improved estimator is not. Mean relative error over 64 independent sketches of m = 256
  // registers: asserted within 3 standard errors of the mean, 3 · 1.04/sqrt(256)/sqrt(64).
  const int p = 8;
  const int trials = 64;
  for (const uint64_t n : {64u, 256u, 640u, 1280u, 5000u}) {
    double sum = 0;
    for (int t = 0; t < trials; ++t) {
      HyperLogLog hll(p);
      AddHashes(&hll, 0, n, /*seed=*/1000 + t);
      sum += (hll.Estimate() - static_cast<double>(n)) / static_cast<double>(n);
    }
    EXPECT_LE(std::abs(sum / trials), 3 * StandardError(p) / std::sqrt(trials)) << n;
  }
}

TEST(HyperLogLogTest, DuplicatesDoNotChangeTheEstimate) {
  for (const uint64_t n : {50u, 5000u}) {
    HyperLogLog hll;
    AddMembers(&hll, 0, n);
    const double once = hll.Estimate();
    const std::vector<uint8_t> registers = hll.Registers();
    for (int round = 0; round < 3; ++round) AddMembers(&hll, 0, n);
    EXPECT_EQ(hll.Estimate(), once);
    EXPECT_EQ(hll.Registers(), registers);
  }
}

TEST(HyperLogLogTest, AddHashesWithXxh3) {
  HyperLogLog by_name;
  by_name.Add("strata");
  HyperLogLog by_hash;
  by_hash.AddHash(XXH3_64bits("strata", 6));
  EXPECT_EQ(by_name.Registers(), by_hash.Registers());
  // Pinned so that a change of hash (which would break merging with old sketches) shows up:
  // `printf strata | xxhsum -H3` is 4b61a1897bfc215f; its top 14 bits are 4824 and the rest
  // starts 01..., so register 4824 gets rho 2.
  EXPECT_EQ(XXH3_64bits("strata", 6), 0x4b61a1897bfc215fULL);
  const std::vector<uint8_t> registers = by_name.Registers();
  EXPECT_EQ(registers[4824], 2);
}

TEST(HyperLogLogTest, RegisterIndexAndRhoFromTheHashBits) {
  HyperLogLog hll(14);
  hll.AddHash(0);  // index 0, all 50 remaining bits zero: rho = 64 − 14 + 1
  hll.AddHash(uint64_t{5} << 50 | uint64_t{1} << 49);  // index 5, first remaining bit set
  hll.AddHash(uint64_t{7} << 50 | 1);                  // index 7, only the last bit set
  hll.AddHash(~uint64_t{0});                           // index 16383, rho 1
  const std::vector<uint8_t> r = hll.Registers();
  EXPECT_EQ(r[0], 51);
  EXPECT_EQ(r[5], 1);
  EXPECT_EQ(r[7], 50);
  EXPECT_EQ(r[16383], 1);
  EXPECT_EQ(r[1], 0);
}

TEST(HyperLogLogTest, SparseAndDenseGiveIdenticalEstimates) {
  for (const uint64_t n : {0u, 1u, 10u, 300u, 1000u}) {
    HyperLogLog sparse(14);
    AddMembers(&sparse, 0, n);
    ASSERT_TRUE(sparse.IsSparse()) << n;
    HyperLogLog converted = sparse;
    converted.ConvertToDense();
    ASSERT_FALSE(converted.IsSparse());
    HyperLogLog dense_from_start(14);
    dense_from_start.ConvertToDense();
    AddMembers(&dense_from_start, 0, n);
    EXPECT_EQ(sparse.Estimate(), converted.Estimate()) << n;
    EXPECT_EQ(sparse.Estimate(), dense_from_start.Estimate()) << n;
    EXPECT_EQ(sparse.Registers(), dense_from_start.Registers()) << n;
  }
}

TEST(HyperLogLogTest, StaysSparseUntilAQuarterOfTheDenseSize) {
  HyperLogLog hll(14);
  EXPECT_LE(hll.MemoryBytes(), sizeof(HyperLogLog));
  AddMembers(&hll, 0, 10);
  EXPECT_LE(hll.MemoryBytes(), sizeof(HyperLogLog) + 64);  // ten members: tens of bytes
  // The sparse list holds up to m / 16 = 1024 registers (4 KiB); one more converts.
  uint64_t next = 10;
  while (hll.IsSparse()) {
    EXPECT_LE(hll.MemoryBytes(), sizeof(HyperLogLog) + (1u << 14) / 4);
    AddMembers(&hll, next, next + 1);
    ++next;
  }
  size_t nonzero = 0;
  for (const uint8_t r : hll.Registers()) nonzero += r != 0;
  EXPECT_EQ(nonzero, 1025u);
  EXPECT_EQ(hll.MemoryBytes(), sizeof(HyperLogLog) + (1u << 14));
}

TEST(HyperLogLogTest, MergeEqualsTheSketchOfTheUnion) {
  struct Case {
    const char* name;
    uint64_t a_end;    // a holds [0, a_end)
    uint64_t b_begin;  // b holds [b_begin, b_end)
    uint64_t b_end;
    bool a_dense;
    bool b_dense;
  };
  const Case cases[] = {
      {"sparse+sparse", 300, 200, 500, false, false},
      {"sparse+sparse overflowing to dense", 900, 100, 1200, false, false},
      {"sparse+dense", 100, 50, 20'000, false, true},
      {"dense+sparse", 20'000, 19'990, 20'100, true, false},
      {"dense+dense", 20'000, 10'000, 50'000, true, true},
      {"empty+sparse", 0, 0, 10, false, false},
      {"sparse+empty dense", 10, 0, 0, false, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HyperLogLog a(14);
    HyperLogLog b(14);
    if (c.a_dense) a.ConvertToDense();
    if (c.b_dense) b.ConvertToDense();
    AddHashes(&a, 0, c.a_end);
    AddHashes(&b, c.b_begin, c.b_end);
    HyperLogLog expected(14);
    AddHashes(&expected, 0, c.a_end);
    AddHashes(&expected, c.b_begin, c.b_end);
    HyperLogLog ab = a;
    ASSERT_TRUE(ab.Merge(b).ok());
    HyperLogLog ba = b;
    ASSERT_TRUE(ba.Merge(a).ok());
    EXPECT_EQ(ab.Registers(), expected.Registers());
    EXPECT_EQ(ba.Registers(), expected.Registers());
    EXPECT_EQ(ab.Estimate(), expected.Estimate());
    EXPECT_EQ(ba.Estimate(), expected.Estimate());
  }
}

TEST(HyperLogLogTest, MergeRejectsDifferentPrecision) {
  HyperLogLog a(14);
  AddMembers(&a, 0, 10);
  HyperLogLog b(12);
  AddMembers(&b, 0, 100);
  const std::vector<uint8_t> before = a.Registers();
  const absl::Status status = a.Merge(b);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Registers(), before);
}

TEST(HyperLogLogTest, MergeWithItselfChangesNothing) {
  HyperLogLog hll;
  AddMembers(&hll, 0, 100);
  const double before = hll.Estimate();
  ASSERT_TRUE(hll.Merge(hll).ok());
  EXPECT_EQ(hll.Estimate(), before);
}

TEST(HyperLogLogTest, ClearReturnsToEmptySparse) {
  HyperLogLog hll(12);
  AddMembers(&hll, 0, 5000);
  ASSERT_FALSE(hll.IsSparse());
  hll.Clear();
  EXPECT_TRUE(hll.IsSparse());
  EXPECT_EQ(hll.Estimate(), 0);
  EXPECT_EQ(hll.precision(), 12);
  EXPECT_EQ(hll.MemoryBytes(), sizeof(HyperLogLog));
}

// --- Serialization ------------------------------------------------------------------------------

std::string Bytes(const HyperLogLog& h) {
  std::string out;
  h.Serialize(&out);
  return out;
}

TEST(HyperLogLogTest, SerializeRoundTripIsExactInBothModes) {
  std::vector<HyperLogLog> sketches;
  sketches.emplace_back(14);  // empty sparse
  sketches.emplace_back(4);
  AddMembers(&sketches.back(), 0, 1);  // p = 4: one sparse entry at most
  sketches.emplace_back(14);
  AddMembers(&sketches.back(), 0, 700);  // sparse
  sketches.emplace_back(14);
  AddMembers(&sketches.back(), 0, 5000);  // dense
  sketches.emplace_back(18);
  sketches.back().ConvertToDense();  // empty dense
  sketches.emplace_back(18);
  AddHashes(&sketches.back(), 0, 16384);  // the largest sparse list
  for (const HyperLogLog& h : sketches) {
    SCOPED_TRACE(testing::Message() << "p=" << h.precision() << " sparse=" << h.IsSparse());
    const std::string bytes = Bytes(h);
    absl::StatusOr<HyperLogLog> back = HyperLogLog::Deserialize(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(Bytes(*back), bytes);
    EXPECT_EQ(back->IsSparse(), h.IsSparse());
    EXPECT_EQ(back->precision(), h.precision());
    EXPECT_EQ(back->Registers(), h.Registers());
    EXPECT_EQ(back->Estimate(), h.Estimate());
  }
  EXPECT_TRUE(sketches[5].IsSparse());
}

TEST(HyperLogLogTest, SerializedSizes) {
  HyperLogLog sparse(14);
  AddHashes(&sparse, 0, 10);
  EXPECT_EQ(Bytes(sparse).size(), 8u + 3 * 10);
  HyperLogLog dense(14);
  dense.ConvertToDense();
  EXPECT_EQ(Bytes(dense).size(), 4u + 16384);
}

std::string SparseBytes(int precision, const std::vector<uint32_t>& entries) {
  std::string out;
  AppendU8('H', &out);
  AppendU8(1, &out);
  AppendU8(static_cast<uint8_t>(precision), &out);
  AppendU8(0, &out);
  AppendLe(entries.size(), 4, &out);
  for (const uint32_t e : entries) AppendLe(e, 3, &out);
  return out;
}

uint32_t Entry(uint32_t index, uint32_t rho) { return index << 6 | rho; }

void ExpectRejected(std::string_view bytes, const std::string& why) {
  absl::StatusOr<HyperLogLog> h = HyperLogLog::Deserialize(bytes);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << why;
}

TEST(HyperLogLogTest, DeserializeAcceptsHandBuiltSparse) {
  const std::string bytes = SparseBytes(10, {Entry(3, 1), Entry(4, 55), Entry(1023, 2)});
  absl::StatusOr<HyperLogLog> h = HyperLogLog::Deserialize(bytes);
  ASSERT_TRUE(h.ok()) << h.status();
  const std::vector<uint8_t> r = h->Registers();
  EXPECT_EQ(r[3], 1);
  EXPECT_EQ(r[4], 55);
  EXPECT_EQ(r[1023], 2);
  EXPECT_EQ(Bytes(*h), bytes);
}

TEST(HyperLogLogTest, DeserializeRejectsBadHeader) {
  std::string s = SparseBytes(10, {Entry(3, 1)});
  s[0] = 'T';
  ExpectRejected(s, "tag");
  s = SparseBytes(10, {Entry(3, 1)});
  s[1] = 0;
  ExpectRejected(s, "version");
  for (const int p : {0, 3, 19, 64, 255}) {
    s = SparseBytes(10, {});
    s[2] = static_cast<char>(p);
    ExpectRejected(s, "precision " + std::to_string(p));
  }
  s = SparseBytes(10, {});
  s[3] = 2;
  ExpectRejected(s, "mode");
}

TEST(HyperLogLogTest, DeserializeRejectsBadSparseEntries) {
  ExpectRejected(SparseBytes(10, {Entry(3, 0)}), "rho 0");
  ExpectRejected(SparseBytes(10, {Entry(3, 56)}), "rho above 65 - p");
  EXPECT_TRUE(HyperLogLog::Deserialize(SparseBytes(10, {Entry(3, 55)})).ok());
  ExpectRejected(SparseBytes(10, {Entry(1024, 1)}), "index >= m");
  ExpectRejected(SparseBytes(10, {Entry(5, 1), Entry(4, 1)}), "decreasing index");
  ExpectRejected(SparseBytes(10, {Entry(5, 1), Entry(5, 2)}), "duplicate index");
}

TEST(HyperLogLogTest, DeserializeRejectsOversizedClaimedLengths) {
  // More entries than m / 16 = 64 at p = 10, even with the bytes present.
  std::vector<uint32_t> entries;
  for (uint32_t i = 0; i < 65; ++i) entries.push_back(Entry(i, 1));
  ExpectRejected(SparseBytes(10, entries), "65 sparse entries at p = 10");
  entries.pop_back();
  EXPECT_TRUE(HyperLogLog::Deserialize(SparseBytes(10, entries)).ok());
  // Huge claimed counts with no bytes behind them.
  for (const uint32_t n : {0xffffffffu, 1u << 20, 64u}) {
    std::string s = SparseBytes(10, {});
    std::string count;
    AppendLe(n, 4, &count);
    s.replace(4, 4, count);
    ExpectRejected(s, "claimed count " + std::to_string(n));
  }
}

TEST(HyperLogLogTest, DeserializeRejectsBadDenseRegisters) {
  HyperLogLog dense(10);
  dense.ConvertToDense();
  AddMembers(&dense, 0, 100);
  const std::string good = Bytes(dense);
  ASSERT_TRUE(HyperLogLog::Deserialize(good).ok());
  std::string s = good;
  s[4 + 17] = 56;  // 65 − 10 + 1
  ExpectRejected(s, "register above 65 - p");
  s[4 + 17] = 55;
  EXPECT_TRUE(HyperLogLog::Deserialize(s).ok());
  ExpectRejected(good + "x", "trailing byte");
}

TEST(HyperLogLogTest, DeserializeRejectsTruncation) {
  HyperLogLog sparse(8);
  AddMembers(&sparse, 0, 10);
  HyperLogLog dense(8);
  AddMembers(&dense, 0, 1000);
  ASSERT_TRUE(sparse.IsSparse());
  ASSERT_FALSE(dense.IsSparse());
  for (const HyperLogLog* h : {&sparse, &dense}) {
    const std::string bytes = Bytes(*h);
    for (size_t n = 0; n < bytes.size(); ++n) {
      ExpectRejected(std::string_view(bytes).substr(0, n), "prefix " + std::to_string(n));
    }
  }
}

}  // namespace
}  // namespace strata::common::sketch

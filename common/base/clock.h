#pragma once

// Injected time. Components take a `Clock&` so tests can drive time deterministically
// (tests/fakes/fake_clock.h). All times are int64 milliseconds since the Unix epoch.

#include <chrono>
#include <cstdint>

namespace strata::common {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, ms since the Unix epoch: used for sample timestamps.
  virtual int64_t NowMs() const = 0;
  // Monotonic time in ms from an arbitrary origin: used for intervals and deadlines.
  virtual int64_t MonotonicMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace strata::common

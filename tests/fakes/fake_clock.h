#pragma once

// A clock that tests move by hand: wall and monotonic time are both `now_ms`.

#include <cstdint>

#include "common/base/clock.h"

namespace strata::fakes {

class FakeClock final : public common::Clock {
 public:
  int64_t NowMs() const override { return now_ms; }
  int64_t MonotonicMs() const override { return now_ms; }
  int64_t now_ms = 1'000'000;
};

}  // namespace strata::fakes

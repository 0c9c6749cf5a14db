#include "collector/api/time_param.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace strata::collector::api {
namespace {

absl::Status CannotParse(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return absl::InvalidArgumentError("cannot parse " + quoted + "\" to a valid timestamp");
}

// Reads exactly `n` decimal digits at text[pos]; false when they are not all digits.
bool ReadDigits(std::string_view text, size_t pos, size_t n, int& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

std::optional<int64_t> ParseUnixSeconds(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') return std::nullopt;  // "+-1"
  }
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds)) {
    return std::nullopt;
  }
  // Bounds first, so the integer conversions below cannot overflow.
  if (seconds < static_cast<double>(kMinTimeMs / 1000) ||
      seconds > static_cast<double>(kMaxTimeMs / 1000)) {
    return std::nullopt;
  }
  const double whole = std::trunc(seconds);
  // Prometheus rounds the fractional part to milliseconds.
  return static_cast<int64_t>(whole) * 1000 + std::llround((seconds - whole) * 1000);
}

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
std::optional<int64_t> ParseRfc3339(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' || !ReadDigits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !ReadDigits(text, 11, 2, hour) || text[13] != ':' ||
      !ReadDigits(text, 14, 2, minute) || text[16] != ':' || !ReadDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;

  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t digits_start = pos;
    int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += (text[pos] - '0') * scale;  // digits past milliseconds are truncated
      scale /= 10;
      ++pos;
    }
    if (pos == digits_start || pos - digits_start > 9) return std::nullopt;
  }

  int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int offset_hours, offset_mins;
    if (!ReadDigits(text, pos + 1, 2, offset_hours) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !ReadDigits(text, pos + 4, 2, offset_mins) || offset_hours > 23 ||
        offset_mins > 59) {
      return std::nullopt;
    }
    offset_minutes = offset_hours * 60 + offset_mins;
    if (text[pos] == '-') offset_minutes = -offset_minutes;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace

absl::StatusOr<int64_t> ParseTimeParam(std::string_view text) {
  if (text == kMinTimeString) return kMinTimeMs;
  if (text == kMaxTimeString) return kMaxTimeMs;
  if (auto ms = ParseUnixSeconds(text); ms.has_value()) return *ms;
  if (auto ms = ParseRfc3339(text); ms.has_value()) return *ms;
  return CannotParse(text);
}

}  // namespace strata::collector::api

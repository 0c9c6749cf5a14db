#pragma once

// Structured logging in logfmt: `ts=2026-11-24T04:32:12.123Z level=info component=agent
// msg="..." key=value`. One line per event, written to stderr with a single write() so lines
// from different threads never interleave. Thread-safe; no global state besides the level.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Sets the minimum level that is written (default kInfo). Parses "debug|info|warn|error".
void SetLogLevel(LogLevel level);
bool ParseLogLevel(std::string_view text, LogLevel* out);
// SetLogLevel(ParseLogLevel(text)); false (level unchanged) for an unknown name.
bool SetLogLevelByName(std::string_view text);
bool LogEnabled(LogLevel level);

// A key=value field of a log line. Values are quoted when they contain spaces or quotes.
struct LogField {
  std::string_view key;
  std::string value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <typename N>
  requires std::is_arithmetic_v<N> LogField(std::string_view k, N v)
      : key(k), value(std::to_string(v)) {}
};

void Log(LogLevel level, std::string_view component, std::string_view msg,
         std::initializer_list<LogField> fields = {});

// Formats one line without writing it (used by Log and by tests).
std::string FormatLogLine(LogLevel level, std::string_view component, std::string_view msg,
                          std::initializer_list<LogField> fields, long long now_ms);

}  // namespace strata::common

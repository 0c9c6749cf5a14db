#include "agent/inputs/statsd/statsd_parser.h"

#include <charconv>
#include <cmath>

#include "common/model/utf8.h"

namespace strata::agent::statsd {

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kTimer:
      return "timer";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kDistribution:
      return "distribution";
    case MetricType::kSet:
      return "set";
  }
  return "unknown";
}

std::string_view ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kEmptyName:
      return "empty_name";
    case ParseError::kNoValue:
      return "no_value";
    case ParseError::kBadType:
      return "bad_type";
    case ParseError::kBadValue:
      return "bad_value";
    case ParseError::kBadSampleRate:
      return "bad_sample_rate";
    case ParseError::kBadTag:
      return "bad_tag";
    case ParseError::kInvalidUtf8:
      return "invalid_utf8";
    case ParseError::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

namespace {

bool ParseType(std::string_view s, MetricType* type) {
  if (s == "c") {
    *type = MetricType::kCounter;
  } else if (s == "g") {
    *type = MetricType::kGauge;
  } else if (s == "ms") {
    *type = MetricType::kTimer;
  } else if (s == "h") {
    *type = MetricType::kHistogram;
  } else if (s == "d") {
    *type = MetricType::kDistribution;
  } else if (s == "s") {
    *type = MetricType::kSet;
  } else {
    return false;
  }
  return true;
}

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

// Each tag needs a name; a value may be empty (a bare DogStatsD tag) and must be UTF-8.
ParseError CheckTags(const StatsdLine& line) {
  ParseError err = ParseError::kOk;
  ForEachTag(line, [&](std::string_view name, std::string_view value) {
    if (err != ParseError::kOk) return;
    if (name.empty()) {
      err = ParseError::kBadTag;
    } else if (!common::IsValidUtf8(value)) {
      err = ParseError::kInvalidUtf8;
    }
  });
  return err;
}

}  // namespace

bool ParseValue(std::string_view text, double* value, bool* delta) {
  *delta = !text.empty() && (text.front() == '+' || text.front() == '-');
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (!text.empty() && text.front() == '+') return false;  // "++1"
  return ParseNumber(text, value);
}

ParseError ParseLine(std::string_view line, StatsdLine* out) {
  *out = StatsdLine();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.starts_with("_e{") || line.starts_with("_sc|")) return ParseError::kUnsupported;

  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return ParseError::kNoValue;
  std::string_view name = line.substr(0, colon);
  size_t comma = name.find(',');
  if (comma != std::string_view::npos) {
    out->telegraf_tags = name.substr(comma + 1);
    name = name.substr(0, comma);
  }
  if (name.empty()) return ParseError::kEmptyName;
  out->name = name;

  std::string_view rest = line.substr(colon + 1);
  size_t bar = rest.find('|');
  if (bar == std::string_view::npos) return ParseError::kNoValue;
  out->values = rest.substr(0, bar);
  if (out->values.empty()) return ParseError::kNoValue;
  rest.remove_prefix(bar + 1);

  size_t next = rest.find('|');
  if (!ParseType(rest.substr(0, next), &out->type)) return ParseError::kBadType;
  while (next != std::string_view::npos) {
    rest.remove_prefix(next + 1);
    next = rest.find('|');
    std::string_view field = rest.substr(0, next);
    if (field.starts_with('@')) {
      double rate = 0;
      if (!ParseNumber(field.substr(1), &rate) || rate <= 0 || rate > 1) {
        return ParseError::kBadSampleRate;
      }
      out->sample_rate = rate;
    } else if (field.starts_with('#')) {
      out->dog_tags = field.substr(1);
    }
    // Other DogStatsD fields (container id, timestamp, external data, cardinality) are ignored.
  }
  if (ParseError err = CheckTags(*out); err != ParseError::kOk) return err;

  if (out->type != MetricType::kSet) {
    // Every value of a (multi-value) line must parse, so a line is taken whole or not at all.
    std::string_view values = out->values;
    while (true) {
      size_t sep = values.find(':');
      double v = 0;
      bool delta = false;
      if (!ParseValue(values.substr(0, sep), &v, &delta)) return ParseError::kBadValue;
      if (sep == std::string_view::npos) break;
      values.remove_prefix(sep + 1);
    }
  }
  return ParseError::kOk;
}

}  // namespace strata::agent::statsd

#pragma once

// The StatsD line protocol, as Etsy's StatsD defined it and DogStatsD and Telegraf extended it:
//
//   <name>[,<k>=<v>...]:<value>[:<value>...]|<type>[|@<rate>][|#<k>:<v>,...][|<other>...]
//
//   type    c (counter), g (gauge), ms (timer), h (histogram), d (distribution), s (set)
//   value   a decimal number; for gauges a leading '+' or '-' makes it a delta (Etsy's rule);
//           for sets any text (the member). DogStatsD 1.1 packs several values into one line
//           ("lat:1:2:3|h"); sets always take the whole text as one member.
//   @rate   the client's sampling rate in (0, 1]: counters and timers are scaled by 1/rate.
//   #tags   DogStatsD tags "k:v" separated by ','; a bare tag without ':' has no value and is
//           skipped (counted by the caller). Telegraf's "name,k=v,..." tags are read as well.
//   other   DogStatsD fields such as "c:<container>", "T<timestamp>", "e:", "card:" are accepted
//           and ignored: samples are stamped at flush time.
//
// The parser is zero-copy: everything in a StatsdLine points into the input line, which must
// outlive it. Malformed lines return the reason, and the caller counts and skips them, so one
// bad line in a packet never costs the good lines beside it. Tag values must be valid UTF-8, as
// every label value must. DogStatsD events ("_e{...}") and service checks ("_sc|...") are
// recognised and rejected as unsupported.

#include <cstddef>
#include <string_view>

namespace strata::agent::statsd {

enum class MetricType { kCounter, kGauge, kTimer, kHistogram, kDistribution, kSet };
inline constexpr size_t kNumMetricTypes = 6;
// "counter", "gauge", "timer", "histogram", "distribution", "set": the `type` label of our metrics.
std::string_view MetricTypeName(MetricType type);

enum class ParseError {
  kOk,
  kEmptyName,
  kNoValue,        // no ':' or no '|'
  kBadType,        // unknown type
  kBadValue,       // not a number (or an empty set member)
  kBadSampleRate,  // not in (0, 1]
  kBadTag,         // a tag with an empty name
  kInvalidUtf8,    // a tag value that is not UTF-8 (label values must be)
  kUnsupported,    // DogStatsD event or service check
};
inline constexpr size_t kNumParseErrors = static_cast<size_t>(ParseError::kUnsupported) + 1;
// "empty_name", "no_value", ...: the `reason` label of rejected lines.
std::string_view ParseErrorName(ParseError error);

struct StatsdLine {
  std::string_view name;  // as sent, without Telegraf tags
  MetricType type = MetricType::kCounter;
  std::string_view values;  // one value, or several separated by ':' (not for sets)
  double sample_rate = 1;
  std::string_view dog_tags;       // after "|#": "k:v,k2:v2"
  std::string_view telegraf_tags;  // after the first ',' of the name: "k=v,k2=v2"
};

// Parses one line (no trailing newline; a trailing '\r' is tolerated). Numbers are not checked
// here: see ParseValue.
ParseError ParseLine(std::string_view line, StatsdLine* out);

// Parses one numeric value of a line; `delta` tells whether a gauge value carried a sign.
// False when it is not a finite decimal number.
bool ParseValue(std::string_view text, double* value, bool* delta);

// Calls fn(name, value) for each tag of the line, Telegraf tags first, then DogStatsD tags.
// A DogStatsD tag without ':' is passed with an empty value. Returns the number of tags.
template <typename Fn>
size_t ForEachTag(const StatsdLine& line, Fn&& fn);

// Calls fn(line) for each non-empty line of a packet ('\n' separated).
template <typename Fn>
void ForEachLine(std::string_view packet, Fn&& fn) {
  while (!packet.empty()) {
    size_t nl = packet.find('\n');
    std::string_view line = packet.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) fn(line);
    if (nl == std::string_view::npos) break;
    packet.remove_prefix(nl + 1);
  }
}

template <typename Fn>
size_t ForEachTag(const StatsdLine& line, Fn&& fn) {
  size_t n = 0;
  auto each = [&](std::string_view list, char kv_sep) {
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view tag = list.substr(0, comma);
      if (!tag.empty()) {
        size_t sep = tag.find(kv_sep);
        if (sep == std::string_view::npos) {
          fn(tag, std::string_view());
        } else {
          fn(tag.substr(0, sep), tag.substr(sep + 1));
        }
        ++n;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  };
  each(line.telegraf_tags, '=');
  each(line.dog_tags, ':');
  return n;
}

}  // namespace strata::agent::statsd

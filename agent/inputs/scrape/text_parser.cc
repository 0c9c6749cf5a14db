#include "agent/inputs/scrape/text_parser.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <limits>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "common/model/names.h"
#include "common/model/utf8.h"

namespace strata::agent::scrape {
namespace {

// Offending tokens quoted in error messages are cut to this many bytes, so a hostile line cannot
// make the kept errors large.
constexpr size_t kMaxQuotedBytes = 64;

// The shortest line that yields a sample is "a 1\n"; used to bound the up-front reservation so a
// body of blank lines does not reserve a sample per line.
constexpr size_t kMinSampleLineBytes = 4;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `lower` must be lower case.
bool EqualsIgnoreCase(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (LowerAscii(s[i]) != lower[i]) return false;
  }
  return true;
}

// Reads one line left to right. Every access is checked against the line's size, so no input
// can index past it.
class LineCursor {
 public:
  explicit LineCursor(std::string_view line) : line_(line) {}

  bool AtEnd() const { return pos_ >= line_.size(); }
  char Peek() const { return AtEnd() ? '\0' : line_[pos_]; }
  bool Consume(char c) {
    if (AtEnd() || line_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(line_[pos_])) ++pos_;
  }
  // Takes characters up to the end, a blank, or any character of `stops`.
  std::string_view TakeToken(std::string_view stops = {}) {
    const size_t start = pos_;
    while (!AtEnd() && !IsBlank(line_[pos_]) && stops.find(line_[pos_]) == std::string_view::npos) {
      ++pos_;
    }
    return line_.substr(start, pos_ - start);
  }
  std::string_view Rest() const { return AtEnd() ? std::string_view() : line_.substr(pos_); }
  size_t pos() const { return pos_; }
  void Advance(size_t n) { pos_ = std::min(line_.size(), pos_ + n); }

  // Called just after an opening quote: sets `raw` to the still-escaped body and consumes the
  // closing quote. Returns false when the line ends first (a trailing lone backslash included).
  bool TakeQuoted(std::string_view& raw, bool& escaped) {
    const size_t start = pos_;
    escaped = false;
    while (!AtEnd()) {
      const char c = line_[pos_];
      if (c == '"') {
        raw = line_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (pos_ + 1 >= line_.size()) break;
        escaped = true;
        pos_ += 2;  // The escaped character never ends the string, even when it is a quote.
        continue;
      }
      ++pos_;
    }
    pos_ = line_.size();
    return false;
  }

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

// Undoes `\\` and `\n`, and `\"` when `quotes` is set. Other pairs are kept as written, which is
// what the Prometheus server does; rejecting them would drop series it accepts.
std::string Unescape(std::string_view raw, bool quotes) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      out.push_back(c);
      continue;
    }
    const char next = raw[++i];
    if (next == 'n') {
      out.push_back('\n');
    } else if (next == '\\' || (quotes && next == '"')) {
      out.push_back(next);
    } else {
      out.push_back('\\');
      out.push_back(next);
    }
  }
  return out;
}

// For a decimal literal that from_chars found out of range, tells overflow (Go: error) from
// underflow (Go: zero) by the power of ten of its leading significant digit.
bool OutOfRangeIsOverflow(std::string_view s) {
  size_t i = 0;
  int64_t magnitude = 0;
  bool significant = false;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    if (s[i] != '0') significant = true;
    if (significant) ++magnitude;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (s[i] != '0') significant = true;
      if (!significant) --magnitude;
    }
  }
  int64_t exponent = 0;
  bool negative_exponent = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative_exponent = s[i++] == '-';
    // Saturate: anything past a million is far outside the double range either way.
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (exponent < 1'000'000) exponent = exponent * 10 + (s[i] - '0');
    }
  }
  magnitude += negative_exponent ? -exponent : exponent;
  return magnitude > 0;
}

// Go's strconv.ParseFloat(s, 64) without hexadecimal floats and underscores.
bool ParseGoFloat(std::string_view s, double& out) {
  bool negative = false;
  bool has_sign = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    has_sign = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  if (EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) {
    out = negative ? -std::numeric_limits<double>::infinity()
                   : std::numeric_limits<double>::infinity();
    return true;
  }
  if (EqualsIgnoreCase(s, "nan")) {
    if (has_sign) return false;  // Go rejects "+NaN" and "-NaN".
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // from_chars would also take "inf", "nan(...)" and a second sign; only digits may start here.
  if (!IsDigit(s[0]) && s[0] != '.') return false;
  double value = 0;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value, std::chars_format::general);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    if (OutOfRangeIsOverflow(s)) return false;
    value = 0;
  } else if (ec != std::errc()) {
    return false;
  }
  out = negative ? -value : value;
  return true;
}

// Go's strconv.ParseInt(s, 10, 64): optional sign, then digits only.
bool ParseTimestamp(std::string_view s, int64_t& out) {
  size_t digits_start = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) digits_start = 1;
  if (digits_start >= s.size() || !IsDigit(s[digits_start])) return false;
  // from_chars accepts '-' itself but not '+'.
  const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end;
}

std::optional<MetricType> ParseMetricType(std::string_view word, bool open_metrics) {
  if (word == "counter") return MetricType::kCounter;
  if (word == "gauge") return MetricType::kGauge;
  if (word == "histogram") return MetricType::kHistogram;
  if (word == "summary") return MetricType::kSummary;
  if (!open_metrics) {
    if (word == "untyped") return MetricType::kUntyped;
    return std::nullopt;
  }
  if (word == "unknown") return MetricType::kUntyped;
  if (word == "gaugehistogram") return MetricType::kGaugeHistogram;
  if (word == "info") return MetricType::kInfo;
  if (word == "stateset") return MetricType::kStateSet;
  return std::nullopt;
}

// An OpenMetrics timestamp: seconds as a decimal number, possibly fractional or with an
// exponent; kept to the millisecond (rounded to nearest).
bool ParseSecondsTimestamp(std::string_view s, int64_t& out_ms) {
  double seconds = 0;
  if (!ParseGoFloat(s, seconds) || !std::isfinite(seconds)) return false;
  const double ms = std::round(seconds * 1000.0);
  if (ms < -9.2e18 || ms > 9.2e18) return false;
  out_ms = static_cast<int64_t>(ms);
  return true;
}

// Why a line was rejected. `token`, when present, points into the line and is quoted in the
// message.
struct LineError {
  std::string_view what;
  std::optional<std::string_view> token;
};

std::string FormatMessage(const LineError& error) {
  std::string message(error.what);
  if (!error.token) return message;
  const std::string_view token = error.token->substr(0, kMaxQuotedBytes);
  message.append(": \"");
  for (const char c : token) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      message.push_back('\\');
      message.push_back(c);
    } else if (byte < 0x20 || byte >= 0x7F) {
      // Keep control and non-ASCII bytes out of log lines.
      static constexpr char kHex[] = "0123456789abcdef";
      message.append("\\x");
      message.push_back(kHex[byte >> 4]);
      message.push_back(kHex[byte & 0xF]);
    } else {
      message.push_back(c);
    }
  }
  message.push_back('"');
  if (error.token->size() > kMaxQuotedBytes) message.append("...");
  return message;
}

// The length of the series text at the start of `rest` (a sample line from its metric name):
// the name, and the label set through its closing brace if there is one. 0 when the label set
// does not close on the line; the full parse then reports why.
size_t SeriesLength(std::string_view rest) {
  size_t i = 0;
  while (i < rest.size() && !IsBlank(rest[i]) && rest[i] != '{') ++i;
  const size_t name_end = i;
  while (i < rest.size() && IsBlank(rest[i])) ++i;
  if (i == rest.size() || rest[i] != '{') return name_end;
  for (++i; i < rest.size(); ++i) {
    if (rest[i] == '}') return i + 1;
    if (rest[i] != '"') continue;
    for (++i; i < rest.size() && rest[i] != '"'; ++i) {
      if (rest[i] == '\\') ++i;  // the escaped character never ends the value
    }
    if (i >= rest.size()) return 0;
  }
  return 0;
}

class Parser {
 public:
  Parser(std::string_view text, bool open_metrics, const KnownSeries* known)
      : text_(text), open_metrics_(open_metrics), known_(known) {}

  ParseResult Run() {
    const size_t newlines = static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n'));
    result_.samples.reserve(std::min(newlines + 1, text_.size() / kMinSampleLineBytes + 1));
    int64_t line_number = 0;
    size_t pos = 0;
    while (pos < text_.size()) {
      size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view line = text_.substr(pos, end - pos);
      pos = end + 1;
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (saw_eof_) {
        // Only a final newline may follow "# EOF".
        if (!line.empty() || pos < text_.size()) {
          RecordError(line_number, LineError{"data after # EOF", std::nullopt});
        }
        continue;
      }
      if (std::optional<LineError> error = ParseLine(line)) RecordError(line_number, *error);
    }
    if (open_metrics_ && !saw_eof_) {
      RecordError(line_number + 1, LineError{"missing # EOF at the end", std::nullopt});
    }
    return std::move(result_);
  }

 private:
  // Where a metric name's entry lives in result_.metadata, and which lines have filled it.
  struct MetadataSlot {
    size_t index = 0;
    bool has_help = false;
    bool has_type = false;
  };
  // A label as it appears on the line, before unescaping.
  struct RawLabel {
    std::string_view name;
    std::string_view raw_value;
    bool escaped = false;
  };

  // Each Parse* returns nullopt when the line was accepted, else why it was rejected.
  std::optional<LineError> ParseLine(std::string_view line) {
    LineCursor cursor(line);
    cursor.SkipBlanks();
    if (cursor.AtEnd()) return std::nullopt;
    if (cursor.Consume('#')) return ParseComment(cursor);
    return ParseSample(cursor);
  }

  std::optional<LineError> ParseComment(LineCursor& cursor) {
    cursor.SkipBlanks();
    const std::string_view keyword = cursor.TakeToken();
    const bool is_help = keyword == "HELP";
    if (open_metrics_) {
      if (keyword == "EOF") {
        cursor.SkipBlanks();
        if (!cursor.AtEnd()) return LineError{"unexpected text after # EOF", cursor.Rest()};
        saw_eof_ = true;
        return std::nullopt;
      }
      if (keyword == "UNIT") {
        cursor.SkipBlanks();
        const std::string_view name = cursor.TakeToken();
        if (!common::IsValidMetricName(name)) return LineError{"invalid metric name", name};
        return std::nullopt;  // units are not kept
      }
      if (!is_help && keyword != "TYPE") return LineError{"unknown comment", keyword};
    }
    if (!is_help && keyword != "TYPE") return std::nullopt;
    cursor.SkipBlanks();
    // A bare "# HELP" is read as a comment, as client_golang does.
    if (cursor.AtEnd()) return std::nullopt;
    const std::string_view name = cursor.TakeToken();
    if (!common::IsValidMetricName(name)) return LineError{"invalid metric name", name};
    cursor.SkipBlanks();

    if (is_help) {
      MetadataSlot& slot = SlotFor(name);
      if (slot.has_help) return LineError{"duplicate HELP for metric", name};
      slot.has_help = true;
      const std::string_view help = cursor.Rest();
      result_.metadata[slot.index].help =
          help.find('\\') == std::string_view::npos ? std::string(help) : Unescape(help, false);
      return std::nullopt;
    }

    const std::string_view type_word = cursor.TakeToken();
    if (type_word.empty()) return LineError{"missing metric type", name};
    cursor.SkipBlanks();
    if (!cursor.AtEnd()) return LineError{"unexpected text after metric type", cursor.Rest()};
    const std::optional<MetricType> type = ParseMetricType(type_word, open_metrics_);
    if (!type) return LineError{"unknown metric type", type_word};
    MetadataSlot& slot = SlotFor(name);
    if (slot.has_type) return LineError{"duplicate TYPE for metric", name};
    slot.has_type = true;
    result_.metadata[slot.index].type = *type;
    return std::nullopt;
  }

  std::optional<LineError> ParseSample(LineCursor& cursor) {
    const std::string_view line_rest = cursor.Rest();
    std::string_view series;
    std::string_view name;
    bool known = false;
    if (known_ != nullptr) {
      const size_t n = SeriesLength(line_rest);
      if (n > 0 && known_->Contains(line_rest.substr(0, n))) {
        series = line_rest.substr(0, n);
        cursor.Advance(n);
        known = true;
      }
    }
    raw_labels_.clear();
    if (!known) {
      const size_t start = cursor.pos();
      name = cursor.TakeToken("{");
      if (!common::IsValidMetricName(name)) return LineError{"invalid metric name", name};
      size_t end = cursor.pos();
      cursor.SkipBlanks();
      if (cursor.Consume('{')) {
        if (std::optional<LineError> error = ParseLabels(cursor)) return error;
        if (std::optional<LineError> error = CheckDuplicateLabels()) return error;
        end = cursor.pos();
      }
      series = line_rest.substr(0, end - start);
    }
    cursor.SkipBlanks();

    if (cursor.AtEnd()) return LineError{"missing value", std::nullopt};
    const std::string_view value_token = cursor.TakeToken();
    double value = 0;
    if (!ParseGoFloat(value_token, value)) return LineError{"bad value", value_token};

    cursor.SkipBlanks();
    std::optional<int64_t> timestamp_ms;
    if (!cursor.AtEnd() && !(open_metrics_ && cursor.Peek() == '#')) {
      const std::string_view timestamp_token = cursor.TakeToken();
      int64_t timestamp = 0;
      const bool ok = open_metrics_ ? ParseSecondsTimestamp(timestamp_token, timestamp)
                                    : ParseTimestamp(timestamp_token, timestamp);
      if (!ok) return LineError{"bad timestamp", timestamp_token};
      timestamp_ms = timestamp;
      cursor.SkipBlanks();
    }
    if (open_metrics_ && cursor.Consume('#')) {
      if (std::optional<LineError> error = SkipExemplar(cursor)) return error;
    }
    if (!cursor.AtEnd()) {
      return LineError{
          timestamp_ms ? "unexpected text after timestamp" : "unexpected text after value",
          cursor.Rest()};
    }

    if (known) {
      result_.samples.push_back(ParsedSample{{}, value, timestamp_ms, series});
      return std::nullopt;
    }
    // Only a fully valid line allocates: the label set is built after every check has passed,
    // from views of the body (escaped values unescaped into a buffer reserved up front, so the
    // views into it stay put).
    views_.clear();
    unescaped_.clear();
    size_t escaped_bytes = 0;
    for (const RawLabel& raw : raw_labels_) escaped_bytes += raw.escaped ? raw.raw_value.size() : 0;
    unescaped_.reserve(escaped_bytes);
    views_.push_back(common::LabelView{common::kMetricNameLabel, name});
    for (const RawLabel& raw : raw_labels_) {
      std::string_view label_value = raw.raw_value;
      if (raw.escaped) {
        const size_t at = unescaped_.size();
        unescaped_ += Unescape(raw.raw_value, true);  // never longer than the escaped form
        label_value = std::string_view(unescaped_).substr(at);
      }
      views_.push_back(common::LabelView{raw.name, label_value});
    }
    result_.samples.push_back(
        ParsedSample{common::Labels::FromUnsortedViews(views_), value, timestamp_ms, series});
    return std::nullopt;
  }

  // After the "#" of ` # {labels} value [timestamp]`: checks the exemplar's shape and consumes
  // it (exemplars are not kept). raw_labels_ holds the sample's labels and is restored.
  std::optional<LineError> SkipExemplar(LineCursor& cursor) {
    cursor.SkipBlanks();
    if (!cursor.Consume('{')) return LineError{"expected '{' to start an exemplar", cursor.Rest()};
    std::vector<RawLabel> sample_labels;
    sample_labels.swap(raw_labels_);
    std::optional<LineError> error = ParseLabels(cursor);
    raw_labels_.swap(sample_labels);
    if (error) return error;
    cursor.SkipBlanks();
    const std::string_view value_token = cursor.TakeToken();
    double value = 0;
    if (!ParseGoFloat(value_token, value)) return LineError{"bad exemplar value", value_token};
    cursor.SkipBlanks();
    if (!cursor.AtEnd()) {
      const std::string_view ts = cursor.TakeToken();
      int64_t ms = 0;
      if (!ParseSecondsTimestamp(ts, ms)) return LineError{"bad exemplar timestamp", ts};
      cursor.SkipBlanks();
    }
    return std::nullopt;
  }

  // Called after the opening brace; consumes through the closing one into raw_labels_.
  std::optional<LineError> ParseLabels(LineCursor& cursor) {
    while (true) {
      cursor.SkipBlanks();
      if (cursor.Consume('}')) return std::nullopt;  // Empty set or a trailing comma.
      if (cursor.AtEnd()) return LineError{"unterminated label set", std::nullopt};
      const std::string_view label_name = cursor.TakeToken("=,{}\"");
      if (!common::IsValidLabelName(label_name)) {
        return LineError{"invalid label name", label_name};
      }
      if (label_name == common::kMetricNameLabel) {
        return LineError{"reserved label name", label_name};
      }
      cursor.SkipBlanks();
      if (!cursor.Consume('=')) return LineError{"expected '=' after label name", label_name};
      cursor.SkipBlanks();
      if (!cursor.Consume('"')) return LineError{"expected '\"' before label value", label_name};
      RawLabel raw{label_name, {}, false};
      if (!cursor.TakeQuoted(raw.raw_value, raw.escaped)) {
        return LineError{"unterminated label value", label_name};
      }
      // Escapes only produce ASCII, so checking the raw bytes checks the unescaped value.
      if (!common::IsValidUtf8(raw.raw_value))
        return LineError{"invalid UTF-8 in label value", label_name};
      raw_labels_.push_back(raw);
      cursor.SkipBlanks();
      if (cursor.Consume(',')) continue;
      if (cursor.Consume('}')) return std::nullopt;
      if (cursor.AtEnd()) return LineError{"unterminated label set", std::nullopt};
      return LineError{"expected ',' or '}' after label value", label_name};
    }
  }

  // Sorting (rather than comparing all pairs) keeps a line with many labels from costing
  // quadratic time. The order does not matter: Labels sorts by name anyway.
  std::optional<LineError> CheckDuplicateLabels() {
    if (raw_labels_.size() < 2) return std::nullopt;
    std::sort(raw_labels_.begin(), raw_labels_.end(),
              [](const RawLabel& a, const RawLabel& b) { return a.name < b.name; });
    const auto duplicate =
        std::adjacent_find(raw_labels_.begin(), raw_labels_.end(),
                           [](const RawLabel& a, const RawLabel& b) { return a.name == b.name; });
    if (duplicate == raw_labels_.end()) return std::nullopt;
    return LineError{"duplicate label name", duplicate->name};
  }

  MetadataSlot& SlotFor(std::string_view name) {
    // Keys view the input text, which outlives the parse, so they never dangle.
    const auto [it, inserted] =
        metadata_index_.try_emplace(name, MetadataSlot{result_.metadata.size()});
    if (inserted) {
      MetricMetadata& metadata = result_.metadata.emplace_back();
      metadata.name = std::string(name);
    }
    return it->second;
  }

  void RecordError(int64_t line_number, const LineError& error) {
    ++result_.error_count;
    if (result_.errors.size() >= kMaxRecordedParseErrors) return;
    const int line = line_number > INT_MAX ? INT_MAX : static_cast<int>(line_number);
    result_.errors.push_back(ParseError{line, FormatMessage(error)});
  }

  std::string_view text_;
  const bool open_metrics_;
  const KnownSeries* const known_;  // may be null
  bool saw_eof_ = false;
  ParseResult result_;
  std::unordered_map<std::string_view, MetadataSlot> metadata_index_;
  std::vector<RawLabel> raw_labels_;      // Scratch, reused by every line.
  std::vector<common::LabelView> views_;  // Scratch: the line's label set, into the body
  std::string unescaped_;                 // Scratch: the line's escaped values, unescaped
};

}  // namespace

ParseResult ParseTextExposition(std::string_view text, const KnownSeries* known) {
  return Parser(text, false, known).Run();
}

ParseResult ParseOpenMetrics(std::string_view text, const KnownSeries* known) {
  return Parser(text, true, known).Run();
}

bool IsOpenMetricsContentType(std::string_view content_type) {
  constexpr std::string_view kType = "application/openmetrics-text";
  size_t i = 0;
  while (i < content_type.size() && IsBlank(content_type[i])) ++i;
  if (content_type.size() - i < kType.size()) return false;
  for (size_t k = 0; k < kType.size(); ++k) {
    if (LowerAscii(content_type[i + k]) != kType[k]) return false;
  }
  const size_t after = i + kType.size();
  return after == content_type.size() || content_type[after] == ';' || IsBlank(content_type[after]);
}

}  // namespace strata::agent::scrape

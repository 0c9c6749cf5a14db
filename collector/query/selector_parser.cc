#include "collector/query/selector_parser.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/model/labels.h"

namespace strata::collector {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLabelStart(char c) { return IsAlpha(c); }
bool IsLabelChar(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsMetricStart(char c) { return IsAlpha(c) || c == ':'; }
bool IsMetricChar(char c) { return IsLabelChar(c) || c == ':'; }
bool IsQuote(char c) { return c == '"' || c == '\'' || c == '`'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the valid UTF-8 sequence starting at text[pos], or 0 when it is not valid.
size_t Utf8SequenceLength(std::string_view text, size_t pos) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  size_t len = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
  } else {
    return 0;
  }
  if (pos + len > text.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((static_cast<unsigned char>(text[pos + i]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

// Quotes the character at text[pos] the way Go's %q prints a rune: 'a', '\n', '\x00'.
std::string QuoteChar(std::string_view text, size_t pos) {
  const char c = text[pos];
  switch (c) {
    case '\n':
      return "'\\n'";
    case '\t':
      return "'\\t'";
    case '\r':
      return "'\\r'";
    case '\'':
      return "'\\''";
    case '\\':
      return "'\\\\'";
    default:
      break;
  }
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  if (u >= 0x80) {
    if (size_t len = Utf8SequenceLength(text, pos); len > 0) {
      return "'" + std::string(text.substr(pos, len)) + "'";
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("'\\x") + kHex[u >> 4] + kHex[u & 0xF] + "'";
}

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<LabelMatcher>> Parse() {
    SkipSpace();
    if (AtEnd()) return Error(0, "no expression found in input");
    const size_t selector_pos = pos_;

    std::string metric_name;
    if (IsMetricStart(Peek())) {
      metric_name = std::string(ReadWhile(IsMetricChar));
      SkipSpace();
    } else if (Peek() != '{') {
      return Error(pos_, "unexpected " + Describe(pos_) + ", expected a metric name or \"{\"");
    }

    std::vector<LabelMatcher> matchers;
    if (!metric_name.empty()) {
      auto name_matcher =
          LabelMatcher::Create(MatchOp::kEqual, std::string(common::kMetricNameLabel), metric_name);
      if (!name_matcher.ok())
        return Error(selector_pos, std::string(name_matcher.status().message()));
      matchers.push_back(*std::move(name_matcher));
    }
    if (!AtEnd() && Peek() == '{') {
      if (absl::Status s = ParseBraces(matchers); !s.ok()) return s;
      SkipSpace();
    }
    if (absl::Status s = CheckTrailer(); !s.ok()) return s;

    if (!metric_name.empty()) {
      for (size_t i = 1; i < matchers.size(); ++i) {
        if (matchers[i].name() == common::kMetricNameLabel) {
          return Error(selector_pos, "metric name must not be set twice: " + GoQuote(metric_name) +
                                         " or " + GoQuote(matchers[i].value()));
        }
      }
    }
    bool has_non_empty = false;
    for (const LabelMatcher& m : matchers) has_non_empty = has_non_empty || !m.MatchesEmpty();
    if (!has_non_empty) {
      return Error(selector_pos, "vector selector must contain at least one non-empty matcher");
    }
    return matchers;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  char PeekAt(size_t pos) const { return pos < text_.size() ? text_[pos] : '\0'; }

  std::string_view ReadWhile(bool (*pred)(char)) {
    const size_t start = pos_;
    while (!AtEnd() && pred(Peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // Skips whitespace and `#` comments, which run to the end of the line.
  void SkipSpace() {
    while (!AtEnd()) {
      if (IsSpace(Peek())) {
        ++pos_;
      } else if (Peek() == '#') {
        while (!AtEnd() && Peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  absl::Status Error(size_t pos, std::string_view message) const {
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return absl::InvalidArgumentError(std::to_string(line) + ":" +
                                      std::to_string(pos - line_start + 1) +
                                      ": parse error: " + std::string(message));
  }

  static std::string GoQuote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }

  // Names the token starting at `pos` for "unexpected ..." messages.
  std::string Describe(size_t pos) const {
    if (pos >= text_.size()) return "end of input";
    const char c = text_[pos];
    if (IsMetricStart(c)) {
      size_t end = pos;
      while (end < text_.size() && IsMetricChar(text_[end])) ++end;
      return "identifier " + GoQuote(text_.substr(pos, end - pos));
    }
    if (IsQuote(c)) return "string literal";
    const char next = PeekAt(pos + 1);
    if ((c == '=' || c == '!') && (next == '=' || next == '~')) {
      return std::string("\"") + c + next + "\"";
    }
    if (c == '=' || c == ',' || c == '{' || c == '}' || c == '(' || c == ')' || c == '[' ||
        c == ']') {
      return std::string("\"") + c + "\"";
    }
    return "character " + QuoteChar(text_, pos);
  }

  absl::Status ParseBraces(std::vector<LabelMatcher>& matchers) {
    ++pos_;  // '{'
    while (true) {
      SkipSpace();
      if (AtEnd()) return Error(pos_, "unexpected end of input inside braces");
      if (Peek() == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      if (absl::Status s = ParseMatcher(matchers); !s.ok()) return s;
      SkipSpace();
      if (AtEnd()) return Error(pos_, "unexpected end of input inside braces");
      if (Peek() == ',') {
        ++pos_;
        continue;  // a trailing comma is fine: the next round sees '}'
      }
      if (Peek() == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return UnexpectedInBraces("in label matching, expected \",\" or \"}\"");
    }
  }

  // Reports the byte at pos_: tokens the selector grammar knows get "unexpected <token> <what>",
  // anything else is an unexpected character.
  absl::Status UnexpectedInBraces(std::string_view what) const {
    const char c = Peek();
    const bool known_token = IsMetricStart(c) || IsQuote(c) || c == '=' || c == ',' || c == '}' ||
                             c == '{' ||
                             (c == '!' && (PeekAt(pos_ + 1) == '=' || PeekAt(pos_ + 1) == '~'));
    if (!known_token) {
      return Error(pos_, "unexpected character inside braces: " + QuoteChar(text_, pos_));
    }
    return Error(pos_, "unexpected " + Describe(pos_) + " " + std::string(what));
  }

  absl::Status ParseMatcher(std::vector<LabelMatcher>& matchers) {
    if (!IsLabelStart(Peek())) {
      return UnexpectedInBraces("in label matching, expected identifier or \"}\"");
    }
    std::string name(ReadWhile(IsLabelChar));
    SkipSpace();
    if (AtEnd()) return Error(pos_, "unexpected end of input inside braces");

    MatchOp op;
    const char c = Peek();
    const char next = PeekAt(pos_ + 1);
    if (c == '=' && next == '~') {
      op = MatchOp::kRegexMatch;
      pos_ += 2;
    } else if (c == '=') {
      op = MatchOp::kEqual;
      pos_ += 1;
    } else if (c == '!' && next == '=') {
      op = MatchOp::kNotEqual;
      pos_ += 2;
    } else if (c == '!' && next == '~') {
      op = MatchOp::kRegexNoMatch;
      pos_ += 2;
    } else {
      return UnexpectedInBraces("in label matching, expected label matching operator");
    }

    SkipSpace();
    if (AtEnd()) return Error(pos_, "unexpected end of input inside braces");
    if (!IsQuote(Peek())) return UnexpectedInBraces("in label matching, expected string");
    const size_t value_pos = pos_;
    auto value = ParseString();
    if (!value.ok()) return value.status();

    auto matcher = LabelMatcher::Create(op, std::move(name), *std::move(value));
    if (!matcher.ok()) return Error(value_pos, std::string(matcher.status().message()));
    matchers.push_back(*std::move(matcher));
    return absl::OkStatus();
  }

  // Parses the string literal at pos_ (which is a quote) and returns its decoded value.
  absl::StatusOr<std::string> ParseString() {
    const size_t open_pos = pos_;
    const char quote = Peek();
    ++pos_;
    std::string out;
    if (quote == '`') {
      const size_t close = text_.find('`', pos_);
      if (close == std::string_view::npos) return Error(open_pos, "unterminated raw string");
      out = std::string(text_.substr(pos_, close - pos_));
      pos_ = close + 1;
      return out;
    }
    while (true) {
      if (AtEnd() || Peek() == '\n') return Error(open_pos, "unterminated quoted string");
      const char c = Peek();
      if (c == quote) {
        ++pos_;
        return out;
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      if (absl::Status s = ParseEscape(quote, out); !s.ok()) return s;
    }
  }

  // Decodes the escape sequence at pos_ (a backslash) into `out`.
  absl::Status ParseEscape(char quote, std::string& out) {
    const size_t escape_pos = pos_;
    ++pos_;
    if (AtEnd()) return Error(escape_pos, "escape sequence not terminated");
    const char c = Peek();
    ++pos_;
    switch (c) {
      case 'a':
        out.push_back('\a');
        return absl::OkStatus();
      case 'b':
        out.push_back('\b');
        return absl::OkStatus();
      case 'f':
        out.push_back('\f');
        return absl::OkStatus();
      case 'n':
        out.push_back('\n');
        return absl::OkStatus();
      case 'r':
        out.push_back('\r');
        return absl::OkStatus();
      case 't':
        out.push_back('\t');
        return absl::OkStatus();
      case 'v':
        out.push_back('\v');
        return absl::OkStatus();
      case '\\':
        out.push_back('\\');
        return absl::OkStatus();
      case 'x':
      case 'u':
      case 'U': {
        const int digits = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
        uint32_t value = 0;
        for (int i = 0; i < digits; ++i) {
          const int h = AtEnd() ? -1 : HexValue(Peek());
          if (h < 0) return Error(escape_pos, "invalid hexadecimal digit in escape sequence");
          value = value * 16 + static_cast<uint32_t>(h);
          ++pos_;
        }
        if (c == 'x') {
          out.push_back(static_cast<char>(value));  // a raw byte, as in Go
        } else if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
          return Error(escape_pos, "escape sequence is an invalid Unicode code point");
        } else {
          AppendUtf8(value, out);
        }
        return absl::OkStatus();
      }
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      uint32_t value = static_cast<uint32_t>(c - '0');
      for (int i = 0; i < 2; ++i) {
        if (AtEnd() || Peek() < '0' || Peek() > '7') {
          return Error(escape_pos, "invalid octal digit in escape sequence");
        }
        value = value * 8 + static_cast<uint32_t>(Peek() - '0');
        ++pos_;
      }
      if (value > 255) return Error(escape_pos, "octal escape value > 255");
      out.push_back(static_cast<char>(value));
      return absl::OkStatus();
    }
    if (c == quote) {
      out.push_back(c);
      return absl::OkStatus();
    }
    return Error(escape_pos, "unknown escape sequence " + QuoteChar(text_, escape_pos + 1));
  }

  // Anything after the selector: PromQL we do not support yet gets a specific message.
  absl::Status CheckTrailer() const {
    if (AtEnd()) return absl::OkStatus();
    const char c = Peek();
    if (c == '[') {
      return Error(pos_,
                   "range vector selectors are not supported yet: only series selectors are "
                   "accepted");
    }
    if (c == '@') return Error(pos_, "the @ modifier is not supported yet");
    if (text_.substr(pos_, 6) == "offset" && !IsMetricChar(PeekAt(pos_ + 6))) {
      return Error(pos_, "the offset modifier is not supported yet");
    }
    return Error(pos_, "unexpected " + Describe(pos_) +
                           " after the series selector: only series selectors are supported");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<LabelMatcher>> ParseSeriesSelector(std::string_view text) {
  return SelectorParser(text).Parse();
}

}  // namespace strata::collector

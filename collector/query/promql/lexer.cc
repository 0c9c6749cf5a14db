#include "collector/query/promql/lexer.h"

#include <cctype>
#include <utility>

namespace strata::collector::promql {
namespace {

constexpr uint32_t kReplacementChar = 0xFFFD;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsAlphaNumeric(char c) { return IsAlpha(c) || IsDigit(c); }

int DigitValue(uint32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return 16;  // larger than any digit of any base we use
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

void AppendHex(uint32_t value, int digits, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(value >> (4 * i)) & 0xF]);
}

// An approximation of Go's unicode.IsPrint for non-ASCII code points: everything except C1
// controls, non-ASCII spaces, the common invisible format characters, private use areas and
// noncharacters. Exactness only matters for how strings are re-quoted, not for what they mean.
bool IsPrintRune(uint32_t cp) {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7F;
  struct Range {
    uint32_t lo, hi;
  };
  static constexpr Range kNotPrintable[] = {
      {0x80, 0xA0},     {0xAD, 0xAD},       {0x600, 0x605},      {0x61C, 0x61C},   {0x6DD, 0x6DD},
      {0x70F, 0x70F},   {0x1680, 0x1680},   {0x180E, 0x180E},    {0x2000, 0x200F}, {0x2028, 0x202F},
      {0x205F, 0x206F}, {0x3000, 0x3000},   {0xD800, 0xF8FF},    {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB},
      {0xFFFE, 0xFFFF}, {0xE0000, 0xE0FFF}, {0xF0000, 0x10FFFF},
  };
  for (const Range& r : kNotPrintable) {
    if (cp >= r.lo && cp <= r.hi) return false;
  }
  return true;
}

// Appends the quoted-literal form of one code point (without the quotes). `quote` is the
// enclosing quote character, which gets escaped.
void AppendEscapedRune(uint32_t cp, char quote, std::string& out) {
  if (cp == static_cast<uint32_t>(quote) || cp == '\\') {
    out.push_back('\\');
    out.push_back(static_cast<char>(cp));
    return;
  }
  if (IsPrintRune(cp)) {
    AppendUtf8(cp, out);
    return;
  }
  switch (cp) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    default:
      break;
  }
  if (cp < 0x20 || cp == 0x7F) {
    out += "\\x";
    AppendHex(cp, 2, out);
  } else if (cp < 0x10000) {
    out += "\\u";
    AppendHex(cp, 4, out);
  } else {
    out += "\\U";
    AppendHex(cp, 8, out);
  }
}

// Go's %q of a rune: 'a', '\n', '\x00', '"'.
std::string QuoteRune(uint32_t cp) {
  std::string out = "'";
  AppendEscapedRune(cp, '\'', out);
  out.push_back('\'');
  return out;
}

// Go's %#U of a rune: U+0063 'c'.
std::string FormatRuneU(uint32_t cp) {
  std::string out = "U+";
  static constexpr char kHex[] = "0123456789ABCDEF";
  int digits = 4;
  while (digits < 8 && (cp >> (4 * digits)) != 0) ++digits;
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(cp >> (4 * i)) & 0xF]);
  if (IsPrintRune(cp)) {
    out += " '";
    AppendUtf8(cp, out);
    out.push_back('\'');
  }
  return out;
}

// The rune at s[pos], or U+FFFD for an invalid sequence (as Go's utf8.DecodeRuneInString).
uint32_t RuneAt(std::string_view s, size_t pos) {
  uint32_t cp = 0;
  if (DecodeUtf8(s, pos, &cp) == 0) return kReplacementChar;
  return cp;
}

struct Keyword {
  std::string_view word;
  TokenKind kind;
};

constexpr Keyword kKeywords[] = {
    {"and", TokenKind::kAnd},
    {"or", TokenKind::kOr},
    {"unless", TokenKind::kUnless},
    {"atan2", TokenKind::kAtan2},
    {"sum", TokenKind::kSum},
    {"avg", TokenKind::kAvg},
    {"count", TokenKind::kCount},
    {"min", TokenKind::kMin},
    {"max", TokenKind::kMax},
    {"group", TokenKind::kGroup},
    {"stddev", TokenKind::kStddev},
    {"stdvar", TokenKind::kStdvar},
    {"topk", TokenKind::kTopk},
    {"bottomk", TokenKind::kBottomk},
    {"count_values", TokenKind::kCountValues},
    {"quantile", TokenKind::kQuantile},
    {"limitk", TokenKind::kLimitk},
    {"limit_ratio", TokenKind::kLimitRatio},
    {"offset", TokenKind::kOffset},
    {"by", TokenKind::kBy},
    {"without", TokenKind::kWithout},
    {"on", TokenKind::kOn},
    {"ignoring", TokenKind::kIgnoring},
    {"group_left", TokenKind::kGroupLeft},
    {"group_right", TokenKind::kGroupRight},
    {"bool", TokenKind::kBool},
    {"start", TokenKind::kStart},
    {"end", TokenKind::kEnd},
    {"inf", TokenKind::kNumber},
    {"nan", TokenKind::kNumber},
};

bool EqualsLowercase(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(word[i])) != lower[i]) return false;
  }
  return true;
}

bool IsOperatorToken(TokenKind kind) {
  switch (kind) {
    case TokenKind::kAdd:
    case TokenKind::kSub:
    case TokenKind::kMul:
    case TokenKind::kDiv:
    case TokenKind::kMod:
    case TokenKind::kPow:
    case TokenKind::kEqlc:
    case TokenKind::kNeq:
    case TokenKind::kLss:
    case TokenKind::kLte:
    case TokenKind::kGtr:
    case TokenKind::kGte:
    case TokenKind::kAnd:
    case TokenKind::kOr:
    case TokenKind::kUnless:
    case TokenKind::kAtan2:
    case TokenKind::kAt:
    case TokenKind::kEqlRegex:
    case TokenKind::kNeqRegex:
      return true;
    default:
      return false;
  }
}

// Go's "%.10q..." of a long token: the first ten runes, quoted, then "...".
std::string QuoteTruncated(std::string_view text) {
  size_t pos = 0;
  for (int runes = 0; runes < 10 && pos < text.size(); ++runes) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text, pos, &cp);
    pos += len == 0 ? 1 : len;
  }
  if (pos >= text.size()) return GoQuote(text);
  return GoQuote(text.substr(0, pos)) + "...";
}

}  // namespace

bool IsAggregatorToken(TokenKind kind) {
  return kind >= TokenKind::kSum && kind <= TokenKind::kLimitRatio;
}

bool IsKeywordToken(TokenKind kind) {
  return kind >= TokenKind::kBool && kind <= TokenKind::kWithout;
}

std::string DescribeToken(const Token& token) {
  const TokenKind kind = token.kind;
  if (kind == TokenKind::kEof) return "end of input";
  if (IsKeywordToken(kind)) return "<" + std::string(token.text) + ">";
  if (IsOperatorToken(kind)) return "<op:" + std::string(token.text) + ">";
  if (IsAggregatorToken(kind)) return "<aggr:" + std::string(token.text) + ">";
  switch (kind) {
    case TokenKind::kIdentifier:
      return "identifier " + GoQuote(token.text);
    case TokenKind::kMetricIdentifier:
      return "metric identifier " + GoQuote(token.text);
    case TokenKind::kNumber:
      return "number " + QuoteTruncated(token.text);
    case TokenKind::kDuration:
      return "duration " + QuoteTruncated(token.text);
    case TokenKind::kString:
      return "string " + QuoteTruncated(token.text);
    default:
      return QuoteTruncated(token.text);
  }
}

size_t DecodeUtf8(std::string_view s, size_t pos, uint32_t* code_point) {
  if (pos >= s.size()) return 0;
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  }
  size_t len;
  uint32_t cp;
  uint32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (pos + len > s.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return len;
}

std::string GoQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) {
      out += "\\x";
      AppendHex(static_cast<unsigned char>(s[i]), 2, out);
      ++i;
      continue;
    }
    AppendEscapedRune(cp, '"', out);
    i += len;
  }
  out.push_back('"');
  return out;
}

std::string UnquoteString(std::string_view text) {
  std::string out;
  if (text.size() < 2) return out;
  const char quote = text.front();
  const std::string_view body = text.substr(1, text.size() - 2);
  if (quote == '`') return std::string(body);
  out.reserve(body.size());
  for (size_t i = 0; i < body.size();) {
    const char c = body[i];
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    // The lexer validated every escape, so the digits are there and in range.
    const char e = i + 1 < body.size() ? body[i + 1] : '\\';
    i += 2;
    switch (e) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        uint32_t value = 0;
        for (size_t k = 0; k < digits && i < body.size(); ++k, ++i) {
          value =
              value * 16 + static_cast<uint32_t>(DigitValue(static_cast<unsigned char>(body[i])));
        }
        if (e == 'x') {
          out.push_back(static_cast<char>(value));  // a raw byte, as in Go
        } else {
          AppendUtf8(value, out);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t value = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i < body.size(); ++k, ++i) {
            value = value * 8 + static_cast<uint32_t>(body[i] - '0');
          }
          out.push_back(static_cast<char>(value));
        } else {
          out.push_back(e);  // \\, \" or \'
        }
        break;
    }
  }
  return out;
}

Token Lexer::Emit(TokenKind kind, size_t start) {
  Token token{kind, start, input_.substr(start, pos_ - start)};
  if (kind == TokenKind::kEof) {
    done_ = true;
    last_ = token;
  }
  return token;
}

Token Lexer::Fail(size_t pos, std::string message) {
  error_ = std::move(message);
  done_ = true;
  last_ = Token{TokenKind::kError, pos, {}};
  return last_;
}

void Lexer::SkipSpaceAndComments() {
  while (!AtEnd()) {
    const char c = input_[pos_];
    if (IsSpace(c)) {
      ++pos_;
    } else if (c == '#') {
      while (!AtEnd() && input_[pos_] != '\n' && input_[pos_] != '\r') ++pos_;
    } else {
      break;
    }
  }
}

Token Lexer::Next() {
  if (done_) return last_;
  return brace_open_ ? LexInsideBraces() : LexStatement();
}

Token Lexer::LexStatement() {
  SkipSpaceAndComments();
  const size_t start = pos_;
  if (AtEnd()) {
    if (paren_depth_ != 0) return Fail(pos_, "unclosed left parenthesis");
    if (bracket_open_) return Fail(pos_, "unclosed left bracket");
    return Emit(TokenKind::kEof, start);
  }
  const char c = input_[pos_];
  auto single = [&](TokenKind kind) {
    ++pos_;
    return Emit(kind, start);
  };
  switch (c) {
    case ',':
      return single(TokenKind::kComma);
    case '*':
      return single(TokenKind::kMul);
    case '/':
      return single(TokenKind::kDiv);
    case '%':
      return single(TokenKind::kMod);
    case '+':
      return single(TokenKind::kAdd);
    case '-':
      return single(TokenKind::kSub);
    case '^':
      return single(TokenKind::kPow);
    case '@':
      return single(TokenKind::kAt);
    case '=':
      if (Peek(1) == '=') {
        pos_ += 2;
        return Emit(TokenKind::kEqlc, start);
      }
      if (Peek(1) == '~') return Fail(start, "unexpected character after '=': '~'");
      return single(TokenKind::kEql);
    case '!':
      if (Peek(1) == '=') {
        pos_ += 2;
        return Emit(TokenKind::kNeq, start);
      }
      return Fail(start, "unexpected character after '!': " +
                             QuoteRune(pos_ + 1 < input_.size() ? RuneAt(input_, pos_ + 1)
                                                                : kReplacementChar));
    case '<':
      if (Peek(1) == '=') {
        pos_ += 2;
        return Emit(TokenKind::kLte, start);
      }
      return single(TokenKind::kLss);
    case '>':
      if (Peek(1) == '=') {
        pos_ += 2;
        return Emit(TokenKind::kGte, start);
      }
      return single(TokenKind::kGtr);
    case '"':
    case '\'':
      return LexString(c);
    case '`':
      return LexRawString();
    case '(':
      ++paren_depth_;
      return single(TokenKind::kLeftParen);
    case ')': {
      ++pos_;
      Token token = Emit(TokenKind::kRightParen, start);
      if (--paren_depth_ < 0) return Fail(pos_, "unexpected right parenthesis ')'");
      return token;
    }
    case '{':
      brace_open_ = true;
      return single(TokenKind::kLeftBrace);
    case '[':
      if (bracket_open_) return Fail(start, "unexpected left bracket '['");
      bracket_open_ = true;
      got_colon_ = false;
      return single(TokenKind::kLeftBracket);
    case ']':
      if (!bracket_open_) return Fail(start, "unexpected right bracket ']'");
      bracket_open_ = false;
      return single(TokenKind::kRightBracket);
    case ':':
      if (bracket_open_) {
        if (got_colon_) return Fail(start, "unexpected colon ':'");
        got_colon_ = true;
        return single(TokenKind::kColon);
      }
      return LexIdentifierOrKeyword();
    default:
      break;
  }
  if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return LexNumberOrDuration();
  if (IsAlpha(c)) return LexIdentifierOrKeyword();
  return Fail(start, "unexpected character: " + QuoteRune(RuneAt(input_, pos_)));
}

Token Lexer::LexInsideBraces() {
  SkipSpaceAndComments();
  const size_t start = pos_;
  if (AtEnd()) return Fail(pos_, "unexpected end of input inside braces");
  const char c = input_[pos_];
  if (IsAlpha(c)) return LexBraceIdentifier();
  switch (c) {
    case ',':
      ++pos_;
      return Emit(TokenKind::kComma, start);
    case '"':
    case '\'':
      return LexString(c);
    case '`':
      return LexRawString();
    case '=':
      if (Peek(1) == '~') {
        pos_ += 2;
        return Emit(TokenKind::kEqlRegex, start);
      }
      ++pos_;
      return Emit(TokenKind::kEql, start);
    case '!':
      if (Peek(1) == '~') {
        pos_ += 2;
        return Emit(TokenKind::kNeqRegex, start);
      }
      if (Peek(1) == '=') {
        pos_ += 2;
        return Emit(TokenKind::kNeq, start);
      }
      return Fail(start, "unexpected character after '!' inside braces: " +
                             QuoteRune(pos_ + 1 < input_.size() ? RuneAt(input_, pos_ + 1)
                                                                : kReplacementChar));
    case '{':
      return Fail(start, "unexpected left brace '{'");
    case '}':
      ++pos_;
      brace_open_ = false;
      return Emit(TokenKind::kRightBrace, start);
    default:
      return Fail(start, "unexpected character inside braces: " + QuoteRune(RuneAt(input_, pos_)));
  }
}

Token Lexer::LexBraceIdentifier() {
  const size_t start = pos_;
  while (!AtEnd() && IsAlphaNumeric(input_[pos_])) ++pos_;
  return Emit(TokenKind::kIdentifier, start);
}

Token Lexer::LexIdentifierOrKeyword() {
  const size_t start = pos_;
  bool has_colon = false;
  while (!AtEnd() && (IsAlphaNumeric(input_[pos_]) || input_[pos_] == ':')) {
    has_colon = has_colon || input_[pos_] == ':';
    ++pos_;
  }
  const std::string_view word = input_.substr(start, pos_ - start);
  if (!has_colon) {
    for (const Keyword& keyword : kKeywords) {
      if (EqualsLowercase(word, keyword.word)) return Emit(keyword.kind, start);
    }
  }
  return Emit(has_colon ? TokenKind::kMetricIdentifier : TokenKind::kIdentifier, start);
}

bool Lexer::ScanNumber() {
  const size_t start = pos_;
  bool hex = false;
  if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X')) {
    hex = true;
    pos_ += 2;
  }
  bool (*is_digit)(char) = hex ? IsHexDigit : IsDigit;
  bool seen_dot = false;
  bool seen_exponent = false;
  while (!AtEnd()) {
    const char c = input_[pos_];
    if (is_digit(c)) {
      ++pos_;
    } else if (c == '_') {
      // An underscore separates digits (or follows the 0x prefix) and is followed by a digit.
      const char prev = input_[pos_ - 1];
      ++pos_;
      const bool after_digit = is_digit(prev) || (hex && pos_ - 1 == start + 2);
      if (!after_digit) return false;
      if (Peek() == '_' || Peek() == '.' || Peek() == 'e' || Peek() == 'E') {
        if (!hex || Peek() == '_' || Peek() == '.') {
          ++pos_;  // consumed into the error text, as Prometheus does
          return false;
        }
      }
      if (!is_digit(Peek())) return false;
    } else if (c == '.' && !hex) {
      ++pos_;
      if (seen_dot || seen_exponent) return false;
      seen_dot = true;
      if (Peek() == '_' || Peek() == '.') {
        ++pos_;
        return false;
      }
    } else if ((c == 'e' || c == 'E') && !hex) {
      ++pos_;
      if (seen_exponent) return false;
      seen_exponent = true;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!IsDigit(Peek())) return false;
    } else {
      break;
    }
  }
  if (pos_ == start) return false;
  // A number must not run into letters: "5m" is a duration, "0deadbeef" is an error.
  return !IsAlphaNumeric(Peek());
}

bool Lexer::ScanRemainingDuration() {
  auto accept = [&](std::string_view valid) {
    if (!AtEnd() && valid.find(input_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  };
  if (!accept("smhdwy")) return false;
  accept("s");  // "ms"; bad units such as "hs" are rejected when the duration is parsed
  while (accept("0123456789")) {
    while (accept("0123456789")) {
    }
    if (!accept("smhdw")) return false;
    accept("s");
  }
  if (!AtEnd() && IsAlphaNumeric(input_[pos_])) {
    ++pos_;
    return false;
  }
  return true;
}

Token Lexer::LexNumberOrDuration() {
  const size_t start = pos_;
  if (ScanNumber()) return Emit(TokenKind::kNumber, start);
  if (ScanRemainingDuration()) return Emit(TokenKind::kDuration, start);
  return Fail(start,
              "bad number or duration syntax: " + GoQuote(input_.substr(start, pos_ - start)));
}

bool Lexer::ScanEscape(char quote) {
  // Returns false with error_ set; mirrors Go's scanner (and Prometheus' lexEscape).
  if (AtEnd()) {
    error_ = "escape sequence not terminated";
    return false;
  }
  auto next_rune = [&](uint32_t* cp) {
    if (AtEnd()) return false;
    uint32_t value = 0;
    const size_t len = DecodeUtf8(input_, pos_, &value);
    *cp = len == 0 ? kReplacementChar : value;
    pos_ += len == 0 ? 1 : len;
    return true;
  };
  uint32_t ch = 0;
  next_rune(&ch);
  int digits;
  uint32_t base;
  uint32_t max;
  switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\':
      return true;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      digits = 3;
      base = 8;
      max = 255;
      break;
    case 'x':
    case 'u':
    case 'U':
      digits = ch == 'x' ? 2 : (ch == 'u' ? 4 : 8);
      base = 16;
      max = ch == 'x' ? 255 : 0x10FFFF;
      if (!next_rune(&ch)) {
        error_ = "escape sequence not terminated";
        return false;
      }
      break;
    default:
      if (ch == static_cast<uint32_t>(quote)) return true;
      error_ = "unknown escape sequence " + FormatRuneU(ch);
      return false;
  }
  uint64_t value = 0;
  while (digits > 0) {
    const auto d = static_cast<uint32_t>(DigitValue(ch));
    if (d >= base) {
      error_ = "illegal character " + FormatRuneU(ch) + " in escape sequence";
      return false;
    }
    value = value * base + d;
    if (--digits > 0 && !next_rune(&ch)) {
      error_ = "escape sequence not terminated";
      return false;
    }
  }
  if (value > max || (value >= 0xD800 && value < 0xE000)) {
    error_ = "escape sequence is an invalid Unicode code point";
    return false;
  }
  return true;
}

Token Lexer::LexString(char quote) {
  const size_t start = pos_;
  ++pos_;
  while (true) {
    if (AtEnd() || input_[pos_] == '\n') return Fail(start, "unterminated quoted string");
    const char c = input_[pos_];
    if (c == quote) {
      ++pos_;
      return Emit(TokenKind::kString, start);
    }
    if (c == '\\') {
      ++pos_;
      if (!ScanEscape(quote)) return Fail(start, std::move(error_));
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x80) {
      ++pos_;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(input_, pos_, &cp);
    if (len == 0) return Fail(start, "invalid UTF-8 rune");
    pos_ += len;
  }
}

Token Lexer::LexRawString() {
  const size_t start = pos_;
  ++pos_;
  while (true) {
    if (AtEnd()) return Fail(start, "unterminated raw string");
    const char c = input_[pos_];
    if (c == '`') {
      ++pos_;
      return Emit(TokenKind::kString, start);
    }
    if (static_cast<unsigned char>(c) < 0x80) {
      ++pos_;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(input_, pos_, &cp);
    if (len == 0) return Fail(start, "invalid UTF-8 rune");
    pos_ += len;
  }
}

}  // namespace strata::collector::promql

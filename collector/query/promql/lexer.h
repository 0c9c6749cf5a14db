#pragma once

// The PromQL lexer: turns a query string into tokens on demand, one Next() call per token, the
// way Prometheus' own lexer feeds its parser. It is a small state machine because PromQL is not
// context free at the character level:
//
//   * inside `{...}` words are always identifiers (no keywords), and only strings, `=`, `!=`,
//     `=~`, `!~`, `,` and `}` are tokens;
//   * inside `[...]` `:` separates a subquery's range and step;
//   * elsewhere words are keywords (case-insensitive: `sum`, `BY`, `offset`, `Inf`, `NaN`, ...),
//     identifiers, or metric identifiers (identifiers containing `:`).
//
// Numbers are decimal (`1`, `.5`, `5.`, `1e-3`, `1_000`), hexadecimal (`0x1F`) or a leading-zero
// octal integer (`0755`), as Go's strconv reads them. Durations are integers with units, longest
// first, each unit at most once: `1y2w3d4h5m6s7ms`. String literals use `"` or `'` with Go escapes,
// or backquotes (raw, may span lines). `#` starts a comment that runs to the end of the line.
//
// Errors (an unterminated string, a bad escape, an unexpected character, an unclosed parenthesis
// at the end of input, ...) end the token stream: Next() returns a kError token and error()
// holds the message, worded as Prometheus words it. The lexer borrows the input; tokens point
// into it. Not thread-safe; one lexer per parse.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::collector::promql {

enum class TokenKind {
  kEof,
  kError,
  kIdentifier,        // foo
  kMetricIdentifier,  // foo:bar (an identifier with a colon; only valid as a metric name)
  kNumber,            // 1, 0x1F, .5e3, Inf, NaN
  kDuration,          // 5m, 1h30m
  kString,            // "a", 'a', `a` (text includes the quotes)
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kColon,
  kEql,       // =  (label matching)
  kEqlRegex,  // =~ (label matching)
  kNeqRegex,  // !~ (label matching)
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,  // ==
  kNeq,   // != (comparison and label matching)
  kLss,
  kLte,
  kGtr,
  kGte,
  kAnd,
  kOr,
  kUnless,
  kAtan2,
  kAt,  // @
  // Aggregation operators.
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile,
  kLimitk,
  kLimitRatio,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,
  // @ modifier preprocessors.
  kStart,
  kEnd,
};

bool IsAggregatorToken(TokenKind kind);
bool IsKeywordToken(TokenKind kind);  // bool by group_left group_right ignoring offset on without

struct Token {
  TokenKind kind = TokenKind::kEof;
  size_t pos = 0;         // byte offset of the first character in the input
  std::string_view text;  // the raw characters (for kError: empty; see Lexer::error())

  size_t end() const { return pos + text.size(); }
};

// Describes a token for "unexpected ..." messages exactly as Prometheus does: `end of input`,
// `identifier "foo"`, `number "1"`, `string "\"abc\""`, `<op:+>`, `<aggr:sum>`, `<by>`, `","`.
std::string DescribeToken(const Token& token);

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // Returns the next token, skipping whitespace and comments. After a kError or kEof token every
  // further call returns the same token again.
  Token Next();

  // The message of the kError token (without position), e.g. "unterminated quoted string".
  const std::string& error() const { return error_; }

 private:
  Token LexStatement();
  Token LexInsideBraces();
  Token LexNumberOrDuration();
  Token LexIdentifierOrKeyword();
  Token LexBraceIdentifier();
  Token LexString(char quote);
  Token LexRawString();
  void SkipSpaceAndComments();

  // Scans a number at pos_; on failure pos_ is left after the offending character.
  bool ScanNumber();
  // Scans the rest of a duration whose leading digits were already consumed.
  bool ScanRemainingDuration();
  // Validates the escape sequence after a backslash; pos_ is just past the backslash.
  bool ScanEscape(char quote);

  Token Emit(TokenKind kind, size_t start);
  Token Fail(size_t pos, std::string message);

  bool AtEnd() const { return pos_ >= input_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < input_.size() ? input_[pos_ + ahead] : '\0';
  }

  std::string_view input_;
  size_t pos_ = 0;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  bool done_ = false;
  Token last_;  // the terminal token (kEof or kError) once done_
  std::string error_;
};

// Quotes `s` as a double-quoted string literal the lexer reads back to exactly `s` (Go's
// strconv.Quote for ASCII: `"`, `\` and control characters escaped; invalid UTF-8 bytes as \xNN;
// C1 controls and invisible format/space characters as \uNNNN; other UTF-8 kept).
std::string GoQuote(std::string_view s);

// Decodes one UTF-8 sequence at s[pos]; returns its length (1-4) and stores the code point, or
// returns 0 for an invalid sequence (overlong, surrogate, truncated, > U+10FFFF).
size_t DecodeUtf8(std::string_view s, size_t pos, uint32_t* code_point);

// Decodes the body of a string literal token (including its quotes) the lexer accepted.
std::string UnquoteString(std::string_view token_text);

}  // namespace strata::collector::promql

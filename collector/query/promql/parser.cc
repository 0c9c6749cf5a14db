#include "collector/query/promql/parser.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "collector/query/promql/functions.h"
#include "collector/query/promql/lexer.h"
#include "collector/query/promql/regex_error.h"
#include "common/model/labels.h"

namespace strata::collector::promql {
namespace {

// The largest duration Prometheus represents (Go's time.Duration: int64 nanoseconds), in ms.
constexpr int64_t kMaxDurationMs = INT64_MAX / 1'000'000;

// @ timestamps are kept to |t| < 2^51 ms (about 71,000 years either side of 1970): within that
// range "seconds with three decimals" parses back to exactly the same millisecond, so printing
// and re-parsing a tree is lossless. Prometheus' own bound is 2^63 seconds.
constexpr double kMaxAtTimestampMs = 2251799813685248.0;  // 2^51

std::string Quote(std::string_view s) { return GoQuote(s); }

// Go's fmt "%f" of a float64: "+Inf", "-Inf", "NaN", else fixed with six decimals.
std::string FormatFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  const int n = std::snprintf(buf, sizeof(buf), "%f", v);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

bool IsDecimalDigit(char c) { return c >= '0' && c <= '9'; }

// Whether a syntactically valid decimal literal whose conversion failed as out of range is too
// large (true) rather than too small (false): the position of its first significant digit.
bool DecimalOverflows(std::string_view s) {
  int64_t exponent = 0;
  const size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    bool negative = false;
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) {
      negative = exp[0] == '-';
      exp.remove_prefix(1);
    }
    for (char c : exp) {
      if (IsDecimalDigit(c)) exponent = std::min<int64_t>(exponent * 10 + (c - '0'), 1'000'000);
    }
    if (negative) exponent = -exponent;
    s = s.substr(0, e);
  }
  const size_t dot = s.find('.');
  const std::string_view integer = s.substr(0, dot);
  const size_t first = integer.find_first_not_of('0');
  if (first != std::string_view::npos) {
    exponent += static_cast<int64_t>(integer.size() - first);
  } else if (dot != std::string_view::npos) {
    const std::string_view fraction = s.substr(dot + 1);
    const size_t nz = fraction.find_first_not_of('0');
    if (nz == std::string_view::npos) return false;
    exponent -= static_cast<int64_t>(nz);
  }
  return exponent > 0;
}

// Converts a number token the way Prometheus does (Go's strconv.ParseInt with base 0, falling
// back to strconv.ParseFloat): decimal, 0x hexadecimal, 0-prefixed octal integers, Inf and NaN,
// with `_` digit separators.
absl::StatusOr<double> ParseNumberText(std::string_view text) {
  auto syntax_error = [&] {
    return absl::InvalidArgumentError("error parsing number: strconv.ParseFloat: parsing " +
                                      Quote(text) + ": invalid syntax");
  };
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (c != '_') s.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  if (s == "inf") return HUGE_VAL;
  if (s == "nan") return std::nan("");
  if (s.size() >= 2 && s[0] == '0' && s[1] == 'x') {
    // Only integers fit ParseInt; a hex float would need a 'p' exponent ParseFloat insists on.
    uint64_t value = 0;
    const auto r = std::from_chars(s.data() + 2, s.data() + s.size(), value, 16);
    if (s.size() == 2 || r.ec != std::errc() || r.ptr != s.data() + s.size() ||
        value > static_cast<uint64_t>(INT64_MAX)) {
      return syntax_error();
    }
    return static_cast<double>(value);
  }
  const bool integer = s.find_first_of(".e") == std::string::npos;
  if (integer && s.size() > 1 && s[0] == '0' &&
      s.find_first_not_of("01234567") == std::string::npos) {
    uint64_t value = 0;
    const auto r = std::from_chars(s.data() + 1, s.data() + s.size(), value, 8);
    if (r.ec == std::errc() && value <= static_cast<uint64_t>(INT64_MAX)) {
      return static_cast<double>(value);
    }
  }
  double value = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
  if (r.ptr != s.data() + s.size()) return syntax_error();
  if (r.ec == std::errc::result_out_of_range) {
    if (DecimalOverflows(s)) {
      return absl::InvalidArgumentError("error parsing number: strconv.ParseFloat: parsing " +
                                        Quote(text) + ": value out of range");
    }
    return 0.0;  // underflow rounds to zero, as in Go
  }
  if (r.ec != std::errc()) return syntax_error();
  if (std::isinf(value)) {
    return absl::InvalidArgumentError("error parsing number: strconv.ParseFloat: parsing " +
                                      Quote(text) + ": value out of range");
  }
  return value;
}

// Go's time.Duration.Seconds() of a millisecond count: whole seconds plus the fraction.
double MsToSeconds(int64_t ms) {
  return static_cast<double>(ms / 1000) + static_cast<double>((ms % 1000) * 1'000'000) / 1e9;
}

// Maps RE2's error to Go's regexp/syntax wording, which Prometheus reports.
std::string RegexErrorMessage(const std::string& value) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);
  const RE2 re("^(?:" + value + ")$", options);
  return GoRegexError(re);
}

std::optional<BinaryOp> ToBinaryOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kAdd:
      return BinaryOp::kAdd;
    case TokenKind::kSub:
      return BinaryOp::kSub;
    case TokenKind::kMul:
      return BinaryOp::kMul;
    case TokenKind::kDiv:
      return BinaryOp::kDiv;
    case TokenKind::kMod:
      return BinaryOp::kMod;
    case TokenKind::kPow:
      return BinaryOp::kPow;
    case TokenKind::kAtan2:
      return BinaryOp::kAtan2;
    case TokenKind::kEqlc:
      return BinaryOp::kEql;
    case TokenKind::kNeq:
      return BinaryOp::kNeq;
    case TokenKind::kGtr:
      return BinaryOp::kGtr;
    case TokenKind::kLss:
      return BinaryOp::kLss;
    case TokenKind::kGte:
      return BinaryOp::kGte;
    case TokenKind::kLte:
      return BinaryOp::kLte;
    case TokenKind::kAnd:
      return BinaryOp::kAnd;
    case TokenKind::kOr:
      return BinaryOp::kOr;
    case TokenKind::kUnless:
      return BinaryOp::kUnless;
    default:
      return std::nullopt;
  }
}

AggregateOp ToAggregateOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kSum:
      return AggregateOp::kSum;
    case TokenKind::kAvg:
      return AggregateOp::kAvg;
    case TokenKind::kCount:
      return AggregateOp::kCount;
    case TokenKind::kMin:
      return AggregateOp::kMin;
    case TokenKind::kMax:
      return AggregateOp::kMax;
    case TokenKind::kGroup:
      return AggregateOp::kGroup;
    case TokenKind::kStddev:
      return AggregateOp::kStddev;
    case TokenKind::kStdvar:
      return AggregateOp::kStdvar;
    case TokenKind::kTopk:
      return AggregateOp::kTopk;
    case TokenKind::kBottomk:
      return AggregateOp::kBottomk;
    case TokenKind::kCountValues:
      return AggregateOp::kCountValues;
    case TokenKind::kQuantile:
      return AggregateOp::kQuantile;
    case TokenKind::kLimitk:
      return AggregateOp::kLimitk;
    default:
      return AggregateOp::kLimitRatio;
  }
}

// Keywords that may also be metric names when they start an expression.
bool IsMetricNameKeyword(TokenKind kind) {
  switch (kind) {
    case TokenKind::kBy:
    case TokenKind::kWithout:
    case TokenKind::kOffset:
    case TokenKind::kAnd:
    case TokenKind::kOr:
    case TokenKind::kUnless:
    case TokenKind::kStart:
    case TokenKind::kEnd:
      return true;
    default:
      return IsAggregatorToken(kind);
  }
}

// Tokens that read as a label name inside by(...), on(...) and group_x(...): identifiers,
// metric identifiers (valid UTF-8 label names in Prometheus 3) and every keyword.
bool IsGroupingLabelToken(TokenKind kind) {
  switch (kind) {
    case TokenKind::kIdentifier:
    case TokenKind::kMetricIdentifier:
    case TokenKind::kAnd:
    case TokenKind::kOr:
    case TokenKind::kUnless:
    case TokenKind::kAtan2:
    case TokenKind::kStart:
    case TokenKind::kEnd:
      return true;
    default:
      return IsAggregatorToken(kind) || IsKeywordToken(kind);
  }
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// Formats "L:C: parse error: message" for a byte offset into the query.
absl::Status ErrorAt(std::string_view input, size_t pos, std::string_view message) {
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos && i < input.size(); ++i) {
    if (input[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::InvalidArgumentError(std::to_string(line) + ":" +
                                    std::to_string(pos - line_start + 1) +
                                    ": parse error: " + std::string(message));
}

// ---------------------------------------------------------------------------------------------
// Parsing.

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), lexer_(input) {}

  absl::StatusOr<ExprPtr> Parse();

 private:
  // A parsed subtree and its depth, so chains of operators cannot build an unbounded tree.
  struct Node {
    ExprPtr expr;
    int depth = 1;
  };
  using Result = absl::StatusOr<Node>;

  // Counts recursion through ParseUnary, where every nested construct passes.
  class NestingGuard {
   public:
    explicit NestingGuard(int& depth) : depth_(depth) { ++depth_; }
    ~NestingGuard() { --depth_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

   private:
    int& depth_;
  };

  const Token& Peek();
  const Token& PeekSecond();
  Token Consume();

  absl::Status Error(size_t pos, std::string_view message) const {
    return ErrorAt(input_, pos, message);
  }
  // "unexpected <token>[ in <context>][, expected <expected>]", or the lexer's error.
  absl::Status Unexpected(const Token& token, std::string_view context,
                          std::string_view expected) const;
  // The context of errors without a more specific one: inside an aggregation or none.
  std::string_view GenericContext() const { return aggregation_depth_ > 0 ? "aggregation" : ""; }

  absl::Status CheckDepth(const Node& node) const;

  Result ParseBinary(int min_precedence);
  Result ParseUnary();
  Result ParsePrimary();
  Result ParsePostfix(Node node);
  Result ParseParen();
  Result ParseNumberLiteral();
  Result ParseVectorSelector();
  Result ParseCall();
  Result ParseAggregate();
  Result ParseRangeOrSubquery(Node node);
  Result ParseOffset(Node node);
  Result ParseAt(Node node);

  absl::Status ParseLabelMatchers(VectorSelector& vs);
  // Parses "(label, ...)" into `labels`; returns the position just past the ")".
  absl::StatusOr<size_t> ParseGroupingLabels(std::vector<std::string>& labels);
  // Parses "expr, ..." after a "(" up to and including the ")"; returns the position just past it.
  absl::StatusOr<size_t> ParseArgs(std::vector<Node>& args);

  // The value of a number or duration token as a float (durations in seconds).
  absl::StatusOr<double> NumberValue(const Token& token) const;
  // A number or duration token as milliseconds: durations exactly, numbers (seconds) truncated.
  absl::StatusOr<int64_t> DurationValueMs(const Token& token) const;
  // A range or step: as DurationValueMs but must be > 0.
  absl::StatusOr<int64_t> PositiveDurationMs(const Token& token) const;

  std::string_view input_;
  Lexer lexer_;
  std::array<Token, 2> lookahead_;
  int buffered_ = 0;
  int nesting_ = 0;
  int aggregation_depth_ = 0;
};

const Token& Parser::Peek() {
  if (buffered_ == 0) {
    lookahead_[0] = lexer_.Next();
    buffered_ = 1;
  }
  return lookahead_[0];
}

const Token& Parser::PeekSecond() {
  Peek();
  if (buffered_ == 1) {
    lookahead_[1] = lexer_.Next();
    buffered_ = 2;
  }
  return lookahead_[1];
}

Token Parser::Consume() {
  Peek();
  Token token = lookahead_[0];
  lookahead_[0] = lookahead_[1];
  --buffered_;
  return token;
}

absl::Status Parser::Unexpected(const Token& token, std::string_view context,
                                std::string_view expected) const {
  if (token.kind == TokenKind::kError) return Error(token.pos, lexer_.error());
  std::string message = "unexpected " + DescribeToken(token);
  if (!context.empty()) {
    message += " in ";
    message += context;
  }
  if (!expected.empty()) {
    message += ", expected ";
    message += expected;
  }
  return Error(token.pos, message);
}

absl::Status Parser::CheckDepth(const Node& node) const {
  if (node.depth > kMaxTreeDepth) {
    return Error(node.expr->pos.start, "expression is nested too deeply (more than " +
                                           std::to_string(kMaxTreeDepth) + " levels)");
  }
  return absl::OkStatus();
}

absl::StatusOr<ExprPtr> Parser::Parse() {
  if (Peek().kind == TokenKind::kEof) return Error(0, "no expression found in input");
  Result node = ParseBinary(0);
  if (!node.ok()) return node.status();
  if (Peek().kind != TokenKind::kEof) return Unexpected(Peek(), "", "");
  return std::move(node->expr);
}

Parser::Result Parser::ParseBinary(int min_precedence) {
  Result lhs = ParseUnary();
  if (!lhs.ok()) return lhs;
  while (true) {
    const std::optional<BinaryOp> op = ToBinaryOp(Peek().kind);
    if (!op.has_value() || Precedence(*op) < min_precedence) break;
    Consume();

    bool return_bool = false;
    VectorMatching matching;
    if (Peek().kind == TokenKind::kBool) {
      Consume();
      return_bool = true;
    }
    if (Peek().kind == TokenKind::kOn || Peek().kind == TokenKind::kIgnoring) {
      matching.on = Consume().kind == TokenKind::kOn;
      if (absl::StatusOr<size_t> end = ParseGroupingLabels(matching.matching_labels); !end.ok()) {
        return end.status();
      }
      const TokenKind group = Peek().kind;
      if (group == TokenKind::kGroupLeft || group == TokenKind::kGroupRight) {
        Consume();
        matching.card = group == TokenKind::kGroupLeft ? VectorMatching::Cardinality::kManyToOne
                                                       : VectorMatching::Cardinality::kOneToMany;
        if (Peek().kind == TokenKind::kLeftParen) {
          if (absl::StatusOr<size_t> end = ParseGroupingLabels(matching.include); !end.ok()) {
            return end.status();
          }
        } else if (const TokenKind next = Peek().kind;
                   next == TokenKind::kGroupLeft || next == TokenKind::kGroupRight ||
                   next == TokenKind::kOn || next == TokenKind::kIgnoring ||
                   next == TokenKind::kBool) {
          // A modifier keyword cannot start the right-hand side; Prometheus' grammar reports it
          // as a malformed include list.
          return Unexpected(Peek(), "grouping opts", "\"(\"");
        }
      }
    }

    // `^` is right-associative; everything else binds left.
    const int precedence = Precedence(*op);
    Result rhs = ParseBinary(*op == BinaryOp::kPow ? precedence : precedence + 1);
    if (!rhs.ok()) return rhs;

    const PositionRange pos{lhs->expr->pos.start, rhs->expr->pos.end};
    auto binary = std::make_unique<Binary>(*op, std::move(lhs->expr), std::move(rhs->expr), pos);
    binary->return_bool = return_bool;
    binary->matching = std::move(matching);
    Node node{std::move(binary), 1 + std::max(lhs->depth, rhs->depth)};
    if (absl::Status s = CheckDepth(node); !s.ok()) return s;
    *lhs = std::move(node);
  }
  return lhs;
}

Parser::Result Parser::ParseUnary() {
  NestingGuard guard(nesting_);
  if (nesting_ > kMaxNestingDepth) {
    return Error(Peek().pos, "expression is nested too deeply (more than " +
                                 std::to_string(kMaxNestingDepth) +
                                 " levels of parentheses, unary operators or arguments)");
  }
  const TokenKind kind = Peek().kind;
  if (kind != TokenKind::kAdd && kind != TokenKind::kSub) {
    Result primary = ParsePrimary();
    if (!primary.ok()) return primary;
    return ParsePostfix(*std::move(primary));
  }
  const Token op = Consume();
  // The operand binds like `*`: only `^` (and postfix modifiers) bind tighter.
  Result operand = ParseBinary(Precedence(BinaryOp::kPow));
  if (!operand.ok()) return operand;
  if (auto* number = operand->expr->Cast<NumberLiteral>()) {
    if (op.kind == TokenKind::kSub) number->value = -number->value;
    number->pos.start = op.pos;
    return operand;
  }
  const PositionRange pos{op.pos, operand->expr->pos.end};
  Node node{std::make_unique<Unary>(op.kind == TokenKind::kSub ? UnaryOp::kMinus : UnaryOp::kPlus,
                                    std::move(operand->expr), pos),
            operand->depth + 1};
  if (absl::Status s = CheckDepth(node); !s.ok()) return s;
  return node;
}

Parser::Result Parser::ParsePrimary() {
  const Token& token = Peek();
  switch (token.kind) {
    case TokenKind::kNumber:
    case TokenKind::kDuration:
      return ParseNumberLiteral();
    case TokenKind::kString: {
      const Token t = Consume();
      return Node{
          std::make_unique<StringLiteral>(UnquoteString(t.text), PositionRange{t.pos, t.end()})};
    }
    case TokenKind::kLeftParen:
      return ParseParen();
    case TokenKind::kLeftBrace:
    case TokenKind::kMetricIdentifier:
      return ParseVectorSelector();
    case TokenKind::kIdentifier:
      if (PeekSecond().kind == TokenKind::kLeftParen) return ParseCall();
      return ParseVectorSelector();
    default:
      break;
  }
  if (IsAggregatorToken(token.kind)) {
    const TokenKind next = PeekSecond().kind;
    if (next == TokenKind::kLeftParen || next == TokenKind::kBy || next == TokenKind::kWithout) {
      return ParseAggregate();
    }
  }
  if (IsMetricNameKeyword(token.kind)) return ParseVectorSelector();
  return Unexpected(token, GenericContext(), "");
}

Parser::Result Parser::ParsePostfix(Node node) {
  while (true) {
    Result next;
    switch (Peek().kind) {
      case TokenKind::kLeftBracket:
        next = ParseRangeOrSubquery(std::move(node));
        break;
      case TokenKind::kOffset:
        next = ParseOffset(std::move(node));
        break;
      case TokenKind::kAt:
        next = ParseAt(std::move(node));
        break;
      default:
        return node;
    }
    if (!next.ok()) return next;
    node = *std::move(next);
  }
}

Parser::Result Parser::ParseParen() {
  const Token open = Consume();
  Result inner = ParseBinary(0);
  if (!inner.ok()) return inner;
  if (Peek().kind != TokenKind::kRightParen) return Unexpected(Peek(), GenericContext(), "");
  const Token close = Consume();
  Node node{std::make_unique<Paren>(std::move(inner->expr), PositionRange{open.pos, close.end()}),
            inner->depth + 1};
  if (absl::Status s = CheckDepth(node); !s.ok()) return s;
  return node;
}

Parser::Result Parser::ParseNumberLiteral() {
  const Token token = Consume();
  absl::StatusOr<double> value = NumberValue(token);
  if (!value.ok()) return value.status();
  return Node{std::make_unique<NumberLiteral>(*value, PositionRange{token.pos, token.end()})};
}

absl::StatusOr<double> Parser::NumberValue(const Token& token) const {
  if (token.kind == TokenKind::kDuration) {
    absl::StatusOr<int64_t> ms = ParseDurationMs(token.text);
    if (!ms.ok()) return Error(token.pos, std::string(ms.status().message()));
    if (*ms == 0) return Error(token.pos, "duration must be greater than 0");
    return MsToSeconds(*ms);
  }
  absl::StatusOr<double> value = ParseNumberText(token.text);
  if (!value.ok()) return Error(token.pos, std::string(value.status().message()));
  return *value;
}

absl::StatusOr<int64_t> Parser::DurationValueMs(const Token& token) const {
  if (token.kind == TokenKind::kDuration) {
    absl::StatusOr<int64_t> ms = ParseDurationMs(token.text);
    if (!ms.ok()) return Error(token.pos, std::string(ms.status().message()));
    if (*ms == 0) return Error(token.pos, "duration must be greater than 0");
    return *ms;
  }
  absl::StatusOr<double> seconds = ParseNumberText(token.text);
  if (!seconds.ok()) return Error(token.pos, std::string(seconds.status().message()));
  const double ms = std::trunc(*seconds * 1000);  // Prometheus truncates to whole milliseconds
  if (!(std::abs(ms) <= static_cast<double>(kMaxDurationMs))) {
    return Error(token.pos, "duration out of range");
  }
  return static_cast<int64_t>(ms);
}

absl::StatusOr<int64_t> Parser::PositiveDurationMs(const Token& token) const {
  absl::StatusOr<int64_t> ms = DurationValueMs(token);
  if (!ms.ok()) return ms;
  if (*ms <= 0) return Error(token.pos, "duration must be greater than 0");
  return ms;
}

Parser::Result Parser::ParseVectorSelector() {
  const size_t start = Peek().pos;
  auto vs = std::make_unique<VectorSelector>(PositionRange{start, start});
  if (Peek().kind != TokenKind::kLeftBrace) {
    const Token name = Consume();
    vs->name = std::string(name.text);
    absl::StatusOr<LabelMatcher> matcher =
        LabelMatcher::Create(MatchOp::kEqual, std::string(common::kMetricNameLabel), vs->name);
    if (!matcher.ok()) return Error(name.pos, std::string(matcher.status().message()));
    vs->matchers.push_back(*std::move(matcher));
    vs->pos.end = name.end();
  }
  if (Peek().kind == TokenKind::kLeftBrace) {
    if (absl::Status s = ParseLabelMatchers(*vs); !s.ok()) return s;
  }
  return Node{std::move(vs)};
}

absl::Status Parser::ParseLabelMatchers(VectorSelector& vs) {
  Consume();  // {
  while (true) {
    Token token = Consume();
    if (token.kind == TokenKind::kRightBrace) {
      vs.pos.end = token.end();
      return absl::OkStatus();
    }
    if (token.kind != TokenKind::kIdentifier && token.kind != TokenKind::kString) {
      return Unexpected(token, "label matching", "identifier or \"}\"");
    }
    const Token name = token;
    std::optional<MatchOp> op;
    switch (Peek().kind) {
      case TokenKind::kEql:
        op = MatchOp::kEqual;
        break;
      case TokenKind::kNeq:
        op = MatchOp::kNotEqual;
        break;
      case TokenKind::kEqlRegex:
        op = MatchOp::kRegexMatch;
        break;
      case TokenKind::kNeqRegex:
        op = MatchOp::kRegexNoMatch;
        break;
      default:
        break;
    }
    std::string label;
    std::string value;
    if (op.has_value()) {
      Consume();
      const Token value_token = Consume();
      if (value_token.kind != TokenKind::kString) {
        return Unexpected(value_token, "label matching", "string");
      }
      label = name.kind == TokenKind::kString ? UnquoteString(name.text) : std::string(name.text);
      value = UnquoteString(value_token.text);
    } else if (name.kind == TokenKind::kString) {
      // {"metric.name"}: a quoted metric name inside the braces (Prometheus 3).
      op = MatchOp::kEqual;
      label = std::string(common::kMetricNameLabel);
      value = UnquoteString(name.text);
    } else {
      return Unexpected(Peek(), "label matching", "label matching operator");
    }
    absl::StatusOr<LabelMatcher> matcher = LabelMatcher::Create(*op, label, value);
    if (!matcher.ok()) return Error(name.pos, RegexErrorMessage(value));
    vs.matchers.push_back(*std::move(matcher));

    const Token separator = Consume();
    if (separator.kind == TokenKind::kRightBrace) {
      vs.pos.end = separator.end();
      return absl::OkStatus();
    }
    if (separator.kind != TokenKind::kComma) {
      return Unexpected(separator, "label matching", "\",\" or \"}\"");
    }
  }
}

absl::StatusOr<size_t> Parser::ParseGroupingLabels(std::vector<std::string>& labels) {
  if (Peek().kind != TokenKind::kLeftParen) return Unexpected(Peek(), "grouping opts", "\"(\"");
  Consume();
  if (Peek().kind == TokenKind::kRightParen) return Consume().end();
  while (true) {
    const Token token = Consume();
    if (token.kind == TokenKind::kString) {
      std::string label = UnquoteString(token.text);
      if (label.empty() || !IsValidUtf8(label)) {
        return Error(token.pos, "invalid label name for grouping: " + Quote(label));
      }
      labels.push_back(std::move(label));
    } else if (IsGroupingLabelToken(token.kind)) {
      labels.emplace_back(token.text);
    } else {
      return Unexpected(token, "grouping opts", "label");
    }
    const Token separator = Consume();
    if (separator.kind == TokenKind::kRightParen) return separator.end();
    if (separator.kind != TokenKind::kComma) {
      return Unexpected(separator, "grouping opts", "\",\" or \")\"");
    }
    if (Peek().kind == TokenKind::kRightParen) return Consume().end();  // trailing comma
  }
}

absl::StatusOr<size_t> Parser::ParseArgs(std::vector<Node>& args) {
  if (Peek().kind == TokenKind::kRightParen) return Consume().end();
  while (true) {
    Result arg = ParseBinary(0);
    if (!arg.ok()) return arg.status();
    args.push_back(*std::move(arg));
    const Token& next = Peek();
    if (next.kind == TokenKind::kRightParen) return Consume().end();
    if (next.kind != TokenKind::kComma) return Unexpected(next, GenericContext(), "");
    const Token comma = Consume();
    if (Peek().kind == TokenKind::kRightParen) {
      return Error(comma.pos, "trailing commas not allowed in function call args");
    }
  }
}

Parser::Result Parser::ParseCall() {
  const Token name = Consume();
  Consume();  // (
  std::vector<Node> args;
  absl::StatusOr<size_t> end = ParseArgs(args);
  if (!end.ok()) return end.status();
  const Function* func = FindFunction(name.text);
  if (func == nullptr) {
    return Error(name.pos, "unknown function with name " + Quote(name.text));
  }
  auto call = std::make_unique<Call>(func, PositionRange{name.pos, *end});
  int depth = 0;
  call->args.reserve(args.size());
  for (Node& arg : args) {
    depth = std::max(depth, arg.depth);
    call->args.push_back(std::move(arg.expr));
  }
  Node node{std::move(call), depth + 1};
  if (absl::Status s = CheckDepth(node); !s.ok()) return s;
  return node;
}

Parser::Result Parser::ParseAggregate() {
  const Token op_token = Consume();
  const AggregateOp op = ToAggregateOp(op_token.kind);
  auto aggregate = std::make_unique<Aggregate>(op, PositionRange{op_token.pos, op_token.end()});
  std::vector<Node> args;
  {
    ++aggregation_depth_;
    struct Restore {
      int& depth;
      ~Restore() { --depth; }
    } restore{aggregation_depth_};

    bool have_grouping = false;
    auto parse_grouping = [&]() -> absl::StatusOr<size_t> {
      have_grouping = true;
      aggregate->without = Consume().kind == TokenKind::kWithout;
      return ParseGroupingLabels(aggregate->grouping);
    };
    if (Peek().kind == TokenKind::kBy || Peek().kind == TokenKind::kWithout) {
      if (absl::StatusOr<size_t> end = parse_grouping(); !end.ok()) return end.status();
    }
    if (Peek().kind != TokenKind::kLeftParen) return Unexpected(Peek(), "aggregation", "");
    Consume();
    absl::StatusOr<size_t> end = ParseArgs(args);
    if (!end.ok()) return end.status();
    aggregate->pos.end = *end;
    if (!have_grouping && (Peek().kind == TokenKind::kBy || Peek().kind == TokenKind::kWithout)) {
      end = parse_grouping();
      if (!end.ok()) return end.status();
      aggregate->pos.end = *end;
    }
  }

  if (args.empty()) return Error(op_token.pos, "no arguments for aggregate expression provided");
  const size_t wanted = AggregateOpHasParam(op) ? 2 : 1;
  if (args.size() != wanted) {
    return Error(op_token.pos,
                 "wrong number of arguments for aggregate expression provided, expected " +
                     std::to_string(wanted) + ", got " + std::to_string(args.size()));
  }
  int depth = args.back().depth;
  aggregate->expr = std::move(args.back().expr);
  if (wanted == 2) {
    depth = std::max(depth, args.front().depth);
    aggregate->param = std::move(args.front().expr);
  }
  Node node{std::move(aggregate), depth + 1};
  if (absl::Status s = CheckDepth(node); !s.ok()) return s;
  return node;
}

Parser::Result Parser::ParseRangeOrSubquery(Node node) {
  const Token open = Consume();  // [
  const Token range_token = Consume();
  if (range_token.kind != TokenKind::kNumber && range_token.kind != TokenKind::kDuration) {
    return Unexpected(range_token, "subquery selector", "number or duration");
  }
  absl::StatusOr<int64_t> range_ms = PositiveDurationMs(range_token);
  if (!range_ms.ok()) return range_ms.status();

  const Token after_range = Consume();
  if (after_range.kind == TokenKind::kRightBracket) {
    auto* vs = node.expr->Cast<VectorSelector>();
    if (vs == nullptr) return Error(open.pos, "ranges only allowed for vector selectors");
    if (vs->offset_ms != 0) return Error(open.pos, "no offset modifiers allowed before range");
    if (vs->at.is_set()) return Error(open.pos, "no @ modifiers allowed before range");
    std::unique_ptr<VectorSelector> selector(static_cast<VectorSelector*>(node.expr.release()));
    const PositionRange pos{selector->pos.start, after_range.end()};
    return Node{std::make_unique<MatrixSelector>(std::move(selector), *range_ms, pos), 2};
  }
  if (after_range.kind != TokenKind::kColon) {
    return Unexpected(after_range, "subquery or range", "\":\" or \"]\"");
  }

  int64_t step_ms = 0;
  Token close = Consume();
  if (close.kind == TokenKind::kNumber || close.kind == TokenKind::kDuration) {
    absl::StatusOr<int64_t> step = PositiveDurationMs(close);
    if (!step.ok()) return step.status();
    step_ms = *step;
    close = Consume();
    if (close.kind != TokenKind::kRightBracket) {
      return Unexpected(close, "subquery selector", "\"]\"");
    }
  } else if (close.kind != TokenKind::kRightBracket) {
    return Unexpected(close, "subquery selector", "number or duration or \"]\"");
  }
  const PositionRange pos{node.expr->pos.start, close.end()};
  Node subquery{std::make_unique<Subquery>(std::move(node.expr), *range_ms, step_ms, pos),
                node.depth + 1};
  if (absl::Status s = CheckDepth(subquery); !s.ok()) return s;
  return subquery;
}

Parser::Result Parser::ParseOffset(Node node) {
  Consume();  // offset
  bool negative = false;
  if (Peek().kind == TokenKind::kSub) {
    Consume();
    negative = true;
  }
  const Token token = Consume();
  if (token.kind != TokenKind::kNumber && token.kind != TokenKind::kDuration) {
    return Unexpected(token, "offset", "number or duration");
  }
  absl::StatusOr<int64_t> ms = DurationValueMs(token);
  if (!ms.ok()) return ms.status();

  int64_t* offset = nullptr;
  switch (node.expr->kind) {
    case ExprKind::kVectorSelector:
      offset = &node.expr->As<VectorSelector>().offset_ms;
      break;
    case ExprKind::kMatrixSelector:
      offset = &node.expr->As<MatrixSelector>().selector->offset_ms;
      break;
    case ExprKind::kSubquery:
      offset = &node.expr->As<Subquery>().offset_ms;
      break;
    default:
      return Error(node.expr->pos.start,
                   "offset modifier must be preceded by an instant vector selector or range "
                   "vector selector or a subquery");
  }
  if (*offset != 0) return Error(node.expr->pos.start, "offset may not be set multiple times");
  *offset = negative ? -*ms : *ms;
  node.expr->pos.end = token.end();
  return node;
}

Parser::Result Parser::ParseAt(Node node) {
  Consume();  // @
  AtModifier at;
  Token token = Consume();
  size_t end = token.end();
  if (token.kind == TokenKind::kStart || token.kind == TokenKind::kEnd) {
    at.kind = token.kind == TokenKind::kStart ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
    const Token open = Consume();
    if (open.kind != TokenKind::kLeftParen) return Unexpected(open, "@", "timestamp");
    const Token close = Consume();
    if (close.kind != TokenKind::kRightParen) return Unexpected(close, "@", "timestamp");
    end = close.end();
  } else {
    bool negative = false;
    if (token.kind == TokenKind::kAdd || token.kind == TokenKind::kSub) {
      negative = token.kind == TokenKind::kSub;
      token = Consume();
    }
    if (token.kind != TokenKind::kNumber && token.kind != TokenKind::kDuration) {
      return Unexpected(token, "@", "timestamp");
    }
    absl::StatusOr<double> seconds = NumberValue(token);
    if (!seconds.ok()) return seconds.status();
    const double ts = negative ? -*seconds : *seconds;
    const double ms = std::round(ts * 1000);
    if (!(std::abs(ms) < kMaxAtTimestampMs)) {
      return Error(node.expr->pos.start,
                   "timestamp out of bounds for @ modifier: " + FormatFloatF(ts));
    }
    at.kind = AtModifier::Kind::kTimestamp;
    at.timestamp_ms = static_cast<int64_t>(ms);
    end = token.end();
  }

  AtModifier* target = nullptr;
  switch (node.expr->kind) {
    case ExprKind::kVectorSelector:
      target = &node.expr->As<VectorSelector>().at;
      break;
    case ExprKind::kMatrixSelector:
      target = &node.expr->As<MatrixSelector>().selector->at;
      break;
    case ExprKind::kSubquery:
      target = &node.expr->As<Subquery>().at;
      break;
    default:
      return Error(node.expr->pos.start,
                   "@ modifier must be preceded by an instant vector selector or range vector "
                   "selector or a subquery");
  }
  if (target->is_set()) {
    return Error(node.expr->pos.start, "@ <timestamp> may not be set multiple times");
  }
  *target = at;
  node.expr->pos.end = end;
  return node;
}

// ---------------------------------------------------------------------------------------------
// Type checking, in the order Prometheus' checkAST visits the tree so the first error matches.

// Check() recurses once per tree level, so each level's frames are kept small: the dispatcher
// and the recursive per-kind functions hold little more than two StatusOr values, and building
// error messages happens in separate, non-recursive functions.
class Checker {
 public:
  explicit Checker(std::string_view input) : input_(input) {}

  // Returns the expression's value type, or the first type error.
  absl::StatusOr<ValueType> Check(Expr& expr);

 private:
  absl::Status Error(size_t pos, std::string_view message) const {
    return ErrorAt(input_, pos, message);
  }
  absl::Status TypeError(const Expr& expr, ValueType want, ValueType got,
                         std::string_view context) const;
  absl::Status ExpectType(Expr& expr, ValueType want, std::string_view context);

  absl::StatusOr<ValueType> CheckSubquery(Subquery& sq);
  absl::StatusOr<ValueType> CheckUnary(Unary& u);
  absl::StatusOr<ValueType> CheckBinary(Binary& b);
  absl::StatusOr<ValueType> CheckAggregate(Aggregate& a);
  absl::StatusOr<ValueType> CheckCall(Call& call);
  // The checks of a binary expression once both operand types are known.
  absl::Status CheckBinaryOperands(Binary& b, ValueType lt, ValueType rt) const;
  absl::Status CheckArgumentCount(const Call& call) const;
  absl::Status CheckVectorSelector(const VectorSelector& vs) const;
  // Where the operator of a binary expression starts: the first non-space after its lhs.
  size_t OperatorPos(const Binary& b) const;

  std::string_view input_;
};

absl::Status Checker::TypeError(const Expr& expr, ValueType want, ValueType got,
                                std::string_view context) const {
  return Error(expr.pos.start, "expected type " + std::string(DocumentedTypeName(want)) + " in " +
                                   std::string(context) + ", got " +
                                   std::string(DocumentedTypeName(got)));
}

absl::Status Checker::ExpectType(Expr& expr, ValueType want, std::string_view context) {
  absl::StatusOr<ValueType> type = Check(expr);
  if (!type.ok()) return type.status();
  if (*type != want) return TypeError(expr, want, *type, context);
  return absl::OkStatus();
}

absl::StatusOr<ValueType> Checker::Check(Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
      return expr.Type();
    case ExprKind::kVectorSelector:
      if (absl::Status s = CheckVectorSelector(expr.As<VectorSelector>()); !s.ok()) return s;
      return ValueType::kVector;
    case ExprKind::kMatrixSelector:
      if (absl::Status s = CheckVectorSelector(*expr.As<MatrixSelector>().selector); !s.ok()) {
        return s;
      }
      return ValueType::kMatrix;
    case ExprKind::kSubquery:
      return CheckSubquery(expr.As<Subquery>());
    case ExprKind::kParen:
      return Check(*expr.As<Paren>().expr);
    case ExprKind::kUnary:
      return CheckUnary(expr.As<Unary>());
    case ExprKind::kBinary:
      return CheckBinary(expr.As<Binary>());
    case ExprKind::kAggregate:
      return CheckAggregate(expr.As<Aggregate>());
    case ExprKind::kCall:
      return CheckCall(expr.As<Call>());
  }
  return ValueType::kNone;
}

absl::StatusOr<ValueType> Checker::CheckSubquery(Subquery& sq) {
  absl::StatusOr<ValueType> inner = Check(*sq.expr);
  if (!inner.ok()) return inner;
  if (*inner != ValueType::kVector) {
    return Error(sq.pos.start, "subquery is only allowed on instant vector, got " +
                                   std::string(ValueTypeName(*inner)) + " instead");
  }
  return ValueType::kMatrix;
}

absl::StatusOr<ValueType> Checker::CheckUnary(Unary& u) {
  absl::StatusOr<ValueType> inner = Check(*u.expr);
  if (!inner.ok()) return inner;
  if (*inner != ValueType::kScalar && *inner != ValueType::kVector) {
    return Error(u.pos.start,
                 "unary expression only allowed on expressions of type scalar or instant "
                 "vector, got \"" +
                     std::string(DocumentedTypeName(*inner)) + "\"");
  }
  return inner;
}

absl::StatusOr<ValueType> Checker::CheckAggregate(Aggregate& a) {
  if (absl::Status s = ExpectType(*a.expr, ValueType::kVector, "aggregation expression"); !s.ok()) {
    return s;
  }
  if (a.param != nullptr) {
    const ValueType want =
        a.op == AggregateOp::kCountValues ? ValueType::kString : ValueType::kScalar;
    if (absl::Status s = ExpectType(*a.param, want, "aggregation parameter"); !s.ok()) return s;
  }
  return ValueType::kVector;
}

size_t Checker::OperatorPos(const Binary& b) const {
  size_t pos = b.lhs->pos.end;
  while (pos < input_.size() && (input_[pos] == ' ' || input_[pos] == '\t' || input_[pos] == '\n' ||
                                 input_[pos] == '\r')) {
    ++pos;
  }
  return pos;
}

absl::StatusOr<ValueType> Checker::CheckBinary(Binary& b) {
  absl::StatusOr<ValueType> lt = Check(*b.lhs);
  if (!lt.ok()) return lt;
  absl::StatusOr<ValueType> rt = Check(*b.rhs);
  if (!rt.ok()) return rt;
  if (absl::Status s = CheckBinaryOperands(b, *lt, *rt); !s.ok()) return s;
  // As Binary::Type(), without walking the operands again.
  return *lt == ValueType::kScalar && *rt == ValueType::kScalar ? ValueType::kScalar
                                                                : ValueType::kVector;
}

absl::Status Checker::CheckBinaryOperands(Binary& b, ValueType lt, ValueType rt) const {
  const std::string op_name = Quote(BinaryOpString(b.op));
  if (b.return_bool && !IsComparisonOp(b.op)) {
    return Error(OperatorPos(b), "bool modifier can only be used on comparison operators");
  }
  if (IsComparisonOp(b.op) && !b.return_bool && lt == ValueType::kScalar &&
      rt == ValueType::kScalar) {
    return Error(OperatorPos(b), "comparisons between scalars must use BOOL modifier");
  }
  using Card = VectorMatching::Cardinality;
  if (b.matching.has_value()) {
    VectorMatching& vm = *b.matching;
    if (IsSetOp(b.op) && vm.card == Card::kOneToOne) vm.card = Card::kManyToMany;
    if (vm.on) {
      for (const std::string& label : vm.matching_labels) {
        if (std::find(vm.include.begin(), vm.include.end(), label) != vm.include.end()) {
          return Error(OperatorPos(b),
                       "label " + Quote(label) + " must not occur in ON and GROUP clause at once");
        }
      }
    }
  }
  if (lt != ValueType::kScalar && lt != ValueType::kVector) {
    return Error(b.lhs->pos.start,
                 "binary expression must contain only scalar and instant vector types");
  }
  if (rt != ValueType::kScalar && rt != ValueType::kVector) {
    return Error(b.rhs->pos.start,
                 "binary expression must contain only scalar and instant vector types");
  }
  if (lt != ValueType::kVector || rt != ValueType::kVector) {
    if (b.matching.has_value() && !b.matching->matching_labels.empty()) {
      return Error(b.pos.start, "vector matching only allowed between instant vectors");
    }
    b.matching.reset();  // scalar operands: no matching
  } else if (IsSetOp(b.op) && b.matching.has_value()) {
    const Card card = b.matching->card;
    if (card == Card::kOneToMany || card == Card::kManyToOne) {
      return Error(b.pos.start, "no grouping allowed for " + op_name + " operation");
    }
    if (card != Card::kManyToMany) {
      return Error(b.pos.start, "set operations must always be many-to-many");
    }
  }
  if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(b.op)) {
    return Error(b.pos.start,
                 "set operator " + op_name + " not allowed in binary scalar expression");
  }
  return absl::OkStatus();
}

absl::Status Checker::CheckArgumentCount(const Call& call) const {
  const Function& f = *call.func;
  const size_t got = call.args.size();
  const std::string name = Quote(f.name);
  if (f.variadic == 0) {
    if (got != f.num_arg_types) {
      return Error(call.pos.start, "expected " + std::to_string(f.num_arg_types) +
                                       " argument(s) in call to " + name + ", got " +
                                       std::to_string(got));
    }
  } else if (got < f.min_args()) {
    return Error(call.pos.start, "expected at least " + std::to_string(f.min_args()) +
                                     " argument(s) in call to " + name + ", got " +
                                     std::to_string(got));
  } else if (got > f.max_args()) {
    return Error(call.pos.start, "expected at most " + std::to_string(f.max_args()) +
                                     " argument(s) in call to " + name + ", got " +
                                     std::to_string(got));
  }
  return absl::OkStatus();
}

absl::StatusOr<ValueType> Checker::CheckCall(Call& call) {
  if (absl::Status s = CheckArgumentCount(call); !s.ok()) return s;
  const Function& f = *call.func;
  for (size_t i = 0; i < call.args.size(); ++i) {
    // Extra arguments of a variadic function take the type of the last listed one.
    const ValueType want = f.arg_type_storage[i < f.num_arg_types ? i : f.num_arg_types - 1];
    absl::StatusOr<ValueType> type = Check(*call.args[i]);
    if (!type.ok()) return type;
    if (*type != want) {
      return TypeError(*call.args[i], want, *type, "call to function " + Quote(f.name));
    }
  }
  return f.return_type;
}

absl::Status Checker::CheckVectorSelector(const VectorSelector& vs) const {
  if (!vs.name.empty()) {
    // The first matcher is the one for the name; any other __name__ matcher sets it again.
    for (size_t i = 1; i < vs.matchers.size(); ++i) {
      if (vs.matchers[i].name() == common::kMetricNameLabel) {
        return Error(vs.pos.start, "metric name must not be set twice: " + Quote(vs.name) + " or " +
                                       Quote(vs.matchers[i].value()));
      }
    }
    return absl::OkStatus();  // the name itself is a non-empty matcher
  }
  for (const LabelMatcher& m : vs.matchers) {
    if (!m.MatchesEmpty()) return absl::OkStatus();
  }
  return Error(vs.pos.start, "vector selector must contain at least one non-empty matcher");
}

}  // namespace

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  // Largest first; a duration lists units in this order, each at most once.
  static constexpr Unit kUnits[] = {
      {"y", 365LL * 24 * 3600 * 1000},
      {"w", 7LL * 24 * 3600 * 1000},
      {"d", 24LL * 3600 * 1000},
      {"h", 3600LL * 1000},
      {"m", 60LL * 1000},
      {"s", 1000},
      {"ms", 1},
  };
  const std::string invalid = "not a valid duration string: " + GoQuote(text);
  if (text == "0") return 0;
  if (text.empty()) return absl::InvalidArgumentError("empty duration string");
  int64_t total = 0;
  size_t last_unit = 0;  // index + 1 of the previous unit
  std::string_view rest = text;
  while (!rest.empty()) {
    if (!IsDecimalDigit(rest[0])) return absl::InvalidArgumentError(invalid);
    size_t i = 0;
    uint64_t value = 0;
    bool overflow = false;
    for (; i < rest.size() && IsDecimalDigit(rest[i]); ++i) {
      if (value > (UINT64_MAX - 9) / 10) overflow = true;
      value = value * 10 + static_cast<uint64_t>(rest[i] - '0');
    }
    if (overflow) return absl::InvalidArgumentError(invalid);
    rest.remove_prefix(i);
    for (i = 0; i < rest.size() && !IsDecimalDigit(rest[i]); ++i) {
    }
    if (i == 0) return absl::InvalidArgumentError(invalid);
    const std::string_view unit_name = rest.substr(0, i);
    rest.remove_prefix(i);
    size_t unit = 0;
    while (unit < std::size(kUnits) && kUnits[unit].name != unit_name) ++unit;
    if (unit == std::size(kUnits)) {
      return absl::InvalidArgumentError("unknown unit " + GoQuote(unit_name) + " in duration " +
                                        GoQuote(text));
    }
    if (unit + 1 <= last_unit) return absl::InvalidArgumentError(invalid);
    last_unit = unit + 1;
    const auto mult = static_cast<uint64_t>(kUnits[unit].ms);
    if (value > static_cast<uint64_t>(kMaxDurationMs) / mult) {
      return absl::InvalidArgumentError("duration out of range");
    }
    total += static_cast<int64_t>(value * mult);
    if (total > kMaxDurationMs) return absl::InvalidArgumentError("duration out of range");
  }
  return total;
}

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input) {
  Parser parser(input);
  absl::StatusOr<ExprPtr> expr = parser.Parse();
  if (!expr.ok()) return expr;
  Checker checker(input);
  if (absl::StatusOr<ValueType> type = checker.Check(**expr); !type.ok()) return type.status();
  return expr;
}

}  // namespace strata::collector::promql

#include "collector/api/ast_json.h"

#include <string_view>
#include <vector>

#include "collector/api/response.h"
#include "collector/query/promql/functions.h"

namespace strata::collector::api {
namespace {

using promql::AtModifier;

std::string_view MatchOpString(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual:
      return "=";
    case MatchOp::kNotEqual:
      return "!=";
    case MatchOp::kRegexMatch:
      return "=~";
    case MatchOp::kRegexNoMatch:
      return "!~";
  }
  return "=";
}

std::string_view CardinalityString(promql::VectorMatching::Cardinality card) {
  using Card = promql::VectorMatching::Cardinality;
  switch (card) {
    case Card::kOneToOne:
      return "one-to-one";
    case Card::kManyToOne:
      return "many-to-one";
    case Card::kOneToMany:
      return "one-to-many";
    case Card::kManyToMany:
      return "many-to-many";
  }
  return "one-to-one";
}

void AppendMatcher(std::string& out, const LabelMatcher& m) {
  out.append("{\"name\":");
  AppendJsonString(out, m.name());
  out.append(",\"type\":");
  AppendJsonString(out, MatchOpString(m.op()));
  out.append(",\"value\":");
  AppendJsonString(out, m.value());
  out.push_back('}');
}

// The matchers as Prometheus orders them: those in braces as written, then the metric-name
// matcher of a name written before the braces (which our parser stores first).
void AppendMatchers(std::string& out, const promql::VectorSelector& vs) {
  std::vector<const LabelMatcher*> ordered;
  const size_t skip = vs.name.empty() ? 0 : 1;
  for (size_t i = skip; i < vs.matchers.size(); ++i) ordered.push_back(&vs.matchers[i]);
  if (skip == 1 && !vs.matchers.empty()) ordered.push_back(&vs.matchers[0]);
  out.push_back('[');
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendMatcher(out, *ordered[i]);
  }
  out.push_back(']');
}

// "startOrEnd":...,"timestamp":... (adjacent in alphabetical order wherever they appear).
void AppendAt(std::string& out, const AtModifier& at) {
  out.append("\"startOrEnd\":");
  switch (at.kind) {
    case AtModifier::Kind::kStart:
      out.append("\"start\"");
      break;
    case AtModifier::Kind::kEnd:
      out.append("\"end\"");
      break;
    case AtModifier::Kind::kNone:
    case AtModifier::Kind::kTimestamp:
      out.append("null");
      break;
  }
  out.append(",\"timestamp\":");
  if (at.kind == AtModifier::Kind::kTimestamp) {
    out.append(std::to_string(at.timestamp_ms));
  } else {
    out.append("null");
  }
}

void AppendNode(std::string& out, const promql::Expr* expr);

void AppendFunction(std::string& out, const promql::Function& f) {
  out.append("{\"argTypes\":[");
  const auto types = f.arg_types();
  for (size_t i = 0; i < types.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, promql::ValueTypeName(types[i]));
  }
  out.append("],\"name\":");
  AppendJsonString(out, f.name);
  out.append(",\"returnType\":");
  AppendJsonString(out, promql::ValueTypeName(f.return_type));
  out.append(",\"variadic\":").append(std::to_string(f.variadic)).push_back('}');
}

void AppendNode(std::string& out, const promql::Expr* expr) {
  if (expr == nullptr) {
    out.append("null");
    return;
  }
  switch (expr->kind) {
    case promql::ExprKind::kNumberLiteral:
      out.append("{\"type\":\"numberLiteral\",\"val\":");
      AppendJsonString(out, promql::FormatNumber(expr->As<promql::NumberLiteral>().value));
      out.push_back('}');
      return;
    case promql::ExprKind::kStringLiteral:
      out.append("{\"type\":\"stringLiteral\",\"val\":");
      AppendJsonString(out, expr->As<promql::StringLiteral>().value);
      out.push_back('}');
      return;
    case promql::ExprKind::kVectorSelector: {
      const auto& vs = expr->As<promql::VectorSelector>();
      out.append("{\"matchers\":");
      AppendMatchers(out, vs);
      out.append(",\"name\":");
      AppendJsonString(out, vs.name);
      out.append(",\"offset\":").append(std::to_string(vs.offset_ms)).push_back(',');
      AppendAt(out, vs.at);
      out.append(",\"type\":\"vectorSelector\"}");
      return;
    }
    case promql::ExprKind::kMatrixSelector: {
      const auto& ms = expr->As<promql::MatrixSelector>();
      const promql::VectorSelector& vs = *ms.selector;
      out.append("{\"matchers\":");
      AppendMatchers(out, vs);
      out.append(",\"name\":");
      AppendJsonString(out, vs.name);
      out.append(",\"offset\":").append(std::to_string(vs.offset_ms));
      out.append(",\"range\":").append(std::to_string(ms.range_ms)).push_back(',');
      AppendAt(out, vs.at);
      out.append(",\"type\":\"matrixSelector\"}");
      return;
    }
    case promql::ExprKind::kSubquery: {
      const auto& sq = expr->As<promql::Subquery>();
      out.append("{\"expr\":");
      AppendNode(out, sq.expr.get());
      out.append(",\"offset\":").append(std::to_string(sq.offset_ms));
      out.append(",\"range\":").append(std::to_string(sq.range_ms)).push_back(',');
      // "startOrEnd" sorts before "step", "timestamp" after it.
      std::string at;
      AppendAt(at, sq.at);
      const size_t comma = at.find(",\"timestamp\"");
      out.append(at, 0, comma);
      out.append(",\"step\":").append(std::to_string(sq.step_ms));
      out.append(at, comma, std::string::npos);
      out.append(",\"type\":\"subquery\"}");
      return;
    }
    case promql::ExprKind::kParen:
      out.append("{\"expr\":");
      AppendNode(out, expr->As<promql::Paren>().expr.get());
      out.append(",\"type\":\"parenExpr\"}");
      return;
    case promql::ExprKind::kUnary: {
      const auto& u = expr->As<promql::Unary>();
      out.append("{\"expr\":");
      AppendNode(out, u.expr.get());
      out.append(u.op == promql::UnaryOp::kMinus ? ",\"op\":\"-\"" : ",\"op\":\"+\"");
      out.append(",\"type\":\"unaryExpr\"}");
      return;
    }
    case promql::ExprKind::kBinary: {
      const auto& b = expr->As<promql::Binary>();
      out.append("{\"bool\":").append(b.return_bool ? "true" : "false");
      out.append(",\"lhs\":");
      AppendNode(out, b.lhs.get());
      out.append(",\"matching\":");
      if (b.matching.has_value()) {
        out.append("{\"card\":");
        AppendJsonString(out, CardinalityString(b.matching->card));
        out.append(",\"include\":").append(JsonStringArray(b.matching->include));
        out.append(",\"labels\":").append(JsonStringArray(b.matching->matching_labels));
        out.append(",\"on\":").append(b.matching->on ? "true" : "false").push_back('}');
      } else {
        out.append("null");
      }
      out.append(",\"op\":");
      AppendJsonString(out, promql::BinaryOpString(b.op));
      out.append(",\"rhs\":");
      AppendNode(out, b.rhs.get());
      out.append(",\"type\":\"binaryExpr\"}");
      return;
    }
    case promql::ExprKind::kAggregate: {
      const auto& a = expr->As<promql::Aggregate>();
      out.append("{\"expr\":");
      AppendNode(out, a.expr.get());
      out.append(",\"grouping\":").append(JsonStringArray(a.grouping));
      out.append(",\"op\":");
      AppendJsonString(out, promql::AggregateOpString(a.op));
      out.append(",\"param\":");
      AppendNode(out, a.param.get());
      out.append(",\"type\":\"aggregation\",\"without\":").append(a.without ? "true" : "false");
      out.push_back('}');
      return;
    }
    case promql::ExprKind::kCall: {
      const auto& c = expr->As<promql::Call>();
      out.append("{\"args\":[");
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendNode(out, c.args[i].get());
      }
      out.append("],\"func\":");
      AppendFunction(out, *c.func);
      out.append(",\"type\":\"call\"}");
      return;
    }
  }
  out.append("null");
}

}  // namespace

std::string AstJson(const promql::Expr& expr) {
  std::string out;
  AppendNode(out, &expr);
  return out;
}

}  // namespace strata::collector::api

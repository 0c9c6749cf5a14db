#include "collector/query/promql/label_functions.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/query/promql/eval_helpers.h"
#include "collector/query/promql/regex_error.h"

namespace strata::collector::promql {
namespace {

// Prometheus 3 accepts any non-empty valid UTF-8 string as a label name.
bool ValidUtf8LabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Go's regexp.Expand: $1, ${1}, $name, ${name}, $$.
std::string Expand(const RE2& re, std::string_view templ,
                   std::span<const std::string_view> groups) {
  std::string out;
  const std::map<std::string, int>& names = re.NamedCapturingGroups();
  while (!templ.empty()) {
    const size_t dollar = templ.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(templ.substr(0, dollar));
    templ.remove_prefix(dollar + 1);
    if (!templ.empty() && templ[0] == '$') {
      out.push_back('$');
      templ.remove_prefix(1);
      continue;
    }
    std::string_view s = templ;
    const bool brace = !s.empty() && s[0] == '{';
    if (brace) s.remove_prefix(1);
    size_t i = 0;
    while (i < s.size() && IsNameChar(s[i])) ++i;
    if (i == 0 || (brace && (i >= s.size() || s[i] != '}'))) {
      out.push_back('$');  // malformed: literal
      continue;
    }
    const std::string_view name = s.substr(0, i);
    templ = s.substr(brace ? i + 1 : i);
    int64_t num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name[0] == '0' && name.size() > 1) num = -1;
    if (num < 0) {
      auto it = names.find(std::string(name));
      if (it != names.end()) num = it->second;
    }
    if (num >= 0 && static_cast<size_t>(num) < groups.size()) out.append(groups[num]);
  }
  out.append(templ);
  return out;
}

// Natural order: runs of digits compare as numbers.
int NaturalCompare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      std::string_view na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size() ? -1 : 1;
      if (na != nb) return na < nb ? -1 : 1;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

}  // namespace

Vector LabelReplace(Vector vector, const std::string& dst, const std::string& replacement,
                    const std::string& src, const std::string& regex) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);
  const RE2 re("^(?:" + regex + ")$", options);
  if (!re.ok()) {
    ThrowExecution("invalid regular expression in label_replace(): " + GoRegexError(re));
  }
  if (!ValidUtf8LabelName(dst)) {
    ThrowExecution("invalid destination label name in label_replace(): " + dst);
  }
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(ngroups));
  std::vector<std::string_view> groups(static_cast<size_t>(ngroups));
  for (VectorElement& e : vector) {
    const std::string value(e.metric.Get(src));
    if (!re.Match(value, 0, value.size(), RE2::UNANCHORED, pieces.data(), ngroups)) continue;
    for (int i = 0; i < ngroups; ++i)
      groups[i] = std::string_view(pieces[i].data(), pieces[i].size());
    const std::string result = Expand(re, replacement, groups);
    e.metric = common::LabelsBuilder(e.metric).Set(dst, result).Build();
  }
  return vector;
}

Vector LabelJoin(Vector vector, const std::string& dst, const std::string& separator,
                 std::span<const std::string> srcs) {
  if (!ValidUtf8LabelName(dst)) {
    ThrowExecution("invalid destination label name in label_join(): " + dst);
  }
  for (const std::string& src : srcs) {
    if (!ValidUtf8LabelName(src)) {
      ThrowExecution("invalid source label name in label_join(): " + src);
    }
  }
  for (VectorElement& e : vector) {
    std::string joined;
    for (size_t i = 0; i < srcs.size(); ++i) {
      if (i > 0) joined.append(separator);
      joined.append(e.metric.Get(srcs[i]));
    }
    e.metric = common::LabelsBuilder(e.metric).Set(dst, joined).Build();
  }
  return vector;
}

Vector SortByLabel(Vector vector, std::span<const std::string> labels, bool descending) {
  std::stable_sort(vector.begin(), vector.end(),
                   [&](const VectorElement& a, const VectorElement& b) {
                     for (const std::string& l : labels) {
                       const int c = NaturalCompare(a.metric.Get(l), b.metric.Get(l));
                       if (c != 0) return descending ? c > 0 : c < 0;
                     }
                     return descending ? b.metric < a.metric : a.metric < b.metric;
                   });
  return vector;
}

}  // namespace strata::collector::promql

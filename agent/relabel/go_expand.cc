#include "agent/relabel/go_expand.h"

#include <map>

namespace strata::agent::relabel {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The group a name refers to: a decimal number without leading zeros (below 1e8, as Go caps
// it), else a named group; -1 when there is none.
int GroupIndex(const RE2& re, std::string_view name) {
  int num = 0;
  bool numeric = true;
  for (char c : name) {
    if (c < '0' || c > '9' || num >= 100000000) {
      numeric = false;
      break;
    }
    num = num * 10 + (c - '0');
  }
  if (name.size() > 1 && name[0] == '0') numeric = false;
  if (numeric) return num;
  const std::map<std::string, int>& named = re.NamedCapturingGroups();
  auto it = named.find(std::string(name));
  return it == named.end() ? -1 : it->second;
}

}  // namespace

void ExpandTemplate(const RE2& re, std::string_view tmpl, std::span<const std::string_view> groups,
                    std::string* out) {
  while (!tmpl.empty()) {
    const size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out->append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    // A name, optionally in braces.
    const bool brace = !tmpl.empty() && tmpl[0] == '{';
    size_t i = brace ? 1 : 0;
    const size_t start = i;
    while (i < tmpl.size() && IsNameChar(tmpl[i])) ++i;
    const std::string_view name = tmpl.substr(start, i - start);
    if (name.empty() || (brace && (i == tmpl.size() || tmpl[i] != '}'))) {
      out->push_back('$');  // malformed: the `$` is text
      continue;
    }
    tmpl.remove_prefix(brace ? i + 1 : i);
    const int index = GroupIndex(re, name);
    if (index >= 0 && static_cast<size_t>(index) < groups.size() &&
        groups[static_cast<size_t>(index)].data() != nullptr) {
      out->append(groups[static_cast<size_t>(index)]);
    }
  }
  out->append(tmpl);
}

}  // namespace strata::agent::relabel

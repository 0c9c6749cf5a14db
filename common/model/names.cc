#include "common/model/names.h"

namespace strata::common {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsAlpha(name[0])) return false;
  for (char c : name) {
    if (!IsAlpha(c) && !IsDigit(c)) return false;
  }
  return true;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsAlpha(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!IsAlpha(c) && !IsDigit(c) && c != ':') return false;
  }
  return true;
}

std::string NormalizeLabelName(std::string_view name) {
  if (IsValidLabelName(name)) return std::string(name);
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || IsDigit(name[0])) out.push_back('_');
  for (char c : name) out.push_back(IsAlpha(c) || IsDigit(c) ? c : '_');
  return out;
}

}  // namespace strata::common

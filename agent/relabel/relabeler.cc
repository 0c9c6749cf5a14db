#include "agent/relabel/relabeler.h"

#include <openssl/evp.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "agent/relabel/go_expand.h"
#include "common/model/names.h"

namespace strata::agent::relabel {

struct Relabeler::Step {
  RelabelConfig config;
  Action action = Action::kReplace;
  std::unique_ptr<RE2> regex;  // ^(?:regex)$
};

namespace {

using common::Label;

auto FindLabel(std::vector<Label>& labels, std::string_view name) {
  return std::lower_bound(labels.begin(), labels.end(), name,
                          [](const auto& l, std::string_view n) { return l.name < n; });
}

std::string_view Get(std::vector<Label>& labels, std::string_view name) {
  auto it = FindLabel(labels, name);
  return it != labels.end() && it->name == name ? std::string_view(it->value) : std::string_view();
}

void Del(std::vector<Label>& labels, std::string_view name) {
  auto it = FindLabel(labels, name);
  if (it != labels.end() && it->name == name) labels.erase(it);
}

// An empty value deletes, as Prometheus' label builder does.
void Set(std::vector<Label>& labels, std::string_view name, std::string_view value) {
  if (value.empty()) {
    Del(labels, name);
    return;
  }
  auto it = FindLabel(labels, name);
  if (it != labels.end() && it->name == name) {
    it->value.assign(value);
  } else {
    labels.insert(it, Label{std::string(name), std::string(value)});
  }
}

// Prometheus' hashmod: the MD5 digest's last 8 bytes, big-endian, modulo `modulus`.
uint64_t HashMod(std::string_view value, uint64_t modulus) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(value.data(), value.size(), digest, &length, EVP_md5(), nullptr);
  uint64_t sum = 0;
  for (unsigned int i = 8; i < 16 && i < length; ++i) sum = (sum << 8) | digest[i];
  return sum % modulus;
}

std::string ChangeCase(std::string_view v, bool upper) {
  std::string out(v);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(upper ? std::toupper(u) : std::tolower(u));
  }
  return out;
}

// Matches `text` against the whole regex; on success fills `groups` (whole match first).
bool MatchGroups(const RE2& re, std::string_view text, std::vector<std::string_view>* groups) {
  const int n = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(n));
  if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::ANCHOR_BOTH,
                pieces.data(), n)) {
    return false;
  }
  groups->clear();
  for (const re2::StringPiece& p : pieces) groups->emplace_back(p.data(), p.size());
  return true;
}

}  // namespace

Relabeler::Relabeler() = default;
Relabeler::~Relabeler() = default;
Relabeler::Relabeler(Relabeler&&) noexcept = default;
Relabeler& Relabeler::operator=(Relabeler&&) noexcept = default;

absl::StatusOr<Relabeler> Relabeler::Create(const std::vector<RelabelConfig>& configs) {
  Relabeler out;
  for (size_t i = 0; i < configs.size(); ++i) {
    const std::string invalid = ValidateRelabelConfig(configs[i]);
    if (!invalid.empty()) {
      return absl::InvalidArgumentError("relabel step " + std::to_string(i) + ": " + invalid);
    }
    auto step = std::make_unique<Step>();
    step->config = configs[i];
    step->action = *ParseAction(configs[i].action);
    step->regex = std::make_unique<RE2>("^(?:" + configs[i].regex + ")$");
    out.steps_.push_back(std::move(step));
  }
  return out;
}

bool Relabeler::Apply(const common::Labels& in, common::Labels* out) const {
  std::vector<Label> labels = in.ToVector();
  if (!Apply(&labels)) return false;
  *out = common::Labels::FromUnsorted(std::move(labels));
  return true;
}

bool Relabeler::Apply(std::vector<Label>* labels_ptr) const {
  std::vector<Label>& labels = *labels_ptr;
  std::string value;
  std::vector<std::string_view> groups;
  for (const std::unique_ptr<Step>& step : steps_) {
    const RelabelConfig& c = step->config;
    const RE2& re = *step->regex;
    value.clear();
    for (size_t i = 0; i < c.source_labels.size(); ++i) {
      if (i > 0) value.append(c.separator);
      value.append(Get(labels, c.source_labels[i]));
    }
    switch (step->action) {
      case Action::kDrop:
        if (RE2::FullMatch(value, re)) return false;
        break;
      case Action::kKeep:
        if (!RE2::FullMatch(value, re)) return false;
        break;
      case Action::kDropEqual:
        if (Get(labels, c.target_label) == value) return false;
        break;
      case Action::kKeepEqual:
        if (Get(labels, c.target_label) != value) return false;
        break;
      case Action::kReplace: {
        if (!MatchGroups(re, value, &groups)) break;
        std::string target;
        ExpandTemplate(re, c.target_label, groups, &target);
        if (!common::IsValidLabelName(target)) {
          Del(labels, c.target_label);
          break;
        }
        std::string replaced;
        ExpandTemplate(re, c.replacement, groups, &replaced);
        if (replaced.empty()) {
          Del(labels, target);
          break;
        }
        Set(labels, target, replaced);
        break;
      }
      case Action::kLowercase:
        Set(labels, c.target_label, ChangeCase(value, false));
        break;
      case Action::kUppercase:
        Set(labels, c.target_label, ChangeCase(value, true));
        break;
      case Action::kHashMod:
        Set(labels, c.target_label,
            std::to_string(HashMod(value, static_cast<uint64_t>(c.modulus))));
        break;
      case Action::kLabelMap: {
        // Over the labels as this step found them; new names are written as they are found.
        const std::vector<Label> before = labels;
        for (const auto& l : before) {
          if (!MatchGroups(re, l.name, &groups)) continue;
          std::string name;
          ExpandTemplate(re, c.replacement, groups, &name);
          Set(labels, name, l.value);
        }
        break;
      }
      case Action::kLabelDrop:
        labels.erase(std::remove_if(labels.begin(), labels.end(),
                                    [&](const auto& l) { return RE2::FullMatch(l.name, re); }),
                     labels.end());
        break;
      case Action::kLabelKeep:
        labels.erase(std::remove_if(labels.begin(), labels.end(),
                                    [&](const auto& l) { return !RE2::FullMatch(l.name, re); }),
                     labels.end());
        break;
    }
  }
  return true;
}

}  // namespace strata::agent::relabel

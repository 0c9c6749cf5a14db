#include "agent/discovery/json_subset.h"

#include <utility>

namespace strata::agent::discovery {

JsonPathSet::JsonPathSet(std::initializer_list<std::string_view> paths) : nodes_(1) {
  for (std::string_view path : paths) {
    int node = kRoot;
    auto descend = [&](std::string_view segment) {
      auto it = nodes_[node].children.find(segment);
      if (it != nodes_[node].children.end()) {
        node = it->second;
        return;
      }
      const int child = static_cast<int>(nodes_.size());
      nodes_[node].children.emplace(std::string(segment), child);
      nodes_.emplace_back();
      node = child;
    };
    size_t start = 0;
    while (start <= path.size()) {
      size_t dot = path.find('.', start);
      if (dot == std::string_view::npos) dot = path.size();
      std::string_view part = path.substr(start, dot - start);
      const size_t bracket = part.find("[]");
      const std::string_view name = part.substr(0, bracket);
      if (!name.empty()) descend(name);
      for (size_t b = bracket; b != std::string_view::npos; b = part.find("[]", b + 2)) {
        descend("[]");
      }
      start = dot + 1;
    }
  }
}

int JsonPathSet::Child(int node, std::string_view segment) const {
  auto it = nodes_[node].children.find(segment);
  return it == nodes_[node].children.end() ? kNone : it->second;
}

int JsonPathSet::Key(int node, std::string_view key) const {
  if (node == kNone) return kNone;
  if (key != "[]") {
    if (int child = Child(node, key); child != kNone) return child;
  }
  return Child(node, "*");
}

int JsonPathSet::Element(int node) const { return node == kNone ? kNone : Child(node, "[]"); }

namespace {

using Json = nlohmann::json;

// Builds the kept part of the document from the parser's events. Skipped containers are followed
// only by their depth (skip_depth_), so they cost nothing but the parser's own state.
class SubsetBuilder final : public nlohmann::json_sax<Json> {
 public:
  SubsetBuilder(const JsonPathSet& keep, const JsonSubsetLimits& limits)
      : keep_(keep), limits_(limits) {}

  bool null() override { return Scalar(Json(nullptr)); }
  bool boolean(bool v) override { return Scalar(Json(v)); }
  bool number_integer(number_integer_t v) override { return Scalar(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Scalar(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Scalar(Json(v)); }
  bool string(string_t& v) override {
    if (skip_depth_ > 0) return true;  // no copy of skipped strings
    return Scalar(Json(std::move(v)));
  }
  bool binary(binary_t&) override { return Scalar(Json(nullptr)); }  // not produced by JSON text
  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool start_array(std::size_t) override { return Open(Json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    if (skip_depth_ == 0) key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error_ = absl::InvalidArgumentError("not valid JSON at byte " + std::to_string(position) +
                                        ": " + e.what());
    return false;
  }

  absl::Status error() const { return error_; }
  Json& root() { return root_; }

 private:
  struct Frame {
    Json* value;  // an object or array being filled
    int node;
  };

  // The path node of the value about to be read (kNone: skip it).
  int NextNode() const {
    if (stack_.empty()) return JsonPathSet::kRoot;
    const Frame& top = stack_.back();
    return top.value->is_array() ? keep_.Element(top.node) : keep_.Key(top.node, key_);
  }

  // Puts `v` where the next value goes; returns where it now lives. Pointers stay valid while the
  // value is open: only the innermost open container ever grows.
  Json* Insert(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& parent = *stack_.back().value;
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    Json& slot = parent[key_];
    slot = std::move(v);
    return &slot;
  }

  bool Count() {
    if (++values_ <= limits_.max_values) return true;
    error_ = absl::ResourceExhaustedError("more than " + std::to_string(limits_.max_values) +
                                          " values to keep");
    return false;
  }

  bool Scalar(Json v) {
    if (skip_depth_ > 0 || NextNode() == JsonPathSet::kNone) return true;
    if (!Count()) return false;
    Insert(std::move(v));
    return true;
  }

  bool Open(Json empty) {
    if (stack_.size() + skip_depth_ >= limits_.max_depth) {
      error_ = absl::InvalidArgumentError("JSON nested deeper than " +
                                          std::to_string(limits_.max_depth) + " levels");
      return false;
    }
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    const int node = NextNode();
    if (node == JsonPathSet::kNone) {
      skip_depth_ = 1;
      return true;
    }
    if (!Count()) return false;
    Json* value = Insert(std::move(empty));
    if (keep_.IsLeaf(node)) {
      skip_depth_ = 1;  // kept empty: the caller wanted a scalar here
      return true;
    }
    stack_.push_back({value, node});
    return true;
  }

  bool Close() {
    if (skip_depth_ > 0) {
      --skip_depth_;
    } else if (!stack_.empty()) {
      stack_.pop_back();
    }
    return true;
  }

  const JsonPathSet& keep_;
  const JsonSubsetLimits limits_;
  Json root_;
  std::vector<Frame> stack_;
  size_t skip_depth_ = 0;
  size_t values_ = 0;
  std::string key_;
  absl::Status error_;
};

}  // namespace

absl::StatusOr<nlohmann::json> ParseJsonSubset(std::string_view text, const JsonPathSet& keep,
                                               const JsonSubsetLimits& limits) {
  SubsetBuilder builder(keep, limits);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.data(), text.data() + text.size(), &builder);
  } catch (const std::exception& e) {  // the parser reports through parse_error; be safe anyway
    return absl::InvalidArgumentError(std::string("not valid JSON: ") + e.what());
  }
  if (!builder.error().ok()) return builder.error();
  if (!ok) return absl::InvalidArgumentError("not valid JSON");
  return std::move(builder.root());
}

}  // namespace strata::agent::discovery

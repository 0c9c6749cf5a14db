#pragma once

// Parses JSON from an untrusted peer keeping only the values a caller reads, with bounded memory.
//
// A full DOM of a large response costs several times its size (a value per scalar, a node per
// key), and most of a Kubernetes object (managedFields, volumes, env, probes) is never read. The
// parser here streams the text (nlohmann's SAX interface) and builds a DOM of only the values
// whose path is listed in a JsonPathSet, so memory follows what is kept, not what was sent.
//
// Paths are keys joined by '.', with "[]" for the elements of an array and "*" for any key of an
// object: "items[].metadata.labels.*" keeps every label of every item. A value is kept when its
// path is a listed path or a prefix of one (the containers on the way); anything else is skipped
// as it is read. A value at the end of a listed path is expected to be a scalar: when it is an
// object or an array it is kept empty (its contents skipped), so the caller still sees the wrong
// type. Limits: nesting deeper than max_depth (counted over skipped values too) and more than
// max_values kept values fail the parse. Not valid JSON fails the parse. Never throws.

#include <cstddef>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::agent::discovery {

class JsonPathSet {
 public:
  JsonPathSet(std::initializer_list<std::string_view> paths);

  static constexpr int kRoot = 0;
  static constexpr int kNone = -1;
  // The node reached from `node` through an object key (an exact key first, then "*"), or kNone.
  int Key(int node, std::string_view key) const;
  // The node of the elements of an array at `node`, or kNone.
  int Element(int node) const;
  // True when no listed path continues below `node`.
  bool IsLeaf(int node) const { return nodes_[node].children.empty(); }

 private:
  struct Node {
    std::map<std::string, int, std::less<>> children;  // key, "*" or "[]" -> node index
  };
  int Child(int node, std::string_view segment) const;
  std::vector<Node> nodes_;
};

struct JsonSubsetLimits {
  size_t max_depth = 64;
  size_t max_values = 1 << 20;
};

// The kept values of `text` (the root is always kept); InvalidArgument for text that is not JSON
// or nests too deep, ResourceExhausted for more kept values than the limit.
absl::StatusOr<nlohmann::json> ParseJsonSubset(std::string_view text, const JsonPathSet& keep,
                                               const JsonSubsetLimits& limits = {});

}  // namespace strata::agent::discovery

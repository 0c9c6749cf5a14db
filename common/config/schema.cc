#include "common/config/schema.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace strata::common {

absl::Status ConfigError(const std::string& file, const YAML::Node& node, const std::string& path,
                         const std::string& message) {
  // Built with append() rather than operator+ chains: GCC 12 at -O3 reports a false
  // -Werror=restrict on the temporaries of `where += ":" + std::to_string(...)`.
  std::string text = file;
  if (node) {
    YAML::Mark m = node.Mark();
    if (m.line >= 0) {
      text.append(":").append(std::to_string(m.line + 1));
      text.append(":").append(std::to_string(m.column + 1));
    }
  }
  text.append(": key \"").append(path).append("\": ").append(message);
  return absl::InvalidArgumentError(text);
}

std::string JoinPath(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "." + name;
}

std::string QuoteYaml(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

bool ParseConfigInt(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseConfigDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(*out);
}

std::string FormatConfigDouble(double v) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

absl::Status LoadYamlFile(const std::string& path, YAML::Node* out) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(path + ": cannot open config file");
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    *out = YAML::Load(buf.str());
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                      std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return absl::OkStatus();
}

}  // namespace strata::common

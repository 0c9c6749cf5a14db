#pragma once

// Declarative config tables. Each component declares its options once in a Schema<T> (name, type,
// doc, bounds), binding them to members of its options struct whose default member initializers
// are the defaults. The same table drives YAML decoding, validation, and the reference text
// printed by `--print-config-reference`.
//
// Decoding is strict: an unknown key, a wrong type or a value out of bounds is an error that names
// the file, line, column and the dotted key path, e.g.
//   /etc/strata/agent.yaml:7:3: key "scrape.targets[0].interval": expected a duration like 15s
// Keys absent from the YAML keep their defaults.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/config/duration.h"

namespace strata::common {

// Builds "file:line:col: key "path": message".
absl::Status ConfigError(const std::string& file, const YAML::Node& node, const std::string& path,
                         const std::string& message);
std::string JoinPath(const std::string& parent, const std::string& name);
std::string QuoteYaml(const std::string& s);

template <typename T>
class Schema {
 public:
  using Decoder = std::function<absl::Status(const YAML::Node&, const std::string& file,
                                             const std::string&, T*)>;
  using Describer = std::function<void(const T&, int indent, std::string*)>;

  Schema& String(std::string name, std::string T::*field, std::string doc) {
    return Add(
        name, doc,
        [field](const YAML::Node& n, const std::string& file, const std::string& path, T* out) {
          if (!n.IsScalar()) return ConfigError(file, n, path, "expected a string");
          out->*field = n.Scalar();
          return absl::OkStatus();
        },
        [field](const T& d) { return QuoteYaml(d.*field); });
  }

  Schema& Int(std::string name, int64_t T::*field, std::string doc,
              int64_t min = std::numeric_limits<int64_t>::min(),
              int64_t max = std::numeric_limits<int64_t>::max()) {
    return Add(
        name, doc,
        [field, min, max](const YAML::Node& n, const std::string& file, const std::string& path,
                          T* out) {
          int64_t v = 0;
          if (!n.IsScalar() || !ParseInt(n.Scalar(), &v)) {
            return ConfigError(file, n, path, "expected an integer");
          }
          if (v < min || v > max) {
            return ConfigError(
                file, n, path,
                "must be between " + std::to_string(min) + " and " + std::to_string(max));
          }
          out->*field = v;
          return absl::OkStatus();
        },
        [field](const T& d) { return std::to_string(d.*field); });
  }

  Schema& Double(std::string name, double T::*field, std::string doc) {
    return Add(
        name, doc,
        [field](const YAML::Node& n, const std::string& file, const std::string& path, T* out) {
          double v = 0;
          if (!n.IsScalar() || !ParseDouble(n.Scalar(), &v)) {
            return ConfigError(file, n, path, "expected a number");
          }
          out->*field = v;
          return absl::OkStatus();
        },
        [field](const T& d) { return FormatDouble(d.*field); });
  }

  Schema& Bool(std::string name, bool T::*field, std::string doc) {
    return Add(
        name, doc,
        [field](const YAML::Node& n, const std::string& file, const std::string& path, T* out) {
          if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
            return ConfigError(file, n, path, "expected true or false");
          }
          out->*field = n.Scalar() == "true";
          return absl::OkStatus();
        },
        [field](const T& d) { return std::string(d.*field ? "true" : "false"); });
  }

  // A duration such as 15s or 1h30m, stored in milliseconds.
  Schema& DurationMs(std::string name, int64_t T::*field, std::string doc, int64_t min_ms = 0) {
    return Add(
        name, doc,
        [field, min_ms](const YAML::Node& n, const std::string& file, const std::string& path,
                        T* out) {
          int64_t v = 0;
          if (!n.IsScalar() || !ParseDurationMs(n.Scalar(), &v)) {
            return ConfigError(file, n, path, "expected a duration like 15s, 500ms or 1h30m");
          }
          if (v < min_ms) {
            return ConfigError(file, n, path, "must be at least " + FormatDurationMs(min_ms));
          }
          out->*field = v;
          return absl::OkStatus();
        },
        [field](const T& d) { return FormatDurationMs(d.*field); });
  }

  Schema& StringList(std::string name, std::vector<std::string> T::*field, std::string doc) {
    return ScalarList<std::string>(
        std::move(name), field, std::move(doc), "string",
        [](const std::string& text, std::string* out) {
          *out = text;
          return true;
        },
        [](const std::string& v) { return QuoteYaml(v); });
  }

  // A list of numbers such as `quantiles: [0.5, 0.99]`.
  Schema& DoubleList(std::string name, std::vector<double> T::*field, std::string doc) {
    return ScalarList<double>(
        std::move(name), field, std::move(doc), "number",
        [](const std::string& text, double* out) { return ParseDouble(text, out); },
        [](double v) { return FormatDouble(v); });
  }

  // A string map such as `labels: {env: prod}`.
  Schema& StringMap(std::string name, std::vector<std::pair<std::string, std::string>> T::*field,
                    std::string doc) {
    return Add(
        name, doc,
        [field](const YAML::Node& n, const std::string& file, const std::string& path, T* out) {
          if (!n.IsMap()) return ConfigError(file, n, path, "expected a map of strings");
          std::vector<std::pair<std::string, std::string>> v;
          for (const auto& kv : n) {
            if (!kv.second.IsScalar()) {
              return ConfigError(file, kv.second, JoinPath(path, kv.first.Scalar()),
                                 "expected a string");
            }
            v.emplace_back(kv.first.Scalar(), kv.second.Scalar());
          }
          out->*field = std::move(v);
          return absl::OkStatus();
        },
        [field](const T& d) {
          std::string s = "{";
          for (size_t i = 0; i < (d.*field).size(); ++i) {
            if (i > 0) s += ", ";
            s += (d.*field)[i].first + ": " + QuoteYaml((d.*field)[i].second);
          }
          return s + "}";
        });
  }

  // A map of string lists such as Prometheus' `params: {module: [http_2xx]}`, kept in YAML order.
  Schema& StringListMap(std::string name,
                        std::vector<std::pair<std::string, std::vector<std::string>>> T::*field,
                        std::string doc) {
    return Add(
        name, doc,
        [field](const YAML::Node& n, const std::string& file, const std::string& path, T* out) {
          if (!n.IsMap()) return ConfigError(file, n, path, "expected a map of string lists");
          std::vector<std::pair<std::string, std::vector<std::string>>> v;
          for (const auto& kv : n) {
            const std::string key = kv.first.Scalar();
            const std::string key_path = JoinPath(path, key);
            if (!kv.second.IsSequence()) {
              return ConfigError(file, kv.second, key_path, "expected a list of strings");
            }
            std::vector<std::string> values;
            for (size_t i = 0; i < kv.second.size(); ++i) {
              if (!kv.second[i].IsScalar()) {
                return ConfigError(file, kv.second[i], key_path + "[" + std::to_string(i) + "]",
                                   "expected a string");
              }
              values.push_back(kv.second[i].Scalar());
            }
            v.emplace_back(key, std::move(values));
          }
          out->*field = std::move(v);
          return absl::OkStatus();
        },
        [field](const T& d) {
          std::string s = "{";
          for (size_t i = 0; i < (d.*field).size(); ++i) {
            if (i > 0) s += ", ";
            s += QuoteYaml((d.*field)[i].first) + ": [";
            const std::vector<std::string>& values = (d.*field)[i].second;
            for (size_t j = 0; j < values.size(); ++j) {
              if (j > 0) s += ", ";
              s += QuoteYaml(values[j]);
            }
            s += "]";
          }
          return s + "}";
        });
  }

  template <typename U>
  Schema& Object(std::string name, U T::*field, const Schema<U>& sub, std::string doc) {
    fields_.push_back(
        Field{name, doc,
              [field, sub](const YAML::Node& n, const std::string& file, const std::string& path,
                           T* out) { return sub.Decode(n, file, path, &(out->*field)); },
              [name, doc, field, sub](const T& d, int indent, std::string* out) {
                AppendDoc(doc, indent, out);
                out->append(indent, ' ').append(name).append(":\n");
                sub.Describe(d.*field, indent + 2, out);
              }});
    return *this;
  }

  template <typename U>
  Schema& ObjectList(std::string name, std::vector<U> T::*field, const Schema<U>& sub,
                     std::string doc) {
    fields_.push_back(Field{name, doc,
                            [field, sub](const YAML::Node& n, const std::string& file,
                                         const std::string& path, T* out) {
                              if (!n.IsSequence())
                                return ConfigError(file, n, path, "expected a list");
                              std::vector<U> v(n.size());
                              for (size_t i = 0; i < n.size(); ++i) {
                                absl::Status s = sub.Decode(
                                    n[i], file, path + "[" + std::to_string(i) + "]", &v[i]);
                                if (!s.ok()) return s;
                              }
                              out->*field = std::move(v);
                              return absl::OkStatus();
                            },
                            [name, doc, field, sub](const T& d, int indent, std::string* out) {
                              AppendDoc(doc, indent, out);
                              out->append(indent, ' ').append(name).append(":");
                              if ((d.*field).empty()) {
                                out->append(" []\n");
                                out->append(indent, ' ').append("# each item:\n");
                                std::string item;
                                sub.Describe(U{}, indent + 2, &item);
                                out->append(Commented(item, indent));
                                return;
                              }
                              out->append("\n");
                              for (const U& u : d.*field) {
                                std::string item;
                                sub.Describe(u, indent + 2, &item);
                                // Turn the first line's indentation into "- ".
                                size_t first = item.find_first_not_of(' ', 0);
                                if (first != std::string::npos && first >= 2) item[first - 2] = '-';
                                out->append(item);
                              }
                            }});
    return *this;
  }

  // A cross-field check run after decoding; returns "" when valid, else the message.
  Schema& Check(std::function<std::string(const T&)> check) {
    checks_.push_back(std::move(check));
    return *this;
  }

  absl::Status Decode(const YAML::Node& node, const std::string& file, const std::string& path,
                      T* out) const {
    if (!node || node.IsNull()) return RunChecks(node, file, path, *out);
    if (!node.IsMap())
      return ConfigError(file, node, path.empty() ? "<top>" : path, "expected a map of settings");
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const Field* f = Find(key);
      if (f == nullptr) {
        return ConfigError(file, kv.first, JoinPath(path, key), "unknown key" + Suggest());
      }
      absl::Status s = f->decode(kv.second, file, JoinPath(path, key), out);
      if (!s.ok()) return s;
    }
    return RunChecks(node, file, path, *out);
  }

  // Appends a commented YAML reference of every option with `defaults`' values.
  void Describe(const T& defaults, int indent, std::string* out) const {
    for (const Field& f : fields_) f.describe(defaults, indent, out);
  }

 private:
  struct Field {
    std::string name;
    std::string doc;
    Decoder decode;
    Describer describe;
  };

  Schema& Add(const std::string& name, const std::string& doc, Decoder decode,
              std::function<std::string(const T&)> render) {
    fields_.push_back(Field{name, doc, std::move(decode),
                            [name, doc, render](const T& d, int indent, std::string* out) {
                              AppendDoc(doc, indent, out);
                              out->append(indent, ' ').append(name).append(": ");
                              out->append(render(d)).push_back('\n');
                            }});
    return *this;
  }

  const Field* Find(const std::string& key) const {
    for (const Field& f : fields_) {
      if (f.name == key) return &f;
    }
    return nullptr;
  }

  std::string Suggest() const {
    std::string s = " (known keys:";
    for (const Field& f : fields_) s += " " + f.name;
    return s + ")";
  }

  absl::Status RunChecks(const YAML::Node& node, const std::string& file, const std::string& path,
                         const T& value) const {
    for (const auto& check : checks_) {
      std::string msg = check(value);
      if (!msg.empty()) return ConfigError(file, node, path.empty() ? "<top>" : path, msg);
    }
    return absl::OkStatus();
  }

  static void AppendDoc(const std::string& doc, int indent, std::string* out) {
    if (doc.empty()) return;
    out->append(indent, ' ').append("# ").append(doc).push_back('\n');
  }
  // A YAML list of scalars, each parsed by `parse` ("expected a <what>" when it fails) and
  // written back by `format`.
  template <typename E, typename Parse, typename Format>
  Schema& ScalarList(std::string name, std::vector<E> T::*field, std::string doc, std::string what,
                     Parse parse, Format format) {
    return Add(
        name, doc,
        [field, what, parse](const YAML::Node& n, const std::string& file, const std::string& path,
                             T* out) {
          if (!n.IsSequence())
            return ConfigError(file, n, path, "expected a list of " + what + "s");
          std::vector<E> v(n.size());
          for (size_t i = 0; i < n.size(); ++i) {
            if (!n[i].IsScalar() || !parse(n[i].Scalar(), &v[i])) {
              return ConfigError(file, n[i], path + "[" + std::to_string(i) + "]",
                                 "expected a " + what);
            }
          }
          out->*field = std::move(v);
          return absl::OkStatus();
        },
        [field, format](const T& d) {
          std::string s = "[";
          for (size_t i = 0; i < (d.*field).size(); ++i) {
            if (i > 0) s += ", ";
            s += format((d.*field)[i]);
          }
          return s + "]";
        });
  }

  static std::string Commented(const std::string& text, int indent) {
    std::string out;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      out.append(indent, ' ').append("#").append(text, start, end - start).push_back('\n');
      start = end + 1;
    }
    return out;
  }

  static bool ParseInt(const std::string& s, int64_t* out);
  static bool ParseDouble(const std::string& s, double* out);
  static std::string FormatDouble(double v);

  std::vector<Field> fields_;
  std::vector<std::function<std::string(const T&)>> checks_;
};

bool ParseConfigInt(const std::string& s, int64_t* out);
bool ParseConfigDouble(const std::string& s, double* out);
std::string FormatConfigDouble(double v);

template <typename T>
bool Schema<T>::ParseInt(const std::string& s, int64_t* out) {
  return ParseConfigInt(s, out);
}
template <typename T>
bool Schema<T>::ParseDouble(const std::string& s, double* out) {
  return ParseConfigDouble(s, out);
}
template <typename T>
std::string Schema<T>::FormatDouble(double v) {
  return FormatConfigDouble(v);
}

// Reads and parses a YAML file. Syntax errors name the file, line and column.
absl::Status LoadYamlFile(const std::string& path, YAML::Node* out);

// Loads `path` (if non-empty) into `out` through `schema`; an empty path keeps the defaults.
template <typename T>
absl::Status LoadConfig(const std::string& path, const Schema<T>& schema, T* out) {
  if (path.empty()) return schema.Decode(YAML::Node(), "<defaults>", "", out);
  YAML::Node root;
  absl::Status s = LoadYamlFile(path, &root);
  if (!s.ok()) return s;
  return schema.Decode(root, path, "", out);
}

}  // namespace strata::common

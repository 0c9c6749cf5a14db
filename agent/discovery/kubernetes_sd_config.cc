#include "agent/discovery/kubernetes_sd_config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "agent/discovery/http_sd.h"
#include "common/net/tls_files.h"

namespace strata::agent::discovery {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A namespace name: an RFC 1123 label (lower-case letters, digits and '-', at most 63).
bool IsNamespaceName(const std::string& s) {
  if (s.empty() || s.size() > 63 || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// A node name: an RFC 1123 subdomain (labels joined by '.', at most 253).
bool IsNodeName(const std::string& s) {
  if (s.empty() || s.size() > 253 || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '-' || c == '.'; });
}

std::string CheckApiServer(const std::string& url) {
  std::string scheme, host, path;
  int port = 0;
  if (!SplitUrl(url, &scheme, &host, &port, &path)) {
    return "api_server \"" + url + "\" is not an http:// or https:// URL";
  }
  if (path.find('?') != std::string::npos) {
    return "api_server \"" + url + "\" must not have a query";
  }
  return "";
}

std::string TrimSpace(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

}  // namespace

const common::Schema<KubernetesSdConfig>& KubernetesSdConfigSchema() {
  static const common::Schema<KubernetesSdConfig> schema = [] {
    common::Schema<KubernetesSdNamespaces> namespaces;
    namespaces
        .Bool("own_namespace", &KubernetesSdNamespaces::own_namespace,
              "also list the agent's own namespace (from the service account's namespace file)")
        .StringList("names", &KubernetesSdNamespaces::names,
                    "namespaces to list; none (and no own_namespace): all namespaces")
        .Check([](const KubernetesSdNamespaces& n) -> std::string {
          for (const std::string& name : n.names) {
            if (!IsNamespaceName(name)) return "\"" + name + "\" is not a namespace name";
          }
          return "";
        });
    common::Schema<KubernetesSdSelector> selector;
    selector.String("role", &KubernetesSdSelector::role, "the role it selects: pod")
        .String("label", &KubernetesSdSelector::label,
                "label selector passed to the API, e.g. \"app=web,tier!=cache\"")
        .String("field", &KubernetesSdSelector::field,
                "field selector passed to the API (after spec.nodeName=<node>), e.g. "
                "\"status.phase=Running\"")
        .Check([](const KubernetesSdSelector& s) -> std::string {
          if (s.role != "pod") return "role \"" + s.role + "\": the pod role takes pod selectors";
          return "";
        });
    common::Schema<KubernetesSdTlsConfig> tls;
    tls.String("ca_file", &KubernetesSdTlsConfig::ca_file,
               "CA bundle for the API server's certificate; empty: the service account's CA "
               "in-cluster, else the system's roots")
        .Bool("insecure_skip_verify", &KubernetesSdTlsConfig::insecure_skip_verify,
              "do not verify the API server's certificate");
    common::Schema<KubernetesSdConfig> s;
    s.String("role", &KubernetesSdConfig::role, "what to discover: pod (the only role supported)")
        .String("api_server", &KubernetesSdConfig::api_server,
                "http(s):// URL of the API server; empty: in-cluster (KUBERNETES_SERVICE_HOST/"
                "PORT, https, the service account's token and CA)")
        .Object("namespaces", &KubernetesSdConfig::namespaces, namespaces,
                "namespaces to list pods in")
        .ObjectList("selectors", &KubernetesSdConfig::selectors, selector,
                    "label and field selectors passed to the API (one, with role: pod)")
        .String("bearer_token_file", &KubernetesSdConfig::bearer_token_file,
                "file with the token sent as Authorization: Bearer, re-read on every request; "
                "empty: the service account's token in-cluster, else none")
        .Object("tls_config", &KubernetesSdConfig::tls_config, tls,
                "TLS settings for an https API server")
        .DurationMs("refresh_interval", &KubernetesSdConfig::refresh_interval_ms,
                    "how often pods are listed (a LIST, not a WATCH: changes show up within this)",
                    1000)
        .String("node", &KubernetesSdConfig::node,
                "Strata: only pods on this node (fieldSelector spec.nodeName); empty: $NODE_NAME, "
                "else the hostname")
        .Check([](const KubernetesSdConfig& c) -> std::string {
          if (c.role.empty()) return "role is required (only pod is supported)";
          if (c.role != "pod") return "role \"" + c.role + "\" is not supported (only pod)";
          if (!c.api_server.empty()) {
            if (std::string e = CheckApiServer(c.api_server); !e.empty()) return e;
          }
          if (c.selectors.size() > 1) return "at most one selector per role (pod)";
          if (!c.node.empty() && !IsNodeName(c.node)) {
            return "node \"" + c.node +
                   "\" is not a node name (lower-case letters, digits, '-', '.')";
          }
          return "";
        });
    return s;
  }();
  return schema;
}

KubernetesEnvironment KubernetesEnvironment::FromProcess() {
  KubernetesEnvironment env;
  auto get = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v == nullptr ? "" : v);
  };
  env.service_host = get("KUBERNETES_SERVICE_HOST");
  env.service_port = get("KUBERNETES_SERVICE_PORT");
  env.node_name = get("NODE_NAME");
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) == 0) env.hostname = buf;
  return env;
}

std::string EscapeQueryValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<KubernetesListRequest> ResolveKubernetesSd(const KubernetesSdConfig& config,
                                                          const KubernetesEnvironment& env) {
  KubernetesListRequest r;
  r.refresh_interval_ms = config.refresh_interval_ms;
  r.insecure_skip_verify = config.tls_config.insecure_skip_verify;
  std::string prefix;
  if (config.api_server.empty()) {
    if (env.service_host.empty() || env.service_port.empty()) {
      return absl::InvalidArgumentError(
          "api_server is not set and KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not in "
          "the environment (not in a pod?): set api_server");
    }
    char* end = nullptr;
    const long port = std::strtol(env.service_port.c_str(), &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) {
      return absl::InvalidArgumentError("KUBERNETES_SERVICE_PORT \"" + env.service_port +
                                        "\" is not a port");
    }
    r.https = true;
    r.host = env.service_host;
    r.port = static_cast<int>(port);
    r.api_server = "https://" + JoinHostPort(r.host, r.port);
    r.bearer_token_file = config.bearer_token_file.empty() ? env.service_account_dir + "/token"
                                                           : config.bearer_token_file;
    r.ca_file = config.tls_config.ca_file.empty() ? env.service_account_dir + "/ca.crt"
                                                  : config.tls_config.ca_file;
  } else {
    std::string scheme, path;
    if (std::string e = CheckApiServer(config.api_server); !e.empty()) {
      return absl::InvalidArgumentError(e);
    }
    SplitUrl(config.api_server, &scheme, &r.host, &r.port, &path);
    r.https = scheme == "https";
    r.api_server = config.api_server;
    while (!path.empty() && path.back() == '/') path.pop_back();
    prefix = path;
    r.bearer_token_file = config.bearer_token_file;
    r.ca_file = config.tls_config.ca_file;
  }

  r.node = config.node;
  if (r.node.empty()) r.node = env.node_name;
  if (r.node.empty()) {
    r.node = env.hostname;
    for (char& c : r.node) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!IsNodeName(r.node)) {
    return absl::InvalidArgumentError("node \"" + r.node +
                                      "\" is not a node name: set node, or NODE_NAME from the "
                                      "downward API (fieldRef: spec.nodeName)");
  }

  std::vector<std::string> namespaces = config.namespaces.names;
  if (config.namespaces.own_namespace) {
    const std::string file = env.service_account_dir + "/namespace";
    absl::StatusOr<std::string> own = common::ReadSmallFile(file);
    if (!own.ok()) {
      return absl::InvalidArgumentError("namespaces.own_namespace: " +
                                        std::string(own.status().message()));
    }
    const std::string name = TrimSpace(*own);
    if (!IsNamespaceName(name)) {
      return absl::InvalidArgumentError("namespaces.own_namespace: " + file + " holds \"" + name +
                                        "\", not a namespace name");
    }
    if (std::find(namespaces.begin(), namespaces.end(), name) == namespaces.end()) {
      namespaces.push_back(name);
    }
  }

  std::string field = "spec.nodeName=" + r.node;
  std::string label;
  for (const KubernetesSdSelector& s : config.selectors) {
    if (!s.field.empty()) field += "," + s.field;
    label = s.label;
  }
  std::string query = "?fieldSelector=" + EscapeQueryValue(field);
  if (!label.empty()) query += "&labelSelector=" + EscapeQueryValue(label);
  query += "&resourceVersion=0";
  if (namespaces.empty()) {
    r.paths.push_back(prefix + "/api/v1/pods" + query);
  } else {
    for (const std::string& ns : namespaces) {
      r.paths.push_back(prefix + "/api/v1/namespaces/" + ns + "/pods" + query);
    }
  }
  return r;
}

}  // namespace strata::agent::discovery

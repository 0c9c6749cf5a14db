#pragma once

// kubernetes_sd_configs: the options of Prometheus' Kubernetes service discovery (same YAML keys,
// so a Prometheus `role: pod` job reads unchanged), plus Strata's `node`, and how they resolve to
// the LIST requests the agent makes.
//
// Only `role: pod` is supported, and always restricted to one node: the agent runs on every node
// (a DaemonSet) and scrapes the pods next to it, so each LIST carries the field selector
// `spec.nodeName=<node>`; `node` defaults to $NODE_NAME (set it from the downward API,
// `fieldRef: spec.nodeName`), else the lower-cased hostname, which is the node name only with
// `hostNetwork: true`. An empty `api_server` means in-cluster: https to
// $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT with the service account's token and CA
// (/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}) unless bearer_token_file or
// tls_config.ca_file say otherwise. With an explicit `api_server` only what is configured is
// used (no token unless bearer_token_file).
//
// The schema checks what does not depend on the environment; ResolveKubernetesSd() fills in the
// defaults from it and fails when an in-cluster default is needed outside a cluster.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/schema.h"

namespace strata::agent::discovery {

struct KubernetesSdNamespaces {
  bool own_namespace = false;      // the agent's namespace, from the service account
  std::vector<std::string> names;  // empty (and no own_namespace): all namespaces
};

struct KubernetesSdSelector {
  std::string role;   // must be pod
  std::string label;  // labelSelector, e.g. "app=web,tier!=cache"
  std::string field;  // fieldSelector, e.g. "status.phase=Running"
};

struct KubernetesSdTlsConfig {
  std::string ca_file;  // "" : the service account's CA in-cluster, else the system's roots
  bool insecure_skip_verify = false;
};

struct KubernetesSdConfig {
  std::string role;
  std::string api_server;  // "" : in-cluster
  KubernetesSdNamespaces namespaces;
  std::vector<KubernetesSdSelector> selectors;
  std::string bearer_token_file;  // re-read on every request (tokens are rotated)
  KubernetesSdTlsConfig tls_config;
  int64_t refresh_interval_ms = 30 * 1000;
  std::string node;  // "" : $NODE_NAME, else the hostname
};

const common::Schema<KubernetesSdConfig>& KubernetesSdConfigSchema();

// Where in-cluster defaults come from; tests build one by hand.
struct KubernetesEnvironment {
  std::string service_host;  // $KUBERNETES_SERVICE_HOST
  std::string service_port;  // $KUBERNETES_SERVICE_PORT
  std::string node_name;     // $NODE_NAME
  std::string hostname;
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

  static KubernetesEnvironment FromProcess();
};

// What a KubernetesDiscoverer requests, with every default filled in.
struct KubernetesListRequest {
  std::string api_server;  // scheme://host:port[/prefix], for logs
  bool https = true;
  std::string host;
  int port = 443;
  // Path and query of each LIST: `<prefix>/api/v1/pods?...`, or one
  // `<prefix>/api/v1/namespaces/<ns>/pods?...` per namespace. The query has fieldSelector
  // (spec.nodeName=<node>, then the selector's field), labelSelector when set, and
  // resourceVersion=0 so the API server answers from its watch cache instead of etcd: every
  // node's agent polls, and slightly stale data is fine for discovery.
  std::vector<std::string> paths;
  std::string bearer_token_file;  // "" : no Authorization header
  std::string ca_file;            // "" : the system's roots
  bool insecure_skip_verify = false;
  std::string node;
  int64_t refresh_interval_ms = 30 * 1000;
};

// The requests for `config` in `env`. InvalidArgument naming the problem: no api_server outside a
// cluster, a node name that is not a Kubernetes name, an unreadable namespace file for
// own_namespace.
absl::StatusOr<KubernetesListRequest> ResolveKubernetesSd(const KubernetesSdConfig& config,
                                                          const KubernetesEnvironment& env);

// Percent-encodes everything but RFC 3986's unreserved characters (for query values).
std::string EscapeQueryValue(std::string_view value);

}  // namespace strata::agent::discovery

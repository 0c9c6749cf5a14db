#pragma once

// kubernetes_sd_configs with `role: pod`: the pods on this node, listed from the Kubernetes API
// and turned into targets with Prometheus' pod-role labels (kubernetes_pod_list.h). Which
// requests are made, and with which credentials, comes from kubernetes_sd_config.h.
//
// Strata polls LIST every refresh_interval (default 30s) instead of holding a WATCH as Prometheus
// does: one short request per refresh and no long-lived connection per node, at the cost that a
// pod that starts or goes away is seen up to refresh_interval later. Each request sends
// `Authorization: Bearer <token>` (the token file is re-read every time: service account tokens
// are rotated), asks for JSON, is bounded by kMaxBodyBytes after decompression and by a timeout
// of min(refresh_interval, 10s). With several namespaces every namespace's list must succeed for
// a refresh to count.
//
// A failed refresh (connection or TLS, a status other than 200 such as 401 or 403, a body over
// the cap or not a PodList, an unreadable token file) keeps the last good targets, is logged
// once when the outage starts and once when it ends, and is counted in
// strata_agent_sd_kubernetes_failures_total{job,reason} with reason connect, http_status,
// too_large, bad_response or credentials. Pods left out as malformed are counted, on every
// refresh that sees them, in strata_agent_sd_kubernetes_pods_skipped_total{job}. Poll() is called
// from one thread (the job's discovery manager); the discoverer is not thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/discovery/discoverer.h"
#include "agent/discovery/kubernetes_pod_list.h"
#include "agent/discovery/kubernetes_sd_config.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::discovery {

class KubernetesDiscoverer final : public Discoverer {
 public:
  // Largest response accepted, per LIST (after gzip).
  static constexpr size_t kMaxBodyBytes = 64 << 20;

  // Registers the job's failure counters in `registry` (shared by the job's kubernetes configs).
  KubernetesDiscoverer(KubernetesListRequest request, const common::Clock& clock,
                       common::Registry& registry, const std::string& job);

  // The targets when they changed since the last call (the first call always returns them: the
  // empty set when the first refresh fails), else nullopt. Lists pods at most once per
  // refresh_interval.
  std::optional<std::vector<TargetGroup>> Poll() override;

 private:
  enum class Failure { kConnect, kHttpStatus, kTooLarge, kBadResponse, kCredentials };
  static constexpr size_t kFailureKinds = 5;

  // The targets the API server lists now, or why they could not be read (`failure` says which
  // counter it goes to).
  absl::StatusOr<PodListTargets> Fetch(Failure* failure) const;

  const KubernetesListRequest request_;
  const common::Clock& clock_;
  std::array<common::Counter*, kFailureKinds> failures_{};
  common::Counter& skipped_pods_;
  std::optional<int64_t> last_fetch_ms_;
  std::optional<std::vector<TargetGroup>> groups_;  // the last good answer
  size_t failed_refreshes_ = 0;                     // in the current outage; 0 when none
  size_t last_skipped_ = 0;                         // logged when it changes
};

}  // namespace strata::agent::discovery

#pragma once

// Turns a Kubernetes PodList (the JSON body of `GET /api/v1/pods`, apiVersion v1, kind PodList)
// into scrape target groups with the labels of Prometheus' kubernetes_sd_configs `role: pod`.
//
// Targets: for every container of a pod (spec.containers, then spec.initContainers), one target
// per declared port with `__address__` = podIP:containerPort ([podIP]:port for IPv6), or, for a
// container without ports, one target with `__address__` = podIP, for relabeling to add a port.
// A pod without status.podIP (pending, or evicted) has no targets. Each target is its own group
// carrying every label below (a TargetGroup has no per-target labels):
//
//   __meta_kubernetes_namespace                 metadata.namespace
//   __meta_kubernetes_pod_name                  metadata.name
//   __meta_kubernetes_pod_uid                   metadata.uid
//   __meta_kubernetes_pod_ip                    status.podIP
//   __meta_kubernetes_pod_host_ip               status.hostIP
//   __meta_kubernetes_pod_node_name             spec.nodeName
//   __meta_kubernetes_pod_phase                 status.phase (Pending, Running, Succeeded, ...)
//   __meta_kubernetes_pod_ready                 the Ready condition's status lower-cased ("true",
//                                               "false"); "unknown" when there is none
//   __meta_kubernetes_pod_controller_kind/_name the ownerReference with controller: true, if any
//   __meta_kubernetes_pod_label_<name>          each label; ..._labelpresent_<name> = "true"
//   __meta_kubernetes_pod_annotation_<name>     each annotation; ..._annotationpresent_<name>
//   __meta_kubernetes_pod_container_name/_image the container's name and image
//   __meta_kubernetes_pod_container_id          <runtime>://<id> from the container's status,
//                                               when it has one
//   __meta_kubernetes_pod_container_init        "true" for an init container, else "false"
//   __meta_kubernetes_pod_container_port_name/_number/_protocol   the port, when there is one
//
// Label and annotation names have every character outside [a-zA-Z0-9_] replaced by '_'; when
// two names of a pod become the same, the one that sorts last wins.
//
// The body is untrusted: it is parsed with ParseJsonSubset (only the fields above are kept,
// nesting and size are bounded) and never crashes. A body that is not JSON or not a PodList is an
// error. A pod that does not match the Pod schema where it is read (a field of the wrong type, a
// port outside 1..65535, a podIP that is not an IP address) is left out and counted in
// `skipped_pods`; absent and null fields are absent, as the API omits empty ones.

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/discovery/target_group.h"

namespace strata::agent::discovery {

struct PodListTargets {
  std::vector<TargetGroup> groups;  // one per target, in item and container order
  size_t pods = 0;                  // items read
  size_t skipped_pods = 0;          // items left out as malformed
};

absl::StatusOr<PodListTargets> PodListToTargetGroups(std::string_view json);

// Replaces every character outside [a-zA-Z0-9_] with '_' (Prometheus' label name sanitizing).
std::string SanitizeLabelName(std::string_view name);

}  // namespace strata::agent::discovery

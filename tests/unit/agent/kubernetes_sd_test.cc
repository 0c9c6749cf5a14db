#include "agent/discovery/kubernetes_sd.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "agent/discovery/json_subset.h"
#include "agent/discovery/kubernetes_pod_list.h"
#include "agent/discovery/kubernetes_sd_config.h"
#include "tests/fakes/fake_clock.h"

namespace strata::agent::discovery {
namespace {

using strata::fakes::FakeClock;
using Labels = std::map<std::string, std::string>;

// A PodList as `kubectl get --raw /api/v1/pods?fieldSelector=spec.nodeName=node-1` returns it
// (shortened: fewer managedFields, volumes and conditions than a real cluster has).
//   web-7d4b9c5f6-x2x8k  Running, Ready; a container with two ports, one without ports and an
//                        init container; owned by a ReplicaSet
//   batch-28391-abcde    Pending, no podIP yet
//   cache-0              Running, not Ready; a port without a name; a non-controller owner first
//   standalone           no conditions, no owner, an IPv6 podIP
constexpr char kPodList[] = R"json({
  "kind": "PodList",
  "apiVersion": "v1",
  "metadata": {"resourceVersion": "48123"},
  "items": [
    {
      "metadata": {
        "name": "web-7d4b9c5f6-x2x8k",
        "generateName": "web-7d4b9c5f6-",
        "namespace": "shop",
        "uid": "4b1c7a52-2d2e-4c4b-9c61-0d6f1a9d3e01",
        "resourceVersion": "47990",
        "creationTimestamp": "2024-05-02T09:14:03Z",
        "labels": {"app.kubernetes.io/name": "web", "pod-template-hash": "7d4b9c5f6"},
        "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9100"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                             "name": "web-7d4b9c5f6", "uid": "9a0e-11",
                             "controller": true, "blockOwnerDeletion": true}],
        "managedFields": [{"manager": "kube-controller-manager", "operation": "Update",
                           "apiVersion": "v1", "time": "2024-05-02T09:14:03Z",
                           "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]
      },
      "spec": {
        "volumes": [{"name": "kube-api-access-abcde", "projected": {"sources": []}}],
        "initContainers": [{"name": "migrate", "image": "registry.example/web-migrate:1.4",
                            "resources": {}, "imagePullPolicy": "IfNotPresent"}],
        "containers": [
          {"name": "web", "image": "registry.example/web:1.4",
           "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                     {"name": "metrics", "containerPort": 9100, "protocol": "TCP"}],
           "env": [{"name": "LOG_LEVEL", "value": "info"}],
           "resources": {"limits": {"memory": "256Mi"}},
           "volumeMounts": [{"name": "kube-api-access-abcde",
                             "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]},
          {"name": "log-shipper", "image": "registry.example/shipper:0.9", "resources": {}}
        ],
        "restartPolicy": "Always",
        "serviceAccountName": "web",
        "nodeName": "node-1",
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                         "effect": "NoExecute", "tolerationSeconds": 300}]
      },
      "status": {
        "phase": "Running",
        "conditions": [
          {"type": "Initialized", "status": "True", "lastProbeTime": null,
           "lastTransitionTime": "2024-05-02T09:14:05Z"},
          {"type": "Ready", "status": "True", "lastProbeTime": null,
           "lastTransitionTime": "2024-05-02T09:14:09Z"},
          {"type": "ContainersReady", "status": "True", "lastProbeTime": null,
           "lastTransitionTime": "2024-05-02T09:14:09Z"}
        ],
        "hostIP": "192.168.1.10",
        "hostIPs": [{"ip": "192.168.1.10"}],
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}],
        "startTime": "2024-05-02T09:14:03Z",
        "initContainerStatuses": [
          {"name": "migrate", "ready": true, "restartCount": 0,
           "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
           "image": "registry.example/web-migrate:1.4", "imageID": "sha256:aa",
           "containerID": "containerd://1111aaaa"}
        ],
        "containerStatuses": [
          {"name": "log-shipper", "ready": true, "restartCount": 0, "started": true,
           "state": {"running": {"startedAt": "2024-05-02T09:14:06Z"}},
           "image": "registry.example/shipper:0.9", "imageID": "sha256:bb",
           "containerID": "containerd://3333cccc"},
          {"name": "web", "ready": true, "restartCount": 0, "started": true,
           "state": {"running": {"startedAt": "2024-05-02T09:14:06Z"}},
           "image": "registry.example/web:1.4", "imageID": "sha256:cc",
           "containerID": "containerd://2222bbbb"}
        ],
        "qosClass": "Burstable"
      }
    },
    {
      "metadata": {"name": "batch-28391-abcde", "namespace": "jobs", "uid": "u-batch",
                   "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                        "name": "batch-28391", "uid": "u-job",
                                        "controller": true}]},
      "spec": {"containers": [{"name": "run", "image": "busybox:1.36",
                               "ports": [{"containerPort": 8000, "protocol": "TCP"}]}],
               "nodeName": "node-1"},
      "status": {"phase": "Pending",
                 "conditions": [{"type": "PodScheduled", "status": "True"}],
                 "hostIP": "192.168.1.10", "qosClass": "BestEffort"}
    },
    {
      "metadata": {"name": "cache-0", "namespace": "shop", "uid": "u-cache",
                   "labels": {"app": "cache", "statefulset.kubernetes.io/pod-name": "cache-0"},
                   "ownerReferences": [
                     {"apiVersion": "v1", "kind": "ConfigMap", "name": "cache-config",
                      "uid": "u-cm"},
                     {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "cache",
                      "uid": "u-sts", "controller": true, "blockOwnerDeletion": true}]},
      "spec": {"containers": [{"name": "redis", "image": "redis:7",
                               "ports": [{"containerPort": 6379, "protocol": "TCP"}]}],
               "nodeName": "node-1"},
      "status": {"phase": "Running",
                 "conditions": [{"type": "Ready", "status": "False",
                                 "reason": "ContainersNotReady"}],
                 "hostIP": "192.168.1.10", "podIP": "10.244.1.9",
                 "containerStatuses": [{"name": "redis", "ready": false, "restartCount": 3,
                                        "containerID": "containerd://4444dddd"}]}
    },
    {
      "metadata": {"name": "standalone", "namespace": "default", "uid": "u-standalone"},
      "spec": {"containers": [{"name": "app", "image": "app:2",
                               "ports": [{"name": "web", "containerPort": 80,
                                          "protocol": "TCP"}]}],
               "nodeName": "node-1"},
      "status": {"phase": "Running", "hostIP": "192.168.1.10", "podIP": "fd00:10:244::5"}
    }
  ]
})json";

Labels ToMap(const TargetGroup& g) { return Labels(g.labels.begin(), g.labels.end()); }

TEST(PodListTest, MakesOneTargetPerContainerPortWithThePodRoleLabels) {
  absl::StatusOr<PodListTargets> r = PodListToTargetGroups(kPodList);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pods, 4u);
  EXPECT_EQ(r->skipped_pods, 0u);
  std::vector<std::string> targets;
  for (const TargetGroup& g : r->groups) {
    ASSERT_EQ(g.targets.size(), 1u);
    targets.push_back(g.targets[0]);
  }
  // Containers in spec order, then init containers; the pending pod has none.
  EXPECT_EQ(targets,
            (std::vector<std::string>{"10.244.1.7:8080", "10.244.1.7:9100", "10.244.1.7",
                                      "10.244.1.7", "10.244.1.9:6379", "[fd00:10:244::5]:80"}));
  EXPECT_EQ(ToMap(r->groups[1]),
            (Labels{
                {"__meta_kubernetes_namespace", "shop"},
                {"__meta_kubernetes_pod_name", "web-7d4b9c5f6-x2x8k"},
                {"__meta_kubernetes_pod_uid", "4b1c7a52-2d2e-4c4b-9c61-0d6f1a9d3e01"},
                {"__meta_kubernetes_pod_ip", "10.244.1.7"},
                {"__meta_kubernetes_pod_host_ip", "192.168.1.10"},
                {"__meta_kubernetes_pod_node_name", "node-1"},
                {"__meta_kubernetes_pod_phase", "Running"},
                {"__meta_kubernetes_pod_ready", "true"},
                {"__meta_kubernetes_pod_controller_kind", "ReplicaSet"},
                {"__meta_kubernetes_pod_controller_name", "web-7d4b9c5f6"},
                {"__meta_kubernetes_pod_label_app_kubernetes_io_name", "web"},
                {"__meta_kubernetes_pod_labelpresent_app_kubernetes_io_name", "true"},
                {"__meta_kubernetes_pod_label_pod_template_hash", "7d4b9c5f6"},
                {"__meta_kubernetes_pod_labelpresent_pod_template_hash", "true"},
                {"__meta_kubernetes_pod_annotation_prometheus_io_scrape", "true"},
                {"__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape", "true"},
                {"__meta_kubernetes_pod_annotation_prometheus_io_port", "9100"},
                {"__meta_kubernetes_pod_annotationpresent_prometheus_io_port", "true"},
                {"__meta_kubernetes_pod_container_name", "web"},
                {"__meta_kubernetes_pod_container_image", "registry.example/web:1.4"},
                {"__meta_kubernetes_pod_container_id", "containerd://2222bbbb"},
                {"__meta_kubernetes_pod_container_init", "false"},
                {"__meta_kubernetes_pod_container_port_name", "metrics"},
                {"__meta_kubernetes_pod_container_port_number", "9100"},
                {"__meta_kubernetes_pod_container_port_protocol", "TCP"},
            }));
  EXPECT_EQ(ToMap(r->groups[0]).at("__meta_kubernetes_pod_container_port_name"), "http");
}

TEST(PodListTest, ContainersWithoutPortsAndInitContainersGetATargetWithoutPort) {
  absl::StatusOr<PodListTargets> r = PodListToTargetGroups(kPodList);
  ASSERT_TRUE(r.ok()) << r.status();
  const Labels shipper = ToMap(r->groups[2]);
  EXPECT_EQ(shipper.at("__meta_kubernetes_pod_container_name"), "log-shipper");
  EXPECT_EQ(shipper.at("__meta_kubernetes_pod_container_id"), "containerd://3333cccc");
  EXPECT_EQ(shipper.at("__meta_kubernetes_pod_container_init"), "false");
  EXPECT_EQ(shipper.count("__meta_kubernetes_pod_container_port_number"), 0u);
  EXPECT_EQ(shipper.count("__meta_kubernetes_pod_container_port_name"), 0u);
  const Labels init = ToMap(r->groups[3]);
  EXPECT_EQ(init.at("__meta_kubernetes_pod_container_name"), "migrate");
  EXPECT_EQ(init.at("__meta_kubernetes_pod_container_image"), "registry.example/web-migrate:1.4");
  EXPECT_EQ(init.at("__meta_kubernetes_pod_container_id"), "containerd://1111aaaa");
  EXPECT_EQ(init.at("__meta_kubernetes_pod_container_init"), "true");
  EXPECT_EQ(init.at("__meta_kubernetes_pod_name"), "web-7d4b9c5f6-x2x8k");
}

TEST(PodListTest, ReadyFollowsTheReadyConditionAndControllerTheControllerOwner) {
  absl::StatusOr<PodListTargets> r = PodListToTargetGroups(kPodList);
  ASSERT_TRUE(r.ok()) << r.status();
  const Labels cache = ToMap(r->groups[4]);
  EXPECT_EQ(cache.at("__meta_kubernetes_pod_ready"), "false");
  EXPECT_EQ(cache.at("__meta_kubernetes_pod_controller_kind"), "StatefulSet");
  EXPECT_EQ(cache.at("__meta_kubernetes_pod_controller_name"), "cache");
  EXPECT_EQ(cache.at("__meta_kubernetes_pod_container_port_name"), "");
  EXPECT_EQ(cache.at("__meta_kubernetes_pod_container_port_number"), "6379");
  EXPECT_EQ(cache.at("__meta_kubernetes_pod_label_statefulset_kubernetes_io_pod_name"), "cache-0");
  const Labels standalone = ToMap(r->groups[5]);
  EXPECT_EQ(standalone.at("__meta_kubernetes_pod_ready"), "unknown");  // no Ready condition
  EXPECT_EQ(standalone.count("__meta_kubernetes_pod_controller_kind"), 0u);
  EXPECT_EQ(standalone.at("__meta_kubernetes_pod_ip"), "fd00:10:244::5");
  EXPECT_EQ(standalone.count("__meta_kubernetes_pod_container_id"), 0u);  // no status for it
}

TEST(PodListTest, SanitizesNamesAndMarksEmptyLabelsPresent) {
  EXPECT_EQ(SanitizeLabelName("app.kubernetes.io/name"), "app_kubernetes_io_name");
  EXPECT_EQ(SanitizeLabelName("9-lives ü"), "9_lives___");  // ü is two bytes
  absl::StatusOr<PodListTargets> r = PodListToTargetGroups(R"({"kind": "PodList", "items": [
    {"metadata": {"name": "p", "labels": {"a.b": "dot", "a_b": "underscore", "empty": ""}},
     "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": "10.0.0.1"}}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->groups.size(), 1u);
  const auto& labels = r->groups[0].labels;
  // Both "a.b" and "a_b" become a_b: the name that sorts last ("a_b") comes last, and wins.
  std::vector<std::string> a_b;
  for (const auto& [k, v] : labels) {
    if (k == "__meta_kubernetes_pod_label_a_b") a_b.push_back(v);
  }
  EXPECT_EQ(a_b, (std::vector<std::string>{"dot", "underscore"}));
  const Labels m = ToMap(r->groups[0]);
  EXPECT_EQ(m.at("__meta_kubernetes_pod_label_empty"), "");
  EXPECT_EQ(m.at("__meta_kubernetes_pod_labelpresent_empty"), "true");
}

TEST(PodListTest, RejectsBodiesThatAreNotAPodList) {
  auto reason = [](std::string_view body) {
    absl::StatusOr<PodListTargets> r = PodListToTargetGroups(body);
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_EQ(reason(R"({"kind": "PodList", "apiVersion": "v1", "items": []})"), "ok");
  EXPECT_EQ(reason(R"({"kind": "PodList", "items": null})"), "ok");
  EXPECT_EQ(reason("[]"), "expected a PodList object");
  EXPECT_EQ(reason(R"({"items": []})"), "expected kind PodList");
  EXPECT_EQ(reason(R"({"kind": 7, "items": []})"), "expected kind PodList");
  EXPECT_EQ(reason(R"({"kind": "Status", "status": "Failure", "code": 403})"),
            "expected kind PodList, got \"Status\"");
  EXPECT_EQ(reason(R"({"kind": "PodList", "items": {"a": 1}})"), "PodList items is not a list");
  EXPECT_EQ(reason(R"({"kind": "PodList", "items": "x"})"), "PodList items is not a list");
  EXPECT_EQ(reason("").find("not valid JSON at byte 1: "), 0u);
  EXPECT_EQ(reason(R"({"kind": "PodList", "items": [)").find("not valid JSON at byte 31: "), 0u);
  EXPECT_EQ(reason(R"({"kind": "PodList"} trailing)").find("not valid JSON at byte 23: "), 0u);
  // Deep nesting fails fast, even inside a part that is skipped.
  const std::string deep = R"({"kind": "PodList", "x": )" + std::string(100000, '[');
  EXPECT_EQ(reason(deep), "JSON nested deeper than 64 levels");
}

TEST(PodListTest, LeavesOutAndCountsPodsThatDoNotMatchTheSchema) {
  const std::string good =
      R"({"metadata": {"name": "good"}, "spec": {"containers": [{"name": "c",
          "ports": [{"containerPort": 80}]}]}, "status": {"podIP": "10.0.0.1"}})";
  const std::vector<std::string> bad = {
      R"(5)",
      R"("pod")",
      R"(null)",
      R"({"metadata": []})",
      R"({"metadata": {"name": 1}})",
      R"({"metadata": {"labels": {"a": 1}}})",
      R"({"metadata": {"labels": {"a": {"nested": "object"}}}})",
      R"({"metadata": {"labels": ["a"]}})",
      R"({"metadata": {"annotations": "a=b"}})",
      R"({"metadata": {"ownerReferences": [{"kind": "X", "controller": "yes"}]}})",
      R"({"metadata": {"ownerReferences": {"kind": "X"}}})",
      R"({"spec": {"containers": {"name": "c"}}})",
      R"({"spec": {"containers": ["c"]}})",
      R"({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": "80"}]}]}})",
      R"({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 0}]}]}})",
      R"({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 65536}]}]}})",
      R"({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": -1}]}]}})",
      R"({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80.5}]}]}})",
      R"({"spec": {"containers": [{"name": "c", "ports": [{"name": "p"}]}]}})",
      R"({"spec": {"initContainers": [{"image": ["x"]}]}})",
      R"({"spec": {"nodeName": false}})",
      R"({"status": {"podIP": "evil.example:80/x"}})",
      R"({"status": {"podIP": 167772161}})",
      R"({"status": {"conditions": [{"type": "Ready", "status": true}]}})",
      R"({"status": {"containerStatuses": [{"name": "c", "containerID": 5}]}})",
      R"({"status": "Running"})",
  };
  std::string items = good;
  for (const std::string& b : bad) items += ", " + b;
  absl::StatusOr<PodListTargets> r =
      PodListToTargetGroups(R"({"kind": "PodList", "items": [)" + items + "]}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pods, 1 + bad.size());
  EXPECT_EQ(r->skipped_pods, bad.size());
  ASSERT_EQ(r->groups.size(), 1u);
  EXPECT_EQ(r->groups[0].targets, (std::vector<std::string>{"10.0.0.1:80"}));
  // Absent and null fields are just absent.
  absl::StatusOr<PodListTargets> sparse = PodListToTargetGroups(R"({"kind": "PodList", "items": [
      {}, {"metadata": null, "spec": null, "status": null},
      {"metadata": {"labels": null}, "spec": {"containers": null},
       "status": {"podIP": "10.0.0.2", "conditions": null}}]})");
  ASSERT_TRUE(sparse.ok()) << sparse.status();
  EXPECT_EQ(sparse->skipped_pods, 0u);
  EXPECT_TRUE(sparse->groups.empty());  // the pod with an IP has no containers
}

TEST(JsonSubsetTest, KeepsOnlyListedPathsAndEmptiesContainersAtLeaves) {
  const JsonPathSet keep = {"a.b", "list[].x", "map.*"};
  absl::StatusOr<nlohmann::json> doc = ParseJsonSubset(
      R"({"a": {"b": 1, "c": 2}, "d": {"deep": [1, 2, 3]}, "list": [{"x": "1", "y": "2"},
          {"x": {"big": [1, 2]}}], "map": {"k1": "v1", "k2": [3]}})",
      keep);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->dump(), R"({"a":{"b":1},"list":[{"x":"1"},{"x":{}}],"map":{"k1":"v1","k2":[]}})");
}

TEST(JsonSubsetTest, BoundsDepthAndKeptValues) {
  const JsonPathSet keep = {"items[]"};
  EXPECT_TRUE(
      ParseJsonSubset(R"({"items": [1, 2, 3]})", keep, {.max_depth = 2, .max_values = 5}).ok());
  EXPECT_EQ(
      ParseJsonSubset(R"({"items": [1, 2, 3, 4, 5]})", keep, {.max_values = 5}).status().message(),
      "more than 5 values to keep");
  // Skipped values are not counted, but their depth is.
  EXPECT_TRUE(ParseJsonSubset(R"({"other": [1, 2, 3, 4, 5, 6]})", keep, {.max_values = 2}).ok());
  EXPECT_EQ(ParseJsonSubset(R"({"other": [[1]]})", keep, {.max_depth = 2}).status().message(),
            "JSON nested deeper than 2 levels");
}

absl::Status Decode(const std::string& yaml, KubernetesSdConfig* c) {
  return KubernetesSdConfigSchema().Decode(YAML::Load(yaml), "f", "kubernetes_sd_configs[0]", c);
}

TEST(KubernetesSdConfigTest, TakesPrometheusKeysWithTheirDefaults) {
  KubernetesSdConfig c;
  ASSERT_TRUE(Decode("role: pod", &c).ok());
  EXPECT_EQ(c.api_server, "");
  EXPECT_EQ(c.refresh_interval_ms, 30000);
  EXPECT_EQ(c.node, "");
  EXPECT_TRUE(c.namespaces.names.empty());
  EXPECT_FALSE(c.tls_config.insecure_skip_verify);
  ASSERT_TRUE(Decode(R"(
role: pod
api_server: https://10.0.0.1:6443
namespaces: {names: [shop, jobs], own_namespace: true}
selectors: [{role: pod, label: "app=web", field: "status.phase=Running"}]
bearer_token_file: /etc/token
tls_config: {ca_file: /etc/ca.crt, insecure_skip_verify: true}
refresh_interval: 1m
node: node-1.example
)",
                     &c)
                  .ok());
  EXPECT_EQ(c.api_server, "https://10.0.0.1:6443");
  EXPECT_EQ(c.namespaces.names, (std::vector<std::string>{"shop", "jobs"}));
  EXPECT_TRUE(c.namespaces.own_namespace);
  ASSERT_EQ(c.selectors.size(), 1u);
  EXPECT_EQ(c.selectors[0].label, "app=web");
  EXPECT_EQ(c.selectors[0].field, "status.phase=Running");
  EXPECT_EQ(c.bearer_token_file, "/etc/token");
  EXPECT_EQ(c.tls_config.ca_file, "/etc/ca.crt");
  EXPECT_TRUE(c.tls_config.insecure_skip_verify);
  EXPECT_EQ(c.refresh_interval_ms, 60000);
  EXPECT_EQ(c.node, "node-1.example");
}

TEST(KubernetesSdConfigTest, RejectsWhatItCannotDo) {
  auto error = [](const std::string& yaml) {
    KubernetesSdConfig c;
    absl::Status s = Decode(yaml, &c);
    return s.ok() ? std::string("ok") : std::string(s.message());
  };
  EXPECT_EQ(error("api_server: http://x"),
            "f:1:1: key \"kubernetes_sd_configs[0]\": role is required (only pod is supported)");
  EXPECT_EQ(error("role: node"),
            "f:1:1: key \"kubernetes_sd_configs[0]\": role \"node\" is not supported (only pod)");
  EXPECT_EQ(error("{role: pod, selectors: [{role: node, label: a=b}]}"),
            "f:1:25: key \"kubernetes_sd_configs[0].selectors[0]\": role \"node\": the pod role "
            "takes pod selectors");
  EXPECT_EQ(error("{role: pod, selectors: [{role: pod, label: a=b}, {role: pod, field: x=y}]}"),
            "f:1:1: key \"kubernetes_sd_configs[0]\": at most one selector per role (pod)");
  EXPECT_EQ(error("{role: pod, api_server: ftp://x}"),
            "f:1:1: key \"kubernetes_sd_configs[0]\": api_server \"ftp://x\" is not an http:// or "
            "https:// URL");
  EXPECT_EQ(error("{role: pod, api_server: \"http://x/?a=b\"}"),
            "f:1:1: key \"kubernetes_sd_configs[0]\": api_server \"http://x/?a=b\" must not have "
            "a query");
  EXPECT_EQ(error("{role: pod, node: Node_1}"),
            "f:1:1: key \"kubernetes_sd_configs[0]\": node \"Node_1\" is not a node name "
            "(lower-case letters, digits, '-', '.')");
  EXPECT_EQ(
      error("{role: pod, namespaces: {names: [Shop]}}"),
      "f:1:25: key \"kubernetes_sd_configs[0].namespaces\": \"Shop\" is not a namespace name");
  EXPECT_EQ(error("{role: pod, refresh_interval: 100ms}"),
            "f:1:31: key \"kubernetes_sd_configs[0].refresh_interval\": must be at least 1s");
  EXPECT_NE(error("{role: pod, kubeconfig_file: /x}").find("unknown key"), std::string::npos);
}

KubernetesEnvironment InCluster() {
  KubernetesEnvironment env;
  env.service_host = "10.96.0.1";
  env.service_port = "443";
  env.node_name = "node-1";
  env.hostname = "ignored";
  env.service_account_dir = "/sa";
  return env;
}

TEST(ResolveKubernetesSdTest, InClusterUsesTheServiceAccountAndListsThisNodesPods) {
  KubernetesSdConfig c;
  c.role = "pod";
  absl::StatusOr<KubernetesListRequest> r = ResolveKubernetesSd(c, InCluster());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->api_server, "https://10.96.0.1:443");
  EXPECT_TRUE(r->https);
  EXPECT_EQ(r->host, "10.96.0.1");
  EXPECT_EQ(r->port, 443);
  EXPECT_EQ(r->bearer_token_file, "/sa/token");
  EXPECT_EQ(r->ca_file, "/sa/ca.crt");
  EXPECT_EQ(r->node, "node-1");
  EXPECT_EQ(r->paths, (std::vector<std::string>{
                          "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1&resourceVersion=0"}));
  // Configured credentials win over the service account's.
  c.bearer_token_file = "/etc/token";
  c.tls_config.ca_file = "/etc/ca.pem";
  r = ResolveKubernetesSd(c, InCluster());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->bearer_token_file, "/etc/token");
  EXPECT_EQ(r->ca_file, "/etc/ca.pem");
  // IPv6 service address.
  KubernetesEnvironment v6 = InCluster();
  v6.service_host = "fd00::1";
  r = ResolveKubernetesSd(c, v6);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->api_server, "https://[fd00::1]:443");
}

TEST(ResolveKubernetesSdTest, AnExplicitServerTakesOnlyWhatIsConfigured) {
  KubernetesSdConfig c;
  c.role = "pod";
  c.api_server = "http://127.0.0.1:8001/proxy/";
  c.namespaces.names = {"shop", "jobs"};
  c.selectors = {{"pod", "app=web,tier!=cache", "status.phase=Running"}};
  c.node = "node-2";
  absl::StatusOr<KubernetesListRequest> r = ResolveKubernetesSd(c, InCluster());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->https);
  EXPECT_EQ(r->host, "127.0.0.1");
  EXPECT_EQ(r->port, 8001);
  EXPECT_EQ(r->bearer_token_file, "");
  EXPECT_EQ(r->ca_file, "");
  EXPECT_EQ(r->node, "node-2");
  const std::string query =
      "?fieldSelector=spec.nodeName%3Dnode-2%2Cstatus.phase%3DRunning"
      "&labelSelector=app%3Dweb%2Ctier%21%3Dcache&resourceVersion=0";
  EXPECT_EQ(r->paths, (std::vector<std::string>{"/proxy/api/v1/namespaces/shop/pods" + query,
                                                "/proxy/api/v1/namespaces/jobs/pods" + query}));
  c.api_server = "https://k8s.example";
  r = ResolveKubernetesSd(c, InCluster());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->port, 443);
  EXPECT_EQ(r->paths[0], "/api/v1/namespaces/shop/pods" + query);
}

TEST(ResolveKubernetesSdTest, NodeComesFromNodeNameThenTheHostname) {
  KubernetesSdConfig c;
  c.role = "pod";
  c.api_server = "http://127.0.0.1:8001";
  KubernetesEnvironment env;
  env.node_name = "";
  env.hostname = "Worker-3.Example";
  absl::StatusOr<KubernetesListRequest> r = ResolveKubernetesSd(c, env);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->node, "worker-3.example");
  env.hostname = "under_score";
  EXPECT_EQ(ResolveKubernetesSd(c, env).status().message(),
            "node \"under_score\" is not a node name: set node, or NODE_NAME from the downward "
            "API (fieldRef: spec.nodeName)");
}

TEST(ResolveKubernetesSdTest, OutsideAClusterNeedsAnApiServer) {
  KubernetesSdConfig c;
  c.role = "pod";
  KubernetesEnvironment env;
  env.node_name = "n";
  EXPECT_EQ(ResolveKubernetesSd(c, env).status().message(),
            "api_server is not set and KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not in "
            "the environment (not in a pod?): set api_server");
  env.service_host = "10.96.0.1";
  env.service_port = "https";
  EXPECT_EQ(ResolveKubernetesSd(c, env).status().message(),
            "KUBERNETES_SERVICE_PORT \"https\" is not a port");
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/strata-k8s-sd-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ResolveKubernetesSdTest, OwnNamespaceIsReadFromTheServiceAccount) {
  TempDir sa;
  KubernetesEnvironment env = InCluster();
  env.service_account_dir = sa.path();
  KubernetesSdConfig c;
  c.role = "pod";
  c.namespaces.own_namespace = true;
  c.namespaces.names = {"shop"};
  EXPECT_NE(ResolveKubernetesSd(c, env).status().message().find("namespaces.own_namespace: "),
            std::string::npos);
  sa.Write("namespace", "monitoring\n");
  absl::StatusOr<KubernetesListRequest> r = ResolveKubernetesSd(c, env);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->paths.size(), 2u);
  EXPECT_EQ(r->paths[1].rfind("/api/v1/namespaces/monitoring/pods?", 0), 0u);
}

// A fake API server: answers GET /api/v1/pods with what the test sets, and 401 without the token.
class FakeApiServer {
 public:
  FakeApiServer() {
    server_.Get("/api/v1/pods", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      field_selector_ = req.get_param_value("fieldSelector");
      if (req.get_header_value("Authorization") != "Bearer " + token_) {
        res.status = 401;
        res.set_content(
            R"({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401})",
            "application/json");
        return;
      }
      res.status = status_;
      res.set_content(body_, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would leave it running forever: wait for it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~FakeApiServer() {
    server_.stop();
    thread_.join();
  }
  void Answer(int status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    body_ = std::move(body);
  }
  std::string FieldSelector() {
    std::lock_guard<std::mutex> lock(mu_);
    return field_selector_;
  }
  int Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  const std::string token_ = "s3cret";
  int status_ = 200;
  std::string body_;
  std::string field_selector_;
  int requests_ = 0;
};

class KubernetesDiscovererTest : public ::testing::Test {
 protected:
  KubernetesListRequest Request(const std::string& token_file) {
    KubernetesSdConfig c;
    c.role = "pod";
    c.api_server = "http://127.0.0.1:" + std::to_string(server_.port());
    c.bearer_token_file = token_file;
    c.node = "node-1";
    absl::StatusOr<KubernetesListRequest> r = ResolveKubernetesSd(c, {});
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }
  double Failures(const std::string& reason) {
    return registry_.ValueOf("strata_agent_sd_kubernetes_failures_total",
                             {{"job", "pods"}, {"reason", reason}});
  }
  FakeApiServer server_;
  TempDir dir_;
  FakeClock clock_;
  common::Registry registry_;
};

TEST_F(KubernetesDiscovererTest, ListsThisNodesPodsAndKeepsTheLastGoodTargets) {
  const std::string token = dir_.Write("token", "s3cret\n");
  server_.Answer(200, kPodList);
  KubernetesDiscoverer d(Request(token), clock_, registry_, "pods");
  auto first = d.Poll();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->size(), 6u);
  EXPECT_EQ(server_.FieldSelector(), "spec.nodeName=node-1");
  EXPECT_FALSE(d.Poll().has_value());  // not due
  EXPECT_EQ(server_.Requests(), 1);
  clock_.now_ms += 30000;
  EXPECT_FALSE(d.Poll().has_value());  // due, unchanged
  EXPECT_EQ(server_.Requests(), 2);

  // Failures keep the targets, each counted under its reason.
  server_.Answer(500, R"({"kind": "Status", "message": "etcdserver: request timed out"})");
  clock_.now_ms += 30000;
  EXPECT_FALSE(d.Poll().has_value());
  server_.Answer(200, R"({"kind": "PodList", "items": [)");
  clock_.now_ms += 30000;
  EXPECT_FALSE(d.Poll().has_value());
  dir_.Write("token", "rotated-and-wrong");  // re-read on every request
  server_.Answer(200, kPodList);
  clock_.now_ms += 30000;
  EXPECT_FALSE(d.Poll().has_value());
  std::filesystem::remove(token);
  clock_.now_ms += 30000;
  EXPECT_FALSE(d.Poll().has_value());
  EXPECT_EQ(Failures("http_status"), 2);
  EXPECT_EQ(Failures("bad_response"), 1);
  EXPECT_EQ(Failures("credentials"), 1);
  EXPECT_EQ(Failures("connect"), 0);
  EXPECT_EQ(Failures("too_large"), 0);

  // Back, with the pod list changed: the web pod went away.
  dir_.Write("token", "s3cret");
  server_.Answer(200, R"({"kind": "PodList", "apiVersion": "v1", "items": [
      {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c"}]},
       "status": {"podIP": "10.0.0.3"}}, 5]})");
  clock_.now_ms += 30000;
  auto changed = d.Poll();
  ASSERT_TRUE(changed.has_value());
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].targets[0], "10.0.0.3");
  EXPECT_EQ(registry_.ValueOf("strata_agent_sd_kubernetes_pods_skipped_total", {{"job", "pods"}}),
            1);
}

TEST_F(KubernetesDiscovererTest, AnUnreachableServerStartsWithNoTargets) {
  KubernetesListRequest r = Request("");
  r.port = 1;  // nothing listens there
  r.api_server = "http://127.0.0.1:1";
  r.refresh_interval_ms = 1000;
  KubernetesDiscoverer d(r, clock_, registry_, "pods");
  auto first = d.Poll();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->empty());
  clock_.now_ms += 1000;
  EXPECT_FALSE(d.Poll().has_value());
  EXPECT_EQ(Failures("connect"), 2);
  EXPECT_EQ(server_.Requests(), 0);
}

TEST_F(KubernetesDiscovererTest, WithoutATokenTheServerRefuses) {
  server_.Answer(200, kPodList);
  KubernetesDiscoverer d(Request(""), clock_, registry_, "pods");
  auto first = d.Poll();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->empty());
  EXPECT_EQ(Failures("http_status"), 1);
}

}  // namespace
}  // namespace strata::agent::discovery

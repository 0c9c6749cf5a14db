#include "agent/discovery/kubernetes_pod_list.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>

#include "agent/discovery/http_sd.h"
#include "agent/discovery/json_subset.h"

namespace strata::agent::discovery {
namespace {

using Json = nlohmann::json;
using LabelList = std::vector<std::pair<std::string, std::string>>;

// The fields of a PodList that discovery reads (Kubernetes API reference, core/v1 Pod).
const JsonPathSet& PodListPaths() {
  static const JsonPathSet paths = {
      "kind",
      "items[].metadata.name",
      "items[].metadata.namespace",
      "items[].metadata.uid",
      "items[].metadata.labels.*",
      "items[].metadata.annotations.*",
      "items[].metadata.ownerReferences[].kind",
      "items[].metadata.ownerReferences[].name",
      "items[].metadata.ownerReferences[].controller",
      "items[].spec.nodeName",
      "items[].spec.containers[].name",
      "items[].spec.containers[].image",
      "items[].spec.containers[].ports[].name",
      "items[].spec.containers[].ports[].containerPort",
      "items[].spec.containers[].ports[].protocol",
      "items[].spec.initContainers[].name",
      "items[].spec.initContainers[].image",
      "items[].spec.initContainers[].ports[].name",
      "items[].spec.initContainers[].ports[].containerPort",
      "items[].spec.initContainers[].ports[].protocol",
      "items[].status.podIP",
      "items[].status.hostIP",
      "items[].status.phase",
      "items[].status.conditions[].type",
      "items[].status.conditions[].status",
      "items[].status.containerStatuses[].name",
      "items[].status.containerStatuses[].containerID",
      "items[].status.initContainerStatuses[].name",
      "items[].status.initContainerStatuses[].containerID",
  };
  return paths;
}

struct Port {
  std::string name;
  std::string protocol;
  int number = 0;
};

struct Container {
  std::string name;
  std::string image;
  std::string id;
  bool init = false;
  std::vector<Port> ports;
};

struct Pod {
  std::string ns, name, uid, node, pod_ip, host_ip, phase;
  std::string ready = "unknown";
  std::string controller_kind, controller_name;
  LabelList labels, annotations;
  std::vector<Container> containers;
};

// A field of `object`; null when absent or JSON null (the API omits empty fields).
const Json* Field(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// Each reader leaves its output empty for an absent field and returns false for a wrong type.
bool ReadString(const Json& object, const char* key, std::string* out) {
  out->clear();
  const Json* f = Field(object, key);
  if (f == nullptr) return true;
  if (!f->is_string()) return false;
  *out = f->get_ref<const std::string&>();
  return true;
}

bool ReadObject(const Json& object, const char* key, const Json** out) {
  *out = Field(object, key);
  return *out == nullptr || (*out)->is_object();
}

// An array whose elements must all be objects.
bool ReadObjectArray(const Json& object, const char* key, const Json** out) {
  *out = Field(object, key);
  if (*out == nullptr) return true;
  if (!(*out)->is_array()) return false;
  for (const Json& e : **out) {
    if (!e.is_object()) return false;
  }
  return true;
}

bool ReadStringMap(const Json& object, const char* key, LabelList* out) {
  const Json* map = nullptr;
  if (!ReadObject(object, key, &map)) return false;
  if (map == nullptr) return true;
  for (const auto& [k, v] : map->items()) {  // sorted by key
    if (!v.is_string()) return false;
    out->emplace_back(k, v.get_ref<const std::string&>());
  }
  return true;
}

bool ReadPort(const Json& p, Port* port) {
  if (!ReadString(p, "name", &port->name) || !ReadString(p, "protocol", &port->protocol)) {
    return false;
  }
  const Json* n = Field(p, "containerPort");  // required by the API
  if (n == nullptr || !n->is_number_integer()) return false;
  const int64_t v = n->is_number_unsigned()
                        ? static_cast<int64_t>(std::min<uint64_t>(n->get<uint64_t>(), 65536))
                        : n->get<int64_t>();
  if (v < 1 || v > 65535) return false;
  port->number = static_cast<int>(v);
  return true;
}

bool ReadContainers(const Json& spec, const char* key, bool init, std::vector<Container>* out) {
  const Json* list = nullptr;
  if (!ReadObjectArray(spec, key, &list)) return false;
  if (list == nullptr) return true;
  for (const Json& c : *list) {
    Container container;
    container.init = init;
    if (!ReadString(c, "name", &container.name) || !ReadString(c, "image", &container.image)) {
      return false;
    }
    const Json* ports = nullptr;
    if (!ReadObjectArray(c, "ports", &ports)) return false;
    if (ports != nullptr) {
      for (const Json& p : *ports) {
        Port port;
        if (!ReadPort(p, &port)) return false;
        container.ports.push_back(std::move(port));
      }
    }
    out->push_back(std::move(container));
  }
  return true;
}

// Sets the id of each container of `init` kind from the statuses under `key`, matched by name.
bool ReadContainerIds(const Json& status, const char* key, bool init, Pod* pod) {
  const Json* list = nullptr;
  if (!ReadObjectArray(status, key, &list)) return false;
  if (list == nullptr) return true;
  for (const Json& s : *list) {
    std::string name, id;
    if (!ReadString(s, "name", &name) || !ReadString(s, "containerID", &id)) return false;
    for (Container& c : pod->containers) {
      if (c.init == init && c.name == name) c.id = id;
    }
  }
  return true;
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// Reads one item; false when it does not match the Pod schema.
bool ReadPod(const Json& item, Pod* pod) {
  if (!item.is_object()) return false;
  const Json *metadata = nullptr, *spec = nullptr, *status = nullptr;
  if (!ReadObject(item, "metadata", &metadata) || !ReadObject(item, "spec", &spec) ||
      !ReadObject(item, "status", &status)) {
    return false;
  }
  static const Json kEmpty = Json::object();
  if (metadata == nullptr) metadata = &kEmpty;
  if (spec == nullptr) spec = &kEmpty;
  if (status == nullptr) status = &kEmpty;

  if (!ReadString(*metadata, "name", &pod->name) || !ReadString(*metadata, "namespace", &pod->ns) ||
      !ReadString(*metadata, "uid", &pod->uid) ||
      !ReadStringMap(*metadata, "labels", &pod->labels) ||
      !ReadStringMap(*metadata, "annotations", &pod->annotations)) {
    return false;
  }
  const Json* owners = nullptr;
  if (!ReadObjectArray(*metadata, "ownerReferences", &owners)) return false;
  if (owners != nullptr) {
    for (const Json& o : *owners) {
      std::string kind, name;
      const Json* controller = Field(o, "controller");
      if (!ReadString(o, "kind", &kind) || !ReadString(o, "name", &name) ||
          (controller != nullptr && !controller->is_boolean())) {
        return false;
      }
      // The API allows one controller per object; keep the first.
      if (controller != nullptr && controller->get<bool>() && pod->controller_kind.empty() &&
          pod->controller_name.empty()) {
        pod->controller_kind = std::move(kind);
        pod->controller_name = std::move(name);
      }
    }
  }

  if (!ReadString(*spec, "nodeName", &pod->node) ||
      !ReadContainers(*spec, "containers", false, &pod->containers) ||
      !ReadContainers(*spec, "initContainers", true, &pod->containers)) {
    return false;
  }

  if (!ReadString(*status, "podIP", &pod->pod_ip) ||
      !ReadString(*status, "hostIP", &pod->host_ip) || !ReadString(*status, "phase", &pod->phase) ||
      !ReadContainerIds(*status, "containerStatuses", false, pod) ||
      !ReadContainerIds(*status, "initContainerStatuses", true, pod)) {
    return false;
  }
  if (!pod->pod_ip.empty() && !IsIpAddress(pod->pod_ip)) return false;
  const Json* conditions = nullptr;
  if (!ReadObjectArray(*status, "conditions", &conditions)) return false;
  if (conditions != nullptr) {
    for (const Json& c : *conditions) {
      std::string type, value;
      if (!ReadString(c, "type", &type) || !ReadString(c, "status", &value)) return false;
      if (type != "Ready") continue;
      for (char& ch : value) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      pod->ready = value;
    }
  }
  return true;
}

LabelList PodLabels(const Pod& pod) {
  LabelList out = {
      {"__meta_kubernetes_namespace", pod.ns},        {"__meta_kubernetes_pod_name", pod.name},
      {"__meta_kubernetes_pod_uid", pod.uid},         {"__meta_kubernetes_pod_ip", pod.pod_ip},
      {"__meta_kubernetes_pod_host_ip", pod.host_ip}, {"__meta_kubernetes_pod_node_name", pod.node},
      {"__meta_kubernetes_pod_phase", pod.phase},     {"__meta_kubernetes_pod_ready", pod.ready},
  };
  if (!pod.controller_kind.empty() || !pod.controller_name.empty()) {
    out.emplace_back("__meta_kubernetes_pod_controller_kind", pod.controller_kind);
    out.emplace_back("__meta_kubernetes_pod_controller_name", pod.controller_name);
  }
  for (const auto& [k, v] : pod.labels) {
    const std::string name = SanitizeLabelName(k);
    out.emplace_back("__meta_kubernetes_pod_label_" + name, v);
    out.emplace_back("__meta_kubernetes_pod_labelpresent_" + name, "true");
  }
  for (const auto& [k, v] : pod.annotations) {
    const std::string name = SanitizeLabelName(k);
    out.emplace_back("__meta_kubernetes_pod_annotation_" + name, v);
    out.emplace_back("__meta_kubernetes_pod_annotationpresent_" + name, "true");
  }
  return out;
}

}  // namespace

std::string SanitizeLabelName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) c = '_';
  }
  return out;
}

absl::StatusOr<PodListTargets> PodListToTargetGroups(std::string_view json) {
  absl::StatusOr<Json> doc = ParseJsonSubset(json, PodListPaths());
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return absl::InvalidArgumentError("expected a PodList object");
  std::string kind;
  if (!ReadString(*doc, "kind", &kind) || kind != "PodList") {
    if (kind.size() > 64) kind = kind.substr(0, 64) + "...";
    return absl::InvalidArgumentError(kind.empty() ? "expected kind PodList"
                                                   : "expected kind PodList, got \"" + kind + "\"");
  }
  const Json* items = Field(*doc, "items");
  if (items != nullptr && !items->is_array()) {
    return absl::InvalidArgumentError("PodList items is not a list");
  }
  PodListTargets out;
  if (items == nullptr) return out;
  for (const Json& item : *items) {
    ++out.pods;
    Pod pod;
    if (!ReadPod(item, &pod)) {
      ++out.skipped_pods;
      continue;
    }
    if (pod.pod_ip.empty()) continue;  // not running yet, or evicted: nothing to scrape
    const LabelList pod_labels = PodLabels(pod);
    for (const Container& c : pod.containers) {
      LabelList labels = pod_labels;
      labels.emplace_back("__meta_kubernetes_pod_container_name", c.name);
      labels.emplace_back("__meta_kubernetes_pod_container_image", c.image);
      if (!c.id.empty()) labels.emplace_back("__meta_kubernetes_pod_container_id", c.id);
      labels.emplace_back("__meta_kubernetes_pod_container_init", c.init ? "true" : "false");
      if (c.ports.empty()) {
        out.groups.push_back(TargetGroup{{pod.pod_ip}, std::move(labels)});
        continue;
      }
      for (const Port& p : c.ports) {
        LabelList port_labels = labels;
        port_labels.emplace_back("__meta_kubernetes_pod_container_port_name", p.name);
        port_labels.emplace_back("__meta_kubernetes_pod_container_port_number",
                                 std::to_string(p.number));
        port_labels.emplace_back("__meta_kubernetes_pod_container_port_protocol", p.protocol);
        out.groups.push_back(
            TargetGroup{{JoinHostPort(pod.pod_ip, p.number)}, std::move(port_labels)});
      }
    }
  }
  return out;
}

}  // namespace strata::agent::discovery

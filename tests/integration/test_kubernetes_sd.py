"""Kubernetes pod discovery (kubernetes_sd_configs, role: pod) end to end: a fake API server over
HTTPS answers LIST /api/v1/pods the way the real one does (PodList JSON, bearer token checked,
401 otherwise, field and label selectors applied), its pods point at a real node_exporter on
127.0.0.1, and the agent's relabel_configs pick and label them. The series must reach the
collector's query API with the pod's labels, survive API failures, and go stale when the pod is
gone."""

import http.server
import json
import ssl
import threading
import urllib.parse

import harness

NODE = "test-node"
JOB = "kubernetes-pods"


def make_pod(name, namespace, node, ip, port=None, labels=None, annotations=None, phase="Running",
             ready="True", owner=None, container="app"):
    """A v1 Pod as the API server lists it (the fields a kubelet and controllers fill in)."""
    container = {"name": container, "image": "quay.io/prometheus/node-exporter:v1.7.0",
                 "resources": {}, "terminationMessagePath": "/dev/termination-log",
                 "imagePullPolicy": "IfNotPresent"}
    if port is not None:
        container["ports"] = [{"name": "metrics", "containerPort": port, "protocol": "TCP"}]
    metadata = {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                "resourceVersion": "1001", "creationTimestamp": "2024-05-02T09:14:03Z",
                "labels": labels or {}, "annotations": annotations or {},
                "managedFields": [{"manager": "kubelet", "operation": "Update",
                                   "apiVersion": "v1", "fieldsType": "FieldsV1",
                                   "fieldsV1": {"f:status": {"f:conditions": {}}}}]}
    if owner:
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0],
                                        "name": owner[1], "uid": f"uid-{owner[1]}",
                                        "controller": True, "blockOwnerDeletion": True}]
    status = {"phase": phase, "hostIP": "127.0.0.1", "qosClass": "BestEffort",
              "conditions": [{"type": "Initialized", "status": "True", "lastProbeTime": None},
                             {"type": "Ready", "status": ready, "lastProbeTime": None}]}
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
        status["containerStatuses"] = [{"name": container["name"], "ready": ready == "True",
                                        "restartCount": 0, "image": container["image"],
                                        "containerID": f"containerd://{name}-0001"}]
    return {"metadata": metadata,
            "spec": {"containers": [container], "nodeName": node, "restartPolicy": "Always",
                     "serviceAccountName": "default"},
            "status": status}


class FakeKubernetesApi:
    """Serves GET /api/v1/pods over HTTPS like kube-apiserver: the bearer token must match (401
    with a Status body otherwise), fieldSelector and labelSelector are applied (equality terms,
    which is all the agent sends here), anything else is a 400 or 404."""

    def __init__(self, certs, token):
        self.lock = threading.Lock()
        self.token = token
        self.pods = []
        self.garbage = False  # answer 200 with a body that is not JSON
        self.requests = []    # (path, query dict, status)
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                api._serve(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{certs}/collector.pem", f"{certs}/collector-key.pem")
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def set(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, v)

    def statuses(self):
        with self.lock:
            return [r[2] for r in self.requests]

    @staticmethod
    def _matches(obj_fields, selector):
        for term in filter(None, selector.split(",")):
            key, _, want = term.partition("=")
            if obj_fields.get(key, "") != want:
                return False
        return True

    def _reply(self, handler, code, doc):
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _status(self, handler, code, reason, message):
        self._reply(handler, code, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                    "status": "Failure", "message": message, "reason": reason,
                                    "code": code})

    def _serve(self, handler):
        url = urllib.parse.urlsplit(handler.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        with self.lock:
            token, pods, garbage = self.token, list(self.pods), self.garbage

        def done(code):
            with self.lock:
                self.requests.append((url.path, query, code))

        if handler.headers.get("Authorization") != f"Bearer {token}":
            done(401)
            return self._status(handler, 401, "Unauthorized", "Unauthorized")
        if url.path != "/api/v1/pods":
            done(404)
            return self._status(handler, 404, "NotFound", "the server could not find it")
        fields = query.get("fieldSelector", "")
        if not fields.startswith(f"spec.nodeName={NODE}"):
            done(400)
            return self._status(handler, 400, "BadRequest", "expected this node's pods")
        if garbage:
            done(200)
            return self._reply(handler, 200, b"<html>proxy error</html>")
        items = [p for p in pods
                 if self._matches({"spec.nodeName": p["spec"]["nodeName"],
                                   "metadata.namespace": p["metadata"]["namespace"]}, fields)
                 and self._matches(p["metadata"]["labels"], query.get("labelSelector", ""))]
        done(200)
        self._reply(handler, 200, {"kind": "PodList", "apiVersion": "v1",
                                   "metadata": {"resourceVersion": "1001"}, "items": items})

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def scrape_yaml(api, ca_file, token_file):
    return f"""
scrape_configs:
  - job_name: {JOB}
    scrape_interval: 1s
    scrape_timeout: 900ms
    kubernetes_sd_configs:
      - role: pod
        api_server: {api.url}
        tls_config:
          ca_file: {ca_file}
        bearer_token_file: {token_file}
        refresh_interval: 1s
        node: {NODE}
        selectors:
          - role: pod
            label: "team=infra"
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        regex: "true"
        action: keep
      - regex: __meta_kubernetes_pod_label_(.+)
        action: labelmap
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
      - source_labels: [__meta_kubernetes_pod_container_name]
        target_label: container
      - source_labels: [__meta_kubernetes_pod_node_name]
        target_label: node
      - source_labels: [__meta_kubernetes_pod_controller_kind, __meta_kubernetes_pod_controller_name]
        separator: /
        target_label: controller
      - source_labels: [__meta_kubernetes_pod_ready, __meta_kubernetes_pod_container_init]
        separator: ","
        target_label: state
"""


def metric(agent, name, **labels):
    """The value of one series of the agent's /metrics, 0 when absent."""
    for series, value in agent.metrics().items():
        if series.startswith(name + "{") and all(f'{k}="{v}"' in series
                                                 for k, v in labels.items()):
            return value
    return 0.0


def test_pods_on_this_node_are_scraped_and_go_stale_with_their_pod(tmp_path, certs, stack):
    node = stack.add(harness.NodeExporter(tmp_path))
    token_file = tmp_path / "token"
    token_file.write_text("t0ken-1\n")
    api = stack.add(FakeKubernetesApi(certs, "t0ken-1"))
    infra = {"app.kubernetes.io/name": "node-exporter", "team": "infra"}
    scraped = make_pod("node-exporter-abc12", "monitoring", NODE, "127.0.0.1", node.port,
                       labels=infra, annotations={"prometheus.io/scrape": "true"},
                       owner=("DaemonSet", "node-exporter"), container="node-exporter")
    api.set(pods=[
        scraped,
        # Not annotated: relabel_configs drop it.
        make_pod("web-5f7d9-qwert", "shop", NODE, "127.0.0.1", node.port,
                 labels={"app": "web", "team": "infra"}),
        # Pending, no IP yet: no target.
        make_pod("batch-1-zzzzz", "jobs", NODE, None, 8000, labels={"team": "infra"},
                 annotations={"prometheus.io/scrape": "true"}, phase="Pending", ready="False"),
        # Another node's, and another team's: the API server filters them out.
        make_pod("node-exporter-other", "monitoring", "other-node", "127.0.0.2", node.port,
                 labels=infra, annotations={"prometheus.io/scrape": "true"}),
        make_pod("node-exporter-team", "monitoring", NODE, "127.0.0.1", node.port,
                 labels={"team": "data"}, annotations={"prometheus.io/scrape": "true"}),
    ])
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-k8s", collector.grpc, certs,
                                    scrape_yaml(api, f"{certs}/ca.pem", token_file)))

    want = {"job": JOB, "instance": node.address, "namespace": "monitoring",
            "pod": "node-exporter-abc12", "container": "node-exporter", "node": NODE,
            "controller": "DaemonSet/node-exporter", "app_kubernetes_io_name": "node-exporter",
            "team": "infra", "state": "true,false"}
    up = harness.wait_for(lambda: collector.query(f'up{{job="{JOB}"}}'), timeout=60,
                          what="up of the discovered pod")
    assert [r["metric"] for r in up] == [dict(want, __name__="up")]
    assert up[0]["value"][1] == "1"
    load = harness.wait_for(lambda: collector.query(f'node_load1{{job="{JOB}"}}'), timeout=30,
                            what="node_exporter series of the pod")
    assert [r["metric"] for r in load] == [dict(want, __name__="node_load1")]
    assert metric(agent, "strata_agent_scrape_targets", job=JOB) == 1
    # Every LIST asked for this node's pods with the job's label selector.
    with api.lock:
        first = api.requests[0]
    assert first[1]["fieldSelector"] == f"spec.nodeName={NODE}"
    assert first[1]["labelSelector"] == "team=infra"
    assert set(api.statuses()) == {200}

    # A broken answer, then a rotated token the agent does not have yet: the targets stay.
    api.set(garbage=True)
    harness.wait_for(lambda: metric(agent, "strata_agent_sd_kubernetes_failures_total", job=JOB,
                                    reason="bad_response") >= 1, what="a bad_response failure")
    api.set(garbage=False, token="t0ken-2")
    harness.wait_for(lambda: metric(agent, "strata_agent_sd_kubernetes_failures_total", job=JOB,
                                    reason="http_status") >= 1, what="an http_status failure (401)")
    assert 401 in api.statuses()
    assert metric(agent, "strata_agent_scrape_targets", job=JOB) == 1
    before = len(api.statuses())
    token_file.write_text("t0ken-2\n")  # the agent re-reads it on every refresh
    harness.wait_for(lambda: api.statuses()[before:].count(200) >= 1,
                     what="a LIST with the new token")
    agent.process.wait_log(r"Kubernetes API read again")
    assert len(collector.query(f'up{{job="{JOB}"}}')) == 1

    # The pod goes away: its target stops and its series are marked stale at once.
    api.set(pods=[p for p in api.pods if p is not scraped])
    harness.wait_for(lambda: metric(agent, "strata_agent_scrape_targets", job=JOB) == 0,
                     timeout=30, what="the target to stop")
    harness.wait_for(lambda: collector.query(f'up{{job="{JOB}"}}') == [], timeout=30,
                     what="up to go stale")
    assert collector.query(f'node_load1{{job="{JOB}"}}') == []
    # One warning for the outage, not one per failed refresh.
    assert agent.process.log().count("Kubernetes API not read") == 1


def test_an_untrusted_api_server_certificate_is_a_counted_failure(tmp_path, certs, other_ca_certs,
                                                                  stack):
    token_file = tmp_path / "token"
    token_file.write_text("t0ken-1\n")
    api = stack.add(FakeKubernetesApi(certs, "t0ken-1"))
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-k8s-tls", collector.grpc, certs,
                                    scrape_yaml(api, f"{other_ca_certs}/ca.pem", token_file)))
    harness.wait_for(lambda: metric(agent, "strata_agent_sd_kubernetes_failures_total", job=JOB,
                                    reason="connect") >= 2, what="TLS failures counted")
    assert api.statuses() == []  # no request got through
    assert metric(agent, "strata_agent_scrape_targets", job=JOB) == 0
    agent.process.wait_log(r"Kubernetes API not read.*reason=connect")

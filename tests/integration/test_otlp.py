"""OTLP metrics end to end with the real OpenTelemetry JS SDK (npm): every instrument kind, with
attributes, exported over OTLP/gRPC, OTLP/HTTP protobuf and OTLP/HTTP JSON to the agent's OTLP
receiver, with cumulative and with delta temporality; then raw OTLP/HTTP requests built by hand:
a malformed body beside good requests, and a request whose one bad histogram point is rejected
with a partial success while its other points arrive. The values are asserted at the
collector's query API, computed from what the test asked the SDK to record."""

import json
import math
import os
import re
import shutil
import struct
import subprocess
import time
import urllib.error
import urllib.request

import harness
import pytest

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients")
OTEL_SDK = os.path.join(CLIENTS, "node_modules", "@opentelemetry", "sdk-metrics")
pytestmark = pytest.mark.skipif(shutil.which("node") is None or not os.path.isdir(OTEL_SDK),
                                reason="node or the OpenTelemetry JS SDK missing "
                                       "(scripts/install-test-clients.sh)")

OTLP_CONFIG = """
otlp:
  enabled: true
  grpc_listen: 127.0.0.1:0
  http_listen: 127.0.0.1:0
"""

# Resource attributes that become job and instance rather than target_info labels.
IDENTIFYING = ("service.name", "service.namespace", "service.instance.id")


# --- the agent and the SDK driver -----------------------------------------------------------

def start_otlp_stack(tmp_path, certs, stack, name):
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, name, collector.grpc, certs, "scrape_configs: []",
                                    extra=OTLP_CONFIG))
    return collector, agent


def endpoint(agent, protocol):
    if protocol == "grpc":
        return "http://" + agent.process.listen_addr("otlp_grpc")
    return "http://" + agent.process.listen_addr("otlp_http") + "/v1/metrics"


def run_otel_client(tmp, plan):
    """Runs the SDK driver on `plan`; returns its summary (exports made, resource sent)."""
    path = tmp / "otel-plan.json"
    path.write_text(json.dumps(plan))
    # The exporters read OTEL_* variables (endpoint, headers, temporality); only the plan counts.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    out = subprocess.run(["node", os.path.join(CLIENTS, "otel_client.js"), str(path)],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert [e["round"] for e in summary["exports"]] == list(range(plan["exports"])), summary
    return summary


# --- what the test records ------------------------------------------------------------------

A = {"http.route": "/api/v1/items", "http.response.status_code": 200, "cache.hit": True}
B = {"http.route": "/café/ü", "http.response.status_code": 503, "cache.hit": False,
     "weight": 2.5}
C = {"2xx.class": "ok", "tier": "gold"}


def every_kind(rounds):
    """One instrument of every kind, with the measurements of each of `rounds` export rounds
    and the Prometheus name each should get ("prom"; the driver ignores it). Observable
    counters observe running totals, as an application reports them."""
    rs = range(rounds)
    return [
        {"kind": "counter", "name": "strata.e2e.requests", "unit": "{request}",
         "value_type": "int", "prom": "strata_e2e_requests_total",
         "rounds": [[[r + 1, A], [2 * (r + 1), B]] for r in rs]},
        # The name already ends with the unit's suffix, which is not added twice.
        {"kind": "counter", "name": "strata.e2e.sent.bytes", "unit": "By",
         "prom": "strata_e2e_sent_bytes_total",
         "rounds": [[[1024.5 * (r + 1), C]] for r in rs]},
        {"kind": "counter", "name": "strata.e2e.gc.pause", "unit": "ms",
         "prom": "strata_e2e_gc_pause_milliseconds_total",
         "rounds": [[[0.75, A], [1.5 + r, A]] for r in rs]},
        # "1" adds nothing to a counter.
        {"kind": "counter", "name": "strata.e2e.retries", "unit": "1",
         "prom": "strata_e2e_retries_total",
         "rounds": [[[3, A]] for r in rs]},
        # '/' and '-' escape to '_', and the run of them collapses into one.
        {"kind": "up_down_counter", "name": "strata.e2e.queue/depth--now", "unit": "{item}",
         "value_type": "int", "prom": "strata_e2e_queue_depth_now",
         "rounds": [[[5, A], [-2, A], [-(r + 1), B]] for r in rs]},
        # Explicit buckets from the instrument's advice; values on the bounds fall into the
        # bucket they bound.
        {"kind": "histogram", "name": "strata.e2e.request.duration", "unit": "s",
         "advice": {"explicitBucketBoundaries": [0.005, 0.1, 1, 2.5]},
         "prom": "strata_e2e_request_duration_seconds",
         "rounds": [[[v, A] for v in (0.001, 0.005, 0.05, 0.1, 0.7, 1, 2, 3.5, 10 + r)] +
                    [[0.2 * (r + 1), B]] for r in rs]},
        # Explicit buckets from a View.
        {"kind": "histogram", "name": "strata.e2e.payload.size", "unit": "By",
         "view": {"aggregation": "explicit_bucket_histogram", "boundaries": [100, 1000, 10000]},
         "prom": "strata_e2e_payload_size_bytes",
         "rounds": [[[v, C] for v in (50, 100, 150, 999, 5000, 20000 + r)] for r in rs]},
        # Exponential buckets from a View, a zero among the values.
        {"kind": "histogram", "name": "strata.e2e.latency", "unit": "ms",
         "view": {"aggregation": "exponential_histogram", "max_size": 160},
         "prom": "strata_e2e_latency_milliseconds", "exponential": True,
         "rounds": [[[v, A] for v in (0, 0.5, 1, 1.5, 2, 3, 10, 37.5, 100, 250 + r, 1000)] +
                    [[v, B] for v in (7, 7.25, 8 + r)] for r in rs]},
        {"kind": "gauge", "name": "strata.e2e.temperature", "unit": "Cel",
         "prom": "strata_e2e_temperature_celsius",
         "rounds": [[[21.5 + r, A], [-3.25 - r, B]] for r in rs]},
        {"kind": "gauge", "name": "strata.e2e.disk.used", "unit": "%",
         "prom": "strata_e2e_disk_used_percent",
         "rounds": [[[42.5 + r, C]] for r in rs]},
        {"kind": "gauge", "name": "strata.e2e.altitude", "unit": "m",
         "prom": "strata_e2e_altitude_meters",
         "rounds": [[[1234.5 - r, A]] for r in rs]},
        {"kind": "observable_counter", "name": "strata.e2e.cpu.time", "unit": "s",
         "prom": "strata_e2e_cpu_time_seconds_total",
         "rounds": [[[1.25 * (r + 1), {"cpu.mode": "user"}],
                     [0.5 * (r + 1), {"cpu.mode": "system"}]] for r in rs]},
        {"kind": "observable_up_down_counter", "name": "strata.e2e.connections",
         "unit": "{connection}", "value_type": "int", "prom": "strata_e2e_connections",
         "rounds": [[[10 + r, A], [3 - 2 * r, C]] for r in rs]},
        # "1" on a gauge is a ratio.
        {"kind": "observable_gauge", "name": "strata.e2e.memory.utilization", "unit": "1",
         "prom": "strata_e2e_memory_utilization_ratio",
         "rounds": [[[0.25 + 0.125 * r, A]] for r in rs]},
        {"kind": "observable_gauge", "name": "strata.e2e.network.io.rate", "unit": "By/s",
         "prom": "strata_e2e_network_io_rate_bytes_per_second",
         "rounds": [[[12345.5 + r, A], [99.75 * (r + 1), B]] for r in rs]},
    ]


def label_name(key):
    name = re.sub(r"[^a-zA-Z0-9_]", "_", key)
    return "key_" + name if name[:1].isdigit() else name


def label_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def labels_of(attributes, **more):
    out = {label_name(k): label_value(v) for k, v in attributes.items()}
    out.update(more)
    return frozenset(out.items())


def le_of(bound):
    return str(int(bound)) if float(bound).is_integer() else repr(float(bound))


def measurements(spec):
    """{attribute labels: [values in recording order]} over all rounds."""
    out = {}
    for round_values in spec["rounds"]:
        for value, attributes in round_values:
            out.setdefault(labels_of(attributes), []).append(value)
    return out


def expected_series(spec):
    """{prometheus name: {labels: value}} the agent should produce from `spec` once every round
    is exported, whatever the temporality: it turns deltas into running totals."""
    name, kind = spec["prom"], spec["kind"]
    per_set = measurements(spec)
    if kind in ("counter", "up_down_counter"):
        return {name: {k: math.fsum(v) for k, v in per_set.items()}}
    if kind in ("gauge",) or kind.startswith("observable_"):
        # Gauges keep their last value; observable sums report totals, the last one counts.
        return {name: {k: v[-1] for k, v in per_set.items()}}
    assert kind == "histogram", kind
    out = {name + "_count": {k: len(v) for k, v in per_set.items()},
           name + "_sum": {k: math.fsum(v) for k, v in per_set.items()}}
    if spec.get("exponential"):
        return out
    bounds = spec.get("advice", {}).get("explicitBucketBoundaries") or spec["view"]["boundaries"]
    buckets = {}
    for k, values in per_set.items():
        for b in bounds:
            buckets[k | {("le", le_of(b))}] = sum(1 for v in values if v <= b)
        buckets[k | {("le", "+Inf")}] = len(values)
    out[name + "_bucket"] = buckets
    return out


# --- asserting at the collector ---------------------------------------------------------------

def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def series(collector, name, job):
    """{labels without __name__: value} of every series named `name` of `job`."""
    out = {}
    for s in collector.query(f'{{__name__="{name}",job="{job}"}}'):
        labels = {k: v for k, v in s["metric"].items() if k != "__name__"}
        out[frozenset(labels.items())] = float(s["value"][1])
    return out


def mismatch(actual, want):
    """A description of how `actual` differs from `want`, or "" when they agree."""
    problems = []
    for k in want.keys() - actual.keys():
        problems.append(f"missing {dict(k)} = {want[k]}")
    for k in actual.keys() - want.keys():
        problems.append(f"unexpected {dict(k)} = {actual[k]}")
    for k in want.keys() & actual.keys():
        if not close(actual[k], want[k]):
            problems.append(f"{dict(k)} = {actual[k]}, want {want[k]}")
    return "; ".join(sorted(problems))


def wait_series(collector, name, job, want, timeout=30):
    """Waits until the series of `name` are exactly `want` ({labels: value}, job/instance
    included in the labels)."""
    last = [None]

    def check():
        last[0] = mismatch(series(collector, name, job), want)
        return last[0] == ""
    try:
        harness.wait_for(check, timeout=timeout, what=name)
    except AssertionError:
        raise AssertionError(f"{name}{{job={job!r}}}: {last[0]}") from None


def assert_exponential_buckets(collector, name, job, counts):
    """The classic buckets converted from an exponential histogram: per attribute set, le
    bounds parse, counts never decrease with le, and the +Inf bucket is the count."""
    by_set = {}
    for labels, value in series(collector, name + "_bucket", job).items():
        d = dict(labels)
        le = d.pop("le")
        by_set.setdefault(frozenset(d.items()), []).append((float(le), value))
    assert by_set.keys() == counts.keys(), (sorted(map(dict, by_set)), sorted(map(dict, counts)))
    for k, buckets in by_set.items():
        buckets.sort()
        assert buckets[-1] == (math.inf, counts[k]), (dict(k), buckets)
        assert len(buckets) >= 2, (dict(k), buckets)
        cumulative = [v for _, v in buckets]
        assert cumulative == sorted(cumulative), (dict(k), buckets)


def job_of(resource):
    ns = resource.get("service.namespace")
    return f"{ns}/{resource['service.name']}" if ns else resource["service.name"]


def assert_everything_arrived(collector, instruments, resource, sent_resource):
    job, instance = job_of(resource), resource["service.instance.id"]
    identity = {("job", job), ("instance", instance)}
    for spec in instruments:
        for name, want in expected_series(spec).items():
            wait_series(collector, name, job, {k | identity: v for k, v in want.items()})
        if spec.get("exponential"):
            counts = expected_series(spec)[spec["prom"] + "_count"]
            assert_exponential_buckets(collector, spec["prom"], job,
                                       {k | identity: v for k, v in counts.items()})
    # Everything else about the resource, the SDK's own telemetry.sdk.* included, is in one
    # target_info series, not on each series.
    others = {k: v for k, v in sent_resource.items() if k not in IDENTIFYING}
    assert others, sent_resource
    wait_series(collector, "target_info", job, {labels_of(others, job=job, instance=instance): 1})


def plan_for(protocol, url, temporality, resource, instruments, exports):
    return {"protocol": protocol, "endpoint": url, "temporality": temporality,
            "resource": resource, "meter": {"name": "strata-e2e-meter", "version": "0.3.1"},
            "exports": exports, "headers": {"x-strata-test": protocol},
            "timeout_millis": 10000, "instruments": instruments}


# --- the SDK over each protocol ---------------------------------------------------------------

@pytest.mark.parametrize("protocol,namespace", [("grpc", "strata-e2e"),
                                                ("http/protobuf", None),
                                                ("http/json", "strata-e2e")])
def test_sdk_every_instrument_kind_cumulative(tmp_path, certs, stack, protocol, namespace):
    collector, agent = start_otlp_stack(tmp_path, certs, stack, "agent-otlp")
    service = "otel-" + protocol.replace("/", "-")
    resource = {"service.name": service, "service.instance.id": f"{service}-1",
                "deployment.environment.name": "e2e", "host.arch": "amd64",
                "process.pid": 4242}
    if namespace:
        resource["service.namespace"] = namespace
    instruments = every_kind(rounds=2)
    summary = run_otel_client(tmp_path, plan_for(protocol, endpoint(agent, protocol),
                                                 "cumulative", resource, instruments, 2))
    assert all(e["data_points"] > 0 for e in summary["exports"]), summary
    assert_everything_arrived(collector, instruments, resource, summary["resource"])


def test_sdk_delta_temporality_becomes_cumulative(tmp_path, certs, stack):
    collector, agent = start_otlp_stack(tmp_path, certs, stack, "agent-otlp-delta")
    resource = {"service.name": "otel-delta", "service.namespace": "strata-e2e",
                "service.instance.id": "otel-delta-1"}
    rounds = 3
    instruments = every_kind(rounds)
    summary = run_otel_client(tmp_path, plan_for("http/protobuf",
                                                 endpoint(agent, "http/protobuf"), "delta",
                                                 resource, instruments, rounds))
    assert all(e["data_points"] > 0 for e in summary["exports"]), summary
    # Counters and histograms went out as the deltas of each round; the agent's running totals
    # are what the test recorded over all rounds.
    assert_everything_arrived(collector, instruments, resource, summary["resource"])


# --- raw OTLP/HTTP ----------------------------------------------------------------------------
# A tiny protobuf encoder and decoder for the few OTLP messages these tests build by hand
# (field numbers from opentelemetry/proto/{collector/,}metrics/v1 and common/v1).

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def tag(field, wire_type):
    return varint(field << 3 | wire_type)


def pb_fixed64(field, n):
    return tag(field, 1) + struct.pack("<Q", n)


def pb_double(field, x):
    return tag(field, 1) + struct.pack("<d", x)


def pb_bytes(field, data):
    return tag(field, 2) + varint(len(data)) + data


def pb_string(field, s):
    return pb_bytes(field, s.encode())


def pb_packed_fixed64(field, values):
    return pb_bytes(field, b"".join(struct.pack("<Q", v) for v in values))


def pb_packed_double(field, values):
    return pb_bytes(field, b"".join(struct.pack("<d", v) for v in values))


def key_value(key, value):
    # KeyValue{key=1, value=2 AnyValue{string_value=1}}
    return pb_string(1, key) + pb_bytes(2, pb_string(1, value))


def attributes(field, attrs):
    return b"".join(pb_bytes(field, key_value(k, v)) for k, v in attrs.items())


def gauge_metric(name, unit, points):
    # NumberDataPoint{attributes=7, start_time_unix_nano=2, time_unix_nano=3, as_double=4}
    now = time.time_ns()
    data_points = b"".join(
        pb_bytes(1, attributes(7, attrs) + pb_fixed64(2, now - 10**9) + pb_fixed64(3, now) +
                 pb_double(4, value)) for value, attrs in points)
    # Metric{name=1, unit=3, gauge=5 Gauge{data_points=1}}
    return pb_string(1, name) + pb_string(3, unit) + pb_bytes(5, data_points)


def histogram_metric(name, unit, points):
    """points: [(attrs, explicit_bounds, bucket_counts, count, sum)]"""
    now = time.time_ns()
    data_points = b"".join(
        pb_bytes(1, attributes(9, attrs) + pb_fixed64(2, now - 10**9) + pb_fixed64(3, now) +
                 pb_fixed64(4, count) + pb_double(5, total) +
                 pb_packed_fixed64(6, counts) + pb_packed_double(7, bounds))
        for attrs, bounds, counts, count, total in points)
    # Metric{histogram=9 Histogram{data_points=1, aggregation_temporality=2 (2 = cumulative)}}
    return (pb_string(1, name) + pb_string(3, unit) +
            pb_bytes(9, data_points + tag(2, 0) + varint(2)))


def export_request(resource, metrics):
    # ExportMetricsServiceRequest{resource_metrics=1 ResourceMetrics{resource=1
    # Resource{attributes=1}, scope_metrics=2 ScopeMetrics{metrics=2}}}
    scope_metrics = b"".join(pb_bytes(2, m) for m in metrics)
    resource_metrics = pb_bytes(1, attributes(1, resource)) + pb_bytes(2, scope_metrics)
    return pb_bytes(1, resource_metrics)


def pb_fields(data):
    """{field number: [values]}: ints for varint and fixed wire types, bytes otherwise."""
    out, i = {}, 0

    def read_varint():
        nonlocal i
        shift = n = 0
        while True:
            byte = data[i]
            i += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return n
    while i < len(data):
        key = read_varint()
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value = read_varint()
        elif wire_type == 1:
            value, i = struct.unpack_from("<Q", data, i)[0], i + 8
        elif wire_type == 2:
            size = read_varint()
            value, i = bytes(data[i:i + size]), i + size
        elif wire_type == 5:
            value, i = struct.unpack_from("<I", data, i)[0], i + 4
        else:
            raise AssertionError(f"wire type {wire_type} in {data!r}")
        out.setdefault(field, []).append(value)
    return out


def partial_success(response_body):
    """(rejected_data_points, error_message) of an ExportMetricsServiceResponse; (0, "") when
    it has no partial_success."""
    parts = pb_fields(response_body).get(1)
    if not parts:
        return 0, ""
    fields = pb_fields(parts[-1])
    rejected = fields.get(1, [0])[-1]
    if rejected >= 1 << 63:
        rejected -= 1 << 64
    return rejected, fields.get(2, [b""])[-1].decode()


def post(url, body, content_type):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def test_http_malformed_body_is_400_and_good_requests_keep_working(tmp_path, certs, stack):
    collector, agent = start_otlp_stack(tmp_path, certs, stack, "agent-otlp-raw")
    url = endpoint(agent, "http/protobuf")
    resource = {"service.name": "otlp-raw-malformed", "service.instance.id": "raw-1"}
    job = resource["service.name"]
    identity = {("job", job), ("instance", "raw-1")}

    good_value = [0.0]

    def send_good():
        good_value[0] += 1.5
        status, ctype, body = post(url, export_request(resource, [
            gauge_metric("strata.raw.level", "", [(good_value[0], {"side": "left"})])]),
            "application/x-protobuf")
        assert status == 200, (status, body)
        assert ctype == "application/x-protobuf", ctype
        assert partial_success(body) == (0, ""), body
        wait_series(collector, "strata_raw_level", job,
                    {labels_of({"side": "left"}) | identity: good_value[0]})

    send_good()
    truncated = export_request(resource, [gauge_metric("strata.raw.level", "", [(9.0, {})])])
    for body, content_type in [
            (b"\x0a\xff\xff\xff\xff\x0f", "application/x-protobuf"),  # length past the end
            (truncated[:len(truncated) // 2], "application/x-protobuf"),
            (b"\xff\xfe not protobuf at all", "application/x-protobuf"),
            (b'{"resourceMetrics": [', "application/json"),
            (b'{"resourceMetrics": "not a list"}', "application/json")]:
        status, _, reply = post(url, body, content_type)
        assert status == 400, (body, status, reply)
        assert agent.process.proc.poll() is None, agent.process.log()
        send_good()


def test_http_bad_histogram_point_is_a_partial_success(tmp_path, certs, stack):
    collector, agent = start_otlp_stack(tmp_path, certs, stack, "agent-otlp-partial")
    url = endpoint(agent, "http/protobuf")
    resource = {"service.name": "otlp-raw-partial", "service.instance.id": "raw-2"}
    job = resource["service.name"]
    identity = {("job", job), ("instance", "raw-2")}
    bounds = [1.0, 2.5]
    good_counts = [1, 2, 3]
    good = ({"case": "good"}, bounds, good_counts, sum(good_counts), 17.25)
    bad = ({"case": "bad"}, bounds, [4, 5], 9, 3.0)  # len(bucket_counts) != len(bounds) + 1
    status, ctype, body = post(url, export_request(resource, [
        gauge_metric("strata.raw.gauge", "", [(6.5, {"case": "other"})]),
        histogram_metric("strata.raw.hist", "s", [good, bad])]), "application/x-protobuf")
    assert status == 200, (status, body)
    assert ctype == "application/x-protobuf", ctype
    rejected, message = partial_success(body)
    assert rejected == 1, (rejected, message, body)
    assert message, body

    wait_series(collector, "strata_raw_gauge", job, {labels_of({"case": "other"}) | identity: 6.5})
    good_labels = labels_of(good[0]) | identity
    cumulative = [sum(good_counts[:i + 1]) for i in range(len(good_counts))]
    wait_series(collector, "strata_raw_hist_seconds_bucket", job,
                {good_labels | {("le", le)}: c
                 for le, c in zip([le_of(b) for b in bounds] + ["+Inf"], cumulative)})
    wait_series(collector, "strata_raw_hist_seconds_count", job, {good_labels: good[3]})
    wait_series(collector, "strata_raw_hist_seconds_sum", job, {good_labels: good[4]})
    # The rejected point came in the same request as those that arrived: nothing of it is stored.
    assert collector.query(f'{{job="{job}",case="bad"}}') == []


def test_bearer_token_and_gzip_bodies(tmp_path, certs, stack):
    """With bearer_token_file set, both receivers refuse requests without the token; OTLP/HTTP
    takes gzip bodies, and one that decompresses past max_request_bytes is refused with 413."""
    import gzip
    token_file = tmp_path / "otlp-token"
    token_file.write_text("s3cret-token\n")
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-otlp-auth", collector.grpc, certs,
                                    "scrape_configs: []", extra=OTLP_CONFIG + f"""
  bearer_token_file: {token_file}
  max_request_bytes: 65536
"""))
    url = endpoint(agent, "http/protobuf")
    job = "otlp-auth"
    body = export_request({"service.name": job, "service.instance.id": "a-1"},
                          [gauge_metric("auth.gauge", "", [(7.0, {})])])

    def post_with(data, headers):
        req = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/x-protobuf", **headers})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    assert post_with(body, {}) == 401
    assert post_with(body, {"Authorization": "Bearer wrong"}) == 401
    assert post_with(gzip.compress(body), {"Authorization": "Bearer s3cret-token",
                                           "Content-Encoding": "gzip"}) == 200
    harness.wait_for(lambda: collector.query(f'auth_gauge{{job="{job}"}}'),
                     what="the gzip-compressed gauge at the collector")
    # 1 MiB of zeros compresses to about 1 KiB: small on the wire, over the limit inflated.
    bomb = gzip.compress(body + b"\0" * (1 << 20))
    assert len(bomb) < 65536
    assert post_with(bomb, {"Authorization": "Bearer s3cret-token",
                            "Content-Encoding": "gzip"}) == 413
    assert agent.process.proc.poll() is None

    # gRPC: the SDK's export fails without the token and succeeds with it.
    grpc_url = endpoint(agent, "grpc")
    gauge = [{"kind": "gauge", "name": "auth.grpc", "unit": "", "prom": "auth_grpc",
              "rounds": [[[3.0, {}]]]}]
    plan = plan_for("grpc", grpc_url, "cumulative",
                    {"service.name": job + "-grpc", "service.instance.id": "g-1"}, gauge, 1)
    path = tmp_path / "no-token.json"
    path.write_text(json.dumps(plan))
    out = subprocess.run(["node", os.path.join(CLIENTS, "otel_client.js"), str(path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0, out.stdout
    plan["headers"] = {"authorization": "Bearer s3cret-token"}
    run_otel_client(tmp_path, plan)
    harness.wait_for(lambda: collector.query(f'auth_grpc{{job="{job}-grpc"}}'),
                     what="the gRPC gauge with the token at the collector")
    m = agent.metrics()
    assert m['strata_agent_otlp_requests_total{transport="grpc",code="unauthenticated"}'] >= 1

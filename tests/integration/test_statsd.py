"""StatsD end to end with the real hot-shots client (npm): every metric type over UDP and TCP,
DogStatsD and Telegraf tags, client-side sampling, a buffered client packing many lines into one
datagram, and malformed lines next to good ones. The values are asserted at the collector's
query API, computed from the calls the test makes."""

import json
import os
import shutil
import socket
import subprocess

import harness
import pytest

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients")
HOT_SHOTS = os.path.join(CLIENTS, "node_modules", "hot-shots")
pytestmark = pytest.mark.skipif(shutil.which("node") is None or not os.path.isdir(HOT_SHOTS),
                                reason="node or hot-shots missing "
                                       "(scripts/install-test-clients.sh)")


def run_hot_shots(tmp, clients):
    plan = tmp / "plan.json"
    plan.write_text(json.dumps({"clients": clients}))
    out = subprocess.run(["node", os.path.join(CLIENTS, "statsd_client.js"), str(plan)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def host_port(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def test_hot_shots_every_type_reaches_the_collector(tmp_path, certs, stack):
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-statsd", collector.grpc, certs,
                                    "scrape_configs: []", extra="""
statsd:
  enabled: true
  udp_listen: 127.0.0.1:0
  tcp_listen: 127.0.0.1:0
  flush_interval: 300ms
  quantiles: [0.5, 0.99]
  job: app
  instance: host-1
"""))
    udp_host, udp_port = host_port(agent.process.listen_addr("statsd_udp"))
    tcp_host, tcp_port = host_port(agent.process.listen_addr("statsd_tcp"))
    udp = {"host": udp_host, "port": udp_port, "globalTags": {"env": "test"}}

    latencies_ms = list(range(1, 201))
    sizes = [10 * i for i in range(1, 101)]
    members = [f"user-{i % 150}" for i in range(600)]  # 150 distinct
    run_hot_shots(tmp_path, [
        # Unbuffered UDP: one datagram per call.
        {"options": udp, "calls":
            [["increment", "hs.requests", 1, ["route:/a"]]] * 5 +
            [["increment", "hs.requests", 3, 0.5, ["route:/b"]]] * 4 +  # sent as |@0.5
            [["decrement", "hs.requests", 1, ["route:/a"]]] +          # refused: a counter
            [["gauge", "hs.temp", 20], ["gaugeDelta", "hs.temp", 5],
             ["gaugeDelta", "hs.temp", -2]]},
        # Buffered UDP: everything below in one datagram, so one flush interval sees all the
        # values and the interval's quantiles and distinct count are those of the whole set.
        {"options": {**udp, "maxBufferSize": 60000, "bufferFlushInterval": 60000}, "calls":
            [["timing", "hs.latency", ms, ["op:get"]] for ms in latencies_ms] +
            [["histogram", "hs.size", s, 0.25] for s in sizes] +
            [["distribution", "hs.payload", s] for s in sizes] +
            [["set", "hs.users", m] for m in members]},
        # TCP, Telegraf's tag syntax.
        {"options": {"host": tcp_host, "port": tcp_port, "protocol": "tcp", "telegraf": True,
                     "globalTags": {"dc": "eu"}}, "calls":
            [["increment", "hs.tcp_jobs", 2]] * 3 + [["gauge", "hs.queue", 7]]},
    ])
    # Malformed lines beside good ones in one raw datagram.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"hs.raw:1|c\nnot a metric\nhs.raw:x|c\nhs.raw:2|c|@0.5", (udp_host, udp_port))

    base = 'instance="host-1",job="app"'

    def value(expr):
        result = collector.query(expr)
        return float(result[0]["value"][1]) if len(result) == 1 else None

    def wait_value(expr, want, tol=1e-9):
        harness.wait_for(lambda: (v := value(expr)) is not None and abs(v - want) <= tol,
                         timeout=30, what=f"{expr} == {want} (last {value(expr)})")

    # Counters: cumulative, sampled increments scaled by 1/rate, the decrement refused.
    wait_value(f'hs_requests_total{{{base},env="test",route="/a"}}', 5)
    wait_value(f'hs_requests_total{{{base},env="test",route="/b"}}', 4 * 3 / 0.5)
    wait_value(f'hs_raw_total{{{base}}}', 1 + 2 / 0.5)
    # Gauges: set, then signed deltas.
    wait_value(f'hs_temp{{{base},env="test"}}', 20 + 5 - 2)
    # Timers: seconds; count and sum exact, quantiles within t-digest's error (1 % of rank is
    # 2 ms of this range).
    lat = f'{base},env="test",op="get"'
    wait_value(f'hs_latency_count{{{lat}}}', len(latencies_ms))
    wait_value(f'hs_latency_sum{{{lat}}}', sum(latencies_ms) / 1000, tol=1e-9)
    wait_value(f'max_over_time(hs_latency{{{lat},quantile="0.5"}}[5m])', 0.1005, tol=0.003)
    wait_value(f'max_over_time(hs_latency{{{lat},quantile="0.99"}}[5m])', 0.199, tol=0.003)
    # Histograms sampled at 0.25: every value counts 4 times; distributions as sent.
    wait_value(f'hs_size_count{{{base},env="test"}}', len(sizes) / 0.25)
    wait_value(f'hs_size_sum{{{base},env="test"}}', sum(sizes) / 0.25)
    wait_value(f'max_over_time(hs_size{{{base},env="test",quantile="0.5"}}[5m])', 505, tol=15)
    wait_value(f'hs_payload_count{{{base},env="test"}}', len(sizes))
    wait_value(f'max_over_time(hs_payload{{{base},env="test",quantile="0.99"}}[5m])', 995,
               tol=15)
    # Sets: distinct members in the interval. HyperLogLog at p=14 has a standard error of about
    # 0.8 % of 150 here; 3 is beyond 3.5 sigma.
    wait_value(f'max_over_time(hs_users{{{base},env="test"}}[5m])', len(set(members)), tol=3)
    # TCP with Telegraf tags.
    wait_value(f'hs_tcp_jobs_total{{{base},dc="eu"}}', 6)
    wait_value(f'hs_queue{{{base},dc="eu"}}', 7)

    m = agent.metrics()
    rejected = 'strata_agent_statsd_rejected_lines_total{reason="%s"}'
    assert m[rejected % "negative_counter"] == 1
    assert m[rejected % "no_value"] == 1
    assert m[rejected % "bad_value"] == 1
    assert m['strata_agent_statsd_samples_total{type="timer"}'] == len(latencies_ms)
    assert m['strata_agent_statsd_samples_total{type="set"}'] == len(members)
    assert m['strata_agent_statsd_packets_total{transport="tcp"}'] >= 1
    assert m['strata_agent_statsd_udp_kernel_drops_total'] == 0

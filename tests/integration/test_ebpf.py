"""eBPF collectors end to end: the agent loads its CO-RE programs (these machines run as root
with kernel BTF), the test makes load the programs must see — CPU contention, synced disk
writes, execs and syscalls inside a cgroup of its own, TCP retransmissions in a private network
namespace, an OOM kill inside a memory-limited cgroup — and asserts at the collector's query API
that the counters and histograms moved. A second agent without capabilities must say so in one
log line, export strata_ebpf_up 0 and keep running its other inputs."""

import os
import socket
import subprocess
import sys
import time

import harness
import pytest

EBPF_CONFIG = """
ebpf:
  enabled: true
  interval: 1s
  instance: ebpf-host
"""

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/sys/kernel/btf/vmlinux"),
    reason="needs root and kernel BTF")


def value(collector, expr):
    result = collector.query(expr)
    return sum(float(r["value"][1]) for r in result) if result else None


def wait_above(collector, expr, floor, what):
    """Polls until `expr` is above `floor`; returns its value."""
    found = harness.wait_for(
        lambda: [v] if (v := value(collector, expr)) is not None and v > floor else None,
        timeout=30, what=f"{what}: {expr} > {floor}")
    return found[0]


class ScratchCgroup:
    """A cgroup of the test's own, in the memory controller's hierarchy (v1) or the unified one
    (v2), optionally memory-limited; removed at the end."""

    def __init__(self, name, memory_limit=None):
        unified = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        self.root = "/sys/fs/cgroup" if unified else "/sys/fs/cgroup/memory"
        self.path = os.path.join(self.root, name)
        self.label = "/" + name
        os.makedirs(self.path, exist_ok=True)
        if memory_limit is not None:
            limit_file = "memory.max" if unified else "memory.limit_in_bytes"
            with open(os.path.join(self.path, limit_file), "w") as f:
                f.write(str(memory_limit))
            if not unified:
                # No swap to escape to: the limit is the limit.
                try:
                    with open(os.path.join(self.path, "memory.memsw.limit_in_bytes"), "w") as f:
                        f.write(str(memory_limit))
                except OSError:
                    pass

    def run(self, args, **kw):
        procs = os.path.join(self.path, "cgroup.procs")

        def enter():
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        return subprocess.run(args, preexec_fn=enter, **kw)

    def remove(self):
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)


@pytest.fixture
def ebpf_stack(tmp_path, certs, stack):
    collector = stack.add(harness.Collector(tmp_path, certs))
    agent = stack.add(harness.Agent(tmp_path, "agent-ebpf", collector.grpc, certs,
                                    "scrape_configs: []", extra=EBPF_CONFIG))
    for program in ["runqueue_latency", "block_io_latency", "tcp_retransmits", "cgroup_activity",
                    "oom_kills"]:
        harness.wait_for(lambda: value(collector, f'strata_ebpf_up{{program="{program}"}}') == 1,
                         timeout=30, what=f"{program} loaded (agent log: {agent.process.log()})")
    return collector, agent


def test_latency_histograms_move_under_cpu_and_disk_load(ebpf_stack, tmp_path):
    collector, _ = ebpf_stack
    base = 'job="ebpf",instance="ebpf-host"'
    rq = wait_above(collector, f"ebpf_runqueue_latency_seconds_count{{{base}}}", 0,
                    "run-queue events")
    bio = value(collector, f"ebpf_block_io_latency_seconds_count{{{base}}}") or 0
    # More runnable threads than CPUs for a moment, and synced writes that must reach the disk.
    burners = [subprocess.Popen([sys.executable, "-c",
                                 "import time\nt=time.time()\nwhile time.time()-t<1.5: pass"])
               for _ in range(2 * os.cpu_count())]
    path = tmp_path / "io.bin"
    with open(path, "wb") as f:
        for _ in range(32):
            f.write(os.urandom(256 * 1024))
            f.flush()
            os.fsync(f.fileno())
    for p in burners:
        p.wait()
    wait_above(collector, f"ebpf_runqueue_latency_seconds_count{{{base}}}", rq + 2 * os.cpu_count(),
               "run-queue events after the CPU burners")
    wait_above(collector, f"ebpf_block_io_latency_seconds_count{{{base}}}", bio + 16,
               "block I/O completions after 32 fsyncs")
    # A histogram proper: cumulative buckets ending in +Inf == count, a positive sum.
    result = collector.query(f"ebpf_block_io_latency_seconds_bucket{{{base}}}")
    buckets = sorted((float(r["metric"]["le"]), float(r["value"][1])) for r in result)
    assert buckets[-1][0] == float("inf") and len(buckets) == 27, buckets
    assert [c for _, c in buckets] == sorted(c for _, c in buckets), buckets
    count = value(collector, f"ebpf_block_io_latency_seconds_count{{{base}}}")
    assert buckets[-1][1] <= count + 1e-9  # the count may have moved on since
    assert value(collector, f"ebpf_block_io_latency_seconds_sum{{{base}}}") > 0


def test_execs_and_syscalls_are_counted_per_cgroup(ebpf_stack):
    collector, _ = ebpf_stack
    cg = ScratchCgroup(f"strata-ebpf-test-{os.getpid()}")
    try:
        execs = 25
        cg.run(["/bin/sh", "-c", f"for i in $(seq {execs}); do /bin/true; done"], check=True)
        sel = f'cgroup="{cg.label}"'
        # sh itself, seq, and every /bin/true were exec'd inside the cgroup.
        wait_above(collector, f"ebpf_process_execs_total{{{sel}}}", execs - 1,
                   "execs in the test's cgroup")
        wait_above(collector, f"ebpf_syscalls_total{{{sel}}}", 100, "syscalls in the test's cgroup")
    finally:
        cg.remove()


def test_tcp_retransmits_move(ebpf_stack):
    collector, _ = ebpf_stack
    before = wait_above(collector, "ebpf_tcp_retransmits_total", -1, "the retransmit counter")
    ns = f"strata-ebpf-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        # In a namespace of its own: a connection over lo, lo taken down while data is in
        # flight (the kernel retransmits on timeout), then up again so it completes.
        script = (
            "import socket, subprocess, time\n"
            "subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)\n"
            "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen()\n"
            "c = socket.create_connection(srv.getsockname()); s, _ = srv.accept()\n"
            "subprocess.run(['ip', 'link', 'set', 'lo', 'down'], check=True)\n"
            "c.send(b'x' * 4096)\n"
            "time.sleep(1.5)\n"  # load, not synchronisation: the RTO must fire while lo is down
            "subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)\n"
            "s.settimeout(10); got = 0\n"
            "while got < 4096: got += len(s.recv(65536))\n")
        subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", script], check=True,
                       timeout=60)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    wait_above(collector, "ebpf_tcp_retransmits_total", before, "retransmits after the outage")


def test_oom_kill_in_a_memory_limited_cgroup_is_counted(ebpf_stack):
    collector, _ = ebpf_stack
    before = wait_above(collector, "ebpf_oom_kills_total", -1, "the OOM counter")
    cg = ScratchCgroup(f"strata-ebpf-oom-{os.getpid()}", memory_limit=48 << 20)
    try:
        r = cg.run([sys.executable, "-c", "b = bytearray(512 << 20)\nb[::4096] = b'x' * (128 << 10)"],
                   capture_output=True)
        assert r.returncode == -9, (r.returncode, r.stderr[-500:])  # SIGKILL from the OOM killer
    finally:
        cg.remove()
    wait_above(collector, "ebpf_oom_kills_total", before, "OOM kills after the cgroup's OOM")


def test_without_privileges_one_line_and_up_zero(tmp_path, certs, stack):
    collector = stack.add(harness.Collector(tmp_path, certs))
    node = stack.add(harness.NodeExporter(tmp_path))
    scrape = f"""
scrape_configs:
  - job_name: node
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: ["{node.address}"]
"""
    # Root without any capability: bpf() is refused.
    cfg = harness.write_yaml(tmp_path / "noprivs.yaml", f"""
agent_id: agent-ebpf-noprivs
http_listen: 127.0.0.1:0
collector:
  address: {collector.grpc}
  flush_interval: 200ms
  tls:
    ca_file: {certs}/ca.pem
    cert_file: {certs}/agent.pem
    key_file: {certs}/agent-key.pem
    server_name: localhost
host:
  enabled: false
{scrape}
{EBPF_CONFIG}
""")
    agent = stack.add(harness.Process(
        "agent-noprivs", ["setpriv", "--bounding-set=-all", "--inh-caps=-all", harness.AGENT_BIN,
                          "--config", cfg], str(tmp_path / "noprivs.log")))
    agent.wait_log("eBPF programs unavailable")
    for program in ["runqueue_latency", "oom_kills"]:
        harness.wait_for(lambda: value(collector, f'strata_ebpf_up{{program="{program}"}}') == 0,
                         what=f"strata_ebpf_up 0 for {program}")
    # The other inputs carry on: node_exporter's series arrive.
    harness.wait_for(lambda: collector.query('up{job="node"}'), what="the scrape job's up")
    log = agent.log()
    assert log.count("eBPF programs unavailable") == 1, log
    assert "Operation not permitted" in log

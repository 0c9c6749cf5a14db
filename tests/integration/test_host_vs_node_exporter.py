"""Parity: the agent's built-in host collector (`host:`) against the real node_exporter on the same
machine. The agent ships to a collector; the test reads node_exporter's /metrics, then one complete
agent batch at the collector's query API, then node_exporter again, and checks family by family

* label sets: every series node_exporter serves in both of its scrapes exists at the collector,
  and every series the agent sent exists in one of node_exporter's scrapes, except where the two
  default exclusions differ (node_exporter's are read from its start-up log, since Debian's
  package changes upstream's defaults; the agent's are upstream's, mirrored below);
* values, with a tolerance chosen per kind (TOLERANCES below): exact for constants, between the
  two node_exporter readings for counters and for gauges that only step, and within a stated
  slack around them for gauges that move both ways.
"""

import os
import re
import time

import harness

# The agent's default exclusions (agent/inputs/host/proc_parsers.h), upstream node_exporter's.
AGENT_EXCLUDES = {
    "disk": r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$",
    "netdev": None,
    "mount": r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)"
             r"($|/)",
    "fstype": r"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|"
              r"hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|"
              r"selinuxfs|squashfs|sysfs|tracefs)$",
}
# The node_exporter flags behind each exclusion, as its start-up log names them.
NODE_EXPORTER_FLAGS = {
    "disk": "collector.diskstats.device-exclude",
    "netdev": "collector.netdev.device-exclude",
    "mount": "collector.filesystem.mount-points-exclude",
    "fstype": "collector.filesystem.fs-types-exclude",
}

# Families whose node_exporter series the agent must all have (and no others).
MIRRORED = re.compile(r"node_(cpu_|memory_|vmstat_|pressure_|filesystem_"
                      r"|network_(receive|transmit)_|disk_|load(1|5|15)$|boot_time_seconds$"
                      r"|context_switches_total$|forks_total$|intr_total$|procs_(running|blocked)$"
                      r"|time_seconds$|uname_info$)")
# ...except these, which node_exporter takes from other sources than the files the agent reads.
NOT_MIRRORED = re.compile(
    r"node_disk_(info|ata_.*|device_mapper_info|filesystem_info)"  # udev database and sysfs
    r"|node_network_receive_nohandler_total"  # netlink link stats only, not in /proc/net/dev
    r"|node_network_transmit_queue_length")  # the netclass collector (sysfs)

# Names the agent must export on any Linux machine (pressure only with PSI: see the test).
REQUIRED = {
    "node_vmstat_pgfault", "node_vmstat_pgmajfault", "node_vmstat_pgpgin", "node_vmstat_pgpgout",
    "node_vmstat_pswpin", "node_vmstat_pswpout", "node_vmstat_oom_kill",
    "node_filesystem_size_bytes", "node_filesystem_free_bytes", "node_filesystem_avail_bytes",
    "node_filesystem_files", "node_filesystem_files_free", "node_filesystem_readonly",
    "node_filesystem_device_error", "node_uname_info", "node_time_seconds",
    "node_boot_time_seconds", "node_context_switches_total", "node_forks_total",
    "node_intr_total", "node_procs_running", "node_procs_blocked", "node_load1",
    "node_memory_MemTotal_bytes", "node_cpu_seconds_total", "node_network_receive_bytes_total",
}
PRESSURE = {
    "node_pressure_cpu_waiting_seconds_total", "node_pressure_io_waiting_seconds_total",
    "node_pressure_io_stalled_seconds_total", "node_pressure_memory_waiting_seconds_total",
    "node_pressure_memory_stalled_seconds_total",
}

# Values that do not change while the machine runs: compared exactly.
CONSTANTS = {
    "node_boot_time_seconds", "node_memory_MemTotal_bytes", "node_memory_SwapTotal_bytes",
    "node_memory_VmallocTotal_bytes", "node_memory_Hugepagesize_bytes",
    "node_memory_HugePages_Total", "node_memory_CmaTotal_bytes", "node_filesystem_size_bytes",
    "node_filesystem_files", "node_filesystem_readonly", "node_filesystem_device_error",
    "node_uname_info",
}
# /proc/net/dev sums several link error counters into these three columns; node_exporter 1.5 reads
# netlink link stats instead and reports one of the summands (drop: rx_dropped without
# rx_missed_errors; frame: rx_frame_errors only; carrier: tx_carrier_errors only). So the agent's
# value is at least node_exporter's, and equal when the other summands are 0.
SUMMED_IN_PROC_NET_DEV = {
    "node_network_receive_drop_total", "node_network_receive_frame_total",
    "node_network_transmit_carrier_total",
}


def tolerance(name, ne):
    """How the agent's value of `name` is checked: (kind, slack). `ne` is node_exporter's first
    scrape, for slacks relative to the machine's size."""
    if name in CONSTANTS:
        return "exact", 0.0
    if name in SUMMED_IN_PROC_NET_DEV:
        return "at_least", 0.0
    if name.startswith("node_cpu_"):
        # Counters in USER_HZ ticks; per-CPU iowait (and idle with NO_HZ) can step back a little
        # (proc(5)), so allow 5 ticks.
        return "between", 0.05
    if name.endswith("_total") or name.startswith("node_vmstat_"):
        # Counters; node_exporter multiplies milliseconds by 0.001 where the agent divides by
        # 1000, which can differ in the last bit: 1e-12 relative.
        return "between", 0.0
    if name in ("node_load1", "node_load5", "node_load15"):
        # The kernel updates the load every 5 s and the two readings are < 5 s apart, so the
        # agent's value is one of them.
        return "between", 0.0
    if name == "node_time_seconds":
        # The agent's batch was stamped between the two readings; it has millisecond resolution.
        return "between", 0.001
    if name.startswith("node_memory_"):
        # Gauges that move both ways with everything else running on the machine (others build
        # here): within 5 % of MemTotal of the two readings (HugePages_* counts: exact bracket).
        if name.endswith("_bytes"):
            return "near", 0.05 * ne[("node_memory_MemTotal_bytes", frozenset())]
        return "between", 0.0
    if name in ("node_procs_running", "node_procs_blocked"):
        return "near", 32.0  # Instantaneous task counts.
    if name == "node_disk_io_now":
        return "near", 64.0  # Instantaneous queue depth.
    if name in ("node_filesystem_free_bytes", "node_filesystem_avail_bytes"):
        return "near_fraction", ("node_filesystem_size_bytes", 0.01)  # 1 % of the size.
    if name == "node_filesystem_files_free":
        return "near_fraction", ("node_filesystem_files", 0.01)
    return None, None


_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _unescape(value):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_exposition(text):
    """Prometheus text format → {(name, frozenset(labels)): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        name, _, rest = series.partition("{")
        labels = frozenset((k, _unescape(v)) for k, v in _LABEL.findall(rest))
        out[(name, labels)] = float(value)
    return out


def scrape(node):
    return parse_exposition(harness.http_get(node.url)[1])


def node_exporter_excludes(node):
    """node_exporter's effective exclusions, from the flags it logs at start-up (None: none)."""
    log = node.process.log()
    out = {}
    for key, flag in NODE_EXPORTER_FLAGS.items():
        m = re.search(r'msg="Parsed flag --%s" flag=("(?:[^"\\]|\\.)*"|\S+)' % re.escape(flag), log)
        value = None
        if m:
            value = m.group(1)
            if value.startswith('"'):
                value = _unescape(value[1:-1])
        out[key] = value
    return out


def excluded(key, rules):
    """Whether `rules` (AGENT_EXCLUDES or node_exporter's) exclude the series `key`."""
    name, labels = key
    labels = dict(labels)

    def match(rule, value):
        return rules[rule] is not None and re.search(rules[rule], value) is not None

    if name.startswith("node_disk_"):
        return match("disk", labels.get("device", ""))
    if name.startswith("node_network_"):
        return match("netdev", labels.get("device", ""))
    if name.startswith("node_filesystem_"):
        return match("mount", labels.get("mountpoint", "")) or match("fstype",
                                                                      labels.get("fstype", ""))
    return False


def time_seconds(collector):
    result = collector.query('node_time_seconds{job="node"}')
    return float(result[0]["value"][1]) if result else 0.0


def complete_batch_after(collector, wall_s):
    """The timestamp (ms) of an agent batch stamped after `wall_s`, once a later batch has arrived
    too, so that batch is complete at the collector."""
    ts = harness.wait_for(lambda: (lambda t: t if t > wall_s else None)(time_seconds(collector)),
                          what="an agent batch after node_exporter's first scrape")
    harness.wait_for(lambda: time_seconds(collector) > ts, what="the next agent batch")
    return round(ts * 1000)


def agent_series(collector, ts_ms):
    """Every host series of the batch stamped `ts_ms`, as {(name, frozenset(labels)): value}. A
    range selector returns each sample's own timestamp, so series of older batches that an instant
    selector would still return (a mount or interface gone since) are left out."""
    result = collector.query('{job="node"}[1500ms]', time_s="%.4f" % (ts_ms / 1000 + 0.0005))
    out = {}
    for r in result:
        labels = dict(r["metric"])
        name = labels.pop("__name__")
        labels.pop("job")
        labels.pop("instance")
        for t, v in r["values"]:
            if round(float(t) * 1000) == ts_ms:
                out[(name, frozenset(labels.items()))] = float(v)
    return out


def fmt(key):
    name, labels = key
    return name + "{" + ",".join('%s="%s"' % kv for kv in sorted(labels)) + "}"


def check_value(key, got, before, after, ne):
    """None when the agent's `got` is within the tolerance of node_exporter's two readings, else
    a description of the disagreement."""
    kind, slack = tolerance(key[0], ne)
    lo, hi = min(before, after), max(before, after)
    if kind is None:
        return "%s: no tolerance defined for this family; add it to tolerance()" % fmt(key)
    if kind == "exact":
        ok = got == before == after
    elif kind == "at_least":
        ok = got >= before
    elif kind == "between":
        eps = slack + 1e-12 * max(abs(lo), abs(hi))
        ok = lo - eps <= got <= hi + eps
    elif kind == "near":
        ok = lo - slack <= got <= hi + slack
    else:  # near_fraction: slack relative to another family of the same series.
        base, fraction = slack
        size = ne.get((base, key[1]), 0.0)
        ok = lo - fraction * size <= got <= hi + fraction * size
    if ok:
        return None
    return "%s: agent %r, node_exporter %r then %r (%s)" % (fmt(key), got, before, after, kind)


def test_host_collector_matches_node_exporter(tmp_path, certs, stack):
    node = stack.add(harness.NodeExporter(tmp_path))
    collector = stack.add(harness.Collector(tmp_path, certs))
    stack.add(harness.Agent(tmp_path, "agent-host-parity", collector.grpc, certs,
                            "scrape_configs: []", host_enabled=True))
    harness.wait_for(lambda: time_seconds(collector) > 0, what="the agent's first host batch")
    ne_excludes = node_exporter_excludes(node)

    def measure():
        """node_exporter, then a complete agent batch stamped after that, then node_exporter
        again; None when the readings ended up too far apart for the load check (a stalled
        machine), so that wait_for takes another."""
        before = scrape(node)
        ts_ms = complete_batch_after(collector, time.time())
        agent = agent_series(collector, ts_ms)
        after = scrape(node)
        window_s = (after[("node_time_seconds", frozenset())] -
                    before[("node_time_seconds", frozenset())])
        return (before, ts_ms, agent, after, window_s) if window_s < 4.5 else None

    before, ts_ms, agent, after, window_s = harness.wait_for(
        measure, timeout=60, what="node_exporter readings less than 4.5 s apart")

    names = {name for name, _ in agent}
    missing = REQUIRED - names
    if os.path.exists("/proc/pressure/cpu"):
        missing |= PRESSURE - names
    assert not missing, sorted(missing)
    assert agent[("node_time_seconds", frozenset())] == ts_ms / 1000

    problems = []
    explained = []
    # Every agent series is one node_exporter served, unless node_exporter's defaults exclude it.
    for key in sorted(agent, key=fmt):
        if key in before or key in after:
            continue
        if excluded(key, ne_excludes) and not excluded(key, AGENT_EXCLUDES):
            explained.append("agent only (node_exporter excludes it): " + fmt(key))
        else:
            problems.append("only at the agent: " + fmt(key))
    # Every series of the mirrored families node_exporter served twice reached the collector,
    # unless the agent's defaults exclude it.
    for key in sorted(before.keys() & after.keys(), key=fmt):
        if key in agent or not MIRRORED.match(key[0]) or NOT_MIRRORED.fullmatch(key[0]):
            continue
        if excluded(key, AGENT_EXCLUDES) and not excluded(key, ne_excludes):
            explained.append("node_exporter only (the agent excludes it): " + fmt(key))
        else:
            problems.append("missing at the agent: " + fmt(key))
    # Values.
    compared = 0
    for key, got in sorted(agent.items(), key=lambda kv: fmt(kv[0])):
        if key in before and key in after:
            compared += 1
            problem = check_value(key, got, before[key], after[key], before)
            if problem:
                problems.append(problem)

    print("compared %d values of %d agent series (%d names) over a %.2fs window; "
          "node_exporter exclusions %s" % (compared, len(agent), len(names), window_s, ne_excludes))
    for line in explained:
        print(line)
    assert not problems, "\n".join(problems[:40] + ["(%d in all)" % len(problems)])
    assert compared > 100

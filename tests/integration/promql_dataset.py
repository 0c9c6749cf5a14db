"""A deterministic (seeded) data set shaped like node_exporter plus an instrumented app, for the
PromQL differential test: the same samples go to the real Prometheus (as OpenMetrics, through
`promtool tsdb create-blocks-from openmetrics`) and to the collector (through remote write).

Shape, over DURATION_S at a 15 s scrape interval, ending END_MARGIN_S before "now" (so the
collector's hot tier accepts it):
  * 4 node instances: node_cpu_seconds_total{cpu,mode} counters (two instances reboot once, so
    their counters reset), node_memory_{MemTotal,MemAvailable,MemFree}_bytes gauges, node_load1
    with two decimals, node_network_receive_bytes_total{device}, node_uname_info (info metric for
    group_left joins), node_boot_time_seconds.
  * 2 app instances: a classic histogram http_request_duration_seconds_{bucket,sum,count} by
    {handler,code,le} (one app restarts once, resetting all its counters), a gauge with NaN values
    (app_temperature_celsius), a gauge that stops and restarts after a gap longer than the
    lookback delta (app_queue_depth{queue="batch"}), a gauge that stops well before the end
    (app_queue_depth{queue="legacy"}), and app_requests_total{path} whose values "/x" and "/x/"
    collide after label_replace.

Timestamps: every scrape is jittered 150..850 ms off a whole second (on top of a whole-second
per-instance phase), so no sample ever sits on a window boundary as long as queries use whole
seconds (Prometheus 2.42 range windows are left-closed, 3.x left-open; see the test module).
Counters start from large values, so for a counter that starts inside a rate() window the
extrapolation towards its zero point is never the deciding limit: exactly there Prometheus 2.51
changed the order of the two limits (#13725, "Constrain extrapolation in rate() to half of sample
interval"), so 2.42 and 3.x would disagree.
"""

import math
import random
import time

SCRAPE_INTERVAL_MS = 15_000
DURATION_S = 9_000  # 2.5 h
END_MARGIN_S = 120
JITTER_MS = (150, 850)

NODE_INSTANCES = [f"node-{i}:9100" for i in range(4)]
APP_INSTANCES = [f"app-{i}:8080" for i in range(2)]
CPU_MODES = {"idle": 13.2, "user": 1.1, "system": 0.45, "iowait": 0.08}
HISTOGRAM_BUCKETS = ["0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf"]
HANDLERS = ["/api/v1/query", "/metrics"]
CODES = ["200", "500"]


def _key(labels):
    return tuple(sorted(labels.items()))


class Dataset:
    """series: list of (labels dict incl. __name__, [(timestamp_ms, value), ...]) in time order."""

    def __init__(self, seed=20240611, end_s=None):
        self.seed = seed
        if end_s is None:
            end_s = (int(time.time()) // 60) * 60 - END_MARGIN_S
        self.end_s = end_s
        self.start_s = end_s - DURATION_S
        self._rng = random.Random(seed)
        self._series = {}
        self.events = {}  # "reboot:<instance>" / "restart:<instance>" -> timestamp (ms)
        self._generate()
        self.series = [(dict(k), v) for k, v in sorted(self._series.items())]

    # -- helpers ------------------------------------------------------------------------------
    def _add(self, labels, t_ms, value):
        self._series.setdefault(_key(labels), []).append((t_ms, float(value)))

    def _scrape_times(self, phase_s):
        """Whole-second grid + phase, each scrape jittered into the middle of its second."""
        out = []
        t0 = self.start_s * 1000 + phase_s * 1000
        i = 0
        while True:
            t = t0 + i * SCRAPE_INTERVAL_MS + self._rng.randint(*JITTER_MS)
            if t > self.end_s * 1000:
                return out
            out.append(t)
            i += 1

    # -- generators ---------------------------------------------------------------------------
    def _generate(self):
        rng = self._rng
        for n, inst in enumerate(NODE_INSTANCES):
            times = self._scrape_times(phase_s=3 * n + 1)
            reboot_at = len(times) * (n + 2) // 7 if n in (1, 3) else None
            base = {"job": "node", "instance": inst}
            cpus = {(cpu, mode): 250_000.0 + rng.uniform(0, 50_000) * (rate / 13.2)
                    for cpu in ("0", "1") for mode, rate in CPU_MODES.items()}
            mem_total = float((8 + 8 * (n % 2)) * 1024 ** 3)
            avail = mem_total * rng.uniform(0.4, 0.7)
            load = rng.uniform(0.2, 2.0)
            net = {"eth0": rng.uniform(1e10, 5e10), "lo": rng.uniform(1e8, 5e8)}
            boot = float(self.start_s - 86_400 * (n + 1))
            uname = dict(base, __name__="node_uname_info", nodename=f"host{n}",
                         release=f"6.1.0-{n % 2 + 17}-amd64")
            for i, t in enumerate(times):
                if i == reboot_at:  # reboot: every counter restarts near zero
                    self.events[f"reboot:{inst}"] = t
                    cpus = {k: rng.uniform(0.0, 3.0) for k in cpus}
                    net = {d: float(rng.randint(0, 4096)) for d in net}
                    boot = t / 1000.0 - 20.0
                for (cpu, mode), v in cpus.items():
                    cpus[(cpu, mode)] = round(v + CPU_MODES[mode] * rng.uniform(0.6, 1.4), 2)
                    self._add(dict(base, __name__="node_cpu_seconds_total", cpu=cpu, mode=mode), t,
                              cpus[(cpu, mode)])
                avail = min(mem_total * 0.95, max(mem_total * 0.05,
                                                  avail + rng.gauss(0, mem_total * 0.004)))
                self._add(dict(base, __name__="node_memory_MemTotal_bytes"), t, mem_total)
                self._add(dict(base, __name__="node_memory_MemAvailable_bytes"), t,
                          float(int(avail) // 4096 * 4096))
                self._add(dict(base, __name__="node_memory_MemFree_bytes"), t,
                          float(int(avail * 0.6) // 4096 * 4096))
                load = max(0.0, load + rng.gauss(0, 0.15))
                self._add(dict(base, __name__="node_load1"), t, round(load, 2))
                for d in net:
                    net[d] += float(rng.randint(20_000, 2_000_000) if d == "eth0" else
                                    rng.randint(100, 5_000))
                    self._add(dict(base, __name__="node_network_receive_bytes_total", device=d), t,
                              net[d])
                self._add(uname, t, 1.0)
                self._add(dict(base, __name__="node_boot_time_seconds"), t, boot)

        for n, inst in enumerate(APP_INSTANCES):
            times = self._scrape_times(phase_s=7 + 2 * n)
            restart_at = len(times) * 3 // 5 if n == 1 else None
            base = {"job": "api", "instance": inst}
            upper = [float(b) for b in HISTOGRAM_BUCKETS]
            hist = {(h, c): ([0] * len(upper), 0.0) for h in HANDLERS for c in CODES}
            for key in hist:  # a long-running process: large starting counts
                counts = sorted(rng.randint(50_000, 400_000) for _ in upper)
                hist[key] = (counts, counts[-1] * rng.uniform(0.1, 0.4))
            temp = rng.uniform(40, 60)
            reqs = {"/x": rng.randint(10_000, 90_000), "/x/": rng.randint(10_000, 90_000),
                    "/y": rng.randint(10_000, 90_000)}
            gap = (len(times) // 3, len(times) // 3 + 120)  # a 30 min hole in the batch queue
            legacy_stop = len(times) - 160  # stops 40 min before the end, never comes back
            for i, t in enumerate(times):
                if i == restart_at:
                    self.events[f"restart:{inst}"] = t
                    hist = {k: ([0] * len(upper), 0.0) for k in hist}
                    reqs = {p: 0 for p in reqs}
                for (h, c), (counts, total) in hist.items():
                    mean = 0.08 if h == "/metrics" else 0.35
                    n_new = rng.randint(0, 40 if c == "200" else 4)
                    new = [rng.expovariate(1 / mean) for _ in range(n_new)]
                    counts = [cnt + sum(1 for x in new if x <= ub)
                              for cnt, ub in zip(counts, upper)]
                    total = total + sum(new)
                    hist[(h, c)] = (counts, total)
                    lbl = dict(base, handler=h, code=c)
                    for le, cnt in zip(HISTOGRAM_BUCKETS, counts):
                        self._add(dict(lbl, __name__="http_request_duration_seconds_bucket", le=le),
                                  t, cnt)
                    self._add(dict(lbl, __name__="http_request_duration_seconds_sum"), t, total)
                    self._add(dict(lbl, __name__="http_request_duration_seconds_count"), t,
                              counts[-1])
                temp = temp + rng.gauss(0, 0.5)
                value = math.nan if rng.random() < 0.06 else round(temp, 1)
                for sensor in ("cpu", "board"):
                    self._add(dict(base, __name__="app_temperature_celsius", sensor=sensor), t,
                              value if sensor == "cpu" else round(temp - 7.5, 1))
                if not gap[0] <= i < gap[1]:
                    self._add(dict(base, __name__="app_queue_depth", queue="batch"), t,
                              float(rng.randint(0, 50)))
                if i < legacy_stop:
                    self._add(dict(base, __name__="app_queue_depth", queue="legacy"), t,
                              float(rng.randint(0, 5)))
                for p in reqs:
                    reqs[p] += rng.randint(0, 30)
                    self._add(dict(base, __name__="app_requests_total", path=p), t,
                              float(reqs[p]))

    # -- facts the queries are built around ---------------------------------------------------
    def num_samples(self):
        return sum(len(s) for _, s in self.series)

    def queue_gap_s(self):
        """(first missing, first back) whole seconds of the batch queue's gap on app-0."""
        samples = next(s for lbl, s in self.series if lbl["__name__"] == "app_queue_depth"
                       and lbl["queue"] == "batch" and lbl["instance"] == APP_INSTANCES[0])
        for (t0, _), (t1, _) in zip(samples, samples[1:]):
            if t1 - t0 > 10 * SCRAPE_INTERVAL_MS:
                return t0 // 1000 + 1, t1 // 1000
        raise AssertionError("no gap in the batch queue series")

    # -- encodings ----------------------------------------------------------------------------
    def openmetrics(self):
        """OpenMetrics text (no TYPE metadata: everything is 'unknown'), one series at a time in
        time order, as `promtool tsdb create-blocks-from openmetrics` wants it."""
        lines = []
        for labels, samples in self.series:
            name = labels["__name__"]
            lbl = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())
                           if k != "__name__")
            head = f"{name}{{{lbl}}} "
            for t, v in samples:
                lines.append(f"{head}{format_value(v)} {format_ts(t)}")
        lines.append("# EOF")
        return "\n".join(lines) + "\n"

    def remote_write_batches(self, max_samples=4000):
        """Batches for remote write in time order across all series (like a real sender): each
        batch holds every series' samples of one time slice, so no series goes backwards."""
        slice_ms = max(SCRAPE_INTERVAL_MS, max_samples // max(1, len(self.series))
                       * SCRAPE_INTERVAL_MS)
        t = self.start_s * 1000
        idx = [0] * len(self.series)
        while t <= self.end_s * 1000 + SCRAPE_INTERVAL_MS:
            t_next = t + slice_ms
            batch = []
            for n, (labels, samples) in enumerate(self.series):
                j = idx[n]
                while j < len(samples) and samples[j][0] < t_next:
                    j += 1
                if j > idx[n]:
                    batch.append((labels, samples[idx[n]:j]))
                    idx[n] = j
            if batch:
                yield batch
            t = t_next
        assert all(i == len(s) for i, (_, s) in zip(idx, self.series)), "samples left over"


def _escape(v):
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def format_value(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)  # shortest round-trip form; Go's ParseFloat reads back the same double


def format_ts(t_ms):
    """Seconds with exactly three decimals; promtool's OpenMetrics parser turns it back into the
    same integer milliseconds (checked by the test via the raw samples it reads back)."""
    return f"{t_ms // 1000}.{t_ms % 1000:03d}"

"""The real Prometheus (Debian's `prometheus` package, 2.42) as a reference peer: loaded either
from TSDB blocks that `promtool tsdb create-blocks-from openmetrics` builds, or through its
remote-write receiver; plus a small HTTP query client shared by both sides of the differential
test and the `promtool query` CLI."""

import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import harness

PROMETHEUS_BIN = "/usr/bin/prometheus"
PROMTOOL_BIN = "/usr/bin/promtool"


def available():
    return os.access(PROMETHEUS_BIN, os.X_OK) and os.access(PROMTOOL_BIN, os.X_OK)


def prometheus_version():
    out = subprocess.run([PROMETHEUS_BIN, "--version"], capture_output=True, text=True).stdout
    return out.split("\n")[0]


def create_blocks(openmetrics_text, work_dir, data_dir):
    """Backfills `data_dir` from OpenMetrics text (2 h blocks aligned like Prometheus' own)."""
    src = os.path.join(work_dir, "dataset.om.txt")
    with open(src, "w") as f:
        f.write(openmetrics_text)
    os.makedirs(data_dir, exist_ok=True)
    r = subprocess.run([PROMTOOL_BIN, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                        src, data_dir], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"promtool create-blocks-from failed:\n{r.stdout}\n{r.stderr}")
    os.remove(src)


class QueryClient:
    """Raw access to a Prometheus-compatible HTTP query API: every call returns
    (http_status, parsed JSON body or None, raw body)."""

    def __init__(self, base_url):
        self.base = base_url.rstrip("/")

    def get(self, path, params, timeout=30):
        url = self.base + path + "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                status, body = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode(errors="replace")
        try:
            # Timestamps stay text so they can be compared exactly (as milliseconds).
            doc = json.loads(body, parse_float=str, parse_int=str)
        except ValueError:
            doc = None
        return status, doc, body

    def instant(self, expr, time_s):
        return self.get("/api/v1/query", {"query": expr, "time": str(time_s)})

    def range(self, expr, start_s, end_s, step):
        return self.get("/api/v1/query_range", {"query": expr, "start": str(start_s),
                                                  "end": str(end_s), "step": str(step)})

    def series_count(self, start_s, end_s):
        status, doc, _ = self.get("/api/v1/series", {"match[]": '{__name__=~".+"}',
                                                     "start": str(start_s), "end": str(end_s)})
        if status != 200 or not doc or doc.get("status") != "success":
            return -1
        return len(doc["data"])


class Prometheus:
    """A Prometheus on 127.0.0.1 with its own data dir under `tmp`; it scrapes nothing unless
    given `scrape_yaml` (a top-level `scrape_configs:` block)."""

    def __init__(self, tmp, name="prometheus", data_dir=None, remote_write_receiver=False,
                 extra_args=(), scrape_yaml="scrape_configs: []\n"):
        self.tmp = tmp
        self.data_dir = str(data_dir or (tmp / f"{name}-data"))
        os.makedirs(self.data_dir, exist_ok=True)
        cfg = harness.write_yaml(tmp / f"{name}.yml",
                                 "global:\n  evaluation_interval: 1m\n" + scrape_yaml)
        args = [f"--config.file={cfg}", f"--storage.tsdb.path={self.data_dir}",
                "--query.lookback-delta=5m",
                "--storage.tsdb.retention.time=30d", "--log.level=warn", *extra_args]
        if remote_write_receiver:
            args.append("--web.enable-remote-write-receiver")
        for attempt in range(5):
            self.port = harness.free_port()
            self.process = harness.Process(
                name, [PROMETHEUS_BIN, f"--web.listen-address=127.0.0.1:{self.port}", *args],
                str(tmp / f"{name}{attempt}.log"))
            try:
                harness.wait_for(self._ready, timeout=30, what=f"{name} /-/ready")
                self.client = QueryClient(self.url)
                return
            except AssertionError:
                self.process.stop()
        raise AssertionError(f"{name} did not start:\n{self.process.log()}")

    def _ready(self):
        if self.process.proc.poll() is not None:
            raise AssertionError(f"prometheus exited:\n{self.process.log()}")
        return harness.http_get_status(self.url + "/-/ready")[0] == 200

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        return self.process.stop()


def promtool_query(server_url, expr, time_s=None, start_s=None, end_s=None, step=None):
    """Runs `promtool query instant|range` and returns (exit code, stdout, stderr)."""
    if time_s is not None:
        args = [PROMTOOL_BIN, "query", "instant", f"--time={time_s}", server_url, expr]
    else:
        args = [PROMTOOL_BIN, "query", "range", f"--start={start_s}", f"--end={end_s}",
                f"--step={step}", server_url, expr]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr

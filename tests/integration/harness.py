"""Helpers for integration tests: start the real binaries and real peers on 127.0.0.1 with temp
dirs, wait for conditions by polling with a deadline, and stop everything afterwards."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("STRATA_BUILD_DIR", os.path.join(ROOT, "build"))
COLLECTOR_BIN = os.path.join(BUILD, "collector", "strata-collector")
AGENT_BIN = os.path.join(BUILD, "agent", "strata-agent")
NODE_EXPORTER_BIN = "/usr/bin/prometheus-node-exporter"


def wait_for(predicate, timeout=30.0, interval=0.1, what="condition"):
    """Polls predicate() until it returns a truthy value; returns it or raises on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last={last!r})")


def free_port():
    """A port that was free a moment ago (for peers that cannot report a port-0 bind)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gen_certs(directory):
    subprocess.run([os.path.join(ROOT, "scripts", "gen-dev-certs.sh"), str(directory)],
                   check=True, stdout=subprocess.DEVNULL)
    return directory


def http_get(url, timeout=5, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read().decode()


def http_get_status(url, timeout=5, headers=None):
    try:
        return http_get(url, timeout, headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None, ""


def parse_metrics(text):
    """Parses a Prometheus text exposition into {series_string: float} (test-side, simple)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        try:
            out[series] = float(value)
        except ValueError:
            pass
    return out


class Process:
    """A started binary whose stderr goes to a log file we can search."""

    def __init__(self, name, args, log_path, cwd=None, env=None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd,
                                     env=env)

    def log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=30.0):
        rx = re.compile(pattern)

        def find():
            m = rx.search(self.log())
            if m is None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}):\n{self.log()}")
            return m
        return wait_for(find, timeout, what=f"{self.name} log /{pattern}/")

    def listen_addr(self, listener):
        m = self.wait_log(rf"msg=listening component_listener={listener} addr=(\S+)")
        return m.group(1)

    def stop(self, timeout=15.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def write_yaml(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


class Collector:
    def __init__(self, tmp, certs, extra="", grpc_listen="127.0.0.1:0"):
        cfg = write_yaml(tmp / "collector.yaml", f"""
http_listen: 127.0.0.1:0
grpc_listen: {grpc_listen}
data_dir: {tmp}/data
tls:
  ca_file: {certs}/ca.pem
  cert_file: {certs}/collector.pem
  key_file: {certs}/collector-key.pem
{extra}
""")
        self.started_ms = time.time() * 1000
        self.process = Process("collector", [COLLECTOR_BIN, "--config", cfg],
                               str(tmp / "collector.log"))
        self.http = "http://" + self.process.listen_addr("http")
        self.grpc = self.process.listen_addr("grpc")
        wait_for(lambda: http_get_status(self.http + "/-/ready")[0] == 200, what="collector ready")

    def query(self, expr, time_s=None):
        params = {"query": expr}
        if time_s is not None:
            params["time"] = str(time_s)
        _, body = http_get(self.http + "/api/v1/query?" + urllib.parse.urlencode(params))
        doc = json.loads(body)
        assert doc["status"] == "success", doc
        return doc["data"]["result"]

    def metrics(self):
        return parse_metrics(http_get(self.http + "/metrics")[1])

    def stop(self):
        return self.process.stop()


class Agent:
    def __init__(self, tmp, name, collector_grpc, certs_dir, scrape_yaml, cert="agent",
                 extra="", host_enabled=False):
        cert_file = f"{certs_dir}/{cert}.pem" if cert else ""
        key_file = f"{certs_dir}/{cert}-key.pem" if cert else ""
        cfg = write_yaml(tmp / f"{name}.yaml", f"""
agent_id: {name}
http_listen: 127.0.0.1:0
collector:
  address: {collector_grpc}
  flush_interval: 200ms
  connect_timeout: 2s
  backoff_max: 1s
  tls:
    ca_file: {certs_dir}/ca.pem
    cert_file: "{cert_file}"
    key_file: "{key_file}"
    server_name: localhost
host:
  enabled: {"true" if host_enabled else "false"}
  interval: 1s
{scrape_yaml}
{extra}
""")
        self.process = Process(name, [AGENT_BIN, "--config", cfg], str(tmp / f"{name}.log"))
        self.http = "http://" + self.process.listen_addr("http")

    def metrics(self):
        return parse_metrics(http_get(self.http + "/metrics")[1])

    def stop(self):
        return self.process.stop()


class NodeExporter:
    def __init__(self, tmp):
        self.textfile_dir = tmp / "textfile"
        self.textfile_dir.mkdir()
        for attempt in range(5):
            self.port = free_port()
            self.process = Process("node_exporter", [
                NODE_EXPORTER_BIN, f"--web.listen-address=127.0.0.1:{self.port}",
                f"--collector.textfile.directory={self.textfile_dir}"],
                str(tmp / f"node_exporter{attempt}.log"))
            try:
                wait_for(lambda: http_get_status(self.url)[0] == 200, timeout=10,
                         what="node_exporter up")
                return
            except AssertionError:
                self.process.stop()
        raise AssertionError("node_exporter did not start")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"http://{self.address}/metrics"

    def write_textfile(self, name, text):
        tmp = self.textfile_dir / (name + ".tmp")
        tmp.write_text(text)
        os.rename(tmp, self.textfile_dir / (name + ".prom"))

    def scrape(self):
        return parse_metrics(http_get(self.url)[1])

    def stop(self):
        return self.process.stop()


class VmAgent:
    """A real vmagent scraping `targets` and remote-writing to `write_url`."""

    def __init__(self, tmp, targets, write_url, interval="1s"):
        scrape = write_yaml(tmp / "vmagent-scrape.yml", f"""
scrape_configs:
  - job_name: vm-node
    scrape_interval: {interval}
    static_configs:
      - targets: {json.dumps(targets)}
""")
        self.port = free_port()
        self.process = Process("vmagent", [
            "/usr/bin/vmagent", f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-promscrape.config={scrape}", f"-remoteWrite.url={write_url}",
            f"-remoteWrite.tmpDataPath={tmp}/vmagent-data", "-remoteWrite.flushInterval=500ms",
            "-loggerLevel=WARN"], str(tmp / "vmagent.log"))

    def metrics(self):
        return parse_metrics(http_get(f"http://127.0.0.1:{self.port}/metrics")[1])

    def stop(self):
        return self.process.stop()

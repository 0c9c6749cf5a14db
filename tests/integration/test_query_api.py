"""The Prometheus HTTP API surface beyond queries, against the real collector: status endpoints,
format/parse_query, the empty-result endpoints, form-encoded POST, and gzip responses."""

import datetime
import gzip
import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

import harness


@pytest.fixture
def collector(tmp_path, certs, stack):
    return stack.add(harness.Collector(tmp_path, certs, extra="storage:\n  retention: 2d\n"))


def request(url, data=None, headers=None):
    """(status, headers, raw body bytes) without any decoding; HTTP errors are returned too."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def get_json(collector, path, **params):
    url = collector.http + path + ("?" + urllib.parse.urlencode(params) if params else "")
    status, _, body = request(url)
    return status, json.loads(body)


def post_form(collector, path, params):
    data = urllib.parse.urlencode(params).encode()
    status, _, body = request(collector.http + path, data=data,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    return status, json.loads(body)


def test_buildinfo_has_prometheus_keys_and_our_version(collector):
    status, doc = get_json(collector, "/api/v1/status/buildinfo")
    assert status == 200 and doc["status"] == "success"
    assert list(doc["data"]) == ["version", "revision", "branch", "buildUser", "buildDate",
                                 "goVersion"]
    version = subprocess.run([harness.COLLECTOR_BIN, "--version"], capture_output=True,
                             text=True, timeout=10).stdout.split()[-1]
    assert doc["data"]["version"] == version
    assert doc["data"]["goVersion"]  # the compiler


def test_runtimeinfo_reports_process_and_retention(collector):
    status, doc = get_json(collector, "/api/v1/status/runtimeinfo")
    assert status == 200
    data = doc["data"]
    assert list(data) == ["startTime", "CWD", "hostname", "serverTime", "reloadConfigSuccess",
                          "lastConfigTime", "corruptionCount", "goroutineCount", "GOMAXPROCS",
                          "GOMEMLIMIT", "GOGC", "GODEBUG", "storageRetention"]
    assert data["CWD"] == os.getcwd()
    assert data["storageRetention"] == "2d"
    assert data["reloadConfigSuccess"] is True
    assert data["goroutineCount"] >= 2  # main + HTTP server at least
    assert data["GOMAXPROCS"] >= 1
    # RFC 3339 with trailing zeros of the fraction dropped (Go's RFC3339Nano), so compare the
    # times, not the strings ("34.4Z" is before "34.487Z").
    def parse(t):
        assert t.endswith("Z"), t
        return datetime.datetime.fromisoformat(t[:-1].ljust(23, "0")[:23] if "." in t
                                               else t[:-1])
    assert parse(data["startTime"]) <= parse(data["serverTime"])


def test_flags_and_config_are_the_effective_settings(collector, tmp_path):
    status, doc = get_json(collector, "/api/v1/status/flags")
    assert status == 200
    flags = doc["data"]
    assert flags["config"] == str(tmp_path / "collector.yaml")
    assert flags["data-dir"] == f"{tmp_path}/data"
    assert flags["http-listen"] == "127.0.0.1:0"
    assert all(isinstance(v, str) for v in flags.values())
    status, doc = get_json(collector, "/api/v1/status/config")
    assert status == 200
    assert list(doc["data"]) == ["yaml"]
    assert "storage:\n  retention: 48h\n" in doc["data"]["yaml"]  # the config's own format
    assert not any(line.lstrip().startswith("#") for line in doc["data"]["yaml"].splitlines())


def test_format_query_get_and_post(collector):
    # The example of Prometheus' API documentation.
    assert get_json(collector, "/api/v1/format_query", query="foo/bar") == (
        200, {"status": "success", "data": "foo / bar"})
    assert post_form(collector, "/api/v1/format_query",
                     {"query": "sum by(job)(rate(x[90s]))"}) == (
        200, {"status": "success", "data": "sum by (job) (rate(x[1m30s]))"})
    status, doc = get_json(collector, "/api/v1/format_query", query="foo +")
    assert status == 400
    assert doc == {"status": "error", "errorType": "bad_data",
                   "error": 'invalid parameter "query": 1:6: parse error: unexpected end of input'}


def test_parse_query_returns_the_documented_tree(collector):
    status, doc = post_form(collector, "/api/v1/parse_query", {"query": "foo/bar"})
    assert status == 200
    data = doc["data"]
    assert data["type"] == "binaryExpr" and data["op"] == "/"
    assert data["matching"] == {"card": "one-to-one", "include": [], "labels": [], "on": False}
    assert data["lhs"] == {"type": "vectorSelector", "name": "foo", "offset": 0,
                           "startOrEnd": None, "timestamp": None,
                           "matchers": [{"name": "__name__", "type": "=", "value": "foo"}]}


def test_endpoints_without_data_answer_empty_shapes(collector):
    assert get_json(collector, "/api/v1/metadata", metric="up", limit="5") == (
        200, {"status": "success", "data": {}})
    assert get_json(collector, "/api/v1/metadata", limit="x")[0] == 400
    assert get_json(collector, "/api/v1/query_exemplars", query="up", start="0", end="10") == (
        200, {"status": "success", "data": []})
    assert post_form(collector, "/api/v1/query_exemplars", {"query": "up"}) == (
        200, {"status": "success", "data": []})
    assert get_json(collector, "/api/v1/rules") == (200, {"status": "success",
                                                          "data": {"groups": []}})
    assert get_json(collector, "/api/v1/alerts") == (200, {"status": "success",
                                                           "data": {"alerts": []}})


@pytest.mark.parametrize("path,params", [
    ("/api/v1/query", {"query": "vector(1) + 1", "time": "1700000000"}),
    ("/api/v1/query_range", {"query": "vector(2)", "start": "1700000000",
                             "end": "1700000060", "step": "15"}),
    ("/api/v1/series", {"match[]": "up"}),
    ("/api/v1/labels", {"match[]": "up"}),
    ("/api/v1/format_query", {"query": "a+b"}),
    ("/api/v1/parse_query", {"query": "a+b"}),
])
def test_form_encoded_post_answers_like_get(collector, path, params):
    got = get_json(collector, path, **params)
    assert got[0] == 200, got
    assert post_form(collector, path, params) == got


def test_gzip_when_accepted(collector):
    # A range query with 1001 points: a JSON body well above 1 KiB.
    url = collector.http + "/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": "vector(1)", "start": "1700000000", "end": "1700001000", "step": "1"})
    status, headers, plain = request(url)
    assert status == 200
    assert headers.get("Content-Encoding") is None
    assert len(plain) > 1024
    status, headers, packed = request(url, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in headers.get("Vary", "")
    assert headers.get("Content-Type") == "application/json"
    assert len(packed) < len(plain)
    assert json.loads(gzip.decompress(packed)) == json.loads(plain)
    assert json.loads(plain)["data"]["result"][0]["values"][1000] == [1700001000, "1"]


def test_gzip_covers_metrics_and_errors(collector):
    status, headers, packed = request(collector.http + "/metrics",
                                      headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    assert b"strata_http_requests_total" in gzip.decompress(packed)
    status, headers, packed = request(
        collector.http + "/api/v1/query?query=" + urllib.parse.quote("foo +"),
        headers={"Accept-Encoding": "gzip"})
    assert status == 400
    assert headers.get("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(packed))["errorType"] == "bad_data"

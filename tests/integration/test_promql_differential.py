"""PromQL differential acceptance test: the collector must answer the Prometheus HTTP query API
exactly like Prometheus does.

One seeded data set (promql_dataset.py: node_exporter-like nodes plus an instrumented app, with
counter resets, NaNs, a series with a gap longer than the lookback delta, a classic histogram,
colliding label values; samples jittered off the 15 s grid) goes into the real Prometheus
(Debian's 2.42, backfilled with `promtool tsdb create-blocks-from openmetrics`) and into the
collector (remote write, in time order, a few thousand samples per request). Then every query in
promql_queries.py (instant and range; every function, aggregation and operator Prometheus 2.42
has, with grouping, vector matching, offset, @, subqueries, error cases) runs against both and
promql_compare.py says whether the answers are the same. Every mismatch is written to
promql_differential_summary.txt in the test's temp dir and the first ones are printed; the test
fails on any mismatch not listed in promql_queries.KNOWN_DIFFERENCES.

The harness proves itself on Prometheus alone: a second Prometheus fed through its remote-write
receiver exactly the way the collector is fed must give zero mismatches
(test_harness_self_check_prometheus_vs_prometheus), which checks the comparison, the data set's
determinism and that the remote-write feed carries the same data as the OpenMetrics import.

Until the collector's PromQL engine lands, the collector tests skip (the collector answers
`sum(node_load1)` with a parse error). Run by hand, e.g.:
  STRATA_BUILD_DIR=build /usr/bin/python3 -m pytest -q tests/integration/test_promql_differential.py
"""

import concurrent.futures
import os
import re

import pytest

import harness
import prometheus_peer as peer
import promql_compare
import promql_dataset
import promql_queries
import remote_write_client

pytestmark = pytest.mark.skipif(
    not peer.available(),
    reason="needs Debian's prometheus package (prometheus + promtool): "
           "scripts/install-deps.sh test")

PRINT_FIRST = 30
QUERY_WORKERS = 4


# -- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("promql-differential")


@pytest.fixture(scope="module")
def dataset():
    return promql_dataset.Dataset()


@pytest.fixture(scope="module")
def queries(dataset):
    return promql_queries.build(dataset)


def wait_loaded(client, dataset, what):
    """Polls until the server knows every series of the data set."""
    want = len(dataset.series)
    harness.wait_for(lambda: client.series_count(dataset.start_s - 60, dataset.end_s + 60) == want,
                     timeout=60, what=f"{want} series at {what}")


def feed(write_url, dataset):
    for batch in dataset.remote_write_batches(max_samples=4000):
        status = remote_write_client.send(write_url, batch, timeout=30)
        assert status in (200, 204), f"remote write to {write_url} answered {status}"


@pytest.fixture(scope="module")
def prometheus(workdir, dataset):
    """The reference: Prometheus 2.42 over blocks backfilled by promtool."""
    data_dir = workdir / "prometheus-data"
    peer.create_blocks(dataset.openmetrics(), str(workdir), str(data_dir))
    prom = peer.Prometheus(workdir, "prometheus", data_dir=data_dir)
    try:
        wait_loaded(prom.client, dataset, "prometheus")
        yield prom
    finally:
        prom.stop()


@pytest.fixture(scope="module")
def collector(workdir, certs, dataset):
    """The collector under test, fed through remote write. Skips while it has no PromQL engine."""
    tmp = workdir / "collector"
    tmp.mkdir()
    col = harness.Collector(tmp, certs)
    try:
        client = peer.QueryClient(col.http)
        _, doc, raw = client.instant("sum(node_load1)", dataset.end_s)
        if isinstance(doc, dict) and doc.get("errorType") == "bad_data":
            pytest.skip("the collector does not evaluate PromQL yet: sum(node_load1) -> "
                        f"{doc.get('error')}")
        feed(col.http + "/api/v1/write", dataset)
        wait_loaded(client, dataset, "collector")
        col.client = client
        yield col
    finally:
        col.stop()


# -- running and reporting ----------------------------------------------------------------------

def ask(client, q):
    if q.kind == "instant":
        status, doc, raw = client.instant(q.expr, q.params["time"])
    else:
        p = q.params
        status, doc, raw = client.range(q.expr, p["start"], p["end"], p["step"])
    return promql_compare.Answer(status, doc, raw)


def run_differential(queries, reference, candidate, names):
    """Runs every query on both servers; returns [(query, diffs, reference answer, candidate
    answer)] in query order."""
    def one(q):
        a, b = ask(reference, q), ask(candidate, q)
        return q, promql_compare.compare(q, a, b, names), a, b
    with concurrent.futures.ThreadPoolExecutor(QUERY_WORKERS) as pool:
        return list(pool.map(one, queries))


def tolerated(known, q, a, b, diffs, names):
    """Whether an allowlist entry covers these differences (see promql_queries.Known)."""
    if known.scope == "any":
        return True
    if known.scope == "message":
        return all(d.startswith("error message:") for d in diffs)
    if known.scope == "name":
        return not promql_compare.compare(q, a, b, names, drop_name=True)
    raise AssertionError(f"unknown allowlist scope {known.scope!r}")


def report(results, path, names, use_allowlist=True):
    """Writes every mismatch to `path`; returns (failing, allowlisted, stale allowlist, text of
    the first PRINT_FIRST failing mismatches)."""
    failing, allowed, stale = [], [], []
    for q, diffs, a, b in results:
        known = promql_queries.allowlisted(q) if use_allowlist else None
        if diffs and known and tolerated(known, q, a, b, diffs, names):
            allowed.append((q, diffs, known.reason))
        elif diffs:
            failing.append((q, diffs))
        elif known:
            stale.append((q, known.reason))

    def block(q, diffs, reason=None):
        lines = [f"### {q.id}", f"    {q.describe()}"]
        if reason:
            lines.append(f"    allowlisted: {reason}")
        lines += ["    " + d for d in diffs[:12]]
        if len(diffs) > 12:
            lines.append(f"    ... {len(diffs) - 12} more differences")
        return "\n".join(lines)

    header = (f"PromQL differential: {names[0]} vs {names[1]}\n"
              f"{len(results)} queries, {len(failing)} failing mismatches, {len(allowed)} "
              f"allowlisted mismatches, {len(stale)} allowlisted but matching\n")
    with open(path, "w") as f:
        f.write(header + "\n")
        for q, diffs in failing:
            f.write(block(q, diffs) + "\n\n")
        if allowed:
            f.write("## allowlisted (promql_queries.KNOWN_DIFFERENCES)\n\n")
            for q, diffs, reason in allowed:
                f.write(block(q, diffs, reason) + "\n\n")
        if stale:
            f.write("## allowlisted but matching now (remove from KNOWN_DIFFERENCES?)\n")
            for q, reason in stale:
                f.write(f"    {q.id}\n")
    shown = "\n\n".join(block(q, d) for q, d in failing[:PRINT_FIRST])
    text = header + f"full report: {path}\n\n" + shown
    if len(failing) > PRINT_FIRST:
        text += f"\n\n... and {len(failing) - PRINT_FIRST} more in {path}"
    return failing, allowed, stale, text


# -- tests --------------------------------------------------------------------------------------

def test_query_set_covers_every_function_and_operator(queries):
    """The coverage the acceptance criteria ask for is really in the query set."""
    text = "\n".join(q.expr for q in queries)
    functions = """rate irate increase delta idelta deriv predict_linear resets changes
        avg_over_time min_over_time max_over_time sum_over_time count_over_time
        quantile_over_time stddev_over_time stdvar_over_time last_over_time present_over_time
        absent absent_over_time histogram_quantile label_replace label_join abs ceil floor round
        clamp clamp_min clamp_max exp ln log2 log10 sqrt sgn timestamp time vector scalar sort
        sort_desc day_of_week day_of_month days_in_month hour minute month year sin cos tan asin
        acos atan sinh cosh tanh asinh acosh atanh deg rad pi
        sum avg min max count stddev stdvar group topk bottomk quantile count_values""".split()
    missing = [f for f in functions if f"{f}(" not in text and f"{f} " not in text]
    assert not missing, f"functions not queried: {missing}"
    for needle in [" by (", " without (", " on (", " ignoring (", "group_left", "group_right",
                   " offset ", " @ ", "[30m:1m]", ":]", " and ", " or ", " unless ", " bool ",
                   " + ", " - ", " * ", " / ", " % ", " ^ ", " atan2 ", " == ", " != ", " > ",
                   " < ", " >= ", " <= ", "start()", "end()"]:
        assert needle in text, f"no query uses {needle!r}"
    kinds = {q.kind for q in queries}
    assert kinds == {"instant", "range"}
    assert len(queries) >= 300
    assert sum("error" in q.tags for q in queries) >= 30


def _answer(result_type, result, status="success", http=200):
    import json
    body = json.dumps({"status": status, "data": {"resultType": result_type, "result": result}})
    return promql_compare.Answer(http, json.loads(body, parse_float=str, parse_int=str), body)


def _error(error_type, message, http):
    import json
    body = json.dumps({"status": "error", "errorType": error_type, "error": message})
    return promql_compare.Answer(http, json.loads(body), body)


def test_comparison_flags_every_kind_of_difference():
    """The comparison has no blind spots the self-check could hide (it only proves the absence
    of false alarms): each perturbation of a reference answer is reported."""
    def vec(*items):
        return [{"metric": m, "value": [t, v]} for m, t, v in items]
    a, b = {"__name__": "x", "i": "a"}, {"__name__": "x", "i": "b"}
    ref = vec((a, 1700000000.5, "1.5"), (b, 1700000000.5, "NaN"))
    unordered = promql_queries.Query("t", "instant", "x", "x", {"time": 1})
    ordered = promql_queries.Query("t", "instant", "sort(x)", "sort(x)", {"time": 1},
                                   ordered=True)

    def diff(other, q=unordered, base=ref, kind="vector"):
        return promql_compare.compare(q, _answer(kind, base), _answer(kind, other))

    assert diff(vec((b, 1700000000.5, "NaN"), (a, 1700000000.5, "1.5"))) == []  # a set
    assert diff(vec((a, 1700000000.5, "1.5000000000001"), (b, 1700000000.5, "NaN"))) == []
    assert diff(vec((a, 1700000000.5, "1.500001"), (b, 1700000000.5, "NaN")))  # > 1e-9
    assert diff(vec((a, 1700000000.5, "1.5"), (b, 1700000000.5, "0")))  # NaN vs number
    assert diff(vec((a, 1700000000.5, "+Inf"), (b, 1700000000.5, "NaN")))
    assert diff(vec((a, 1700000000.501, "1.5"), (b, 1700000000.5, "NaN")))  # timestamp
    assert diff(vec((a, 1700000000.5, "1.5")))  # missing series
    assert diff(ref + vec(({"i": "c"}, 1700000000.5, "1")))  # extra series
    assert diff(vec(({"i": "a"}, 1700000000.5, "1.5"), (b, 1700000000.5, "NaN")))  # __name__
    assert diff(vec((a, 1700000000.5, "1.5"), (a, 1700000000.5, "1.5")))  # duplicate
    # Order counts for sort/topk, except within runs of equal values.
    asc = vec((a, 1, "1"), (b, 1, "2"))
    assert diff(list(reversed(asc)), q=ordered, base=asc)
    assert diff(list(reversed(asc)), q=unordered, base=asc) == []
    ties = vec((a, 1, "2"), (b, 1, "2"), ({"i": "c"}, 1, "3"))
    assert diff([ties[1], ties[0], ties[2]], q=ordered, base=ties) == []
    # Matrices: points compared by timestamp and value.
    mat = [{"metric": a, "values": [[10, "1"], [70, "2"]]}]
    assert diff(mat, base=mat, kind="matrix") == []
    assert diff([{"metric": a, "values": [[10, "1"]]}], base=mat, kind="matrix")
    assert diff([{"metric": a, "values": [[10, "1"], [70, "2.1"]]}], base=mat, kind="matrix")
    assert diff([{"metric": a, "values": [[10, "1"], [71, "2"]]}], base=mat, kind="matrix")
    # Scalars, strings, result types.
    assert promql_compare.compare(unordered, _answer("scalar", [1, "2"]),
                                  _answer("scalar", [1, "2"])) == []
    assert promql_compare.compare(unordered, _answer("scalar", [1, "2"]),
                                  _answer("scalar", [1, "3"]))
    assert promql_compare.compare(unordered, _answer("string", [1, "a"]),
                                  _answer("string", [1, "b"]))
    assert promql_compare.compare(unordered, _answer("scalar", [1, "2"]),
                                  _answer("vector", vec(({}, 1, "2"))))
    # Errors: status, errorType and message; listed series may come in any order.
    parse = _error("bad_data", '1:5: parse error: unexpected identifier "bar"', 400)
    assert promql_compare.compare(unordered, parse, parse) == []
    assert promql_compare.compare(unordered, parse, _error("execution", parse.doc["error"], 422))
    assert promql_compare.compare(unordered, parse, _error("bad_data", "1:5: parse error", 400))
    assert promql_compare.compare(unordered, parse, _answer("vector", []))
    dup = 'found duplicate series for the match group {i="a"} on the right hand-side of the ' \
          'operation: [{__name__="x", d="1"}, {__name__="x", d="2"}];many-to-many matching ' \
          'not allowed: matching labels must be unique on one side'
    swapped = dup.replace('d="1"', 'd="T"').replace('d="2"', 'd="1"').replace('d="T"', 'd="2"')
    assert promql_compare.compare(unordered, _error("execution", dup, 422),
                                  _error("execution", swapped, 422)) == []
    # promtool output: line for line, sample values within tolerance.
    out = '{a="1"} =>\n1.665 @[1700000000.5]\nscalar: 2 @[1700000000]\n'
    assert same_promtool_output(out, out.replace("1.665", "1.6649999999999998"))
    assert not same_promtool_output(out, out.replace("1.665", "1.666"))
    assert not same_promtool_output(out, out.replace("0.5]", "0.6]"))
    assert not same_promtool_output(out, out.replace('a="1"', 'a="2"'))
    assert not same_promtool_output(out, out + "1 @[1]\n")


def test_prometheus_holds_the_dataset_exactly(prometheus, dataset):
    """The reference really holds every generated sample, timestamp and value (including NaN):
    the OpenMetrics import is faithful."""
    status, doc, raw = prometheus.client.instant('{__name__=~".+"}[3h]', dataset.end_s + 1)
    assert status == 200, raw[:500]
    got = {tuple(sorted(s["metric"].items())): s["values"] for s in doc["data"]["result"]}
    assert len(got) == len(dataset.series)
    for labels, samples in dataset.series:
        points = got[tuple(sorted(labels.items()))]
        assert [promql_compare.ts_ms(t) for t, _ in points] == [t for t, _ in samples], labels
        for (_, text), (_, v) in zip(points, samples):
            assert promql_compare.values_equal(promql_compare.parse_value(text), v), labels
            assert text == "NaN" or float(text) == v, labels


def test_harness_self_check_prometheus_vs_prometheus(prometheus, dataset, queries, workdir):
    """Prometheus against a second Prometheus fed through remote write exactly like the
    collector: zero mismatches, no allowlist. Proves the comparison, the data set's determinism
    and the remote-write feed."""
    tmp = workdir / "self-check"
    tmp.mkdir()
    twin = peer.Prometheus(tmp, "prometheus-rw", remote_write_receiver=True)
    try:
        feed(twin.url + "/api/v1/write", dataset)
        wait_loaded(twin.client, dataset, "prometheus-rw")
        names = ("prometheus(blocks)", "prometheus(remote-write)")
        results = run_differential(queries, prometheus.client, twin.client, names)
        promtool_diffs = promtool_mismatches(prometheus.url, twin.url, dataset)
    finally:
        twin.stop()
    failing, _, _, text = report(results, str(tmp / "self_check_summary.txt"), names,
                                 use_allowlist=False)
    print(text)
    assert not failing, text
    # The answers are not trivially empty: the error cases are errors and nearly every other
    # query returns data.
    errors = [q.id for q, _, a, _ in results if "error" in q.tags and a.ok]
    assert not errors, f"error cases that Prometheus answers: {errors}"
    empty = [q.id for q, _, a, _ in results if "error" not in q.tags and a.ok
             and a.doc["data"]["resultType"] in ("vector", "matrix")
             and not a.doc["data"]["result"]]
    assert len(empty) <= 0.1 * len(results), f"too many empty answers: {empty}"
    assert not promtool_diffs, "\n".join(promtool_diffs)


def test_collector_answers_promql_like_prometheus(prometheus, collector, queries, workdir):
    names = ("prometheus", "collector")
    results = run_differential(queries, prometheus.client, collector.client, names)
    failing, allowed, stale, text = report(
        results, str(workdir / "promql_differential_summary.txt"), names)
    print(text)
    assert not failing, text


# promtool's own rendering of instant and range results; queries whose result order Prometheus
# defines (selectors and functions of them come back in label order, sort/topk by value, range
# results are sorted by labels). The outputs must be the same line for line; only a sample value
# may differ in its last digits (within promql_compare.REL_TOL), as 3.x-style Kahan summation
# and 2.42's plain summation round differently.
PROMTOOL_QUERIES = [
    ("instant", "node_load1", "mid"),
    ("instant", 'node_cpu_seconds_total{instance="node-1:9100"}', "reset"),
    ("instant", 'rate(node_cpu_seconds_total{mode="user"}[5m])', "reset"),
    ("instant", "sort_desc(node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)", "mid"),
    ("instant", "topk(3, node_load1)", "late"),
    ("instant", "sum(node_load1)", "mid"),
    ("instant", "scalar(sum(node_load1))", "mid"),
    ("instant", "time()", "late"),
    ("instant", 'histogram_quantile(0.9, sum(rate(http_request_duration_seconds_bucket[5m])) '
                'by (le))', "mid"),
    ("instant", 'node_load1{instance="node-0:9100"}[1m]', "mid"),
    ("instant", "app_temperature_celsius", "late"),
    ("instant", "absent(nonexistent_metric)", "mid"),
    ("instant", "bottomk(2, rate(node_network_receive_bytes_total[5m]))", "reset"),
    ("instant", "sum(node_load1", "mid"),
    ("range", "node_load1", "main"),
    ("range", 'sum by (mode) (rate(node_cpu_seconds_total[5m]))', "main"),
    ("range", "app_queue_depth", "full"),
    ("range", 'histogram_quantile(0.5, sum by (le, handler) '
              '(rate(http_request_duration_seconds_bucket[5m])))', "odd"),
    ("range", "avg_over_time(node_load1[10m:1m])", "fine"),
    ("range", "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "fine"),
]


_PROMTOOL_SAMPLE = re.compile(r"^(.*?)(\S+) @\[([^\]]+)\]$")


def same_promtool_output(ref, got):
    """Line-for-line equal; in `... VALUE @[TS]` lines VALUE is compared within REL_TOL."""
    ref_lines, got_lines = ref.splitlines(), got.splitlines()
    if len(ref_lines) != len(got_lines):
        return False
    for lr, lg in zip(ref_lines, got_lines):
        mr, mg = _PROMTOOL_SAMPLE.match(lr), _PROMTOOL_SAMPLE.match(lg)
        if not (mr and mg):
            if lr != lg:
                return False
            continue
        if mr.group(1) != mg.group(1) or mr.group(3) != mg.group(3):
            return False
        try:
            if not promql_compare.values_equal(promql_compare.parse_value(mr.group(2)),
                                               promql_compare.parse_value(mg.group(2))):
                return False
        except ValueError:
            if mr.group(2) != mg.group(2):
                return False
    return True


def promtool_mismatches(ref_url, other_url, dataset):
    """Runs PROMTOOL_QUERIES with `promtool query` against both servers; returns the
    differences (exit code, stdout, and stderr with the server URL masked)."""
    anchors = promql_queries.anchors(dataset)
    windows = promql_queries.windows(dataset)

    def one(item):
        kind, expr, where = item
        if kind == "instant":
            kwargs = {"time_s": anchors[where]}
        else:
            start, end, step = windows[where]
            kwargs = {"start_s": start, "end_s": end, "step": f"{step}s"}
        ref = peer.promtool_query(ref_url, expr, **kwargs)
        got = peer.promtool_query(other_url, expr, **kwargs)
        if ref[0] == got[0] and same_promtool_output(ref[1], got[1]) and \
                ref[2].replace(ref_url, "SERVER") == got[2].replace(other_url, "SERVER"):
            return None
        return (f"promtool query {kind} {kwargs} {expr!r}:\n"
                f"  reference: rc={ref[0]} stdout={ref[1][:600]!r} stderr={ref[2][:200]!r}\n"
                f"  other:     rc={got[0]} stdout={got[1][:600]!r} stderr={got[2][:200]!r}")
    with concurrent.futures.ThreadPoolExecutor(QUERY_WORKERS) as pool:
        return [m for m in pool.map(one, PROMTOOL_QUERIES) if m]


def test_promtool_query_output_is_identical(prometheus, collector, dataset):
    mismatches = promtool_mismatches(prometheus.url, collector.http, dataset)
    assert not mismatches, "\n".join(mismatches)


if __name__ == "__main__":
    import sys
    sys.exit(pytest.main([os.path.abspath(__file__), "-q", "-p", "no:cacheprovider",
                          *sys.argv[1:]]))

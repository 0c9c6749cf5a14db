"""The PromQL differential test's queries, evaluation times, and the one allowlist of known
Prometheus 2.42-vs-3.x differences.

Evaluation times. The samples sit 150..850 ms into a second (promql_dataset.py) and every
evaluation time, range, offset, @ time and subquery step here is a whole number of seconds, so
no sample is ever on a range or lookback boundary: Prometheus 2.42 (the Debian package we
compare against) uses left-closed windows, 3.x (what the collector targets) left-open ones, and
the two only disagree for samples exactly on the left boundary (3.0 migration guide, "Range
selectors and lookback exclude samples coinciding with the left boundary").
Subqueries evaluate their inner expression at absolute multiples of their step, so every
evaluation time is ≡ 7 (mod 15) and every subquery step, range and offset a multiple of 15 s:
then no inner point lands on an outer window boundary either (checked by check_alignment()).

Each Q(...) expands into one instant query per anchor in `at` and one range query per window in
`over`; the ids ("instant@mid: <expr>") name them in reports and in KNOWN_DIFFERENCES.
"""

import math
import re
from dataclasses import dataclass, field

# ------------------------------------------------------------------------------------------------
# Known 2.42-vs-3.x differences, the one allowlist: query id (or bare expression, for all of its
# variants) -> Known(reason, scope). scope "message": only the error message may differ (HTTP
# status and errorType are still compared); scope "any": the whole answer may differ. Keep it
# short and honest: every entry names the upstream change a reviewer can check.


@dataclass(frozen=True)
class Known:
    reason: str
    scope: str = "message"  # "message" | "name" | "any"


_RANGE_QUERY_PREFIX = Known(
    "2.42's /api/v1/query_range returns the engine's error for an invalid query as is; later "
    "versions (2.45+ and 3.x: `return invalidParamError(err, \"query\")` after NewRangeQuery, "
    "like /api/v1/query always did) prefix it with `invalid parameter \"query\": `. Same status "
    "(400) and errorType (bad_data).")
_NUMBER_OR_DURATION = Known(
    "3.0 made float literals and durations interchangeable (#15111): the 3.x grammar reads "
    "`offset` and `[...]` arguments as number_duration_literal, so its errors say \"expected "
    "number or duration\" / \"bad number or duration syntax\" where 2.42 says \"expected "
    "duration\" / \"bad duration syntax\". Same position, status and errorType.")
_ATAN2_NAME = Known(
    "2.42 keeps __name__ on `atan2` results; 2.46+ drops it like every other arithmetic "
    "operator (#12595, \"Drop metric name for atan2 binary operator\"). Compared with __name__ "
    "removed from both sides.", scope="name")

_TIME_VALUE_CASE = Known(
    "Prometheus 2.x wraps a bad `time` as \"Invalid time value for 'time': ...\"; current "
    "versions (web/api/v1 parseTimeParam: `fmt.Errorf(\"invalid time value for '%s': %w\", ...)`) "
    "write \"invalid\" in lower case, which the collector follows. Same status and errorType.")

KNOWN_DIFFERENCES = {
    "instant@bad-time: node_load1": _TIME_VALUE_CASE,
    "range@main: rate(node_load1)": _RANGE_QUERY_PREFIX,
    "range@main: node_load1[5m]": _RANGE_QUERY_PREFIX,
    'range@main: "a string"': _RANGE_QUERY_PREFIX,
    "instant@mid: node_load1 offset": _NUMBER_OR_DURATION,
    "instant@mid: node_load1[5x]": _NUMBER_OR_DURATION,
    "node_load1 atan2 (node_load1 offset 5m)": _ATAN2_NAME,
}

# Functions this suite does not query, and why: Prometheus 2.42 cannot be the reference for them
# (checked: 2.42 answers "unknown function" for each, also when started with
# --enable-feature=promql-experimental-functions, a flag it does not know).
NOT_COVERED = {
    "mad_over_time": "experimental since 2.49 (promql-experimental-functions)",
    "sort_by_label, sort_by_label_desc": "experimental since 2.49 (promql-experimental-functions)",
    "limitk, limit_ratio": "experimental, added long after 2.42 (2.5x/3.0)",
    "holt_winters": "renamed double_exponential_smoothing and made experimental in 3.0",
    "histogram_count/sum/fraction/avg/stddev/stdvar": "native histograms only; the data set has "
                                                      "classic histograms",
}

# ------------------------------------------------------------------------------------------------


@dataclass
class Query:
    id: str
    kind: str  # "instant" | "range"
    expr: str  # as sent
    template: str  # as written here (with {mid}-style placeholders)
    params: dict
    ordered: bool = False  # compare the result order (sort/sort_desc/topk/bottomk instant)
    tags: tuple = field(default_factory=tuple)

    def describe(self):
        if self.kind == "instant":
            return f"instant time={self.params['time']}: {self.expr}"
        p = self.params
        return f"range start={p['start']} end={p['end']} step={p['step']}: {self.expr}"


def anchors(ds):
    """Instant evaluation times (whole seconds, all ≡ 7 mod 60) with what makes them useful."""
    s, e = ds.start_s, ds.end_s
    assert s % 60 == 0 and e % 60 == 0

    def at(t):  # the first time ≡ 7 (mod 60) at or after t
        return t - t % 60 + 7 + (60 if t % 60 > 7 else 0)

    gap_from, gap_to = ds.queue_gap_s()
    return {
        "early": s + 187,  # windows reach back before the first sample
        "mid": s + 4807,
        "late": e - 53,  # near the end; the legacy queue has been gone for ~40 min
        "reset": at(ds.events["reboot:node-1:9100"] // 1000 + 100),  # node-1 just rebooted
        "gap": at((gap_from + gap_to) // 2),  # the batch queue of app-0 is missing
        "after": e + 607,  # ten minutes after the last sample: everything is stale
    }


def windows(ds):
    a = anchors(ds)
    s, e = ds.start_s, ds.end_s
    return {
        "main": (s + 1807, e - 53, 60),
        "full": (s - 593, e + 607, 300),  # starts before and ends after the data
        "fine": (a["reset"] - 600, a["reset"] + 600, 15),
        "odd": (a["mid"] - 1800, a["mid"] + 1800, 45),
    }


# ------------------------------------------------------------------------------------------------
# The expressions. `at`: instant anchors; `over`: range windows; `{mid}` etc. in an expression
# are replaced by the anchor's timestamp (for @).

@dataclass
class Q:
    expr: str
    at: tuple = ("mid",)
    over: tuple = ("main",)


CPU = "node_cpu_seconds_total"
BUCKET = "http_request_duration_seconds_bucket"

EXPRESSIONS = [
    # --- selectors, matchers, offset, @ -------------------------------------------------------
    Q("node_load1", at=("early", "mid", "late", "after")),
    Q('node_load1{instance="node-1:9100"}'),
    Q(f'{CPU}{{mode=~"user|system",cpu!="1"}}'),
    Q('{__name__=~"node_memory_.*_bytes",instance!~"node-[23]:9100"}'),
    Q('node_network_receive_bytes_total{device!~"l.*"}'),
    Q('{job="api",__name__=~"app_.*"}', at=("mid", "gap")),
    Q("app_queue_depth", at=("mid", "gap", "late")),
    Q("node_load1 offset 10m"),
    Q("node_load1 offset -5m", at=("mid", "late")),
    Q("node_load1 @ {mid}", at=("late",), over=("main", "full")),
    Q("node_load1 @ {early} offset -1m"),
    Q("node_load1 @ start()", at=(), over=("main",)),
    Q("node_load1 @ end() offset 30m", at=(), over=("odd",)),
    Q("node_load1[2m]", over=()),
    Q("node_load1[5m] offset 1h", over=()),
    Q("app_temperature_celsius[3m] @ {late}", over=()),
    Q('app_queue_depth{queue="batch"}[20m]', at=("gap",), over=()),
    Q("nonexistent_metric", at=("mid",), over=("main",)),
    Q('"a string"', over=()),
    Q("1 # a comment"),
    Q("0x1F + 1e3 - Inf", over=()),
    Q("NaN", over=()),
    # --- counters: rate family ----------------------------------------------------------------
    Q(f"rate({CPU}[5m])", at=("early", "mid", "reset"), over=("main", "fine")),
    Q(f"irate({CPU}[5m])", at=("mid", "reset"), over=("main", "fine")),
    Q(f"increase({CPU}[10m])", at=("mid", "reset")),
    Q(f'rate({CPU}{{mode="idle"}}[1m])', at=("mid", "reset"), over=("fine",)),
    Q(f"rate({CPU}[20s])", at=("mid",), over=("odd",)),
    Q("rate(node_network_receive_bytes_total[5m] offset 1h)"),
    Q("rate(node_network_receive_bytes_total[5m] @ {mid})", at=("late",), over=("odd",)),
    Q("increase(http_request_duration_seconds_count[15m])", over=("main", "full")),
    Q("rate(http_request_duration_seconds_sum[5m])"),
    Q(f"resets({CPU}[30m])", at=("mid", "reset"), over=("main",)),
    Q("resets(http_request_duration_seconds_count[1h])", at=("late",), over=("full",)),
    Q("changes(node_load1[10m])"),
    Q("changes(node_memory_MemTotal_bytes[1h])"),
    Q("delta(node_load1[10m])"),
    Q("delta(node_memory_MemAvailable_bytes[30m])", at=("early", "mid")),
    Q("idelta(node_load1[5m])"),
    Q(f"idelta({CPU}[1m])", at=("reset",), over=("fine",)),
    Q("deriv(node_memory_MemAvailable_bytes[10m])"),
    Q("deriv(app_temperature_celsius[10m])"),
    Q("predict_linear(node_memory_MemAvailable_bytes[30m], 3600)"),
    Q("predict_linear(node_load1[15m], -600)"),
    Q("rate(app_temperature_celsius[5m])"),
    # Not rate(): for a series that starts inside the window with a small first value, rate()'s
    # zero-point extrapolation changed in 2.51 (#13725); delta() extrapolates the same in both.
    Q("delta(app_queue_depth[5m])", at=("gap",), over=("full",)),
    Q("idelta(app_queue_depth[5m])", at=("gap",), over=("full",)),
    # --- *_over_time ----------------------------------------------------------------------------
    Q("avg_over_time(node_load1[10m])", over=("main", "full")),
    Q("min_over_time(node_load1[10m])"),
    Q("max_over_time(node_load1[10m])"),
    Q("sum_over_time(node_load1[10m])"),
    Q("count_over_time(node_load1[10m])", at=("early", "mid", "after")),
    Q("quantile_over_time(0.9, node_load1[30m])"),
    Q("quantile_over_time(0, node_memory_MemAvailable_bytes[30m])"),
    Q("quantile_over_time(1.5, node_load1[30m])"),
    Q("quantile_over_time(-1, node_load1[30m])"),
    Q("stddev_over_time(node_load1[30m])"),
    Q("stdvar_over_time(node_memory_MemAvailable_bytes[30m])"),
    Q("stddev_over_time(node_memory_MemTotal_bytes[30m])"),
    Q("last_over_time(node_load1[10m])", at=("mid", "after")),
    Q("last_over_time(app_queue_depth[1h])", at=("gap", "late")),
    Q("present_over_time(app_queue_depth[10m])", at=("gap", "late"), over=("full",)),
    Q("avg_over_time(app_temperature_celsius[10m])"),
    Q("min_over_time(app_temperature_celsius[10m])"),
    Q("max_over_time(app_temperature_celsius[10m])"),
    Q("sum_over_time(app_temperature_celsius[10m])"),
    Q("quantile_over_time(0.5, app_temperature_celsius[10m])"),
    Q("stddev_over_time(app_temperature_celsius[10m])"),
    Q("absent_over_time(nonexistent_metric[5m])"),
    Q('absent_over_time(app_queue_depth{queue="batch",instance="app-0:8080"}[10m])',
      at=("mid", "gap"), over=("full",)),
    Q('absent_over_time(app_queue_depth{queue="legacy"}[10m])', at=("mid", "late")),
    # --- aggregations ------------------------------------------------------------------------
    Q("sum(node_load1)", at=("mid", "after")),
    Q("sum by (job) (node_load1)"),
    Q(f"sum without (cpu) (rate({CPU}[5m]))"),
    Q(f"sum by (instance, mode) (rate({CPU}[5m]))"),
    Q(f"avg by (mode) (rate({CPU}[5m]))"),
    Q(f"min by (instance) (rate({CPU}[5m]))"),
    Q(f"max without (cpu, mode) (rate({CPU}[5m]))"),
    Q(f"count({CPU})"),
    Q(f"count without (mode) ({CPU})"),
    Q("stddev(node_load1)"),
    Q("stddev by (job) (node_memory_MemAvailable_bytes)"),
    Q("stdvar(node_load1)"),
    Q(f"group by (instance) ({CPU})"),
    Q("group(node_load1)"),
    Q(f"topk(3, rate({CPU}[5m]))"),
    Q(f"topk(2, rate({CPU}[5m])) by (instance)"),
    Q(f"topk by (mode) (1, rate({CPU}[5m]))"),
    Q("bottomk(2, node_load1)", at=("mid", "late")),
    Q("bottomk(1, node_load1) without (instance)"),
    Q("topk(0, node_load1)"),
    Q("topk(2, app_temperature_celsius)", at=("mid", "late")),
    Q("topk(scalar(count(node_load1)) - 2, node_load1)"),
    Q("quantile(0.5, node_load1)"),
    Q(f"quantile by (mode) (0.9, rate({CPU}[5m]))"),
    Q("quantile(1.2, node_load1)"),
    Q("quantile(-0.1, node_load1)"),
    Q('count_values("load", node_load1)'),
    Q(f'count_values("cpus", count by (instance) ({CPU}{{mode="idle"}}))'),
    Q('count_values by (job) ("instance", node_memory_MemTotal_bytes)'),
    Q("sum(app_temperature_celsius)", at=("mid", "late")),
    Q("max by (instance) (app_temperature_celsius)", at=("mid", "late")),
    Q("min by (sensor) (app_temperature_celsius)", at=("mid", "late")),
    Q("avg(app_temperature_celsius)", at=("mid", "late")),
    Q("count by (queue) (app_queue_depth)", at=("gap", "late"), over=("full",)),
    Q("sum by (instance) (app_queue_depth) + 0", at=("gap",)),
    # --- histograms ----------------------------------------------------------------------------
    Q(f"sum by (le) (rate({BUCKET}[5m]))"),
    Q(f"histogram_quantile(0.9, sum by (le) (rate({BUCKET}[5m])))", over=("main", "full")),
    Q(f"histogram_quantile(0.5, sum by (le, handler) (rate({BUCKET}[5m])))"),
    Q(f"histogram_quantile(0.99, rate({BUCKET}[5m]))"),
    Q(f'histogram_quantile(0.9, sum by (le) (rate({BUCKET}{{code="500"}}[1m])))',
      over=("main", "fine")),
    Q(f"histogram_quantile(1, sum by (le, instance) (rate({BUCKET}[10m])))"),
    Q(f"histogram_quantile(0, sum by (le) (increase({BUCKET}[10m])))"),
    Q(f"histogram_quantile(-0.5, sum by (le) (rate({BUCKET}[5m])))"),
    Q(f"histogram_quantile(1.5, sum by (le) (rate({BUCKET}[5m])))"),
    Q(f"histogram_quantile(0.75, sum by (le, code) (rate({BUCKET}[5m]))) > 0.2"),
    Q(f'histogram_quantile(0.9, sum by (le) ({BUCKET}{{instance="app-1:8080"}}))',
      at=("mid", "late")),
    Q("sum(rate(http_request_duration_seconds_sum[5m])) / "
      "sum(rate(http_request_duration_seconds_count[5m]))"),
    Q("sum by (code) (rate(http_request_duration_seconds_count[5m])) / ignoring (code) "
      "group_left sum(rate(http_request_duration_seconds_count[5m]))"),
    # --- binary operators and vector matching ---------------------------------------------------
    Q("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes"),
    Q("node_memory_MemAvailable_bytes / on (instance) node_memory_MemTotal_bytes"),
    Q("node_memory_MemFree_bytes / ignoring (job) node_memory_MemTotal_bytes"),
    Q(f'1 - avg by (instance) (rate({CPU}{{mode="idle"}}[5m]))'),
    Q(f"rate({CPU}[5m]) * on (instance) group_left (nodename) node_uname_info"),
    Q(f'node_uname_info * on (instance) group_right (nodename, release) '
      f'rate({CPU}{{mode="user"}}[5m])'),
    Q("node_load1 * on () group_left vector(2)"),
    Q(f"sum by (instance) (rate({CPU}{{mode!=\"idle\"}}[5m])) / on (instance) "
      f"count by (instance) ({CPU}{{mode=\"idle\"}})"),
    Q("node_load1 > 1", at=("mid", "late")),
    Q("node_load1 > bool 1"),
    Q("1 < node_load1"),
    Q("node_load1 == bool (node_load1 offset 1m)"),
    Q("node_load1 != 0.5"),
    Q("node_memory_MemFree_bytes > node_memory_MemAvailable_bytes"),
    Q("node_memory_MemFree_bytes <= node_memory_MemAvailable_bytes"),
    Q("node_memory_MemFree_bytes >= bool on (instance, job) node_memory_MemAvailable_bytes"),
    Q("node_load1 ^ 2"),
    Q("node_load1 % 0.7"),
    Q("node_load1 atan2 (node_load1 offset 5m)"),
    Q("-node_load1"),
    Q("node_load1 / 0"),
    Q("0 / (node_load1 - node_load1)"),
    Q("node_load1 * -1 + 2 ^ 3 ^ 2 - 10 % 3"),
    Q("1 + 2 * 3"),
    Q("-2 ^ 2"),
    Q("(1 > bool 2) + (3 >= bool 3)"),
    Q("2 * scalar(sum(node_load1))"),
    Q("time() - node_boot_time_seconds"),
    Q("app_temperature_celsius > 45", at=("mid", "late")),
    Q("app_temperature_celsius + on (instance, job, sensor) app_temperature_celsius offset 1m",
      at=("mid", "late")),
    # --- set operators --------------------------------------------------------------------------
    Q("node_load1 and node_load1 > 1"),
    Q("node_load1 or node_memory_MemTotal_bytes"),
    Q("node_load1 unless node_load1 > 2"),
    Q(f"rate({CPU}[5m]) and on (instance) (node_load1 > 1)"),
    Q("sum(nonexistent_metric) or vector(0)"),
    Q('app_queue_depth{queue="batch"} or on (instance) app_queue_depth{queue="legacy"}',
      at=("gap", "late"), over=("full",)),
    Q('app_queue_depth{queue="legacy"} unless ignoring (queue) app_queue_depth{queue="batch"}',
      at=("gap",), over=("full",)),
    Q("node_load1 and ignoring (instance) node_load1"),
    # --- math functions -------------------------------------------------------------------------
    Q("abs(node_load1 - 1)"),
    Q("ceil(node_load1)"),
    Q("floor(node_load1)"),
    Q("round(node_load1)"),
    Q("round(node_load1, 0.5)"),
    Q("round(node_load1, 0.1)"),
    Q("round(node_memory_MemAvailable_bytes, 1024 * 1024)"),
    Q("clamp(node_load1, 0.5, 1.5)"),
    Q("clamp(node_load1, 2, 1)"),
    Q("clamp_min(node_load1, 1)"),
    Q("clamp_max(node_load1, 1)"),
    Q("exp(node_load1)"),
    Q("exp(node_memory_MemTotal_bytes)"),
    Q("ln(node_load1)"),
    Q("ln(node_load1 - 10)"),
    Q("log2(node_memory_MemTotal_bytes)"),
    Q("log10(node_network_receive_bytes_total)"),
    Q("sqrt(node_load1)"),
    Q("sgn(node_load1 - 1)"),
    Q("abs(app_temperature_celsius) + ceil(app_temperature_celsius)", at=("mid", "late")),
    # --- trigonometry ---------------------------------------------------------------------------
    Q("sin(node_load1)"),
    Q("cos(node_load1)"),
    Q("tan(node_load1)"),
    Q("asin(node_load1 / 10)"),
    Q("acos(node_load1 / 10)"),
    Q("atan(node_load1)"),
    Q("asin(node_load1 + 5)"),
    Q("sinh(node_load1)"),
    Q("cosh(node_load1)"),
    Q("tanh(node_load1)"),
    Q("asinh(node_load1)"),
    Q("acosh(node_load1 + 1)"),
    Q("atanh(node_load1 / 10)"),
    Q("deg(node_load1)"),
    Q("rad(node_load1)"),
    Q("pi()"),
    Q("deg(vector(pi()))"),
    # --- time functions -------------------------------------------------------------------------
    Q("time()"),
    Q("timestamp(node_load1)", at=("mid", "after")),
    Q("timestamp(node_load1 offset 5m)"),
    Q("timestamp(node_load1 @ {mid})", at=("late",)),
    Q("time() - timestamp(node_load1)"),
    Q("day_of_week()"),
    Q("day_of_month()"),
    Q("days_in_month()"),
    Q("hour()"),
    Q("minute()"),
    Q("month()"),
    Q("year()"),
    Q("hour(node_boot_time_seconds)"),
    Q("minute(timestamp(node_load1))"),
    Q("day_of_week(node_boot_time_seconds)"),
    Q("days_in_month(vector(5097600))"),
    Q("year(vector(0))"),
    Q("month(vector(1709251200))"),
    # --- vector / scalar / sort -----------------------------------------------------------------
    Q("vector(1)"),
    Q("vector(time())"),
    Q("scalar(node_load1)"),
    Q('scalar(node_load1{instance="node-0:9100"})'),
    Q("vector(scalar(sum(node_load1)))"),
    Q("sort(node_load1)", at=("mid", "late")),
    Q(f"sort_desc(rate({CPU}[5m]))"),
    Q("sort(app_temperature_celsius)", at=("mid", "late")),
    Q("sort_desc(app_temperature_celsius)", at=("mid", "late")),
    Q("sort_desc(sum by (instance) (rate(node_network_receive_bytes_total[5m])))"),
    Q("topk(2, sum by (instance) (rate(node_network_receive_bytes_total[5m])))"),
    # --- label_replace / label_join -----------------------------------------------------------
    Q('label_replace(node_load1, "host", "$1", "instance", "(.*):.*")'),
    Q('label_replace(node_load1, "host", "$1", "instance", "nomatch(.*)")'),
    Q('label_replace(node_load1, "instance", "", "instance", ".*")'),
    Q('label_replace(rate(node_network_receive_bytes_total[5m]), "dev", "${1}x", "device", '
      '"(e)th.*")'),
    Q('label_replace(node_load1, "__name__", "load_one", "", "")'),
    Q('label_join(node_uname_info, "id", "/", "nodename", "release")'),
    Q('label_join(node_load1, "instance", "", "job")'),
    Q('label_join(node_load1, "empty", ",")'),
    Q('sum by (host) (label_replace(node_load1, "host", "$1", "instance", "(node)-.*"))'),
    Q('label_replace(node_load1, "__name__", "same", "", "") or '
      'label_replace(node_memory_MemTotal_bytes, "__name__", "same", "", "")'),
    # --- subqueries -----------------------------------------------------------------------------
    Q(f'max_over_time(rate({CPU}{{mode="user"}}[5m])[30m:1m])'),
    Q("avg_over_time(node_load1[15m:30s])"),
    Q("rate(node_network_receive_bytes_total[5m:])"),
    Q("min_over_time(sum by (instance) (node_load1)[10m:15s] offset 5m)"),
    Q("deriv(sum(node_memory_MemAvailable_bytes)[20m:1m])"),
    Q("max_over_time((node_load1 > 1)[30m:1m])"),
    Q("count_over_time(absent(nonexistent_metric)[5m:1m])"),
    Q("avg_over_time(node_load1[10m:1m] @ {mid})", at=("late",)),
    # Nested: the inner subquery runs at multiples of 5m, so its range must not be a multiple
    # of gcd(5m, 1m) or its left boundary would sit on one of its own points (check_alignment).
    Q("max_over_time(avg_over_time(node_load1[5m30s:1m])[20m:5m])"),
    Q("node_load1[5m:1m]", over=()),
    Q(f'sum_over_time(increase({CPU}{{mode="idle"}}[1m])[10m:30s])', at=("mid", "reset")),
    Q(f'quantile_over_time(0.5, histogram_quantile(0.9, sum by (le) (rate({BUCKET}[5m])))'
      f'[30m:2m])'),
    Q('absent_over_time(app_queue_depth{instance="app-0:8080",queue="batch"}[5m:1m])',
      at=("gap",), over=("full",)),
    # --- absent ---------------------------------------------------------------------------------
    Q("absent(nonexistent_metric)"),
    Q("absent(node_load1)"),
    Q('absent(nonexistent_metric{job="x",instance=~"a.*",env="prod"})'),
    Q('absent(app_queue_depth{queue="legacy"})', at=("mid", "late")),
    Q("absent(sum(nonexistent_metric))"),
    # --- nested expressions ---------------------------------------------------------------------
    Q(f'topk(3, sum by (instance, mode) (rate({CPU}{{mode!="idle"}}[5m])) * 100)'),
    Q(f'100 * (1 - avg by (instance) (irate({CPU}{{mode="idle"}}[5m])))'),
    Q("(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / node_memory_MemTotal_bytes"
      " * 100 > 40"),
    Q("sum by (job) (rate(app_requests_total[5m])) / scalar(count(node_load1))"),
    Q('count(count by (nodename) (node_uname_info)) - count(node_load1) + vector(1)'),
    Q("max by (instance) (max_over_time(node_load1[1h])) - min by (instance) "
      "(min_over_time(node_load1[1h]))"),
    Q(f'sort_desc(sum by (mode) (increase({CPU}[30m])))'),
]

# Error cases: (expr, modes) with modes "I" (instant) and/or "R" (range).
ERROR_EXPRESSIONS = [
    ("sum(node_load1", "I"),
    ("node_load1{", "I"),
    ('node_load1{instance="x"', "I"),
    ("rate(node_load1)", "IR"),
    ("rate(node_load1[5m]", "I"),
    ("foo bar", "I"),
    ("1 +", "I"),
    ("node_load1 offset", "I"),
    ("node_load1[5m:1m:1m]", "I"),
    ("histogram_quantile(0.9)", "I"),
    ("unknown_func(node_load1)", "I"),
    ("{}", "I"),
    ('{job=~".*"}', "I"),
    ("node_load1[5x]", "I"),
    ("sum by (instance) node_load1", "I"),
    ("node_load1 and 1", "I"),
    ("1 and 2", "I"),
    ('"a" + 1', "I"),
    ("node_load1 + on (instance) group_left group_right node_load1", "I"),
    ("topk(node_load1, node_load1)", "I"),
    ("sum(node_load1[5m])", "I"),
    ("abs(1)", "I"),
    ("node_load1 @ foo()", "I"),
    ("rate(node_load1[5m]) [5m]", "I"),
    ("node_load1 offset 5m offset 5m", "I"),
    ("", "I"),
    # evaluation errors
    # ("1bad" is no longer invalid in 3.x, which accepts UTF-8 label names; "" is in both)
    ('label_replace(node_load1, "", "x", "instance", ".*")', "IR"),
    ('label_replace({__name__=~"node_memory_Mem(Free|Available)_bytes"}, "__name__", '
     '"node_memory_x", "__name__", ".*")', "IR"),
    ('label_replace(app_requests_total, "path", "$1", "path", "(/x)/?")', "IR"),
    (f"{CPU} + on (instance) node_memory_MemTotal_bytes", "IR"),
    (f"{CPU} * on (instance) group_left node_network_receive_bytes_total", "IR"),
    ("node_network_receive_bytes_total / ignoring (device) node_network_receive_bytes_total",
     "IR"),
    ("node_load1[5m]", "R"),
    ('"a string"', "R"),
]

# Range queries with bad parameters: (name, expr, start, end, step) with start/end as offsets
# from the main window.
BAD_RANGE_PARAMS = [
    ("zero step", "node_load1", 0, 0, "0"),
    ("negative step", "node_load1", 0, 0, "-60"),
    ("unparsable step", "node_load1", 0, 0, "abc"),
    ("too many points", "node_load1", 0, 0, "0.5"),
    ("end before start", "node_load1", 7200, -7200, "60"),
]


def _top_call(expr):
    """(function or aggregation name, grouping clause present, text after its closing paren) of
    an expression that is a single call, else (None, False, "")."""
    m = re.match(r"\s*([a-z_]+)\s*((?:by|without)\s*\([^()]*\))?\s*\(", expr)
    if not m:
        return None, False, ""
    depth = 0
    for i in range(m.end() - 1, len(expr)):
        if expr[i] == "(":
            depth += 1
        elif expr[i] == ")":
            depth -= 1
            if depth == 0:
                return m.group(1), m.group(2) is not None, expr[i + 1:].strip()
    return None, False, ""


def is_ordered(expr):
    """Prometheus defines the order of an instant result only for sort/sort_desc and for
    topk/bottomk without grouping (values descending/ascending); everything else compares as a
    set."""
    name, grouped, rest = _top_call(expr)
    if name in ("sort", "sort_desc"):
        return rest == ""
    if name in ("topk", "bottomk"):
        return not grouped and rest == ""
    return False


def build(ds):
    """All queries for data set `ds`, in a stable order."""
    a = anchors(ds)
    w = windows(ds)
    out = []

    def fill(expr):
        return re.sub(r"\{(" + "|".join(a) + r")\}", lambda m: str(a[m.group(1)]), expr)

    for q in EXPRESSIONS:
        expr = fill(q.expr)
        for name in q.at:
            out.append(Query(f"instant@{name}: {q.expr}", "instant", expr, q.expr,
                             {"time": a[name]}, ordered=is_ordered(expr)))
        for name in q.over:
            start, end, step = w[name]
            out.append(Query(f"range@{name}: {q.expr}", "range", expr, q.expr,
                             {"start": start, "end": end, "step": step}))
    for expr, modes in ERROR_EXPRESSIONS:
        if "I" in modes:
            out.append(Query(f"instant@mid: {expr}", "instant", expr, expr, {"time": a["mid"]},
                             tags=("error",)))
        if "R" in modes:
            start, end, step = w["main"]
            out.append(Query(f"range@main: {expr}", "range", expr, expr,
                             {"start": start, "end": end, "step": step}, tags=("error",)))
    start, end, _ = w["main"]
    for name, expr, d_start, d_end, step in BAD_RANGE_PARAMS:
        out.append(Query(f"range@{name}: {expr}", "range", expr, expr,
                         {"start": start + d_start, "end": end + d_end, "step": step},
                         tags=("error",)))
    out.append(Query("instant@bad-time: node_load1", "instant", "node_load1", "node_load1",
                     {"time": "abc"},
                     tags=("error",)))
    ids = [q.id for q in out]
    assert len(ids) == len(set(ids)), "duplicate query ids"
    check_alignment(out)
    return out


_DURATION = re.compile(r"(\d+)([smhdwy])")
DEFAULT_SUBQUERY_STEP = 60  # the evaluation_interval both servers use
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def _seconds(text):
    return sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(text))


def check_alignment(queries):
    """Every evaluation time ≡ 7 (mod 15) and every subquery step a multiple of 15 s, so neither
    raw samples (150..850 ms into a second) nor subquery points (multiples of their step) can
    sit on a window's left boundary (t - range - offset, itself ≡ 7 mod 15)."""
    for q in queries:
        if "error" in q.tags:
            continue
        times = [q.params["time"]] if q.kind == "instant" else \
            range(q.params["start"], q.params["end"] + 1, q.params["step"])
        for t in times:
            assert t % 15 == 7, (q.id, t)
        subqueries = [(_seconds(r), _seconds(s) if s else DEFAULT_SUBQUERY_STEP)
                      for r, s in re.findall(r"\[((?:\d+[smh])+)\s*:\s*((?:\d+[smh])*)\]",
                                             q.expr)]
        for rng, step in subqueries:
            assert rng % 15 == 0 and step % 15 == 0, q.id
        # Textual order is innermost first for nested subqueries: the inner one is evaluated at
        # multiples of the outer step, so its window starts at k*outer - range, which must never
        # be a multiple of the inner step.
        for (inner_rng, inner_step), (_, outer_step) in zip(subqueries, subqueries[1:]):
            assert inner_rng % math.gcd(inner_step, outer_step) != 0, q.id
        for off in re.findall(r"offset\s+-?(\d+[smh])", q.expr):
            assert _seconds(off) % 15 == 0, q.id
        for at in re.findall(r"@\s*(\d+)", q.expr):
            assert int(at) % 15 == 7, q.id


def allowlisted(query):
    """The KNOWN_DIFFERENCES entry (Known) for a query, or None."""
    return KNOWN_DIFFERENCES.get(query.id) or KNOWN_DIFFERENCES.get(query.template)

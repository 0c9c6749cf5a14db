"""Compares two Prometheus HTTP API answers to the same query the way the PromQL differential
test defines "the same":

  * the same HTTP status and `status`;
  * errors: the same errorType and message (execution errors that list series, e.g. many-to-many
    matching, compare with each bracketed list of series sorted);
  * success: the same resultType; the same label sets (as a set, or in order for queries whose
    order Prometheus defines: sort/sort_desc/topk/bottomk, where runs of equal values still
    compare as sets because their order is unspecified); identical timestamps (as integer ms);
    values equal within REL_TOL relative, NaN == NaN, ±Inf exact.
Warnings are ignored (2.42 has almost none; 3.x adds info annotations).
"""

import math
import re
from decimal import Decimal

REL_TOL = 1e-9


def parse_value(text):
    if text == "NaN":
        return math.nan
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    return float(text)


def values_equal(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def ts_ms(text):
    return int(Decimal(str(text)) * 1000)


def _labels(metric):
    return tuple(sorted(metric.items()))


def fmt_labels(key):
    return "{" + ", ".join(f'{k}="{v}"' for k, v in key) + "}"


_BRACKETED = re.compile(r"\[([^\[\]]*)\]")


def normalize_error(message):
    """Sorts the comma-separated items of bracketed series lists in execution errors (the order
    is iteration order, not part of the contract)."""
    def sort_items(m):
        items = re.split(r",\s*(?=\{)", m.group(1))
        return "[" + ", ".join(sorted(i.strip() for i in items)) + "]"
    return _BRACKETED.sub(sort_items, message)


class Answer:
    """One side's answer: HTTP status plus the parsed body."""

    def __init__(self, status, doc, raw):
        self.http = status
        self.doc = doc
        self.raw = raw

    @property
    def ok(self):
        return isinstance(self.doc, dict) and self.doc.get("status") == "success"

    def short(self, limit=300):
        body = self.raw if len(self.raw) <= limit else self.raw[:limit] + "..."
        return f"HTTP {self.http} {body}"


def compare(query, a, b, names=("prometheus", "other"), drop_name=False):
    """Returns a list of human-readable differences (empty when the answers match).
    drop_name: compare as if neither side had __name__ labels (for allowlisted differences in
    name dropping only)."""
    if drop_name:
        a, b = _without_name(a), _without_name(b)
    na, nb = names
    if not isinstance(a.doc, dict) or not isinstance(b.doc, dict):
        if a.http == b.http and a.raw == b.raw:
            return []
        return [f"non-JSON answer: {na}: {a.short()} | {nb}: {b.short()}"]
    diffs = []
    if a.http != b.http:
        diffs.append(f"HTTP status {a.http} vs {b.http}")
    if a.doc.get("status") != b.doc.get("status"):
        diffs.append(f"status: {na}: {a.short()} | {nb}: {b.short()}")
        return diffs
    if not a.ok:
        for field in ("errorType",):
            if a.doc.get(field) != b.doc.get(field):
                diffs.append(f"{field}: {a.doc.get(field)!r} vs {b.doc.get(field)!r}")
        ea, eb = normalize_error(a.doc.get("error", "")), normalize_error(b.doc.get("error", ""))
        if ea != eb:
            diffs.append(f"error message:\n    {na}: {a.doc.get('error')}\n    {nb}: "
                         f"{b.doc.get('error')}")
        return diffs
    da, db = a.doc.get("data") or {}, b.doc.get("data") or {}
    ta, tb = da.get("resultType"), db.get("resultType")
    if ta != tb:
        return diffs + [f"resultType {ta!r} vs {tb!r}: {na}: {a.short()} | {nb}: {b.short()}"]
    ra, rb = da.get("result"), db.get("result")
    if ta in ("scalar", "string"):
        diffs += _compare_point("value", ra, rb, numeric=(ta == "scalar"))
    elif ta == "vector":
        diffs += _compare_vector(ra or [], rb or [], query.ordered, names)
    elif ta == "matrix":
        diffs += _compare_matrix(ra or [], rb or [], names)
    else:
        diffs.append(f"unknown resultType {ta!r}")
    return diffs


def _without_name(answer):
    if not answer.ok or not isinstance(answer.doc.get("data", {}).get("result"), list):
        return answer
    doc = dict(answer.doc)
    data = dict(doc["data"])
    data["result"] = [dict(s, metric={k: v for k, v in s.get("metric", {}).items()
                                      if k != "__name__"}) for s in data["result"]]
    doc["data"] = data
    return Answer(answer.http, doc, answer.raw)


def _compare_point(where, pa, pb, numeric=True):
    if pa is None or pb is None or len(pa) != 2 or len(pb) != 2:
        return [f"{where}: malformed point {pa!r} vs {pb!r}"]
    out = []
    if ts_ms(pa[0]) != ts_ms(pb[0]):
        out.append(f"{where}: timestamp {pa[0]} vs {pb[0]}")
    if numeric:
        try:
            if not values_equal(parse_value(pa[1]), parse_value(pb[1])):
                out.append(f"{where}: value {pa[1]} vs {pb[1]}")
        except (TypeError, ValueError):
            out.append(f"{where}: unparsable value {pa[1]!r} vs {pb[1]!r}")
    elif pa[1] != pb[1]:
        out.append(f"{where}: value {pa[1]!r} vs {pb[1]!r}")
    return out


def _index(series, field, names, side):
    out, dups = {}, []
    for s in series:
        key = _labels(s.get("metric", {}))
        if key in out:
            dups.append(f"{side} returned {fmt_labels(key)} twice")
        out[key] = s.get(field)
    return out, dups


def _missing_extra(ka, kb, names):
    out = []
    for key in sorted(ka - kb)[:5]:
        out.append(f"only {names[0]} has {fmt_labels(key)}")
    for key in sorted(kb - ka)[:5]:
        out.append(f"only {names[1]} has {fmt_labels(key)}")
    hidden = len(ka ^ kb) - min(5, len(ka - kb)) - min(5, len(kb - ka))
    if hidden > 0:
        out.append(f"... and {hidden} more series only on one side")
    return out


def _compare_vector(ra, rb, ordered, names):
    ia, dups_a = _index(ra, "value", names, names[0])
    ib, dups_b = _index(rb, "value", names, names[1])
    diffs = dups_a + dups_b + _missing_extra(set(ia), set(ib), names)
    if len(ra) != len(rb):
        diffs.insert(0, f"{len(ra)} vs {len(rb)} series")
    for key in sorted(set(ia) & set(ib)):
        diffs += _compare_point(fmt_labels(key), ia[key], ib[key])
    if ordered and not diffs:
        diffs += _compare_order(ra, rb, names)
    return diffs


def _compare_order(ra, rb, names):
    """Both lists hold the same series with equal values; their order must agree up to runs of
    equal values (whose order Prometheus leaves unspecified)."""
    def runs(series):
        out, last = [], None
        for s in series:
            v = parse_value(s["value"][1])
            if out and last is not None and values_equal(v, last):
                out[-1].add(_labels(s["metric"]))
            else:
                out.append({_labels(s["metric"])})
            last = v
        return out
    if runs(ra) != runs(rb):
        order_a = ", ".join(fmt_labels(_labels(s["metric"])) for s in ra)
        order_b = ", ".join(fmt_labels(_labels(s["metric"])) for s in rb)
        return [f"order differs:\n    {names[0]}: {order_a}\n    {names[1]}: {order_b}"]
    return []


def _compare_matrix(ra, rb, names):
    ia, dups_a = _index(ra, "values", names, names[0])
    ib, dups_b = _index(rb, "values", names, names[1])
    diffs = dups_a + dups_b + _missing_extra(set(ia), set(ib), names)
    if len(ra) != len(rb):
        diffs.insert(0, f"{len(ra)} vs {len(rb)} series")
    for key in sorted(set(ia) & set(ib)):
        pa, pb = ia[key] or [], ib[key] or []
        where = fmt_labels(key)
        ma = {ts_ms(p[0]): p[1] for p in pa}
        mb = {ts_ms(p[0]): p[1] for p in pb}
        only_a, only_b = sorted(set(ma) - set(mb)), sorted(set(mb) - set(ma))
        if only_a or only_b:
            diffs.append(f"{where}: {len(pa)} vs {len(pb)} points; timestamps only in "
                         f"{names[0]}: {_ts_list(only_a)}; only in {names[1]}: {_ts_list(only_b)}")
        bad = [t for t in sorted(set(ma) & set(mb))
               if not values_equal(parse_value(ma[t]), parse_value(mb[t]))]
        if bad:
            shown = ", ".join(f"@{t / 1000:.3f}: {ma[t]} vs {mb[t]}" for t in bad[:4])
            more = f" (+{len(bad) - 4} more)" if len(bad) > 4 else ""
            diffs.append(f"{where}: {len(bad)} values differ: {shown}{more}")
    return diffs


def _ts_list(ts):
    shown = ", ".join(f"{t / 1000:.3f}" for t in ts[:4])
    return shown + (f" (+{len(ts) - 4} more)" if len(ts) > 4 else "") if ts else "-"

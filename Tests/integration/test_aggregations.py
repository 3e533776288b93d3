"""Aggregations from Elasticsearch's reference pages (7.17, cited per test) and Grafana's panel
requests (clients.md §6.2), each on 1 and on N segments with identical answers."""
import math
import random

import pytest
import requests
from conftest import assert_es_error

REF = "https://www.elastic.co/guide/en/elasticsearch/reference/7.17/"
RNG = random.Random(7)
DOCS = []
for i in range(300):
    DOCS.append({"@timestamp": "2024-01-15T%02d:%02d:%02dZ" % (10 + i // 120, (i // 2) % 60, (i * 7) % 60),
                 "ns": ["default", "kube-system", "monitoring", "logging"][i % 4], "pod": "pod-%d" % (i % 37),
                 "bytes": RNG.randint(0, 10000), "status": [200, 200, 404, 500][i % 4], "ok": i % 3 != 0,
                 "seen": "2024-01-%02dT%02d:00:00Z" % (1 + (i * 7919) % 5, (i * 104729) % 24),
                 **({"label": "x"} if i % 5 else {})})


@pytest.fixture(params=[1, 6], ids=["1-segment", "N-segments"])
def agg(request, server):
    server.put("/ag", {"mappings": {"properties": {"ns": {"type": "keyword"}, "pod": {"type": "keyword"}, "label": {"type": "keyword"},
                                                   "bytes": {"type": "long"}, "status": {"type": "integer"}, "ok": {"type": "boolean"}}}})
    chunk = len(DOCS) // request.param
    for k in range(request.param):
        lines = []
        for d in DOCS[k * chunk:(k + 1) * chunk]:
            lines += [{"index": {"_index": "ag"}}, d]
        assert server.bulk(lines, refresh="true").json()["errors"] is False
    return server


def aggs(server, body, index="ag"):
    r = server.search(index, dict({"size": 0}, **body))
    assert r.status_code == 200, r.text
    return r.json()["aggregations"]


def count(pred):
    return sum(1 for d in DOCS if pred(d))


def test_terms_order_size_other_and_sub_metric(agg):
    # search-aggregations-bucket-terms-aggregation.html
    r = aggs(agg, {"aggs": {"ns": {"terms": {"field": "ns", "size": 2}, "aggs": {"b": {"avg": {"field": "bytes"}}}}}})["ns"]
    assert [b["doc_count"] for b in r["buckets"]] == [75, 75]
    assert [b["key"] for b in r["buckets"]] == ["default", "kube-system"]   # ties by key
    assert r["sum_other_doc_count"] == 150 and r["doc_count_error_upper_bound"] == 0
    avg = sum(d["bytes"] for d in DOCS if d["ns"] == "default") / 75
    assert r["buckets"][0]["b"]["value"] == pytest.approx(avg)
    r = aggs(agg, {"aggs": {"ns": {"terms": {"field": "ns", "order": {"mx": "asc"}}, "aggs": {"mx": {"max": {"field": "bytes"}}}}}})["ns"]
    mx = [b["mx"]["value"] for b in r["buckets"]]
    assert mx == sorted(mx)
    r = aggs(agg, {"aggs": {"s": {"terms": {"field": "status", "order": {"_key": "desc"}}}}})["s"]
    assert [(b["key"], b["doc_count"]) for b in r["buckets"]] == [(500, 75), (404, 75), (200, 150)]
    r = aggs(agg, {"aggs": {"p": {"terms": {"field": "pod", "include": "pod-1.*", "exclude": ["pod-10"], "size": 100, "min_doc_count": 9}}}})["p"]
    assert {b["key"] for b in r["buckets"]} == {f"pod-{k}" for k in range(11, 20) if count(lambda d: d["pod"] == f"pod-{k}") >= 9} | ({"pod-1"} if count(lambda d: d["pod"] == "pod-1") >= 9 else set())
    r = aggs(agg, {"aggs": {"l": {"terms": {"field": "label", "missing": "N/A"}}}})["l"]
    assert {b["key"]: b["doc_count"] for b in r["buckets"]} == {"x": 240, "N/A": 60}
    # A `missing` value equal to a term: one bucket for both, its sub-aggregation over all of them.
    r = aggs(agg, {"aggs": {"l": {"terms": {"field": "label", "missing": "x"}, "aggs": {"b": {"sum": {"field": "bytes"}}}}}})["l"]
    assert [(b["key"], b["doc_count"], b["b"]["value"]) for b in r["buckets"]] == [("x", 300, sum(d["bytes"] for d in DOCS))]
    r = aggs(agg, {"aggs": {"o": {"terms": {"field": "ok"}}}})["o"]
    assert {(b["key"], b["key_as_string"]): b["doc_count"] for b in r["buckets"]} == {(1, "true"): 200, (0, "false"): 100}


def test_date_histogram_on_an_unsorted_date_field(agg):
    # Segments are sorted by @timestamp, not by other dates: buckets of a field whose values
    # come in no time order must still count every document once, counts only and with a sub-agg.
    expected = {}
    for d in DOCS:
        expected[d["seen"][:13]] = expected.get(d["seen"][:13], 0) + 1
    r = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "seen", "fixed_interval": "1h", "min_doc_count": 1}}}})["h"]["buckets"]
    assert {b["key_as_string"][:13]: b["doc_count"] for b in r} == expected
    r = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "seen", "fixed_interval": "1h", "min_doc_count": 1},
                                  "aggs": {"b": {"sum": {"field": "bytes"}}}}}})["h"]["buckets"]
    assert {b["key_as_string"][:13]: b["doc_count"] for b in r} == expected
    sums = {}
    for d in DOCS:
        sums[d["seen"][:13]] = sums.get(d["seen"][:13], 0) + d["bytes"]
    assert {b["key_as_string"][:13]: b["b"]["value"] for b in r} == sums


def test_date_histogram_fixed_calendar_bounds(agg):
    # search-aggregations-bucket-datehistogram-aggregation.html
    r = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "30m"}}}})["h"]["buckets"]
    assert sum(b["doc_count"] for b in r) == 300
    assert r[0]["key_as_string"] == "2024-01-15T10:00:00.000Z" and r[0]["key"] == 1705312800000
    # keyed: the buckets are an object named by key_as_string
    k = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h", "keyed": True}}}})["h"]["buckets"]
    assert list(k) == ["2024-01-15T10:00:00.000Z", "2024-01-15T11:00:00.000Z", "2024-01-15T12:00:00.000Z"]
    assert k["2024-01-15T11:00:00.000Z"] == {"key_as_string": "2024-01-15T11:00:00.000Z", "key": 1705316400000, "doc_count": 120}
    r = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "@timestamp", "calendar_interval": "hour", "format": "yyyy-MM-dd HH:mm"}}}})["h"]["buckets"]
    assert [(b["key_as_string"], b["doc_count"]) for b in r] == [("2024-01-15 10:00", 120), ("2024-01-15 11:00", 120), ("2024-01-15 12:00", 60)]
    r = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "@timestamp", "interval": "1d", "time_zone": "-01:00"}}}})["h"]["buckets"]
    assert [b["key_as_string"] for b in r] == ["2024-01-15T01:00:00.000Z"]
    r = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h", "min_doc_count": 0,
                                                     "extended_bounds": {"min": "2024-01-15T08:00:00Z", "max": "2024-01-15T14:00:00Z"}}}}})["h"]["buckets"]
    assert [b["doc_count"] for b in r] == [0, 0, 120, 120, 60, 0, 0]
    r = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h",
                                                     "hard_bounds": {"min": "2024-01-15T11:00:00Z", "max": "2024-01-15T11:59:59Z"}}}}})["h"]["buckets"]
    assert [b["doc_count"] for b in r] == [120]
    r = aggs(agg, {"aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h", "offset": "+30m"}}}})["h"]["buckets"]
    assert r[0]["key_as_string"] == "2024-01-15T09:30:00.000Z"


def test_date_histogram_explosion_refused(agg):
    agg.bulk([{"index": {"_index": "ag"}}, {"@timestamp": "2014-01-01T00:00:00Z"}], refresh="true")
    r = agg.search("ag", {"size": 0, "aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1s"}}}})
    assert r.status_code == 400 and r.json()["error"]["type"] == "too_many_buckets_exception"
    r = agg.search("ag", {"size": 0, "aggs": {"p": {"terms": {"field": "pod", "size": 100}, "aggs": {"h": {"histogram": {"field": "bytes", "interval": 1}}}}}})
    assert r.status_code == 400 and r.json()["error"]["type"] == "too_many_buckets_exception"


def test_histogram_range_date_range(agg):
    # search-aggregations-bucket-histogram-aggregation.html, -range-aggregation.html, -daterange-aggregation.html
    r = aggs(agg, {"aggs": {"h": {"histogram": {"field": "bytes", "interval": 2500}}}})["h"]["buckets"]
    assert [b["key"] for b in r] == [0.0, 2500.0, 5000.0, 7500.0, 10000.0][:len(r)]
    assert sum(b["doc_count"] for b in r) == 300
    r = aggs(agg, {"aggs": {"r": {"range": {"field": "bytes", "ranges": [{"to": 100.0}, {"from": 100.0, "to": 5000.0}, {"from": 5000.0}]}}}})["r"]["buckets"]
    assert [b["key"] for b in r] == ["*-100.0", "100.0-5000.0", "5000.0-*"]
    assert [b["doc_count"] for b in r] == [count(lambda d: d["bytes"] < 100), count(lambda d: 100 <= d["bytes"] < 5000), count(lambda d: d["bytes"] >= 5000)]
    r = aggs(agg, {"aggs": {"r": {"date_range": {"field": "@timestamp", "format": "yyyy-MM-dd'T'HH:mm",
                                                 "ranges": [{"to": "2024-01-15T11:00:00Z||/h"}, {"from": "2024-01-15T11:00:00Z", "key": "late"}]}}}})["r"]["buckets"]
    assert [b["doc_count"] for b in r] == [120, 180] and r[1]["key"] == "late"
    assert r[0]["to_as_string"] == "2024-01-15T11:00"


def test_filter_filters_missing_global(agg):
    # search-aggregations-bucket-filter-aggregation.html, -filters-aggregation.html, -missing-aggregation.html
    r = aggs(agg, {"aggs": {"f": {"filter": {"term": {"status": 500}}, "aggs": {"avg": {"avg": {"field": "bytes"}}}}}})["f"]
    assert r["doc_count"] == 75
    r = aggs(agg, {"aggs": {"m": {"filters": {"other_bucket_key": "other", "filters": {"errors": {"match": {"ns": "logging"}}, "ok": {"term": {"status": 200}}}}}}})["m"]["buckets"]
    assert r["errors"]["doc_count"] == 75 and r["ok"]["doc_count"] == 150 and r["other"]["doc_count"] == 75
    r = aggs(agg, {"aggs": {"m": {"filters": {"filters": [{"term": {"status": 404}}, {"term": {"status": 500}}]}}}})["m"]["buckets"]
    assert [b["doc_count"] for b in r] == [75, 75]
    r = aggs(agg, {"aggs": {"m": {"missing": {"field": "label"}}}})["m"]
    assert r["doc_count"] == 60
    r = agg.search("ag", {"size": 0, "query": {"term": {"ns": "default"}}, "aggs": {"g": {"global": {}}, "all": {"value_count": {"field": "bytes"}}}}).json()
    assert r["aggregations"]["g"]["doc_count"] == 300 and r["aggregations"]["all"]["value"] == 75


def test_metrics(agg):
    # search-aggregations-metrics-*-aggregation.html
    b = [d["bytes"] for d in DOCS]
    r = aggs(agg, {"aggs": {"mn": {"min": {"field": "bytes"}}, "mx": {"max": {"field": "bytes"}}, "av": {"avg": {"field": "bytes"}},
                            "sm": {"sum": {"field": "bytes"}}, "vc": {"value_count": {"field": "bytes"}}, "st": {"stats": {"field": "bytes"}},
                            "ex": {"extended_stats": {"field": "bytes"}}, "t": {"max": {"field": "@timestamp"}}}})
    assert r["mn"]["value"] == min(b) and r["mx"]["value"] == max(b) and r["sm"]["value"] == sum(b) and r["vc"]["value"] == 300
    assert r["av"]["value"] == pytest.approx(sum(b) / 300)
    assert r["st"] == {"count": 300, "min": min(b), "max": max(b), "avg": pytest.approx(sum(b) / 300), "sum": sum(b)}
    mean = sum(b) / 300
    assert r["ex"]["std_deviation"] == pytest.approx(math.sqrt(sum((x - mean) ** 2 for x in b) / 300))
    assert r["t"]["value_as_string"] == max(d["@timestamp"] for d in DOCS).replace("Z", ".000Z")
    r = aggs(agg, {"query": {"term": {"ns": "nope"}}, "aggs": {"a": {"avg": {"field": "bytes"}}, "s": {"sum": {"field": "bytes"}}}})
    assert r["a"]["value"] is None and r["s"]["value"] == 0


def test_cardinality_and_percentiles_within_bounds(agg):
    # search-aggregations-metrics-cardinality-aggregation.html, -percentile-aggregation.html
    r = aggs(agg, {"aggs": {"c": {"cardinality": {"field": "pod", "precision_threshold": 100}}, "cb": {"cardinality": {"field": "bytes"}}}})
    assert r["c"]["value"] == 37
    exact = len({d["bytes"] for d in DOCS})
    assert abs(r["cb"]["value"] - exact) <= exact * 0.05
    r = aggs(agg, {"aggs": {"p": {"percentiles": {"field": "bytes"}}, "pk": {"percentiles": {"field": "bytes", "percents": [50], "keyed": False}},
                            "pr": {"percentile_ranks": {"field": "bytes", "values": [5000]}}}})
    s = sorted(d["bytes"] for d in DOCS)
    assert list(r["p"]["values"]) == ["1.0", "5.0", "25.0", "50.0", "75.0", "95.0", "99.0"]
    for p, v in r["p"]["values"].items():
        exact = s[min(299, int(float(p) / 100 * 299))]
        assert abs(v - exact) <= 0.02 * 10000, (p, v, exact)   # within 2% of the value range
    assert r["pk"]["values"][0]["key"] == 50.0
    assert abs(r["pr"]["values"]["5000.0"] - 100 * sum(1 for x in s if x <= 5000) / 300) < 1


def test_composite_paging(agg):
    # search-aggregations-bucket-composite-aggregation.html
    seen = []
    after = None
    while True:
        body = {"composite": {"size": 5, "sources": [{"ns": {"terms": {"field": "ns"}}}, {"hour": {"date_histogram": {"field": "@timestamp", "calendar_interval": "1h"}}}]}}
        if after:
            body["composite"]["after"] = after
        r = aggs(agg, {"aggs": {"c": body}})["c"]
        seen += [(b["key"]["ns"], b["key"]["hour"], b["doc_count"]) for b in r["buckets"]]
        if len(r["buckets"]) < 5:
            break
        after = r["after_key"]
    assert len(seen) == 12 and sum(c for _, _, c in seen) == 300
    assert seen == sorted(seen)


def test_top_hits_and_top_metrics(agg):
    # search-aggregations-metrics-top-hits-aggregation.html, -top-metrics.html
    r = aggs(agg, {"aggs": {"ns": {"terms": {"field": "ns"}, "aggs": {"top": {"top_hits": {"size": 2, "sort": [{"bytes": {"order": "desc"}}], "_source": {"includes": ["bytes"]}}}}}}})
    for b in r["ns"]["buckets"]:
        top = sorted((d["bytes"] for d in DOCS if d["ns"] == b["key"]), reverse=True)[:2]
        assert [h["_source"]["bytes"] for h in b["top"]["hits"]["hits"]] == top
        assert b["top"]["hits"]["total"]["value"] == 75
    r = aggs(agg, {"aggs": {"tm": {"top_metrics": {"metrics": {"field": "bytes"}, "sort": {"@timestamp": "desc"}}}}})
    last = max(DOCS, key=lambda d: d["@timestamp"])
    assert r["tm"]["top"][0]["metrics"]["bytes"] == last["bytes"]


def test_pipelines(agg):
    # search-aggregations-pipeline-*.html
    h = {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"},
         "aggs": {"s": {"sum": {"field": "bytes"}}, "d": {"derivative": {"buckets_path": "s"}}, "cs": {"cumulative_sum": {"buckets_path": "s"}},
                  "mf": {"moving_fn": {"buckets_path": "s", "window": 2, "script": "MovingFunctions.unweightedAvg(values)"}},
                  "ratio": {"bucket_script": {"buckets_path": {"a": "s", "n": "_count"}, "script": "params.a / params.n"}},
                  "sel": {"bucket_selector": {"buckets_path": {"n": "_count"}, "script": "params.n > 100"}}}}
    r = aggs(agg, {"aggs": {"h": h, "avg_s": {"avg_bucket": {"buckets_path": "h>s"}}, "max_s": {"max_bucket": {"buckets_path": "h>s"}},
                            "sum_s": {"sum_bucket": {"buckets_path": "h>s"}}, "min_s": {"min_bucket": {"buckets_path": "h>s"}}}})
    b = r["h"]["buckets"]
    assert len(b) == 2   # the 60-document hour is dropped by bucket_selector
    sums = [sum(d["bytes"] for d in DOCS if d["@timestamp"].startswith("2024-01-15T%d" % hr)) for hr in (10, 11, 12)]
    assert [x["s"]["value"] for x in b] == sums[:2]
    assert "d" not in b[0] and b[1]["d"]["value"] == sums[1] - sums[0]
    assert b[1]["cs"]["value"] == sums[0] + sums[1]
    assert b[1]["mf"]["value"] == sums[0]       # window of the previous bucket only
    assert b[0]["ratio"]["value"] == pytest.approx(sums[0] / 120)
    # Sibling pipelines see the buckets bucket_selector kept, as in Elasticsearch's reduce order.
    kept = sums[:2]
    assert r["sum_s"]["value"] == sum(kept) and r["max_s"]["value"] == max(kept) and r["min_s"]["value"] == min(kept)
    assert r["avg_s"]["value"] == pytest.approx(sum(kept) / 2)


def test_shapes_and_errors(agg):
    r = agg.search("ag", {"size": 0, "aggregations": {"x": {"max": {"field": "bytes"}}}}).json()
    assert "x" in r["aggregations"]
    r = agg.search("ag", {"size": 0, "aggs": {"x": {"bogus": {"field": "bytes"}}}})
    assert r.status_code == 400 and r.json()["error"]["type"] == "unknown_named_object_exception"
    agg.bulk([{"index": {"_index": "ag"}}, {"free_text": "hello world"}], refresh="true")
    r = agg.search("ag", {"size": 0, "aggs": {"x": {"terms": {"field": "free_text"}}}})
    assert r.status_code == 400 and "Text fields are not optimised" in r.json()["error"]["reason"]
    r = agg.search("ag", {"size": 0, "aggs": {"h": {"histogram": {"field": "bytes", "interval": 5000, "keyed": True}}}}).json()
    assert isinstance(r["aggregations"]["h"]["buckets"], dict)


GRAFANA = (
    '{"ignore_unavailable":true,"index":"ag","search_type":"query_then_fetch"}\n'
    '{"aggs":{"3":{"aggs":{"2":{"date_histogram":{"extended_bounds":{"max":1705327200000,"min":1705312800000},"field":"@timestamp",'
    '"fixed_interval":"1h","format":"epoch_millis","min_doc_count":0}}},"terms":{"field":"ns","min_doc_count":1,"order":{"_key":"desc"},"size":10}}},'
    '"query":{"bool":{"filter":[{"range":{"@timestamp":{"format":"epoch_millis","gte":1705312800000,"lte":1705327200000}}},'
    '{"query_string":{"analyze_wildcard":true,"query":"status:500 OR status:404"}}]}},"size":0}\n'
    '{"search_type":"query_then_fetch","ignore_unavailable":true,"index":["ag"]}\n'
    '{"size":0,"aggs":{"2":{"date_histogram":{"field":"@timestamp","fixed_interval":"1h","min_doc_count":0,"format":"epoch_millis"},'
    '"aggs":{"1":{"avg":{"field":"bytes"}},"3":{"derivative":{"buckets_path":"1"}},"4":{"percentiles":{"field":"bytes","percents":["25","50","75"]}}}},'
    '"5":{"terms":{"field":"pod","size":3,"order":{"6":"desc"}},"aggs":{"6":{"max":{"field":"bytes"}}}}}}\n'
)


def test_grafana_panels(agg):
    r = requests.post(agg.url + "/_msearch", data=GRAFANA, headers={"Content-Type": "application/x-ndjson"}).json()["responses"]
    t = r[0]["aggregations"]["3"]["buckets"]
    assert [b["key"] for b in t] == ["monitoring", "logging"]   # status 404 and 500 namespaces, key desc
    h = t[0]["2"]["buckets"]
    assert [b["key"] for b in h] == [1705312800000 + k * 3600000 for k in range(5)]
    assert [b["key_as_string"] for b in h][0] == "1705312800000"
    assert [b["doc_count"] for b in h] == [30, 30, 15, 0, 0]
    r2 = r[1]["aggregations"]
    assert [b["doc_count"] for b in r2["2"]["buckets"]] == [120, 120, 60]
    assert "3" in r2["2"]["buckets"][1] and set(r2["2"]["buckets"][0]["4"]["values"]) == {"25.0", "50.0", "75.0"}
    maxes = [b["6"]["value"] for b in r2["5"]["buckets"]]
    assert maxes == sorted(maxes, reverse=True) and len(maxes) == 3


@pytest.mark.parametrize("segments", [1, 4], ids=["1-segment", "N-segments"])
def test_fielddata_text_terms_and_sort(server, segments):
    # ES 7: `fielddata: true` on a text field aggregates (and sorts) on its analyzed terms.
    server.put("/fd", {"mappings": {"properties": {"msg": {"type": "text", "fielddata": True}, "plain": {"type": "text"}}}})
    msgs = ["Connection refused by host", "connection reset", "Timeout on host", "refused again", "host down"]
    per = len(msgs) // segments or 1
    for k in range(0, len(msgs), per):
        lines = []
        for i, m in enumerate(msgs[k:k + per], start=k):
            lines += [{"index": {"_index": "fd", "_id": str(i)}}, {"msg": m, "plain": m}]
        assert server.bulk(lines, refresh="true").json()["errors"] is False
    words = {}
    for m in msgs:
        for w in set(m.lower().split()):
            words[w] = words.get(w, 0) + 1
    got = aggs(server, {"aggs": {"w": {"terms": {"field": "msg", "size": 3}}}}, index="fd")["w"]["buckets"]
    assert got == [{"key": "host", "doc_count": 3}, {"key": "connection", "doc_count": 2}, {"key": "refused", "doc_count": 2}]
    assert sum(b["doc_count"] for b in aggs(server, {"aggs": {"w": {"terms": {"field": "msg", "size": 100}}}}, index="fd")["w"]["buckets"]) == sum(words.values())
    # Over the matches only, and with a metric inside.
    got = aggs(server, {"query": {"match": {"msg": "refused"}}, "aggs": {"w": {"terms": {"field": "msg", "size": 10}}}}, index="fd")["w"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in got} == {"refused": 2, "connection": 1, "by": 1, "host": 1, "again": 1}
    # Sorting on it: ascending by each document's smallest term.
    r = server.search("fd", {"sort": [{"msg": "asc"}], "size": 10}).json()
    assert [h["sort"][0] for h in r["hits"]["hits"]] == sorted(min(m.lower().split()) for m in msgs)
    # Without fielddata: refused as Elasticsearch refuses it; field caps tell the two apart.
    assert_es_error(server.search("fd", {"size": 0, "aggs": {"w": {"terms": {"field": "plain"}}}}), 400, "illegal_argument_exception")
    caps = server.get("/fd/_field_caps?fields=msg,plain").json()["fields"]
    assert caps["msg"]["text"]["aggregatable"] is True and caps["plain"]["text"]["aggregatable"] is False
    assert server.get("/fd/_mapping").json()["fd"]["mappings"]["properties"]["msg"] == {"type": "text", "fielddata": True}
    assert_es_error(server.put("/fd2", {"mappings": {"properties": {"k": {"type": "keyword", "fielddata": True}}}}), 400, "mapper_parsing_exception")


@pytest.mark.parametrize("segments", [1, 5], ids=["1-segment", "N-segments"])
def test_terms_over_every_document_count_like_per_document(server, segments):
    # A terms aggregation over every document of a segment counts from the terms' document
    # counts (no ordinal per document): the counts must be the per-document ones, whatever the
    # field holds: repeated values in one document, values past ignore_above, a normalizer, IPs,
    # documents without the field, deletions and updates.
    server.put("/tc", {"settings": {"analysis": {"normalizer": {"low": {"type": "custom", "filter": ["lowercase"]}}}},
                       "mappings": {"properties": {"k": {"type": "keyword", "ignore_above": 8}, "n": {"type": "keyword", "normalizer": "low"},
                                                   "ip": {"type": "ip"}}}})
    docs = {}
    for i in range(600):
        d = {"k": [["a", "a", "b"], "b", "c", "toolongvalue", ["c", "d"], "a"][i % 6], "n": ["X", "x", "Y"][i % 3]}
        if i % 10:
            d["ip"] = "10.0.0.%d" % (i % 4)
        docs[str(i)] = d
    ids = list(docs)
    per = len(ids) // segments
    for s in range(segments):
        lines = []
        for i in ids[s * per:(s + 1) * per]:
            lines += [{"index": {"_index": "tc", "_id": i}}, docs[i]]
        assert server.bulk(lines, refresh="true").json()["errors"] is False

    def truth(field):
        out = {}
        for d in docs.values():
            v = d.get(field)
            vals = v if isinstance(v, list) else ([] if v is None else [v])
            if field == "k": vals = [x for x in vals if len(x) <= 8]
            if field == "n": vals = [x.lower() for x in vals]
            for x in set(vals):
                out[x] = out.get(x, 0) + 1
        return out

    def check():
        for field in ("k", "n", "ip"):
            got = aggs(server, {"aggs": {"t": {"terms": {"field": field, "size": 50}}}}, index="tc")["t"]
            assert {b["key"]: b["doc_count"] for b in got["buckets"]} == truth(field), field
            assert got["sum_other_doc_count"] == 0
    check()
    # Deletions and an update in another segment: the per-segment counts must leave them out.
    for i in ("0", "7", "13"):
        assert server.delete(f"/tc/_doc/{i}", params={"refresh": "true"}).status_code == 200
        del docs[i]
    docs["1"] = {"k": "z", "n": "Z"}
    assert server.bulk([{"index": {"_index": "tc", "_id": "1"}}, docs["1"]], refresh="true").json()["errors"] is False
    check()
    # One id written twice in one request, with enough others that the new segment counts by
    # its terms: only the second version counts.
    lines = []
    for i in range(600, 700):
        docs[str(i)] = {"k": "a", "n": "x"}
        lines += [{"index": {"_index": "tc", "_id": str(i)}}, docs[str(i)]]
    docs["650"] = {"k": "b", "n": "y"}
    lines += [{"index": {"_index": "tc", "_id": "650"}}, docs["650"]]
    assert server.bulk(lines, refresh="true").json()["errors"] is False
    check()
    assert server.post("/tc/_forcemerge?max_num_segments=1").status_code == 200
    check()

"""Prometheus metrics (issue 18 item 4): `/_prometheus/metrics` read by prometheus_client's
text-format parser; counters move as documents arrive, latency histograms fill, rejections
are counted by reason, per-index gauges follow the indices."""
import os
import sys

import pytest
import requests

from conftest import PYDEPS

PROM = os.path.join(PYDEPS, "prom")
if not os.path.isdir(PROM):
    pytest.fail(f"{PROM} missing: run `make pydeps` (make test does)", pytrace=False)
sys.path.insert(0, PROM)
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402


def scrape(s):
    r = s.get("/_prometheus/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out = {}
    for fam in text_string_to_metric_families(r.text):
        for smp in fam.samples:
            out[(smp.name, tuple(sorted(smp.labels.items())))] = smp.value
    return out


def value(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counters_move_and_gauges_follow(server):
    s = server
    before = scrape(s)
    lines = []
    for i in range(300):
        lines += [{"index": {"_index": "pm-a" if i % 3 else "pm-b"}}, {"n": i, "msg": "hello world"}]
    assert s.bulk(lines, refresh="true").json()["errors"] is False
    s.post("/pm-a/_search", {"query": {"match_all": {}}})
    s.post("/pm-*/_count")
    s.post("/pm-a/_flush")
    m = scrape(s)
    assert value(m, "logpond_documents_ingested_total", index="pm-a") == 200
    assert value(m, "logpond_documents_ingested_total", index="pm-b") == 100
    assert value(m, "logpond_ingested_bytes_total", index="pm-a") > 200 * 20
    assert value(m, "logpond_translog_bytes_total") > value(before, "logpond_translog_bytes_total")
    assert value(m, "logpond_translog_fsync_seconds_count") >= 1
    assert value(m, "logpond_bulk_duration_seconds_count") >= 1
    assert value(m, "logpond_search_duration_seconds_count") >= 2
    assert value(m, "logpond_index_docs", index="pm-a") == 200
    assert value(m, "logpond_index_segments", index="pm-a") >= 1
    assert value(m, "logpond_index_store_bytes", index="pm-a") > 0
    assert value(m, "logpond_disk_free_bytes") > 0 and value(m, "process_resident_memory_bytes") > 1e6
    assert value(m, "process_cpu_seconds_total") > 0
    assert ("logpond_open_scrolls", ()) in m
    assert any(k[0] == "logpond_cache_requests_total" for k in m)
    # More documents: the counter moves by exactly as many.
    s.bulk([{"index": {"_index": "pm-a"}}, {"n": 1}] * 5)
    assert value(scrape(s), "logpond_documents_ingested_total", index="pm-a") == 205
    # A deleted index's gauges go; its counters stay (they count what happened).
    s.delete("/pm-b")
    m = scrape(s)
    assert ("logpond_index_docs", (("index", "pm-b"),)) not in m
    assert value(m, "logpond_documents_ingested_total", index="pm-b") == 100


def test_rejections_by_reason(make_server):
    s = make_server("http.max_content_length: 10kb\n").start()
    # A request over the content length is rejected (413), counted under its error type.
    big = (b'{"index":{"_index":"r"}}\n{"a":"' + b"x" * 1024 + b'"}\n') * 20
    r = requests.post(s.url + "/_bulk", data=big, headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 413
    requests.post(s.url + "/_bulk", data=big, headers={"Content-Type": "application/x-ndjson"})
    m = scrape(s)
    assert value(m, "logpond_rejected_requests_total", reason=r.json()["error"]["type"]) == 2

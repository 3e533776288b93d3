"""Stats, cat and cluster settings in Elasticsearch's shape (issue 18 item 3): `_stats` with
counters that move, `_cat/indices` filters/sorting/units, `_cat/shards`, `_cat/segments`,
`_mappings`, `_resolve/index`, `_cluster/settings` (auto-creation, watermarks, retention
budget, kept across restarts when persistent), `_field_caps` with `index_filter`, and the
elasticsearch-py helpers that read them."""
import os
import subprocess
import sys
import textwrap
import time

import pytest
import requests

from conftest import assert_es_error, run_es_py


def docs(server, index, n, start=0, day="2026-12-01"):
    lines = []
    for i in range(start, start + n):
        lines += [{"index": {"_index": index}}, {"@timestamp": f"{day}T10:{i % 60:02d}:00Z", "n": i}]
    assert server.bulk(lines).json()["errors"] is False


def test_stats_counters_move(server):
    s = server
    docs(s, "st-a", 100)
    st = s.get("/st-a/_stats").json()
    a = st["indices"]["st-a"]["primaries"]
    assert a["indexing"]["index_total"] == 100 and a["indexing"]["index_failed"] == 0
    assert a["translog"]["uncommitted_operations"] == 100 and a["translog"]["uncommitted_size_in_bytes"] > 100 * 20
    s.post("/st-a/_refresh")
    s.post("/st-a/_search", {"query": {"match_all": {}}})
    s.post("/st-a/_count")
    s.post("/st-a/_search?scroll=1m", {"size": 10})
    a = s.get("/st-a/_stats").json()["indices"]["st-a"]["total"]
    # The scroll's first page is a query (and a fetch) too, as in Elasticsearch.
    assert a["search"]["query_total"] == 3 and a["search"]["fetch_total"] == 2 and a["search"]["scroll_total"] == 1
    assert a["docs"]["count"] == 100 and a["refresh"]["total"] >= 1
    s.post("/st-a/_flush")
    a = s.get("/st-a/_stats").json()["indices"]["st-a"]["total"]
    assert a["flush"]["total"] >= 1 and a["translog"]["uncommitted_operations"] == 0
    assert a["store"]["size_in_bytes"] > 0 and a["segments"]["count"] >= 1
    # A failed item counts as failed; deletes count as deletes.
    s.bulk([{"index": {"_index": "st-a", "_id": "x"}}, {"n": "not a number"}, {"index": {"_index": "st-a", "_id": "y"}}, {"n": 1},
            {"delete": {"_index": "st-a", "_id": "y"}}])
    a = s.get("/st-a/_stats/indexing").json()["indices"]["st-a"]["total"]
    assert list(a) == ["indexing"]
    assert a["indexing"]["index_failed"] == 1 and a["indexing"]["index_total"] == 101 and a["indexing"]["delete_total"] == 1
    # Metric filters, the sum over indices, level=cluster.
    docs(s, "st-b", 10)
    st = s.get("/st-*/_stats/docs,store").json()
    assert set(st["_all"]["total"]) == {"docs", "store"}
    assert st["_all"]["total"]["docs"]["count"] == sum(st["indices"][i]["total"]["docs"]["count"] for i in ("st-a", "st-b"))
    assert "indices" not in s.get("/_stats?level=cluster").json()
    assert_es_error(s.get("/_stats/bogus"), 400, "illegal_argument_exception")
    segs = s.get("/_cat/segments/st-a?format=json").json()
    assert len(segs) == s.get("/st-a/_stats/segments").json()["_all"]["total"]["segments"]["count"]


def test_cat_indices_filters_sorting_units(server):
    s = server
    docs(s, "c-small", 5); docs(s, "c-big", 50); docs(s, "c-mid", 20)
    s.post("/_refresh")
    rows = s.get("/_cat/indices/c-*?format=json&s=docs.count:desc&bytes=b").json()
    assert [r["index"] for r in rows] == ["c-big", "c-mid", "c-small"]
    assert all(r["store.size"].isdigit() for r in rows), rows
    assert [r["index"] for r in s.get("/_cat/indices/c-*?format=json&s=index").json()] == ["c-big", "c-mid", "c-small"]
    text = s.get("/_cat/indices/c-*?v&h=index,docs.count&s=docs.count").text.splitlines()
    assert text[0].split() == ["index", "docs.count"] and [l.split()[0] for l in text[1:]] == ["c-small", "c-mid", "c-big"]
    assert len(s.get("/_cat/indices?format=json&health=green").json()) == 3
    assert s.get("/_cat/indices?format=json&health=red").json() == []
    assert_es_error(s.get("/_cat/indices?bogus=1"), 400, "illegal_argument_exception")
    assert_es_error(s.get("/_cat/indices?s=nope"), 400, "unsupported_operation_exception")
    assert_es_error(s.get("/_cat/indices?bytes=zz"), 400, "illegal_argument_exception")
    assert_es_error(s.get("/_cat/indices?health=blue"), 400, "illegal_argument_exception")
    shards = s.get("/_cat/shards/c-*?format=json&s=index").json()
    assert [(r["index"], r["shard"], r["prirep"], r["state"], r["docs"]) for r in shards] == [
        ("c-big", "0", "p", "STARTED", "50"), ("c-mid", "0", "p", "STARTED", "20"), ("c-small", "0", "p", "STARTED", "5")]
    s.post("/c-big/_flush")
    segs = s.get("/_cat/segments/c-big?format=json").json()
    assert segs and sum(int(r["docs.count"]) for r in segs) == 50 and all(r["committed"] == "true" for r in segs)
    assert s.get("/_cat/segments?v").text.splitlines()[0].split()[:5] == ["index", "shard", "prirep", "ip", "segment"]


def test_mappings_plural_and_resolve_index(server):
    s = server
    s.put("/r-1", {"mappings": {"properties": {"k": {"type": "keyword"}}}}); s.put("/r-2"); s.put("/other")
    s.put("/r-1/_alias/ra"); s.put("/r-2/_alias/ra")
    assert s.get("/r-1/_mappings").json() == s.get("/r-1/_mapping").json()
    assert set(s.get("/_mappings").json()) >= {"r-1", "r-2", "other"}
    r = s.get("/_resolve/index/r-*").json()
    assert [i["name"] for i in r["indices"]] == ["r-1", "r-2"] and r["indices"][0]["aliases"] == ["ra"]
    assert r["indices"][0]["attributes"] == ["open"] and r["data_streams"] == []
    r = s.get("/_resolve/index/ra").json()
    assert r["aliases"] == [{"name": "ra", "indices": ["r-1", "r-2"]}] and [i["name"] for i in r["indices"]] == ["r-1", "r-2"]
    assert_es_error(s.get("/_resolve/index/missing"), 404, "index_not_found_exception")


def test_cluster_settings_persist_and_apply(make_server):
    s = make_server().start()
    assert s.get("/_cluster/settings").json() == {"persistent": {}, "transient": {}}
    r = s.put("/_cluster/settings", {"persistent": {"action.auto_create_index": "+allowed-*,-*"},
                                     "transient": {"cluster": {"routing": {"allocation": {"disk": {"watermark": {"low": "70%"}}}}}}})
    assert r.status_code == 200, r.text
    assert r.json()["persistent"] == {"action": {"auto_create_index": "+allowed-*,-*"}}
    r = s.bulk([{"index": {"_index": "allowed-1"}}, {"a": 1}, {"index": {"_index": "other-1"}}, {"a": 1}])
    items = [i["index"] for i in r.json()["items"]]
    assert items[0]["status"] == 201
    assert items[1]["status"] == 404 and items[1]["error"]["type"] == "index_not_found_exception"
    assert "[action.auto_create_index] contains [-*] which forbids automatic creation of the index" in items[1]["error"]["reason"]
    assert s.put("/explicit").status_code == 200, "explicit creation is not auto-creation"
    assert s.post("/explicit/_doc", {"a": 1}).status_code == 201
    node = next(iter(s.get("/_nodes/stats").json()["nodes"].values()))
    assert node["fs"]["watermark"]["low"].startswith("70"), node["fs"]["watermark"]   # the transient low watermark is in force
    assert node["fs"]["watermark"]["high"].startswith("90")
    flat = s.get("/_cluster/settings?flat_settings=true").json()
    assert flat == {"persistent": {"action.auto_create_index": "+allowed-*,-*"}, "transient": {"cluster.routing.allocation.disk.watermark.low": "70%"}}
    # Persistent survives a restart, transient does not.
    s.stop(); s.start()
    assert s.get("/_cluster/settings?flat_settings=true").json() == {"persistent": {"action.auto_create_index": "+allowed-*,-*"}, "transient": {}}
    assert s.post("/nope-1/_doc", {"a": 1}).status_code == 404
    # false, then null removes it: auto-creation is back.
    s.put("/_cluster/settings", {"persistent": {"action.auto_create_index": False}})
    r = s.post("/allowed-2/_doc", {"a": 1})
    assert r.status_code == 404 and "[action.auto_create_index] is [false]" in r.json()["error"]["reason"]
    s.put("/_cluster/settings", {"persistent": {"action.auto_create_index": None}})
    assert s.post("/anything/_doc", {"a": 1}).status_code == 201
    assert s.get("/_cluster/settings").json()["persistent"] == {}
    # Unknown settings and bad values: 400, nothing changed.
    assert_es_error(s.put("/_cluster/settings", {"persistent": {"no.such.setting": 1}}), 400, "illegal_argument_exception")
    assert_es_error(s.put("/_cluster/settings", {"persistent": {"cluster.routing.allocation.disk.watermark.high": "lots"}}), 400, "illegal_argument_exception")
    assert_es_error(s.put("/_cluster/settings", {"transient": {"cluster.routing.allocation.disk.watermark.low": "99%"}}), 400, "illegal_argument_exception")
    assert_es_error(s.put("/_cluster/settings", {}), 400, "action_request_validation_exception")
    # Inert ES settings are accepted; destructive_requires_name guards wildcard deletes.
    assert s.put("/_cluster/settings", {"persistent": {"cluster.routing.allocation.enable": "all", "action.destructive_requires_name": True}}).status_code == 200
    assert_es_error(s.delete("/any*"), 400, "illegal_argument_exception")
    assert s.delete("/anything").status_code == 200
    s.put("/_cluster/settings", {"persistent": {"action.destructive_requires_name": None}})
    assert s.get("/_cluster/settings").json()["persistent"] == {"cluster": {"routing": {"allocation": {"enable": "all"}}}}


def test_retention_budget_from_cluster_settings(make_server):
    s = make_server("logpond:\n  retention:\n    check_interval: 1s\n").start()
    for day in ("2026.11.01", "2026.11.02", "2026.11.03"):
        docs(s, f"logstash-{day}", 200)
    s.post("/_flush")
    sizes = {r["index"]: int(r["store.size"]) for r in s.get("/_cat/indices?format=json&bytes=b").json()}
    budget = sizes["logstash-2026.11.02"] + sizes["logstash-2026.11.03"] + 10
    r = s.put("/_cluster/settings", {"persistent": {"logpond.retention.max_total_size": f"{budget}b", "logpond.retention.budget_pattern": "logstash-*"}})
    assert r.status_code == 200, r.text
    deadline = time.time() + 15
    while time.time() < deadline and s.get("/logstash-2026.11.01").status_code == 200:
        time.sleep(0.2)
    assert s.get("/logstash-2026.11.01").status_code == 404, "the oldest index went to keep under the budget"
    assert s.get("/logstash-2026.11.03").status_code == 200


def test_field_caps_index_filter(server):
    s = server
    docs(s, "fc-old", 5, day="2026-11-01")
    docs(s, "fc-new", 5, day="2026-12-01")
    s.post("/_refresh")
    r = s.post("/fc-*/_field_caps?fields=n", {"index_filter": {"range": {"@timestamp": {"gte": "2026-11-15"}}}}).json()
    assert r["indices"] == ["fc-new"]
    r = s.post("/fc-*/_field_caps?fields=n", {}).json()
    assert r["indices"] == ["fc-new", "fc-old"]
    assert_es_error(s.post("/fc-*/_field_caps?fields=n", {"index_filter": {"nope": {}}}), 400, "parsing_exception")


CLIENT = textwrap.dedent("""
    import sys
    from elasticsearch import Elasticsearch, helpers
    es = Elasticsearch(sys.argv[1])
    helpers.bulk(es, ({"_index": "py-%d" % (i % 2), "_source": {"n": i}} for i in range(40)))
    es.indices.refresh(index="py-*")
    st = es.indices.stats(index="py-*")
    assert st["_all"]["total"]["docs"]["count"] == 40, st["_all"]
    assert st["indices"]["py-0"]["total"]["indexing"]["index_total"] == 20
    rows = es.cat.indices(index="py-*", format="json", bytes="b", s="index")
    assert [r["index"] for r in rows] == ["py-0", "py-1"], rows
    assert len(es.cat.shards(index="py-*", format="json")) == 2
    assert es.cat.segments(index="py-0", format="json")
    assert es.cat.count(index="py-*", format="json")[0]["count"] == "40"
    es.cluster.put_settings(body={"persistent": {"action.auto_create_index": "+py-*"}}) if sys.argv[2] == "es7" else \\
        es.cluster.put_settings(persistent={"action.auto_create_index": "+py-*"})
    assert es.cluster.get_settings()["persistent"]["action"]["auto_create_index"] == "+py-*"
    assert "py-0" in es.indices.get_mapping(index="py-0")
    r = es.indices.resolve_index(name="py-*")
    assert [i["name"] for i in r["indices"]] == ["py-0", "py-1"]
    print("STATS-OK")
""")


@pytest.mark.parametrize("flavour", ["es7", "es8"])
def test_elasticsearch_py_stats_and_cat(server, flavour):
    run_es_py(CLIENT, server.url, flavour, "STATS-OK")

"""Minimal search (issue 2 item 6), each case on 1 segment and on N segments with identical answers."""
import pytest

DOCS = [
    {"@timestamp": "2024-01-15T10:00:0%d.000Z" % i,
     "log": text, "stream": stream, "level": level, "bytes": b,
     "kubernetes": {"namespace_name": ns, "pod_name": pod}}
    for i, (text, stream, level, b, ns, pod) in enumerate([
        ("connection refused by upstream", "stderr", "error", 100, "kube-system", "weave-scope-agent-56dfr"),
        ("GET /healthz 200", "stdout", "info", 20, "default", "web-1"),
        ("GET /index.html 200", "stdout", "info", 5120, "default", "web-2"),
        ("upstream timed out", "stderr", "warn", 300, "kube-system", "coredns-abc"),
        ("connection reset by peer", "stderr", "error", 50, "default", "web-1"),
        ("all good", "stdout", "info", 0, "monitoring", "prom-0"),
    ])
]


def load(server, index, segments):
    """Loads DOCS into `index` as one segment or as one segment per document."""
    if segments == 1:
        lines = []
        for d in DOCS:
            lines += [{"index": {"_index": index}}, d]
        assert server.bulk(lines, refresh="true").json()["errors"] is False
    else:
        for d in DOCS:
            assert server.bulk([{"index": {"_index": index}}, d], refresh="true").json()["errors"] is False
    segs = server.get(f"/_cat/indices/{index}?format=json").json()
    assert segs[0]["docs.count"] == str(len(DOCS))


@pytest.fixture(params=[1, 6], ids=["1-segment", "N-segments"])
def loaded(request, server):
    load(server, "logs-a", request.param)
    return server


def total(server, query, index="logs-a"):
    r = server.search(index, {"query": query})
    assert r.status_code == 200, r.text
    return r.json()["hits"]["total"]["value"]


def test_match_all_and_count(loaded):
    assert total(loaded, {"match_all": {}}) == 6
    assert loaded.get("/logs-a/_count").json()["count"] == 6
    assert loaded.post("/logs-a/_count", {"query": {"term": {"stream.keyword": "stderr"}}}).json()["count"] == 3


def test_term_and_terms(loaded):
    assert total(loaded, {"term": {"level.keyword": "error"}}) == 2
    assert total(loaded, {"term": {"level.keyword": {"value": "warn"}}}) == 1
    assert total(loaded, {"terms": {"kubernetes.namespace_name.keyword": ["default", "monitoring"]}}) == 4
    assert total(loaded, {"term": {"bytes": 5120}}) == 1
    # term is not analysed: a capitalised word does not match the lowercased token.
    assert total(loaded, {"term": {"log": "GET"}}) == 0
    assert total(loaded, {"term": {"log": "get"}}) == 2


def test_match_or_and(loaded):
    assert total(loaded, {"match": {"log": "connection upstream"}}) == 3
    assert total(loaded, {"match": {"log": {"query": "connection upstream", "operator": "and"}}}) == 1
    assert total(loaded, {"match": {"log": {"query": "connection timed", "operator": "and"}}}) == 0
    assert total(loaded, {"match": {"log": {"query": "Connection REFUSED", "operator": "and"}}}) == 1


def test_range_numbers_iso_and_epoch_millis(loaded):
    assert total(loaded, {"range": {"bytes": {"gte": 50, "lt": 300}}}) == 2
    assert total(loaded, {"range": {"bytes": {"gt": 300}}}) == 1
    assert total(loaded, {"range": {"@timestamp": {"gte": "2024-01-15T10:00:02Z", "lte": "2024-01-15T10:00:04.000Z"}}}) == 3
    start = 1705312802000  # 2024-01-15T10:00:02Z
    assert total(loaded, {"range": {"@timestamp": {"gte": start, "lt": start + 2000, "format": "epoch_millis"}}}) == 2
    assert total(loaded, {"range": {"@timestamp": {"gte": str(start), "format": "epoch_millis"}}}) == 4
    assert total(loaded, {"range": {"@timestamp": {"gte": "2030-01-01"}}}) == 0


def test_bool(loaded):
    q = {"bool": {"must": [{"match": {"log": "connection"}}],
                  "filter": [{"term": {"stream.keyword": "stderr"}}],
                  "must_not": [{"match": {"log": "reset"}}]}}
    assert total(loaded, q) == 1
    q = {"bool": {"should": [{"term": {"level.keyword": "warn"}}, {"term": {"level.keyword": "error"}}]}}
    assert total(loaded, q) == 3
    q = {"bool": {"filter": {"range": {"bytes": {"gte": 100}}}, "should": [{"match": {"log": "zzz"}}]}}
    assert total(loaded, q) == 3
    assert total(loaded, {"bool": {"must_not": {"term": {"stream.keyword": "stdout"}}}}) == 3


def test_sort_timestamp_and_paging(loaded):
    r = loaded.search("logs-a", {"sort": [{"@timestamp": "desc"}], "size": 2}).json()
    assert [h["_source"]["log"] for h in r["hits"]["hits"]] == ["all good", "connection reset by peer"]
    assert r["hits"]["hits"][0]["sort"] == [1705312805000]
    r = loaded.search("logs-a", {"sort": [{"@timestamp": {"order": "asc"}}], "from": 1, "size": 2}).json()
    assert [h["_source"]["log"] for h in r["hits"]["hits"]] == ["GET /healthz 200", "GET /index.html 200"]
    r = loaded.search("logs-a", {"sort": "@timestamp", "size": 10}).json()
    ts = [h["sort"][0] for h in r["hits"]["hits"]]
    assert ts == sorted(ts) and len(ts) == 6
    r = loaded.search("logs-a", {"sort": ["_doc"], "size": 3}).json()
    assert len(r["hits"]["hits"]) == 3


def test_default_size_is_10_and_window_limit(server):
    lines = []
    for n in range(25):
        lines += [{"index": {"_index": "many"}}, {"n": n}]
    server.bulk(lines, refresh="true")
    r = server.search("many", {}).json()
    assert len(r["hits"]["hits"]) == 10
    assert r["hits"]["total"] == {"value": 25, "relation": "eq"}
    r = server.search("many", {"from": 9990, "size": 20})
    assert r.status_code == 400
    assert "Result window is too large" in r.json()["error"]["reason"]


def test_targets_wildcards_lists_all_and_missing(server):
    for ix in ["logstash-2024.01.14", "logstash-2024.01.15", "other"]:
        server.bulk([{"index": {"_index": ix}}, {"m": ix}], refresh="true")
    assert server.get("/logstash-*/_count").json()["count"] == 2
    assert server.get("/logstash-2024.01.14,other/_count").json()["count"] == 2
    assert server.get("/_all/_count").json()["count"] == 3
    assert server.get("/_count").json()["count"] == 3
    assert server.post("/_search", {"size": 0}).json()["hits"]["total"]["value"] == 3
    r = server.get("/logstash-2024.01.13/_search")
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "index_not_found_exception"
    r = server.get("/logstash-2024.01.13,logstash-2024.01.14/_search?ignore_unavailable=true")
    assert r.status_code == 200 and r.json()["hits"]["total"]["value"] == 1
    assert server.get("/nomatch-*/_count").json()["count"] == 0


def test_source_filtering(loaded):
    r = loaded.search("logs-a", {"_source": ["log", "kubernetes.*"], "size": 1, "sort": [{"@timestamp": "asc"}]}).json()
    src = r["hits"]["hits"][0]["_source"]
    assert set(src) == {"log", "kubernetes"}
    r = loaded.search("logs-a", {"_source": False, "size": 1}).json()
    assert "_source" not in r["hits"]["hits"][0]


def test_time_range_excludes_whole_segments(server):
    # Two indices far apart in time: a range on one day never needs the other.
    server.bulk([{"index": {"_index": "t1"}}, {"@timestamp": "2020-01-01T00:00:00Z", "m": "old"}], refresh="true")
    server.bulk([{"index": {"_index": "t1"}}, {"@timestamp": "2024-01-01T00:00:00Z", "m": "new"}], refresh="true")
    q = {"query": {"range": {"@timestamp": {"gte": "2023-12-31T00:00:00Z"}}}}
    r = server.search("t1", q).json()
    assert [h["_source"]["m"] for h in r["hits"]["hits"]] == ["new"]

"""Search responses and endpoints: sort options, fields, highlight, filter_path, scroll, msearch,
Grafana's request shapes (clients.md §6) and the Lucene strings Kibana users type."""
import json

import pytest
import requests

DOCS = [
    {"@timestamp": "2018-02-04T01:17:27.349Z", "log": "connection refused by upstream", "stream": "stderr",
     "kubernetes": {"namespace_name": "kube-system", "pod_name": "weave-scope-agent-56dfr", "labels": {"app": "weave-scope"}}},
    {"@timestamp": "2018-02-04T01:18:00.000Z", "log": "error: disk full", "stream": "stderr",
     "kubernetes": {"namespace_name": "kube-system", "pod_name": "coredns-abc", "labels": {"app": "coredns"}}},
    {"@timestamp": "2018-02-04T01:19:00.000Z", "log": "GET /healthz 200", "stream": "stdout",
     "kubernetes": {"namespace_name": "default", "pod_name": "web-1"}},
    {"@timestamp": "2018-02-04T01:20:00.000Z", "log": "all good, no error here", "stream": "stdout",
     "kubernetes": {"namespace_name": "kube-system", "pod_name": "weave-net-x1"}},
]


@pytest.fixture(params=[1, 4], ids=["1-segment", "N-segments"])
def logs(request, server):
    if request.param == 1:
        lines = []
        for i, d in enumerate(DOCS):
            lines += [{"index": {"_index": "logstash-2018.02.04", "_id": str(i)}}, d]
        server.bulk(lines, refresh="true")
    else:
        for i, d in enumerate(DOCS):
            server.bulk([{"index": {"_index": "logstash-2018.02.04", "_id": str(i)}}, d], refresh="true")
    return server


def hits(server, body, index="logstash-*"):
    r = server.search(index, body)
    assert r.status_code == 200, r.text
    return r.json()["hits"]["hits"]


@pytest.mark.parametrize("q,expected", [
    ("kubernetes.namespace_name:kube-system AND log:error", {"1", "3"}),
    ("NOT stream:stdout", {"0", "1"}),
    ('log:"connection refused"', {"0"}),
    ("kubernetes.pod_name:weave*", {"0", "3"}),
    ("@timestamp:[2018-02-04 TO now]", {"0", "1", "2", "3"}),
    ("_exists_:kubernetes.labels.app", {"0", "1"}),
])
def test_kibana_lucene_strings(logs, q, expected):
    got = {h["_id"] for h in hits(logs, {"query": {"query_string": {"query": q, "analyze_wildcard": True}}})}
    assert got == expected
    r = logs.get("/logstash-*/_search", params={"q": q, "size": 10})
    assert {h["_id"] for h in r.json()["hits"]["hits"]} == expected


def test_sort_options_and_search_after(logs):
    h = hits(logs, {"sort": [{"@timestamp": {"order": "desc", "format": "strict_date_optional_time_nanos"}}], "size": 2})
    assert [x["_id"] for x in h] == ["3", "2"]
    assert h[0]["sort"] == ["2018-02-04T01:20:00.000000000Z"]
    h = hits(logs, {"sort": [{"kubernetes.pod_name": "asc"}, {"@timestamp": "desc"}]})
    assert [x["_id"] for x in h] == ["1", "3", "0", "2"]   # coredns, weave-net, weave-scope, web
    h = hits(logs, {"sort": [{"kubernetes.labels.app": {"order": "asc", "missing": "_first"}}, "_doc"]})
    assert [x["_id"] for x in h][:2] in (["2", "3"], ["3", "2"])
    h = hits(logs, {"sort": [{"nonexistent": {"order": "asc", "unmapped_type": "long"}}, {"@timestamp": "asc"}]})
    assert [x["_id"] for x in h] == ["0", "1", "2", "3"]
    first = hits(logs, {"sort": [{"@timestamp": "asc"}], "size": 2})
    nxt = hits(logs, {"sort": [{"@timestamp": "asc"}], "size": 2, "search_after": first[-1]["sort"]})
    assert [x["_id"] for x in nxt] == ["2", "3"]
    # Grafana sends search_after values as strings of epoch millis.
    nxt = hits(logs, {"sort": [{"@timestamp": "asc"}], "size": 2, "search_after": [str(first[-1]["sort"][0])]})
    assert [x["_id"] for x in nxt] == ["2", "3"]
    h = hits(logs, {"query": {"match": {"log": "error"}}, "sort": ["_score", {"@timestamp": "asc"}]})
    assert h[0]["sort"][0] == h[0]["_score"]


def test_fields_docvalue_fields_and_source_params(logs):
    h = hits(logs, {"query": {"ids": {"values": ["0"]}}, "_source": False,
                    "fields": [{"field": "@timestamp", "format": "strict_date_optional_time_nanos"}, "kubernetes.*"],
                    "docvalue_fields": ["@timestamp", {"field": "@timestamp", "format": "epoch_millis"}]})[0]
    assert "_source" not in h
    assert h["fields"]["@timestamp"] == ["2018-02-04T01:17:27.349000000Z"]
    assert h["fields"]["kubernetes.pod_name"] == ["weave-scope-agent-56dfr"]
    r = logs.get("/logstash-*/_search", params={"q": "_id:0", "_source_includes": "kubernetes.*", "_source_excludes": "kubernetes.labels"})
    assert r.json()["hits"]["hits"][0]["_source"] == {"kubernetes": {"namespace_name": "kube-system", "pod_name": "weave-scope-agent-56dfr"}}


def test_highlight(logs):
    h = hits(logs, {"query": {"match": {"log": "refused"}},
                    "highlight": {"pre_tags": ["@HIGHLIGHT@"], "post_tags": ["@/HIGHLIGHT@"], "fragment_size": 2147483647, "fields": {"*": {}}}})
    assert h[0]["highlight"] == {"log": ["connection @HIGHLIGHT@refused@/HIGHLIGHT@ by upstream"]}
    h = hits(logs, {"query": {"query_string": {"query": "disk"}}, "highlight": {"fields": {"log": {}}}})
    assert h[0]["highlight"]["log"] == ["error: <em>disk</em> full"]


def test_accepted_and_ignored_options(logs):
    body = {"query": {"match_all": {}}, "stored_fields": ["*"], "script_fields": {}, "runtime_mappings": {}, "version": True,
            "track_total_hits": True, "timeout": "30s", "terminate_after": 100}
    r = logs.search("logstash-*", body).json()
    assert r["hits"]["total"] == {"value": 4, "relation": "eq"}
    assert r["hits"]["hits"][0]["_version"] == 1
    r = logs.search("logstash-*", {"track_total_hits": 2}).json()
    assert r["hits"]["total"] == {"value": 2, "relation": "gte"}


def test_filter_path_and_pretty(logs):
    r = logs.get("/logstash-*/_search", params={"filter_path": "hits.total,hits.hits._id", "q": "stream:stderr"}).json()
    assert set(r) == {"hits"} and set(r["hits"]) == {"total", "hits"}
    assert all(set(h) == {"_id"} for h in r["hits"]["hits"])
    r = logs.get("/logstash-*/_search", params={"filter_path": "-hits.hits._source,-_shards"}).json()
    assert "_shards" not in r and "_source" not in r["hits"]["hits"][0]
    r = logs.get("/logstash-*/_search", params={"pretty": "", "size": 1})
    assert "\n  \"took\" : " in r.text


def test_scroll(server):
    lines = []
    for n in range(2500):
        lines += [{"index": {"_index": "scrolled"}}, {"n": n}]
    server.bulk(lines, refresh="true")
    r = server.post("/scrolled/_search?scroll=1m", {"size": 1000, "sort": ["_doc"]}).json()
    seen = [h["_source"]["n"] for h in r["hits"]["hits"]]
    sid = r["_scroll_id"]
    while True:
        r = server.post("/_search/scroll", {"scroll": "1m", "scroll_id": sid}).json()
        if not r["hits"]["hits"]:
            break
        seen += [h["_source"]["n"] for h in r["hits"]["hits"]]
    assert sorted(seen) == list(range(2500)) and len(seen) == 2500
    assert requests.delete(server.url + "/_search/scroll", json={"scroll_id": sid}).json()["num_freed"] == 1
    r = server.post("/_search/scroll", {"scroll_id": sid})
    assert r.status_code == 404 and r.json()["error"]["type"] == "search_context_missing_exception"


GRAFANA_LOGS = (
    '{"ignore_unavailable":true,"index":"logstash-2018.02.03,logstash-2018.02.04","search_type":"query_then_fetch"}\n'
    '{"aggs":{},"docvalue_fields":["@timestamp"],"fields":[{"field":"@timestamp","format":"strict_date_optional_time_nanos"}],'
    '"highlight":{"fields":{"*":{}},"fragment_size":2147483647,"post_tags":["@/HIGHLIGHT@"],"pre_tags":["@HIGHLIGHT@"]},'
    '"query":{"bool":{"filter":[{"range":{"@timestamp":{"format":"epoch_millis","gte":1517706000000,"lte":1517710000000}}},'
    '{"query_string":{"analyze_wildcard":true,"query":"kubernetes.pod_name:weave*"}}]}},"script_fields":{},"size":500,'
    '"sort":{"@timestamp":{"order":"desc","unmapped_type":"boolean"},"_doc":{"order":"desc"}}}\n'
    '{"search_type":"query_then_fetch","ignore_unavailable":true,"index":["logstash-2018.02.04","logstash-2018.02.05"]}\n'
    '{"size":2,"query":{"bool":{"filter":[{"range":{"@timestamp":{"gte":"1517706000000","lte":"1517710000000","format":"epoch_millis"}}}]}},'
    '"sort":[{"@timestamp":{"order":"asc"}}],"search_after":["1517707047349"]}\n'
    '{"index":"missing-index"}\n{"query":{"match_all":{}}}\n'
)


def test_grafana_msearch_shapes(logs):
    r = requests.post(logs.url + "/_msearch?max_concurrent_shard_requests=5&ignore_throttled=false", data=GRAFANA_LOGS,
                      headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 200
    resp = r.json()["responses"]
    assert len(resp) == 3
    assert resp[0]["status"] == 200
    assert [h["_id"] for h in resp[0]["hits"]["hits"]] == ["3", "0"]
    assert resp[0]["hits"]["total"] == {"value": 2, "relation": "eq"}
    assert resp[0]["hits"]["hits"][0]["fields"]["@timestamp"] == ["2018-02-04T01:20:00.000000000Z"]
    assert "@HIGHLIGHT@weave" in json.dumps(resp[0]["hits"]["hits"][0]["highlight"])
    assert [h["_id"] for h in resp[1]["hits"]["hits"]] == ["1", "2"]
    assert resp[2]["status"] == 404 and resp[2]["error"]["type"] == "index_not_found_exception"


def test_scroll_first_page_carries_aggregations(server):
    lines = []
    for n in range(50):
        lines += [{"index": {"_index": "sa"}}, {"n": n, "k": "even" if n % 2 == 0 else "odd"}]
    server.bulk(lines, refresh="true")
    r = server.post("/sa/_search?scroll=1m", {"size": 20, "aggs": {"k": {"terms": {"field": "k.keyword"}}, "s": {"sum": {"field": "n"}}}}).json()
    assert {b["key"]: b["doc_count"] for b in r["aggregations"]["k"]["buckets"]} == {"even": 25, "odd": 25}
    assert r["aggregations"]["s"]["value"] == sum(range(50))
    assert len(r["hits"]["hits"]) == 20
    # Later pages carry hits only, as Elasticsearch's do.
    r2 = server.post("/_search/scroll", {"scroll": "1m", "scroll_id": r["_scroll_id"]}).json()
    assert len(r2["hits"]["hits"]) == 20 and "aggregations" not in r2

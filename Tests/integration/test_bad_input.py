"""Bad input gets a 4xx Elasticsearch error and the server keeps serving (issue 2)."""
import gzip
import json
import os
import zlib

import requests

from conftest import assert_es_error


def test_bad_json_search_body(server):
    r = server.post("/_search", '{"query": {"match_all": {}', headers={"Content-Type": "application/json"})
    assert_es_error(r, 400, "x_content_parse_exception")


def test_unknown_query_clause(server):
    server.bulk([{"index": {"_index": "q"}}, {"a": 1}], refresh="true")
    r = server.search("q", {"query": {"frobnicate": {"a": 1}}})
    body = assert_es_error(r, 400, "parsing_exception")
    assert "unknown query [frobnicate]" in body["error"]["reason"]
    r = server.search("q", {"query": {"match_all": {}}, "bogus": 1})
    assert_es_error(r, 400, "parsing_exception")


def test_bad_index_names(server):
    for name in ["UPPER", "a*b", "_under", "-dash", "+plus", "with space", "a,b", "a:b", "a#b", "x" * 256]:
        r = server.put("/" + requests.utils.quote(name, safe=""), {})
        assert_es_error(r, 400, "invalid_index_name_exception")
    # `.` and `..` cannot travel in a URL path (clients normalise them away): check them in bulk.
    r = server.bulk([{"index": {"_index": "Bad"}}, {"a": 1}, {"index": {"_index": ".."}}, {"a": 1},
                     {"index": {"_index": "."}}, {"a": 1}, {"index": {"_index": "good"}}, {"a": 1}])
    items = r.json()["items"]
    for i in range(3):
        assert items[i]["index"]["status"] == 400
        assert items[i]["index"]["error"]["type"] == "invalid_index_name_exception"
    assert items[3]["index"]["status"] == 201


def test_gzip_bomb_is_refused(server):
    # 2 GB of zeros compresses to about 2 MB; the server must stop inflating at its limit.
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (16 << 20)
    parts = [comp.compress(chunk) for _ in range(128)]
    parts.append(comp.flush())
    body = b"".join(parts)
    assert len(body) < 4 << 20
    r = requests.post(server.url + "/_bulk", data=body,
                      headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}, timeout=120)
    assert_es_error(r, 413, "content_too_long_exception")
    assert server.get("/").status_code == 200


def test_invalid_gzip(server):
    r = requests.post(server.url + "/_bulk", data=b"not gzip at all",
                      headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"})
    assert_es_error(r, 400, "parse_exception")


def test_over_limit_body(make_server):
    s = make_server("http:\n  max_content_length: 1mb\n").start()
    body = ('{"index":{"_index":"big"}}\n{"log":"' + "x" * 1000 + '"}\n') * 1500
    r = requests.post(s.url + "/_bulk", data=body, headers={"Content-Type": "application/x-ndjson"})
    assert_es_error(r, 413, "content_too_long_exception")
    ok = requests.post(s.url + "/_bulk", data='{"index":{"_index":"big"}}\n{"a":1}\n',
                       headers={"Content-Type": "application/x-ndjson"})
    assert ok.status_code == 200


def test_mapping_conflict_rejects_only_that_item(server):
    r = server.bulk([{"index": {"_index": "conf"}}, {"n": 5},
                     {"index": {"_index": "conf"}}, {"n": "not a number"},
                     {"index": {"_index": "conf"}}, {"app": "web"},
                     {"index": {"_index": "conf"}}, {"app": {"kubernetes.io/name": "web"}},
                     {"index": {"_index": "conf"}}, {"n": 6}], refresh="true")
    st = [i["index"]["status"] for i in r.json()["items"]]
    assert st == [201, 400, 201, 400, 201]
    for i in (1, 3):
        assert r.json()["items"][i]["index"]["error"]["type"] == "mapper_parsing_exception"
    assert server.get("/conf/_count").json()["count"] == 3


def test_server_survives_random_garbage(server):
    rnd = os.urandom(4096)
    for path in ["/_bulk", "/_search", "/x/_doc", "/x/_count"]:
        r = requests.post(server.url + path, data=rnd, headers={"Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert r.headers["X-Elastic-Product"] == "Elasticsearch"
    assert server.get("/").status_code == 200


HOSTILE_SEARCHES = [
    {"sort": ""}, {"sort": ":"}, {"sort": [{}]}, {"sort": [{"n": {"order": "sideways"}}]}, {"from": -1}, {"size": "x"},
    {"query": {"bool": {"must": "nope"}}}, {"query": {"match": {}}}, {"query": {"range": {"n": "x"}}},
    {"query": {"query_string": {"query": "((((("}}}, {"query": {"query_string": {"query": "a:[1 TO"}}},
    {"query": {"query_string": {"query": "\\"}}}, {"query": {"regexp": {"m": {"value": "(" * 2000}}}},
    {"query": {"wildcard": {"m": "*" * 500}}}, {"query": {"fuzzy": {"m": {"value": "x" * 300, "fuzziness": 2}}}},
    {"query": {"terms": {"m": "not-an-array"}}}, {"query": {"ids": {"values": [None, 1, {}]}}},
    {"aggs": {"a": {"terms": {}}}}, {"aggs": {"a": {"date_histogram": {"field": "t", "fixed_interval": "0s"}}}},
    {"aggs": {"a": {"histogram": {"field": "n", "interval": 0}}}}, {"aggs": {"a": {"range": {"field": "n", "ranges": []}}}},
    {"aggs": {"a": {"bucket_script": {"buckets_path": {"x": "y"}, "script": "params.x +"}}}},
    {"aggs": {"a": {"composite": {"sources": [{"x": {"unknown": {"field": "n"}}}]}}}},
    {"highlight": "x"}, {"fields": "x"}, {"search_after": [1, 2, 3], "sort": ["n"]},
    {"query": {"match_phrase": {"m": {"query": "a b", "slop": -5}}}}, {"track_total_hits": {}},
]


def test_hostile_search_bodies_get_4xx_and_the_server_lives(server):
    server.bulk([{"index": {"_index": "h"}}, {"n": 1, "m": "text", "t": "2024-01-15T00:00:00Z"}], refresh="true")
    for body in HOSTILE_SEARCHES:
        r = server.search("h", body)
        assert r.status_code < 500, (body, r.status_code, r.text[:300])
        assert r.headers["X-Elastic-Product"] == "Elasticsearch"
    assert server.get("/").status_code == 200
    assert server.get("/h/_count").json()["count"] == 1


def test_document_over_the_source_limit_is_refused_on_every_path(server):
    """A source over 64 MB (the size the translog and segments read back) is refused before it
    is acknowledged, in the single-document API as in bulk, and nothing else is lost: a 68 MB
    document was acknowledged once and dropped as a torn record after kill -9."""
    big = json.dumps({"msg": "x " * (34 << 20)})
    assert len(big) > 64 << 20
    r = server.put("/big/_doc/1", big, headers={"Content-Type": "application/json"})
    body = assert_es_error(r, 400, "illegal_argument_exception")
    assert "larger than 67108864 bytes" in body["error"]["reason"]
    payload = "\n".join([json.dumps({"index": {"_index": "big", "_id": "2"}}), big,
                         json.dumps({"index": {"_index": "big", "_id": "3"}}), json.dumps({"msg": "small"})]) + "\n"
    r = server.post("/_bulk", payload, headers={"Content-Type": "application/x-ndjson"})
    items = r.json()["items"]
    assert items[0]["index"]["status"] == 400 and items[0]["index"]["error"]["type"] == "illegal_argument_exception"
    assert items[1]["index"]["status"] == 201
    server.kill9()
    server.start()
    assert server.get("/big/_doc/1").status_code == 404
    assert server.get("/big/_doc/3").json()["_source"] == {"msg": "small"}

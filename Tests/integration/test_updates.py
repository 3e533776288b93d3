"""Updates and concurrency (issue 18 item 2): bulk `update` and `_update` (doc, doc_as_upsert,
upsert, detect_noop), `if_seq_no`/`if_primary_term`, external versions, `_seq_no` and
`_primary_term` in responses, `_mget`, `_delete_by_query` (on 1 and N segments), durability
of updates across kill -9, and elasticsearch-py's helpers."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import assert_es_error, run_es_py


def test_update_endpoint_merges_keeps_order_and_detects_noop(server):
    s = server
    r = s.put("/u/_doc/1?refresh=true", body='{"a":1,"nested":{"x":1,"y":[1,2]},"list":[1,2,3],"z":"keep"}',
              headers={"Content-Type": "application/json"})
    assert r.status_code == 201 and r.json()["_seq_no"] >= 0 and r.json()["_primary_term"] == 1
    r = s.post("/u/_update/1?refresh=true", {"doc": {"nested": {"y": [9], "w": True}, "list": [7], "b": "new"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["result"] == "updated" and body["_version"] == 2 and body["_shards"]["successful"] == 1
    got = s.get("/u/_doc/1").json()
    # Objects merge key by key, arrays are replaced, new keys go last, untouched ones keep order.
    assert list(got["_source"]) == ["a", "nested", "list", "z", "b"]
    assert got["_source"] == {"a": 1, "nested": {"x": 1, "y": [9], "w": True}, "list": [7], "z": "keep", "b": "new"}
    assert got["_version"] == 2 and got["_seq_no"] == body["_seq_no"]
    # Nothing changes: noop, version and seq_no stay.
    r = s.post("/u/_update/1", {"doc": {"a": 1, "nested": {"x": 1}}}).json()
    assert r["result"] == "noop" and r["_version"] == 2 and r["_seq_no"] == body["_seq_no"] and r["_shards"]["total"] == 0
    r = s.post("/u/_update/1", {"doc": {"a": 1}, "detect_noop": False}).json()
    assert r["result"] == "updated" and r["_version"] == 3
    # Searches see the update, not the old document.
    s.post("/u/_refresh")
    assert s.post("/u/_count", {"query": {"term": {"b": "new"}}}).json()["count"] == 1
    assert s.post("/u/_count").json()["count"] == 1


def test_update_missing_upsert_and_doc_as_upsert(server):
    s = server
    assert_es_error(s.post("/u/_update/none", {"doc": {"a": 1}}), 404, "document_missing_exception")
    r = s.post("/u/_update/up", {"doc": {"a": 1}, "upsert": {"a": 0, "created": True}})
    assert r.status_code == 201 and r.json()["result"] == "created"
    assert s.get("/u/_doc/up").json()["_source"] == {"a": 0, "created": True}
    r = s.post("/u/_update/up", {"doc": {"a": 1}, "upsert": {"a": 0}})
    assert r.json()["result"] == "updated"
    assert s.get("/u/_doc/up").json()["_source"] == {"a": 1, "created": True}
    r = s.post("/u/_update/dau", {"doc": {"k": "v"}, "doc_as_upsert": True})
    assert r.status_code == 201 and s.get("/u/_doc/dau").json()["_source"] == {"k": "v"}
    # Scripts are refused with a clear 400; a doc that is not an object too; unknown keys too.
    assert_es_error(s.post("/u/_update/up", {"script": {"source": "ctx._source.a++"}}), 400, "illegal_argument_exception")
    assert_es_error(s.post("/u/_update/up", {"doc": [1, 2]}), 400, "x_content_parse_exception")
    assert_es_error(s.post("/u/_update/up", {"doc": {"a": 1}, "bogus": 1}), 400, "x_content_parse_exception")
    assert_es_error(s.post("/u/_update/up", {}), 400, "action_request_validation_exception")
    # A merged document the mapping refuses fails and leaves the stored one as it was.
    s.put("/typed", {"mappings": {"properties": {"n": {"type": "long"}}}})
    s.put("/typed/_doc/1?refresh=true", {"n": 1})
    assert_es_error(s.post("/typed/_update/1", {"doc": {"n": "not a number"}}), 400, "mapper_parsing_exception")
    assert s.get("/typed/_doc/1").json()["_source"] == {"n": 1}


def test_bulk_update_items(server):
    s = server
    s.bulk([{"index": {"_index": "b", "_id": "1"}}, {"a": 1, "m": {"x": 1}}], refresh="true")
    r = s.bulk([{"update": {"_index": "b", "_id": "1", "retry_on_conflict": 3}}, {"doc": {"m": {"y": 2}}},
                {"update": {"_index": "b", "_id": "1"}}, {"doc": {"m": {"y": 2}}},
                {"update": {"_index": "b", "_id": "2"}}, {"doc": {"a": 2}, "doc_as_upsert": True},
                {"update": {"_index": "b", "_id": "3"}}, {"doc": {"a": 3}},
                {"update": {"_index": "b"}}, {"doc": {"a": 4}},
                {"update": {"_index": "b", "_id": "1"}}, {"script": "ctx._source.a++"}], refresh="true")
    items = [i["update"] for i in r.json()["items"]]
    assert [i["status"] for i in items] == [200, 200, 201, 404, 400, 400]
    assert [i.get("result") for i in items[:3]] == ["updated", "noop", "created"]
    assert items[0]["_seq_no"] >= 0 and items[0]["_primary_term"] == 1 and items[0]["_version"] == 2
    assert items[3]["error"]["type"] == "document_missing_exception"
    assert r.json()["errors"] is True
    assert s.get("/b/_doc/1").json()["_source"] == {"a": 1, "m": {"x": 1, "y": 2}}
    assert s.get("/b/_doc/2").json()["_source"] == {"a": 2}


def test_if_seq_no_and_external_versions(server):
    s = server
    r = s.put("/v/_doc/1", {"a": 1}).json()
    seq, term = r["_seq_no"], r["_primary_term"]
    r2 = s.put(f"/v/_doc/1?if_seq_no={seq}&if_primary_term={term}", {"a": 2})
    assert r2.status_code == 200, r2.text
    stale = s.put(f"/v/_doc/1?if_seq_no={seq}&if_primary_term={term}", {"a": 3})
    body = assert_es_error(stale, 409, "version_conflict_engine_exception")
    assert f"required seqNo [{seq}], primary term [1]. current document has seqNo [{r2.json()['_seq_no']}]" in body["error"]["reason"]
    assert_es_error(s.delete(f"/v/_doc/1?if_seq_no={seq}&if_primary_term=1"), 409, "version_conflict_engine_exception")
    assert_es_error(s.put("/v/_doc/9?if_seq_no=1&if_primary_term=1", {"a": 1}), 409, "version_conflict_engine_exception")
    assert_es_error(s.put("/v/_doc/1?if_seq_no=1", {"a": 1}), 400, "action_request_validation_exception")
    assert s.delete(f"/v/_doc/1?if_seq_no={r2.json()['_seq_no']}&if_primary_term=1").json()["result"] == "deleted"
    # External versions: the given version is kept; lower or equal ones conflict (gte: lower).
    r = s.put("/v/_doc/e?version=10&version_type=external", {"a": 1})
    assert r.status_code == 201 and r.json()["_version"] == 10
    assert_es_error(s.put("/v/_doc/e?version=10&version_type=external", {"a": 2}), 409, "version_conflict_engine_exception")
    assert s.put("/v/_doc/e?version=10&version_type=external_gte", {"a": 3}).json()["_version"] == 10
    assert s.put("/v/_doc/e?version=12&version_type=external", {"a": 4}).json()["_version"] == 12
    assert s.get("/v/_doc/e").json()["_version"] == 12
    assert_es_error(s.put("/v/_doc/e?version=13", {"a": 1}), 400, "action_request_validation_exception")
    assert_es_error(s.put("/v/_doc/e?version=13&version_type=bogus", {"a": 1}), 400, "illegal_argument_exception")
    assert_es_error(s.put("/v/_create/n?version=1&version_type=external", {"a": 1}), 400, "action_request_validation_exception")
    # In a bulk, each item on its own.
    cur = s.get("/v/_doc/e").json()["_seq_no"]
    r = s.bulk([{"index": {"_index": "v", "_id": "e", "if_seq_no": cur, "if_primary_term": 1}}, {"a": 5},
                {"index": {"_index": "v", "_id": "e", "if_seq_no": cur, "if_primary_term": 1}}, {"a": 6},
                {"index": {"_index": "v", "_id": "x", "version": "3", "version_type": "external"}}, {"a": 7}])
    assert [list(i.values())[0]["status"] for i in r.json()["items"]] == [200, 409, 201]
    assert s.get("/v/_doc/x").json()["_version"] == 3


def test_versions_and_updates_survive_kill9(make_server):
    s = make_server().start()
    s.put("/k/_doc/e?version=40&version_type=external", {"a": 1})
    s.put("/k/_doc/u", {"a": 1, "o": {"p": 1}})
    s.post("/k/_update/u", {"doc": {"o": {"q": 2}}})
    before = [s.get(f"/k/_doc/{i}").json() for i in ("e", "u")]
    s.kill9()
    s.start()
    after = [s.get(f"/k/_doc/{i}").json() for i in ("e", "u")]
    assert [(a["_version"], a["_seq_no"], a["_source"]) for a in after] == [(b["_version"], b["_seq_no"], b["_source"]) for b in before]
    assert after[0]["_version"] == 40 and after[1]["_source"] == {"a": 1, "o": {"p": 1, "q": 2}}


def test_mget(server):
    s = server
    s.bulk([{"index": {"_index": "m1", "_id": "1"}}, {"a": 1}, {"index": {"_index": "m2", "_id": "2"}}, {"b": 2}])
    s.put("/m1/_alias/m1-alias")
    r = s.post("/_mget", {"docs": [{"_index": "m1", "_id": "1"}, {"_index": "m2", "_id": "2", "_source": False},
                                   {"_index": "m1", "_id": "nope"}, {"_index": "missing", "_id": "1"}, {"_index": "m1-alias", "_id": "1"}]})
    docs = r.json()["docs"]
    assert docs[0]["found"] is True and docs[0]["_source"] == {"a": 1} and docs[0]["_seq_no"] >= 0
    assert docs[1]["found"] is True and "_source" not in docs[1]
    assert docs[2] == {"_index": "m1", "_type": "_doc", "_id": "nope", "found": False}
    assert docs[3]["error"]["type"] == "index_not_found_exception"
    assert docs[4]["_index"] == "m1" and docs[4]["found"] is True
    r = s.post("/m1/_mget", {"ids": ["1", "2"]}).json()["docs"]
    assert [d["found"] for d in r] == [True, False]
    assert_es_error(s.post("/_mget", {"ids": ["1"]}), 400, "action_request_validation_exception")
    assert_es_error(s.post("/_mget", {}), 400, "action_request_validation_exception")


@pytest.mark.parametrize("segments", [1, 4], ids=["1-segment", "N-segments"])
def test_delete_by_query(server, segments):
    s = server
    n = 2500
    per = n // segments
    for k in range(0, n, per):
        lines = []
        for i in range(k, min(k + per, n)):
            lines += [{"index": {"_index": "dbq", "_id": str(i)}}, {"n": i, "kind": "even" if i % 2 == 0 else "odd"}]
        assert s.bulk(lines, refresh="true").json()["errors"] is False
    r = s.post("/dbq/_delete_by_query?refresh=true", {"query": {"term": {"kind.keyword": "odd"}}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["deleted"] == n // 2 and body["total"] == n // 2 and body["version_conflicts"] == 0 and body["failures"] == []
    assert body["batches"] == 2
    assert s.post("/dbq/_count").json()["count"] == n // 2
    assert s.post("/dbq/_count", {"query": {"term": {"kind.keyword": "odd"}}}).json()["count"] == 0
    # max_docs and q=; through an alias with a filter only what the filter admits goes.
    r = s.post("/dbq/_delete_by_query?refresh=true&q=n:[0 TO 99]", {"max_docs": 10}).json()
    assert r["deleted"] == 10
    s.put("/dbq/_alias/small", {"filter": {"range": {"n": {"lt": 200}}}})
    r = s.post("/small/_delete_by_query?refresh=true", {"query": {"match_all": {}}}).json()
    assert r["deleted"] == 100 - 10
    assert s.post("/dbq/_count").json()["count"] == n // 2 - 100
    assert_es_error(s.post("/dbq/_delete_by_query", {"query": {"match_all": {}}, "slices": 2}), 400, "x_content_parse_exception")
    assert_es_error(s.post("/dbq/_delete_by_query?conflicts=maybe", {}), 400, "illegal_argument_exception")


CLIENT = textwrap.dedent("""
    import sys
    from elasticsearch import Elasticsearch, helpers
    es = Elasticsearch(sys.argv[1])
    es.index(index="py", id="1", document={"a": 1, "tags": ["x"]}, refresh=True)
    r = es.update(index="py", id="1", body={"doc": {"b": 2}}) if sys.argv[2] == "es7" else es.update(index="py", id="1", doc={"b": 2})
    assert r["result"] == "updated", r
    r = es.update(index="py", id="2", body={"doc": {"c": 3}, "doc_as_upsert": True}) if sys.argv[2] == "es7" else \\
        es.update(index="py", id="2", doc={"c": 3}, doc_as_upsert=True)
    assert r["result"] == "created", r
    ok, errs = helpers.bulk(es, [{"_op_type": "update", "_index": "py", "_id": "1", "doc": {"d": 4}}])
    assert ok == 1 and not errs, errs
    got = es.get(index="py", id="1")
    assert got["_source"] == {"a": 1, "tags": ["x"], "b": 2, "d": 4}, got
    es.index(index="py", id="1", document={"a": 9}, if_seq_no=got["_seq_no"], if_primary_term=got["_primary_term"])
    docs = es.mget(index="py", body={"ids": ["1", "2"]}) if sys.argv[2] == "es7" else es.mget(index="py", ids=["1", "2"])
    assert [d["found"] for d in docs["docs"]] == [True, True]
    es.indices.refresh(index="py")
    r = es.delete_by_query(index="py", body={"query": {"term": {"c": 3}}}, refresh=True) if sys.argv[2] == "es7" else \\
        es.delete_by_query(index="py", query={"term": {"c": 3}}, refresh=True)
    assert r["deleted"] == 1, r
    assert es.count(index="py")["count"] == 1
    st = es.indices.stats(index="py")
    assert "_all" in st
    print("UPDATES-OK")
""")


@pytest.mark.parametrize("flavour", ["es7", "es8"])
def test_elasticsearch_py_update_helpers(server, flavour):
    run_es_py(CLIENT, server.url, flavour, "UPDATES-OK")

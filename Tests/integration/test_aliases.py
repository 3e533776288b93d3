"""Aliases applied (issue 18 item 1): `_aliases`, `_alias`, `_cat/aliases`, template aliases,
searches through an alias with its filter (on 1 and N segments), writes to an alias's write
index, `_rollover`, and the real elasticsearch-py clients' alias helpers."""
import os
import subprocess
import sys
import textwrap

import pytest
import requests

from conftest import assert_es_error, run_es_py

DOCS = [{"@timestamp": f"2026-12-0{1 + i % 3}T10:00:{i:02d}Z", "level": ["info", "error", "warn"][i % 3], "n": i, "log": f"line {i}"}
        for i in range(30)]


@pytest.fixture(params=[1, 5], ids=["1-segment", "N-segments"])
def two(request, server):
    """Two indices of 15 documents each, on one segment each or on several."""
    for name, part in (("app-1", DOCS[:15]), ("app-2", DOCS[15:])):
        server.put("/" + name, {"mappings": {"properties": {"level": {"type": "keyword"}, "n": {"type": "long"}}}})
        per = len(part) if request.param == 1 else 3
        for k in range(0, len(part), per):
            lines = []
            for d in part[k:k + per]:
                lines += [{"index": {"_index": name, "_id": str(d["n"])}}, d]
            assert server.bulk(lines, refresh="true").json()["errors"] is False
    return server


def actions(server, *acts):
    r = server.post("/_aliases", {"actions": list(acts)})
    assert r.status_code == 200, r.text
    assert r.json() == {"acknowledged": True}
    return r


def count(server, target, query=None):
    r = server.post(f"/{target}/_count", {"query": query} if query else None)
    assert r.status_code == 200, r.text
    return r.json()["count"]


def test_search_count_msearch_through_alias_with_filter(two):
    s = two
    actions(s, {"add": {"indices": ["app-1", "app-2"], "alias": "app"}},
            {"add": {"index": "app-*", "alias": "errors", "filter": {"term": {"level": "error"}}}})
    assert count(s, "app") == 30
    assert count(s, "errors") == 10
    assert count(s, "errors", {"range": {"n": {"lt": 15}}}) == 5
    r = s.search("errors", {"size": 100, "sort": [{"n": "asc"}], "aggs": {"lv": {"terms": {"field": "level"}}, "mx": {"max": {"field": "n"}}}})
    body = r.json()
    assert body["hits"]["total"]["value"] == 10
    assert [h["_source"]["n"] for h in body["hits"]["hits"]] == [n for n in range(30) if n % 3 == 1]
    assert {h["_index"] for h in body["hits"]["hits"]} == {"app-1", "app-2"}
    assert body["aggregations"]["lv"]["buckets"] == [{"key": "error", "doc_count": 10}]
    assert body["aggregations"]["mx"]["value"] == 28
    # Named directly as well as through the filtered alias: unfiltered, as Elasticsearch does.
    assert count(s, "errors,app-1") == 15 + 5
    # Two filtered aliases reaching one index: a document either admits is in.
    actions(s, {"add": {"index": "app-1", "alias": "warns", "filter": {"term": {"level": "warn"}}}})
    assert count(s, "errors,warns") == 5 + 5 + 5
    lines = '{"index":"errors"}\n{"query":{"match_all":{}}}\n{"index":"app"}\n{"size":0}\n'
    r = s.post("/_msearch", lines, headers={"Content-Type": "application/x-ndjson"})
    assert [x["hits"]["total"]["value"] for x in r.json()["responses"]] == [10, 30]
    # Scroll pages keep the filter.
    r = s.search("errors", {"size": 4, "sort": [{"n": "asc"}]}, scroll="1m").json()
    seen = [h["_source"]["n"] for h in r["hits"]["hits"]]
    while True:
        r = s.post("/_search/scroll", {"scroll": "1m", "scroll_id": r["_scroll_id"]}).json()
        if not r["hits"]["hits"]:
            break
        seen += [h["_source"]["n"] for h in r["hits"]["hits"]]
    assert seen == [n for n in range(30) if n % 3 == 1]
    # Mapping and field caps through an alias answer for its indices.
    m = s.get("/app/_mapping").json()
    assert set(m) == {"app-1", "app-2"}
    fc = s.get("/errors/_field_caps?fields=level").json()
    assert fc["indices"] == ["app-1", "app-2"] and fc["fields"]["level"]["keyword"]["searchable"] is True


def test_get_put_delete_alias_and_cat(server):
    s = server
    for i in ("logs-a", "logs-b"):
        assert s.put("/" + i).status_code == 200
    assert s.put("/logs-a/_alias/logs", {"is_write_index": True}).json() == {"acknowledged": True}
    assert s.put("/logs-b/_alias/logs").status_code == 200
    assert s.post("/logs-*/_aliases/recent", {"filter": {"range": {"@timestamp": {"gte": "now-1d"}}}}).status_code == 200
    got = s.get("/_alias/logs").json()
    assert got == {"logs-a": {"aliases": {"logs": {"is_write_index": True}}}, "logs-b": {"aliases": {"logs": {}}}}
    got = s.get("/logs-b/_alias").json()
    assert got == {"logs-b": {"aliases": {"logs": {}, "recent": {"filter": {"range": {"@timestamp": {"gte": "now-1d"}}}}}}}
    # Every index, with `{}` where it has none.
    s.put("/plain")
    assert s.get("/_alias").json()["plain"] == {"aliases": {}}
    assert s.get("/_alias/rec*").json() == {"logs-a": {"aliases": {"recent": {"filter": {"range": {"@timestamp": {"gte": "now-1d"}}}}}},
                                            "logs-b": {"aliases": {"recent": {"filter": {"range": {"@timestamp": {"gte": "now-1d"}}}}}}}
    assert s.get("/plain").json()["plain"]["aliases"] == {}
    assert s.get("/logs-a").json()["logs-a"]["aliases"]["logs"] == {"is_write_index": True}
    # HEAD answers with the status only.
    assert requests.head(s.url + "/_alias/logs").status_code == 200
    assert requests.head(s.url + "/_alias/nope").status_code == 404
    assert requests.head(s.url + "/plain/_alias/logs").status_code == 404
    r = s.get("/_alias/nope")
    assert r.status_code == 404 and r.json() == {"error": "alias [nope] missing", "status": 404}
    r = s.get("/_alias/logs,nope")
    assert r.status_code == 404 and set(r.json()) == {"logs-a", "logs-b", "error", "status"}
    cat = s.get("/_cat/aliases?v&s=alias").text.splitlines()
    assert cat[0].split() == ["alias", "index", "filter", "routing.index", "routing.search", "is_write_index"]
    rows = sorted(tuple(l.split()) for l in cat[1:])
    assert rows == [("logs", "logs-a", "-", "-", "-", "true"), ("logs", "logs-b", "-", "-", "-", "-"),
                    ("recent", "logs-a", "*", "-", "-", "-"), ("recent", "logs-b", "*", "-", "-", "-")]
    assert [r["index"] for r in s.get("/_cat/aliases/recent?format=json").json()] == ["logs-a", "logs-b"]
    assert "logs" in s.get("/_cluster/state/metadata/logs-a").json()["metadata"]["indices"]["logs-a"]["aliases"]
    # Delete: the alias goes from those indices only; a second delete finds nothing.
    assert s.delete("/logs-b/_alias/logs").json() == {"acknowledged": True}
    assert set(s.get("/_alias/logs").json()) == {"logs-a"}
    assert_es_error(s.delete("/logs-b/_alias/logs"), 404, "aliases_not_found_exception")
    # remove with a wildcard alias, then remove_index.
    actions(s, {"remove": {"index": "*", "alias": "rec*"}})
    assert s.get("/_alias/recent").status_code == 404
    actions(s, {"remove_index": {"index": "logs-b"}})
    assert s.get("/logs-b").status_code == 404
    # An unknown action, a missing alias name, a bad filter: 400 and nothing changed.
    assert_es_error(s.post("/_aliases", {"actions": [{"rename": {"index": "logs-a", "alias": "x"}}]}), 400, "parsing_exception")
    assert_es_error(s.post("/_aliases", {"actions": [{"add": {"index": "logs-a"}}]}), 400, "action_request_validation_exception")
    assert_es_error(s.post("/_aliases", {"actions": [{"add": {"index": "logs-a", "alias": "x", "filter": {"nope": {}}}}]}), 400, "parsing_exception")
    assert_es_error(s.post("/_aliases", {"actions": [{"add": {"index": "logs-a", "alias": "y"}}, {"add": {"index": "missing", "alias": "y"}}]}),
                    404, "index_not_found_exception")
    assert s.get("/_alias/y").status_code == 404, "all or nothing"


def test_names_cannot_clash_and_aliases_go_with_their_index(server):
    s = server
    s.put("/one"); s.put("/two")
    assert_es_error(s.put("/one/_alias/two"), 400, "invalid_alias_name_exception")
    assert_es_error(s.put("/one/_alias/_bad"), 400, "invalid_alias_name_exception")
    assert_es_error(s.put("/one/_alias/a*b"), 400, "invalid_alias_name_exception")
    s.put("/one/_alias/both"); s.put("/two/_alias/both")
    assert_es_error(s.put("/both"), 400, "invalid_index_name_exception")
    # An index is not deleted through an alias.
    assert_es_error(s.delete("/both"), 400, "illegal_argument_exception")
    # Two write indices for one alias are refused, and the request changes nothing.
    r = s.post("/_aliases", {"actions": [{"add": {"index": "one", "alias": "w", "is_write_index": True}},
                                         {"add": {"index": "two", "alias": "w", "is_write_index": True}}]})
    assert_es_error(r, 400, "illegal_argument_exception")
    assert "more than one write index" in r.json()["error"]["reason"]
    assert s.get("/_alias/w").status_code == 404
    assert s.delete("/one").status_code == 200
    assert s.get("/_alias/both").json() == {"two": {"aliases": {"both": {}}}}


def test_writes_go_to_the_write_index(server):
    s = server
    s.put("/w-000001", {"aliases": {"w": {"is_write_index": True}}})
    s.put("/w-old", {"aliases": {"w": {}}})
    r = s.bulk([{"index": {"_index": "w", "_id": "1"}}, {"a": 1}, {"create": {"_index": "w"}}, {"a": 2}], refresh="true")
    assert r.json()["errors"] is False
    assert [list(i.values())[0]["_index"] for i in r.json()["items"]] == ["w-000001", "w-000001"]
    r = s.post("/w/_doc?refresh=true", {"a": 3})
    assert r.status_code == 201 and r.json()["_index"] == "w-000001"
    assert s.put("/w/_doc/9?refresh=true", {"a": 9}).json()["_index"] == "w-000001"
    assert count(s, "w-000001") == 4 and count(s, "w-old") == 0
    # A single-index alias: get and delete by id go to its index; several refuse.
    s.put("/solo", {"aliases": {"solo-alias": {}}})
    s.put("/solo-alias/_doc/1?refresh=true", {"x": 1})
    assert s.get("/solo-alias/_doc/1").json()["_index"] == "solo"
    assert_es_error(s.get("/w/_doc/1"), 400, "illegal_argument_exception")
    assert s.delete("/solo-alias/_doc/1").json()["result"] == "deleted"
    # No write index: each item of a bulk fails alone.
    s.put("/r1", {"aliases": {"ro": {}}}); s.put("/r2", {"aliases": {"ro": {}}})
    r = s.bulk([{"index": {"_index": "ro"}}, {"a": 1}, {"index": {"_index": "r1"}}, {"a": 1}])
    items = r.json()["items"]
    assert items[0]["index"]["status"] == 400 and "no write index is defined for alias [ro]" in items[0]["index"]["error"]["reason"]
    assert items[1]["index"]["status"] == 201
    # is_write_index false on a single-index alias turns writing off.
    s.put("/off", {"aliases": {"off-alias": {"is_write_index": False}}})
    r = s.post("/off-alias/_doc", {"a": 1})
    assert_es_error(r, 400, "illegal_argument_exception")


def test_template_aliases_and_restart(make_server):
    s = make_server().start()
    assert s.put("/_index_template/t", {"index_patterns": ["tpl-*"], "template": {"aliases": {"tpl": {}, "{index}-alias": {"filter": {"term": {"k": "x"}}}}}}).status_code == 200
    assert s.put("/_template/legacy", {"index_patterns": ["leg-*"], "aliases": {"legacy-all": {}}}).status_code == 200
    s.bulk([{"index": {"_index": "tpl-1"}}, {"k": "x"}, {"index": {"_index": "tpl-1"}}, {"k": "y"}, {"index": {"_index": "leg-1"}}, {"k": "z"}], refresh="true")
    assert s.get("/_alias/tpl").json() == {"tpl-1": {"aliases": {"tpl": {}}}}
    assert count(s, "tpl-1-alias") == 1
    assert count(s, "legacy-all") == 1
    s.put("/tpl-1/_alias/extra", {"is_write_index": True, "routing": "1"})
    before = s.get("/_alias").json()
    s.kill9()
    s.start()
    assert s.get("/_alias").json() == before
    assert before["tpl-1"]["aliases"]["extra"] == {"index_routing": "1", "search_routing": "1", "is_write_index": True}
    assert count(s, "tpl-1-alias") == 1


def test_rollover(server):
    s = server
    s.put("/roll-000001", {"aliases": {"roll": {"is_write_index": True}}})
    s.bulk([{"index": {"_index": "roll"}}, {"a": 1}, {"index": {"_index": "roll"}}, {"a": 2}], refresh="true")
    r = s.post("/roll/_rollover", {"conditions": {"max_docs": 5, "max_age": "30d"}})
    assert r.status_code == 200, r.text
    assert r.json() == {"acknowledged": False, "shards_acknowledged": False, "old_index": "roll-000001", "new_index": "roll-000002",
                        "rolled_over": False, "dry_run": False, "conditions": {"[max_age: 30d]": False, "[max_docs: 5]": False}}
    assert s.post("/roll/_rollover?dry_run=true", {"conditions": {"max_docs": 2}}).json()["rolled_over"] is False
    assert s.get("/roll-000002").status_code == 404
    r = s.post("/roll/_rollover", {"conditions": {"max_docs": 2, "max_size": "1gb"}}).json()
    assert r["rolled_over"] is True and r["new_index"] == "roll-000002"
    assert r["conditions"] == {"[max_docs: 2]": True, "[max_size: 1gb]": False}
    # The old index keeps the alias for reads; writes go to the new one.
    assert s.get("/_alias/roll").json() == {"roll-000001": {"aliases": {"roll": {"is_write_index": False}}},
                                            "roll-000002": {"aliases": {"roll": {"is_write_index": True}}}}
    assert s.post("/roll/_doc?refresh=true", {"a": 3}).json()["_index"] == "roll-000002"
    # An update through the alias reaches the write index; max_age met rolls over.
    s.put("/roll/_doc/u?refresh=true", {"a": 0})
    assert s.post("/roll/_update/u", {"doc": {"b": 1}}).json()["_index"] == "roll-000002"
    assert s.get("/roll-000002/_doc/u").json()["_source"] == {"a": 0, "b": 1}
    s.delete("/roll-000002/_doc/u?refresh=true")
    r = s.post("/roll/_rollover?dry_run=true", {"conditions": {"max_age": "1ms"}}).json()
    assert r["conditions"] == {"[max_age: 1ms]": True} and r["rolled_over"] is False and r["dry_run"] is True
    assert count(s, "roll") == 3
    # No conditions: always; a given name; an alias without is_write_index moves whole.
    s.put("/plain-1", {"aliases": {"pl": {}}})
    r = s.post("/pl/_rollover/plain-next").json()
    assert r["rolled_over"] is True and r["new_index"] == "plain-next"
    assert s.get("/_alias/pl").json() == {"plain-next": {"aliases": {"pl": {}}}}
    assert_es_error(s.post("/pl/_rollover"), 400, "illegal_argument_exception")   # plain-next has no -N
    assert_es_error(s.post("/nothing/_rollover"), 400, "illegal_argument_exception")
    assert_es_error(s.post("/roll-000001/_rollover"), 400, "illegal_argument_exception")
    assert_es_error(s.post("/roll/_rollover", {"conditions": {"max_docs": "many"}}), 400, "parse_exception")
    assert_es_error(s.post("/roll/_rollover", {"conditions": {"max_bananas": 1}}), 400, "x_content_parse_exception")


CLIENT = textwrap.dedent("""
    import sys
    from elasticsearch import Elasticsearch
    es = Elasticsearch(sys.argv[1])
    es.indices.create(index="logs-000001")
    es.indices.create(index="other")
    es.indices.put_alias(index="logs-000001", name="logs", body={"is_write_index": True}) if sys.argv[2] == "es7" else \\
        es.indices.put_alias(index="logs-000001", name="logs", is_write_index=True)
    assert es.indices.exists_alias(name="logs")
    assert not es.indices.exists_alias(name="nope")
    got = es.indices.get_alias(name="logs")
    assert dict(got) == {"logs-000001": {"aliases": {"logs": {"is_write_index": True}}}}, got
    es.indices.update_aliases(body={"actions": [{"add": {"index": "other", "alias": "both"}}, {"add": {"index": "logs-000001", "alias": "both"}}]}) \\
        if sys.argv[2] == "es7" else \\
        es.indices.update_aliases(actions=[{"add": {"index": "other", "alias": "both"}}, {"add": {"index": "logs-000001", "alias": "both"}}])
    es.index(index="logs", document={"m": 1}, refresh=True)
    assert es.count(index="both")["count"] == 1
    r = es.indices.rollover(alias="logs")
    assert r["rolled_over"] and r["new_index"] == "logs-000002", r
    es.indices.delete_alias(index="other", name="both")
    assert sorted(es.indices.get_alias(name="both")) == ["logs-000001"]
    rows = es.cat.aliases(name="logs", format="json")
    assert sorted(r["index"] for r in rows) == ["logs-000001", "logs-000002"], rows
    print("ALIASES-OK")
""")


@pytest.mark.parametrize("flavour", ["es7", "es8"])
def test_elasticsearch_py_alias_helpers(server, flavour):
    run_es_py(CLIENT, server.url, flavour, "ALIASES-OK")

"""Index templates: the shipped fluent-logging template, legacy and composable rules."""
import json
import os

import pytest

from conftest import FIXTURES, assert_es_error

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def mapping_of(server, index):
    return server.get(f"/{index}/_mapping").json()[index]["mappings"]


def test_shipped_template_installed_on_first_start(server):
    t = server.get("/_template/fluent-logging").json()["fluent-logging"]
    assert t["index_patterns"] == ["logstash-*"]
    props = t["mappings"]["properties"]
    assert props["kubernetes"]["properties"]["pod_name"]["type"] == "keyword"
    assert props["@timestamp"]["type"] == "date"
    # The embedded copy is the file in mappings/.
    with open(os.path.join(ROOT, "mappings", "fluent-logging.json")) as f:
        shipped = json.load(f)
    assert t["index_patterns"] == shipped["index_patterns"]


def test_shipped_template_can_be_skipped(make_server):
    s = make_server("logpond:\n  install_templates: false\n").start()
    assert s.get("/_template/fluent-logging").status_code == 404


def test_deleted_shipped_template_stays_deleted(make_server):
    s = make_server()
    s.start()
    assert s.delete("/_template/fluent-logging").status_code == 200
    s.stop()
    s.start()
    assert s.get("/_template/fluent-logging").status_code == 404


def test_seed_document_with_the_seed_mapping(server):
    """Issue 3's first acceptance point, on 1 and on N segments."""
    with open(os.path.join(FIXTURES, "seed-source.json"), "rb") as f:
        src = f.read().replace(b"\n", b"")
    other = json.loads(src)
    other["kubernetes"]["pod_name"] = "other-pod-1"
    other["log"] = "all fine here\n"
    for n, doc in enumerate([src, json.dumps(other).encode()]):
        body = b'{"index":{"_index":"logstash-2018.02.04"}}\n' + doc + b"\n"
        r = server.post("/_bulk?refresh=true", body, headers={"Content-Type": "application/x-ndjson"})
        assert r.json()["errors"] is False
    for segments in ("N", "1"):
        if segments == "1":
            server.post("/logstash-2018.02.04/_forcemerge?max_num_segments=1")
        q = lambda query: server.search("logstash-2018.02.04", {"query": query}).json()["hits"]["total"]["value"]
        assert q({"term": {"kubernetes.pod_name": "weave-scope-agent-56dfr"}}) == 1
        assert q({"match": {"kubernetes.pod_name": "weave"}}) == 0
        assert q({"match": {"log": "refused"}}) == 1
        assert q({"term": {"kubernetes.namespace_name": "kube-system"}}) == 2
    m = mapping_of(server, "logstash-2018.02.04")["properties"]
    k = m["kubernetes"]["properties"]
    for f in ["container_name", "docker_id", "host", "namespace_name", "pod_id", "pod_name"]:
        assert k[f]["type"] == "keyword", f
    assert k["labels"]["properties"]["app"]["type"] == "keyword"
    assert m["log"]["type"] == "text"
    assert m["@timestamp"]["type"] == "date"
    # Fields outside the template are mapped dynamically.
    assert m["stream"]["type"] == "text" and m["stream"]["fields"]["keyword"]["type"] == "keyword"
    assert m["time"]["type"] == "date"


def test_fluentd_template_calls(server):
    # clients.md §2.4: GET 404 first, then PUT.
    r = server.get("/_template/logstash")
    assert r.status_code == 404 and r.headers["X-Elastic-Product"] == "Elasticsearch"
    body = {"index_patterns": ["fluentd-*"], "settings": {"number_of_shards": 1}, "mappings": {"properties": {"@timestamp": {"type": "date"}}}}
    assert server.put("/_template/logstash", body).json() == {"acknowledged": True}
    assert server.get("/_template/logstash").status_code == 200
    assert server.get("/_template/logstash").json()["logstash"]["index_patterns"] == ["fluentd-*"]


def test_legacy_order_merge(server):
    server.put("/_template/low", {"index_patterns": ["app-*"], "order": 0,
                                  "mappings": {"properties": {"a": {"type": "keyword"}, "b": {"type": "keyword"}}}, "settings": {"number_of_replicas": 1}})
    server.put("/_template/high", {"template": "app-*", "order": 5,
                                   "mappings": {"properties": {"b": {"type": "long"}}}, "settings": {"index": {"number_of_replicas": 2}}})
    server.bulk([{"index": {"_index": "app-1"}}, {"a": "x", "b": 3}], refresh="true")
    props = mapping_of(server, "app-1")["properties"]
    assert props["a"]["type"] == "keyword" and props["b"]["type"] == "long"
    settings = server.get("/app-1").json()["app-1"]["settings"]["index"]
    assert settings["number_of_replicas"] == "2"


def test_legacy_typed_body_and_string_forms(server):
    server.put("/_template/old", {"template": "old-*", "mappings": {"doc": {"properties": {
        "msg": {"type": "string", "index": "analyzed"}, "tag": {"type": "string", "index": "not_analyzed"},
        "raw": {"type": "string", "index": "no"}}}}})
    server.bulk([{"index": {"_index": "old-1"}}, {"msg": "Hello World", "tag": "Hello World", "raw": "x"}], refresh="true")
    props = mapping_of(server, "old-1")["properties"]
    assert props["msg"]["type"] == "text" and props["tag"]["type"] == "keyword"
    assert props["raw"]["index"] is False
    assert server.search("old-1", {"query": {"match": {"msg": "hello"}}}).json()["hits"]["total"]["value"] == 1
    assert server.search("old-1", {"query": {"term": {"tag": "Hello World"}}}).json()["hits"]["total"]["value"] == 1


def test_composable_priority_wins_over_legacy_and_lower_priority(server):
    server.put("/_template/legacy-logs", {"index_patterns": ["logs-*"], "mappings": {"properties": {"x": {"type": "long"}}}})
    server.put("/_index_template/t-low", {"index_patterns": ["logs-*"], "priority": 1,
                                          "template": {"mappings": {"properties": {"x": {"type": "keyword"}}}}})
    server.put("/_index_template/t-high", {"index_patterns": ["logs-app-*"], "priority": 10,
                                           "template": {"mappings": {"properties": {"x": {"type": "ip"}}}}})
    server.bulk([{"index": {"_index": "logs-app-1"}}, {"x": "10.0.0.1"}, {"index": {"_index": "logs-db-1"}}, {"x": "abc"}], refresh="true")
    assert mapping_of(server, "logs-app-1")["properties"]["x"]["type"] == "ip"
    assert mapping_of(server, "logs-db-1")["properties"]["x"]["type"] == "keyword"


def test_composed_of_components_in_order(server):
    server.put("/_component_template/c1", {"template": {"mappings": {"properties": {"a": {"type": "keyword"}, "b": {"type": "keyword"}}},
                                                        "settings": {"number_of_replicas": 1}}})
    server.put("/_component_template/c2", {"template": {"mappings": {"properties": {"b": {"type": "long"}}}}})
    r = server.put("/_index_template/comp", {"index_patterns": ["comp-*"], "composed_of": ["c1", "c2"],
                                             "template": {"mappings": {"properties": {"c": {"type": "boolean"}}}}})
    assert r.status_code == 200, r.text
    server.bulk([{"index": {"_index": "comp-1"}}, {"a": "x", "b": 1, "c": True}], refresh="true")
    props = mapping_of(server, "comp-1")["properties"]
    assert (props["a"]["type"], props["b"]["type"], props["c"]["type"]) == ("keyword", "long", "boolean")
    # A component in use cannot be deleted; a missing one cannot be referenced.
    assert_es_error(server.delete("/_component_template/c1"), 400, "illegal_argument_exception")
    r = server.put("/_index_template/broken", {"index_patterns": ["zz-*"], "composed_of": ["nope"]})
    assert_es_error(r, 400, "illegal_argument_exception")


def test_same_priority_overlapping_patterns_refused(server):
    assert server.put("/_index_template/one", {"index_patterns": ["metrics-*"], "priority": 3}).status_code == 200
    r = server.put("/_index_template/two", {"index_patterns": ["metrics-app*"], "priority": 3})
    body = assert_es_error(r, 400, "illegal_argument_exception")
    assert "same priority [3]" in body["error"]["reason"]
    assert server.put("/_index_template/two", {"index_patterns": ["metrics-app*"], "priority": 4}).status_code == 200
    assert server.put("/_index_template/three", {"index_patterns": ["other-*"], "priority": 3}).status_code == 200


def test_get_with_wildcards_head_delete_and_cat(server):
    for n in ["web-a", "web-b", "db"]:
        server.put(f"/_template/{n}", {"index_patterns": [n + "-*"]})
        server.put(f"/_index_template/i{n}", {"index_patterns": ["i" + n + "-*"], "priority": len(n)})
    assert set(server.get("/_template/web-*").json()) == {"web-a", "web-b"}
    assert set(server.get("/_template").json()) >= {"web-a", "web-b", "db", "fluent-logging"}
    names = [t["name"] for t in server.get("/_index_template/iweb*").json()["index_templates"]]
    assert names == ["iweb-a", "iweb-b"]
    import requests
    assert requests.head(server.url + "/_template/db").status_code == 200
    assert requests.head(server.url + "/_template/nope").status_code == 404
    assert server.delete("/_template/db").status_code == 200
    assert server.get("/_template/db").status_code == 404
    assert_es_error(server.delete("/_template/db"), 404, "index_template_missing_exception")
    assert_es_error(server.get("/_index_template/nope"), 404, "resource_not_found_exception")
    cat = server.get("/_cat/templates?v").text
    assert "web-a" in cat and "[web-a-*]" in cat and "iweb-b" in cat
    js = server.get("/_cat/templates/web-*?format=json").json()
    assert sorted(t["name"] for t in js) == ["web-a", "web-b"]

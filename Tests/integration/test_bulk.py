"""_bulk: wire forms of Fluent Bit, fluentd and rsyslog (clients.md §1.3, §2.4, §3.3) and per-item errors."""
import gzip
import json

import requests

from conftest import assert_es_error

FLUENT_BIT = (
    '{"create":{"_index":"logstash-2024.01.15","_type":"_doc"}}\n'
    '{"@timestamp":"2024-01-15T10:00:00.123Z","log":"GET /healthz 200","stream":"stdout"}\n'
    '{"create":{"_index":"logstash-2024.01.15","_type":"_doc"}}\n'
    '{"@timestamp":"2024-01-15T10:00:00.456Z","log":"second line","stream":"stdout"}\n'
)

FLUENT_BIT_GZIP_NANOS = (
    '{"create":{"_index":"k8s-2024.01.15","_id":"3b1f09c2-7d4e-11a0-9f3c-0a1b2c3d4e5f"}}\n'
    '{"@timestamp":"2024-01-15T10:00:00.123456789Z","flb-key":"kube.var.log.containers.app","log":"hello"}\n'
)

RSYSLOG_BULK = (
    '{"index":{"_index": "logstash-2024.01.15","_type":"events"}}\n'
    '{"@timestamp":"2024-01-15T10:00:00.123456+00:00","host":"web1","severity":"info","facility":"auth","tag":"sshd[42]:","message":"Accepted publickey for root"}\n'
)

FLUENTD = (
    '{"index":{"_index":"logstash-2024.01.15","_type":"_doc"}}\n'
    '{"message":"hello","host":"web1","@timestamp":"2024-01-15T10:00:00.123456789+00:00"}\n'
)


def post_bulk(server, body, headers=None, path="/_bulk"):
    h = {"Content-Type": "application/x-ndjson", "User-Agent": "Fluent-Bit"}
    h.update(headers or {})
    return requests.post(server.url + path, data=body, headers=h)


def test_fluent_bit_defaults_compact_response(server):
    r = post_bulk(server, FLUENT_BIT)
    assert r.status_code == 200
    # Fluent Bit string-matches this exact prefix when a body is too big to parse.
    assert r.text.startswith('{"took":')
    assert '"errors":false,"items":[' in r.text
    items = r.json()["items"]
    assert len(items) == 2
    assert all(list(i.keys()) == ["create"] and i["create"]["status"] == 201 for i in items)
    assert server.get("/logstash-2024.01.15/_count").json()["count"] == 2


def test_fluent_bit_gzip_with_id_and_nanos(server):
    r = post_bulk(server, gzip.compress(FLUENT_BIT_GZIP_NANOS.encode()), {"Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.json()["errors"] is False
    doc = server.get("/k8s-2024.01.15/_doc/3b1f09c2-7d4e-11a0-9f3c-0a1b2c3d4e5f").json()
    assert doc["found"] is True and doc["_source"]["log"] == "hello"
    # A second create with the same id is a 409 item; Fluent Bit ≤ 3.1.6 treats it as done.
    r = post_bulk(server, gzip.compress(FLUENT_BIT_GZIP_NANOS.encode()), {"Content-Encoding": "gzip"})
    assert r.json()["errors"] is True
    assert r.json()["items"][0]["create"]["status"] == 409
    assert r.json()["items"][0]["create"]["error"]["type"] == "version_conflict_engine_exception"


def test_rsyslog_bulk_with_spaces_and_events_type(server):
    r = post_bulk(server, RSYSLOG_BULK, {"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200
    body = r.json()
    assert body["errors"] is False
    assert body["items"][0]["index"]["status"] == 201
    hits = server.search("logstash-2024.01.15", {"query": {"match": {"message": "publickey"}}}).json()
    assert hits["hits"]["total"]["value"] == 1


def test_rsyslog_non_bulk_mode(server):
    r = requests.post(server.url + "/system/events", data='{"@timestamp":"2024-01-15T10:00:00+00:00","message":"m1"}',
                      headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201
    # rsyslog treats a top-level "status" key as failure.
    assert "status" not in r.json()
    assert r.json()["result"] == "created"


def test_fluentd_index_action(server):
    r = post_bulk(server, FLUENTD)
    assert r.json()["items"][0]["index"]["status"] == 201
    got = server.search("logstash-*", {"query": {"term": {"host.keyword": "web1"}}}).json()
    assert got["hits"]["total"]["value"] == 1


def test_bad_document_fails_only_its_item(server):
    body = (
        '{"index":{"_index":"mixed"}}\n{"ok":1}\n'
        '{"index":{"_index":"mixed"}}\n{"broken": \n'
        '{"index":{"_index":"mixed"}}\n{"ok":3}\n'
    )
    r = post_bulk(server, body)
    assert r.status_code == 200
    items = r.json()["items"]
    assert r.json()["errors"] is True
    assert [i["index"]["status"] for i in items] == [201, 400, 201]
    assert items[1]["index"]["error"]["type"] == "mapper_parsing_exception"
    assert items[1]["index"]["error"]["reason"]
    assert server.get("/mixed/_count").json()["count"] == 2


def test_malformed_action_line_fails_the_request(server):
    r = post_bulk(server, '{"index":{"_index":"x"}\n{"a":1}\n')
    assert_es_error(r, 400, "illegal_argument_exception")
    r = post_bulk(server, '{"frobnicate":{"_index":"x"}}\n{"a":1}\n')
    assert_es_error(r, 400, "illegal_argument_exception")
    assert server.get("/").status_code == 200


def test_update_of_a_missing_document_fails_only_its_item(server):
    # Updates themselves are tested in test_updates.py.
    body = '{"update":{"_index":"u","_id":"1"}}\n{"doc":{"a":1}}\n{"index":{"_index":"u","_id":"2"}}\n{"a":2}\n'
    r = post_bulk(server, body)
    items = r.json()["items"]
    assert items[0]["update"]["status"] == 404
    assert items[0]["update"]["error"]["type"] == "document_missing_exception"
    assert items[1]["index"]["status"] == 201


def test_index_replaces_create_conflicts_delete_removes(server):
    r = server.bulk([{"index": {"_index": "ver", "_id": "a"}}, {"v": 1}], refresh="true")
    assert r.json()["items"][0]["index"]["result"] == "created"
    r = server.bulk([{"index": {"_index": "ver", "_id": "a"}}, {"v": 2}], refresh="true")
    item = r.json()["items"][0]["index"]
    assert item["result"] == "updated" and item["_version"] == 2 and item["status"] == 200
    assert server.get("/ver/_count").json()["count"] == 1
    assert server.get("/ver/_doc/a").json()["_source"] == {"v": 2}
    r = server.bulk([{"create": {"_index": "ver", "_id": "a"}}, {"v": 3}])
    assert r.json()["items"][0]["create"]["status"] == 409
    r = server.bulk([{"delete": {"_index": "ver", "_id": "a"}}], refresh="true")
    assert r.json()["items"][0]["delete"]["result"] == "deleted"
    assert server.get("/ver/_count").json()["count"] == 0
    r = server.bulk([{"delete": {"_index": "ver", "_id": "a"}}])
    assert r.json()["items"][0]["delete"]["status"] == 404


def test_index_from_url_and_generated_ids(server):
    r = server.bulk([{"index": {}}, {"a": 1}, {"index": {}}, {"a": 2}], path="/urlidx/_bulk")
    ids = [i["index"]["_id"] for i in r.json()["items"]]
    assert len(set(ids)) == 2 and all(len(i) == 20 for i in ids)
    assert all(i["index"]["_index"] == "urlidx" for i in r.json()["items"])


def test_duplicate_timestamp_later_key_wins(server):
    # Fluent Bit prepends @timestamp even when the record already has one.
    line = '{"@timestamp":"2024-01-15T10:00:00.000Z","@timestamp":"2024-01-15T12:00:00.000Z","log":"dup"}'
    r = post_bulk(server, '{"create":{"_index":"dup","_type":"_doc"}}\n' + line + "\n")
    assert r.json()["errors"] is False
    q = lambda gte, lt: server.search("dup", {"query": {"range": {"@timestamp": {"gte": gte, "lt": lt}}}}).json()["hits"]["total"]["value"]
    assert q("2024-01-15T12:00:00Z", "2024-01-15T12:00:01Z") == 1
    assert q("2024-01-15T10:00:00Z", "2024-01-15T10:00:01Z") == 0
    hit = server.search("dup", {}).json()["hits"]["hits"][0]
    assert hit["_source"]["log"] == "dup"


def test_refresh_param_makes_docs_visible(server):
    server.bulk([{"index": {"_index": "rf"}}, {"a": 1}], refresh="wait_for")
    assert server.get("/rf/_count").json()["count"] == 1


def test_bulk_items_are_small(server):
    lines = []
    for n in range(5000):
        lines += [{"create": {"_index": "logstash-2024.01.16", "_type": "_doc"}}, {"log": f"line {n}"}]
    r = server.bulk(lines)
    assert r.json()["errors"] is False
    # Fluent Bit reads at most 512 KiB of response by default: items stay near 110 bytes.
    assert len(r.content) < 600_000
    assert len(r.json()["items"]) == 5000


def test_action_lines_fast_and_general_forms_agree(server):
    """Plain action lines are read without the JSON parser; escaped, numeric, nested or
    non-ASCII ones go through the general one. Both must name the same index and id, and
    broken lines fail the request either way."""
    forms = [
        '{"index":{"_index":"forms-a","_id":"one"}}',              # fast path
        ' { "index" : { "_id" : "two" , "_index" : "forms-a" } } ',  # fast path, spaces
        '{"index":{"_index":"forms-\\u0061","_id":"thr\\u0065e"}}',  # escapes: general path
        '{"index":{"_index":"forms-a","_id":"four","routing":1}}',  # a number: general path
    ]
    body = "".join(f + '\n{"n":1}\n' for f in forms)
    r = post_bulk(server, body)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["index"]["_index"], i["index"]["_id"], i["index"]["status"]) for i in items] == [
        ("forms-a", "one", 201), ("forms-a", "two", 201), ("forms-a", "three", 201), ("forms-a", "four", 201)]
    for broken in ['{"index":{"_index":"x"}} trailing', '{"index":{"_index":"x"},"create":{}}', '{"index":{"_index":"x"']:
        assert_es_error(post_bulk(server, broken + '\n{"a":1}\n'), 400, "illegal_argument_exception")


def test_actions_without_an_index_fail_the_whole_request(server):
    """Elasticsearch validates a bulk request before running any of it: an action with no index
    (none in the path either) is a whole-request 400, one numbered error per such action."""
    body = b'{"index":{"_index":"has-one"}}\n{"a":1}\n{"index":{}}\n{"a":2}\n{"create":{}}\n{"a":3}\n'
    r = post_bulk(server, body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["type"] == "action_request_validation_exception"
    assert err["reason"] == "Validation Failed: 1: index is missing;2: index is missing;"
    # Nothing ran: not even the action that named its index.
    assert server.get("/has-one/_count").status_code == 404
    # With the index in the path every action has one.
    r = post_bulk(server, b'{"index":{}}\n{"a":2}\n', path="/has-one/_bulk")
    assert r.status_code == 200 and not r.json()["errors"]

"""Field types and options, mapping APIs and dynamic mapping rules; queries run on 1 and N segments."""
import pytest

from conftest import assert_es_error


def count(server, index, query):
    r = server.search(index, {"query": query})
    assert r.status_code == 200, r.text
    return r.json()["hits"]["total"]["value"]


def load(server, index, docs, segments):
    if segments == 1:
        lines = []
        for d in docs:
            lines += [{"index": {"_index": index}}, d]
        r = server.bulk(lines, refresh="true")
    else:
        for d in docs:
            r = server.bulk([{"index": {"_index": index}}, d], refresh="true")
    assert r.json()["errors"] is False, r.text


TYPES = {
    "properties": {
        "msg": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "tag": {"type": "keyword", "ignore_above": 5, "null_value": "NULL"},
        "n_long": {"type": "long"}, "n_int": {"type": "integer"}, "n_short": {"type": "short"}, "n_byte": {"type": "byte"},
        "f_double": {"type": "double"}, "f_float": {"type": "float"}, "f_half": {"type": "half_float"},
        "f_scaled": {"type": "scaled_float", "scaling_factor": 100},
        "ok": {"type": "boolean"},
        "when": {"type": "date", "format": "yyyy-MM-dd HH:mm:ss||epoch_second"},
        "ts_nanos": {"type": "date_nanos"},
        "addr": {"type": "ip"},
        "hidden": {"type": "keyword", "index": False},
        "nodv": {"type": "long", "doc_values": False},
        "blob": {"type": "object", "enabled": False},
    }
}

DOCS = [
    {"msg": "Disk full on node", "tag": "abc", "n_long": 5_000_000_000, "n_int": 7, "n_short": 3, "n_byte": 1, "f_double": 1.5,
     "f_float": 2.25, "f_half": 0.5, "f_scaled": 12.34, "ok": True, "when": "2024-01-15 10:00:00", "ts_nanos": "2024-01-15T10:00:00.123456789Z",
     "addr": "192.168.1.10", "hidden": "h", "nodv": 1, "blob": {"anything": [1, {"x": "y"}]}},
    {"msg": "disk ok", "tag": "abcdefgh", "n_long": 1, "n_int": -7, "ok": "false", "when": 1705312800, "ts_nanos": "2024-01-15T10:00:00.123456790Z",
     "addr": "2001:db8::1", "blob": "not even an object"},
    {"msg": "other", "tag": None, "ok": False, "addr": "10.1.2.3"},
]


@pytest.fixture(params=[1, 3], ids=["1-segment", "N-segments"])
def typed(request, server):
    assert server.put("/typed", {"mappings": TYPES}).status_code == 200
    load(server, "typed", DOCS, request.param)
    return server


def test_keyword_ignore_above_and_null_value(typed):
    assert count(typed, "typed", {"term": {"tag": "abc"}}) == 1
    assert count(typed, "typed", {"term": {"tag": "abcdefgh"}}) == 0   # above ignore_above: not indexed
    assert count(typed, "typed", {"term": {"tag": "NULL"}}) == 1       # null_value
    assert count(typed, "typed", {"term": {"msg.raw": "Disk full on node"}}) == 1


def test_numbers(typed):
    assert count(typed, "typed", {"range": {"n_long": {"gt": 4_000_000_000}}}) == 1
    assert count(typed, "typed", {"range": {"n_int": {"lt": 0}}}) == 1
    assert count(typed, "typed", {"term": {"f_float": 2.25}}) == 1
    assert count(typed, "typed", {"range": {"f_scaled": {"gte": 12, "lte": 13}}}) == 1
    assert count(typed, "typed", {"range": {"f_half": {"gte": 0.5}}}) == 1


def test_boolean_and_dates(typed):
    assert count(typed, "typed", {"term": {"ok": True}}) == 1
    assert count(typed, "typed", {"term": {"ok": "false"}}) == 2
    assert count(typed, "typed", {"range": {"when": {"gte": "2024-01-15 10:00:00", "lte": "2024-01-15 10:00:00"}}}) == 2
    assert count(typed, "typed", {"range": {"ts_nanos": {"gt": "2024-01-15T10:00:00.123456789Z"}}}) == 1


def test_ip_term_and_cidr(typed):
    assert count(typed, "typed", {"term": {"addr": "192.168.1.10"}}) == 1
    assert count(typed, "typed", {"term": {"addr": "192.168.0.0/16"}}) == 1
    assert count(typed, "typed", {"term": {"addr": "10.0.0.0/8"}}) == 1
    assert count(typed, "typed", {"term": {"addr": "2001:db8::/32"}}) == 1
    assert count(typed, "typed", {"range": {"addr": {"gte": "10.0.0.0", "lte": "192.168.255.255"}}}) == 2


def test_index_false_and_enabled_false(typed):
    r = typed.search("typed", {"query": {"term": {"hidden": "h"}}})
    assert r.status_code == 400 and "not indexed" in r.json()["error"]["reason"]
    # enabled: false keeps the value in _source only, whatever its shape.
    hits = typed.search("typed", {"query": {"term": {"tag": "abc"}}}).json()["hits"]["hits"]
    assert hits[0]["_source"]["blob"] == {"anything": [1, {"x": "y"}]}
    props = typed.get("/typed/_mapping").json()["typed"]["mappings"]["properties"]
    assert props["blob"] == {"type": "object", "enabled": False}
    assert "blob.anything" not in str(props)


def test_bad_values_rejected_per_item(server):
    server.put("/strict-types", {"mappings": TYPES})
    r = server.bulk([{"index": {"_index": "strict-types"}}, {"n_byte": 300},
                     {"index": {"_index": "strict-types"}}, {"addr": "not-an-ip"},
                     {"index": {"_index": "strict-types"}}, {"when": "15/01/2024"},
                     {"index": {"_index": "strict-types"}}, {"ok": "maybe"},
                     {"index": {"_index": "strict-types"}}, {"n_int": 1}], refresh="true")
    assert [i["index"]["status"] for i in r.json()["items"]] == [400, 400, 400, 400, 201]
    assert all(i["index"]["error"]["type"] == "mapper_parsing_exception" for i in r.json()["items"][:4])
    assert server.get("/strict-types/_count").json()["count"] == 1


def test_dynamic_strict_false_and_per_object(server):
    server.put("/dyn", {"mappings": {"dynamic": "strict", "properties": {
        "a": {"type": "keyword"}, "free": {"type": "object", "dynamic": True}, "quiet": {"type": "object", "dynamic": False}}}})
    r = server.bulk([{"index": {"_index": "dyn"}}, {"a": "x", "b": 1},
                     {"index": {"_index": "dyn"}}, {"a": "y", "free": {"new": 1}, "quiet": {"ignored": "z"}}], refresh="true")
    items = r.json()["items"]
    assert items[0]["index"]["status"] == 400 and "strict" in items[0]["index"]["error"]["reason"]
    assert items[1]["index"]["status"] == 201
    props = server.get("/dyn/_mapping").json()["dyn"]["mappings"]["properties"]
    assert props["free"]["properties"]["new"]["type"] == "long"
    assert "properties" not in props["quiet"]
    assert server.search("dyn", {"query": {"match": {"quiet.ignored": "z"}}}).json()["hits"]["total"]["value"] == 0


def test_dynamic_templates(server):
    server.put("/dt", {"mappings": {"dynamic_templates": [
        {"labels_as_keywords": {"path_match": "labels.*", "match_mapping_type": "string", "mapping": {"type": "keyword"}}},
        {"longs_as_ints": {"match_mapping_type": "long", "unmatch": "big_*", "mapping": {"type": "integer"}}},
        {"ips": {"match": "*_ip", "mapping": {"type": "ip"}}},
        {"named": {"match": "copy_*", "path_unmatch": "skip.*", "mapping": {"type": "keyword", "meta_name": "{name}"}}},
    ]}})
    r = server.bulk([{"index": {"_index": "dt"}}, {"labels": {"app": "web"}, "count": 3, "big_n": 4, "client_ip": "1.2.3.4",
                                                  "copy_a": "v", "skip": {"copy_b": "w"}, "text": "hello"}], refresh="true")
    assert r.json()["errors"] is False, r.text
    p = server.get("/dt/_mapping").json()["dt"]["mappings"]["properties"]
    assert p["labels"]["properties"]["app"]["type"] == "keyword"
    assert p["count"]["type"] == "integer" and p["big_n"]["type"] == "long"
    assert p["client_ip"]["type"] == "ip"
    assert p["copy_a"]["type"] == "keyword"
    assert p["skip"]["properties"]["copy_b"]["type"] == "text"
    assert p["text"]["type"] == "text"


def test_date_and_numeric_detection(server):
    server.put("/det", {"mappings": {"date_detection": False, "numeric_detection": True}})
    server.bulk([{"index": {"_index": "det"}}, {"d": "2024-01-15T10:00:00Z", "n": "42", "f": "1.5"}], refresh="true")
    p = server.get("/det/_mapping").json()["det"]["mappings"]["properties"]
    assert p["d"]["type"] == "text" and p["n"]["type"] == "long" and p["f"]["type"] == "float"


def test_put_mapping_adds_fields_and_refuses_type_change(server):
    server.bulk([{"index": {"_index": "pm"}}, {"n": 1}], refresh="true")
    assert server.put("/pm/_mapping", {"properties": {"extra": {"type": "keyword"}}}).status_code == 200
    assert server.get("/pm/_mapping").json()["pm"]["mappings"]["properties"]["extra"]["type"] == "keyword"
    r = server.put("/pm/_mapping", {"properties": {"n": {"type": "keyword"}}})
    body = assert_es_error(r, 400, "illegal_argument_exception")
    assert "cannot be changed from type [long] to [keyword]" in body["error"]["reason"]


def test_field_mapping_api(server):
    server.bulk([{"index": {"_index": "fm"}}, {"kubernetes": {"pod_name": "p"}, "log": "x"}], refresh="true")
    r = server.get("/fm/_mapping/field/kubernetes.pod_name").json()
    entry = r["fm"]["mappings"]["kubernetes.pod_name"]
    assert entry["full_name"] == "kubernetes.pod_name"
    assert entry["mapping"]["pod_name"]["type"] == "text"
    r = server.get("/fm/_mapping/field/kube*,log").json()
    assert set(r["fm"]["mappings"]) == {"kubernetes.pod_name", "kubernetes.pod_name.keyword", "log"}


def test_field_caps(server):
    server.bulk([{"index": {"_index": "fc-1"}}, {"@timestamp": "2024-01-15T00:00:00Z", "v": 1, "s": "x"},
                 {"index": {"_index": "fc-2"}}, {"@timestamp": "2024-01-15T00:00:00Z", "v": "text now", "s": "y"}], refresh="true")
    r = server.get("/fc-*/_field_caps?fields=@timestamp").json()
    assert r["indices"] == ["fc-1", "fc-2"]
    assert r["fields"]["@timestamp"]["date"]["searchable"] is True
    assert r["fields"]["@timestamp"]["date"]["aggregatable"] is True
    r = server.post("/fc-*/_field_caps?fields=*", {}).json()
    assert set(r["fields"]["v"]) == {"long", "text"}
    assert r["fields"]["v"]["long"]["indices"] == ["fc-1"]
    assert r["fields"]["s.keyword"]["keyword"]["aggregatable"] is True
    assert r["fields"]["s"]["text"]["aggregatable"] is False
    assert r["fields"]["_id"]["_id"]["metadata_field"] is True


def test_total_fields_limit(server):
    server.put("/limited", {"settings": {"index.mapping.total_fields.limit": 5}})
    r = server.bulk([{"index": {"_index": "limited"}}, {"a": 1, "b": 2},
                     {"index": {"_index": "limited"}}, {"c": 1, "d": 2, "e": 3, "f": 4},
                     {"index": {"_index": "limited"}}, {"a": 5}], refresh="true")
    st = [i["index"]["status"] for i in r.json()["items"]]
    assert st == [201, 400, 201]
    assert "Limit of total fields [5]" in r.json()["items"][1]["index"]["error"]["reason"]
    assert server.get("/limited/_count").json()["count"] == 2


def test_explicit_mapping_beyond_total_fields_limit_refused(server):
    many = {"properties": {f"f{i}": {"type": "keyword"} for i in range(1001)}}
    r = server.put("/toomany", {"mappings": many})
    assert r.status_code == 400 and r.json()["error"]["type"] == "illegal_argument_exception", r.text
    assert "Limit of total fields [1000] has been exceeded" in r.json()["error"]["reason"]
    assert server.get("/toomany").status_code == 404, "nothing was created"
    # The limit from the request's own settings; a mapping update past it is refused too.
    assert server.put("/few", {"settings": {"index.mapping.total_fields.limit": 3}, "mappings": {"properties": {"a": {"type": "long"}}}}).status_code == 200
    r = server.put("/few/_mapping", {"properties": {"b": {"type": "long"}, "c": {"type": "text", "fields": {"raw": {"type": "keyword"}}}}})
    assert r.status_code == 400 and "Limit of total fields [3]" in r.json()["error"]["reason"], r.text
    assert list(server.get("/few/_mapping").json()["few"]["mappings"]["properties"]) == ["a"]
    assert server.put("/few/_mapping", {"properties": {"b": {"type": "long"}}}).status_code == 200
    # Exactly the limit is allowed.
    exact = {"properties": {f"f{i}": {"type": "keyword"} for i in range(1000)}}
    assert server.put("/exact", {"mappings": exact}).status_code == 200


def test_label_object_conflict_counts_what_landed(server):
    # A label `app` that is a string in one pod and an object in another (issue 3, item 5).
    lines = []
    for i in range(20):
        labels = {"app": "web"} if i % 2 == 0 else {"app": {"kubernetes.io/name": "web"}}
        lines += [{"index": {"_index": "labels"}}, {"n": i, "kubernetes": {"labels": labels}}]
    r = server.bulk(lines, refresh="true")
    st = [i["index"]["status"] for i in r.json()["items"]]
    assert st.count(201) == 10 and st.count(400) == 10
    assert server.get("/labels/_count").json()["count"] == 10

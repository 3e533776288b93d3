"""GET / and protocol-level behaviour (clients.md §0, §5, §9)."""
import gzip
import json

import requests

from conftest import assert_es_error


def test_root_identifies_as_elasticsearch_7_17(server):
    r = server.get("/")
    assert r.status_code == 200
    assert r.headers["X-Elastic-Product"] == "Elasticsearch"
    assert r.headers["Content-Type"] == "application/json; charset=UTF-8"
    body = r.json()
    assert body["version"]["number"].startswith("7.17.")
    assert body["version"]["build_flavor"] == "default"
    assert body["tagline"] == "You Know, for Search"
    assert body["cluster_uuid"] == server.get("/").json()["cluster_uuid"]


def test_head_root(server):
    r = requests.head(server.url + "/")
    assert r.status_code == 200
    assert r.headers["X-Elastic-Product"] == "Elasticsearch"
    assert r.content == b""


def test_version_is_configurable(make_server):
    s = make_server("logpond:\n  version_number: 7.17.99\n").start()
    assert s.get("/").json()["version"]["number"] == "7.17.99"


def test_unknown_route_is_an_es_error_with_product_header(server):
    r = server.get("/_nonexistent/a/b/c")
    assert_es_error(r, 400, "illegal_argument_exception")
    assert "no handler found" in r.json()["error"]["reason"]


def test_wrong_method_is_405(server):
    r = server.get("/_bulk")
    assert_es_error(r, 405, "method_not_allowed")


def test_double_slash_and_trailing_slash_paths(server):
    body = '{"create":{"_index":"logs-a","_type":"_doc"}}\n{"msg":"x"}\n'
    for path in ["//_bulk", "/_bulk/", "/_bulk/?pipeline=x"]:
        r = requests.post(server.url + path, data=body, headers={"Content-Type": "application/x-ndjson"})
        assert r.status_code == 200, (path, r.text)
        assert r.json()["errors"] is False
    assert server.get("/logs-a/_count").json()["count"] == 3


def test_url_encoded_path_parts(server):
    server.bulk([{"index": {"_index": "enc-1"}}, {"a": 1}, {"index": {"_index": "enc-2"}}, {"a": 2}], refresh="true")
    r = server.get("/enc-1%2Cenc-2/_count")
    assert r.json()["count"] == 2
    r = server.get("/enc-%2A/_count")
    assert r.json()["count"] == 2


def test_compatibility_media_types_accepted(server):
    headers = {"Content-Type": "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
               "Accept": "application/vnd.elasticsearch+json; compatible-with=8"}
    r = requests.put(server.url + "/_bulk", data='{"index":{"_index":"compat"}}\n{"m":"x"}\n', headers=headers)
    assert r.status_code == 200 and r.json()["errors"] is False
    r = requests.post(server.url + "/compat/_search", data='{"query":{"match_all":{}}}',
                      headers={"Content-Type": "application/vnd.elasticsearch+json; compatible-with=8"})
    assert r.status_code == 200
    assert r.json()["hits"]["total"] == {"value": 1, "relation": "eq"}


def test_gzip_request_body(server):
    body = '{"create":{"_index":"gz","_type":"_doc"}}\n{"log":"compressed line"}\n'.encode()
    r = requests.post(server.url + "/_bulk", data=gzip.compress(body),
                      headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.json()["errors"] is False
    assert server.get("/gz/_count").json()["count"] == 1


def test_pretty(server):
    r = server.get("/?pretty")
    assert r.text.startswith("{\n  \"name\" : ")
    assert json.loads(r.text)["tagline"] == "You Know, for Search"


def test_cluster_health_and_cat_health(server):
    r = server.get("/_cluster/health?wait_for_status=yellow")
    assert r.status_code == 200 and r.json()["status"] == "green"
    r = server.get("/_cat/health")
    assert r.status_code == 200 and "green" in r.text
    r = server.get("/_cat/health?format=json")
    assert r.json()[0]["status"] == "green"


def test_nodes_http_reports_the_address_used(server):
    r = server.get("/_nodes/http")
    body = r.json()
    assert body["_nodes"]["total"] == 1
    node = next(iter(body["nodes"].values()))
    assert node["http"]["publish_address"] == f"127.0.0.1:{server.port}"


def test_expect_100_continue_is_answered(server, tmp_path):
    import subprocess
    body = tmp_path / "big.ndjson"
    lines = []
    for i in range(2000):
        lines += ['{"index":{"_index":"expect"}}', json.dumps({"log": "x" * 500, "n": i})]
    body.write_text("\n".join(lines) + "\n")
    r = subprocess.run(["curl", "-s", "-v", "-XPOST", server.url + "/_bulk", "-H", "Content-Type: application/x-ndjson",
                        "-H", "Expect: 100-continue", "--data-binary", "@" + str(body)], capture_output=True, text=True, timeout=60)
    assert "< HTTP/1.1 100 Continue" in r.stderr
    assert '"errors":false' in r.stdout

"""The seed document's stored example comes back byte for byte."""
import json
import os

import requests

from conftest import FIXTURES


def seed_source():
    with open(os.path.join(FIXTURES, "seed-source.json"), "rb") as f:
        return f.read()


def raw_source_of_first_hit(text):
    """Cuts the raw `_source` value out of a compact search response without re-encoding it."""
    key = '"_source":'
    i = text.index(key) + len(key)
    depth, j, in_str, esc = 0, i, False, False
    while True:
        c = text[j]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[i:j + 1]
        j += 1


def test_seed_document_source_is_byte_identical_via_doc_api(server):
    src = seed_source()
    r = requests.put(server.url + "/logstash-2018.02.04/_doc/AWFeY7RauuiH0H_zHFxS?refresh=true", data=src,
                     headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    r = requests.post(server.url + "/logstash-2018.02.04/_search", data='{"query":{"match_all":{}}}',
                      headers={"Content-Type": "application/json"})
    assert raw_source_of_first_hit(r.content.decode("utf-8")).encode("utf-8") == src
    r = requests.get(server.url + "/logstash-2018.02.04/_doc/AWFeY7RauuiH0H_zHFxS")
    assert raw_source_of_first_hit(r.content.decode("utf-8")).encode("utf-8") == src


def test_seed_document_source_is_byte_identical_via_bulk(server):
    line = seed_source().replace(b"\n", b"")
    body = b'{"index":{"_index":"logstash-2018.02.04","_type":"fluent-logging","_id":"AWFeY7RauuiH0H_zHFxS"}}\n' + line + b"\n"
    r = requests.post(server.url + "/_bulk?refresh=true", data=body, headers={"Content-Type": "application/x-ndjson"})
    assert r.json()["errors"] is False
    # After a flush the document is read back from a segment file.
    assert server.post("/_flush").status_code == 200
    r = requests.post(server.url + "/logstash-2018.02.04/_search", data='{"query":{"term":{"kubernetes.pod_name":"weave-scope-agent-56dfr"}}}',
                      headers={"Content-Type": "application/json"})
    assert r.json()["hits"]["total"]["value"] == 1
    assert raw_source_of_first_hit(r.content.decode("utf-8")).encode("utf-8") == line
    assert json.loads(line)["kubernetes"]["labels"]["app"] == "weave-scope"

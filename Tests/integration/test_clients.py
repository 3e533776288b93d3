"""Real elasticsearch-py clients (7.17.x and 8.x from PyPI): product check, helpers.bulk, search."""
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import PYDEPS, run_es_py

SCRIPT = textwrap.dedent("""
    import sys
    from elasticsearch import Elasticsearch, helpers
    url = sys.argv[1]
    es = Elasticsearch(url)
    info = es.info()
    assert info["version"]["number"].startswith("7.17"), info
    docs = ({"_index": "logstash-2024.01.15", "_source": {"@timestamp": "2024-01-15T10:00:%02dZ" % (i % 60), "log": "line %d" % i, "n": i}}
            for i in range(500))
    ok, errors = helpers.bulk(es, docs)
    assert ok == 500 and not errors, (ok, errors)
    es.indices.refresh(index="logstash-2024.01.15")
    r = es.search(index="logstash-*", query={"range": {"n": {"gte": 100, "lt": 150}}}, size=5, sort=[{"@timestamp": "desc"}])
    assert r["hits"]["total"]["value"] == 50, r["hits"]["total"]
    assert len(r["hits"]["hits"]) == 5
    r = es.count(index="logstash-2024.01.15")
    assert r["count"] == 500
    r = es.index(index="single", id="1", document={"a": 1}, refresh=True)
    assert r["result"] == "created"
    assert es.get(index="single", id="1")["_source"] == {"a": 1}
    print("CLIENT-OK", es.__class__.__module__)
""")


@pytest.mark.parametrize("flavour", ["es7", "es8"])
def test_elasticsearch_py(server, flavour):
    run_es_py(SCRIPT, server.url, flavour, "CLIENT-OK")

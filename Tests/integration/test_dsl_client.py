"""PyPI's elasticsearch-dsl against Logpond: Search() objects and scan() over 20k documents."""
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import PYDEPS

SCRIPT = textwrap.dedent("""
    import sys
    from elasticsearch import Elasticsearch, helpers
    from elasticsearch_dsl import Search, Q
    es = Elasticsearch(sys.argv[1])
    docs = ({"_index": "logstash-2024.01.%02d" % (15 + i % 2),
             "_source": {"@timestamp": "2024-01-%02dT%02d:%02d:00Z" % (15 + i % 2, (i // 60) % 24, i % 60),
                         "log": "request %d %s" % (i, "failed" if i % 7 == 0 else "served"),
                         "kubernetes": {"namespace_name": "ns%d" % (i % 5), "pod_name": "pod-%d" % (i % 50)}, "n": i}}
            for i in range(20000))
    ok, errors = helpers.bulk(es, docs, chunk_size=2000)
    assert ok == 20000 and not errors
    es.indices.refresh(index="logstash-*")

    s = Search(using=es, index="logstash-*").query(
        Q("bool", must=[Q("match", log="failed")], filter=[Q("term", **{"kubernetes.namespace_name": "ns3"}), Q("range", n={"gte": 1000, "lt": 5000})]))
    r = s.extra(track_total_hits=True)[:0].execute()
    expected = sum(1 for i in range(1000, 5000) if i % 7 == 0 and i % 5 == 3)
    assert r.hits.total.value == expected, (r.hits.total.value, expected)

    s = Search(using=es, index="logstash-*").query("match", log="failed").sort("-@timestamp", "n").source(["n", "kubernetes.pod_name"])[:5]
    r = s.execute()
    assert len(r.hits) == 5
    for h in r:
        assert set(h.to_dict()) <= {"n", "kubernetes"}
        assert h.n % 7 == 0
    ts = [h.meta.sort[0] for h in r]
    assert ts == sorted(ts, reverse=True)

    s = Search(using=es, index="logstash-2024.01.15").filter("range", **{"@timestamp": {"gte": "2024-01-15T10:00:00Z", "lt": "2024-01-15T11:00:00Z"}})
    assert s.count() == sum(1 for i in range(20000) if i % 2 == 0 and (i // 60) % 24 == 10) > 0

    seen = set()
    for h in Search(using=es, index="logstash-*").query("match_all").params(size=1000).scan():
        seen.add(h.n)
    assert seen == set(range(20000)), len(seen)
    print("DSL-OK")
""")


def test_elasticsearch_dsl(server):
    path = os.path.join(PYDEPS, "es8")
    if not os.path.isdir(os.path.join(path, "elasticsearch_dsl")):
        pytest.fail(f"elasticsearch-dsl missing under {path}: run `make pydeps` (make test does)")
    env = dict(os.environ, PYTHONPATH=path)
    r = subprocess.run([sys.executable, "-c", SCRIPT, server.url], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert "DSL-OK" in r.stdout

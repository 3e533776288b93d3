"""Random but well-formed Elasticsearch requests against the real binary (hypothesis): never a
5xx, never a dropped connection, the server alive after each (issue 16)."""
import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import Server
from test_hostile import DOCS, MAPPING

FIELDS = ["@timestamp", "message", "tag", "n", "f", "missing_field", "tag.keyword", "*"]
numbers = st.one_of(st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1), st.floats(allow_nan=False),
                    st.sampled_from([0, 1, -1, 10, 2 ** 31, 1e308]))
scalars = st.one_of(numbers, st.text(max_size=20), st.booleans(), st.none(),
                    st.sampled_from(["now-1d/d", "2024-01-15", "now+9999y", "web", "refused", "1h", "AUTO", "50%"]))
field = st.sampled_from(FIELDS)


def leaf_queries():
    return st.one_of(
        st.builds(lambda f, v: {"term": {f: v}}, field, scalars),
        st.builds(lambda f, v: {"terms": {f: v}}, field, st.lists(scalars, max_size=5)),
        st.builds(lambda f, v, o: {"match": {f: {"query": v, **o}}}, field, scalars,
                  st.dictionaries(st.sampled_from(["fuzziness", "operator", "minimum_should_match", "prefix_length", "max_expansions", "boost"]), scalars, max_size=3)),
        st.builds(lambda f, v, s: {"match_phrase": {f: {"query": v, "slop": s}}}, field, st.text(max_size=20), numbers),
        st.builds(lambda f, b: {"range": {f: b}}, field, st.dictionaries(st.sampled_from(["gte", "lt", "gt", "lte", "format", "time_zone"]), scalars, max_size=3)),
        st.builds(lambda q: {"query_string": {"query": q}}, st.text(alphabet="ab:()[]{}*?~^\"\\ +-!&|/0123456789TO", max_size=40)),
        st.builds(lambda q: {"simple_query_string": {"query": q}}, st.text(max_size=30)),
        st.builds(lambda f, v: {"regexp": {f: v}}, field, st.text(alphabet="ab.*+?()[]{}<>-|&~@#0123456789", max_size=20)),
        st.builds(lambda f, v: {"wildcard": {f: v}}, field, st.text(alphabet="ab*?\\", max_size=15)),
        st.builds(lambda f, v, z: {"fuzzy": {f: {"value": v, "fuzziness": z}}}, field, st.text(max_size=10), scalars),
        st.builds(lambda f: {"exists": {"field": f}}, field),
        st.just({"match_all": {}}),
    )


queries = st.recursive(leaf_queries(), lambda inner: st.one_of(
    st.builds(lambda m, s, n, msm: {"bool": {"must": m, "should": s, "must_not": n, "minimum_should_match": msm}},
              st.lists(inner, max_size=3), st.lists(inner, max_size=3), st.lists(inner, max_size=2), scalars),
    st.builds(lambda q, b: {"constant_score": {"filter": q, "boost": b}}, inner, numbers),
), max_leaves=8)

metric_aggs = st.one_of(
    st.builds(lambda t, f: {t: {"field": f}}, st.sampled_from(["min", "max", "avg", "sum", "value_count", "stats", "extended_stats", "cardinality"]), field),
    st.builds(lambda f, p: {"percentiles": {"field": f, "percents": p}}, field, st.lists(numbers, max_size=3)),
    st.builds(lambda s, f: {"top_hits": {"size": s, "from": f}}, numbers, numbers),
)
bucket_aggs = st.one_of(
    st.builds(lambda f, s, m: {"terms": {"field": f, "size": s, "min_doc_count": m}}, field, numbers, numbers),
    st.builds(lambda f, i, o, m: {"histogram": {"field": f, "interval": i, "offset": o, "min_doc_count": m}}, field, numbers, numbers, st.sampled_from([0, 1])),
    st.builds(lambda f, i, m, b: {"date_histogram": {"field": f, "fixed_interval": i, "min_doc_count": m, "extended_bounds": b}}, field,
              st.sampled_from(["1ms", "1s", "1m", "1h", "1d", "0s", "-5m", "99999999999d"]), st.sampled_from([0, 1]),
              st.fixed_dictionaries({"min": scalars, "max": scalars})),
    st.builds(lambda f, r: {"range": {"field": f, "ranges": r}}, field, st.lists(st.dictionaries(st.sampled_from(["from", "to", "key"]), scalars, max_size=2), max_size=3)),
    st.builds(lambda s, a: {"composite": {"size": s, "sources": [{"x": {"terms": {"field": a}}}]}}, numbers, field),
)
pipelines = st.one_of(
    st.builds(lambda w, s: {"moving_fn": {"buckets_path": "_count", "window": w, "shift": s, "script": "MovingFunctions.sum(values)"}}, numbers, numbers),
    st.builds(lambda p: {"derivative": {"buckets_path": p}}, st.sampled_from(["_count", "nope", "c", "a>b"])),
    st.builds(lambda s: {"bucket_script": {"buckets_path": {"x": "_count"}, "script": s}}, st.text(alphabet="params.x+-*/()<>=!&| 0123456789", max_size=30)),
)


def agg_tree():
    return st.recursive(st.one_of(metric_aggs, bucket_aggs),
                        lambda inner: st.builds(lambda b, subs, p: {**b, "aggs": {**{f"s{i}": s for i, s in enumerate(subs)}, **({"p": p} if p else {})}},
                                                bucket_aggs, st.lists(inner, max_size=2), st.one_of(st.none(), pipelines)),
                        max_leaves=5)


bodies = st.fixed_dictionaries({}, optional={
    "query": queries, "size": numbers, "from": numbers, "sort": st.lists(st.dictionaries(field, st.sampled_from(["asc", "desc"]), max_size=1), max_size=2),
    "aggs": st.dictionaries(st.sampled_from(["a", "b"]), agg_tree(), max_size=2), "track_total_hits": scalars,
    "_source": st.one_of(st.booleans(), st.lists(field, max_size=2)), "highlight": st.just({"fields": {"message": {}}}),
    "timeout": st.sampled_from(["1s", "0ms", "10m"]),
})


@pytest.fixture(scope="module")
def gen_server(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp("generated") / "data")).start()
    assert s.put("/h", {"mappings": MAPPING}).status_code == 200
    lines = []
    for d in DOCS:
        lines += [{"index": {"_index": "h"}}, d]
    s.bulk(lines, refresh="true")
    yield s
    s.stop()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies)
def test_generated_searches_never_fail_the_server(gen_server, body):
    try:
        r = requests.post(gen_server.url + "/h/_search", data=json.dumps(body), headers={"Content-Type": "application/json"}, timeout=10)
    except requests.RequestException as e:
        pytest.fail(f"dropped connection ({e}); alive: {gen_server.alive()}; body: {json.dumps(body)[:500]}; log: {gen_server.log_text()[-800:]}")
    assert r.status_code < 500, (r.status_code, r.text[:300], json.dumps(body)[:500])
    assert gen_server.alive()

"""A short run of overload.py (issue 15): 8 senders faster than the server indexes and 32
heavy aggregations beside them, against small configured limits. Some requests get 429 (never
5xx), RSS stays under the stated limit, and every acknowledged document is searchable.
`python3 Tests/integration/overload.py --minutes 5` is the long run (docs/operations.md)."""
from overload import RSS_LIMIT_BYTES, overload


def test_overload_answers_429_never_5xx_and_keeps_what_it_acknowledged(tmp_path):
    rep = overload(str(tmp_path / "data"), seconds=20, senders=8, aggregators=32)
    summary = {k: rep[k] for k in ("acked", "found", "bulk_status", "search_status", "reasons", "peak_rss", "errors", "alive")}
    assert rep["alive"] and not rep["errors"], summary
    assert rep["fivexx"] == 0, summary
    assert set(rep["bulk_status"]) <= {"200", "429"} and set(rep["search_status"]) <= {"200", "429"}, summary
    # Overload was reached on both paths, and answered as Elasticsearch does.
    assert rep["bulk_status"].get("429", 0) > 0 and rep["search_status"].get("429", 0) > 0, summary
    assert set(rep["reasons"]) <= {"es_rejected_execution_exception", "circuit_breaking_exception"}, summary
    assert rep["acked"] > 0 and rep["found"] == rep["acked"], summary
    assert rep["peak_rss"] < RSS_LIMIT_BYTES, summary
    stats = rep["nodes_stats"]
    assert stats["indexing_pressure"]["memory"]["total"]["coordinating_rejections"] > 0, stats
    assert stats["indexing_pressure"]["memory"]["current"]["all_in_bytes"] == 0, stats
    assert stats["breakers"]["request"]["estimated_size_in_bytes"] == 0, stats

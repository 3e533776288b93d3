"""Documents that once vanished after acknowledgement (issue 16): each poison case, then kill -9
and a restart: every acknowledged document is found, exactly once, and the poison is refused
with a 4xx before it was acknowledged."""
import json

import pytest

from conftest import Server


def count(server, index):
    server.post(f"/{index}/_refresh")
    return server.get(f"/{index}/_count").json()["count"]


def bulk_lines(docs, index="p"):
    lines = []
    for d in docs:
        lines += [{"index": {"_index": index}}, d]
    return lines


def restart_after_kill9(server):
    server.kill9()
    return server.start()


def statuses(r):
    return [next(iter(i.values()))["status"] for i in r.json()["items"]]


def test_huge_field_name_is_refused_and_its_neighbours_survive(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        r = s.bulk(bulk_lines([{"a": 1}, {"k" * 70_000: 1}, {"a": 3}]))
        assert statuses(r) == [201, 400, 201]
        assert count(s, "p") == 2
        s.post("/_flush")   # the sealed buffer must reopen and flush
        s = restart_after_kill9(s)
        assert count(s, "p") == 2
    finally:
        s.stop()


def test_long_id_is_refused_and_later_documents_survive_kill9(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        lines = [{"index": {"_index": "p", "_id": "i" * 5000}}, {"a": 0}]
        lines += bulk_lines([{"a": n} for n in range(100)])
        r = s.bulk(lines)
        st = statuses(r)
        assert st[0] == 400 and st[1:] == [201] * 100
        assert r.json()["items"][0]["index"]["error"]["type"] in ("illegal_argument_exception", "action_request_validation_exception")
        s = restart_after_kill9(s)
        assert count(s, "p") == 100
        # An id at the limit is fine.
        assert s.put("/p/_doc/" + "j" * 512, {"a": 1}).status_code == 201
        s = restart_after_kill9(s)
        assert count(s, "p") == 101
    finally:
        s.stop()


def test_write_block_after_acknowledgement_does_not_drop_documents_on_replay(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        r = s.bulk(bulk_lines([{"a": n} for n in range(100)]))
        assert statuses(r) == [201] * 100
        assert s.put("/p/_settings", {"index": {"blocks.write": True}}).status_code == 200
        s = restart_after_kill9(s)
        assert count(s, "p") == 100
        # The block still holds for new writes.
        assert s.bulk(bulk_lines([{"a": 1}])).json()["items"][0]["index"]["status"] == 403
    finally:
        s.stop()


@pytest.mark.parametrize("doc,why", [
    ({"": 1}, "empty key"), ({".": 1}, "dot key"), ({"a..b": 1}, "empty part"), ({" ": 1}, "blank key"),
    ({"tag": "x" * 40_000}, "immense keyword term"),
])
def test_poison_documents_are_refused_before_acknowledgement(tmp_path, doc, why):
    s = Server(str(tmp_path / "data")).start()
    try:
        s.put("/p", {"mappings": {"properties": {"tag": {"type": "keyword"}}}})
        r = s.bulk(bulk_lines([{"a": 1}, doc, {"a": 2}]))
        assert statuses(r) == [201, 400, 201], why
        s = restart_after_kill9(s)
        assert count(s, "p") == 2, why
        s.post("/_flush")
        s = restart_after_kill9(s)
        assert count(s, "p") == 2, why
    finally:
        s.stop()


def test_long_keyword_with_ignore_above_is_kept(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        s.put("/p", {"mappings": {"properties": {"tag": {"type": "keyword", "ignore_above": 256}}}})
        r = s.bulk(bulk_lines([{"tag": "x" * 40_000}]))
        assert statuses(r) == [201]
        s.post("/_flush")
        s = restart_after_kill9(s)
        assert count(s, "p") == 1
        # Dynamic strings get a .keyword with ignore_above 256: accepted too.
        r = s.bulk(bulk_lines([{"msg": "y" * 40_000}], index="q"))
        assert statuses(r) == [201]
    finally:
        s.stop()


def test_mapping_with_a_huge_or_malformed_field_name_is_refused(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    try:
        for name in ["k" * 70_000, "a..b", " "]:
            r = s.put("/m", {"mappings": {"properties": {name: {"type": "keyword"}}}})
            assert r.status_code == 400 and r.json()["error"]["type"] == "mapper_parsing_exception", r.text[:200]
        assert s.put("/m", {"mappings": {"properties": {"a.b": {"type": "keyword"}}}}).status_code == 200
    finally:
        s.stop()

"""A short run of soak.py: senders and a reader, kill -9 halfway, restart; every acknowledged
document found once, no 5xx, no trap. `python3 Tests/integration/soak.py --minutes 10` is the
long run (docs/robustness.md)."""
from soak import soak


def test_short_soak_with_kill9(tmp_path):
    rep = soak(str(tmp_path / "data"), seconds=16, senders=3)
    assert rep["acked"] > 1000, rep
    # Requests cut off by the kill may have been kept without an answer: more found than
    # acknowledged is fine, fewer or twice is not.
    assert rep["missing"] == 0 and rep["found"] == rep["unique"] >= rep["acked"], rep
    assert rep["alive"] and not rep["trap"] and not rep["errors"], rep

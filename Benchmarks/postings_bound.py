#!/usr/bin/env python3
"""How small can the `log` field's postings be? For one day of the benchmark corpus, the doc-id
lists of every term (an approximation of the standard analyzer: runs of [A-Za-z0-9_], lowercased)
and their information content if each term's documents were independent picks (geometric gaps:
n log2(e N / n) bits per term). Also the size of Logpond's own varint layout (doc deltas; then
per doc a frequency and position deltas) compressed whole with zstd -3 / -19, for comparison with
`logpond inspect` on a force-merged segment of the same day.

    python3 Benchmarks/postings_bound.py [--docs 1000000]      (needs the `zstd` command)
"""
import argparse
import collections
import json
import math
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def varint(n, out):
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def zstd_size(data, level):
    try:
        return len(subprocess.run(["zstd", f"-{level}", "-c"], input=bytes(data), capture_output=True, check=True).stdout)
    except FileNotFoundError:
        sys.exit("postings_bound.py needs the zstd command: apt-get install -y zstd")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000, help="corpus size (the first day is analysed)")
    args = ap.parse_args()
    tok = re.compile(r"[A-Za-z0-9_]+")
    post = collections.defaultdict(list)
    first_day, n, src_bytes = None, 0, 0
    for index, rec in corpus.generate(args.docs, loghub_dir=os.path.join(ROOT, "..", "shared", "data", "loghub")):
        first_day = first_day or index
        if index != first_day:
            break
        src_bytes += len(json.dumps(rec, separators=(",", ":"), ensure_ascii=False).encode())
        per = collections.defaultdict(list)
        for p, t in enumerate(tok.findall(rec["log"].lower())):
            per[t].append(p)
        for t, ps in per.items():
            post[t].append((n, ps))
        n += 1
    docs, pos = bytearray(), bytearray()
    for t in sorted(post):
        last = 0
        for d, _ in post[t]:
            varint(d - last, docs)
            last = d
        for _, ps in post[t]:
            varint(len(ps), pos)
            lp = 0
            for p in ps:
                varint(p - lp, pos)
                lp = p
    bound = sum(len(v) * math.log2(math.e * n / len(v)) for v in post.values()) / 8
    print(f"{first_day}: {n:,} documents, {src_bytes:,} bytes of _source, {len(post):,} terms, "
          f"{sum(len(v) for v in post.values()):,} (term, doc) pairs")
    print(f"doc-id lists: varint {len(docs):,} B, zstd -3 {zstd_size(docs, 3):,} B, zstd -19 {zstd_size(docs, 19):,} B, "
          f"independent-gaps bound {bound:,.0f} B")
    print(f"freqs + positions: varint {len(pos):,} B, zstd -3 {zstd_size(pos, 3):,} B, zstd -19 {zstd_size(pos, 19):,} B")


if __name__ == "__main__":
    main()

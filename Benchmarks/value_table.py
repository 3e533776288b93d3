#!/usr/bin/env python3
"""What format 5's source value table buys on one day of the benchmark corpus, and from which
members: `_source` in 64 KiB blocks at zstd level 9 (a force-merge's level, no dictionary)
with no table, with only the `kubernetes` object tabled (what any Fluent Bit pod repeats), and
with every repeated top-level value of 16 bytes or more tabled (also repeated messages; this
corpus draws them from ~32,000 loghub lines). The table itself is counted at level 9.

    python3 Benchmarks/value_table.py --docs 1000000

Uses libzstd through ctypes (no Python package needed). Source bytes are re-serialised the
way corpus.py writes them, so they equal what the server stores.
"""
import argparse
import collections
import ctypes
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

zstd = ctypes.CDLL("libzstd.so.1")
zstd.ZSTD_compressBound.restype = ctypes.c_size_t
zstd.ZSTD_compress.restype = ctypes.c_size_t


def compressed_size(data, level):
    cap = zstd.ZSTD_compressBound(ctypes.c_size_t(len(data)))
    out = ctypes.create_string_buffer(cap)
    return zstd.ZSTD_compress(out, ctypes.c_size_t(cap), data, ctypes.c_size_t(len(data)), ctypes.c_int(level))


def varint(n):
    b = bytearray()
    while True:
        x, n = n & 0x7F, n >> 7
        if n:
            b.append(x | 0x80)
        else:
            b.append(x)
            return bytes(b)


def blocks(sources, level=9, block=64 * 1024):
    total, cur, size = 0, [], 0
    for s in sources:
        cur.append(s)
        size += len(s)
        if size >= block:
            total += compressed_size(b"".join(cur), level)
            cur, size = [], 0
    if cur:
        total += compressed_size(b"".join(cur), level)
    return total


def encode(members, table_of, keys):
    parts = []
    for k, v in members:
        ref = table_of.get(v) if keys is None or k in keys else None
        parts.append(b'"' + k.encode() + b'":' + (b"\x01" + varint(ref) if ref is not None else v))
    return b"{" + b",".join(parts) + b"}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--day", default="2024.01.17")
    args = ap.parse_args()
    loghub = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "loghub")
    parsed = []
    for index, rec in corpus.generate(args.docs, loghub_dir=loghub):
        if index.endswith(args.day):
            parsed.append([(k, json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()) for k, v in rec.items()])
    raw = [b"{" + b",".join(b'"' + k.encode() + b'":' + v for k, v in m) + b"}" for m in parsed]
    print(f"day {args.day}: {len(raw):,} documents, {sum(map(len, raw)):,} bytes of source")
    print(f"  no table:                {blocks(raw):>12,} bytes of blocks")
    counts = collections.Counter(v for m in parsed for _, v in m if len(v) >= 16)
    kube = {v for m in parsed for k, v in m if k == "kubernetes"}
    for label, keys in (("kubernetes only", {"kubernetes"}), ("every repeated value", None)):
        chosen = [v for v, c in counts.most_common() if c >= 2 and (keys is None or v in kube)]
        table_of = {v: i for i, v in enumerate(chosen)}
        encoded = [encode(m, table_of, keys) for m in parsed]
        table = b"".join(varint(len(v)) + v for v in chosen)
        b, t = blocks(encoded), compressed_size(table, 9)
        print(f"  {label + ':':<24} {b:>12,} bytes of blocks + {t:,} table ({len(chosen):,} values) = {b + t:,}")


if __name__ == "__main__":
    main()

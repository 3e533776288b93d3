#!/usr/bin/env python3
"""Where the bytes of a segment file go (docs/format/segment.md, versions 1-3), per section,
as a share of the file and, with --raw-per-doc, of the raw NDJSON the documents came from.

    python3 Benchmarks/segsize.py --raw-per-doc 633 /path/to/seg-000000000011.lps
"""
import argparse
import collections
import struct


def varint(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return r, i


def sections(path):
    b = open(path, "rb").read()
    dir_off, _ = struct.unpack_from("<QQ", b, len(b) - 28)
    version = struct.unpack_from("<H", b, 4)[0]
    i = dir_off
    docs, i = varint(b, i)
    _, _, _, stored_len, _, index_len = struct.unpack_from("<qqQQQQ", b, i); i += 48
    tot = collections.Counter({"_source blocks": stored_len, "block index": index_len})
    if version >= 3:
        _, dict_len = struct.unpack_from("<QQ", b, i); i += 16
        tot["_source dictionary"] = dict_len
    fields, i = varint(b, i)
    for _ in range(fields):
        n, i = varint(b, i); i += n
        flags = b[i + 1]; i += 2
        if flags & 1:
            _, dl, _, pl = struct.unpack_from("<QQQQ", b, i); i += 32; _, i = varint(b, i)
            tot["term dictionaries"] += dl; tot["postings"] += pl
        if flags & 4:
            _, l = struct.unpack_from("<QQ", b, i); i += 16; tot["numeric columns"] += l
        if flags & 8:
            _, l = struct.unpack_from("<QQ", b, i); i += 16; tot["ordinal columns"] += l
        if flags & 16:
            _, l = struct.unpack_from("<QQ", b, i); i += 16; _, i = varint(b, i); tot["norms"] += l
        _, i = varint(b, i)
    return len(b), docs, version, tot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--raw-per-doc", type=float, help="raw NDJSON bytes per document, for the last column")
    a = ap.parse_args()
    for f in a.files:
        size, docs, version, tot = sections(f)
        print(f"{f}: {size:,} bytes, {docs:,} documents, format {version}")
        for k, v in tot.most_common():
            raw = f"  {v / (docs * a.raw_per_doc):6.2%} of raw" if a.raw_per_doc else ""
            print(f"  {k:20} {v:>12,} {v / size:6.1%}{raw}")


if __name__ == "__main__":
    main()

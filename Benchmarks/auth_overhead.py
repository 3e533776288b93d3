#!/usr/bin/env python3
"""What authentication costs ingest: runs Benchmarks/ingest.py without credentials, with Basic
credentials and with an API key, alternating, and prints the median docs/s and server CPU per
document of each with the ratio to no authentication (issue 14: under 3%).

    python3 Benchmarks/auth_overhead.py --docs 200000 --rounds 5
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(HERE), ".build", "release", "logpond"))
    ap.add_argument("--modes", default="none,basic,apikey", help="comma-separated: none, basic, apikey")
    args = ap.parse_args()
    modes = args.modes.split(",")
    runs = {m: [] for m in modes}
    out = tempfile.mkdtemp(prefix="lp-auth-bench-")
    for r in range(args.rounds):
        for m in (modes if r % 2 == 0 else list(reversed(modes))):
            path = os.path.join(out, f"{m}-{r}.json")
            subprocess.run([sys.executable, os.path.join(HERE, "ingest.py"), "--docs", str(args.docs), "--auth", m, "--bin", args.bin, "--out", path],
                           check=True, stdout=subprocess.DEVNULL)
            with open(path) as f:
                res = json.load(f)
            assert res["errors"] == 0 and res["count"] == args.docs, res
            runs[m].append(res)
            print(f"round {r + 1} {m:7} {res['docs_per_s']:>8,} docs/s  {res['server_cpu_us_per_doc']} µs CPU/doc", file=sys.stderr)
    base_rate = statistics.median(x["docs_per_s"] for x in runs["none"])
    base_cpu = statistics.median(x["server_cpu_us_per_doc"] for x in runs["none"])
    print(f"{'auth':8} {'docs/s (median)':>16} {'vs none':>8} {'CPU µs/doc':>11} {'vs none':>8}")
    for m in modes:
        rate = statistics.median(x["docs_per_s"] for x in runs[m])
        cpu = statistics.median(x["server_cpu_us_per_doc"] for x in runs[m])
        print(f"{m:8} {rate:>16,.0f} {rate / base_rate:>8.3f} {cpu:>11.2f} {cpu / base_cpu:>8.3f}")


if __name__ == "__main__":
    main()

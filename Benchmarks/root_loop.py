#!/usr/bin/env python3
"""`GET /` round trips of two builds against the transport floor, alternating builds over three
rounds of 5,000 requests each (each request paired with one to floor.py's responder), on a
fresh data folder: the fixed cost of a request in the server as a client sees it.

    python3 Benchmarks/root_loop.py OLD_BIN NEW_BIN
"""
import statistics
import subprocess
import sys
import tempfile
import time

import floor


def main():
    res = {}
    resp, rport = floor.start_responder()
    for _ in range(3):
        for name, binary in [("a", sys.argv[1]), ("b", sys.argv[2])]:
            port = floor.free_port()
            data = tempfile.mkdtemp(prefix="logpond-root-")
            p = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
            ours, fl = floor.Client(port), floor.Client(rport)
            for _ in range(500):
                ours.timed("GET", "/")
            ts, fs = [], []
            for _ in range(5000):
                ts.append(ours.timed("GET", "/")[0])
                fs.append(fl.timed("GET", "/")[0])
            res.setdefault(name, []).append(statistics.median(ts))
            res.setdefault("floor", []).append(statistics.median(fs))
            p.terminate()
            p.wait()
            subprocess.run(["rm", "-rf", data])
    resp.kill()
    for k, v in res.items():
        print(f"{k:6} medians {[round(x, 3) for x in v]} -> {statistics.median(v):.3f} ms")


if __name__ == "__main__":
    main()

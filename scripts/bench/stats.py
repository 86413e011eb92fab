#!/usr/bin/env python3
"""make bench's arithmetic. `stats.py hyperfine FILE.json INDEX` or `stats.py list` (numbers on stdin) prints
`min median max` in milliseconds; `stats.py render ROWS.tsv META` prints docs/benchmarks.md's table."""
import json
import statistics
import sys


def triple(values):
    values = sorted(values)
    return "%.2f %.2f %.2f" % (values[0], statistics.median(values), values[-1])


if sys.argv[1] == "hyperfine":
    result = json.load(open(sys.argv[2]))["results"][int(sys.argv[3])]
    print(triple([t * 1000 for t in result["times"]]))
elif sys.argv[1] == "list":
    print(triple([float(x) for x in sys.stdin.read().split()]))
elif sys.argv[1] == "render":
    print("| # | figure | min | median | max | baseline (median) | target | met |")
    print("|---|---|---:|---:|---:|---|---|---|")
    for line in open(sys.argv[2]):
        f = line.rstrip("\n").split("\t")
        print("| " + " | ".join(f) + " |")

#!/usr/bin/env python3
"""Times two or more commands alternately (A B A B …), so load that changes during the run hits each alike.

`alternate.py RUNS WARMUPS OUT.json -- CMD1 -- CMD2 [-- CMD3 …]`: each command is an argument vector (no shell),
run with stdout and stderr discarded; WARMUPS rounds first, not counted. Writes hyperfine's JSON shape
(`results[i].times` in seconds), so `stats.py hyperfine OUT.json i` reads it. Exits 1 if any run fails."""
import json
import subprocess
import sys
import time

runs, warmups, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
commands, current = [], None
for arg in sys.argv[4:]:
    if arg == "--":
        current = []
        commands.append(current)
    else:
        current.append(arg)
times = [[] for _ in commands]
for round_ in range(warmups + runs):
    for i, command in enumerate(commands):
        start = time.perf_counter()
        code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        elapsed = time.perf_counter() - start
        if code != 0:
            sys.exit("alternate: %s exited %d" % (" ".join(command), code))
        if round_ >= warmups:
            times[i].append(elapsed)
json.dump({"results": [{"command": " ".join(c), "times": t} for c, t in zip(commands, times)]}, open(out, "w"))

#!/usr/bin/env python3
"""Writes a `git fast-import` stream for make bench's large repository to stdout.

2,000 services (services/svcNNNN/compose.yml + config/app.conf + README.md), 5,000 commits: the first adds
everything, each later one changes one service's config, and every 100th renames a service directory (50 renames).
Deterministic (fixed seed), so the repository and its ids are the same on every machine.
"""
import random
import sys

SERVICES = 2000
COMMITS = 5000
RENAMES = 50

rng = random.Random(10)
out = sys.stdout.buffer


def blob(text):
    data = text.encode()
    out.write(b"data %d\n" % len(data) + data + b"\n")


def commit(n, message, ops):
    out.write(b"commit refs/heads/main\n")
    out.write(b"mark :%d\n" % n)
    stamp = 1700000000 + n * 60
    out.write(b"author bench <bench@example> %d +0000\n" % stamp)
    out.write(b"committer bench <bench@example> %d +0000\n" % stamp)
    blob(message)
    if n > 1:
        out.write(b"from :%d\n" % (n - 1))
    for op in ops:
        out.write(op)


def modify(path, text):
    data = text.encode()
    return b"M 100644 inline " + path.encode() + b"\n" + b"data %d\n" % len(data) + data + b"\n"


names = ["svc%04d" % i for i in range(1, SERVICES + 1)]
ops = []
for name in names:
    ops.append(modify(f"services/{name}/compose.yml",
                      f"services:\n  app:\n    image: reconciler-test/busybox:1\n    command: [\"sleep\", \"86400\"]\n"))
    ops.append(modify(f"services/{name}/config/app.conf", f"name = {name}\nrevision = 0\n"))
    ops.append(modify(f"services/{name}/README.md", f"# {name}\n"))
ops.append(modify("README.md", "# a large homelab for make bench\n"))
commit(1, "2,000 services", ops)

rename_every = COMMITS // RENAMES
renamed = 0
for n in range(2, COMMITS + 1):
    i = rng.randrange(len(names))
    name = names[i]
    if n % rename_every == 0 and renamed < RENAMES:
        new = name + "-r"
        names[i] = new
        renamed += 1
        commit(n, f"rename {name} to {new}", [f"R services/{name} services/{new}\n".encode()])
    else:
        commit(n, f"change {name}", [modify(f"services/{name}/config/app.conf", f"name = {name}\nrevision = {n}\n")])
out.write(b"done\n")

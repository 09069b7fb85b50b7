#!/usr/bin/env python3
"""The indeterminate ops of master-crash runs and the requests on n1 around the crash.

    indet.py RUNDIR...      real runs (run.sh's OUTDIR/runN: result.json, history.jsonl) or
                            rcsim run dirs (summary.json, history.jsonl); one JSON line each
    indet.py --pcap RUNDIR:PCAP...   real runs with their capture (PCAP=path PCAP_CLIENTS=1
                            run.sh master-crash: path.runN): when n1's kernel closed the clients'
                            connections, and whether each SADD to n1 that got no answer was
                            written before n1 closed its connection or after (into a connection
                            already closed, whose FIN the client had not yet taken in)

Per run: the indeterminate count; each one's invoke (and, real with client.py --indet-ops, the
write of its command and its failure), ms after the crash; and the mean number of n1-acked
requests in flight over the second before the crash (Little's law: the sum of their
durations / 1 s), i.e. how many requests a crash at a random instant would find in flight.
"""
import json
import os
import sys


def rcsim(d):
    s = json.load(open(os.path.join(d, "summary.json")))
    inv, infos, busy = {}, [], 0.0
    T0 = next(json.loads(line)["time_us"] for line in open(os.path.join(d, "history.jsonl"))
              if '"f":"crash"' in line)
    for line in open(os.path.join(d, "history.jsonl")):
        r = json.loads(line)
        if r.get("f") != "add":
            continue
        p = r["process"]
        if r["type"] == "invoke":
            inv[p] = r["time_us"]
            continue
        t0 = inv.pop(p)
        if r["type"] == "info":
            infos.append({"invoke_ms": (t0 - T0) / 1000, "done_ms": (r["time_us"] - T0) / 1000,
                          "node": r["node"], "error": r["error"]})
        if r["type"] == "ok" and r["node"] == "n1" and T0 - 1e6 <= r["time_us"] < T0:
            busy += (r["time_us"] - t0) / 1e6
    return {"run": d, "indeterminate": s["writes"]["indeterminate"],
            "n1_inflight_1s_before": round(busy, 3), "indeterminate_ops": infos}


def real(d):
    res = json.load(open(os.path.join(d, "result.json")))
    busy = 0.0
    for line in open(os.path.join(d, "history.jsonl")):
        o = json.loads(line)
        if o["type"] == "ok" and o["node"] == "n1" and -1000 <= o["done_ms"] < 0:
            busy += (o["done_ms"] - o["invoke_ms"]) / 1000   # ms rounded: see client.py
    return {"run": d, "indeterminate": res["indeterminate"], "n1_inflight_1s_before": round(busy, 3),
            "indeterminate_ops": res.get("indeterminate_ops")}


def pcap(d, path, base_port=30000):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pcap_links as P
    res = json.load(open(os.path.join(d, "result.json")))
    t0 = res["t0_unix"]
    port = base_port + 1
    closed = {}     # client (ip, port) -> ms of n1's first FIN or RST on it after T0
    known = set()   # client connections to n1 with a packet before T0
    pending = {}    # client conn -> ms of its last SADD without an answer yet
    unanswered = []
    for t, src, sport, dst, dport, flags, seq, plen, pl in P.read_pcap(path):
        ms = (t - t0) * 1000
        if ms < -1000 or ms > 1000:
            continue
        if ms < 0 and port in (sport, dport):
            known.add((dst, dport) if sport == port else (src, sport))
        if sport == port and src == "127.0.0.1":
            c = (dst, dport)
            if plen:
                pending.pop(c, None)
            if flags & (P.FIN | P.RST) and ms >= -1 and c not in closed:
                closed[c] = ms
        elif dport == port and dst == "127.0.0.1" and plen and b"SADD" in pl[:16]:
            c = (src, sport)
            if c in pending:
                unanswered.append((c, pending[c]))
            pending[c] = ms
    unanswered += list(pending.items())
    unanswered = [(c, t) for c, t in unanswered if t >= -5]
    # n1's kernel closing the connections that were open at the kill (not the RSTs that
    # refuse later connects)
    closed = {c: t for c, t in closed.items() if c in known}
    fins = sorted(closed.values())
    before = [round(t, 2) for c, t in unanswered if c not in closed or t < closed[c]]
    after = [(round(t, 2), round(t - closed[c], 2)) for c, t in unanswered
             if c in closed and t >= closed[c]]
    return {"run": d, "indeterminate": res["indeterminate"],
            "n1_closes": len(fins), "first_close_ms": round(fins[0], 2) if fins else None,
            "last_close_ms": round(fins[-1], 2) if fins else None,
            "median_close_ms": round(fins[len(fins) // 2], 2) if fins else None,
            "closed_by_ms": {str(x): sum(1 for t in fins if t < x) for x in (1, 2, 5, 10, 20, 50)},
            "unanswered_sent_before_close_ms": sorted(before),
            "unanswered_sent_after_close": sorted(after)}


if sys.argv[1:2] == ["--pcap"]:
    for arg in sys.argv[2:]:
        d, _, path = arg.partition(":")
        print(json.dumps(pcap(d, path)))
    sys.exit(0)
for d in sys.argv[1:]:
    print(json.dumps(real(d) if os.path.exists(os.path.join(d, "result.json")) else rcsim(d)))

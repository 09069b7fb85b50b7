#!/usr/bin/env python3
"""One line per run of the fidelity figures, then medians and ranges.

  table.py RESULTS.jsonl            real runs (run.sh's results)
  table.py --rcsim RUNDIR...        rcsim runs (each DIR from `rcsim run ... --out DIR`)

The experiment is read from the results: real runs' "experiment" (master-crash, else
minority-partition), rcsim runs' first fault (crash, else partition).

Every time is in ms from the cut (T0). For rcsim the figures are read from summary.json and
history.jsonl: first refused = first CLUSTERDOWN answered by n1 after the cut (the op's completion,
after its retry: as the real runs' n1_first_refused_ms); last n1 ack =
last ok answered by n1 before the heal; n1 state fail = n1's state-fail node event.

Master crash (T0 = the crash; rcsim's fault start, real: when kill(SIGKILL) returned): PFAIL,
FAIL, promoted, epoch as above; unav from / unav to: the first op on n1's slots that completed
failed or timed out after T0 / the first op on n1's slots acknowledged by the promoted replica
after that; unav = the difference; failed union: the union of all failed or timed-out ops'
[invoke, completion] intervals over the whole run (rcsim's unavailable_ms.none); n1 last ack:
n1's last acknowledged write (before T0); acked maj: writes acknowledged by other nodes between
the crash and the restart; lost / lost n1: lost writes, and those n1 had acknowledged;
replica / link up: ms after the restart until n1 flags itself a replica (rcsim: its replica-of
event) / has its replication link up (rcsim: its full-sync event).
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import keyslot  # noqa: E402

CRASH_COLS = [("run", "run"), ("PFAIL", "pfail_ms"), ("FAIL", "fail_ms"),
              ("promoted", "promoted_ms"), ("epoch", "epoch"),
              ("unav from", "unavail_first_fail_ms"), ("unav to", "unavail_first_ok_promoted_ms"),
              ("unav", "unavail_ms"), ("failed union", "failed_ops_union_ms"),
              ("n1 last ack", "n1_last_ack_ms"), ("acked maj", "acked_maj"), ("lost", "lost"),
              ("lost n1", "lost_acked_by_n1"), ("indet", "indeterminate"),
              ("replica", "n1_replica_after_restart_ms"),
              ("link up", "n1_link_up_after_restart_ms")]

COLS = [("run", "run"), ("refused", "n1_first_refused_ms"), ("n1 last ack", "n1_last_ack_ms"),
        ("n1 fail", "n1_state_fail_ms"), ("PFAIL", "pfail_ms"), ("FAIL", "fail_ms"),
        ("promoted", "promoted_ms"), ("epoch", "epoch"), ("acked min", "acked_min"),
        ("acked maj", "acked_maj"), ("lost min", "lost_min"), ("lost maj", "lost_maj"),
        ("lost none", "lost_none"), ("last lost", "last_lost_ms"), ("indet", "indeterminate")]


def flat_real(d):
    d = dict(d)
    d["acked_min"] = d["acked_during_cut"]["minority"]
    d["acked_maj"] = d["acked_during_cut"]["majority"]
    d["lost_min"] = d["lost_by_side"]["minority"]
    d["lost_maj"] = d["lost_by_side"]["majority"]
    d["lost_none"] = d["lost_by_side"]["none"]
    w = d.get("loss_window_minority")
    d["last_lost_ms"] = w["last_ms"] if w else None
    return d


def rcsim_crash_run(s, path):
    fault = s["faults"][0]
    t0, restart = fault["start_ms"], fault["end_ms"]
    n1_slots = range(0, 16384 // s["params"]["masters"] + 1)   # 0-5460: shard 1's slots
    fo = next((x for x in s["failovers"] if x["failed_node"] == "n1"), None)
    prom = fo["promoted_node"] if fo else None
    bad = good = last_n1 = None
    acked_maj = 0
    with open(os.path.join(path, "history.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] not in ("ok", "fail", "info") or r.get("f") != "add":
                continue
            t = r["time_us"] / 1000
            if r["type"] == "ok" and r["node"] == "n1" and t < restart:
                last_n1 = t
            if r["type"] == "ok" and r["node"] != "n1" and t0 <= t < restart:
                acked_maj += 1
            if t < t0 or keyslot(r["key"]) not in n1_slots:
                continue
            if r["type"] != "ok" and bad is None:
                bad = t
            if r["type"] == "ok" and r["node"] == prom and bad is not None and good is None:
                good = t
    ev = lambda name: next((e["t_ms"] - restart for e in s["node_events"] if e["node"] == "n1"
                            and e["event"] == name and e["t_ms"] >= restart), None)
    rel = lambda t: None if t is None else round(t - t0)
    lost_n1 = sum(1 for w in s.get("lost_writes", []) if w.get("node") == "n1")
    return {"run": s["seed"], "pfail_ms": rel(fo["pfail_ms"]) if fo else None,
            "fail_ms": rel(fo["fail_ms"]) if fo else None,
            "promoted_ms": rel(fo["promoted_ms"]) if fo else None,
            "epoch": fo["epoch"] if fo else None,
            "unavail_first_fail_ms": rel(bad), "unavail_first_ok_promoted_ms": rel(good),
            "unavail_ms": round(good - bad) if bad is not None and good is not None else None,
            "failed_ops_union_ms": s["unavailable_ms"]["none"],
            "n1_last_ack_ms": rel(last_n1), "acked_maj": acked_maj,
            "lost": s["writes"]["lost"], "lost_acked_by_n1": lost_n1,
            "indeterminate": s["writes"]["indeterminate"],
            "n1_replica_after_restart_ms": ev("replica-of"),
            "n1_link_up_after_restart_ms": ev("full-sync")}


def rcsim_run(path):
    s = json.load(open(os.path.join(path, "summary.json")))
    fault = s["faults"][0]
    if fault["kind"] == "crash":
        return rcsim_crash_run(s, path)
    t0, heal = fault["start_ms"], fault["end_ms"]
    first_refused = last_ok = None
    acked = {"minority": 0, "majority": 0}
    with open(os.path.join(path, "history.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            t = r["time_us"] / 1000
            if r["type"] == "ok" and t0 <= t < heal:
                acked["minority" if r["node"] == "n1" else "majority"] += 1
                if r["node"] == "n1":
                    last_ok = t
            if r["type"] == "fail" and r["node"] == "n1" and t >= t0 and first_refused is None:
                first_refused = t
    n1_fail = next((e["t_ms"] for e in s["node_events"]
                    if e["node"] == "n1" and e["event"] == "state-fail" and e["t_ms"] >= t0), None)
    fo = next((x for x in s["failovers"] if x["failed_node"] == "n1"), None)
    rel = lambda t: None if t is None else round(t - t0)
    w = s["loss_window"]["minority"]
    return {"run": s["seed"], "n1_first_refused_ms": rel(first_refused),
            "n1_last_ack_ms": rel(last_ok), "n1_state_fail_ms": rel(n1_fail),
            "pfail_ms": rel(fo["pfail_ms"]) if fo else None,
            "fail_ms": rel(fo["fail_ms"]) if fo else None,
            "promoted_ms": rel(fo["promoted_ms"]) if fo else None,
            "epoch": fo["epoch"] if fo else None,
            "acked_min": acked["minority"], "acked_maj": acked["majority"],
            "lost_min": s["writes"]["lost_by_side"]["minority"],
            "lost_maj": s["writes"]["lost_by_side"]["majority"],
            "lost_none": s["writes"]["lost_by_side"]["none"],
            "last_lost_ms": w["last_ms"] if w else None,
            "indeterminate": s["writes"]["indeterminate"]}


def show(rows, cols):
    w = [max(len(h), 6) for h, _ in cols]
    print("  ".join(h.rjust(n) for (h, _), n in zip(cols, w)))
    for r in rows:
        print("  ".join(("-" if r.get(k) is None else str(r[k])).rjust(n)
                        for (_, k), n in zip(cols, w)))
    for name, fn in (("median", statistics.median), ("min", min), ("max", max)):
        cells = [name]
        for _, k in cols[1:]:
            v = [r[k] for r in rows if r.get(k) is not None]
            cells.append("-" if not v else str(round(fn(v))))
        print("  ".join(c.rjust(n) for c, n in zip(cells, w)))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--rcsim":
        rows = [rcsim_run(p) for p in sys.argv[2:]]
    else:
        rows = [flat_real(json.loads(l)) for l in open(sys.argv[1]) if l.strip()]
    crash = any("unavail_first_fail_ms" in r for r in rows)
    show(rows, CRASH_COLS if crash else COLS)


if __name__ == "__main__":
    main()

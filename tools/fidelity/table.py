#!/usr/bin/env python3
"""One line per run of the fidelity figures, then medians and ranges.

  table.py RESULTS.jsonl            real runs (run.sh's results)
  table.py --rcsim RUNDIR...        rcsim runs (each DIR from `rcsim run ... --out DIR`)
  table.py --compare RESULTS.jsonl... -- RUNDIR...
                                    how many runs failed over on each side (Fisher's exact
                                    p), then per figure: median real, median rcsim, means,
                                    and the two-sided Mann-Whitney p (normal approximation,
                                    ties averaged)

The experiment is read from the results: real runs' "experiment" (master-crash or
master-pause, else minority-partition, one-way or flapping, which share the partition's
figures), rcsim runs' first fault (crash or pause, else partition). In a flapping run T0 is the first cut, "heal" the last
heal, and acked min / maj count only acks inside a cut; n1 fail counts only a state fail before the
first heal (client.py's observer records none later); --compare then also splits every time by
the cut it fell in (compare_by_cut).

Every time is in ms from the cut (T0). For rcsim the figures are read from summary.json and
history.jsonl: n2 / n3 PFAIL = when that master first flagged n1 fail? (or fail, if the FAIL
came first), later = the later of the two (real: the 50 ms polls, less 25 ms); first refused = first CLUSTERDOWN answered by n1 after the cut (the op's completion,
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
event) / has its replication link up (rcsim: its full-sync event); acks after / last after:
writes n1 acknowledged after the restart, and the last of them (ms after the restart).

Master pause (T0 = the pause; real: when kill(SIGSTOP) returned): the master crash's columns,
with the resume (SIGCONT) in place of the restart.

Manual failover (T0 = when CLUSTER FAILOVER went to n1's replica): promoted (real: polled),
epoch; old last / new first: the last write on n1's slots n1 acknowledged after T0 and the
first the new master acknowledged after that (completions); gap: the difference; longest: the
longest op on n1's slots invoked in the second after T0 (invocation to completion); n1 acks:
n1's acks after T0; not ok: ops on n1's slots that failed or timed out after T0; lost.
"""
import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import handover_figures, keyslot  # noqa: E402

CRASH_COLS = [("run", "run"), ("PFAIL", "pfail_ms"), ("FAIL", "fail_ms"),
              ("promoted", "promoted_ms"), ("epoch", "epoch"),
              ("unav from", "unavail_first_fail_ms"), ("unav to", "unavail_first_ok_promoted_ms"),
              ("unav", "unavail_ms"), ("failed union", "failed_ops_union_ms"),
              ("n1 last ack", "n1_last_ack_ms"), ("acked maj", "acked_maj"), ("lost", "lost"),
              ("lost n1", "lost_acked_by_n1"), ("indet", "indeterminate"),
              ("replica", "n1_replica_after_restart_ms"),
              ("link up", "n1_link_up_after_restart_ms"),
              ("acks after", "n1_acks_after_restart"),
              ("last after", "n1_last_ack_after_restart_ms")]

COLS = [("run", "run"), ("refused", "n1_first_refused_ms"), ("n1 last ack", "n1_last_ack_ms"),
        ("n1 fail", "n1_state_fail_ms"), ("PFAIL", "pfail_ms"), ("FAIL", "fail_ms"),
        ("promoted", "promoted_ms"), ("n2 PFAIL", "pfail_n2_ms"), ("n3 PFAIL", "pfail_n3_ms"),
        ("later", "pfail_later_ms"), ("epoch", "epoch"), ("acked min", "acked_min"),
        ("acked maj", "acked_maj"), ("lost min", "lost_min"), ("lost maj", "lost_maj"),
        ("lost none", "lost_none"), ("last lost", "last_lost_ms"), ("indet", "indeterminate")]


MF_COLS = [("run", "run"), ("promoted", "promoted_ms"), ("epoch", "epoch"),
           ("old last", "mf_last_old_ack_ms"), ("new first", "mf_first_new_ack_ms"),
           ("gap", "mf_gap_ms"), ("longest", "mf_longest_op_ms"), ("n1 acks", "mf_acks_old_after"),
           ("not ok", "mf_not_ok"), ("lost", "lost"), ("indet", "indeterminate")]


def with_later(d):
    a, b = d.get("pfail_n2_ms"), d.get("pfail_n3_ms")
    d["pfail_later_ms"] = max(a, b) if a is not None and b is not None else None
    return d


def flat_real(d):
    d = dict(d)
    seen = d.get("pfail_seen_by_node_ms", {})
    for n in ("n2", "n3"):
        t = [seen[k] - 25 for k in (n + ".pfail", n + ".fail") if k in seen]
        d["pfail_%s_ms" % n] = min(t) if t else None
    d["acked_min"] = d["acked_during_cut"]["minority"]
    d["acked_maj"] = d["acked_during_cut"]["majority"]
    d["lost_min"] = d["lost_by_side"]["minority"]
    d["lost_maj"] = d["lost_by_side"]["majority"]
    d["lost_none"] = d["lost_by_side"]["none"]
    w = d.get("loss_window_minority")
    d["last_lost_ms"] = w["last_ms"] if w else None
    return with_later(d)


def rcsim_crash_run(s, path):
    fault = s["faults"][0]
    t0, restart = fault["start_ms"], fault["end_ms"]
    n1_slots = range(0, 16384 // s["params"]["masters"] + 1)   # 0-5460: shard 1's slots
    fo = next((x for x in s["failovers"] if x["failed_node"] == "n1"), None)
    prom = fo["promoted_node"] if fo else None
    bad = good = last_n1 = last_after = None
    acked_maj = acks_after = 0
    with open(os.path.join(path, "history.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] not in ("ok", "fail", "info") or r.get("f") != "add":
                continue
            t = r["time_us"] / 1000
            if r["type"] == "ok" and r["node"] == "n1" and t < restart:
                last_n1 = t
            if r["type"] == "ok" and r["node"] == "n1" and t >= restart:
                acks_after += 1
                last_after = t
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
            "n1_link_up_after_restart_ms": ev("full-sync"),
            "n1_acks_after_restart": acks_after,
            "n1_last_ack_after_restart_ms": (None if last_after is None
                                             else round(last_after - restart))}


def rcsim_manual_failover_run(s, path):
    fault = s["faults"][0]
    t0 = fault["start_ms"]
    fo = next((x for x in s["failovers"] if x["failed_node"] == "n1"), None)
    n1_slots = range(0, 16384 // s["params"]["masters"] + 1)   # 0-5460: shard 1's slots
    ops, invoked = [], {}
    with open(os.path.join(path, "history.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r.get("f") != "add":
                continue
            t = r["time_us"] / 1000 - t0
            if r["type"] == "invoke":
                invoked[r["process"]] = t
            else:
                ops.append({"invoke": invoked.pop(r["process"]), "done": t, "type": r["type"],
                            "node": r["node"], "key": r["key"]})
    d = handover_figures(ops, lambda k: keyslot(k) in n1_slots, "n1",
                         fo["promoted_node"] if fo else None, 0)
    d = {k: (round(v) if isinstance(v, float) else v) for k, v in d.items()}
    d.update({"run": s["seed"], "promoted_ms": round(fo["promoted_ms"] - t0) if fo else None,
              "epoch": fo["epoch"] if fo else None, "lost": s["writes"]["lost"],
              "indeterminate": s["writes"]["indeterminate"]})
    return d


def rcsim_run(path):
    s = json.load(open(os.path.join(path, "summary.json")))
    fault = s["faults"][0]
    if fault["kind"] == "failover":
        return rcsim_manual_failover_run(s, path)
    if fault["kind"] in ("crash", "pause"):
        return rcsim_crash_run(s, path)
    # one cut, or the flaps of a flapping run: T0 = the first cut, heal = the last heal
    cuts = [(f["start_ms"], f["end_ms"]) for f in s["faults"] if f["kind"] == fault["kind"]]
    t0, heal = cuts[0][0], cuts[-1][1]
    first_refused = last_ok = None
    acked = {"minority": 0, "majority": 0}
    with open(os.path.join(path, "history.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            t = r["time_us"] / 1000
            if r["type"] == "ok" and any(a <= t < b for a, b in cuts):
                acked["minority" if r["node"] == "n1" else "majority"] += 1
            if r["type"] == "ok" and t0 <= t < heal and r["node"] == "n1":
                last_ok = t
            if r["type"] == "fail" and r["node"] == "n1" and t >= t0 and first_refused is None:
                first_refused = t
    # client.py's observer on n1 records its state fail only until the first heal: in a
    # flapping run, a state fail in a later cut is not in the real runs' figure
    n1_fail = next((e["t_ms"] for e in s["node_events"]
                    if e["node"] == "n1" and e["event"] == "state-fail" and e["t_ms"] >= t0
                    and e["t_ms"] < cuts[0][1]), None)
    fo = next((x for x in s["failovers"] if x["failed_node"] == "n1"), None)
    rel = lambda t: None if t is None else round(t - t0)
    w = s["loss_window"]["minority"]
    flagged = lambda n: min((e["t_ms"] for e in s["node_events"] if e["node"] == n and
                             e["peer"] == "n1" and e["event"] in ("pfail", "fail") and
                             e["t_ms"] >= t0), default=None)
    # the first majority node to flag n1, as the real observers poll it: in every run, not only
    # those with a failover (a failover's pfail_ms counts from the cut that caused it)
    first_pfail = min((e["t_ms"] for e in s["node_events"] if e.get("peer") == "n1" and
                       e["node"] != "n1" and e["event"] == "pfail" and e["t_ms"] >= t0),
                      default=None)
    return with_later({"run": s["seed"], "cuts_ms": [[rel(a), rel(b)] for a, b in cuts],
            "n1_first_refused_ms": rel(first_refused),
            "pfail_n2_ms": rel(flagged("n2")), "pfail_n3_ms": rel(flagged("n3")),
            "n1_last_ack_ms": rel(last_ok), "n1_state_fail_ms": rel(n1_fail),
            "pfail_ms": rel(first_pfail), "fail_ms": rel(fo["fail_ms"]) if fo else None,
            "promoted_ms": rel(fo["promoted_ms"]) if fo else None,
            "epoch": fo["epoch"] if fo else None,
            "acked_min": acked["minority"], "acked_maj": acked["majority"],
            "lost_min": s["writes"]["lost_by_side"]["minority"],
            "lost_maj": s["writes"]["lost_by_side"]["majority"],
            "lost_none": s["writes"]["lost_by_side"]["none"],
            "last_lost_ms": w["last_ms"] if w else None,
            "indeterminate": s["writes"]["indeterminate"]})


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


def mann_whitney_p(a, b):
    """Two-sided p of the Mann-Whitney U test, normal approximation, ties given mean ranks."""
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks, i = [0.0] * len(pooled), 0
    while i < len(pooled):
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        for k in range(i, j):
            ranks[k] = (i + j + 1) / 2
        i = j
    n1, n2 = len(a), len(b)
    u = sum(r for r, (_, side) in zip(ranks, pooled) if side == 0) - n1 * (n1 + 1) / 2
    sd = math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    return math.erfc(abs(u - n1 * n2 / 2) / sd / math.sqrt(2)) if sd > 0 else 1.0


def fisher_p(a, n, b, m):
    """Two-sided p of Fisher's exact test for a of n against b of m."""
    k, total = a + b, n + m
    pr = lambda x: math.comb(n, x) * math.comb(m, k - x) / math.comb(total, k)
    p0 = pr(a)
    return min(1.0, sum(pr(x) for x in range(max(0, k - m), min(k, n) + 1)
                        if pr(x) <= p0 * (1 + 1e-9)))


def compare(real_rows, rcsim_rows, cols):
    a = sum(1 for r in real_rows if r.get("promoted_ms") is not None)
    b = sum(1 for r in rcsim_rows if r.get("promoted_ms") is not None)
    print("failed over: real %d of %d, rcsim %d of %d (Fisher p %.2f)" % (
        a, len(real_rows), b, len(rcsim_rows), fisher_p(a, len(real_rows), b, len(rcsim_rows))))
    print("%-12s %8s %8s %8s %8s %6s" % ("figure", "real", "rcsim", "mean r", "mean s", "p"))
    for head, key in cols[1:]:
        a = [r[key] for r in real_rows if r.get(key) is not None]
        b = [r[key] for r in rcsim_rows if r.get(key) is not None]
        if len(a) < 2 or len(b) < 2:
            continue
        print("%-12s %8.0f %8.0f %8.0f %8.0f %6.2f" % (
            head, statistics.median(a), statistics.median(b), statistics.mean(a),
            statistics.mean(b), mann_whitney_p(a, b)))
    print("(%d real runs, %d rcsim runs)" % (len(real_rows), len(rcsim_rows)))


def cut_of(row, v):
    """Which cut of a flapping run the time v falls in: k when v lies between cut k's start and
    the next cut's (1-based), 0 before the first."""
    starts = [a for a, _ in row["cuts_ms"]]
    return sum(1 for a in starts if v >= a)


def compare_by_cut(real_rows, rcsim_rows, cols):
    """A flapping run's times are spread over its cuts (a master first flags n1 in the first
    cut, or only in the second, or never), so the medians of compare() mix the cuts: a different
    share of second-cut values moves them by seconds. Per figure: how many runs had it in each
    cut (Fisher p of the second cut's share among the runs that had it at all), and within each
    cut the medians (ms after that cut's start) and Mann-Whitney p."""
    ncuts = max(len(r["cuts_ms"]) for r in real_rows + rcsim_rows)
    print("per cut: runs with the figure in cut 1 / cut 2 / never, real and rcsim; Fisher p of"
          " cut 2's share; medians in ms after that cut's start, Mann-Whitney p")
    for head, key in cols[1:]:
        if not key.endswith("_ms") or key in ("n1_last_ack_ms", "last_lost_ms"):
            continue
        per = {}
        for side, rows in (("r", real_rows), ("s", rcsim_rows)):
            for r in rows:
                v = r.get(key)
                k = cut_of(r, v) if v is not None else None
                rel = None if k in (None, 0) else v - r["cuts_ms"][k - 1][0]
                per.setdefault((side, k), []).append(rel)
        count = lambda side, k: len(per.get((side, k), []))
        nr, ns = len(real_rows), len(rcsim_rows)
        if count("r", None) + count("s", None) == nr + ns:
            continue
        had_r, had_s = nr - count("r", None), ns - count("s", None)
        cells = ["%-11s" % head, "%2d/%2d/%2d  %3d/%3d/%3d" % (
            count("r", 1), count("r", 2), count("r", None),
            count("s", 1), count("s", 2), count("s", None))]
        cells.append("p %.2f" % fisher_p(count("r", 2), had_r, count("s", 2), had_s)
                     if had_r and had_s else "p    -")
        for k in range(1, ncuts + 1):
            a = [v for v in per.get(("r", k), []) if v is not None]
            b = [v for v in per.get(("s", k), []) if v is not None]
            if len(a) >= 2 and len(b) >= 2:
                cells.append("cut %d: %5.0f %5.0f p %.2f" % (
                    k, statistics.median(a), statistics.median(b), mann_whitney_p(a, b)))
            else:
                cells.append("cut %d: %5s %5s %6s" % (k, "-", "-", ""))
        print("  ".join(cells))


def columns(rows):
    if any("mf_gap_ms" in r for r in rows):
        return MF_COLS
    return CRASH_COLS if any("unavail_first_fail_ms" in r for r in rows) else COLS


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--compare":
        if "--" not in sys.argv:
            sys.exit("usage: table.py --compare RESULTS.jsonl... -- RUNDIR...")
        cut = sys.argv.index("--")
        real_rows = [flat_real(json.loads(l)) for p in sys.argv[2:cut] for l in open(p)
                     if l.strip()]
        rcsim_rows = [rcsim_run(p) for p in sys.argv[cut + 1:]]
        compare(real_rows, rcsim_rows, columns(rcsim_rows))
        if all(len(r.get("cuts_ms", [])) > 1 for r in real_rows + rcsim_rows):
            compare_by_cut(real_rows, rcsim_rows, columns(rcsim_rows))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--rcsim":
        rows = [rcsim_run(p) for p in sys.argv[2:]]
    else:
        rows = [flat_real(json.loads(l)) for l in open(sys.argv[1]) if l.strip()]
    show(rows, columns(rows))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the small, synthetic result set that tests/test_report.c reads beside the real
runner output in real-run/ and real-sweep/ (made by make-real.sh): hand-placed numbers for
cases a short real run does not reach (a crash after the partition, a run that did not
complete, a kept run). Field and event names are the runner's (history f "add", nemesis f
"partition"/"heal"/"crash"/"restart", node events pfail/fail/promoted/state-fail/demoted
as rc_event_kind_name spells them, its property names).

run-minority/ a 6-node cluster (n1..n3 masters, n4..n6 their replicas), node-timeout 5000 ms:
       n1 and client 0 are cut off from 5 s to 20 s; n1 stops writes at 11.2 s; n4 is
       promoted at 12.1 s; n2 crashes from 24 s to 26 s. Clients 0, 1, 2 write to n1, n2,
       n3 every 100 ms.
sweep-nt/     3 node-timeout points x 12 seeds, numbers from a fixed formula; one run
              (node-timeout 1000, seed 9) did not complete, as the runner writes it; three
              (node-timeout 4000, seeds 4, 8, 12) also lost writes acked after the heal,
              while no partition was in force (side none).

The files are checked in; this script only documents how they were made. Run it from this
folder: python3 gen.py
"""
import json, os

def w(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

# ---------------------------------------------------------------- run
T0, HEAL, NT = 5000, 20000, 5000
MINORITY_STOP, FAIL_MS, PROMOTED_MS, N1_BACK = 11200, 10800, 12100, 20400
CRASH0, CRASH1 = 24000, 26000
END = 30000

ops, lost, idx = [], [], 0
served = {0: "n1", 1: "n2", 2: "n3"}
for p in range(3):
    for i in range(END // 100):
        t = i * 100 + p * 33          # ms
        done = t + 2
        node = served[p]
        if p == 0 and done >= N1_BACK:
            node = "n4"               # redirected to the promoted replica
        partitioned = T0 <= t < HEAL
        side = "none"
        if partitioned:
            side = "minority" if p == 0 else "majority"
        typ, err = "ok", None
        if p == 0 and MINORITY_STOP <= t < N1_BACK:
            typ, err = "fail", "CLUSTERDOWN The cluster is down"
        if p != 0 and FAIL_MS <= t < PROMOTED_MS:
            typ, err = "fail", "CLUSTERDOWN The cluster is down"
        if p == 1 and CRASH0 <= t < CRASH1:
            typ, err = "fail", "connection refused"
        if p == 0 and i == MINORITY_STOP // 100:
            typ, err = "info", "timeout"
        key, val = "k%d" % p, i
        client_side = "none"          # the side of the client when it invokes
        if T0 <= t < HEAL:
            client_side = "minority" if p == 0 else "majority"
        ops.append((t * 1000, p, "invoke", key, val, None, None, client_side))
        ops.append((done * 1000, p, typ, key, val, node, err, side))
        if typ == "ok" and p == 0 and (T0 - 100 <= done < MINORITY_STOP + 100):
            lost.append({"process": p, "key": key, "value": "c%d-%d" % (p + 1, val), "node": node,
                         "side": side, "ack_ms": done, "fault_index": 0})
ops.append((T0 * 1000, "nemesis", "info", "partition", "n1,c1 | n2,n3,n4,n5,n6,c2,c3", None, None, "none"))
ops.append((HEAL * 1000, "nemesis", "info", "heal", "all", None, None, "none"))
ops.append((CRASH0 * 1000, "nemesis", "info", "crash", "n2", None, None, "none"))
ops.append((CRASH1 * 1000, "nemesis", "info", "restart", "n2", None, None, "none"))
ops.sort(key=lambda o: (o[0], str(o[1])))
lines = []
for n, (tus, p, typ, key, val, node, err, side) in enumerate(ops):
    # the runner's op: f "add" (set workload), values "c<client>-<n>"; nemesis ops carry
    # their step in f and have no key
    nemesis = p == "nemesis"
    op = {"index": n, "time_us": tus, "process": p, "type": typ,
          "f": key if nemesis else "add", "key": None if nemesis else key,
          "value": val if nemesis else "c%d-%d" % (p + 1, val),
          "node": node, "error": err,
          "side": side if side else ("none")}
    if nemesis:
        op["fault"] = 0 if key in ("partition", "heal") else 1  # index into faults[]
    lines.append(json.dumps(op, separators=(",", ":")))
w("run-minority/history.jsonl", "\n".join(lines) + "\n")

acked = sum(1 for o in ops if o[2] == "ok")
by_side = {"majority": 0, "minority": 0, "none": 0}
for l in lost:
    by_side[l["side"]] += 1
mino = [l["ack_ms"] - T0 for l in lost if l["side"] == "minority"]
events = []
for peer, t in (("n2", 10300), ("n3", 10350), ("n5", 10420), ("n6", 10480)):
    events.append({"t_ms": t, "node": peer, "event": "pfail", "peer": "n1", "value": None})
events.append({"t_ms": FAIL_MS, "node": "n2", "event": "fail", "peer": "n1", "value": None})
events.append({"t_ms": 11200, "node": "n1", "event": "state-fail", "peer": None, "value": 0})
events.append({"t_ms": PROMOTED_MS, "node": "n4", "event": "promoted", "peer": "n1", "value": 7})
events.append({"t_ms": N1_BACK, "node": "n1", "event": "demoted", "peer": "n4", "value": 0})
summary = {
    "scenario": "scenarios/minority-partition.scn", "scenario_name": "minority-partition",
    "seed": 42, "trace_sha256": "9f2c" + "0" * 56 + "beef", "sim_time_ms": END,
    "events": 183211, "rcsim_version": "0.1.0",
    "replay": "rcsim run scenarios/minority-partition.scn --seed 42",
    "ok": False, "aborted": False, "converged": True, "converge_ms": 2350,
    "params": {"node-timeout": NT, "masters": 3, "replicas": 1, "clients": 3},
    "writes": {"acked": acked, "lost": len(lost), "lost_by_side": by_side,
               "indeterminate": 1, "recovered": 0, "unread": 0, "ok_ops": acked},
    "loss_window": {"majority": None,
                    "minority": {"first_ms": min(mino), "last_ms": max(mino),
                                 "width_ms": max(mino) - min(mino)},
                    "none": None},
    "unavailable_ms": {"majority": PROMOTED_MS - FAIL_MS, "minority": N1_BACK - MINORITY_STOP},
    "failovers": [{"failed_node": "n1", "promoted_node": "n4", "fault_ms": T0,
                   "pfail_ms": 10300, "fail_ms": FAIL_MS, "election_ms": 11500,
                   "promoted_ms": PROMOTED_MS, "epoch": 7}],
    "faults": [
        {"kind": "partition", "start_ms": T0, "end_ms": HEAL, "label": "partition n1 | rest",
         "majority": ["n2", "n3", "n4", "n5", "n6"], "minority": ["n1"],
         "groups": [["n1"], ["n2", "n3", "n4", "n5", "n6"]], "nodes": [], "error": None},
        {"kind": "crash", "start_ms": CRASH0, "end_ms": CRASH1, "label": "crash n2",
         "majority": [], "minority": [], "groups": [], "nodes": ["n2"], "error": None}],
    "lost_writes": lost,
    "node_events": events,
    "properties": [
        {"name": "cluster-formed", "ok": True, "detail": "the cluster formed and converged"},
        {"name": "converged", "ok": True,
         "detail": "converged 2350 ms after the final heal; every node agrees on every slot's "
                   "owner; one master per shard"},
        {"name": "expect lost == 0", "ok": False, "detail": "lost = %d (line 30)" % len(lost)}],
    "some_future_field": {"ignored": True},
}
w("run-minority/summary.json", json.dumps(summary, indent=2) + "\n")

# ---------------------------------------------------------------- sweep
rows = []
for nt in (1000, 2000, 4000):
    for seed in range(1, 13):
        u = ((seed * 7919 + nt // 1000 * 104729) % 1000) / 1000.0
        v = ((seed * 6271 + nt // 1000 * 3571) % 1000) / 1000.0
        # last: the last lost ack from the fault's start (what the spec bounds); width: last
        # minus the first lost ack
        last_min = int(nt * (0.95 + 0.5 * u))
        wmin = last_min - (10 + seed * 37 % 90)
        lmin = last_min // 100
        last_maj = 120 + seed * 10 if seed % 5 == 0 else None
        wmaj = last_maj - 5 if last_maj is not None else None
        lmaj = 1 + seed // 5 if wmaj is not None else 0
        fo = int(nt + 1200 + 1600 * v)
        if nt == 2000 and seed == 7:      # healed early: nothing lost, no failover
            wmin, last_min, lmin, fo = None, None, 0, None
        # side none: acked after the 15 s partition healed, before the cut-off master
        # learned of its replica's promotion
        lnone, first_none, last_none = 0, None, None
        if nt == 4000 and seed % 4 == 0:
            lnone = 2 + seed // 4
            first_none = 15000 + 10 * seed
            last_none = first_none + 150 + 20 * seed
        first_min = last_min - wmin if wmin is not None else None
        first_maj = last_maj - wmaj if wmaj is not None else None
        lost = lmin + lmaj + lnone
        replay = "rcsim run scenarios/minority-partition.scn --seed %d --set node-timeout=%d" % (seed, nt)
        if nt == 1000 and seed == 9:      # the runner gave up on this one: no result
            rows.append({"seed": seed, "node-timeout": nt, "point": "node-timeout=%d" % nt,
                         "acked": None, "lost": None, "lost_majority": None,
                         "lost_minority": None, "window_majority_ms": None,
                         "window_minority_ms": None, "unavailable_majority_ms": None,
                         "unavailable_minority_ms": None, "failover_ms": None,
                         "window_majority_last_ms": None, "window_minority_last_ms": None,
                         "lost_none": None, "window_none_ms": None,
                         "window_none_last_ms": None, "window_majority_first_ms": None,
                         "window_minority_first_ms": None, "window_none_first_ms": None,
                         "ok": False,
                         "trace_sha256": None, "replay": replay,
                         "error": "event limit reached at 41.250 s"})
            continue
        rows.append({"seed": seed, "node-timeout": nt, "point": "node-timeout=%d" % nt,
                     "acked": 3000 + seed,
                     "lost": lost, "lost_majority": lmaj, "lost_minority": lmin,
                     "window_majority_ms": wmaj, "window_minority_ms": wmin,
                     "unavailable_majority_ms": 900 + int(400 * v),
                     "unavailable_minority_ms": 14000 - nt + int(300 * u),
                     "failover_ms": fo, "window_majority_last_ms": last_maj,
                     "window_minority_last_ms": last_min, "lost_none": lnone,
                     "window_none_ms": last_none - first_none if lnone else None,
                     "window_none_last_ms": last_none,
                     "window_majority_first_ms": first_maj,
                     "window_minority_first_ms": first_min,
                     "window_none_first_ms": first_none, "ok": lost == 0,
                     "trace_sha256": "%064x" % (seed * 1000003 + nt), "replay": replay,
                     "error": None})
cols = ["seed", "node-timeout", "acked", "lost", "lost_majority", "lost_minority",
        "window_majority_ms", "window_minority_ms", "unavailable_majority_ms",
        "unavailable_minority_ms", "failover_ms", "window_majority_last_ms",
        "window_minority_last_ms", "lost_none", "window_none_ms", "window_none_last_ms",
        "window_majority_first_ms", "window_minority_first_ms", "window_none_first_ms", "ok",
        "trace_sha256", "point"]
def cell(v):
    if v is None: return ""
    if v is True: return "true"
    if v is False: return "false"
    return str(v)
w("sweep-nt/runs.csv", ",".join(cols) + "\n" +
  "".join(",".join(cell(r[c]) for c in cols) + "\n" for r in rows))
w("sweep-nt/runs.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
w("sweep-nt/sweep.json", json.dumps({"scenario": "scenarios/minority-partition.scn",
  "seeds": [1, 12], "vary": {"node-timeout": [1000, 2000, 4000]},
  "runs": len(rows), "failed": sum(1 for r in rows if not r["ok"])}, indent=2) + "\n")

#!/usr/bin/env python3
"""The steps of one real manual failover, from the servers' logs and a packet capture.

    mf_timeline.py RUNDIR PCAP [--from -5] [--to 150] [--list]
    mf_timeline.py --summary RUNDIR:PCAP [RUNDIR:PCAP ...]

RUNDIR is a run directory `run.sh manual-failover N OUTDIR` keeps (OUTDIR/runK: result.json,
n1.log ... n6.log); PCAP its capture (`PCAP=path PCAP_CLIENTS=1 run.sh ...`: path.runK, the
cluster bus and the nodes' client ports). Times are ms after T0 (the client's CLUSTER FAILOVER,
`t0_unix`); Redis logs whole milliseconds, so a log line's time is its millisecond's start.

--list prints every log line and packet in [from, to] (bare acks on client ports left out).
The default prints one line per step (the first packet of each kind):

  MFSTART        the replica's MFSTART leaves (its outbound link to n1)
  PING           n1's PING back on that link (carries PAUSED and its offset)
  PONG           the replica's answer
  AUTH_REQ       the replica's FAILOVER_AUTH_REQUEST to each master
  AUTH_ACK       each voter's FAILOVER_AUTH_ACK, and its turnaround: from the request's
                 arrival to the ack leaving (Redis writes the ack only after the before-sleep
                 that fsyncs nodes.conf: the vote is saved first)
  won / told     the logs' "Failover election won" and n1's "Configuration change detected"
  MOVED          n1's first -MOVED to a client
  SYN / SADD     a client's first connection to the new master and its first SADD there
  ack            the new master's first :1 reply on a connection opened after T0

--summary prints one line per run with the step times, for a table."""
import argparse
import datetime
import json
import re
import struct
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcap_links as P  # noqa: E402

LOG = re.compile(r"\d+:(\w) (\d+ \w+ \d+ [\d:.]+) [#*\-.] (.*)")


def read_logs(run, t0):
    out = []
    for i in range(1, 7):
        path = os.path.join(run, "n%d.log" % i)
        if not os.path.exists(path):
            continue
        for line in open(path):
            m = LOG.match(line)
            if not m:
                continue
            t = datetime.datetime.strptime(m.group(2), "%d %b %Y %H:%M:%S.%f")
            t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
            out.append(((t - t0) * 1000, "n%d" % i, m.group(3)))
    return out


def read_packets(pcap, t0, base_port):
    """(ms, kind, conn, src node, dst node, what): kind 'bus' or 'cli'."""
    bus = set(base_port + 10000 + i for i in range(1, 7))
    data = set(base_port + i for i in range(1, 7))
    for t, src, sport, dst, dport, flags, seq, plen, payload in P.read_pcap(pcap):
        ms = (t - t0) * 1000
        if dport in bus and sport not in bus and sport not in data:
            kind, conn = "bus", "%s>%s" % (P.node_of(src), P.node_of(dst))
        elif sport in bus and dport not in bus and dport not in data:
            kind, conn = "bus", "%s>%s" % (P.node_of(dst), P.node_of(src))
        elif dport in data:
            kind, conn = "cli", "%s:%d>n%d" % (src, sport, dport - base_port)
        elif sport in data:
            kind, conn = "cli", "%s:%d>n%d" % (dst, dport, sport - base_port)
        else:
            continue
        if plen and payload[:4] == b"RCmb" and len(payload) >= 14:
            what = P.BUS_TYPES.get(struct.unpack(">H", payload[12:14])[0], "?")
        elif plen:
            what = payload[:32].decode("latin-1").replace("\r\n", " ")
        elif flags & (P.SYN | P.FIN | P.RST):
            what = "".join(n for n, b in (("SYN", P.SYN), ("FIN", P.FIN), ("RST", P.RST))
                           if flags & b)
            if flags & P.SYN and flags & P.ACK:
                what = "SYN-ACK"
        else:
            what = "ack"
        yield ms, kind, conn, P.node_of(src), P.node_of(dst), what


def steps(run, pcap, base_port):
    r = json.load(open(os.path.join(run, "result.json")))
    t0 = r["t0_unix"]
    logs = read_logs(run, t0)
    pkts = [p for p in read_packets(pcap, t0, base_port) if -1000 < p[0] < 5000]
    rep = next((n for _, n, text in logs if "Manual failover user request accepted" in text), None)
    if rep is None:
        return None
    s = {"run": os.path.basename(run.rstrip("/")), "replica": rep}

    def first(pred, after=-1e9):
        return next((p for p in pkts if p[0] >= after and pred(p)), None)

    def log(node, text):
        return next((ms for ms, n, t in logs if n == node and text in t), None)
    s["request"] = log(rep, "Manual failover user request accepted")
    mf = first(lambda p: p[1] == "bus" and p[5] == "MFSTART")
    if mf is None:
        return s
    s["MFSTART"] = mf[0]
    link = mf[2]
    ping = first(lambda p: p[2] == link and p[3] == "n1" and p[5] == "PING", mf[0])
    s["PING"] = ping and ping[0]
    pong = ping and first(lambda p: p[2] == link and p[3] == rep and p[5] == "PONG", ping[0])
    s["PONG"] = pong and pong[0]
    for v in ("n2", "n3"):
        req = first(lambda p: p[2] == "%s>%s" % (rep, v) and p[5] == "AUTH_REQ", mf[0])
        ack = first(lambda p: p[3] == v and p[4] == rep and p[5] == "AUTH_ACK", mf[0])
        s["AUTH_REQ " + v] = req and req[0]
        s["AUTH_ACK " + v] = ack and ack[0]
        s["turnaround " + v] = req and ack and ack[0] - req[0]
    s["won"] = log(rep, "Failover election won")
    s["told"] = log("n1", "Configuration change detected")
    moved = first(lambda p: p[1] == "cli" and p[3] == "n1" and p[5].startswith("-MOVED"), mf[0])
    s["MOVED"] = moved and moved[0]
    # the clients' new connections to the new master: opened after T0, carrying SADDs
    new_conns = {p[2] for p in pkts if p[0] >= mf[0] and p[1] == "cli" and p[4] == rep and
                 "SADD" in p[5]} & {p[2] for p in pkts if p[0] >= mf[0] and p[5] == "SYN"}
    syn = first(lambda p: p[2] in new_conns and p[5] == "SYN", mf[0])
    s["SYN"] = syn and syn[0]
    sadd = first(lambda p: p[2] in new_conns and p[4] == rep and "SADD" in p[5], mf[0])
    s["SADD"] = sadd and sadd[0]
    ack = first(lambda p: p[2] in new_conns and p[3] == rep and p[5].startswith(":"), mf[0])
    s["ack"] = ack and ack[0]
    s["first_new_ack_ms (client)"] = r.get("mf_first_new_ack_ms")
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("args", nargs="+")
    p.add_argument("--from", dest="lo", type=float, default=-5)
    p.add_argument("--to", dest="hi", type=float, default=150)
    p.add_argument("--list", action="store_true")
    p.add_argument("--summary", action="store_true")
    p.add_argument("--base-port", type=int, default=30000)
    a = p.parse_args()
    if a.summary:
        rows = [steps(*x.split(":", 1), a.base_port) for x in a.args]
        keys = ["MFSTART", "PING", "PONG", "AUTH_REQ n2", "AUTH_REQ n3", "turnaround n2",
                "turnaround n3", "won", "told", "MOVED", "SYN", "SADD", "ack"]
        print("%-6s " % "run" + " ".join("%9s" % k.replace("turnaround", "turn")
                                         .replace("AUTH_REQ", "req") for k in keys))
        for s in rows:
            if s is None:
                continue
            print("%-6s " % s["run"] + " ".join(
                "%9s" % ("-" if s.get(k) is None else "%.1f" % s[k]) for k in keys))
        return
    run, pcap = a.args
    if a.list:
        t0 = json.load(open(os.path.join(run, "result.json")))["t0_unix"]
        ev = [(ms, "log %s %s" % (n, text[:90])) for ms, n, text in read_logs(run, t0)
              if a.lo - 1 <= ms <= a.hi]
        ev += [(ms, "%s [%s] %s->%s %s" % (k, c, s, d, w))
               for ms, k, c, s, d, w in read_packets(pcap, t0, a.base_port)
               if a.lo <= ms <= a.hi and not (k == "cli" and w == "ack")]
        for ms, e in sorted(ev, key=lambda x: x[0]):
            print("%9.3f %s" % (ms, e))
        return
    for k, v in steps(run, pcap, a.base_port).items():
        print("%-28s %s" % (k, "%.3f" % v if isinstance(v, float) else v))


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass

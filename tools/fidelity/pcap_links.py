#!/usr/bin/env python3
"""The cluster bus between n1 and every other node around each cut and heal, packet by packet.

    pcap_links.py RESULT.json PCAP [--before 1] [--after 3] [--summary]
    pcap_links.py --rcsim RUNDIR [--before 1] [--after 3] [--summary]
    pcap_links.py --pings RESULT.json PCAP [RESULT.json PCAP ...]

RESULT.json is one run's client.py output (its `t0_unix` and `cuts_ms` place the cuts on the
capture's clock); PCAP is run.sh's capture of that run (PCAP=path: `tcp` on lo, the bus ports
only, 128 bytes a packet). Reads the capture itself (classic pcap, Ethernet or Linux cooked
framing; the standard library only).

For each cut k (cut_k, heal_k) and each other node X, every packet between n1 and X in
[cut_k - before, heal_k + after] except bare acks: time after the cut (c+) and after the heal
(h+), the connection (who opened it, `X>n1` is X's outbound link to n1), direction, and what it
is: SYN / SYN retransmission #k / SYN-ACK / RST / FIN / data (with the bus message type when the
segment starts a message) / data retransmission.

--rcsim reads an rcsim run's trace instead (`rcsim run ... --out RUNDIR --trace`; hosts h0..h5 are
n1..n6, the cuts are its `partition` and `heal` faults). rcsim's trace has no SYNs nor anything
lost to a cut: only connections as the server accepts them ("connected", the SYN that crossed),
data as it reaches the application (so no retransmission marks: a delivery after a heal is the
retransmission that crossed), and closes as an end learns of them (EOF, RST).

--summary prints, per heal and node, the first data segment from n1 sent after the heal (with
INPUT-hook cuts, the first that reaches X; tcpdump on lo sees packets the INPUT rule then drops)
and the first from X, each with its connection and what it was, and when each connection that
carried them was opened.

--pings prints, per cut, when the PINGs still unanswered at the heal went (cluster.c's
ping_sent, which decides a PFAIL): each majority node's to n1, and n1's to n2 and n3, in s after
the cut. Captures only: rcsim's trace has no sends that a cut dropped."""
import argparse
import json
import signal
import struct
import sys

BUS_TYPES = {0: "PING", 1: "PONG", 2: "MEET", 3: "FAIL", 4: "PUBLISH", 5: "AUTH_REQ",
             6: "AUTH_ACK", 7: "UPDATE", 8: "MFSTART", 9: "MODULE", 10: "PUBLISHSHARD"}
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def read_pcap(path):
    """(time, src ip, sport, dst ip, dport, flags, seq, payload length, payload head)."""
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            e = "<"
        else:
            e = ">"
            magic = struct.unpack(">I", head[:4])[0]
        nano = magic == 0xA1B23C4D
        linktype = struct.unpack(e + "I", head[20:24])[0]
        off = {1: 14, 113: 16, 276: 20}.get(linktype)
        if off is None:
            sys.exit("pcap_links.py: %s: link type %d not handled" % (path, linktype))
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(e + "IIII", rec)
            pkt = f.read(incl)
            t = sec + frac / (1e9 if nano else 1e6)
            ip = pkt[off:]
            if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
                continue
            ihl = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            src = ".".join(str(b) for b in ip[12:16])
            dst = ".".join(str(b) for b in ip[16:20])
            tcp = ip[ihl:]
            sport, dport, seq = struct.unpack(">HHI", tcp[:8])
            doff = (tcp[12] >> 4) * 4
            flags = tcp[13]
            plen = total - ihl - doff
            yield t, src, sport, dst, dport, flags, seq, plen, tcp[doff:]


def node_of(ip):
    return "n" + ip.rsplit(".", 1)[1]


class Conn:
    """One TCP connection, named by who opened it (the side whose port is not a bus port)."""

    def __init__(self, opener, peer, t_open, key):
        self.opener, self.peer, self.t_open, self.key = opener, peer, t_open, key
        self.isn = {}        # side -> first SYN's sequence number
        self.syns = 0
        self.high = {}       # side -> highest sequence number sent (data end), for retransmissions
        self.fin = {}        # side -> time of its first FIN
        self.t_est = None    # SYN-ACK (capture) or accept (rcsim)
        self.syns_at_est = None
        self.name = "%s>%s" % (opener, peer)

    def history(self, cut, heal):
        """When it was opened and established, relative to the cut or the heal."""
        def at(t):
            if t is None:
                return "?"
            return "c%+.3f" % (t - cut) if t < heal else "h%+.3f" % (t - heal)
        if self.t_open is None and (self.t_est is None or self.t_est < cut):
            return "before the cut"
        text = "opened %s" % at(self.t_open) if self.t_open is not None else ""
        if self.t_est is not None:
            text += (", " if text else "") + "connected %s" % at(self.t_est)
            if self.syns_at_est:
                text += " by SYN #%d" % self.syns_at_est
        return text


def classify(pkts, bus_ports, data_ports):
    """Yield (t, conn, from node, to node, kind) for every packet that is not a bare ack."""
    conns = {}
    for t, src, sport, dst, dport, flags, seq, plen, payload in pkts:
        if sport in data_ports or dport in data_ports:
            continue  # a client's connection whose ephemeral port fell in the bus ports' range
        if dport in bus_ports and sport not in bus_ports:
            opener, key = node_of(src), (src, sport, dst, dport)
        elif sport in bus_ports and dport not in bus_ports:
            opener, key = node_of(dst), (dst, dport, src, sport)
        else:
            continue
        a, b = node_of(src), node_of(dst)
        c = conns.get(key)
        if flags & SYN and not flags & ACK:
            if c is None or c.isn.get(a) != seq:  # a new connection (a port may be reused)
                c = Conn(opener, node_of(dst), t, key)
                conns[key] = c
                c.isn[a] = seq
            c.syns += 1
            yield t, c, a, b, "SYN" if c.syns == 1 else "SYN retx #%d" % (c.syns - 1)
            continue
        if c is None:
            c = Conn(opener, node_of(dst if opener == a else src), None, key)
            conns[key] = c
        if flags & SYN:
            if c.t_est is None:
                c.t_est, c.syns_at_est = t, c.syns
            yield t, c, a, b, "SYN-ACK"
            continue
        if flags & RST:
            yield t, c, a, b, "RST"
            continue
        kind = None
        if plen > 0:
            end = (seq + plen) & 0xFFFFFFFF
            high = c.high.get(a)
            retx = high is not None and ((end - high) & 0xFFFFFFFF) >= 0x80000000 or end == high
            if high is None or not retx:
                c.high[a] = end
            what = "data %d" % plen
            if payload[:4] == b"RCmb" and len(payload) >= 14:
                what += " " + BUS_TYPES.get(struct.unpack(">H", payload[12:14])[0], "?")
            kind = ("retx " if retx else "") + what
        if flags & FIN:
            first = a not in c.fin
            c.fin.setdefault(a, t)
            kind = (kind + " +" if kind else "") + ("FIN" if first else "FIN retx")
        if kind:
            yield t, c, a, b, kind


def unescape(text):
    """The bytes of a trace line's quoted payload ("RCmb\\x00..."; may be cut short)."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            if text[i + 1] == "x" and i + 3 < len(text):
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
            out.append(ord(text[i + 1]))
            i += 2
            continue
        out.append(ord(ch) & 0xFF)
        i += 1
    return bytes(out)


def read_trace(path):
    """The cuts [(cut, heal)] and the bus events between n1 and the others of an rcsim trace, in
    classify()'s shape. A connection is named by its ids without the side bit; side 0 opened it."""
    def node(h):
        return "n%d" % (h + 1)
    conns, events, cuts = {}, [], []
    def conn(key, opener=None, peer=None):
        c = conns.get(key)
        if c is None:
            c = conns[key] = Conn(opener, peer, None, key)
        return c
    opener_of = {}
    for line in open(path, errors="replace"):
        f = line.split(" ", 5)
        t, kind = float(f[0]), f[1]
        if kind == "fault":
            if "partition#" in line and "{n1," in line:
                cuts.append([t, None])
            elif "heal" in line and cuts and cuts[-1][1] is None:
                cuts[-1][1] = t
        elif kind == "connect":
            server, client, sid = int(f[2]), int(f[3]), int(f[4])
            if server < 6 and client < 6:
                c = conn(sid >> 1, node(client), node(server))
                c.t_est = t
                opener_of[sid >> 1] = node(client)
                events.append((t, c, node(server), node(client), "accepted"))
        elif kind == "deliver":
            src, dst = (int(x) for x in f[2][1:].split("->h"))
            if src >= 6 or dst >= 6:
                continue
            rid = int(f[3].split("=")[1], 16)
            opener = node(dst) if rid & 1 == 0 else node(src)
            c = conn(rid >> 1, opener, node(src) if opener == node(dst) else node(dst))
            payload = unescape(f[5].strip()[1:].rstrip('.').rstrip('"'))
            what = "data %s" % f[4].split("=")[1]
            if payload[:4] == b"RCmb" and len(payload) >= 14:
                what += " " + BUS_TYPES.get(struct.unpack(">H", payload[12:14])[0], "?")
                c.is_bus = True
            events.append((t, c, node(src), node(dst), what))
        elif kind == "close":
            host, eid, why = int(f[2]), int(f[3]), f[5].strip()
            c = conns.get(eid >> 1)
            if c is None or host >= 6:
                continue
            other = c.peer if node(host) == c.opener else c.opener
            events.append((t, c, other, node(host), "closed: " + why))
    # the bus only: a connection that carried a bus message (replication and clients do not)
    return [tuple(x) for x in cuts], [e for e in events if getattr(e[1], "is_bus", False)]


def load(a, source):
    """(cuts, events) of one run: an rcsim run directory, or a (RESULT.json, PCAP) pair."""
    if isinstance(source, str):
        return read_trace(source + "/trace.log")
    result, pcap = source
    r = json.load(open(result))
    if "t0_unix" not in r:
        sys.exit("pcap_links.py: %s has no t0_unix (client.py before 2026-12-06)" % result)
    t0 = r["t0_unix"]
    cuts = [(t0 + x / 1000.0, t0 + y / 1000.0) for x, y in r["cuts_ms"]]
    bus_ports = {a.base_port + 10000 + i for i in range(1, 7)}
    data_ports = {a.base_port + i for i in range(1, 7)}
    return cuts, list(classify(read_pcap(pcap), bus_ports, data_ports))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="RESULT.json PCAP",
                   help="one run's client.py result and capture (several pairs with --stats)")
    p.add_argument("--rcsim", metavar="RUNDIR", nargs="+", help="rcsim run directories (--trace)")
    p.add_argument("--before", type=float, default=1.0, help="s before each cut (1)")
    p.add_argument("--after", type=float, default=3.0, help="s after each heal (3)")
    p.add_argument("--base-port", type=int, default=30000)
    p.add_argument("--summary", action="store_true", help="only the first packets after each heal")
    p.add_argument("--pings", action="store_true",
                   help="captures only: per cut and majority node X, when X's first unanswered "
                   "PING to n1 went (its ping_sent, which decides X's PFAIL) and when n1's to X "
                   "went")
    p.add_argument("--stats", action="store_true",
                   help="over every run, heal and node: how long after the heal the first data "
                   "from n1 and the first PONG on X's own link came, and on what")
    a = p.parse_args()
    if a.pings and a.rcsim:
        p.error("--pings reads captures: rcsim's trace has no sends a cut dropped")
    if a.rcsim:
        sources = a.rcsim
    else:
        if not a.files or len(a.files) % 2:
            p.error("RESULT.json PCAP pairs, or --rcsim RUNDIR...")
        sources = list(zip(a.files[0::2], a.files[1::2]))
    rows, syn_gaps = [], {}
    for source in sources:
        cuts, events = load(a, source)
        last_syn = {}
        for t, c, src, dst, kind in events:
            if kind.startswith("SYN retx #"):
                syn_gaps.setdefault(int(kind.split("#")[1]), []).append(t - last_syn[c])
            if kind.startswith("SYN") and kind != "SYN-ACK":
                last_syn[c] = t
        if a.pings:
            rows.extend(pending_pings(events, cuts))
            continue
        if not a.stats and len(sources) > 1:
            print("#### %s" % (source if isinstance(source, str) else source[1]))
        for k, (cut, heal) in enumerate(cuts, 1):
            if not a.stats:
                print("== cut %d: %.3f .. heal %.3f (%.0f ms)" % (k, cut, heal, (heal - cut) * 1000))
            for x in ["n%d" % i for i in range(2, 7)]:
                mine = [e for e in events if {e[2], e[3]} == {"n1", x}
                        and cut - a.before <= e[0] <= heal + a.after]
                if a.stats:
                    rows.append(first_packets(mine, x, heal))
                elif a.summary:
                    summarize(mine, x, cut, heal)
                else:
                    print("-- n1 <-> %s" % x)
                    for t, c, s, d, kind in mine:
                        print("  c%+8.3f h%+8.3f  %-7s %s->%s  %s" % (t - cut, t - heal, c.name, s, d, kind))
    if a.pings:
        pings_table(rows)
    if a.stats:
        stats(rows, a.after)
        for k in sorted(syn_gaps):
            g = sorted(syn_gaps[k])
            print("SYN retransmission #%d: %d, %.3f-%.3f s after the previous SYN (median %.3f)" % (
                k, len(g), g[0], g[-1], g[len(g) // 2]))


def pending_pings(events, cuts):
    """(cut number, sender, receiver, s after the cut) for n1 and each majority node X both ways:
    the PING still unanswered at each heal, i.e. cluster.c's ping_sent, which a PING on the
    sender's own link sets when none is pending and a PONG on that link clears. A PONG the cut
    dropped (sent in a cut: the capture sees it before the INPUT rule) clears nothing; a PING's
    retransmission is no new PING. None: nothing pending at the heal."""
    rows = []
    for x in ["n%d" % i for i in range(2, 7)]:
        for frm, to in (("n1", x), (x, "n1")):
            pending, at_heal, k = None, {}, 0
            for t, c, src, dst, kind in events:
                while k < len(cuts) and t > cuts[k][1]:
                    at_heal[k], k = pending, k + 1
                if c.opener != frm or {src, dst} != {frm, to}:
                    continue
                words = kind.split()
                if src == frm and "PING" in words and "retx" not in words and pending is None:
                    pending = t
                if src == to and "PONG" in words and not any(a <= t < b for a, b in cuts):
                    pending = None
            while k < len(cuts):
                at_heal[k], k = pending, k + 1
            for k, (cut, _) in enumerate(cuts):
                p = at_heal[k]
                rows.append((k + 1, frm, to, None if p is None else p - cut))
    return rows


def pings_table(rows):
    """Per cut: the pending PINGs' times after the cut, majority nodes to n1 and n1 to n2 / n3."""
    print("s after the cut of the PING a node still waits on at the heal (ping_sent); a PFAIL")
    print("needs it more than node-timeout before the PONG that clears it")
    for k in sorted({r[0] for r in rows}):
        for name, pick in (("X to n1 (X = n2..n6)", lambda r: r[2] == "n1"),
                           ("n1 to n2, n3", lambda r: r[1] == "n1" and r[2] in ("n2", "n3"))):
            v = [r[3] for r in rows if r[0] == k and pick(r)]
            got = sorted(x for x in v if x is not None)
            q = lambda f: got[min(len(got) - 1, int(f * len(got)))] if got else float("nan")
            print("cut %d  %-22s %4d  p25 %5.2f  median %5.2f  p75 %5.2f  <0.5 s %3.0f%%  "
                  "<1.0 s %3.0f%%  none %d" % (k, name, len(v), q(0.25), q(0.5), q(0.75),
                                 100.0 * sum(1 for x in got if x < 0.5) / max(1, len(v)),
                                 100.0 * sum(1 for x in got if x < 1.0) / max(1, len(v)),
                                 len(v) - len(got)))


def first_after(mine, heal, pred):
    for t, c, s, d, kind in mine:
        if t >= heal and pred(c, s, kind):
            return t, c, kind
    return None


def summarize(mine, x, cut, heal):
    def show(hit):
        if hit is None:
            return "none within the window"
        t, c, kind = hit
        return "h%+.3f %s %s (%s)" % (t - heal, c.name, kind, c.history(cut, heal))
    print("  %s  from n1: %s" % (x, show(first_after(mine, heal, lambda c, s, kind: s == "n1" and "data" in kind))))
    print("  %s  to n1:   %s" % (x, show(first_after(mine, heal, lambda c, s, kind: s == x and "data" in kind))))
    # what clears X's PFAIL of n1: a PONG on X's own (outbound) link
    pong = first_after(mine, heal, lambda c, s, kind: s == "n1" and c.opener == x and "PONG" in kind)
    print("  %s  n1's first PONG on %s>n1: %s" % (x, x, show(pong)))


def first_packets(mine, x, heal):
    """(ms to n1's first data at X, how it came; ms to n1's first PONG on X>n1)."""
    data = first_after(mine, heal, lambda c, s, kind: s == "n1" and "data" in kind)
    pong = first_after(mine, heal, lambda c, s, kind: s == "n1" and c.opener == x and "PONG" in kind)
    how = None
    if data:
        t, c, kind = data
        if c.t_est is not None and c.t_est >= heal:
            how = "a connection made after the heal"
            if c.syns_at_est:
                how += " (SYN #%d)" % c.syns_at_est
        elif "retx" in kind:
            how = "a retransmission on an older connection"
        else:
            how = "an older connection" + (" (rcsim: held or retransmitted data)" if c.t_open is None
                                           and c.syns == 0 and c.t_est is None else "")
    ms = lambda hit: None if hit is None else (hit[0] - heal) * 1000
    return ms(data), how, ms(pong)


def stats(rows, after_s):
    def line(name, values):
        got = sorted(v for v in values if v is not None)
        n = len(values)
        q = lambda f: got[min(len(got) - 1, int(f * len(got)))] if got else float("nan")
        print("%-34s %4d  median %5.0f  90%% %5.0f  max %5.0f  <=0.4 s %3d  <=1 s %3d  later %3d  none in %g s %3d" % (
            name, n, q(0.5), q(0.9), got[-1] if got else float("nan"),
            sum(1 for v in got if v <= 400), sum(1 for v in got if v <= 1000),
            sum(1 for v in got if v > 1000), after_s, n - len(got)))
    print("ms after a heal (one value per heal and majority node X):")
    line("first data from n1 at X", [r[0] for r in rows])
    line("first PONG from n1 on X's link", [r[2] for r in rows])
    hows = {}
    for r in rows:
        hows[r[1]] = hows.get(r[1], 0) + 1
    print("what carried n1's first data:")
    for how, n in sorted(hows.items(), key=lambda kv: -kv[1]):
        print("  %4d  %s" % (n, how or "nothing within the window"))


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quietly, when piped to head
    main()

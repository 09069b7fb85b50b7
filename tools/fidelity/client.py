#!/usr/bin/env python3
"""Workload, nemesis and observer for one real-Redis run of the fidelity experiment.

Python 3 standard library only (asyncio). Started by minority-partition.sh once the six
redis-server processes form a cluster; it mirrors scenarios/fidelity-minority.scn:

- 5 client hosts c1..c5 near the masters round robin (c1, c4 near n1; c2, c5 near n2; c3
  near n3), each with `concurrency` processes (one request at a time each, own connections,
  a slot map shared per host), arrivals with gaps uniform in [0, 2/rate), SADD of a unique
  element "c<process>-<n>" to a key uniform over k0..k(keys-1), per-attempt timeout, retries
  after CLUSTERDOWN / TRYAGAIN / connection errors / timeouts, MOVED followed (sim/client.h).
  Clients near n1 use n1's address as their source address, so the partition takes them along.
- at `cut` s: iptables drops every packet from n1's address to any other address and back
  (rules appended to the chain the shell script hooked into INPUT, or OUTPUT: run.sh DROP_HOOK; with `--nemesis one-way`
  only the packets from n1's address); at `heal` s the chain is
  flushed; at `duration` s the workload stops. `--nemesis crash` kills n1 at `cut` and
  starts it again at `heal`; `--nemesis pause` stops it (SIGSTOP) and continues it (SIGCONT).
- observers poll CLUSTER NODES every `poll` s: on every majority node (n1 flagged fail? /
  fail, n1's replica flagged master and its configEpoch) and on n1 itself (cluster_state,
  the other masters flagged fail?).
- after convergence (n1 a replica again, every node cluster_state ok) every key is read back
  with SMEMBERS from its master and acknowledged elements that are missing are lost.

Prints one JSON object (the run's figures, ms relative to the cut) on stdout; writes the
history of ops to OUT/history.jsonl.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time

# ---------------------------------------------------------------- key slots (CRC-16/XMODEM)
_T = []
for i in range(256):
    c = i << 8
    for _ in range(8):
        c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
    _T.append(c & 0xFFFF)


def crc16(b):
    c = 0
    for x in b:
        c = ((c << 8) & 0xFFFF) ^ _T[((c >> 8) ^ x) & 0xFF]
    return c


def keyslot(key):
    b = key.encode()
    s = b.find(b"{")
    if s >= 0:
        e = b.find(b"}", s + 1)
        if e > s + 1:
            b = b[s + 1:e]
    return crc16(b) & 0x3FFF


assert keyslot("foo") == 12182 and keyslot("123456789") == 12739

# ---------------------------------------------------------------- RESP


class RedisError(Exception):
    pass


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


async def read_reply(r):
    line = await r.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed")
    t, body = line[:1], line[1:-2]
    if t == b"+":
        return body.decode()
    if t == b"-":
        return RedisError(body.decode())
    if t == b":":
        return int(body)
    if t == b"$":
        n = int(body)
        if n < 0:
            return None
        return (await r.readexactly(n + 2))[:-2]
    if t == b"*":
        n = int(body)
        if n < 0:
            return None
        return [await read_reply(r) for _ in range(n)]
    raise ConnectionError("bad reply %r" % line)


class Conn:
    """One connection from a source address to a node; one request at a time."""

    def __init__(self, src, addr):
        self.src, self.addr = src, addr
        self.r = self.w = None
        self.sent = False           # the last call wrote its command (its outcome may be unknown)
        self.t_sent = None          # when it did (monotonic)

    async def open(self):
        host, port = self.addr
        self.r, self.w = await asyncio.open_connection(host, port, local_addr=(self.src, 0))

    def close(self):
        if self.w is not None:
            try:
                self.w.transport.abort()
            except Exception:
                pass
        self.r = self.w = None

    async def call(self, timeout, *args):
        """The reply (RedisError for an error reply); raises TimeoutError / OSError."""
        self.sent = False

        async def go():
            if self.w is not None and (self.r.at_eof() or self.r.exception() is not None
                                       or self.w.transport.is_closing()):
                # the peer closed or reset this idle connection (its process died): the
                # event loop saw it already, as rcsim's client sees the FIN/RST (sim/client.h:
                # closed or reset -> a new connection), so no command is sent on it
                self.close()
            if self.w is None:
                await self.open()
            self.w.write(encode(*args))
            self.sent = True
            self.t_sent = now()
            return await read_reply(self.r)
        try:
            return await asyncio.wait_for(go(), timeout)
        except BaseException:
            self.close()
            raise


def now():
    return time.monotonic()


# ---------------------------------------------------------------- the experiment

class Run:
    def __init__(self, a):
        self.a = a
        self.nodes = ["127.0.0.%d" % i for i in range(1, 7)]
        self.addr = {("n%d" % (i + 1)): (ip, a.base_port + i + 1) for i, ip in enumerate(self.nodes)}
        self.name_of = {v: k for k, v in self.addr.items()}
        self.ops = []
        self.indet = []             # indeterminate ops: (invoke, attempt start, sent, failed, node, error, done)
        self.attempts = []          # (t_send, t_done, node, outcome) for every attempt
        self.t_start = None
        self.t_cut = None
        self.t_heal = None
        self.cuts = []              # (start, end) of every cut: one, or the flaps
        self.stop = False
        self.obs = {}               # first-time observations, absolute monotonic times
        self.obs_nodes = {}         # per majority node: first fail? / fail of n1
        self.n1_id = None
        self.rep_id = None
        self.rep_name = None

    def mark(self, what, t, extra=None):
        if what not in self.obs:
            self.obs[what] = (t, extra)

    async def admin(self, node, *args, src="127.0.0.20", timeout=1.0):
        c = Conn(src, self.addr[node])
        try:
            return await c.call(timeout, *args)
        finally:
            c.close()

    async def setup(self):
        """Node ids; n1's replica once every node agrees which one it is (gossip can lag
        behind cluster_state:ok)."""
        self.n1_id = (await self.admin("n1", "CLUSTER", "MYID")).decode()
        deadline = now() + 20
        while True:
            reps = set()
            for n in self.addr:
                nodes = (await self.admin(n, "CLUSTER", "NODES")).decode()
                self.ids = {}
                rep = None
                for line in nodes.splitlines():
                    f = line.split()
                    ip, port = f[1].split("@")[0].rsplit(":", 1)
                    self.ids[f[0]] = self.name_of[(ip, int(port))]
                    if f[3] == self.n1_id:
                        rep = f[0]
                    if f[0] == self.n1_id:
                        self.n1_slots = set()
                        for r in f[8:]:
                            lo, _, hi = r.partition("-")
                            self.n1_slots.update(range(int(lo), int(hi or lo) + 1))
                reps.add(rep)
            if len(reps) == 1 and None not in reps:
                break
            if now() > deadline:
                raise SystemExit("the nodes do not agree on n1's replica: %r" % reps)
            await asyncio.sleep(0.1)
        self.rep_id = reps.pop()
        self.rep_name = self.ids[self.rep_id]
        self.master_ids = {i for i, n in self.ids.items() if n in ("n1", "n2", "n3")}

    # ---- slot maps, one per client host
    async def refresh(self, host, final=False):
        order = [host["last"]] + [n for n in self.addr if n != host["last"]]
        for n in order:
            if self.stop and self.t_stop_hard < now() and not final:
                return
            c = host["admin"].setdefault(n, Conn(host["src"], self.addr[n]))
            try:
                rep = await c.call(self.a.timeout, "CLUSTER", "SLOTS")
            except (OSError, asyncio.TimeoutError, ConnectionError):
                continue
            if isinstance(rep, RedisError):
                continue
            for lo, hi, master, *_ in rep:
                a = (master[0].decode(), master[1])
                for s in range(lo, hi + 1):
                    host["map"][s] = a
            host["last"] = n
            return

    def stale(self, host):
        if host["refreshing"] is None or host["refreshing"].done():
            host["refreshing"] = asyncio.ensure_future(self.refresh(host))

    async def request(self, host, proc, key, value):
        a = self.a
        slot = keyslot(key)
        attempts = 0
        redirects = 0
        maybe = False
        last_node = None
        err = None
        while True:
            addr = host["map"][slot]
            node = self.name_of.get(addr)
            c = proc["conns"].get(node)
            if c is None:
                c = proc["conns"][node] = Conn(host["src"], addr)
            t0 = now()
            try:
                rep = await c.call(a.timeout, "SADD", key, value)
            except asyncio.TimeoutError:
                self.attempts.append((t0, now(), node, "timeout", proc["host"]))
                maybe = True    # the request may have been sent (or was)
                proc["maybe"] = (t0, c.t_sent if c.sent else None, now(), node, "timeout")
                err = "timeout"
                self.stale(host)
                attempts += 1
            except (OSError, ConnectionError) as e:
                self.attempts.append((t0, now(), node, "conn-error", proc["host"]))
                if c.sent:
                    maybe = True    # reset or closed after the command went out (sim/client.c)
                    proc["maybe"] = (t0, c.t_sent, now(), node,
                                     "%s: %s" % (e.__class__.__name__, e))
                err = "connection: %s" % e.__class__.__name__
                self.stale(host)
                attempts += 1
            else:
                t1 = now()
                last_node = node
                host["last"] = node
                if isinstance(rep, RedisError):
                    msg = str(rep)
                    kind = msg.split()[0]
                    self.attempts.append((t0, t1, node, kind, proc["host"]))
                    if kind in ("MOVED", "ASK") and redirects < 5:
                        redirects += 1
                        _, s, target = msg.split()
                        ip, port = target.rsplit(":", 1)
                        if kind == "MOVED":
                            host["map"][int(s)] = (ip, int(port))
                            self.stale(host)
                        continue
                    if kind in ("CLUSTERDOWN", "TRYAGAIN") and attempts < a.retries:
                        attempts += 1
                        await asyncio.sleep(a.backoff)
                        continue
                    # an earlier attempt that timed out may have been applied (rcsim's client
                    # and Jepsen call that info, not fail)
                    return ("info" if maybe else "fail"), node, msg
                self.attempts.append((t0, t1, node, "ok", proc["host"]))
                return "ok", node, None
            if attempts > a.retries:
                return ("info" if maybe else "fail"), node, err
            await asyncio.sleep(a.backoff)

    async def process(self, host, pid, queue):
        proc = {"conns": {}, "host": host["name"], "n": 0}
        while True:
            key = await queue.get()
            if key is None:
                break
            proc["n"] += 1
            value = "c%d-%d" % (pid + 1, proc["n"])
            t0 = now()
            proc["maybe"] = None
            typ, node, err = await self.request(host, proc, key, value)
            self.ops.append({"process": pid, "host": host["name"], "key": key, "value": value,
                             "invoke": t0, "done": now(), "type": typ, "node": node,
                             "error": err})
            if typ == "info":
                # the attempt that made the op indeterminate: started, command written, failed
                self.indet.append((t0,) + proc["maybe"] + (now(),))
            host["idle"] += 1
            host["freed"].set()
        for c in proc["conns"].values():
            c.close()

    async def client_host(self, i):
        a = self.a
        near = "n%d" % (i % 3 + 1)           # clients-near masters, round robin
        src = "127.0.0.1" if near == "n1" else "127.0.0.%d" % (9 + i)
        host = {"name": "c%d" % (i + 1), "src": src, "last": near, "admin": {},
                "map": [None] * 16384, "refreshing": None, "idle": a.concurrency,
                "freed": asyncio.Event()}
        await self.refresh(host)
        rng = random.Random(a.seed * 1000 + i)
        queue = asyncio.Queue()
        procs = [asyncio.ensure_future(self.process(host, i * a.concurrency + j, queue))
                 for j in range(a.concurrency)]
        next_t = now()
        while not self.stop:
            next_t += rng.uniform(0, 2.0 / a.rate)
            d = next_t - now()
            if d > 0:
                await asyncio.sleep(d)
            if self.stop:
                break
            if host["idle"] == 0:           # wait for a completion; the gap starts then
                host["freed"].clear()
                while host["idle"] == 0 and not self.stop:
                    await host["freed"].wait()
                    host["freed"].clear()
                next_t = now()
                if self.stop:
                    break
            host["idle"] -= 1
            queue.put_nowait("k%d" % rng.randrange(a.keys))
        for _ in procs:
            queue.put_nowait(None)
        await asyncio.gather(*procs)
        for c in host["admin"].values():
            c.close()

    # ---- observers
    async def watch_majority(self, node):
        c = Conn("127.0.0.20", self.addr[node])
        while not self.done_watching:
            t = now()
            try:
                rep = await c.call(0.3, "CLUSTER", "NODES")
            except (OSError, asyncio.TimeoutError, ConnectionError):
                rep = None
            if isinstance(rep, bytes) and self.t_cut is not None:
                for line in rep.decode().splitlines():
                    f = line.split()
                    flags = f[2].split(",")
                    if f[0] == self.n1_id:
                        if "fail?" in flags:
                            self.mark("pfail", t, node)
                            self.obs_nodes.setdefault(node + ".pfail", t)
                        if "fail" in flags:
                            self.mark("fail", t, node)
                            self.obs_nodes.setdefault(node + ".fail", t)
                    if f[0] == self.rep_id and "master" in flags:
                        self.mark("promoted", t, {"seen_by": node, "epoch": int(f[6])})
            await asyncio.sleep(max(0, self.a.poll - (now() - t)))
        c.close()

    async def watch_n1(self):
        c = Conn("127.0.0.1", self.addr["n1"])
        while not self.done_watching:
            t = now()
            try:
                info = await c.call(0.3, "CLUSTER", "INFO")
                nodes = await c.call(0.3, "CLUSTER", "NODES")
            except (OSError, asyncio.TimeoutError, ConnectionError):
                info = nodes = None
            if isinstance(info, bytes) and self.t_cut is not None:
                if b"cluster_state:fail" in info and self.t_heal is None:
                    self.mark("n1_state_fail", t)
                if self.t_heal is not None:
                    self.mark("n1_answers_after_heal", t)
                if self.t_heal is not None and b"cluster_state:ok" in info:
                    self.mark("n1_state_ok_after_heal", t)
                for line in nodes.decode().splitlines():
                    f = line.split()
                    flags = f[2].split(",")
                    if f[0] in self.master_ids and f[0] != self.n1_id and "fail?" in flags:
                        self.mark("n1_pfail_other", t, self.ids[f[0]])
                    if "myself" in flags and "slave" in flags and self.t_heal is not None:
                        self.mark("n1_rejoined_as_replica", t)
                        if f[3] == self.rep_id:
                            self.mark("n1_replica_of_promoted", t)
                if self.t_heal is not None and "n1_link_up_after_heal" not in self.obs:
                    try:
                        repl = await c.call(0.3, "INFO", "replication")
                    except (OSError, asyncio.TimeoutError, ConnectionError):
                        repl = None
                    if isinstance(repl, bytes) and b"master_link_status:up" in repl:
                        self.mark("n1_link_up_after_heal", t)
            await asyncio.sleep(max(0, self.a.poll - (now() - t)))
        c.close()

    async def iptables(self, *cmd, stdin=None):
        p = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE)
        await p.communicate(stdin.encode() if stdin else None)
        if p.returncode != 0:
            raise SystemExit("iptables failed: %s" % " ".join(cmd))

    async def nemesis(self):
        a = self.a
        await asyncio.sleep(max(0, self.t_start + a.cut - now()))
        if a.nemesis == "crash":
            return await self.crash_nemesis()
        if a.nemesis == "pause":
            return await self.pause_nemesis()
        if a.nemesis == "manual-failover":
            return await self.manual_failover_nemesis()
        # one-way: only what n1's address sends to the others is dropped (rcsim's
        # `partition one-way n1,clients-of:n1 -> rest`)
        back = "" if a.nemesis == "one-way" else "-A {c} -d 127.0.0.1/32 ! -s 127.0.0.1/32 -j DROP\n"
        rules = ("*filter\n"
                 "-A {c} -s 127.0.0.1/32 ! -d 127.0.0.1/32 -j DROP\n" + back +
                 "COMMIT\n").format(c=a.chain)
        # flap: cut for `period`, heal for `period`, from `cut` until `heal` (rcsim's `flap
        # from CUT until HEAL period P partition isolate n1 with-clients`); else one cut
        period = a.period if a.nemesis == "flap" else a.heal - a.cut
        start = a.cut
        while start < a.heal:
            await asyncio.sleep(max(0, self.t_start + start - now()))
            t = now()
            await self.iptables("iptables-restore", "--noflush", stdin=rules)
            t_cut = now()
            if self.t_cut is None:
                self.t_cut = t_cut
                self.cut_apply_ms = (t_cut - t) * 1000
            await asyncio.sleep(max(0, self.t_start + min(start + period, a.heal) - now()))
            await self.iptables("iptables", "-F", a.chain)
            self.t_heal = now()
            self.cuts.append((t_cut, self.t_heal))
            start += 2 * period

    async def signal_n1_until_heal(self, sig):
        """Send n1's redis-server `sig` (T0 when kill() returned), then wait until `heal`."""
        t = now()
        os.kill(self.a.n1_pid, sig)
        self.t_cut = now()
        self.cut_apply_ms = (self.t_cut - t) * 1000
        await asyncio.sleep(max(0, self.t_start + self.a.heal - now()))

    async def crash_nemesis(self):
        """SIGKILL n1's redis-server (its kernel closes its sockets: peers get FIN/RST, connects
        are refused: rcsim's `crash`); at `heal` start it again with the same redis.conf (its
        nodes.conf, no data: no persistence, as rcsim's `restart`)."""
        a = self.a
        await self.signal_n1_until_heal(signal.SIGKILL)
        # not an asyncio subprocess: its transport would kill the server when the loop closes
        # on the servers' CPUs, not this client's (the restarted server would inherit ours)
        cpus = {int(c) for c in a.server_cpus.split(",")} if a.server_cpus else None
        p = subprocess.Popen([a.redis_server, a.n1_conf], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        self.t_heal = now()
        if a.pidfile:
            with open(a.pidfile, "a") as f:
                f.write("%d\n" % p.pid)

    async def pause_nemesis(self):
        """SIGSTOP n1's redis-server (its kernel still completes connections and buffers what
        arrives; nothing is read or answered: rcsim's `pause`), SIGCONT at `heal` (`resume`)."""
        await self.signal_n1_until_heal(signal.SIGSTOP)
        os.kill(self.a.n1_pid, signal.SIGCONT)
        self.t_heal = now()

    async def manual_failover_nemesis(self):
        """CLUSTER FAILOVER to n1's replica (rcsim's `failover`): T0 when the command goes out.
        The fault has no length: `heal` is T0 too."""
        t = now()
        self.t_cut = t
        rep = await self.admin(self.rep_name, "CLUSTER", "FAILOVER")
        if isinstance(rep, RedisError):
            raise SystemExit("CLUSTER FAILOVER: %r" % rep)
        self.cut_apply_ms = (now() - t) * 1000
        self.t_heal = t

    def handover(self, T0):
        ms = lambda t: (t - T0) * 1000
        ops = [{"invoke": ms(o["invoke"]), "done": ms(o["done"]), "type": o["type"],
                "node": o["node"], "key": o["key"]} for o in self.ops]
        d = handover_figures(ops, lambda k: keyslot(k) in self.n1_slots, "n1", self.rep_name, 0)
        return {k: (round(v) if isinstance(v, float) else v) for k, v in d.items()}

    async def converged(self):
        """Every node cluster_state ok, one master per shard; if n1 was failed over, n1 a
        replica with its link up (a flapping run may end without a failover)."""
        for n in self.addr:
            try:
                info = await self.admin(n, "CLUSTER", "INFO")
                nodes = (await self.admin(n, "CLUSTER", "NODES")).decode()
            except (OSError, asyncio.TimeoutError, ConnectionError):
                return False
            if b"cluster_state:ok" not in info:
                return False
            masters = [l for l in nodes.splitlines() if "master" in l.split()[2]
                       and "fail" not in l.split()[2] and len(l.split()) > 8]
            if len(masters) != 3:
                return False
            if n == "n1" and "promoted" in self.obs and "slave" not in nodes.splitlines()[0] and \
                    not any("myself" in l and "slave" in l for l in nodes.splitlines()):
                return False
        if "promoted" not in self.obs:
            return True
        repl = (await self.admin("n1", "INFO", "replication")).decode()
        return "master_link_status:up" in repl

    async def main(self):
        a = self.a
        await self.setup()
        self.done_watching = False
        self.t_start = now()
        self.t_stop_hard = self.t_start + a.duration + 5
        watchers = [asyncio.ensure_future(self.watch_majority(n))
                    for n in self.addr if n != "n1"] + [asyncio.ensure_future(self.watch_n1())]
        nem = asyncio.ensure_future(self.nemesis())
        clients = [asyncio.ensure_future(self.client_host(i)) for i in range(a.clients)]
        await asyncio.sleep(max(0, self.t_start + a.duration - now()))
        self.stop = True
        await nem
        await asyncio.gather(*clients)
        self.t_workload_end = now()
        deadline = now() + a.converge_within
        conv = False
        while now() < deadline:
            if await self.converged():
                conv = True
                break
            await asyncio.sleep(0.1)
        self.t_converged = now() if conv else None
        self.done_watching = True
        await asyncio.gather(*watchers)
        await self.final_reads()
        return self.report(conv)

    async def final_reads(self):
        host = {"src": "127.0.0.20", "last": "n2", "admin": {}, "map": [None] * 16384,
                "refreshing": None}
        await self.refresh(host, final=True)
        self.read = {}
        for k in range(self.a.keys):
            key = "k%d" % k
            for _ in range(20):
                addr = host["map"][keyslot(key)]
                try:
                    c = Conn("127.0.0.20", addr)
                    rep = await c.call(2.0, "SMEMBERS", key)
                    c.close()
                except (OSError, asyncio.TimeoutError, ConnectionError):
                    rep = RedisError("unreachable")
                if isinstance(rep, RedisError):
                    if str(rep).startswith("MOVED"):
                        _, s, t = str(rep).split()
                        ip, port = t.rsplit(":", 1)
                        host["map"][int(s)] = (ip, int(port))
                    else:
                        await asyncio.sleep(0.2)
                    continue
                self.read[key] = {m.decode() for m in rep}
                break
        for c in host["admin"].values():
            c.close()

    def report(self, conv):
        T0 = self.t_cut
        rel = lambda t: None if t is None else round((t - T0) * 1000)
        heal = self.t_heal

        # the fault's windows: the cuts (one, or the flaps), else [crash or pause, restart or
        # resume)
        windows = self.cuts or [(T0, heal)]

        def side(op):
            if op["type"] != "ok":
                return None
            if any(a <= op["done"] < b for a, b in windows):
                return "minority" if op["node"] == "n1" else "majority"
            return "none"

        acked = [o for o in self.ops if o["type"] == "ok"]
        lost = [o for o in acked if o["key"] in self.read and o["value"] not in self.read[o["key"]]]
        unread = [o for o in acked if o["key"] not in self.read]
        lost_by = {"majority": 0, "minority": 0, "none": 0}
        for o in lost:
            lost_by[side(o)] += 1
        lost_min = [rel(o["done"]) for o in lost if side(o) == "minority"]
        # n1's answers after the cut
        n1_after = [x for x in self.attempts if x[2] == "n1" and x[1] >= T0 and x[1] < heal]
        refused = [x for x in n1_after if x[3] not in ("ok", "timeout", "conn-error", "MOVED", "ASK")]
        oks = [x for x in n1_after if x[3] == "ok"]
        first_refused = min((x[1] for x in refused), default=None)
        refused_ops = [o["done"] for o in self.ops
                       if o["type"] == "fail" and o["node"] == "n1" and T0 <= o["done"] < heal]
        last_ok = max((x[1] for x in oks), default=None)
        acked_cut = {"minority": 0, "majority": 0}
        for o in acked:
            s = side(o)
            if s in acked_cut:
                acked_cut[s] += 1
        ob = lambda k: rel(self.obs[k][0]) if k in self.obs else None
        prom = self.obs.get("promoted")
        after_heal = lambda k: (round((self.obs[k][0] - heal) * 1000) if k in self.obs else None)
        after_ms = lambda t: None if t is None else round((t - heal) * 1000)
        out = {
            "experiment": {"crash": "master-crash", "pause": "master-pause",
                           "manual-failover": "manual-failover",
                           "one-way": "one-way", "flap": "flapping"}.get(self.a.nemesis, "minority-partition"),
            "cuts_ms": [[rel(a), rel(b)] for a, b in self.cuts],
            "cut_ms_after_start": round((T0 - self.t_start) * 1000),
            "cut_apply_ms": round(self.cut_apply_ms, 1),
            # T0 on the wall clock (s since the epoch), to place packet captures (tcpdump -tt)
            "t0_unix": round(time.time() - now() + T0, 6),
            "heal_ms": rel(heal),
            "n1_replica": self.rep_name,
            "n1_first_refused_ms": rel(min(refused_ops, default=None)),
            "n1_first_refusal_attempt_ms": rel(first_refused),
            "n1_first_refusal": next((x[3] for x in refused if x[1] == first_refused), None),
            "n1_last_ack_ms": rel(last_ok),
            "n1_acks_after_cut": len(oks),
            "n1_pfail_other_ms": ob("n1_pfail_other"),
            "n1_state_fail_ms": ob("n1_state_fail"),
            "pfail_ms": ob("pfail"),
            "fail_ms": ob("fail"),
            "promoted_ms": ob("promoted"),
            "epoch": prom[1]["epoch"] if prom else None,
            "n1_rejoined_after_heal_ms": (round((self.obs["n1_rejoined_as_replica"][0] - heal) * 1000)
                                          if "n1_rejoined_as_replica" in self.obs else None),
            "converged": conv,
            "converge_ms_after_workload": (round((self.t_converged - self.t_workload_end) * 1000)
                                           if self.t_converged else None),
            "ops": len(self.ops),
            "acked": len(acked),
            "acked_during_cut": acked_cut,
            "indeterminate": sum(1 for o in self.ops if o["type"] == "info"),
            "lost": len(lost),
            "lost_by_side": lost_by,
            "unread_acked": len(unread),
            "loss_window_minority": ({"first_ms": min(lost_min), "last_ms": max(lost_min)}
                                     if lost_min else None),
            "pfail_seen_by_node_ms": {k: rel(v) for k, v in sorted(self.obs_nodes.items())},
            "poll_ms": round(self.a.poll * 1000),
        }
        if self.a.nemesis in ("crash", "pause"):
            # (pause: "restart" below means the resume) n1's slots: first op on them that
            # failed or timed out after the crash (its completion) -> first op on them acknowledged by the promoted replica
            on1 = [o for o in self.ops if keyslot(o["key"]) in self.n1_slots and o["done"] >= T0]
            bad = min((o["done"] for o in on1 if o["type"] != "ok"), default=None)
            good = min((o["done"] for o in on1 if o["type"] == "ok" and o["node"] == self.rep_name
                        and (bad is None or o["done"] > bad)), default=None)
            # rcsim's unavailable_ms: the union of failed/timed-out ops' [invoke, done]
            iv = sorted((o["invoke"], o["done"]) for o in self.ops if o["type"] != "ok")
            union, cur = 0.0, None
            for s_, e_ in iv:
                if cur is None or s_ > cur[1]:
                    if cur:
                        union += cur[1] - cur[0]
                    cur = [s_, e_]
                else:
                    cur[1] = max(cur[1], e_)
            if cur:
                union += cur[1] - cur[0]
            n1_oks = [o["done"] for o in acked if o["node"] == "n1"]
            out.update({
                "n1_last_ack_ms": rel(max((t for t in n1_oks if t < heal), default=None)),
                "n1_acks_after_crash": sum(1 for t in n1_oks if T0 <= t < heal),
                "n1_acks_after_restart": sum(1 for t in n1_oks if t >= heal),
                "n1_last_ack_after_restart_ms": after_ms(max((t for t in n1_oks if t >= heal),
                                                             default=None)),
                "unavail_first_fail_ms": rel(bad),
                "unavail_first_ok_promoted_ms": rel(good),
                "unavail_ms": (round((good - bad) * 1000) if bad is not None and good is not None
                               else None),
                "failed_ops_union_ms": round(union * 1000),
                "lost_acked_by_n1": sum(1 for o in lost if o["node"] == "n1"),
                "lost_acked_by_others": sum(1 for o in lost if o["node"] != "n1"),
                "lost_last_ack_ms": rel(max((o["done"] for o in lost), default=None)),
                "n1_answers_after_restart_ms": after_heal("n1_answers_after_heal"),
                "n1_replica_after_restart_ms": after_heal("n1_rejoined_as_replica"),
                "n1_replica_of_promoted_after_restart_ms": after_heal("n1_replica_of_promoted"),
                "n1_link_up_after_restart_ms": after_heal("n1_link_up_after_heal"),
            })
        if self.a.nemesis == "manual-failover":
            out.update(self.handover(T0))
        if self.a.indet_ops:
            # --indet-ops: each indeterminate op (at most 50), ms after T0: invoke, the start of
            # the attempt that made it indeterminate, when that attempt wrote its command, when
            # it failed (timeout or the connection's error), the op's completion; its node and
            # error text
            r2 = lambda t: None if t is None else round((t - T0) * 1000, 2)
            out["indeterminate_ops"] = [
                {"invoke_ms": r2(i), "attempt_ms": r2(a0), "sent_ms": r2(ts), "failed_ms": r2(tf),
                 "done_ms": r2(d), "node": n, "error": e}
                for i, a0, ts, tf, n, e, d in sorted(self.indet, key=lambda x: x[0])[:50]]
        if self.a.out:
            with open(os.path.join(self.a.out, "history.jsonl"), "w") as f:
                for o in sorted(self.ops, key=lambda o: o["invoke"]):
                    d = dict(o)
                    d["invoke_ms"] = rel(d.pop("invoke"))
                    d["done_ms"] = rel(d.pop("done"))
                    d["lost"] = d["type"] == "ok" and d["key"] in self.read and \
                        d["value"] not in self.read[d["key"]]
                    f.write(json.dumps(d) + "\n")
        return out


def handover_figures(ops, in_slots, old, new, t0):
    """The handover of n1's slots seen by the clients (ops: dicts with invoke, done, type, node,
    key; times in ms from T0): the last ack by the old master after T0, the first by the new
    one after it, the gap between them (from T0 when the old master acked nothing after it),
    and the longest op on those slots invoked in the second after T0. Shared with table.py,
    which reads rcsim's history the same way."""
    mine = [o for o in ops if in_slots(o["key"])]
    acks_old = [o["done"] for o in mine if o["type"] == "ok" and o["node"] == old and
                o["done"] >= t0]
    last_old = max(acks_old, default=None)
    first_new = min((o["done"] for o in mine if o["type"] == "ok" and o["node"] == new and
                     o["done"] >= t0 and (last_old is None or o["done"] >= last_old)),
                    default=None)
    window = [o["done"] - o["invoke"] for o in mine if t0 <= o["invoke"] < t0 + 1000]
    return {"mf_last_old_ack_ms": last_old, "mf_first_new_ack_ms": first_new,
            "mf_gap_ms": (None if first_new is None
                          else first_new - (t0 if last_old is None else last_old)),
            "mf_longest_op_ms": max(window, default=None),
            "mf_acks_old_after": len(acks_old),
            "mf_not_ok": sum(1 for o in mine if o["type"] != "ok" and o["done"] >= t0)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base-port", type=int, default=30000)
    p.add_argument("--cut", type=float, default=5.0)
    p.add_argument("--heal", type=float, default=25.0)
    p.add_argument("--duration", type=float, default=35.0)
    p.add_argument("--converge-within", type=float, default=30.0)
    p.add_argument("--clients", type=int, default=5)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--keys", type=int, default=100)
    p.add_argument("--timeout", type=float, default=0.5)
    p.add_argument("--retries", type=int, default=1)
    p.add_argument("--backoff", type=float, default=0.1)
    p.add_argument("--poll", type=float, default=0.05)
    p.add_argument("--chain", default="RCSIM_FID")
    p.add_argument("--period", type=float, default=6.0, help="flap: seconds cut, then healed")
    p.add_argument("--nemesis", choices=("partition", "one-way", "flap", "crash", "pause",
                                         "manual-failover"),
                   default="partition",
                   help="partition: iptables cut of n1 and its clients at --cut, heal at --heal;"
                   " one-way: the same, but only what they send to the others is dropped;"
                   " flap: that cut for --period s, healed for --period s, from --cut to --heal;"
                   " crash: SIGKILL n1 at --cut, restart it at --heal;"
                   " pause: SIGSTOP n1 at --cut, SIGCONT at --heal;"
                   " manual-failover: CLUSTER FAILOVER to n1's replica at --cut")
    p.add_argument("--n1-pid", type=int, help="crash, pause: n1's redis-server pid")
    p.add_argument("--n1-conf", help="crash: n1's redis.conf (for the restart)")
    p.add_argument("--redis-server", default="redis-server")
    p.add_argument("--pidfile", help="crash: the restarted server's pid is appended here")
    p.add_argument("--server-cpus", help="crash: CPUs (comma separated) for the restarted server")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None)
    p.add_argument("--indet-ops", action="store_true",
                   help="list each indeterminate op in the result (indeterminate_ops): when its "
                   "failing attempt wrote its command and failed, relative to T0, its node and error")
    a = p.parse_args()
    if a.nemesis == "crash" and (a.n1_pid is None or a.n1_conf is None):
        p.error("--nemesis crash needs --n1-pid and --n1-conf")
    if a.nemesis == "pause" and a.n1_pid is None:
        p.error("--nemesis pause needs --n1-pid")
    res = asyncio.run(Run(a).main())
    print(json.dumps(res))


if __name__ == "__main__":
    main()

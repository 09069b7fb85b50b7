#!/usr/bin/env python3
"""Capture real Redis 7.0 cluster bus frames for rcsim's wire tests.

Starts three redis-server 7.0 nodes in cluster mode on loopback in a temporary directory.
Each node's bus traffic goes through a small proxy in this script: node i listens on its
real bus port (cluster-port) and announces the proxy's port (cluster-announce-bus-port), so
every peer connects through the proxy, which splits the byte streams into frames (8-byte
signature + length prefix) and keeps the first frame of each wanted type.

Phases: (1) create a 3-master cluster (MEET, PING, PONG; node 1 announces a hostname, so
its PINGs carry the 7.0 hostname extension); (2) cut node A from node B in the proxy and
move slot 0 from A to B with SETSLOT IMPORTING/NODE on B: B bumps its configEpoch, A keeps
claiming slot 0 towards C, and C answers with an UPDATE; (3) heal, SIGKILL node C: A and B
flag it PFAIL, exchange reports and broadcast FAIL.

Output: tests/data/bus_<name>.bin (raw frames) and tests/data/bus_frames.txt (one line per
frame: file and header fields decoded here, independently of rcsim's decoder), plus node 1's
CLUSTER NODES reply (cluster_nodes_redis.txt) and nodes.conf (nodes_conf_redis.txt).
Usage: python3 tests/data/capture_bus_frames.py [outdir]   (needs redis-server 7.0)
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

BASE = 7101           # client ports 7101..7103
REAL_BUS = 17101      # real bus ports
PROXY_BUS = 27101     # announced (proxy) bus ports
TYPES = {0: "ping", 1: "pong", 2: "meet", 3: "fail", 7: "update"}

lock = threading.Lock()
captured = {}         # name -> bytes
blocked = set()       # frozenset({nameA, nameB}) pairs whose frames are dropped
names = {}            # port -> node id


def want(frame):
    typ = struct.unpack(">H", frame[12:14])[0]
    if typ not in TYPES:
        return None
    key = TYPES[typ]
    if typ in (0, 1):
        if struct.unpack(">H", frame[14:16])[0] == 0:
            return None  # keep PINGs and PONGs that carry gossip
        mflags0 = frame[2253]
        if mflags0 & 4:
            key += "_hostname"
    return key


def pump(src, dst, node_port):
    """Copy frames from src to dst; record and maybe drop them."""
    buf = b""
    peer = None
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            buf += data
            while len(buf) >= 8:
                if buf[:4] != b"RCmb":
                    raise RuntimeError("bad signature")
                totlen = struct.unpack(">I", buf[4:8])[0]
                if len(buf) < totlen:
                    break
                frame, buf = buf[:totlen], buf[totlen:]
                sender = frame[40:80].decode()
                drop = False
                with lock:
                    dest = names.get(node_port)
                    if dest and frozenset((sender, dest)) in blocked:
                        drop = True
                    key = want(frame)
                    if key and key not in captured and not drop:
                        captured[key] = frame
                if not drop:
                    dst.sendall(frame)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def proxy(listen_port, real_port, node_port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        try:
            u = socket.create_connection(("127.0.0.1", real_port))
        except OSError:
            c.close()
            continue
        # Frames arriving at node_port (c -> u) and leaving it (u -> c).
        threading.Thread(target=pump, args=(c, u, node_port), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, None), daemon=True).start()


def cli(port, *args):
    return subprocess.check_output(["redis-cli", "-p", str(port)] + [str(a) for a in args],
                                   text=True).strip()


def wait_for(pred, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def fields(frame):
    sig, totlen, ver, port, typ, count = struct.unpack(">4sIHHHH", frame[:16])
    cur, cfg, off = struct.unpack(">QQQ", frame[16:40])
    sender = frame[40:80].decode()
    slots = sum(bin(b).count("1") for b in frame[80:2128])
    slaveof = frame[2128:2168]
    slaveof = "-" if slaveof == b"\0" * 40 else slaveof.decode()
    myip = frame[2168:2214].split(b"\0")[0].decode() or "-"
    exts, = struct.unpack(">H", frame[2214:2216])
    pport, cport, flags = struct.unpack(">HHH", frame[2246:2252])
    state, mf0 = frame[2252], frame[2253]
    out = (f"totlen={totlen} ver={ver} port={port} type={typ} count={count} "
           f"current_epoch={cur} config_epoch={cfg} offset={off} sender={sender} "
           f"slots={slots} slaveof={slaveof} myip={myip} extensions={exts} pport={pport} "
           f"cport={cport} flags={flags} state={state} mflags0={mf0}")
    if typ == 3:
        out += " about=" + frame[2256:2296].decode()
    if typ == 7:
        e, = struct.unpack(">Q", frame[2256:2264])
        usl = sum(bin(b).count("1") for b in frame[2304:4352])
        out += f" update_epoch={e} update_name={frame[2264:2304].decode()} update_slots={usl}"
    if typ in (0, 1, 2) and count:
        g = frame[2256:2360]
        gp, gc, gf = struct.unpack(">HHH", g[94:100])
        out += f" gossip0={g[:40].decode()}:{gp}@{gc}/{gf}"
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    tmp = tempfile.mkdtemp(prefix="rcsim-capture-")
    procs = []
    for i in range(3):
        threading.Thread(target=proxy, args=(PROXY_BUS + i, REAL_BUS + i, BASE + i),
                         daemon=True).start()
    for i in range(3):
        d = os.path.join(tmp, str(i))
        os.makedirs(d)
        args = ["redis-server", "--port", str(BASE + i), "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                "--cluster-port", str(REAL_BUS + i),
                "--cluster-announce-bus-port", str(PROXY_BUS + i),
                "--dir", d, "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--logfile", os.path.join(d, "log")]
        if i == 1:
            args += ["--cluster-announce-hostname", "node-b.example"]
        procs.append(subprocess.Popen(args))
    try:
        for i in range(3):
            wait_for(lambda: subprocess.call(["redis-cli", "-p", str(BASE + i), "ping"],
                                             stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL) == 0)
            names[BASE + i] = cli(BASE + i, "cluster", "myid")
        per = 16384 // 3
        ranges = [(0, per - 1), (per, 2 * per - 1), (2 * per, 16383)]
        for i, (a, b) in enumerate(ranges):
            cli(BASE + i, "cluster", "addslotsrange", a, b)
            cli(BASE + i, "cluster", "set-config-epoch", i + 1)
        for i in (1, 2):
            cli(BASE + i, "cluster", "meet", "127.0.0.1", BASE, PROXY_BUS)
        ok = wait_for(lambda: all("cluster_state:ok" in cli(BASE + i, "cluster", "info")
                                  for i in range(3)))
        assert ok, "cluster did not converge"
        wait_for(lambda: all(k in captured for k in ("ping", "pong", "meet", "ping_hostname")),
                 10)
        # CLUSTER NODES and nodes.conf as Redis writes them, for the format test.
        time.sleep(1.5)
        with open(os.path.join(outdir, "cluster_nodes_redis.txt"), "w") as fh:
            fh.write(cli(BASE + 1, "cluster", "nodes") + "\n")
        with open(os.path.join(tmp, "1", "nodes.conf")) as src, \
                open(os.path.join(outdir, "nodes_conf_redis.txt"), "w") as dst:
            dst.write(src.read())
        # Phase 2: UPDATE.
        a, b = names[BASE], names[BASE + 1]
        with lock:
            blocked.add(frozenset((a, b)))
        time.sleep(0.5)
        cli(BASE + 1, "cluster", "setslot", 0, "importing", a)
        cli(BASE + 1, "cluster", "setslot", 0, "node", b)
        wait_for(lambda: "update" in captured, 10)
        with lock:
            blocked.clear()
        time.sleep(1)
        # Phase 3: FAIL.
        procs[2].send_signal(signal.SIGKILL)
        procs[2].wait()
        wait_for(lambda: "fail" in captured, 20)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
    with open(os.path.join(outdir, "bus_frames.txt"), "w") as manifest:
        manifest.write("# file fields (decoded by capture_bus_frames.py)\n")
        for key in sorted(captured):
            fname = f"bus_{key}.bin"
            with open(os.path.join(outdir, fname), "wb") as fh:
                fh.write(captured[key])
            manifest.write(f"{fname} {fields(captured[key])}\n")
    missing = {"ping", "pong", "meet", "fail", "update", "ping_hostname"} - set(captured)
    print("captured:", sorted(captured), "missing:", sorted(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

"""First PING after a cut, real redis-server 7.0 (as root): six nodes, node-timeout 5 s,
no clients. For each trial, after a random wait of 0-1 s (without it each cut would come 8 s
after a poll that ended on a node's cron tick, always at the same point of its once-a-second
work), n1 is cut off (iptables DROP, one atomic iptables-restore) for 4 s, and CLUSTER NODES
is polled every ~10 ms: on n2 and n3 for n1's ping-sent, on n1 for n2's and n3's (exact ms
timestamps); then healed for 8 s.
Usage: ping_after_cut_real.py TRIALS   (the rcsim counterpart: ping_after_cut_rcsim.py)"""
import asyncio, os, random, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from client import Conn  # the experiments' RESP connection (tools/fidelity/client.py)

N=6; NT=5000; BASE=22000
LOOP=asyncio.new_event_loop()
CONNS={}
def nodes(i):
    """CLUSTER NODES of node i, by address, from a client address the cut leaves alone."""
    if i not in CONNS:
        CONNS[i]=Conn('127.0.0.9',(f'127.0.0.{i}',BASE+i))
    text=LOOP.run_until_complete(CONNS[i].call(2.0,'CLUSTER','NODES'))
    out={}
    for l in text.decode().splitlines():
        f=l.split()
        out[f[1].split('@')[0]]=f
    return out
procs=[]
work=tempfile.mkdtemp(prefix='rcsim-probe-')
for i in range(1,N+1):
    d=os.path.join(work,f'n{i}'); os.makedirs(d,exist_ok=True)
    procs.append(subprocess.Popen(['redis-server','--bind',f'127.0.0.{i}','--bind-source-addr',f'127.0.0.{i}','--port',str(BASE+i),'--cluster-enabled','yes','--cluster-node-timeout',str(NT),'--cluster-config-file','nodes.conf','--save','','--protected-mode','no','--appendonly','no','--logfile','log'],cwd=d))
time.sleep(1)
subprocess.run(['redis-cli','--cluster','create']+[f'127.0.0.{i}:{BASE+i}' for i in range(1,N+1)]+['--cluster-replicas','1','--cluster-yes'],capture_output=True)
time.sleep(12)
addr=lambda i: f'127.0.0.{i}:{BASE+i}'
PAIRS=((2,1),(3,1),(1,2),(1,3))  # (observer, peer): the majority's view of n1, and n1's of them
def rules(op):
    """Cut n1 off both ways in one atomic iptables-restore, or remove those rules."""
    lines=['*filter']+[f'{op} OUTPUT -s 127.0.0.{s} -d 127.0.0.{d} -j DROP'
                       for j in range(2,N+1) for s,d in ((1,j),(j,1))]+['COMMIT','']
    subprocess.run(['iptables-restore','--noflush'],input='\n'.join(lines),text=True,
                   capture_output=op=='-D')
try:
    wait=random.Random(1)
    for trial in range(int(sys.argv[1])):
        time.sleep(wait.random())
        pre={(o,p):nodes(o)[addr(p)] for o,p in PAIRS}
        rules('-I')
        cut=time.time()*1000  # the rules are in force from here on
        first={}
        while time.time()*1000-cut<4000 and len(first)<len(PAIRS):
            for o,p in PAIRS:
                if (o,p) in first: continue
                ps=int(nodes(o)[addr(p)][4])
                if ps>=cut: first[(o,p)]=ps
            time.sleep(0.01)
        rules('-D')
        for o,p in PAIRS:
            age=cut-int(pre[(o,p)][5]); ps=first.get((o,p))
            print(f'real trial {trial} n{o}->n{p} pong_age_at_cut {age:.0f} pending_ping_at_cut {pre[(o,p)][4]!="0"} first_ping_after_cut {None if ps is None else round(ps-cut)}',flush=True)
        time.sleep(8)
finally:
    for p in procs: p.kill()
    rules('-D')  # a trial interrupted mid-cut leaves its rules: drop them
    subprocess.run(['rm','-rf',work])

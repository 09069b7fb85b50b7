"""First PING after a cut in rcsim, the counterpart of ping_after_cut_real.py: `rcsim console`
with six nodes, node-timeout 5 s, no clients. Per trial: a random wait of 0-1 s (so the cut
falls anywhere in the nodes' once-a-second cron work, as a real cut does), CLUSTER NODES on n2
and n3 (n1's pong-recv and ping-sent at the cut) and TIME (the cut's instant on the nodes'
clock), then n1 is cut off for 4 s while CLUSTER NODES on n2 and n3 is read every 10 ms of
virtual time for n1's ping-sent; then healed for 8 s. Prints the same fields as the real probe.
Usage: ping_after_cut_rcsim.py RCSIM SEEDS TRIALS"""
import random, subprocess, sys

STEP_MS, STEPS = 10, 400
rcsim, seeds, trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def n1_fields(line):
    f = line.split()
    return int(f[4]), int(f[5])  # ping-sent, pong-recv (ms on the node's clock)


for seed in range(1, seeds + 1):
    wait = random.Random(seed)
    lines = ['.advance 12s']
    for t in range(trials):
        lines += [f'.advance {wait.randrange(1000)}ms', '.use n2', 'CLUSTER NODES', '.use n3',
                  'CLUSTER NODES', 'TIME', '.partition n1 | rest']
        for k in range(STEPS):
            lines += [f'.advance {STEP_MS}ms', '.use n2', 'CLUSTER NODES', '.use n3', 'CLUSTER NODES']
        lines += ['.heal', '.advance 8s']
    out = subprocess.run([rcsim, 'console', '--masters', '3', '--replicas', '1', '--seed', str(seed),
                          '--set', 'node-timeout=5000'], input='\n'.join(lines) + '\n',
                         capture_output=True, text=True, check=True).stdout.splitlines()
    n1 = [l for l in out if ' 127.0.0.1:30001@' in l and 'myself' not in l]
    secs = [int(l.split(') "')[1].rstrip('"')) for l in out if l.startswith('1) "')]
    usecs = [int(l.split(') "')[1].rstrip('"')) for l in out if l.startswith('2) "')]
    per = 2 + 2 * STEPS
    assert len(n1) == trials * per and len(secs) == trials, (len(n1), len(secs))
    for t in range(trials):
        chunk = n1[t * per:(t + 1) * per]
        cut = secs[t] * 1000 + usecs[t] / 1000
        for who, off in (('n2', 0), ('n3', 1)):
            ping_sent, pong_recv = n1_fields(chunk[off])
            first = next((ps for ps, _ in map(n1_fields, chunk[2 + off::2]) if ps >= cut), None)
            print(f'rcsim seed {seed} trial {t} {who} pong_age_at_cut {cut - pong_recv:.0f} '
                  f'pending_ping_at_cut {ping_sent != 0} first_ping_after_cut '
                  f'{None if first is None else round(first - cut)}', flush=True)

"""First PING after a cut in rcsim, the counterpart of ping_after_cut_real.py: `rcsim console`
with six nodes, node-timeout 5 s, no clients. Per trial: a random wait of 0-1 s (so the cut
falls anywhere in the nodes' once-a-second cron work, as a real cut does), CLUSTER NODES on n2,
n3 and n1 (pong-recv and ping-sent at the cut) and TIME (the cut's instant on the nodes'
clock), then n1 is cut off for 4 s while CLUSTER NODES on the same nodes is read every 10 ms
of virtual time: n2's and n3's view of n1, n1's of n2 and n3; then healed for 8 s. Prints the
same fields as the real probe. Usage: ping_after_cut_rcsim.py RCSIM SEEDS TRIALS"""
import random, subprocess, sys

STEP_MS, STEPS = 10, 400
PAIRS = ((2, 1), (3, 1), (1, 2), (1, 3))  # (observer, peer)
OBSERVERS = (2, 3, 1)  # the order CLUSTER NODES is read in each step
rcsim, seeds, trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def fields(line):
    f = line.split()
    return int(f[4]), int(f[5])  # ping-sent, pong-recv (ms on the node's clock)


def read_all():
    return [x for o in OBSERVERS for x in (f'.use n{o}', 'CLUSTER NODES')]


for seed in range(1, seeds + 1):
    wait = random.Random(seed)
    lines = ['.advance 12s']
    for t in range(trials):
        lines += [f'.advance {wait.randrange(1000)}ms'] + read_all() + ['TIME', '.partition n1 | rest']
        for k in range(STEPS):
            lines += [f'.advance {STEP_MS}ms'] + read_all()
        lines += ['.heal', '.advance 8s']
    out = subprocess.run([rcsim, 'console', '--masters', '3', '--replicas', '1', '--seed', str(seed),
                          '--set', 'node-timeout=5000'], input='\n'.join(lines) + '\n',
                         capture_output=True, text=True, check=True).stdout.splitlines()
    # CLUSTER NODES replies, one block of six lines each, in the order they were asked
    blocks, cur = [], {}
    for l in out:
        f = l.split()
        if len(f) >= 8 and len(f[0]) == 40 and '@' in f[1]:
            cur[int(f[1].split(':')[1].split('@')[0]) - 30000] = l
            if 'myself' in f[2]:
                cur['me'] = int(f[1].split(':')[1].split('@')[0]) - 30000
            if len(cur) == 7:
                blocks.append(cur)
                cur = {}
    secs = [int(l.split(') "')[1].rstrip('"')) for l in out if l.startswith('1) "')]
    usecs = [int(l.split(') "')[1].rstrip('"')) for l in out if l.startswith('2) "')]
    per = len(OBSERVERS) * (1 + STEPS)
    assert len(blocks) == trials * per and len(secs) == trials, (len(blocks), len(secs))
    for t in range(trials):
        chunk = blocks[t * per:(t + 1) * per]
        cut = secs[t] * 1000 + usecs[t] / 1000
        for o, p in PAIRS:
            mine = [b for b in chunk if b['me'] == o]
            ping_sent, pong_recv = fields(mine[0][p])
            first = next((ps for ps, _ in (fields(b[p]) for b in mine[1:]) if ps >= cut), None)
            print(f'rcsim seed {seed} trial {t} n{o}->n{p} pong_age_at_cut {cut - pong_recv:.0f} '
                  f'pending_ping_at_cut {ping_sent != 0} first_ping_after_cut '
                  f'{None if first is None else round(first - cut)}', flush=True)

"""First PING after a cut in rcsim, the counterpart of ping_after_cut_real.py: `rcsim console`
with six nodes, node-timeout 5 s, no clients; per trial n1 is cut off for 4 s and CLUSTER NODES
on n2 and n3 is read every 20 ms of virtual time for n1's ping-sent; then healed for 8 s.
Prints the 20 ms step at which the ping was first pending. Usage: ping_after_cut_rcsim.py
RCSIM SEEDS TRIALS"""
import subprocess, sys

rcsim, seeds, trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = ['.advance 12s']
for t in range(trials):
    lines.append('.partition n1 | rest')
    for k in range(200):
        lines += ['.advance 20ms', '.use n2', 'CLUSTER NODES', '.use n3', 'CLUSTER NODES']
    lines += ['.heal', '.advance 8s']
script = '\n'.join(lines) + '\n'
for seed in range(1, seeds + 1):
    out = subprocess.run([rcsim, 'console', '--masters', '3', '--replicas', '1', '--seed', str(seed),
                          '--set', 'node-timeout=5000'], input=script, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    n1 = [l for l in out if ' 127.0.0.1:30001@' in l and 'myself' not in l]
    assert len(n1) == trials * 400, len(n1)
    for t in range(trials):
        chunk = n1[t * 400:(t + 1) * 400]
        for who, off in (('n2', 0), ('n3', 1)):
            first = next((k * 20 for k, l in enumerate(chunk[off::2], 1) if l.split()[4] != '0'), None)
            print(f'rcsim seed {seed} trial {t} {who} first_ping_after_cut_le {first}')

#!/usr/bin/env python3
"""Recompute test_trace_golden's fingerprint from the definition in sim/trace.c, independently
of rcsim's code: 57-byte records (kind, time, a, b, c, payload length little-endian; the
payload's XXH3-128, high half first, each half big-endian, as xxhsum -H2 prints it), grouped
64 to a batch; the SHA-256 of the batches' XXH3-128 digests in the same form. Needs xxhsum
(Debian package xxhash). Prints the hex fingerprint."""
import hashlib
import struct
import subprocess
import tempfile

def xxh128(data: bytes) -> bytes:
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["xxhsum", "-H2", f.name], capture_output=True, text=True,
                             check=True).stdout
    return bytes.fromhex(out.split()[0])

def record(kind, time, a, b, c, payload=b""):
    head = struct.pack("<Bqqqqq", kind, time, a, b, c, len(payload))
    return head + (xxh128(payload) if payload else bytes(16))

def fingerprint(records):
    sha = hashlib.sha256()
    for i in range(0, len(records), 64):
        sha.update(xxh128(b"".join(records[i:i + 64])))
    return sha.hexdigest()

M64 = (1 << 64) - 1
def s64(v):  # the record stores the 64-bit pattern; struct wants a signed value
    v &= M64
    return v - (1 << 64) if v >> 63 else v

buf = bytes((i * 131 + 17) & 0xff for i in range(2261))
recs = []
for n in range(41):
    recs.append(record(1, n * 1000003, n, 7, s64(0x0123456789abcdef + n), buf[n:n + n]))
recs.append(record(1, 0x7edcba9876543210, 1, 2, s64(M64), buf))
recs.append(record(2, 123456789, 3, s64(-5), 0))
recs.append(record(5, 42, 1, 2, 3, b"partition#1 {n1} | {n2,n3}"))
recs.append(record(6, 43, 0, 0, 0))
for n in range(100):  # past two batch boundaries
    recs.append(record(2, 200000000 + n, n % 6, n * 1000, 0))
print(fingerprint(recs))

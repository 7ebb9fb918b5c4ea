"""Which keys an import may have met already: 48-bit fingerprints beside the ledger's table.

Nearly every key of a file is met once, yet the ledger looked each one up in its temporary
table (4,000 index probes a chunk: on PostgreSQL a fifth of an import's server time). This
answers "never met" for certain without the database, so only the keys it cannot rule out are
looked up. A key is kept as 48 bits of its hash: 16 choose one of 65,536 buckets, 32 are
stored in it. A key never added passes for one added once in 2**32 per key of its bucket:
about 0.06 keys in vain for a whole 4,000,000-key file.

Why not a Bloom filter (the first version: 8 MiB, two bits a key): its rare false positives
(32 a run at 100,000 widgets, 856 in 1,000,000 keys) each sent a look-up to PostgreSQL's
ledger, whose first look-up builds its index, kept up for every later row: a random-key b-tree
in 8 MB of temporary buffers (COPY into the ledger grew from 10 to 25 ms a chunk at 100,000
widgets; 1,000,000 slowed to under 6,000 rows/s). The cost a key is the same (0.82 us to add
and look up, against 0.82); the memory is 4 bytes a key and 4 MiB of empty buckets: about
22 MiB at 4,000,000 keys, against the filter's 8.
"""
import struct

BUCKET_BITS = 16
BUCKET_MASK = (1 << BUCKET_BITS) - 1
FINGERPRINT_BYTES = 4
FINGERPRINT_MASK = (1 << (8 * FINGERPRINT_BYTES)) - 1
_fingerprint_bytes = struct.Struct("<I").pack


class SeenKeys:
    def __init__(self):
        self.buckets = [bytearray() for _ in range(BUCKET_MASK + 1)]

    def add(self, keys):
        buckets, pack = self.buckets, _fingerprint_bytes
        for key in keys:
            code = hash(key)  # this process's: the fingerprints live no longer than it
            buckets[code & BUCKET_MASK] += pack((code >> BUCKET_BITS) & FINGERPRINT_MASK)

    def maybe(self, keys):
        """The keys that may have been added (those not returned were not)."""
        buckets, pack, found = self.buckets, _fingerprint_bytes, []
        for key in keys:
            code = hash(key)
            bucket = buckets[code & BUCKET_MASK]
            fingerprint = pack((code >> BUCKET_BITS) & FINGERPRINT_MASK)
            at = bucket.find(fingerprint)
            if at != -1 and _holds(bucket, fingerprint, at):
                found.append(key)
        return found


def _holds(bucket, fingerprint, at):
    """`fingerprint` is one of the bucket's: found where a fingerprint starts (from `at`, its
    first match), not across two neighbours."""
    while at != -1:
        if at % FINGERPRINT_BYTES == 0:
            return True
        at = bucket.find(fingerprint, at + 1)
    return False

"""Which keys an import may have met already, answered in memory beside the ledger's table.

Nearly every key of a file is met once, yet the ledger looked each one up in its temporary
table (4,000 index probes a chunk: on PostgreSQL a fifth of an import's server time). These
answer "never met" for certain without the database, so only the keys they cannot rule out
are looked up. Two kinds, by what a look-up in vain costs (`for_dialect`):

* `Fingerprints` (PostgreSQL): 48 bits of a key's hash, 16 choosing one of 65,536 buckets and
  32 stored in it. A key never added passes for one added once in 2**32 per key of its
  bucket: about 0.06 keys in vain for a whole 4,000,000-key file. There a look-up in vain is
  dear: the ledger's first look-up builds its uuid index, kept up for every later row, a
  random-key b-tree in 8 MB of temporary buffers. With the Bloom filter's rare false
  positives (32 a run at 100,000 widgets) COPY into the ledger grew from 10 to 25 ms a chunk,
  and a 1,000,000-widget import slowed to under 6,000 rows/s. 4 bytes a key and 4 MiB of
  empty buckets: about 22 MiB at 4,000,000 keys, in a process that holds no database.
* `BloomFilter` (SQLite): 2**26 bits (8 MiB whatever the file's size), two bits a key: 1 % of
  keys are looked up in vain at 4,000,000 keys met, each one probe of the ledger's own
  index. SQLite's page caches share the process's 250 MB with it, so it stays small.

Both cost about the same a key (0.82 us added and looked up).
"""
import struct

BUCKET_BITS = 16
BUCKET_MASK = (1 << BUCKET_BITS) - 1
FINGERPRINT_BYTES = 4
FINGERPRINT_MASK = (1 << (8 * FINGERPRINT_BYTES)) - 1
_fingerprint_bytes = struct.Struct("<I").pack


def for_dialect(name):
    """The kind of seen keys for a ledger on database `name` (see above)."""
    return Fingerprints() if name == "postgresql" else BloomFilter()


class Fingerprints:
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


BLOOM_BITS = 26
BLOOM_MASK = (1 << BLOOM_BITS) - 1


class BloomFilter:
    def __init__(self):
        self.bits = bytearray(1 << (BLOOM_BITS - 3))

    def add(self, keys):
        bits = self.bits
        for key in keys:
            code = hash(key)  # this process's: the filter lives no longer than it
            first, second = code & BLOOM_MASK, (code >> BLOOM_BITS) & BLOOM_MASK
            bits[first >> 3] |= 1 << (first & 7)
            bits[second >> 3] |= 1 << (second & 7)

    def maybe(self, keys):
        """The keys that may have been added (those not returned were not)."""
        bits, found = self.bits, []
        for key in keys:
            code = hash(key)
            first, second = code & BLOOM_MASK, (code >> BLOOM_BITS) & BLOOM_MASK
            if bits[first >> 3] & (1 << (first & 7)) and bits[second >> 3] & (1 << (second & 7)):
                found.append(key)
        return found

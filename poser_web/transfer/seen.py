"""Which keys an import may have met already: a Bloom filter beside the ledger's table.

Nearly every key of a file is met once, yet the ledger looked each one up in its temporary
table (4,000 index probes a chunk: on PostgreSQL a fifth of an import's server time). The
filter answers "never met" for certain without the database, so only the few keys it cannot
rule out are looked up. 2**26 bits (8 MiB, whatever the file's size), two bits a key: 1 % of
keys are looked up in vain at 4,000,000 keys met, none to speak of at 100,000.
"""
BITS = 26
MASK = (1 << BITS) - 1


class SeenKeys:
    def __init__(self):
        self.bits = bytearray(1 << (BITS - 3))

    def add(self, keys):
        bits = self.bits
        for key in keys:
            code = hash(key)  # this process's: the filter lives no longer than it
            first, second = code & MASK, (code >> BITS) & MASK
            bits[first >> 3] |= 1 << (first & 7)
            bits[second >> 3] |= 1 << (second & 7)

    def maybe(self, keys):
        """The keys that may have been added (those not returned were not)."""
        bits, found = self.bits, []
        for key in keys:
            code = hash(key)
            first, second = code & MASK, (code >> BITS) & MASK
            if bits[first >> 3] & (1 << (first & 7)) and bits[second >> 3] & (1 << (second & 7)):
                found.append(key)
        return found

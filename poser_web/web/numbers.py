"""Whole numbers read from addresses and forms: ASCII digits only (`²` is a digit to
`str.isdigit`), and never beyond what the column compared with can hold — a bigger one is
an overflow error in the database (PostgreSQL's integer stops at 2**31 - 1)."""
import re

INTEGER_MAX = 2**31 - 1  # Integer columns, on every database
BIG_INTEGER_MAX = 2**63 - 1  # BigInteger columns
_DIGITS = re.compile(r"[0-9]{1,19}")


def whole_number(text, maximum=INTEGER_MAX, minimum=0):
    """`text` as an int if it is ASCII digits from `minimum` to `maximum`, else None."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None

"""The keys an import met in earlier chunks (transfer/ledger.py): fingerprints (seen.py) rule
nearly every key out, the temporary table answers for the rest (its PostgreSQL index made on first need);
a key used twice, or a child row moved after its record left it, is still refused across
chunks. And the PostgreSQL key lists (lookups.py) carry any text."""
import csv
import io

import pytest
from sqlalchemy import func, select

from poser_web.tables.widgets.models import Widget
from poser_web.tables.widgets.views import WidgetView
from poser_web.transfer import LayoutError, import_file
from poser_web.transfer.engine import CHUNK
from poser_web.transfer.lookups import array_literal
from poser_web.transfer.seen import BloomFilter, Fingerprints, for_dialect

WIDGETS = WidgetView.describe()
HEADER = ["type", "uuid", "description", "active", "item_code"]


def key(kind, n):
    return f"{kind}{n:031x}"


def text_of(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *rows])
    return out.getvalue().encode()


def filler(count, start=100):
    """`count` widgets without components (past a chunk of records)."""
    return [("widget", key("f", start + n), f"Filler {n}", "true", "") for n in range(count)]


def test_the_fingerprints_forget_no_key_and_rule_out_the_others():
    seen = Fingerprints()
    added = [key("a", n) for n in range(200_000)]  # a 50,000-widget file's keys
    seen.add(added)
    assert seen.maybe(added) == added
    # None in vain (2**-32 a key of the bucket): on PostgreSQL one would make the ledger
    # build and keep up its index for the rest of the import. (The Bloom filter before it
    # let about 7 through here.)
    others = [key("b", n) for n in range(200_000)]
    assert seen.maybe(others) == []


def test_the_bloom_filter_forgets_no_key():
    seen = BloomFilter()
    added = [key("a", n) for n in range(20000)]
    seen.add(added)
    assert seen.maybe(added) == added
    others = [key("b", n) for n in range(20000)]
    assert len(seen.maybe(others)) < 20  # a few false positives at most


def test_postgresql_ledgers_keep_fingerprints_and_sqlite_ones_a_bloom_filter():
    """A look-up in vain builds PostgreSQL's ledger index; SQLite's is a probe of an index it
    has anyway, and its page caches need the memory."""
    assert isinstance(for_dialect("postgresql"), Fingerprints)
    assert isinstance(for_dialect("sqlite"), BloomFilter)


def test_a_fingerprint_is_found_only_where_one_starts():
    """Bytes that match across two stored fingerprints are no fingerprint."""
    from poser_web.transfer.seen import _holds

    bucket = bytearray(b"\x01\x02\x03\x04\x05\x06\x07\x08")
    assert _holds(bucket, b"\x05\x06\x07\x08", bucket.find(b"\x05\x06\x07\x08"))
    assert not _holds(bucket, b"\x03\x04\x05\x06", bucket.find(b"\x03\x04\x05\x06"))


def test_a_key_used_again_in_a_later_chunk_is_refused(dbsession):
    rows = [("widget", key("a", 1), "First", "true", "")] + filler(CHUNK + 5)
    rows.append(("widget", key("a", 1), "Again", "true", ""))
    with pytest.raises(LayoutError) as raised:
        import_file(dbsession.connection(), WIDGETS, io.BytesIO(text_of(rows)))
    assert raised.value.line == len(rows) + 1
    assert f"uuid {key('a', 1)} appears twice in the file (first on line 2)" in str(raised.value)


def test_a_component_left_out_cannot_join_a_later_widget(dbsession):
    first = [("widget", key("a", 1), "One", "true", ""),
             ("component", key("c", 1), "Part", "true", "P1"),
             ("widget", key("a", 2), "Two", "true", "")]
    import_file(dbsession.connection(), WIDGETS, io.BytesIO(text_of(first)))
    # The component leaves widget one in the first chunk and shows up under two in a later one.
    moved = [first[0]] + filler(CHUNK + 5) + [first[2], ("component", key("c", 1), "Part", "true",
                                                          "P1")]
    with pytest.raises(LayoutError) as raised:
        import_file(dbsession.connection(), WIDGETS, io.BytesIO(text_of(moved)))
    assert raised.value.line == len(moved) + 1
    assert f"belongs to another widget ({key('a', 1)})" in str(raised.value)


def test_a_clean_file_over_several_chunks_imports(dbsession):
    rows = filler(2 * CHUNK + 3)
    report = import_file(dbsession.connection(), WIDGETS, io.BytesIO(text_of(rows)))
    assert report.tally.records.created == len(rows)
    assert dbsession.scalar(select(func.count()).select_from(Widget)) == len(rows)


@pytest.mark.only_db("postgresql")
def test_postgresql_key_lists_carry_any_text(dbsession):
    connection = dbsession.connection()
    keys = ["plain", "NULL", "a,b", "{}", " spaced ", 'quo"te', "back\\slash", "", "é"]
    for given in (keys, [], ["one"]):
        found = connection.exec_driver_sql("SELECT unnest(CAST(%s AS text[]))",
                                           (array_literal(given),)).scalars()
        assert list(found) == given

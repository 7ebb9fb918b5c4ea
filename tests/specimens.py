"""Seeding Specimen rows (tests/sample) for the list, filter and export tests."""
from datetime import date, datetime
from decimal import Decimal

from tests.factories import specimen as add_specimen  # the list tests import it here
from tests.sample.models import Size

COLORS = ("red", "green", "blue")


def fifty(session, widgets):
    """50 specimens; about half of each nullable column NULL, with many ties."""
    specimens = []
    for i in range(50):
        def maybe(j, value, i=i):
            return None if (i // (j % 3 + 1) + j) % 2 == 0 else value
        specimens.append(add_specimen(
            session, f"S{i:02d}",
            notes=maybe(1, f"note {i % 7}"),
            quantity=maybe(2, i % 6 - 2),
            weight=maybe(3, Decimal(i % 8) / 4),
            active=i % 3 != 0,
            received=maybe(4, date(2026, 1, 1 + i % 9)),
            checked_at=maybe(5, datetime(2026, 3, 1, i % 24, i % 60, 30)),
            color=maybe(6, COLORS[i % 3]),
            size=maybe(7, list(Size)[i % 3]),
            widget=maybe(8, widgets[i % len(widgets)]),
        ))
    return specimens

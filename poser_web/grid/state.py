"""What a list page was asked for (GridState, its parameters' checks) and what it answers (GridPage)."""
from dataclasses import dataclass, field, replace
from math import ceil

from ..db.estimate import rounded
from .filters import GridError

PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
# Beyond any real table's last page; keeps OFFSET within what databases accept.
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class GridState:
    """What the user asked for: every list-page parameter, validated."""

    q: str = ""
    filters: dict = field(default_factory=dict)
    sort: str = ""
    direction: str = "asc"
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    # Keyset cursors, set by the Next / Previous links: (sort value, key) of the
    # row just before (after) this page. The page is then found from there,
    # at the same cost however deep it is; `page` only numbers it.
    after: tuple | None = None
    before: tuple | None = None

    def with_changes(self, **changes):
        return replace(self, **changes)


@dataclass
class GridPage:
    """One page of results and what the pager needs to describe it honestly."""

    rows: list  # (instance, [cell value per grid column]) pairs
    total: int
    total_is_exact: bool
    page: int
    per_page: int
    next_cursor: str | None = None  # for the Next link: continue after the last row
    prev_cursor: str | None = None  # for the Previous link: continue before the first row
    estimate: int | None = None  # the database's estimate of an unfiltered total above the limit

    @property
    def total_text(self):
        """The total as the page says it: exact, "about" the estimate, or "more than" the limit."""
        if self.total_is_exact:
            return f"{self.total:,}"
        if self.estimate:
            return f"about {rounded(self.estimate):,}"
        return f"more than {self.total:,}"

    @property
    def pages(self):
        return max(1, ceil(self.total / self.per_page))

    @property
    def first_index(self):
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self):
        return (self.page - 1) * self.per_page + len(self.rows)

    @property
    def has_next(self):
        return self.page < self.pages or (not self.total_is_exact and len(self.rows) == self.per_page)


def whole_number(raw, name, default):
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise GridError(f"{name} must be a whole number, not {raw!r}.") from None


def positive_int(raw, name, default):
    value = whole_number(raw, name, default)
    if value < 1:
        raise GridError(f"{name} must be 1 or more, not {value}.")
    return value

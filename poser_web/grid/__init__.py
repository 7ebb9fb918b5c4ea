"""List pages without HTTP: a Grid's query, search, typed filters, sort, keyset pages and
downloads, declared by name (`declared`) or built from these objects."""
from .core import (  # noqa: F401
    DEFAULT_COUNT_LIMIT,
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    Column,
    Contains,
    Grid,
    GridError,
    RelatedContains,
    YesNoFilter,
)

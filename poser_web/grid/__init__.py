"""List pages without HTTP: a Grid's query, search, typed filters, sort, keyset pages and
downloads, declared by name (`declared`) or built from these objects."""
from .columns import Column, Contains, RelatedContains  # noqa: F401
from .core import DEFAULT_COUNT_LIMIT, Grid  # noqa: F401
from .filters import GridError, YesNoFilter  # noqa: F401
from .state import DEFAULT_PAGE_SIZE, PAGE_SIZES  # noqa: F401

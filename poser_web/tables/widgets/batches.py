"""The widget batch types (registered on import): file import and bulk change."""
from . import batch_bulk, batch_import  # noqa: F401

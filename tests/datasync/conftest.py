"""The change-capture tests' own database (fixtures found by name), for the bulk-capture tests."""
from tests.datasync.test_datasync_capture import own, own_database  # noqa: F401

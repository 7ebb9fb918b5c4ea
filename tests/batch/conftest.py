"""A committed (not rolled-back) database, shared by the batch tests that start workers."""
from tests.batch.test_batch_commands import real_db  # noqa: F401 (a fixture, found by name)

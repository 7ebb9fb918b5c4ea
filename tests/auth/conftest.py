"""The CLI tests' database fixture, for the tests of `poser passwd` ending sessions."""
from tests.cli.test_cli_users import cli_db  # noqa: F401 (a fixture, found by name)

"""A served app keeps its start-up objects out of the collector's full passes
(web/startup_gc.py): set in both ini files, off where the setting is absent."""
import gc
from configparser import ConfigParser

import pytest

from poser_web import main
from poser_web.web.startup_gc import SETTING
from tests.databases import REPO


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("ini", ["development.ini", "production.ini"])
def test_both_ini_files_ask_for_it(ini):
    parser = ConfigParser(interpolation=None)
    parser.read(REPO / ini)
    assert parser["app:main"].get(SETTING) == "true"


def test_an_app_built_with_the_setting_freezes_what_start_up_made(app_settings, unfrozen):
    app = main({}, **app_settings, **{SETTING: "true"})
    try:
        # The routes, views and mappers: far more than the collector's first threshold.
        assert gc.get_freeze_count() > 10_000
        assert gc.is_tracked(app.registry) and gc.get_freeze_count() >= len(gc.get_objects()) // 2
    finally:
        app.registry["db_engine"].dispose()


def test_without_the_setting_nothing_is_frozen(app_settings, unfrozen):
    app = main({}, **app_settings)
    try:
        assert gc.get_freeze_count() == 0
    finally:
        app.registry["db_engine"].dispose()

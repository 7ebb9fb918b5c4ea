"""The server logs each request: method, path, status, milliseconds."""
import logging
import re


def test_each_request_is_logged_once(testapp, caplog):
    with caplog.at_level(logging.INFO, logger="poser_web.requests"):
        testapp.get("/widgets?sort=description")
        testapp.get("/widgets/" + "0" * 32, status=404)
    lines = [r.getMessage() for r in caplog.records if r.name == "poser_web.requests"]
    assert len(lines) == 2
    assert re.fullmatch(r"GET /widgets\?sort=description 200 \d+\.\d ms", lines[0])
    assert re.fullmatch(r"GET /widgets/0{32} 404 \d+\.\d ms", lines[1])


def test_quiet_unless_the_logger_is_enabled(testapp, caplog):
    testapp.get("/widgets")
    assert not [r for r in caplog.records if r.name == "poser_web.requests"]


def test_the_line_names_where_it_was_logged_from(testapp, caplog):
    """As log.info would (the ini's format shows the line): the tween, in request_log.py."""
    with caplog.at_level(logging.INFO, logger="poser_web.requests"):
        testapp.get("/widgets")
        testapp.get("/widgets")
    records = [r for r in caplog.records if r.name == "poser_web.requests"]
    assert {(r.filename, r.funcName, r.levelname) for r in records} == {
        ("request_log.py", "request_log_tween", "INFO")}
    assert len({r.lineno for r in records}) == 1 and records[0].lineno > 1

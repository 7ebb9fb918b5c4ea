"""web/html.escape: html.escape's text for every value, nothing for None, markup as it is."""
import html

import pytest
from markupsafe import Markup

from poser_web.web.html import escape


@pytest.mark.parametrize("value", ["", "plain", "a & b", "<b>", 'say "hi"', "it's", "x>y",
                                   "long text without specials " * 20, "ünïcödé <&>", 12, 1.5])
def test_text_is_escaped_as_html_escape_does(value):
    assert escape(value) == html.escape(str(value))


def test_none_is_nothing_and_markup_stays():
    assert escape(None) == ""
    assert escape(Markup("<b>bold</b>")) == "<b>bold</b>"

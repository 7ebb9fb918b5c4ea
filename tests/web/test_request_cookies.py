"""request_cookie gives what request.cookies gives, whatever the Cookie header holds."""
import pytest
from pyramid.request import Request

from poser_web.web.request_cookies import request_cookie

NAMES = ("poser_session", "poser_flash", "poser_csrf", "other", "path", "$x")
HEADERS = [
    "",
    "poser_session=" + "a" * 43,
    "poser_session=" + "a-_9" * 10 + "abc; poser_flash=eyJzIjpbIlNhdmVkIl19.0123abcd; poser_csrf=x",
    "poser_session=first; poser_session=second",  # the last one counts, as in WebOb
    "poser_session=; other=1;",
    "poser_session=a;other=b",
    "poser_session=\tx; other=y",
    'poser_session="quoted"; other=1',
    "poser_session = spaced; other=1",
    "poser_session=a,b; other=c",
    "other=a=b; poser_session=tok",
    "path=/; poser_session=tok",
    "$x=1; poser_session=tok",
    "poser_session=t\\101k",
    "poser_flash=caf\xe9; poser_session=tok",
    "garbage; poser_session=tok",
    "poser_session=tok; expires=Wed, 09 Jun 2021 10:18:14 GMT",
]


@pytest.mark.parametrize("header", HEADERS)
def test_the_same_value_as_webob(header):
    for name in NAMES:
        fast = Request.blank("/", environ={"HTTP_COOKIE": header})
        slow = Request.blank("/", environ={"HTTP_COOKIE": header})
        assert request_cookie(fast, name, "absent") == slow.cookies.get(name, "absent"), name


def test_a_changed_header_is_read_again():
    request = Request.blank("/", environ={"HTTP_COOKIE": "poser_session=one"})
    assert request_cookie(request, "poser_session") == "one"
    request.environ["HTTP_COOKIE"] = "poser_session=two"
    assert request_cookie(request, "poser_session") == "two"

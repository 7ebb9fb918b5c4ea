"""A urlencoded form is read as WebOb reads it (web/form_body.py), value for value."""
import pytest
from webob import Request

from poser_web.web.form_body import read_form

BODIES = [
    b"a=1&b=2&a=3",
    b"description=Gear+%26+cog&__start__=components%3Asequence&item_code=&__end__=components%3Asequence",
    b"name=Z%C3%BCrich+%E2%80%93+caf%C3%A9&empty=&novalue&=orphan",
    b"bad=%FF%FE&raw=\xff\xfe&plus=%2B+&semi=a;b=c",
    b"",
    b"&&a=&&",
    b"nul=%00&deep=%25252F",
]


def request_for(body, **extra):
    return Request.blank("/save", method="POST", body=body,
                         content_type="application/x-www-form-urlencoded", **extra)


@pytest.mark.parametrize("body", BODIES)
def test_the_same_fields_as_webob_in_the_same_order(body):
    ours = request_for(body)
    read_form(ours)
    assert list(ours.POST.items()) == list(request_for(body).POST.items())
    assert ours.body == body  # still readable whole, as after WebOb's parse


def test_a_body_longer_than_its_content_length_is_cut_as_webob_cuts_it():
    ours, theirs = (request_for(b"a=1&b=2", headers={"Content-Length": "3"}) for _ in range(2))
    read_form(ours)
    assert list(ours.POST.items()) == list(theirs.POST.items()) == [("a", "1")]


def test_multipart_and_other_methods_are_left_to_webob():
    body = b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'
    multipart = Request.blank("/up", method="POST", body=body, content_type="multipart/form-data; boundary=x")
    read_form(multipart)
    assert "webob._parsed_post_vars" not in multipart.environ
    assert list(multipart.POST.items()) == [("a", "1")]
    put = Request.blank("/x", method="PUT", body=b"a=1", content_type="application/x-www-form-urlencoded")
    read_form(put)
    assert "webob._parsed_post_vars" not in put.environ

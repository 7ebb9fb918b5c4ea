"""The input guard's refusals name what was wrong without echoing hostile input whole, and
it checks forms only: another kind of body is its handler's to judge (web/input_guard.py)."""
import json

from tests.api.test_write import api  # noqa: F401 (a fixture, found by name)
from tests.helpers import csrf_token


def test_a_long_charset_is_quoted_cut_to_40_characters(anonymous_app):
    token = anonymous_app.get("/login").forms[0]["csrf_token"].value
    charset = "x" * 39 + "yz" + "w" * 20
    response = anonymous_app.post(
        "/login", f"csrf_token={token}&username=ann&password=x".encode(),
        content_type=f"application/x-www-form-urlencoded; charset={charset}", status=400)
    assert f"The form must be sent as UTF-8, not '{'x' * 39}y'." in response.text


def test_a_field_name_with_a_nul_is_named_without_it(testapp):
    token = csrf_token(testapp)
    response = testapp.post("/widgets/new", f"csrf_token={token}&descr%00iption=x".encode(),
                            content_type="application/x-www-form-urlencoded", status=400)
    assert "The field 'description' contains a NUL character." in response.text


def test_a_json_body_in_another_charset_is_the_apis_to_judge(api):  # noqa: F811
    """Not a form: the charset check of forms does not apply (the API reads ASCII JSON)."""
    body = json.dumps({"description": "Sprocket", "active": True, "components": []})
    response = api.post("/api/widgets", body.encode(), status=201,
                        content_type="application/json; charset=latin-1")
    assert response.json["description"] == "Sprocket"

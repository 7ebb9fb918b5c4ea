"""Redirects carry no body: browsers follow the Location and never show one."""


def test_a_save_answers_a_bodyless_303(testapp):
    page = testapp.get("/widgets/new")
    form = page.forms["master-form"]
    form["description"] = "bodyless redirect"
    response = form.submit("save", status=303)
    assert response.location and response.body == b""
    assert response.headers["Content-Length"] == "0"
    assert "Created widget" in response.follow().text  # its message on the next page


def test_the_login_redirect_of_an_anonymous_page_has_no_body(anonymous_app):
    response = anonymous_app.get("/widgets", status=(302, 303))
    assert "/login" in response.location and response.body == b""

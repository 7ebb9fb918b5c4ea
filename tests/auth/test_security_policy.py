"""Who may do what, and the HSTS header, as README documents them (auth/security.py): a
logged-in user has what their roles grant, and no more; Strict-Transport-Security is a year
when the site is HTTPS only (`poser.secure_cookies = true`), `poser.hsts_max_age` to change it,
`0` for none."""
from types import SimpleNamespace

import pytest

from poser_web.auth.security import AUTHENTICATED, Identity, SecurityPolicy, hsts_header

EDITOR = Identity("e" * 32, "ed", all_permissions=False, permissions=["widgets.edit"])
ADMIN = Identity("a" * 32, "root", all_permissions=True, permissions=[])


def permits(identity, permission):
    return bool(SecurityPolicy().permits(SimpleNamespace(identity=identity), None, permission))


def test_a_user_has_what_their_roles_grant_and_no_more():
    assert permits(EDITOR, "widgets.edit")
    assert not permits(EDITOR, "widgets.delete")
    assert permits(EDITOR, AUTHENTICATED)     # any logged-in user
    assert permits(ADMIN, "widgets.delete")   # a role granting all
    assert not permits(None, AUTHENTICATED)   # not logged in


def test_the_answers_say_who_has_or_lacks_what():
    policy, request = SecurityPolicy(), SimpleNamespace(identity=EDITOR)
    assert policy.permits(request, None, "widgets.edit").msg == "ed has widgets.edit."
    assert str(policy.permits(request, None, "widgets.delete")) == "ed lacks widgets.delete."
    assert policy.permits(SimpleNamespace(identity=None), None, "x").msg == "Not logged in."


def test_the_authenticated_user_is_the_logged_in_one():
    policy = SecurityPolicy()
    assert policy.authenticated_userid(SimpleNamespace(identity=EDITOR)) == "e" * 32
    assert policy.authenticated_userid(SimpleNamespace(identity=None)) is None


@pytest.mark.parametrize("settings, header", [
    ({}, None),
    ({"poser.secure_cookies": "false"}, None),
    ({"poser.secure_cookies": "true"}, "max-age=31536000"),
    ({"poser.secure_cookies": "True"}, "max-age=31536000"),
    ({"poser.secure_cookies": "true", "poser.hsts_max_age": "0"}, None),
    ({"poser.secure_cookies": "true", "poser.hsts_max_age": "1"}, "max-age=1"),
    ({"poser.hsts_max_age": "600"}, "max-age=600"),
])
def test_strict_transport_security(settings, header):
    assert hsts_header(settings) == header


def test_a_secret_of_32_characters_is_long_enough_31_is_not():
    from poser_web.auth.security import ConfigurationError, check_secret

    assert check_secret({"poser.secret": "s" * 32}) == "s" * 32
    with pytest.raises(ConfigurationError, match="shorter than 32 characters"):
        check_secret({"poser.secret": "s" * 31})

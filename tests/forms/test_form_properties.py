"""Property-based: whatever is thrown at create and edit, never a 500, never half-saved.

Each example either saves exactly what was sent (trimmed, blank rows dropped)
or is refused with a message and changes nothing.
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import add_widget, csrf_token, widget_form

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Any text a browser could send (no lone surrogates: they cannot be encoded).
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
short_text = st.one_of(any_text, st.text(max_size=25), st.just(""), st.just("   "))
rows = st.lists(st.fixed_dictionaries({
    "item_code": short_text, "description": short_text, "active": st.booleans(),
    "uuid": st.one_of(st.just(""), st.text("0123456789abcdef", min_size=32, max_size=32),
                      st.text(max_size=40)),
}), max_size=6)
junk = st.lists(st.tuples(st.sampled_from(["__start__", "__end__", "components", "uuid",
                                           "item_code", "active", "description", "version"]),
                          any_text), max_size=4)


def snapshot(session):
    session.expire_all()
    widgets = [(w.uuid, w.description, w.active, w.version) for w in
               session.scalars(select(Widget).order_by(Widget.uuid))]
    components = [(c.uuid, c.widget_uuid, c.item_code, c.description, c.active) for c in
                  session.scalars(select(Component).order_by(Component.uuid))]
    return widgets, components


def expected_rows(sent, keep_uuids=False):
    kept = [r for r in sent if r["item_code"].strip() or r["description"].strip() or r["uuid"]]
    return sorted((r["item_code"].strip(), r["description"].strip(), r["active"]) for r in kept)


def check_outcome(response, session, before, description, sent_rows, widget_uuid=None):
    assert response.status_int < 500, response.text[:500]
    after = snapshot(session)
    if response.status_int == 303:
        uuid = widget_uuid or response.location.rsplit("/", 1)[1]
        widget = session.get(Widget, uuid)
        assert widget.description == description.strip()
        assert sorted((c.item_code, c.description, c.active) for c in widget.components) == \
            expected_rows(sent_rows)
    else:
        assert response.status_int in (400, 409)
        assert "not saved" in response.text or "Not saved" in response.text
        assert after == before  # nothing half-saved


@pytest.fixture
def token(testapp):
    return csrf_token(testapp)


@SETTINGS
@given(description=any_text, sent_rows=rows, active=st.booleans(), extra=junk)
def test_create_saves_exactly_or_refuses(testapp, dbsession, token, description, sent_rows,
                                         active, extra):
    savepoint = dbsession.begin_nested()
    try:
        before = snapshot(dbsession)
        fields = widget_form(token, description, active=active, components=sent_rows)
        response = testapp.post("/widgets/new", fields + extra if extra else fields,
                                expect_errors=True)
        if extra:  # a malformed structure: only "no 500, nothing half-saved" holds
            assert response.status_int < 500
            if response.status_int != 303:
                assert snapshot(dbsession) == before
        else:
            check_outcome(response, dbsession, before, description, sent_rows)
    finally:
        savepoint.rollback()


@SETTINGS
@given(description=any_text, sent_rows=rows, keep_existing=st.booleans(),
       version_offset=st.sampled_from([0, 0, 0, -1, 1]))
def test_edit_saves_exactly_or_refuses(testapp, dbsession, token, description, sent_rows,
                                       keep_existing, version_offset):
    savepoint = dbsession.begin_nested()
    try:
        widget = add_widget(dbsession, "Existing", components=[("E1", "one"), ("E2", "two")])
        if keep_existing:  # send the existing rows back (by uuid) along with the new ones
            sent_rows = [{"uuid": c.uuid, "item_code": c.item_code, "description": c.description,
                          "active": c.active} for c in widget.components] + sent_rows
        before = snapshot(dbsession)
        response = testapp.post(
            f"/widgets/{widget.uuid}/edit",
            widget_form(token, description, components=sent_rows,
                        version=widget.version + version_offset),
            expect_errors=True)
        if version_offset:
            assert response.status_int in (400, 409)
        check_outcome(response, dbsession, before, description, sent_rows, widget.uuid)
    finally:
        savepoint.rollback()


# -- declared rules (issue 18): values that break them, on every table that declares them ------


def masters_with_rules(app):
    """(view class, model) of every form of the app whose model declares unique keys or ranges."""
    from pyramid.interfaces import IRoutesMapper

    from poser_web.forms.rules import has_rules
    from poser_web.views.master import MasterView

    mapper = app.registry.getUtility(IRoutesMapper)
    found, pending = [], list(MasterView.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.form_fields and cls.route_prefix and mapper.get_route(f"{cls.route_prefix}.create") \
                and has_rules(cls.model):
            found.append(cls)
    return sorted(found, key=lambda cls: cls.route_prefix)


def rule_breaking(column, taken):
    """Values typed into a ruled column's field: around its range's ends, values other
    records hold (`taken`), blanks and any text."""
    from decimal import Decimal

    from poser_web.models.rules import bounds

    low, high = bounds(column)
    near = [b + d for b in (low, high) if b is not None for d in (-1, 0, 1)]
    near += [Decimal(str(b)) + d for b in (low, high) if b is not None
             for d in (Decimal("-0.01"), Decimal("0.01"))]
    # Mostly candidates (blank is valid for an optional field), so that one broken rule at a
    # time reaches the save; sometimes any text.
    candidates = st.sampled_from(["", ""] + [str(v) for v in near + list(taken) if v is not None])
    return st.one_of(candidates, candidates, candidates, candidates, st.text(max_size=12))


def ruled_fields(master, existing):
    """{form field: strategy} of the fields of `master`'s form under a declared rule."""
    from sqlalchemy import inspect

    from poser_web.models.rules import bounds, unique_keys

    keyed = {k for key in unique_keys(master.model) for k in key.keys}
    ruled = {}
    for name in master.form_fields:
        attr = inspect(master.model).column_attrs.get(name)
        if attr is not None and (name in keyed or any(b is not None for b in bounds(attr.columns[0]))):
            ruled[name] = rule_breaking(attr.columns[0], [getattr(existing, name)])
    return ruled


def required_values(master, ruled):
    """A valid value for each required field no rule covers."""
    from sqlalchemy import inspect

    from tests.helpers import sample_value

    columns = inspect(master.model).column_attrs
    return {n: sample_value(columns[n].columns[0], 99) for n in master.form_fields
            if n in columns and not columns[n].columns[0].nullable and n not in ruled}


def test_values_breaking_declared_rules_are_refused_never_a_500(app, testapp, dbsession):
    """For every table whose model declares rules: values around each range's ends, values
    another record holds in a unique field, blanks and any text. Each is saved obeying the
    rules, or refused with a 400 and nothing saved."""
    from sqlalchemy import inspect

    from poser_web.models.rules import unique_keys
    from tests.helpers import create_record, sample_value

    masters = masters_with_rules(app)
    assert "specimens" in [m.route_prefix for m in masters]
    for master in masters:
        model = master.model
        existing = create_record(dbsession, model)
        for key in {k for unique in unique_keys(model) for k in unique.keys}:
            if getattr(existing, key) is None:  # a value the examples can repeat
                setattr(existing, key, sample_value(inspect(model).column_attrs[key].columns[0], 7))
        dbsession.flush()
        ruled = ruled_fields(master, existing)
        required = required_values(master, ruled)
        form_page = testapp.get(f"{master.url_prefix}/new")
        saving_never_breaks_the_rules(testapp, dbsession, model, form_page, required, ruled)


def saving_never_breaks_the_rules(testapp, dbsession, model, form_page, required, ruled):
    """Typed values on the new-record form of `model`: saved and within its rules (303), or
    refused whole with the form's message (400) — never a 500, never half saved."""
    from sqlalchemy import func, inspect

    from poser_web.models.rules import check_values
    from tests.helpers import form_fields

    @SETTINGS
    @given(typed=st.fixed_dictionaries(ruled))
    def check(typed):
        savepoint = dbsession.begin_nested()
        try:
            before = dbsession.scalar(select(func.count()).select_from(model))
            action, fields = form_fields(form_page, {**required, **typed})
            response = testapp.post(action, fields, expect_errors=True)
            assert response.status_int < 500, (typed, response.text[-1500:])
            dbsession.expire_all()
            after = dbsession.scalar(select(func.count()).select_from(model))
            if response.status_int == 303:
                saved = dbsession.get(model, response.location.rsplit("/", 1)[1])
                values = {c.key: getattr(saved, c.key) for c in inspect(model).column_attrs}
                assert check_values(model, values) == {}, values
                assert after == before + 1
            else:
                assert response.status_int == 400, response.status
                assert "The form was not saved." in response.text
                assert after == before  # nothing half-saved
        finally:
            savepoint.rollback()

    check()

"""The generated tests of a table's declared rules: a duplicate of a unique field, a value out
of a declared range (each a message at its field, nothing saved) and the defaults preselected
on the create form."""
from decimal import Decimal

from .code import quoted, tuple_code

FIELD_ERROR = '''\
def field_error(response, field):
    """The error shown at the form's field `field` ("" when none)."""
    oid = response.html.find(attrs={"name": field})["id"]
    found = response.html.find(id=f"error-{oid}")
    return found.get_text(" ", strip=True) if found else ""


'''

UNIQUE_TEST = '''\
@pytest.mark.parametrize("field", UNIQUE)
def test_a_duplicate_is_refused_at_the_field_naming_the_record(testapp, dbsession, field):
    existing = create_record(dbsession, ${class_name}, **first_values(dbsession))
    values = {**second_values(dbsession), field: first_values(dbsession)[field]}
    response = post_form(testapp, f"{URL}/new", values, status=400)
    assert "already" in field_error(response, field)
    assert f"{URL}/{existing.uuid}" in response.text  # linked to the record that has it
    assert count(dbsession) == 1


'''

RANGE_TEST = '''\
@pytest.mark.parametrize("field, typed", OUT_OF_RANGE)
def test_a_value_out_of_its_range_is_refused_at_the_field(testapp, dbsession, field, typed):
    values = {**first_values(dbsession), field: typed}
    response = post_form(testapp, f"{URL}/new", values, status=400)
    assert "Out of range" in field_error(response, field)
    assert count(dbsession) == 0


'''

DEFAULTS_TEST = '''\
def test_defaults_are_preselected_on_the_create_form(testapp):
    form = testapp.get(f"{URL}/new").forms["master-form"]
    for field, shown in DEFAULTS.items():
        assert form[field].value == shown, field


'''


class RuleTests:
    """The constants and tests of the rules `fields` declare."""

    def __init__(self, scaffold):
        self.scaffold, self.fields = scaffold, scaffold.fields

    def constants(self):
        lines = []
        unique = [f.name for f in self.fields if f.unique]
        if unique:
            lines.append(f"UNIQUE = {tuple_code(unique)}  # a duplicate is refused")
        outside = [f"    ({quoted(name)}, {quoted(text)})," for name, text in self.out_of_range()]
        if outside:
            lines += ["# (field, what is typed): outside the field's declared range.",
                      "OUT_OF_RANGE = [", *outside, "]"]
        defaults = [f"    {quoted(name)}: {code}," for name, code in self.defaults()]
        if defaults:
            lines += ["# What the create form shows before anything is typed.",
                      "DEFAULTS = {", *defaults, "}"]
        return "\n".join(lines) + "\n" if lines else ""

    def tests(self):
        found = ""
        if any(f.unique for f in self.fields):
            found += UNIQUE_TEST.replace("${class_name}", self.scaffold.class_name)
        if self.out_of_range():
            found += RANGE_TEST
        if self.defaults():
            found += DEFAULTS_TEST
        if any(f.unique for f in self.fields) or self.out_of_range():
            found = FIELD_ERROR + found
        return found

    def needs_pytest(self):
        return any(f.unique for f in self.fields) or bool(self.out_of_range())

    def out_of_range(self):
        """(field, typed text) just outside each end of each declared range."""
        found = []
        for f in (f for f in self.fields if f.ranged):
            step = 1 if f.kind == "int" else Decimal(1).scaleb(-(f.scale or 0))
            limit = 2**31 if f.kind == "int" else Decimal(10) ** (f.precision - f.scale)
            if f.minimum is not None and -limit < f.minimum - step:
                found.append((f.name, str(f.minimum - step)))
            if f.maximum is not None and f.maximum + step < limit:
                found.append((f.name, str(f.maximum + step)))
        return found

    def defaults(self):
        """(field, Python source of what its input shows) of the fields with a default."""
        found = []
        for f in self.fields:
            if f.default is None or f.kind == "fk":
                continue
            if f.kind == "bool":
                found.append((f.name, '"true"' if f.default else "None"))  # a checkbox's value
            elif f.default_code == "date.today":
                found.append((f.name, "date.today().isoformat()"))
            elif f.default_code == "utcnow":
                continue  # a moment: what it shows depends on when the test runs
            elif f.kind == "datetime":
                found.append((f.name, quoted(f.default.strftime(
                    "%Y-%m-%dT%H:%M:%S" if f.default.second else "%Y-%m-%dT%H:%M"))))
            elif f.kind == "date":
                found.append((f.name, quoted(f.default.isoformat())))
            else:
                found.append((f.name, quoted(str(f.default))))
        return found

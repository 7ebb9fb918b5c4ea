"""The test module `poser scaffold` writes: values to type, values to refuse, the tests."""
from decimal import Decimal

from .code import python_imports, quoted, template, tuple_code, words
from .rule_tests import RuleTests

BAD_VALUES = """
# (field, what is typed): each is refused with a message (400) and nothing is saved.
BAD_VALUES = [
{}
]
"""

BAD_INPUT_TEST = """\
@pytest.mark.parametrize("field, typed", BAD_VALUES)
def test_bad_input_is_refused(testapp, dbsession, field, typed):
    values = {**first_values(dbsession), field: typed}
    post_form(testapp, f"{URL}/new", values, status=400)
    assert count(dbsession) == 0


"""


def in_range(f, value, offset):
    """`value`, or a value `offset` inside the field's declared range when it lies outside."""
    if f.minimum is not None and value < f.minimum:
        value = min(f.minimum + offset, f.maximum) if f.maximum is not None else f.minimum + offset
    if f.maximum is not None and value > f.maximum:
        value = max(f.maximum - offset, f.minimum) if f.minimum is not None else f.maximum - offset
    return value


def render_tests(scaffold):
    """tests/tables/test_<plural>.py for `scaffold` (a render.Scaffold)."""
    return GeneratedTests(scaffold).text()


class GeneratedTests:
    def __init__(self, scaffold):
        self.scaffold = scaffold
        self.fields, self.targets = scaffold.fields, scaffold.targets

    def text(self):
        bad = [f"    ({quoted(name)}, {code})," for name, code in self.bad_values()]
        rules = RuleTests(self.scaffold)
        imports = ["import csv", "import io"] + python_imports(self.fields)
        imports.append("")
        if bad or rules.needs_pytest():
            imports += ["import pytest"]
        models = {"poser_web.models": {"Change", "DatasyncChange"},
                  f"poser_web.tables.{self.scaffold.module}.models": {self.scaffold.class_name}}
        for target in self.targets.values():
            models.setdefault(f"poser_web.tables.{target.module}.models", set()).add(target.class_name)
        model_imports = "\n".join(f"from {module} import {', '.join(sorted(names))}"
                                  for module, names in sorted(models.items()))
        search = next((f for f in self.fields if f.kind == "str"), None)
        search_check = ""
        if search is not None:
            search_check = (
                f"    page = testapp.get(URL, {{\"q\": full.{search.name}}})  # search\n"
                "    assert full.uuid in page.text and sparse.uuid not in page.text\n")
        return template("test.py.tmpl").substitute(
            title_plural=self.scaffold.title_plural, imports="".join(line + "\n" for line in imports),
            model_imports=model_imports, module=self.scaffold.module,
            class_name=self.scaffold.class_name, url_prefix=self.scaffold.url_prefix,
            required=tuple_code([f.name for f in self.fields if not f.nullable]),
            optional=tuple_code([f.name for f in self.fields if f.nullable]),
            bad_values=BAD_VALUES.format("\n".join(bad)) if bad else "",
            bad_input_test=BAD_INPUT_TEST if bad else "",
            rule_values=rules.constants(), rule_tests=rules.tests(),
            first_values=self.values_code(0), second_values=self.values_code(1),
            search_check=search_check,
            # With a text field the model has __str__ (its label); otherwise the key shows.
            full_shown="str(full)" if search else "full.uuid",
            record_shown="str(record)" if search else "record.uuid",
            entity=self.scaffold.name)

    def values_code(self, which):
        lines = []
        for f in self.fields:
            lines.append(f"        {quoted(f.name)}: {self.value_code(f, which)},")
        return "\n".join(lines)

    def value_code(self, f, which):
        if f.kind == "str":
            text = f"{'First' if which == 0 else 'Second'} {words(f.name)}"
            return quoted(text[: f.length].strip())
        if f.kind == "text":
            return quoted(f"Some {words(f.name)}\nover two lines" if which == 0 else "Other text")
        if f.kind == "int":
            return str(in_range(f, 3 + which, which))
        if f.kind == "numeric":
            whole = ("1" if which == 0 else "2") if f.precision > f.scale else "0"
            fraction = ("5" if which == 0 else "2") * f.scale
            value = in_range(f, Decimal(whole + ("." + fraction if fraction else "")),
                             which * Decimal(1).scaleb(-f.scale))
            return f"Decimal({quoted(str(value))})"
        if f.kind == "bool":
            return str(which == 0)
        if f.kind == "date":
            return "date(2026, 3, 4)" if which == 0 else "date(2026, 5, 6)"
        if f.kind == "datetime":
            return "datetime(2026, 3, 4, 5, 6)" if which == 0 else "datetime(2026, 7, 8, 9, 10)"
        if f.kind == "choice":
            return quoted(f.choices[min(which, len(f.choices) - 1)])
        if f.kind == "fk":
            return f"create_record(dbsession, {self.targets[f.name].class_name})"
        raise AssertionError(f.kind)

    def bad_values(self):
        """(field, python code of a value the form must refuse)."""
        bad = []
        for f in self.fields:
            if not f.nullable and f.kind != "bool":
                bad.append((f.name, "None"))
            if f.kind == "str":
                bad.append((f.name, f'"x" * {f.length + 1}'))  # too long
            elif f.kind == "int":
                bad += [(f.name, '"many"'), (f.name, '"2147483648"')]  # beyond a 32-bit integer
            elif f.kind == "numeric":
                too_big = "1" + "0" * (f.precision - f.scale)  # one digit too many
                bad += [(f.name, '"abc"'), (f.name, '"NaN"'), (f.name, quoted(too_big))]
            elif f.kind == "date":
                bad.append((f.name, '"2026-02-30"'))
            elif f.kind == "datetime":
                bad.append((f.name, '"not a moment"'))
            elif f.kind == "choice":
                bad.append((f.name, '"not-a-choice"'))
            elif f.kind == "fk":
                bad.append((f.name, '"0" * 32'))  # no such record
        return bad



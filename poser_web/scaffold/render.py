"""The files `poser scaffold` writes, from the parsed spec and the checkout's tables."""
import json
from importlib.resources import files
from string import Template

from ..models.meta import TABLE_PREFIX
from .spec import plural_of

WIDTH = 100  # longest line written


def template(name):
    return Template((files("poser_web.scaffold") / "templates" / name).read_text(encoding="utf-8"))


def camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


def words(name):
    return name.replace("_", " ")


class Scaffold:
    """Everything written for one new table: names, then each file's text."""

    def __init__(self, name, fields, targets, command, plural=None):
        self.name, self.fields, self.targets, self.command = name, fields, targets, command
        self.plural = plural or plural_of(name)
        self.class_name = camel(name)
        self.table = TABLE_PREFIX + name
        self.module = self.plural  # poser_web/models/<plural>.py, views/<plural>.py
        self.route_prefix = self.plural
        self.url_prefix = "/" + self.plural.replace("_", "-")
        self.title = words(name).title()
        self.title_plural = words(self.plural).title()

    @property
    def paths(self):
        return {"model": f"poser_web/models/{self.module}.py",
                "view": f"poser_web/views/{self.module}.py",
                "test": f"tests/test_{self.module}.py"}

    # -- the model -----------------------------------------------------------

    def model(self):
        sa_names, relation = {"mapped_column"}, False
        columns = []
        for f in self.fields:
            sa_names.add({"str": "String", "choice": "String", "text": "Text", "int": "Integer",
                          "numeric": "Numeric", "bool": "Boolean", "date": "Date",
                          "datetime": "DateTime", "fk": "String"}[f.kind])
            if f.kind == "bool" and f.default is not None:
                sa_names.add("true" if f.default else "false")
            if f.kind == "fk":
                sa_names.add("ForeignKey")
                relation = True
            columns.append(self.column_code(f))
        if any(f.kind == "str" for f in self.fields):
            label = next(f for f in self.fields if f.kind == "str")
            columns.append(f"    def __str__(self):\n        return self.{label.name} or \"\"\n")
        core = sorted(n for n in sa_names if n != "mapped_column")
        orm = ["Mapped", "mapped_column"] + (["relationship"] if relation else [])
        lines = python_imports(self.fields)
        if lines:
            lines.append("")
        lines += wrap_import("sqlalchemy", core) + [f"from sqlalchemy.orm import {', '.join(orm)}", "",
                                                     "from .meta import Base, uuid_column",
                                                     "from .mixins import Audited, Versioned"]
        for module, names in sorted(self.target_imports().items()):
            lines.append(f"from .{module} import {', '.join(sorted(names))}")
        return template("model.py.tmpl").substitute(
            title_plural=self.title_plural, table=self.table, command=self.command,
            imports="\n".join(lines), class_name=self.class_name, label=words(self.name),
            columns="\n".join(columns).rstrip("\n") + "\n")

    def target_imports(self):
        imports = {}
        for f in self.fields:
            if f.kind == "fk":
                target = self.targets[f.name]
                imports.setdefault(target.module, set()).add(target.class_name)
        return imports

    def column_code(self, f):
        python_type = {"str": "str", "choice": "str", "text": "str", "int": "int",
                       "numeric": "Decimal", "bool": "bool", "date": "date",
                       "datetime": "datetime", "fk": "str"}[f.kind]
        sql_type = {"str": f"String({f.length})", "choice": f"String({f.length})", "text": "Text",
                    "int": "Integer", "numeric": f"Numeric({f.precision}, {f.scale})",
                    "bool": "Boolean", "date": "Date", "datetime": "DateTime",
                    "fk": "String(32)"}[f.kind]
        optional = " | None" if f.nullable else ""
        args = [sql_type]
        what = words(self.name)
        doc = f"{f.label} of the {what}."
        if f.kind == "fk":
            target = self.targets[f.name]
            args.append(f'ForeignKey("{target.table}.uuid")')
            doc = f"UUID of the {words(f.name)} of the {what} ({target.table})."
        args.append(f"nullable={f.nullable}")
        if f.kind != "text":
            args.append("index=True")  # the list sorts and filters by it
        if f.kind == "bool" and f.default is not None:
            args += [f"default={f.default}", f"server_default={'true' if f.default else 'false'}()"]
        if f.kind == "choice":
            args.append(f"info={{\"choices\": {tuple_code(f.choices)}}}")
        if f.kind == "datetime":
            doc = f"{f.label} of the {what}, in UTC."
        args.append(f"doc={quoted(doc)}")
        code = call_code(f"    {f.column}: Mapped[{python_type}{optional}] = mapped_column", args)
        if f.kind == "fk":
            target = self.targets[f.name]
            relation_args = [f"doc=\"The {words(f.name)} of the {what}.\""]
            same_target = [o for o in self.fields if o.kind == "fk"
                           and self.targets[o.name] == target]
            if len(same_target) > 1:
                relation_args.insert(0, f"foreign_keys=[{f.column}]")
            code += call_code(
                f"    {f.name}: Mapped[{target.class_name}{optional}] = relationship", relation_args)
        return code

    # -- the master view -----------------------------------------------------

    def view(self):
        listed = [f.name for f in self.fields if f.kind != "text"]
        searched = [f.name for f in self.fields if f.kind == "str"]
        attributes = [("columns", listed), ("search", searched[:1]),
                      ("filters", [n for n in listed if n not in searched[:1]]),
                      ("form_fields", [f.name for f in self.fields])]
        body = "".join(tuple_assignment(name, values) for name, values in attributes if values)
        return template("view.py.tmpl").substitute(
            title_plural=self.title_plural, class_name=self.class_name,
            route_prefix=self.route_prefix, url_prefix=self.url_prefix, title=self.title,
            attributes=body.rstrip("\n"))

    # -- the tests -----------------------------------------------------------

    def test(self):
        bad = [f"    ({quoted(name)}, {code})," for name, code in self.bad_values()]
        imports = python_imports(self.fields)
        if imports:
            imports.append("")
        if bad:
            imports += ["import pytest"]
        models = {"Change", self.class_name} | {t.class_name for t in self.targets.values()}
        search = next((f for f in self.fields if f.kind == "str"), None)
        search_check = ""
        if search is not None:
            search_check = (
                f"    page = testapp.get(URL, {{\"q\": full.{search.name}}})  # search\n"
                "    assert full.uuid in page.text and sparse.uuid not in page.text\n")
        return template("test.py.tmpl").substitute(
            title_plural=self.title_plural, imports="".join(line + "\n" for line in imports),
            model_imports=", ".join(sorted(models)), module=self.module,
            class_name=self.class_name, url_prefix=self.url_prefix,
            required=tuple_code([f.name for f in self.fields if not f.nullable]),
            optional=tuple_code([f.name for f in self.fields if f.nullable]),
            bad_values=BAD_VALUES.format("\n".join(bad)) if bad else "",
            bad_input_test=BAD_INPUT_TEST if bad else "",
            first_values=self.values_code(0), second_values=self.values_code(1),
            search_check=search_check,
            # With a text field the model has __str__ (its label); otherwise the key shows.
            full_shown="str(full)" if search else "full.uuid",
            record_shown="str(record)" if search else "record.uuid")

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
            return str(3 + which)
        if f.kind == "numeric":
            whole = ("1" if which == 0 else "2") if f.precision > f.scale else "0"
            fraction = ("5" if which == 0 else "2") * f.scale
            return f"Decimal({quoted(whole + ('.' + fraction if fraction else ''))})"
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


def python_imports(fields):
    """The standard-library imports the fields' values need."""
    lines = []
    dates = sorted({f.kind for f in fields if f.kind in ("date", "datetime")})
    if dates:
        lines.append(f"from datetime import {', '.join(dates)}")
    if any(f.kind == "numeric" for f in fields):
        lines.append("from decimal import Decimal")
    return lines


def quoted(text):
    """`text` as a double-quoted Python literal (the project's style)."""
    return json.dumps(text, ensure_ascii=False)


def tuple_code(values):
    items = ", ".join(f'"{v}"' for v in values)
    return f"({items},)" if len(values) == 1 else f"({items})"


def tuple_assignment(name, values, indent="    "):
    line = f"{indent}{name} = {tuple_code(values)}\n"
    if len(line) <= WIDTH + 1:
        return line
    return call_code(f"{indent}{name} = ", [f'"{v}"' for v in values]).replace(" = (", " = (", 1)


def call_code(head, args, indent="    "):
    """`head(arg, arg, …)`, on one line when it fits, else the arguments on wrapped lines."""
    one = f"{head}({', '.join(args)})\n"
    if len(one) <= WIDTH + 1:
        return one
    inner = indent + "    " if not head.startswith(" ") else " " * (len(head) - len(head.lstrip())) + "    "
    lines, line = [], inner
    for arg in args:
        piece = arg + ", "
        if len(line) + len(piece.rstrip()) > WIDTH and line.strip():
            lines.append(line.rstrip())
            line = inner
        line += piece
    lines.append(line.rstrip().rstrip(","))
    return f"{head}(\n" + "\n".join(lines) + ")\n"


def wrap_import(module, names):
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= WIDTH:
        return [line]
    body = call_code(f"from {module} import ", names, indent="")
    return body.rstrip("\n").split("\n")

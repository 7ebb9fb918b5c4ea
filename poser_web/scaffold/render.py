"""The model and view `poser scaffold` writes, from the parsed spec and the checkout's tables."""
import textwrap

from ..models.meta import TABLE_PREFIX
from .code import (
    call_code,
    python_imports,
    quoted,
    template,
    tuple_assignment,
    tuple_code,
    words,
    wrap_import,
)
from .names import camel
from .spec import plural_of
from .tests_module import render_tests


class Scaffold:
    """Everything written for one new table: names, then each file's text."""

    def __init__(self, name, fields, targets, command, plural=None):
        self.name, self.fields, self.targets, self.command = name, fields, targets, command
        self.plural = plural or plural_of(name)
        self.class_name = camel(name)
        self.table = TABLE_PREFIX + name
        self.module = self.plural  # the table package: poser_web/tables/<plural>/
        self.route_prefix = self.plural
        self.url_prefix = "/" + self.plural.replace("_", "-")
        self.title = words(name).title()
        self.title_plural = words(self.plural).title()

    @property
    def paths(self):
        package = f"poser_web/tables/{self.module}"
        return {"package": f"{package}/__init__.py", "model": f"{package}/models.py",
                "view": f"{package}/views.py", "test": f"tests/tables/test_{self.module}.py"}

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
        framework = ["Audited", "Base", "Versioned"]
        framework += ["utcnow"] if any(f.default_code == "utcnow" for f in self.fields) else []
        lines += wrap_import("sqlalchemy", core)
        lines += [f"from sqlalchemy.orm import {', '.join(orm)}", ""]
        lines += wrap_import("poser_web.models", framework + ["uuid_column"])
        for module, names in sorted(self.target_imports().items()):
            lines.append(f"from poser_web.tables.{module}.models import {', '.join(sorted(names))}")
        return template("model.py.tmpl").substitute(
            title_plural=self.title_plural, table=self.table,
            command=textwrap.fill(self.command, 96, subsequent_indent=" " * 8),
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
        if f.unique:
            args.append("unique=True")  # a unique index (with index=True), else a constraint
        if f.kind == "bool" and f.default is not None:
            args += [f"default={f.default}", f"server_default={'true' if f.default else 'false'}()"]
        elif f.default_code is not None:
            args.append(f"default={f.default_code}")
        info = self.info_code(f)
        if info:
            args.append(f"info={info}")
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

    def searched(self):
        """The field the list searches (the first text of a limited length), or None."""
        return next((f for f in self.fields if f.kind == "str"), None)

    def info_code(self, f):
        """The column's info: its choices, its range (models/rules.py makes the CHECK) and, for
        the searched field, its search index (db/search_migrations.py)."""
        items = []
        if f is self.searched():
            items.append('"search": True')
        if f.kind == "choice":
            items.append(f'"choices": {tuple_code(f.choices)}')
        for key, value in (("min", f.minimum), ("max", f.maximum)):
            if value is not None:
                shown = str(value) if f.kind == "int" else f'Decimal("{value}")'
                items.append(f'"{key}": {shown}')
        return "{" + ", ".join(items) + "}" if items else ""

    def identifiers(self):
        """Every database name the table gets (the naming convention's), to check their length."""
        names = [self.table, f"pk_{self.table}"]
        for f in self.fields:
            if f.kind != "text":
                names.append(f"ix_{self.table}_{f.column}")
            if f.unique:
                names.append(f"uq_{self.table}_{f.column}")
            if f.ranged:
                names.append(f"ck_{self.table}_{f.column}_range")
            if f.kind == "fk":
                names.append(f"fk_{self.table}_{f.column}_{self.targets[f.name].table}")
        searched = self.searched()
        if searched is not None:  # its search index: a GIN index, or an FTS table and triggers
            names += [f"ix_{self.table}_{searched.column}_trgm",
                      f"{self.table}_{searched.column}_fts_insert"]
        # The datasync capture's triggers and function (datasync/capture.py).
        names += [f"poser_datasync_{self.name}_capture", f"poser_datasync_{self.name}_insert"]
        return names

    # -- the master view -----------------------------------------------------

    def view(self):
        listed = [f.name for f in self.fields]  # text too: cut in the list, whole on its page
        searched = [f.name for f in self.fields if f.kind == "str"]
        attributes = [("columns", listed), ("search", searched[:1]),
                      ("filters", [n for n in listed if n not in searched[:1]]),
                      ("form_fields", [f.name for f in self.fields])]
        body = "".join(tuple_assignment(name, values) for name, values in attributes if values)
        return template("view.py.tmpl").substitute(
            title_plural=self.title_plural, class_name=self.class_name,
            route_prefix=self.route_prefix, url_prefix=self.url_prefix, title=self.title,
            attributes=body.rstrip("\n"))

    def package(self):
        return template("package.py.tmpl").substitute(title_plural=self.title_plural)

    def test(self):
        return render_tests(self)

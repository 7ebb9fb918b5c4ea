"""Writing Python source in the project's style: quotes, tuples, wrapped calls, templates."""
import json
from importlib.resources import files
from string import Template

WIDTH = 100  # longest line written


def words(name):
    """gizmo_part -> "gizmo part"."""
    return name.replace("_", " ")


def template(name):
    """A file of poser_web/scaffold/templates as a string.Template."""
    return Template((files("poser_web.scaffold") / "templates" / name).read_text(encoding="utf-8"))


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
    return call_code(f"{indent}{name} = ", [f'"{v}"' for v in values])


def call_code(head, args):
    """`head(arg, arg, …)`, on one line when it fits, else the arguments on wrapped lines
    indented one level deeper than `head`."""
    one = f"{head}({', '.join(args)})\n"
    if len(one) <= WIDTH + 1:
        return one
    inner = " " * (len(head) - len(head.lstrip())) + "    "
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
    body = call_code(f"from {module} import ", names)
    return body.rstrip("\n").split("\n")

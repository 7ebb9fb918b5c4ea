"""The checkout `poser scaffold` writes into: its tables, files and registrations."""
import ast
import re
from dataclasses import dataclass
from pathlib import Path

from ..models.meta import TABLE_PREFIX
from .spec import SpecError

MODELS_INIT = Path("poser_web/models/__init__.py")
ROUTES = Path("poser_web/routes.py")


@dataclass(frozen=True)
class Table:
    """A mapped class found in poser_web/models/."""

    class_name: str
    table: str
    module: str  # the module's name inside poser_web/models, e.g. "widgets"


class Project:
    def __init__(self, root):
        self.root = Path(root)
        if not (self.root / MODELS_INIT).is_file() or not (self.root / ROUTES).is_file():
            raise SpecError(f"{self.root.resolve()} is not a poser_web checkout (no {MODELS_INIT} "
                            f"or no {ROUTES}); run poser scaffold from the repository root or "
                            "give --root")

    def tables(self):
        """Every class in poser_web/models/*.py that declares a __tablename__."""
        found = []
        for path in sorted((self.root / MODELS_INIT.parent).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.ClassDef):
                    for statement in node.body:
                        if (isinstance(statement, (ast.Assign, ast.AnnAssign))
                                and _target_names(statement) == ["__tablename__"]
                                and isinstance(statement.value, ast.Constant)):
                            found.append(Table(node.name, statement.value.value, path.stem))
        return found

    def find_table(self, written):
        """The table `fk(TABLE)` means: widget, poser_widget or Widget."""
        for table in self.tables():
            if written in (table.table, table.table.removeprefix(TABLE_PREFIX), table.class_name):
                return table
        known = ", ".join(t.table.removeprefix(TABLE_PREFIX) for t in self.tables())
        raise SpecError(f"fk({written}): no such table in poser_web/models (known: {known})")

    def check_new(self, class_name, table):
        for existing in self.tables():
            if existing.table == table or existing.class_name == class_name:
                raise SpecError(f"{existing.class_name} ({existing.table}) exists already in "
                                f"poser_web/models/{existing.module}.py")

    def registration(self, path, line, after):
        """`path`'s text with `line` added after the last line matching `after`."""
        text = (self.root / path).read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        if any(existing.strip() == line.strip() for existing in lines):
            raise SpecError(f"{path} already has {line.strip()!r}")
        anchors = [i for i, existing in enumerate(lines) if re.match(after, existing)]
        if not anchors:
            raise SpecError(f"cannot find where to add {line.strip()!r} in {path}; "
                            "add it by hand")
        last = anchors[-1]
        indent = re.match(r"\s*", lines[last]).group()
        lines.insert(last + 1, indent + line.strip() + "\n")
        return "".join(lines)


def _target_names(statement):
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]
